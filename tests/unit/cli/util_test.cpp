#include "gitops/util/duration.hpp"
#include "gitops/util/env.hpp"
#include "gitops/util/log.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace std::chrono_literals;
using gitops::util::format_go_duration;
using gitops::util::parse_go_duration;

namespace {

TEST(GoDuration, ParsesWhatGoParses) {
  EXPECT_EQ(parse_go_duration("168h"), std::chrono::nanoseconds(168h));
  EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_go_duration("1.5h"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_go_duration("90s"), std::chrono::nanoseconds(90s));
  EXPECT_EQ(parse_go_duration("300ms"), std::chrono::nanoseconds(300ms));
  EXPECT_EQ(parse_go_duration("2us"), std::chrono::nanoseconds(2us));
  EXPECT_EQ(parse_go_duration("2\xC2\xB5s"), std::chrono::nanoseconds(2us));
  EXPECT_EQ(parse_go_duration("7ns"), std::chrono::nanoseconds(7));
  EXPECT_EQ(parse_go_duration("0"), std::chrono::nanoseconds(0));
  EXPECT_EQ(parse_go_duration("-2m"), std::chrono::nanoseconds(-2min));
  EXPECT_EQ(parse_go_duration("+.5s"), std::chrono::nanoseconds(500ms));
  EXPECT_EQ(parse_go_duration("1h1m1s"), std::chrono::nanoseconds(3661s));
}

TEST(GoDuration, RejectsWhatGoRejects) {
  for (const char *bad : {"", "7d", "10", "h", "1.h2", "1x", ".s", "-", "1h 30m", "1e3s",
                          "99999999999999999999h", "3000000h"}) {
    EXPECT_FALSE(parse_go_duration(bad).has_value()) << bad;
  }
}

TEST(GoDuration, FormatsLikeGo) {
  EXPECT_EQ(format_go_duration(168h), "168h0m0s");
  EXPECT_EQ(format_go_duration(90min), "1h30m0s");
  EXPECT_EQ(format_go_duration(45s), "45s");
  EXPECT_EQ(format_go_duration(0s), "0s");
  EXPECT_EQ(format_go_duration(1500ms), "1.5s");
  EXPECT_EQ(format_go_duration(300ms), "300ms");
  EXPECT_EQ(format_go_duration(-2min), "-2m0s");
}

TEST(Strings, SplitJoinTrimLowerPlural) {
  EXPECT_EQ(gitops::util::split("a//b", '/'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(gitops::util::split("", '/'), (std::vector<std::string>{""}));
  EXPECT_EQ(gitops::util::join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(gitops::util::join({}, ", "), "");
  EXPECT_EQ(gitops::util::trim(" \t x y \n"), "x y");
  EXPECT_EQ(gitops::util::to_lower("GitHub.COM"), "github.com");
  EXPECT_EQ(gitops::util::plural(1, "error"), "1 error");
  EXPECT_EQ(gitops::util::plural(0, "error"), "0 errors");
}

TEST(Env, FixedEnvironment) {
  const auto env = gitops::util::fixed_env({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(env("A").value_or("?"), "1");
  EXPECT_EQ(env("EMPTY").value_or("?"), "");
  EXPECT_FALSE(env("B").has_value());
}

TEST(Logger, FiltersByLevel) {
  std::ostringstream out;
  const gitops::util::Logger log(out, gitops::util::LogLevel::warn);
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  EXPECT_EQ(out.str(), "warn: w\nerror: e\n");
  EXPECT_EQ(gitops::util::parse_log_level("debug"), gitops::util::LogLevel::debug);
  EXPECT_FALSE(gitops::util::parse_log_level("trace").has_value());
}

} // namespace

TEST(Strings, DecodeUtf8FollowsGosRules) {
  using gitops::util::decode_utf8;
  const std::string text = "a\xc3\xa9\xe2\x80\xa8\xf0\x9f\x99\x82";
  EXPECT_FALSE(decode_utf8(text, 0).has_value()); // ASCII is not a multi-byte sequence
  ASSERT_TRUE(decode_utf8(text, 1).has_value());
  EXPECT_EQ(decode_utf8(text, 1)->value, 0xe9);
  EXPECT_EQ(decode_utf8(text, 1)->length, 2U);
  EXPECT_EQ(decode_utf8(text, 3)->value, 0x2028);
  EXPECT_EQ(decode_utf8(text, 6)->value, 0x1f642);
  EXPECT_EQ(decode_utf8(text, 6)->length, 4U);
  EXPECT_FALSE(decode_utf8("\xc0\xaf", 0).has_value());         // overlong
  EXPECT_FALSE(decode_utf8("\xed\xa0\x80", 0).has_value());     // surrogate
  EXPECT_FALSE(decode_utf8("\xf4\x90\x80\x80", 0).has_value()); // above U+10FFFF
  EXPECT_FALSE(decode_utf8("\xe2\x80", 0).has_value());         // truncated
  EXPECT_FALSE(decode_utf8("\xc3(", 0).has_value());            // bad continuation
}

TEST(Strings, QuoteForMessageEscapesAndCuts) {
  using gitops::util::quote_for_message;
  EXPECT_EQ(quote_for_message("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote_for_message("a\nb\tc\rd\x01"), "\"a\\nb\\tc\\rd\\x01\"");
  EXPECT_EQ(quote_for_message("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(quote_for_message(std::string(150, 'x')), "\"" + std::string(100, 'x') + "...\"");
}

TEST(Strings, ReplaceAllReplacesEveryOccurrenceOnce) {
  using gitops::util::replace_all;
  EXPECT_EQ(replace_all("a-b-c", "-", "+"), "a+b+c");
  EXPECT_EQ(replace_all("tok tok", "tok", "***"), "*** ***");
  // What was put in is not scanned again (no endless growth).
  EXPECT_EQ(replace_all("aa", "a", "aa"), "aaaa");
  EXPECT_EQ(replace_all("{group}-{env}", "{group}", "{env}"), "{env}-{env}");
  EXPECT_EQ(replace_all("abc", "", "x"), "abc");
  EXPECT_EQ(replace_all("", "a", "b"), "");
  EXPECT_EQ(replace_all("abc", "abcd", "x"), "abc");
}

TEST(Strings, Base64EncodeMatchesRfc4648Vectors) {
  using gitops::util::base64_encode;
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Utf8, OneStrictValidatorForEveryCaller) {
  using gitops::util::is_valid_utf8;
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii\n"));
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa4llo \xe2\x82\xac \xf0\x9f\x9a\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf")) << "overlong";
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80")) << "surrogate";
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
  EXPECT_FALSE(is_valid_utf8("ok \xe2\x82")) << "truncated";
  EXPECT_FALSE(is_valid_utf8("\x80")) << "stray continuation byte";
  EXPECT_FALSE(is_valid_utf8(std::string("a\xff") + "b"));
}

// The one URL toolkit (util/url.hpp) every layer prints and parses URLs with.
TEST(UrlText, RedactRemovesUserAndPassword) {
  struct Case {
    const char *in;
    const char *out;
  };
  const Case cases[] = {
      {"https://x-access-token:ghp_secret@github.com/o/r.git", "https://github.com/o/r.git"},
      {"https://org@dev.azure.com/org/p/_git/r", "https://dev.azure.com/org/p/_git/r"},
      {"https://u:p@host", "https://host"},
      {"http://u:p%40x@127.0.0.1:8080/git/a.git?x=1", "http://127.0.0.1:8080/git/a.git?x=1"},
      {"https://github.com/o/r.git", "https://github.com/o/r.git"},
      {"https://github.com/o/r@v1.git", "https://github.com/o/r@v1.git"},
      {"git@github.com:o/r.git", "github.com:o/r.git"},
      {"git@ssh.dev.azure.com:v3/o/p/r", "ssh.dev.azure.com:v3/o/p/r"},
      {"/tmp/x@y/repo.git", "/tmp/x@y/repo.git"},
      {"https://user:pass@dev.azure.com/o/p?x=1", "https://dev.azure.com/o/p?x=1"},
      {"https://api.github.com/repos?q=a@b", "https://api.github.com/repos?q=a@b"},
      {"not a url", "not a url"},
      {"", ""},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(gitops::util::redact_url(c.in), c.out);
  }
}

TEST(UrlText, HostOriginAndPassword) {
  using namespace gitops::util;
  EXPECT_EQ(url_host("https://x:y@GitHub.com:443/o/r"), "github.com");
  EXPECT_EQ(url_host("git@ssh.dev.azure.com:v3/o/p/r"), "ssh.dev.azure.com");
  EXPECT_EQ(url_host("ssh://git@[::1]:22/o/r"), "[::1]");
  EXPECT_EQ(url_host("/tmp/repo.git"), "");
  EXPECT_EQ(url_host("./a/b:c"), "");
  EXPECT_EQ(url_host_port("https://u:p@api.example.com:8443/v3?x"), "api.example.com:8443");
  EXPECT_EQ(url_host_port("not a url"), "not a url");
  EXPECT_EQ(url_origin("https://api.github.com/repos/o/r?page=2"), "https://api.github.com");
  EXPECT_EQ(url_origin("http://127.0.0.1:9/x#y"), "http://127.0.0.1:9");
  EXPECT_EQ(url_origin("relative/path"), "");
  EXPECT_EQ(url_password("https://user:s3cret@host/p").value_or(""), "s3cret");
  EXPECT_FALSE(url_password("https://user@host/p"));
  EXPECT_FALSE(url_password("https://user:@host/p"));
  EXPECT_FALSE(url_password("https://host/p?u=a:b@c"));
}

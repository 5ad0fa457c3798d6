#include "gitops/util/duration.hpp"
#include "gitops/util/env.hpp"
#include "gitops/util/log.hpp"
#include "gitops/util/strings.hpp"

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

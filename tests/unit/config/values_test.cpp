#include "gitops/config/config.hpp"

#include <gtest/gtest.h>

namespace gitops::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, Valid) {
  EXPECT_EQ(parse_duration("5"), minutes(5));
  EXPECT_EQ(parse_duration("0"), seconds(0));
  EXPECT_EQ(parse_duration("90s"), seconds(90));
  EXPECT_EQ(parse_duration("10m"), minutes(10));
  EXPECT_EQ(parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(parse_duration("2h45m30s"), hours(2) + minutes(45) + seconds(30));
  EXPECT_EQ(parse_duration("30m1h"), minutes(90));
  EXPECT_EQ(parse_duration("1.5h"), minutes(90));
  EXPECT_EQ(parse_duration("0.5m"), seconds(30));
  EXPECT_EQ(parse_duration("168h"), hours(168));
}

TEST(ParseDuration, Invalid) {
  for (std::string_view bad :
       {"",       "-5",   "-5m",        "+5m",         "m",         "5x",  "10ns",
        "10ms",   "1.5",  "1.m",        ".5m",         "0.5s",      "1 m", "5M",
        "1h 30m", "1e3s", "1234567890", "1234567890h", "99999999h", "5m-"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(NameProblem, AcceptsOrdinaryNames) {
  for (std::string_view good : {"dev", "prod-eu", "qa_1", "Apps", "a.b", "v1.2", "x@y", "a]b",
                                "développement", "a#b", "@x"}) {
    EXPECT_FALSE(name_problem(good).has_value()) << good;
  }
  EXPECT_FALSE(name_problem(std::string(255, 'a')).has_value());
}

TEST(NameProblem, RejectsUnsafeNames) {
  struct Case {
    std::string name;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"", "must not be empty"},
      {std::string(256, 'a'), "must not be longer than 255 bytes"},
      {".", "must not be \".\" or \"..\""},
      {"..", "must not be \".\" or \"..\""},
      {"@", "must not be \"@\""},
      {"-x", "must not start with '-'"},
      {".git", "must not start with '.'"},
      {"x.", "must not end with '.'"},
      {"x.lock", "must not end with \".lock\""},
      {"a..b", "must not contain \"..\""},
      {"a@{b", "must not contain \"@{\""},
      {"a/b", "must not contain '/'"},
      {"a\\b", "must not contain '\\'"},
      {"a b", "must not contain whitespace"},
      {"a\tb", "must not contain control characters"},
      {"a\nb", "must not contain control characters"},
      {std::string("a\0b", 3), "must not contain control characters"},
      {"a\x7f", "must not contain control characters"},
      {"a~b", "must not contain '~'"},
      {"a^b", "must not contain '^'"},
      {"a:b", "must not contain ':'"},
      {"a?b", "must not contain '?'"},
      {"a*b", "must not contain '*'"},
      {"a[b", "must not contain '['"},
      {"a\"b", "must not contain '\"'"},
      {"a<b", "must not contain '<'"},
      {"a>b", "must not contain '>'"},
      {"a|b", "must not contain '|'"},
      {"a\xff", "is not valid UTF-8"},
      {"a\xc3", "is not valid UTF-8"},
      {"\xc0\xaf", "is not valid UTF-8"},     // overlong '/'
      {"\xed\xa0\x80", "is not valid UTF-8"}, // surrogate
      {"a\xc2\xa0", "must not contain Unicode spaces, control or invisible characters"},
      {"a\xe2\x80\x8b", "must not contain Unicode spaces, control or invisible characters"},
      {"a\xe2\x80\xa8", "must not contain Unicode spaces, control or invisible characters"},
      {"\xef\xbb\xbfx", "must not contain Unicode spaces, control or invisible characters"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    const auto problem = name_problem(c.name);
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(*problem, c.reason);
  }
}

TEST(StatusContext, DefaultRuleIsUpstreams) {
  const std::vector<std::string> none;
  EXPECT_TRUE(status_context_matches(none, "apps", "dev", "kustomization/apps-dev"));
  EXPECT_TRUE(status_context_matches(none, "apps", "dev", "kustomization/apps-dev/0123-abcd"));
  EXPECT_TRUE(status_context_matches(none, "apps", "dev", "anything/apps-dev"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "kustomization/apps-qa"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "kustomization/apps-devx"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "kustomization/xapps-dev"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "apps-dev"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "apps-dev/kustomization"));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", ""));
  EXPECT_FALSE(status_context_matches(none, "apps", "dev", "kustomization/"));
  // Names with dashes: only the exact `<group>-<env>` matches.
  EXPECT_TRUE(status_context_matches(none, "my-apps", "prod-eu", "k/my-apps-prod-eu"));
  EXPECT_FALSE(status_context_matches(none, "my", "apps-prod", "k/my-apps-prod-eu"));
}

TEST(StatusContext, Patterns) {
  const std::vector<std::string> patterns{"kustomization/{group}-{env}", "flux/{env}/*/{group}"};
  EXPECT_TRUE(status_context_matches(patterns, "apps", "dev", "kustomization/apps-dev"));
  EXPECT_FALSE(status_context_matches(patterns, "apps", "dev", "kustomization/apps-dev/uid"));
  EXPECT_TRUE(status_context_matches(patterns, "apps", "dev", "flux/dev/cluster-1/apps"));
  EXPECT_TRUE(status_context_matches(patterns, "apps", "dev", "flux/dev/a/b/apps"));
  EXPECT_FALSE(status_context_matches(patterns, "apps", "dev", "flux/qa/a/apps"));
  EXPECT_FALSE(status_context_matches(patterns, "apps", "dev", "Kustomization/apps-dev"));
  const std::vector<std::string> star{"*{env}*"};
  EXPECT_TRUE(status_context_matches(star, "apps", "dev", "dev"));
  EXPECT_TRUE(status_context_matches(star, "apps", "dev", "x/dev/y"));
  EXPECT_FALSE(status_context_matches(star, "apps", "dev", "x/de/v"));
  const std::vector<std::string> stars{"a**b*c"};
  EXPECT_TRUE(status_context_matches(stars, "g", "e", "abc"));
  EXPECT_TRUE(status_context_matches(stars, "g", "e", "axxbyyc"));
  EXPECT_FALSE(status_context_matches(stars, "g", "e", "axxbyy"));
}

TEST(EnumNames, RoundTrip) {
  EXPECT_EQ(to_string(PrFlow::per_app), "per-app");
  EXPECT_EQ(to_string(PrFlow::per_env), "per-env");
  EXPECT_EQ(to_string(MergeMethod::merge), "merge");
  EXPECT_EQ(to_string(MergeMethod::squash), "squash");
  EXPECT_EQ(to_string(MergeMethod::rebase), "rebase");
}

} // namespace
} // namespace gitops::config

#include "cli_harness.hpp"

#include "gitops/cli/app.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using gitops::cli::OutputFormat;
using gitops::test::CliRun;
using gitops::test::parse_only;

namespace {

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

template <class T> const T &options_of(const CliRun &r) {
  return std::get<T>(r.invocation.value().options);
}

void expect_usage_error(const CliRun &r, const std::string &subcommand_usage,
                        const std::string &message) {
  SCOPED_TRACE(r.err);
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(r.invocation.has_value());
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(r.err.starts_with("Error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, message)) << r.err;
  // One line naming the problem, one pointing at the command's help; not the whole help text.
  EXPECT_TRUE(r.err.ends_with("\nRun `" + subcommand_usage + " --help` for usage.\n")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_FALSE(contains(r.err, "Usage:")) << r.err;
}

TEST(CliParse, NewWithDefaults) {
  const CliRun r =
      parse_only({"new", "--group", "webshop", "--app", "cart", "--tag", "1.2.3"}, "/some/cwd");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->command, "new");
  const auto &o = options_of<gitops::commands::NewOptions>(r);
  EXPECT_EQ(o.group, "webshop");
  EXPECT_EQ(o.app, "cart");
  EXPECT_EQ(o.tag.value_or(""), "1.2.3");
  EXPECT_FALSE(o.image.has_value());
  EXPECT_FALSE(o.dry_run);
  const auto &g = r.invocation->globals;
  EXPECT_FALSE(g.provider.has_value());
  EXPECT_FALSE(g.token.has_value());
  EXPECT_FALSE(g.api_url.has_value());
  EXPECT_EQ(g.sourcedir, "/some/cwd");
  EXPECT_FALSE(g.dry_run);
  EXPECT_EQ(g.output, OutputFormat::text);
  EXPECT_EQ(g.log_level, gitops::util::LogLevel::info);
}

TEST(CliParse, GlobalFlagsAfterTheSubcommand) {
  const CliRun r =
      parse_only({"new", "--group=g", "--app", "a", "--image", "reg/x:1", "--provider", "azdo",
                  "--token", "s3cret", "--sourcedir", "/repo", "--api-url", "http://127.0.0.1:1",
                  "--dry-run", "--output", "json", "--log-level", "debug"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto &g = r.invocation->globals;
  EXPECT_EQ(g.provider, gitops::providers::ProviderKind::azdo);
  EXPECT_EQ(g.token.value_or(""), "s3cret");
  EXPECT_EQ(g.sourcedir, "/repo");
  EXPECT_EQ(g.api_url.value_or(""), "http://127.0.0.1:1");
  EXPECT_TRUE(g.dry_run);
  EXPECT_EQ(g.output, OutputFormat::json);
  EXPECT_EQ(g.log_level, gitops::util::LogLevel::debug);
  const auto &o = options_of<gitops::commands::NewOptions>(r);
  EXPECT_EQ(o.group, "g");
  EXPECT_EQ(o.image.value_or(""), "reg/x:1");
  EXPECT_FALSE(o.tag.has_value());
  EXPECT_TRUE(o.dry_run); // --dry-run is copied into the command's options
}

TEST(CliParse, GlobalFlagsBeforeTheSubcommand) {
  const CliRun r = parse_only(
      {"--provider", "github", "--dry-run", "--output=json", "--sourcedir", "/r", "lint"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.invocation->command, "lint");
  EXPECT_EQ(r.invocation->globals.provider, gitops::providers::ProviderKind::github);
  EXPECT_TRUE(r.invocation->globals.dry_run);
  EXPECT_EQ(r.invocation->globals.output, OutputFormat::json);
  EXPECT_EQ(options_of<gitops::commands::LintOptions>(r).root, "/r");
}

TEST(CliParse, EverySubcommandParses) {
  EXPECT_EQ(parse_only({"promote"}).invocation->command, "promote");
  const CliRun status = parse_only({"status", "--branch", "promote/g-a"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_EQ(options_of<gitops::commands::StatusOptions>(status).branch.value_or(""), "promote/g-a");
  EXPECT_FALSE(options_of<gitops::commands::StatusOptions>(parse_only({"status"})).branch);
  const CliRun feature =
      parse_only({"feature", "--group", "g", "--app", "a", "--tag", "t", "--feature", "f"});
  ASSERT_EQ(feature.code, 0) << feature.err;
  EXPECT_EQ(options_of<gitops::commands::FeatureOptions>(feature).feature, "f");
  const CliRun set = parse_only(
      {"set-image", "--path", "clusters/dev", "--group", "g", "--app", "a", "--tag", "1"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(options_of<gitops::commands::SetImageOptions>(set).path, "clusters/dev");
  EXPECT_EQ(options_of<gitops::commands::SetImageOptions>(set).tag.value_or(""), "1");
}

TEST(CliParse, FeatureStaleMaxAge) {
  using namespace std::chrono_literals;
  EXPECT_EQ(
      options_of<gitops::commands::FeatureStaleOptions>(parse_only({"feature-stale"})).max_age,
      168h);
  EXPECT_EQ(options_of<gitops::commands::FeatureStaleOptions>(
                parse_only({"feature-stale", "--max-age", "1h30m"}))
                .max_age,
            90min);
  expect_usage_error(parse_only({"feature-stale", "--max-age", "7d"}),
                     "gitops-promotion feature-stale", "--max-age");
  expect_usage_error(parse_only({"feature-stale", "--max-age", "-1h"}),
                     "gitops-promotion feature-stale", "--max-age");
}

TEST(CliParse, UsageErrorsExitTwoWithTheSubcommandUsage) {
  expect_usage_error(parse_only({"new", "--app", "a", "--tag", "1"}), "gitops-promotion new",
                     "--group");
  expect_usage_error(parse_only({"new", "--group", "g", "--app", "a"}), "gitops-promotion new",
                     "--tag or --image");
  expect_usage_error(
      parse_only({"new", "--group", "g", "--app", "a", "--tag", "1", "--image", "x:1"}),
      "gitops-promotion new", "exclude");
  expect_usage_error(parse_only({"new", "--group", "g", "--app", "a", "--tag", "1", "--tags", "2"}),
                     "gitops-promotion new", "--tags");
  expect_usage_error(parse_only({"new", "--group", "g", "--app", "a", "--tag", "1", "stray"}),
                     "gitops-promotion new",
                     "unexpected argument \"stray\" (no command takes one; quote a value that "
                     "has spaces)");
  // Before a missing flag, too.
  expect_usage_error(parse_only({"new", "--tag", "1", "2"}), "gitops-promotion new",
                     "unexpected argument \"2\"");
  expect_usage_error(parse_only({"lint", "--output", "xml"}), "gitops-promotion lint", "xml");
  expect_usage_error(parse_only({"lint", "--provider", "bitbucket"}), "gitops-promotion lint",
                     "bitbucket");
  expect_usage_error(parse_only({"lint", "--log-level", "trace"}), "gitops-promotion lint",
                     "trace");
  expect_usage_error(parse_only({"lint", "--sourcedir", ""}), "gitops-promotion lint",
                     "--sourcedir");
  expect_usage_error(parse_only({"status", "--token"}), "gitops-promotion status", "--token");
  expect_usage_error(parse_only({"set-image", "--group", "g", "--app", "a", "--tag", "1"}),
                     "gitops-promotion set-image", "--path");
  expect_usage_error(parse_only({"feature", "--group", "g", "--app", "a", "--tag", "t"}),
                     "gitops-promotion feature", "--feature");
}

// A mistyped --api-url is a usage error before any network call (or push).
TEST(CliParse, ApiUrlMustBeAnHttpUrlWithAHost) {
  for (const char *bad :
       {"api.example.com", "ftp://api.example.com", "https://", "https:///x",
        "http://host:port/api", "https://user:pw@ghe.example.com/api/v3", "https://ghe example.com",
        "https://ghe.example.com/\napi", "http://h:/"}) {
    SCOPED_TRACE(bad);
    expect_usage_error(parse_only({"promote", "--api-url", bad}), "gitops-promotion promote",
                       "--api-url");
  }
  for (const char *good : {"https://ghe.example.com/api/v3", "http://127.0.0.1:8080",
                           "http://[::1]:9000/", "https://dev.azure.com/org"}) {
    SCOPED_TRACE(good);
    const CliRun r = parse_only({"promote", "--api-url", good});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.invocation->globals.api_url.value_or(""), good);
  }
}

TEST(CliParse, NoOrUnknownSubcommandIsAUsageError) {
  expect_usage_error(parse_only({}), "gitops-promotion",
                     "a command is required (new, promote, status, feature, feature-stale, "
                     "set-image or lint)");
  expect_usage_error(parse_only({"--dry-run"}), "gitops-promotion", "a command is required");
  expect_usage_error(parse_only({"deploy"}), "gitops-promotion", "unknown command \"deploy\"");
  EXPECT_FALSE(contains(parse_only({"deploy"}).err, "did you mean")); // nothing close
  expect_usage_error(parse_only({"neww", "--group", "g"}), "gitops-promotion",
                     "unknown command \"neww\" (did you mean new?)");
  expect_usage_error(parse_only({"--dry-run", "stauts"}), "gitops-promotion",
                     "unknown command \"stauts\" (did you mean status?)");
  expect_usage_error(parse_only({"setimage"}), "gitops-promotion",
                     "unknown command \"setimage\" (did you mean set-image?)");
}

// A mistyped flag is named as such, with the flag it was probably meant to be, before CLI11 would
// complain that a required flag is missing; values that look like flags are values.
TEST(CliParse, UnknownFlagsComeFirstWithASuggestion) {
  expect_usage_error(parse_only({"new", "--grup", "g", "--app", "a", "--tag", "1"}),
                     "gitops-promotion new", "unknown flag \"--grup\" (did you mean --group?)");
  expect_usage_error(parse_only({"new", "--tags", "1"}), "gitops-promotion new",
                     "unknown flag \"--tags\" (did you mean --tag?)");
  expect_usage_error(parse_only({"new", "--app=a", "--dryrun"}), "gitops-promotion new",
                     "unknown flag \"--dryrun\" (did you mean --dry-run?)");
  expect_usage_error(parse_only({"--tokne", "x", "status"}), "gitops-promotion",
                     "unknown flag \"--tokne\" (did you mean --token?)");
  expect_usage_error(parse_only({"promote", "--group", "g"}), "gitops-promotion promote",
                     "unknown flag \"--group\"");
  expect_usage_error(parse_only({"lint", "--zzzzzz"}), "gitops-promotion lint",
                     "unknown flag \"--zzzzzz\"");
  EXPECT_FALSE(contains(parse_only({"lint", "--zzzzzz"}).err, "did you mean"));
  // A flag's value is not a command, even when it is named like one.
  const CliRun r =
      parse_only({"--sourcedir", "status", "new", "--group", "lint", "--app", "a", "--tag", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.invocation->command, "new");
  EXPECT_EQ(options_of<gitops::commands::NewOptions>(r).group, "lint");
}

TEST(CliParse, HelpWorksAnywhereWithoutARepository) {
  for (const std::vector<std::string> &args : {std::vector<std::string>{"--help"},
                                               {"-h"},
                                               {"new", "--help"},
                                               {"new", "--group", "g", "--help"},
                                               {"--dry-run", "set-image", "-h"}}) {
    const CliRun r = parse_only(args);
    SCOPED_TRACE(args.front());
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(r.invocation.has_value());
    EXPECT_TRUE(contains(r.out, "Usage: gitops-promotion")) << r.out;
    EXPECT_TRUE(contains(r.out, "--sourcedir")) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
  const CliRun sub = parse_only({"new", "--help"});
  EXPECT_TRUE(contains(sub.out, "--group")) << sub.out;
  EXPECT_TRUE(contains(sub.out, "--image")) << sub.out;
}

TEST(CliParse, VersionWorksAnywhere) {
  for (const std::vector<std::string> &args :
       {std::vector<std::string>{"--version"}, {"lint", "--version"}, {"new", "--version"}}) {
    const CliRun r = parse_only(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "gitops-promotion " + std::string(gitops::cli::k_version) + "\n");
    EXPECT_FALSE(r.invocation.has_value());
  }
}

// CLI11 quotes a stray argument; when that argument is the token (`--token T T`) it is redacted.
TEST(CliParse, UsageErrorsNeverShowTheToken) {
  const CliRun twice = parse_only({"status", "--token", "ghp_twice12345", "ghp_twice12345"});
  EXPECT_EQ(twice.code, 2);
  EXPECT_FALSE(contains(twice.err, "ghp_twice12345")) << twice.err;
  EXPECT_TRUE(contains(twice.err, "***")) << twice.err;
  const CliRun typo = parse_only({"status", "--tokne", "ghp_typo12345"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_FALSE(contains(typo.err, "ghp_typo12345")) << typo.err;
  EXPECT_TRUE(contains(typo.err, "unknown flag \"--tokne\" (did you mean --token?)")) << typo.err;
}

TEST(CliParse, HelpNeverShowsTheToken) {
  const CliRun r = parse_only({"new", "--token", "ghp_supersecret", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(contains(r.out, "ghp_supersecret")) << r.out;
  const CliRun bad = parse_only({"new", "--token", "ghp_supersecret", "--output", "xml"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_FALSE(contains(bad.err, "ghp_supersecret")) << bad.err;
}

} // namespace

TEST(CliParse, GitHubAppFlags) {
  const CliRun r =
      parse_only({"promote", "--github-app-id", "123456", "--github-app-private-key-file",
                  "/keys/app.pem", "--github-app-installation-id", "42"},
                 "/w");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto &g = r.invocation->globals;
  EXPECT_EQ(g.github_app_id.value_or(""), "123456");
  EXPECT_EQ(g.github_app_private_key_file.value_or(""), "/keys/app.pem");
  EXPECT_EQ(g.github_app_installation_id.value_or(""), "42");

  expect_usage_error(parse_only({"promote", "--github-app-installation-id", "42"}, "/w"),
                     "gitops-promotion promote",
                     "--github-app-installation-id: needs --github-app-id");
  expect_usage_error(parse_only({"promote", "--github-app-private-key-file", "k.pem"}, "/w"),
                     "gitops-promotion promote",
                     "--github-app-private-key-file: needs --github-app-id");
  expect_usage_error(parse_only({"promote", "--github-app-id", "12 34"}, "/w"),
                     "gitops-promotion promote", "is not a GitHub App ID");
  expect_usage_error(
      parse_only({"promote", "--github-app-id", "1", "--github-app-installation-id", "x1"}, "/w"),
      "gitops-promotion promote", "is not an installation id");
}

// The CI output layer: detection, escaping, $GITHUB_OUTPUT entries, the summary, publishing, the
// JSON report and the exit codes seen by CI.
#include "cli_harness.hpp"
#include "support/temp_dir.hpp"

#include "gitops/cli/ci.hpp"
#include "gitops/util/output_guard.hpp"
#include "gitops/util/strings.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace {

using gitops::cli::CiSystem;
using gitops::cli::CommandReport;
using gitops::util::fixed_env;

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

CommandReport promoted() {
  CommandReport r;
  r.command = "promote";
  r.branch = "promote/webshop-cart";
  r.pr_number = 42;
  r.pr_url = "https://github.com/acme/gitops/pull/42";
  r.commit = "0123456789abcdef0123456789abcdef01234567";
  r.message = "created branch promote/webshop-cart with pull request 42";
  return r;
}

TEST(CiDetect, GithubAzureOrNone) {
  EXPECT_EQ(gitops::cli::detect_ci(fixed_env({{"GITHUB_ACTIONS", "true"}})),
            CiSystem::github_actions);
  EXPECT_EQ(gitops::cli::detect_ci(fixed_env({{"TF_BUILD", "True"}})), CiSystem::azure_pipelines);
  EXPECT_EQ(gitops::cli::detect_ci(fixed_env({{"GITHUB_ACTIONS", "false"}})), CiSystem::none);
  EXPECT_EQ(gitops::cli::detect_ci(fixed_env({{"GITHUB_ACTIONS", ""}, {"TF_BUILD", ""}})),
            CiSystem::none);
  EXPECT_EQ(gitops::cli::detect_ci(fixed_env({})), CiSystem::none);
}

TEST(CiEscape, GithubWorkflowCommandData) {
  EXPECT_EQ(gitops::cli::escape_github_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
  // % first: an escaped sequence in the input is not left to be decoded by the runner.
  EXPECT_EQ(gitops::cli::escape_github_data("%0A"), "%250A");
  EXPECT_EQ(gitops::cli::escape_github_data("::set-output name=x::y"), "::set-output name=x::y");
  EXPECT_EQ(gitops::cli::escape_github_data(""), "");
}

TEST(CiEscape, AzureLoggingCommandData) {
  EXPECT_EQ(gitops::cli::escape_azure_data("a;b]c%d\r\ne"), "a%3Bb%5Dc%AZP25d%0D%0Ae");
  EXPECT_EQ(gitops::cli::escape_azure_data("##vso[task.complete]"), "##vso[task.complete%5D");
}

TEST(CiRedact, SecretsComeFromTheFlagAndTheTokenVariables) {
  const auto secrets = gitops::cli::secrets_of(std::string("flag-secret"),
                                               fixed_env({{"GITHUB_TOKEN", "gh-secret"},
                                                          {"SYSTEM_ACCESSTOKEN", "az-secret"},
                                                          {"INPUT_TOKEN", "in-secret"},
                                                          {"HOME", "/home/x"},
                                                          {"GH_TOKEN", ""}}));
  const std::vector<std::string> plain(secrets.begin(), secrets.begin() + 4);
  EXPECT_EQ(plain,
            (std::vector<std::string>{"flag-secret", "gh-secret", "az-secret", "in-secret"}));
  // Then each as the Basic authorization header carries it (no user, and each distinct git user
  // of the forges: GitHub's, the one Azure DevOps and Gitea share, GitLab's).
  ASSERT_EQ(secrets.size(), 4U + 4U * 4U);
  EXPECT_EQ(secrets[4], gitops::util::base64_encode(":flag-secret"));
  EXPECT_EQ(secrets[5], gitops::util::base64_encode("x-access-token:flag-secret"));
  EXPECT_EQ(secrets[6], gitops::util::base64_encode("gitops-promotion:flag-secret"));
  EXPECT_EQ(secrets[7], gitops::util::base64_encode("gitlab-ci-token:flag-secret"));
}

TEST(CiRedact, ATokenWithANewlineIsASecretInBothSpellings) {
  const auto secrets =
      gitops::cli::secrets_of(std::nullopt, fixed_env({{"GITOPS_PROMOTION_TOKEN", "tok-123\n"}}));
  EXPECT_EQ(secrets[0], "tok-123\n");
  EXPECT_EQ(secrets[1], "tok-123");
  EXPECT_EQ(gitops::util::redact("used tok-123 here", secrets), "used *** here");
}

TEST(CiGithubOutput, HeredocWithADelimiterNotInTheValue) {
  const std::string entry = gitops::cli::github_output_entry("branch", "line1\nline2");
  const auto first_newline = entry.find('\n');
  const std::string header = entry.substr(0, first_newline);
  ASSERT_EQ(header.rfind("branch<<", 0), 0U) << entry;
  const std::string delimiter = header.substr(8);
  EXPECT_GE(delimiter.size(), 16U);
  EXPECT_EQ(entry, "branch<<" + delimiter + "\nline1\nline2\n" + delimiter + "\n");
  // Two entries get different delimiters, so neither can be guessed.
  EXPECT_NE(gitops::cli::github_output_entry("a", "x"), gitops::cli::github_output_entry("a", "x"));
}

TEST(CiGithubOutput, AnInjectedDelimiterCannotEndTheValue) {
  const std::string value = "x\nEOF\npr-number=999";
  const std::string entry = gitops::cli::github_output_entry("branch", value);
  const std::string delimiter = entry.substr(8, entry.find('\n') - 8);
  EXPECT_FALSE(contains(value, delimiter));
  EXPECT_EQ(entry.substr(entry.size() - delimiter.size() - 1), delimiter + "\n");
}

TEST(CiSummary, ResultSkipAndError) {
  const std::string ok = gitops::cli::step_summary(promoted());
  EXPECT_TRUE(contains(ok, "### gitops-promotion promote\n")) << ok;
  EXPECT_TRUE(contains(ok, "| Branch | `promote/webshop-cart` |")) << ok;
  EXPECT_TRUE(contains(ok, "| Pull request | [#42](https://github.com/acme/gitops/pull/42) |"))
      << ok;

  CommandReport skipped;
  skipped.command = "status";
  skipped.skipped = true;
  skipped.reason = "Promotion was manual | skipping\ncheck";
  const std::string s = gitops::cli::step_summary(skipped);
  EXPECT_TRUE(contains(s, "Skipped: Promotion was manual \\| skipping check")) << s;
  EXPECT_FALSE(contains(s, "| Branch")) << s;

  CommandReport failed;
  failed.command = "new";
  failed.error = "boom ```\nsecond line";
  const std::string f = gitops::cli::step_summary(failed);
  EXPECT_TRUE(contains(f, "### gitops-promotion new failed")) << f;
  EXPECT_TRUE(contains(f, "boom '''\nsecond line")) << f;
}

struct Published {
  std::string lines;
  std::string warnings;
  std::string output_file;
  std::string summary_file;
};

Published publish(const CommandReport &report, std::map<std::string, std::string> env,
                  bool with_outputs = true, const std::vector<std::string> &secrets = {}) {
  gitops::test::TempDir dir("gp-ci-unit-");
  if (env.count("GITHUB_OUTPUT") != 0U) {
    env["GITHUB_OUTPUT"] = (dir.path() / "out").string();
    env["GITHUB_STEP_SUMMARY"] = (dir.path() / "summary").string();
  }
  std::ostringstream lines;
  std::string problems;
  {
    gitops::util::GuardedStream guarded(lines, secrets);
    for (const std::string &problem :
         gitops::cli::publish_to_ci(report, with_outputs, fixed_env(env), secrets, guarded)) {
      problems += problem + "\n";
    }
  }
  Published p{lines.str(), problems, "", ""};
  if (std::filesystem::exists(dir.path() / "out")) {
    p.output_file = gitops::test::read_file(dir.path() / "out");
  }
  if (std::filesystem::exists(dir.path() / "summary")) {
    p.summary_file = gitops::test::read_file(dir.path() / "summary");
  }
  return p;
}

TEST(CiPublish, GithubSuccessWritesFourOutputsAndASummary) {
  const Published p = publish(promoted(), {{"GITHUB_ACTIONS", "true"}, {"GITHUB_OUTPUT", ""}});
  EXPECT_EQ(p.lines, "");
  for (const char *name : {"pr-number<<", "pr-url<<", "branch<<", "commit<<"}) {
    EXPECT_TRUE(contains(p.output_file, name)) << p.output_file;
  }
  EXPECT_TRUE(contains(p.output_file, "\n42\n")) << p.output_file;
  EXPECT_TRUE(contains(p.summary_file, "promote/webshop-cart")) << p.summary_file;
}

TEST(CiPublish, GithubErrorIsOneEscapedLineAndNoOutputs) {
  CommandReport failed;
  failed.command = "status";
  failed.error = "gate failed: 100% red\nkustomization/webshop-dev: failure (token s3cr3t-value)";
  const Published p =
      publish(failed, {{"GITHUB_ACTIONS", "true"}, {"GITHUB_OUTPUT", ""}}, true, {"s3cr3t-value"});
  EXPECT_EQ(p.lines, "::error::gate failed: 100%25 red%0Akustomization/webshop-dev: failure "
                     "(token ***)\n");
  EXPECT_EQ(p.output_file, "");
  EXPECT_FALSE(contains(p.summary_file, "s3cr3t-value"));
  EXPECT_TRUE(contains(p.summary_file, "failed")) << p.summary_file;
}

TEST(CiPublish, GithubOutputsAreSkippedWhenNotWanted) {
  const Published p =
      publish(promoted(), {{"GITHUB_ACTIONS", "true"}, {"GITHUB_OUTPUT", ""}}, false);
  EXPECT_EQ(p.output_file, "");
}

TEST(CiPublish, UnwritableOutputFilesAreReportedWithTheirReason) {
  std::ostringstream sink;
  const std::vector<std::string> no_secrets;
  gitops::util::GuardedStream lines(sink, no_secrets);
  const std::vector<std::string> problems =
      gitops::cli::publish_to_ci(promoted(), true,
                                 fixed_env({{"GITHUB_ACTIONS", "true"},
                                            {"GITHUB_OUTPUT", "/nonexistent-dir/out"},
                                            {"GITHUB_STEP_SUMMARY", "/nonexistent-dir/sum"}}),
                                 {}, lines);
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_EQ(problems[0], "cannot append the outputs to $GITHUB_OUTPUT (/nonexistent-dir/out): "
                         "No such file or directory");
  EXPECT_EQ(problems[1], "cannot append the summary to $GITHUB_STEP_SUMMARY "
                         "(/nonexistent-dir/sum): No such file or directory");
}

TEST(CiPublish, WritableFilesReportNoProblem) {
  const Published p = publish(promoted(), {{"GITHUB_ACTIONS", "true"}, {"GITHUB_OUTPUT", ""}});
  EXPECT_EQ(p.warnings, "");
}

TEST(CiPublish, AzureSetsOutputVariables) {
  const Published p = publish(promoted(), {{"TF_BUILD", "True"}});
  EXPECT_EQ(p.lines, "##vso[task.setvariable variable=prNumber;isOutput=true]42\n"
                     "##vso[task.setvariable variable=prUrl;isOutput=true]"
                     "https://github.com/acme/gitops/pull/42\n"
                     "##vso[task.setvariable variable=branch;isOutput=true]promote/webshop-cart\n"
                     "##vso[task.setvariable variable=commit;isOutput=true]"
                     "0123456789abcdef0123456789abcdef01234567\n");
}

TEST(CiPublish, AzureErrorIsALogIssue) {
  CommandReport failed;
  failed.command = "new";
  failed.error = "push rejected; see ]log[\nnext";
  const Published p = publish(failed, {{"TF_BUILD", "True"}});
  EXPECT_EQ(p.lines, "##vso[task.logissue type=error]push rejected%3B see %5Dlog[%0Anext\n");
}

TEST(CiPublish, NothingOutsideCi) {
  CommandReport failed;
  failed.command = "new";
  failed.error = "x";
  EXPECT_EQ(publish(failed, {}).lines, "");
  EXPECT_EQ(publish(promoted(), {}).lines, "");
}

TEST(CiReportJson, EveryKeyAlwaysPresent) {
  std::ostringstream out;
  CommandReport r = promoted();
  r.changes.push_back(
      {"webshop/qa/cart/deployment.yaml", 9, "1.0.0", "1.1.0", gitops::manifest::Setter::tag});
  gitops::cli::render_report_json(out, r);
  const nlohmann::json j = nlohmann::json::parse(out.str());
  for (const char *key : {"command", "dry_run", "branch", "pull_request", "pull_request_url",
                          "commit", "changes", "skipped", "reason", "message", "error"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("pull_request"), 42);
  EXPECT_TRUE(j.at("error").is_null());
  EXPECT_TRUE(j.at("reason").is_null());
  EXPECT_EQ(j.at("changes")[0].at("new"), "1.1.0");
  EXPECT_EQ(j.at("changes")[0].at("line"), 9);

  std::ostringstream empty;
  gitops::cli::render_report_json(empty, CommandReport{});
  const nlohmann::json e = nlohmann::json::parse(empty.str());
  EXPECT_TRUE(e.at("branch").is_null());
  EXPECT_TRUE(e.at("changes").empty());
}

// Through cli::run: usage errors exit 2 and reach CI; failures exit 1 with the JSON error object.
TEST(CiRun, UsageErrorExitsTwoAndIsAnnotated) {
  const gitops::test::CliRun r =
      gitops::test::execute({"new", "--group", "g", "--token", "flag-tok-12345"},
                            "/nonexistent-cwd", {{"GITHUB_ACTIONS", "true"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out.rfind("::error::", 0), 0U) << r.out;
  EXPECT_FALSE(contains(r.out + r.err, "flag-tok-12345"));
}

TEST(CiRun, FailureInJsonModeIsOneObjectAndTheAnnotationGoesToStderr) {
  gitops::test::TempDir dir("gp-ci-run-");
  const gitops::test::CliRun r =
      gitops::test::execute({"promote", "--output", "json"}, dir.path(), {{"TF_BUILD", "True"}});
  EXPECT_EQ(r.code, 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("command"), "promote");
  EXPECT_TRUE(j.at("error").is_string());
  EXPECT_TRUE(j.at("branch").is_null());
  EXPECT_TRUE(contains(r.err, "##vso[task.logissue type=error]")) << r.err;
}

TEST(CiRun, HelpIsNotReported) {
  const gitops::test::CliRun r =
      gitops::test::execute({"--help"}, "/nonexistent-cwd", {{"GITHUB_ACTIONS", "true"}});
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(contains(r.out, "::")) << r.out;
}

} // namespace

TEST(CiRedact, AGitHubAppKeyIsASecretWholeAndLineByLine) {
  const std::string body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
  const std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n";
  for (const char *name : {"GITHUB_APP_PRIVATE_KEY", "INPUT_APP-PRIVATE-KEY"}) {
    const auto secrets = gitops::cli::secrets_of(std::nullopt, fixed_env({{name, pem}}));
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), body), secrets.end()) << name;
    EXPECT_EQ(gitops::util::redact("key: " + body.substr(0, 64), secrets), "key: ***") << name;
  }
}

TEST(CiPullRequestBranch, GithubThenAzureWithoutRefsHeads) {
  using gitops::cli::ci_pull_request_branch;
  EXPECT_FALSE(ci_pull_request_branch(fixed_env({})));
  EXPECT_FALSE(ci_pull_request_branch(fixed_env({{"GITHUB_HEAD_REF", ""}})));
  EXPECT_EQ(ci_pull_request_branch(fixed_env({{"GITHUB_HEAD_REF", "promote/a"},
                                              {"SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/b"}}))
                .value_or(""),
            "promote/a");
  EXPECT_EQ(ci_pull_request_branch(
                fixed_env({{"SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/promote/webshop-cart"}}))
                .value_or(""),
            "promote/webshop-cart");
  EXPECT_EQ(ci_pull_request_branch(fixed_env({{"SYSTEM_PULLREQUEST_SOURCEBRANCH", "promote/x"}}))
                .value_or(""),
            "promote/x");
  // GitLab CI's merge request pipelines.
  EXPECT_EQ(ci_pull_request_branch(
                fixed_env({{"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "promote/webshop-cart"}}))
                .value_or(""),
            "promote/webshop-cart");
}

#include "gitops/util/output_guard.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

using gitops::util::Escaping;
using gitops::util::GuardedStream;
using gitops::util::neutralise_line;
using gitops::util::redact;

TEST(Redact, ReplacesEverySecretEverywhereLongestFirst) {
  EXPECT_EQ(redact("token abcd and abcd again", {"abcd"}), "token *** and *** again");
  EXPECT_EQ(redact("nothing here", {"abcd"}), "nothing here");
  EXPECT_EQ(redact("abcd", {}), "abcd");
  EXPECT_EQ(redact("keep", {""}), "keep");
  EXPECT_EQ(redact("Bearer ghp_123 / ghp_", {"ghp_", "ghp_123"}), "Bearer *** / ***");
  // Values under four bytes are no credentials and would blank out ordinary text.
  EXPECT_EQ(redact("a b c", {"b"}), "a b c");
  EXPECT_EQ(redact("", {"xxxx"}), "");
}

TEST(Neutralise, PlainTextIsKept) {
  EXPECT_EQ(neutralise_line("created branch promote/a-b with pull request 7", Escaping::text),
            "created branch promote/a-b with pull request 7");
  EXPECT_EQ(neutralise_line("tab\tand ünïcode # and ## and :: inside", Escaping::text),
            "tab\tand ünïcode # and ## and :: inside");
}

TEST(Neutralise, ControlCharactersAreShownEscaped) {
  EXPECT_EQ(neutralise_line("a\rb\x1b[31mc\x7f", Escaping::text), "a\\x0db\\x1b[31mc\\x7f");
  EXPECT_EQ(neutralise_line("a\rb", Escaping::json), "a\\u000db");
  EXPECT_EQ(neutralise_line("csi \xc2\x9b here", Escaping::text), "csi \\u009b here");
}

TEST(Neutralise, AzureCommandsAnywhereAreBroken) {
  EXPECT_EQ(neutralise_line("##vso[task.setvariable variable=pwned]yes", Escaping::text),
            "\\x23#vso[task.setvariable variable=pwned]yes");
  EXPECT_EQ(neutralise_line("file a.yaml: ##VSO[task.complete result=Failed]", Escaping::text),
            "file a.yaml: \\x23#VSO[task.complete result=Failed]");
  EXPECT_EQ(neutralise_line("##[error]fake", Escaping::text), "\\x23#[error]fake");
}

TEST(Neutralise, GithubCommandsAtTheLineStartAreBroken) {
  EXPECT_EQ(neutralise_line("::warning::x", Escaping::text), "\\x3a:warning::x");
  EXPECT_EQ(neutralise_line("   \t::add-mask::x", Escaping::text), "   \t\\x3a:add-mask::x");
  // .NET's Trim also removes Unicode spaces.
  EXPECT_EQ(neutralise_line("\xc2\xa0\xe3\x80\x80::error::x", Escaping::text),
            "\xc2\xa0\xe3\x80\x80\\x3a:error::x");
  // A control character before `::` is escaped first, so the line no longer starts with `::`
  // anyway, and it stays visible.
  EXPECT_EQ(neutralise_line("\r::error::x", Escaping::text), "\\x0d::error::x");
}

TEST(Neutralise, JsonEscapesKeepTheDocumentAndItsValues) {
  const nlohmann::json doc = {{"message", "a ##vso[task.setvariable variable=x]y"}};
  const std::string line = doc.dump();
  const std::string safe = neutralise_line(line, Escaping::json);
  EXPECT_EQ(safe.find("##vso["), std::string::npos) << safe;
  EXPECT_EQ(nlohmann::json::parse(safe), doc);
}

TEST(GuardedStream, EveryLineIsRedactedAndNeutralisedButCommandsPass) {
  std::ostringstream target;
  const std::vector<std::string> secrets = {"s3cret-token"};
  {
    GuardedStream out(target, secrets);
    out << "file a\n##vso[task.setvariable variable=pwned]yes\n.yaml: token s3cr";
    out << "et-token leaked?\n";
    out.command("##vso[task.logissue type=error]boom s3cret-token");
    out << "::warning::x" << std::flush << " partial";
  }
  EXPECT_EQ(target.str(), "file a\n"
                          "\\x23#vso[task.setvariable variable=pwned]yes\n"
                          ".yaml: token *** leaked?\n"
                          "##vso[task.logissue type=error]boom ***\n"
                          "\\x3a:warning::x partial");
}

TEST(GuardedStream, ACommandEndsAPendingLineFirst) {
  std::ostringstream target;
  const std::vector<std::string> secrets;
  GuardedStream out(target, secrets);
  out << "half";
  out.command("::error::x%0Ay\nz");
  out.finish();
  EXPECT_EQ(target.str(), "half\n::error::x%0Ay\\x0az\n");
}

TEST(GuardedStream, SecretsLearntLaterCount) {
  std::ostringstream target;
  std::vector<std::string> secrets;
  GuardedStream out(target, secrets);
  secrets.push_back("late-secret");
  out << "x late-secret\n";
  EXPECT_EQ(target.str(), "x ***\n");
}

TEST(CommandLine, OnlyTheCommandAtTheStartSurvives) {
  using gitops::util::command_line;
  EXPECT_EQ(command_line("##vso[task.logissue type=error]tag \"1%0A##vso[task.complete%5D\"",
                         Escaping::text),
            "##vso[task.logissue type=error]tag \"1%0A\\x23#vso[task.complete%5D\"");
  EXPECT_EQ(command_line("::error::a ##[group]b\rc", Escaping::text),
            "::error::a \\x23#[group]b\\x0dc");
}

} // namespace

// A secret learnt after the stream was made (a GitHub App's token minted mid-run) is redacted from
// the next line on; a list shared with another thread is safe to add to.
TEST(GuardedStream, ASecretListLearntLaterCounts) {
  gitops::util::SecretList secrets({"first-secret"});
  std::ostringstream target;
  {
    gitops::util::GuardedStream out(target, secrets);
    out << "a first-secret and ghs_minted_later_0001\n";
    secrets.add("ghs_minted_later_0001");
    secrets.add("ghs_minted_later_0001");
    secrets.add("");
    out << "a first-secret and ghs_minted_later_0001\n";
  }
  EXPECT_EQ(target.str(), "a *** and ghs_minted_later_0001\na *** and ***\n");
  EXPECT_EQ(secrets.snapshot().size(), 2U);
}

#include "gitops/promotion/pr_state.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gitops::promotion {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view k_sha = "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";

PrState promote_state() {
  PrState s;
  s.group = "apps";
  s.app = "podinfo";
  s.tag = "6.0.1";
  s.env = "qa";
  s.sha = std::string(k_sha);
  return s;
}

PrState feature_state() {
  PrState s;
  s.group = "apps";
  s.app = "podinfo";
  s.tag = "3f2a1b";
  s.env = "dev";
  s.feature = "my-feat";
  s.type = PrType::feature;
  return s;
}

std::string state_error(std::string_view description) {
  try {
    (void)parse_description(description);
  } catch (const StateError &e) {
    return e.what();
  }
  return "<no error>";
}

bool same(const PrState &a, const PrState &b) {
  return a.group == b.group && a.app == b.app && a.tag == b.tag && a.env == b.env &&
         a.sha == b.sha && a.feature == b.feature && a.type == b.type;
}

// --- ports of upstream's pkg/git/pull_request_test.go ------------------------------------------

TEST(PrStateUpstream, Valid) {
  const std::string json =
      R"({"group":"g","app":"a","tag":"t","env":"e","sha":"s","feature":"","type":"promote"})";
  const std::string description = "<!-- metadata = " + json + " -->\n\tENV: e\n\tAPP: a\n\tTAG: t";
  const auto state = parse_description(description);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->group, "g");
  EXPECT_EQ(state->app, "a");
  EXPECT_EQ(state->tag, "t");
  EXPECT_EQ(state->env, "e");
  EXPECT_EQ(state->sha, "s");
  EXPECT_EQ(state->feature, "");
  EXPECT_EQ(state->type, PrType::promote);
  EXPECT_EQ(state->description(), description);
}

TEST(PrStateUpstream, ValidWithoutFeatureKeyFromOlderReleases) {
  const auto state = parse_description(
      "<!-- metadata = {\"group\":\"g\",\"app\":\"a\",\"tag\":\"t\",\"env\":\"e\",\"sha\":\"s\","
      "\"type\":\"promote\"} -->\n\tENV: e\n\tAPP: a\n\tTAG: t");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->type, PrType::promote);
  EXPECT_EQ(state->feature, "");
}

TEST(PrStateUpstream, Invalid) {
  const std::string error = state_error("<!-- metadata = {{ asdasd } -->");
  EXPECT_THAT(error, HasSubstr("malformed PR metadata \"{{ asdasd }\": "));
  EXPECT_THAT(error, HasSubstr("parse error"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("[json.exception")));
}

TEST(PrStateUpstream, None) {
  EXPECT_FALSE(parse_description("Some other data").has_value());
  EXPECT_FALSE(parse_description("").has_value());
  EXPECT_FALSE(parse_description("<!-- just a comment -->").has_value());
  EXPECT_FALSE(parse_description("metadata = {} -->").has_value());
}

TEST(PrStateUpstream, BranchName) {
  PrState s;
  s.group = "group";
  s.app = "app";
  s.tag = "tag";
  s.env = "dev";
  EXPECT_EQ(s.branch_name(config::PrFlow::per_app), "promote/group-app");
  EXPECT_EQ(s.branch_name(config::PrFlow::per_env), "promote/dev/group-app");
  s.type = PrType::feature;
  s.feature = "feature";
  EXPECT_EQ(s.branch_name(config::PrFlow::per_app), "feature/group-app-feature");
  EXPECT_EQ(s.branch_name(config::PrFlow::per_env), "feature/dev/group-app-feature");
}

// --- titles, descriptions, branches ----------------------------------------------------------

TEST(PrState, Titles) {
  EXPECT_EQ(promote_state().title(), "Promote apps/podinfo version 6.0.1 to environment qa");
  // Upstream printed the tag where the feature name belongs.
  EXPECT_EQ(feature_state().title(), "Review apps/podinfo feature my-feat in environment dev");
  EXPECT_EQ(k_stale_title, "Remove stale review features");
  EXPECT_EQ(k_stale_branch, "remove/stale-feature");
}

TEST(PrState, DescriptionIsByteExact) {
  EXPECT_EQ(promote_state().description(),
            "<!-- metadata = "
            "{\"group\":\"apps\",\"app\":\"podinfo\",\"tag\":\"6.0.1\",\"env\":\"qa\",\"sha\":"
            "\"9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c\",\"feature\":\"\",\"type\":\"promote\"} "
            "-->\n\tENV: qa\n\tAPP: podinfo\n\tTAG: 6.0.1");
  EXPECT_EQ(
      to_metadata_json(feature_state()),
      R"({"group":"apps","app":"podinfo","tag":"3f2a1b","env":"dev","sha":"","feature":"my-feat","type":"feature"})");
  EXPECT_EQ(feature_state().branch_name(config::PrFlow::per_app), "feature/apps-podinfo-my-feat");
  EXPECT_EQ(feature_state().branch_name(config::PrFlow::per_env),
            "feature/dev/apps-podinfo-my-feat");
}

TEST(PrState, JsonEscapingMatchesGo) {
  PrState s = promote_state();
  s.tag = "<b>&\"q\"\\";
  EXPECT_THAT(to_metadata_json(s), HasSubstr(R"("tag":"\u003cb\u003e\u0026\"q\"\\")"));
  s.tag = "a\nb\rc\td\x01"
          "e\x1f\x7f";
  EXPECT_THAT(to_metadata_json(s), HasSubstr("\"tag\":\"a\\nb\\rc\\td\\u0001e\\u001f\x7f\""));
  s.tag = "\b\f"; // Go 1.17 has no short forms for these
  EXPECT_THAT(to_metadata_json(s), HasSubstr(R"("tag":"\u0008\u000c")"));
  s.tag = "x\xe2\x80\xa8y\xe2\x80\xa9z";
  EXPECT_THAT(to_metadata_json(s), HasSubstr(R"("tag":"x\u2028y\u2029z")"));
  s.tag = "v1-\xc3\xa9t\xc3\xa9-\xf0\x9f\x9a\x80"; // non-ASCII stays UTF-8
  EXPECT_THAT(to_metadata_json(s), HasSubstr("\"tag\":\"v1-\xc3\xa9t\xc3\xa9-\xf0\x9f\x9a\x80\""));
  s.tag = "a\xff"
          "b\xc3"; // each invalid byte becomes U+FFFD, as Go does
  EXPECT_THAT(to_metadata_json(s), HasSubstr(R"("tag":"a\ufffdb\ufffd")"));
  s.tag = "x -->y";
  EXPECT_THAT(s.description(), HasSubstr(R"("tag":"x --\u003ey")"));
  // The visible lines are upstream's raw text.
  EXPECT_THAT(s.description(), ::testing::EndsWith("\n\tTAG: x -->y"));
}

TEST(PrState, RoundTrips) {
  std::vector<PrState> states{promote_state(), feature_state()};
  PrState odd = promote_state();
  odd.tag = "1.0.0+build<7>&\"x\"\\ \xe2\x80\xa8 \xc3\xa9 -->";
  odd.sha = "";
  states.push_back(odd);
  PrState overwrite = feature_state();
  overwrite.sha = std::string(k_sha);
  states.push_back(overwrite);
  for (const auto &s : states) {
    SCOPED_TRACE(s.description());
    const auto parsed = parse_description(s.description());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(same(*parsed, s));
    EXPECT_EQ(parsed->description(), s.description());
  }
}

// --- parsing ----------------------------------------------------------------------------------

TEST(ParseDescription, UpstreamMadeBody) {
  // As upstream v1.4.0 wrote it for a promotion to prod.
  const std::string body =
      "<!-- metadata = {\"group\":\"testgroup\",\"app\":\"testapp\",\"tag\":\"v1.2.3\","
      "\"env\":\"prod\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"feature\":\"\","
      "\"type\":\"promote\"} -->\n\tENV: prod\n\tAPP: testapp\n\tTAG: v1.2.3";
  const auto state = parse_description(body);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->group, "testgroup");
  EXPECT_EQ(state->env, "prod");
  EXPECT_EQ(state->sha, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(state->description(), body);
}

TEST(ParseDescription, SkipsTemplateCommentsBeforeTheMarker) {
  const std::string body = "<!-- Thanks for your PR! Describe the change below. -->\n"
                           "## Checklist\n<!--\n  - tests\n-->\n" +
                           promote_state().description() + "\n\n<!-- footer -->";
  const auto state = parse_description(body);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(same(*state, promote_state()));
}

TEST(ParseDescription, CrlfBody) {
  std::string body;
  for (char c : promote_state().description()) {
    if (c == '\n') {
      body += '\r';
    }
    body += c;
  }
  body = "<!-- template -->\r\n" + body + "\r\n";
  const auto state = parse_description(body);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(same(*state, promote_state()));
}

TEST(ParseDescription, ToleratesWhitespaceInTheMarker) {
  const auto state =
      parse_description("<!--metadata={\"group\":\"g\",\"app\":\"a\",\"env\":\"e\"}-->");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->group, "g");
  const auto multi = parse_description(
      "<!--\n  metadata =\n  {\"group\": \"g\",\n   \"app\": \"a\", \"env\": \"e\"}\n-->");
  ASSERT_TRUE(multi.has_value());
  EXPECT_EQ(multi->app, "a");
}

TEST(ParseDescription, HandMadeArrowInsideAString) {
  const auto state =
      parse_description(R"(<!-- metadata = {"group":"g","app":"a","env":"e","tag":"x --> y"} -->)");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->tag, "x --> y");
}

TEST(ParseDescription, GoLikeDecoding) {
  // Missing or empty type = promote; unknown keys ignored; keys match case-insensitively; null
  // leaves the field empty.
  const auto state = parse_description(
      R"(<!-- metadata = {"Group":"g","APP":"a","Env":"e","tag":null,"type":"","extra":{"x":[1]}} -->)");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->group, "g");
  EXPECT_EQ(state->app, "a");
  EXPECT_EQ(state->env, "e");
  EXPECT_EQ(state->tag, "");
  EXPECT_EQ(state->type, PrType::promote);
  const auto escaped = parse_description(
      R"(<!-- metadata = {"group":"g","app":"a","env":"e","tag":"\u003cb\u003e \u00e9"} -->)");
  ASSERT_TRUE(escaped.has_value());
  EXPECT_EQ(escaped->tag, "<b> \xc3\xa9");
  const auto feature = parse_description(
      R"(<!-- metadata = {"group":"g","app":"a","env":"e","feature":"f1","type":"feature"} -->)");
  ASSERT_TRUE(feature.has_value());
  EXPECT_EQ(feature->type, PrType::feature);
  EXPECT_EQ(feature->feature, "f1");
}

TEST(ParseDescription, Errors) {
  EXPECT_EQ(state_error(R"(<!-- metadata = {"group":"g","app":"a","env":"e","tag":5} -->)"),
            "malformed PR metadata: \"tag\" must be a string, got number");
  EXPECT_EQ(state_error(R"(<!-- metadata = {"group":"g","app":"a","env":"e","type":"demote"} -->)"),
            "malformed PR metadata: unknown type \"demote\" (expected promote or feature)");
  EXPECT_EQ(state_error(R"(<!-- metadata = ["g"] -->)"),
            "malformed PR metadata \"[\\\"g\\\"]\": expected a JSON object");
  EXPECT_EQ(state_error("<!-- metadata = {\"group\":\"g\"}"),
            "malformed PR metadata: the comment `<!-- metadata = ` is not closed by `-->`");
  EXPECT_THAT(state_error("<!-- metadata = {\"group\":\"g\"} trailing -->"),
              HasSubstr("malformed PR metadata"));
  EXPECT_THAT(state_error("<!-- metadata =  -->"), HasSubstr("malformed PR metadata \"\": "));
}

TEST(ParseDescription, RejectsUnsafeNames) {
  EXPECT_EQ(state_error(R"(<!-- metadata = {"group":"g","app":"a","env":"../../etc"} -->)"),
            "invalid env name \"../../etc\": must not contain '/'");
  EXPECT_EQ(state_error(R"(<!-- metadata = {"group":"","app":"a","env":"e"} -->)"),
            "invalid group name \"\": must not be empty");
  EXPECT_EQ(state_error(R"(<!-- metadata = {"group":"g","app":"a b","env":"e"} -->)"),
            "invalid app name \"a b\": must not contain whitespace");
  // A feature whose name sanitised to nothing is still a (recognisable) feature PR...
  const auto empty_feature = parse_description(
      R"(<!-- metadata = {"group":"g","app":"a","env":"e","type":"feature"} -->)");
  ASSERT_TRUE(empty_feature.has_value());
  EXPECT_EQ(empty_feature->type, PrType::feature);
  // ...but no branch can be named after it.
  EXPECT_THROW((void)empty_feature->branch_name(config::PrFlow::per_app), StateError);
  EXPECT_EQ(
      state_error(
          R"(<!-- metadata = {"group":"g","app":"a","env":"e","feature":"x:y","type":"feature"} -->)"),
      "invalid feature name \"x:y\": must not contain ':'");
}

TEST(PrState, BranchNameRejectsUnsafeNames) {
  PrState s = promote_state();
  s.group = "a/b";
  EXPECT_THROW((void)s.branch_name(config::PrFlow::per_app), StateError);
  s = promote_state();
  s.env = "..";
  EXPECT_NO_THROW((void)s.branch_name(config::PrFlow::per_app)); // env is not part of it
  EXPECT_THROW((void)s.branch_name(config::PrFlow::per_env), StateError);
  s = feature_state();
  s.feature = "";
  EXPECT_THROW((void)s.branch_name(config::PrFlow::per_app), StateError);
  s.feature = "-leading-dash-is-fine-after-the-app";
  EXPECT_EQ(s.branch_name(config::PrFlow::per_app),
            "feature/apps-podinfo--leading-dash-is-fine-after-the-app");
}

} // namespace
} // namespace gitops::promotion

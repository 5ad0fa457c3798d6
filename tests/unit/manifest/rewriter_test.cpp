#include "gitops/manifest/image_ref.hpp"
#include "gitops/manifest/rewriter.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace gitops::manifest {
namespace {

const std::string k_sha_a = "sha256:" + std::string(64, 'a');
const std::string k_sha_b = "sha256:" + std::string(64, 'b');

ImageUpdate tag_only(std::string tag = "v1.0.1") {
  return ImageUpdate{"team1", "app1", std::move(tag), std::nullopt, std::nullopt};
}

ImageUpdate full(std::string name, std::string tag, std::optional<std::string> digest = {}) {
  return ImageUpdate{"team1", "app1", std::move(tag), std::move(name), std::move(digest)};
}

// Every output must still be YAML that yaml-cpp's LoadAll reads.
void expect_parses(const std::string &text) {
  EXPECT_NO_THROW({ (void)YAML::LoadAll(text); }) << text;
}

struct Case {
  std::string name;
  std::string before;
  std::string after; // == before when nothing may change
  ImageUpdate update = tag_only();
  int matched = -1; // -1: do not check
};

void run_cases(const std::vector<Case> &cases) {
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    const RewriteResult r = rewrite(c.before, c.update, "env/app.yaml");
    EXPECT_EQ(r.content, c.after);
    if (c.after == c.before) {
      EXPECT_TRUE(r.changes.empty());
    } else {
      EXPECT_FALSE(r.changes.empty());
      expect_parses(r.content);
    }
    if (c.matched >= 0) {
      EXPECT_EQ(r.matched, c.matched);
    }
  }
}

constexpr const char *k_m = R"({"$imagepolicy": "team1:app1"})";
constexpr const char *k_mt = R"({"$imagepolicy": "team1:app1:tag"})";
constexpr const char *k_mn = R"({"$imagepolicy": "team1:app1:name"})";
constexpr const char *k_md = R"({"$imagepolicy": "team1:app1:digest"})";

std::string m(const char *marker) {
  return std::string("# ") + marker;
}

TEST(Rewriter, UpstreamImageTestCases) {
  run_cases({
      {"whole image", "random: test\nimage: app1:v1.0.0 " + m(k_m) + "\nwhy: true\n",
       "random: test\nimage: app1:v1.0.1 " + m(k_m) + "\nwhy: true\n", tag_only(), 1},
      {"tag only", "random: test\ntag: v1.0.0 " + m(k_mt) + "\nwhy: true\n",
       "random: test\ntag: v1.0.1 " + m(k_mt) + "\nwhy: true\n", tag_only(), 1},
      {"quoted number", "random: test\ntag: \"1234\" " + m(k_mt) + "\nwhy: true\n",
       "random: test\ntag: \"v1.0.1\" " + m(k_mt) + "\nwhy: true\n", tag_only(), 1},
      // Upstream issue #32 left `tag: !!int v1.0.1`; a plain string needs no tag and no quotes.
      {"plain number", "random: test\ntag: 1234 " + m(k_mt) + "\nwhy: true\n",
       "random: test\ntag: v1.0.1 " + m(k_mt) + "\nwhy: true\n", tag_only(), 1},
  });
}

TEST(Rewriter, MarkerCommentForms) {
  const std::string base = "tag: v1 ";
  run_cases({
      {"double hash", "tag: v1 ## " + std::string(k_mt) + "\n",
       "tag: v1.0.1 ## " + std::string(k_mt) + "\n"},
      {"no space after hash", "tag: v1 #" + std::string(k_mt) + "\n",
       "tag: v1.0.1 #" + std::string(k_mt) + "\n"},
      {"tab before comment", "tag: v1\t" + m(k_mt) + "\n", "tag: v1.0.1\t" + m(k_mt) + "\n"},
      {"extra string keys are ignored",
       R"(tag: v1 # {"note": "x", "$imagepolicy": "team1:app1:tag"})"
       "\n",
       R"(tag: v1.0.1 # {"note": "x", "$imagepolicy": "team1:app1:tag"})"
       "\n"},
      {"escaped key",
       R"(tag: v1 # {"\u0024imagepolicy": "team1:app1:tag"} "$imagepolicy")"
       "\n",
       R"(tag: v1 # {"\u0024imagepolicy": "team1:app1:tag"} "$imagepolicy")"
       "\n"},
      {"text after the JSON is inert", base + m(k_mt) + " # bump me\n",
       base + m(k_mt) + " # bump me\n", tag_only(), 0},
      {"single quotes are inert", "tag: v1 # {'$imagepolicy': 'team1:app1:tag'} \"$imagepolicy\"\n",
       "tag: v1 # {'$imagepolicy': 'team1:app1:tag'} \"$imagepolicy\"\n", tag_only(), 0},
      {"non-string value is inert",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:tag", "n": 1})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:tag", "n": 1})"
       "\n",
       tag_only(), 0},
      {"unknown suffix",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:version"})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:version"})"
       "\n",
       tag_only(), 0},
      {"capitalised suffix",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:Tag"})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "team1:app1:Tag"})"
       "\n",
       tag_only(), 0},
      {"other app",
       R"(tag: v1 # {"$imagepolicy": "team1:app2:tag"})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "team1:app2:tag"})"
       "\n",
       tag_only(), 0},
      {"other namespace",
       R"(tag: v1 # {"$imagepolicy": "team2:app1:tag"})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "team2:app1:tag"})"
       "\n",
       tag_only(), 0},
      {"no namespace",
       R"(tag: v1 # {"$imagepolicy": "app1"})"
       "\n",
       R"(tag: v1 # {"$imagepolicy": "app1"})"
       "\n",
       tag_only(), 0},
      {"longhand",
       "tag: v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.team1:app1:tag\"}\n"
       "# \"$imagepolicy\" appears in this file\n",
       "tag: v1.0.1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.team1:app1:tag\"}\n"
       "# \"$imagepolicy\" appears in this file\n"},
      {"longhand alone: Flux does not read the file",
       "tag: v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.team1:app1:tag\"}\n",
       "tag: v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.team1:app1:tag\"}\n", tag_only(),
       0},
      {"prose mentioning the token", "# the \"$imagepolicy\" marker goes at the end\ntag: v1\n",
       "# the \"$imagepolicy\" marker goes at the end\ntag: v1\n", tag_only(), 0},
  });
}

TEST(Rewriter, HeadCommentAboveSequenceItem) {
  run_cases({
      {"applies", "images:\n" + m(k_m) + "\n- app1:v1.0.0\n- other:1\n",
       "images:\n" + m(k_m) + "\n- app1:v1.0.1\n- other:1\n", tag_only(), 1},
      {"indented sequence", "spec:\n  args:\n    " + m(k_mt) + "\n    - v1\n",
       "spec:\n  args:\n    " + m(k_mt) + "\n    - v1.0.1\n"},
      {"line marker on the item wins", "list:\n" + m(k_mn) + "\n- v1 " + m(k_mt) + "\n",
       "list:\n" + m(k_mn) + "\n- v1.0.1 " + m(k_mt) + "\n", tag_only(), 1},
      {"non-marker line comment hides it", "list:\n" + m(k_mt) + "\n- v1 # pinned\n",
       "list:\n" + m(k_mt) + "\n- v1 # pinned\n", tag_only(), 0},
      {"must be a single comment line", "list:\n# note\n" + m(k_mt) + "\n- v1\n",
       "list:\n# note\n" + m(k_mt) + "\n- v1\n", tag_only(), 0},
      {"comment line below it", "list:\n" + m(k_mt) + "\n# note\n- v1\n",
       "list:\n" + m(k_mt) + "\n# note\n- v1\n", tag_only(), 0},
      {"blank line between", "list:\n" + m(k_mt) + "\n\n- v1\n", "list:\n" + m(k_mt) + "\n\n- v1\n",
       tag_only(), 0},
      {"not above a mapping value", m(k_mt) + "\ntag: v1\n", m(k_mt) + "\ntag: v1\n", tag_only(),
       0},
      {"not above a mapping item", "list:\n" + m(k_mt) + "\n- tag: v1\n",
       "list:\n" + m(k_mt) + "\n- tag: v1\n", tag_only(), 0},
      {"not at another column", "list:\n  " + m(k_mt) + "\n- v1\n",
       "list:\n  " + m(k_mt) + "\n- v1\n", tag_only(), 0},
  });
}

TEST(Rewriter, PreservesEverythingButTheScalar) {
  const std::string crlf = "a: 1\r\nimage: app1:v1.0.0 " + m(k_m) + "\r\nb: [x, y] # c\r\n";
  const std::string bom = "\xEF\xBB\xBFimage: app1:v1.0.0 " + m(k_m) + "\n";
  run_cases({
      {"CRLF", crlf, "a: 1\r\nimage: app1:v1.0.1 " + m(k_m) + "\r\nb: [x, y] # c\r\n"},
      {"BOM", bom, "\xEF\xBB\xBFimage: app1:v1.0.1 " + m(k_m) + "\n"},
      {"no final newline", "image: app1:v1.0.0 " + m(k_m), "image: app1:v1.0.1 " + m(k_m)},
      {"single quotes kept", "tag: 'v1' " + m(k_mt) + "\n", "tag: 'v1.0.1' " + m(k_mt) + "\n"},
      {"double quotes kept", "tag: \"v1\" " + m(k_mt) + "\n", "tag: \"v1.0.1\" " + m(k_mt) + "\n"},
      {"comment column not realigned", "tag: 5.0.0        " + m(k_mt) + "\n",
       "tag: v1.0.1        " + m(k_mt) + "\n"},
      {"anchor kept", "image: &img app1:v1.0.0 " + m(k_m) + "\nother: *img\n",
       "image: &img app1:v1.0.1 " + m(k_m) + "\nother: *img\n"},
      {"alias is not a scalar", "a: &img app1:v1\nimage: *img " + m(k_m) + "\n",
       "a: &img app1:v1\nimage: *img " + m(k_m) + "\n", tag_only(), 0},
      {"hash inside quotes", "note: \"a # b\" " + m(k_mt) + "\n",
       "note: \"v1.0.1\" " + m(k_mt) + "\n"},
      {"hash inside plain value", "note: a#b " + m(k_mt) + "\n", "note: v1.0.1 " + m(k_mt) + "\n"},
      {"quoted key", "\"image\": app1:v1 " + m(k_m) + "\n",
       "\"image\": app1:v1.0.1 " + m(k_m) + "\n"},
      {"key with spaces", "my image: app1:v1 " + m(k_m) + "\n",
       "my image: app1:v1.0.1 " + m(k_m) + "\n"},
      {"tab as separator", "image:\tapp1:v1 " + m(k_m) + "\n",
       "image:\tapp1:v1.0.1 " + m(k_m) + "\n"},
      {"nested sequence item", "a:\n- - v1 " + m(k_mt) + "\n", "a:\n- - v1.0.1 " + m(k_mt) + "\n"},
      {"null value", "tag: ~ " + m(k_mt) + "\n", "tag: v1.0.1 " + m(k_mt) + "\n"},
      {"empty quoted value", "tag: \"\" " + m(k_mt) + "\n", "tag: \"v1.0.1\" " + m(k_mt) + "\n"},
      {"already right", "tag: v1.0.1 " + m(k_mt) + "\n", "tag: v1.0.1 " + m(k_mt) + "\n",
       tag_only(), 1},
      {"empty file", "", "", tag_only(), 0},
      {"several markers", "a: v0 " + m(k_mt) + "\nb: app1:v0 " + m(k_m) + "\n",
       "a: v1.0.1 " + m(k_mt) + "\nb: app1:v1.0.1 " + m(k_m) + "\n", tag_only(), 2},
  });
}

TEST(Rewriter, KeepsOtherDocumentsAndBlockScalars) {
  const std::string doc2 = "---\n# second\nkind: ConfigMap\ndata:\n  script: |\n    echo hi # " +
                           std::string(k_mt) + "\n    tag: v0 " + m(k_mt) + "\n  x: >-\n" +
                           "    folded\n";
  run_cases({
      {"multi-document",
       "kind: A\ntag: v0 " + m(k_mt) + "\n" + doc2 + "---\ntag: v0 " + m(k_mt) + "\n...\n",
       "kind: A\ntag: v1.0.1 " + m(k_mt) + "\n" + doc2 + "---\ntag: v1.0.1 " + m(k_mt) + "\n...\n",
       tag_only(), 2},
      {"block scalar with indicators",
       "a: |2-\n    tag: v0 " + m(k_mt) + "\nb: >+\n  x " + m(k_mt) + "\n\ntag: v0 " + m(k_mt) +
           "\n",
       "a: |2-\n    tag: v0 " + m(k_mt) + "\nb: >+\n  x " + m(k_mt) + "\n\ntag: v1.0.1 " + m(k_mt) +
           "\n",
       tag_only(), 1},
      {"block scalar in a sequence", "- |\n  tag: v0 " + m(k_mt) + "\n- v0 " + m(k_mt) + "\n",
       "- |\n  tag: v0 " + m(k_mt) + "\n- v1.0.1 " + m(k_mt) + "\n", tag_only(), 1},
      {"marker on a block scalar header", "tag: | " + m(k_mt) + "\n  v0\n",
       "tag: | " + m(k_mt) + "\n  v0\n", tag_only(), 0},
  });
}

TEST(Rewriter, IgnoresMarkersWhereFluxDoesOrWeDoNotSupport) {
  const std::string flow1 = "images: [{name: a, newTag: v1}] " + m(k_mt) + "\n";
  const std::string flow2 = "x: {newTag: v1} " + m(k_mt) + "\n";
  const std::string flow3 = "x: {\n  newTag: v1, " + m(k_mt) + "\n  y: z\n}\n";
  const std::string on_key = "newTag: " + m(k_mt) + "\n  v1\n";
  const std::string multi_plain = "tag: a\n  v1 " + m(k_mt) + "\n";
  const std::string multi_quoted = "tag: \"a\n  v1\" " + m(k_mt) + "\n";
  const std::string root = "--- v1 " + m(k_mt) + "\n";
  const std::string complex = "? tag\n: v1 " + m(k_mt) + "\n";
  run_cases({
      {"one-line flow sequence", flow1, flow1, tag_only(), 0},
      {"one-line flow mapping", flow2, flow2, tag_only(), 0},
      {"multi-line flow", flow3, flow3, tag_only(), 0},
      {"on a key", on_key, on_key, tag_only(), 0},
      {"multi-line plain scalar", multi_plain, multi_plain, tag_only(), 0},
      {"multi-line quoted scalar", multi_quoted, multi_quoted, tag_only(), 0},
      {"root scalar", root, root, tag_only(), 0},
      {"complex key", complex, complex, tag_only(), 0},
  });
}

TEST(Rewriter, QuotesValuesThatWouldNotReadAsStrings) {
  for (const std::string tag :
       {"1234",  "1e3", "0e5",  "1E3",   "yes",        "no",   "on",   "off",      "y",     "n",
        "Y",     "N",   "true", "False", "null",       "Null", "NULL", "0x1F",     "0o17",  "0b101",
        "1_000", "017", "1.5",  "1.",    "2023-01-15", "inf",  "nan",  "Infinity", "190_20"}) {
    SCOPED_TRACE(tag);
    const auto r = rewrite("tag: v0 " + m(k_mt) + "\n", tag_only(tag), "f.yaml");
    EXPECT_EQ(r.content, "tag: \"" + tag + "\" " + m(k_mt) + "\n");
    const auto node = YAML::Load(r.content);
    EXPECT_EQ(node["tag"].Tag(), "!");
    EXPECT_EQ(node["tag"].as<std::string>(), tag);
  }
  for (const std::string tag : {"v1.0.1", "1.0.0", "1.2.3-rc.1", "latest", "main-abc123", "e5",
                                "_x", "2023-01-15-1", "0xZZ", "1e", "yesterday"}) {
    SCOPED_TRACE(tag);
    const auto r = rewrite("tag: v0 " + m(k_mt) + "\n", tag_only(tag), "f.yaml");
    EXPECT_EQ(r.content, "tag: " + tag + " " + m(k_mt) + "\n");
  }
}

TEST(Rewriter, DropsNonStringTags) {
  run_cases({
      {"!!int dropped", "tag: !!int 1234 " + m(k_mt) + "\n", "tag: v1.0.1 " + m(k_mt) + "\n"},
      {"!!int dropped, numeric value quoted", "tag: !!int 1234 " + m(k_mt) + "\n",
       "tag: \"5678\" " + m(k_mt) + "\n", tag_only("5678")},
      {"!!float before an anchor", "tag: !!float &t 1.5 " + m(k_mt) + "\n",
       "tag: &t v1.0.1 " + m(k_mt) + "\n"},
      {"anchor before !!int", "tag: &t !!int 1 " + m(k_mt) + "\n",
       "tag: &t v1.0.1 " + m(k_mt) + "\n"},
      {"verbatim int tag", "tag: !<tag:yaml.org,2002:int> 1 " + m(k_mt) + "\n",
       "tag: \"2\" " + m(k_mt) + "\n", tag_only("2")},
      {"!!str kept", "tag: !!str 1234 " + m(k_mt) + "\n", "tag: !!str \"5678\" " + m(k_mt) + "\n",
       tag_only("5678")},
      {"!!str kept on a plain string", "tag: !!str v0 " + m(k_mt) + "\n",
       "tag: !!str v1.0.1 " + m(k_mt) + "\n"},
      {"same text, int tag: left alone", "tag: !!int 1234 " + m(k_mt) + "\n",
       "tag: !!int 1234 " + m(k_mt) + "\n", tag_only("1234"), 1},
  });
}

TEST(Rewriter, SetterValues) {
  const std::string name = "ghcr.io/org/app1";
  run_cases({
      {":name with a name", "repository: old/app " + m(k_mn) + "\n",
       "repository: ghcr.io/org/app1 " + m(k_mn) + "\n", full(name, "v1.0.1"), 1},
      {":name without a name is left but matched", "repository: old/app " + m(k_mn) + "\n",
       "repository: old/app " + m(k_mn) + "\n", tag_only(), 1},
      {":digest with a digest", "digest: " + k_sha_a + " " + m(k_md) + "\n",
       "digest: " + k_sha_b + " " + m(k_md) + "\n", full(name, "v1.0.1", k_sha_b), 1},
      {":digest without a digest is left but matched", "digest: " + k_sha_a + " " + m(k_md) + "\n",
       "digest: " + k_sha_a + " " + m(k_md) + "\n", full(name, "v1.0.1"), 1},
      {"whole image with a name", "image: app1:v1 " + m(k_m) + "\n",
       "image: ghcr.io/org/app1:v1.0.1 " + m(k_m) + "\n", full(name, "v1.0.1")},
      {"whole image with name and digest", "image: app1:v1 " + m(k_m) + "\n",
       "image: ghcr.io/org/app1:v1.0.1@" + k_sha_b + " " + m(k_m) + "\n",
       full(name, "v1.0.1", k_sha_b)},
      {"tag only keeps registry and port", "image: localhost:5000/team/app:1.0 " + m(k_m) + "\n",
       "image: localhost:5000/team/app:v1.0.1 " + m(k_m) + "\n"},
      {"tag only drops the old digest", "image: ghcr.io/o/a:1.0@" + k_sha_a + " " + m(k_m) + "\n",
       "image: ghcr.io/o/a:v1.0.1 " + m(k_m) + "\n"},
      {"tag and digest keep the name", "image: ghcr.io/o/a:1.0@" + k_sha_a + " " + m(k_m) + "\n",
       "image: ghcr.io/o/a:v1.0.1@" + k_sha_b + " " + m(k_m) + "\n",
       ImageUpdate{"team1", "app1", "v1.0.1", std::nullopt, k_sha_b}},
      {"tag only on a value without a tag", "image: nginx " + m(k_m) + "\n",
       "image: nginx:v1.0.1 " + m(k_m) + "\n"},
      {"tag only on a port without a tag", "image: localhost:5000/app " + m(k_m) + "\n",
       "image: localhost:5000/app:v1.0.1 " + m(k_m) + "\n"},
  });
}

// The seed README marks `image: ghcr.io/my-org/webui:1234567` with a `:tag` marker. Flux would
// write the bare tag there; the tool keeps the reference and says so.
TEST(Rewriter, TagMarkerOnAWholeReferenceKeepsTheReference) {
  run_cases({
      {"seed README example", "image: ghcr.io/my-org/webui:1234567 " + m(k_mt) + "\n",
       "image: ghcr.io/my-org/webui:v1.0.1 " + m(k_mt) + "\n", tag_only(), 1},
      {"registry port", "image: localhost:5000/app1:1 " + m(k_mt) + "\n",
       "image: localhost:5000/app1:v1.0.1 " + m(k_mt) + "\n"},
      {"repository without a registry", "image: app1:1 " + m(k_mt) + "\n",
       "image: app1:v1.0.1 " + m(k_mt) + "\n"},
      {"a stale digest is dropped", "image: ghcr.io/o/a:1@" + k_sha_a + " " + m(k_mt) + "\n",
       "image: ghcr.io/o/a:v1.0.1 " + m(k_mt) + "\n"},
      {"name@digest gets a tag", "image: ghcr.io/o/a@" + k_sha_a + " " + m(k_mt) + "\n",
       "image: ghcr.io/o/a:v1.0.1 " + m(k_mt) + "\n"},
      {"the update's digest is written", "image: ghcr.io/o/a:1 " + m(k_mt) + "\n",
       "image: ghcr.io/o/a:v1.0.1@" + k_sha_b + " " + m(k_mt) + "\n",
       ImageUpdate{"team1", "app1", "v1.0.1", std::nullopt, k_sha_b}},
      {"bare tags are unchanged", "newTag: \"1\" " + m(k_mt) + "\n",
       "newTag: \"v1.0.1\" " + m(k_mt) + "\n"},
      {"tag@digest is a tag (Flux's digest pinning)", "tag: 1@" + k_sha_a + " " + m(k_mt) + "\n",
       "tag: v1.0.1 " + m(k_mt) + "\n"},
  });

  const RewriteResult whole =
      rewrite("image: ghcr.io/my-org/webui:1234567 " + m(k_mt) + "\n", tag_only(), "env/app.yaml");
  ASSERT_EQ(whole.warnings.size(), 1U);
  EXPECT_EQ(whole.warnings[0].line, 1);
  EXPECT_FALSE(whole.warnings[0].error);
  EXPECT_THAT(whole.warnings[0].message, testing::HasSubstr("\"ghcr.io/my-org/webui:1234567\""));
  EXPECT_THAT(whole.warnings[0].message, testing::HasSubstr("mark it \"team1:app1\""));
  // Already right: nothing changes, but the marker is still worth the warning.
  const RewriteResult same =
      rewrite("image: ghcr.io/my-org/webui:v1.0.1 " + m(k_mt) + "\n", tag_only(), "env/app.yaml");
  EXPECT_TRUE(same.changes.empty());
  EXPECT_EQ(same.warnings.size(), 1U);
  for (const std::string &bare : {std::string("newTag: \"1\" "), "tag: 1@" + k_sha_a + " "}) {
    EXPECT_TRUE(rewrite(bare + m(k_mt) + "\n", tag_only(), "f.yaml").warnings.empty()) << bare;
  }
}

TEST(ImageRef, WholeReferenceInTagValue) {
  EXPECT_EQ(whole_reference_in_tag_value("ghcr.io/my-org/webui:1234567")->name,
            "ghcr.io/my-org/webui");
  EXPECT_EQ(whole_reference_in_tag_value("ghcr.io/my-org/webui:1234567")->tag, "1234567");
  EXPECT_EQ(whole_reference_in_tag_value("localhost:5000/a@" + k_sha_a)->name, "localhost:5000/a");
  EXPECT_EQ(whole_reference_in_tag_value("localhost:5000/a@" + k_sha_a)->tag, "");
  EXPECT_FALSE(whole_reference_in_tag_value("1.2.3"));
  EXPECT_FALSE(whole_reference_in_tag_value("1.2.3@" + k_sha_a));
  EXPECT_FALSE(whole_reference_in_tag_value("ghcr.io/o/a"));       // no version
  EXPECT_FALSE(whole_reference_in_tag_value("Upper/Case:1"));      // not a valid name
  EXPECT_FALSE(whole_reference_in_tag_value("a:b:c"));             // not a reference
  EXPECT_FALSE(whole_reference_in_tag_value("ghcr.io/o/a:1@bad")); // bad digest
}

TEST(Rewriter, RealManifests) {
  const std::string deployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: app1 # the app
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/org/app1:v1.0.0 # {"$imagepolicy": "team1:app1"}
      containers:
      - name: app
        image: "ghcr.io/org/app1:v1.0.0" # {"$imagepolicy": "team1:app1"}
        args: ["--x", "y"]
      - name: sidecar
        image: envoy:1.2 # {"$imagepolicy": "team1:envoy"}
)";
  std::string expected = deployment;
  for (auto pos = expected.find("v1.0.0"); pos != std::string::npos;
       pos = expected.find("v1.0.0")) {
    expected.replace(pos, 6, "v1.0.1");
  }
  const std::string kustomization = R"(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
- name: app1
  newName: ghcr.io/org/app1 # {"$imagepolicy": "team1:app1:name"}
  newTag: v1.0.0            # {"$imagepolicy": "team1:app1:tag"}
  digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # {"$imagepolicy": "team1:app1:digest"}
- name: other
  newTag: "7" # {"$imagepolicy": "team1:other:tag"}
)";
  std::string kust_after = kustomization;
  kust_after.replace(kust_after.find("ghcr.io/org/app1 "), 16,
                     "registry.example.com:5000/org/app1");
  kust_after.replace(kust_after.find("newTag: v1.0.0"), 14, "newTag: 2024");
  kust_after.replace(kust_after.find("newTag: 2024"), 12, "newTag: \"2024\"");
  kust_after.replace(kust_after.find(std::string(64, 'a')), 64, std::string(64, 'b'));
  const std::string helm = R"(image:
  repository: ghcr.io/org/app1 # {"$imagepolicy": "team1:app1:name"}
  tag: 1.0.0 # {"$imagepolicy": "team1:app1:tag"}
  pullPolicy: IfNotPresent
podAnnotations: {}
)";
  const std::string helm_after = R"(image:
  repository: ghcr.io/org/app1 # {"$imagepolicy": "team1:app1:name"}
  tag: "1.1" # {"$imagepolicy": "team1:app1:tag"}
  pullPolicy: IfNotPresent
podAnnotations: {}
)";
  const std::string helm_release = R"(apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
spec:
  values:
    image:
      tag: '1.0.0' # {"$imagepolicy": "team1:app1:tag"}
)";
  run_cases({
      {"deployment", deployment, expected, tag_only(), 2},
      {"kustomization images", kustomization, kust_after,
       full("registry.example.com:5000/org/app1", "2024", k_sha_b), 3},
      {"helm values", helm, helm_after, tag_only("1.1"), 2},
      {"helm release", helm_release,
       std::string(helm_release).replace(helm_release.find("'1.0.0'"), 7, "'1.1'"), tag_only("1.1"),
       1},
  });
}

TEST(Rewriter, Robustness) {
  const std::string long_value(10000, 'x');
  const std::string long_comment = "# " + std::string(10000, 'c') + "\n";
  const std::string invalid_utf8 = "note: caf\xE9 \xFF\xFE # \xC3\n";
  run_cases({
      {"10 000-character value", "tag: " + long_value + " " + m(k_mt) + "\n",
       "tag: v1.0.1 " + m(k_mt) + "\n"},
      {"10 000-character comment line", long_comment + "tag: v0 " + m(k_mt) + "\n",
       long_comment + "tag: v1.0.1 " + m(k_mt) + "\n"},
      {"invalid UTF-8 elsewhere is kept", invalid_utf8 + "tag: v0 " + m(k_mt) + "\n",
       invalid_utf8 + "tag: v1.0.1 " + m(k_mt) + "\n"},
      {"invalid UTF-8 in the comment", "tag: v0 # {\"$imagepolicy\": \"team1:app1:tag\xFF\"}\n",
       "tag: v0 # {\"$imagepolicy\": \"team1:app1:tag\xFF\"}\n", tag_only(), 0},
      {"only the token", "\"$imagepolicy\"", "\"$imagepolicy\"", tag_only(), 0},
      {"lone CR is not guessed", "a: b\rtag: v0 " + m(k_mt) + "\n",
       "a: b\rtag: v0 " + m(k_mt) + "\n", tag_only(), 0},
      {"unparseable without our marker is left alone",
       "a: [\n\tb: c " + std::string(R"(# {"$imagepolicy": "x:y:tag"})") + "\n",
       "a: [\n\tb: c " + std::string(R"(# {"$imagepolicy": "x:y:tag"})") + "\n", tag_only(), 0},
  });
}

TEST(Rewriter, RefusesWhatItCannotWrite) {
  const auto message = [](const std::string &content, const ImageUpdate &update) {
    try {
      (void)rewrite(content, update, "envs/dev/app.yaml");
    } catch (const ManifestError &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using ::testing::HasSubstr;
  EXPECT_THAT(message("a: 1\ntag: v0 " + m(k_mt) + "\n", tag_only("1.0.0+build")),
              AllOf(HasSubstr("envs/dev/app.yaml:2"), HasSubstr("1.0.0+build")));
  EXPECT_THAT(message("tag: v0 " + m(k_mt) + "\n", tag_only("")), HasSubstr("not a valid OCI tag"));
  EXPECT_THAT(message("image: ${IMAGE} " + m(k_m) + "\n", tag_only()),
              AllOf(HasSubstr("envs/dev/app.yaml:1"), HasSubstr("${IMAGE}")));
  EXPECT_THAT(message("image: x:1 " + m(k_m) + "\n", full("Bad/Name", "v1")),
              HasSubstr("Bad/Name"));
  EXPECT_THAT(message("d: x " + m(k_md) + "\n", full("a/b", "v1", "sha256:123")),
              HasSubstr("sha256:123"));
  // Tabs as indentation: yaml-cpp cannot read the file, and it has a marker for this app.
  EXPECT_THAT(message("spec:\n\timage: x # {\"$imagepolicy\": \"team1:app1\"}\na:\n- b: " +
                          m(k_mt) + "\n  c: v0 " + m(k_mt) + "\n",
                      tag_only()),
              HasSubstr("cannot parse envs/dev/app.yaml"));
  EXPECT_THAT(message(",\nc: v0 " + m(k_mt) + "\n", tag_only()),
              AllOf(HasSubstr("cannot parse envs/dev/app.yaml"), HasSubstr("no progress")));
  EXPECT_THAT(message("c: v0 " + m(k_mt) + "\na: [b\n", tag_only()),
              HasSubstr("cannot parse envs/dev/app.yaml"));
  // A marker the scanner sees inside an unclosed flow collection is not ours to apply: no error.
  EXPECT_EQ(message("a: [b\nc: v0 " + m(k_mt) + "\n", tag_only()), "no error");
}

// Only the documents that hold this app's markers are parsed: a broken document elsewhere in the
// file does not stop the edit (lint reports it), a broken document holding the marker does, and
// its line is counted from the start of the file.
TEST(Rewriter, ParsesOnlyTheDocumentsItEdits) {
  const std::string broken = "---\nx: [unclosed\n";
  const std::string mine = "---\ntag: v0 " + m(k_mt) + "\n";
  const RewriteResult r = rewrite(broken + mine + broken, tag_only(), "envs/dev/all.yaml");
  EXPECT_EQ(r.content, broken + "---\ntag: v1.0.1 " + m(k_mt) + "\n" + broken);
  EXPECT_EQ(r.matched, 1);
  try {
    (void)rewrite(mine + mine + "---\nb: 1\ntag: v0 " + m(k_mt) + "\nx: [unclosed\n", tag_only(),
                  "envs/dev/all.yaml");
    ADD_FAILURE() << "a broken document holding the marker was edited";
  } catch (const ManifestError &e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot parse envs/dev/all.yaml: line 9"));
  }
  // Directives belong to the document after them: such a file is parsed whole.
  EXPECT_THROW((void)rewrite("%YAML 1.2\n" + broken + mine, tag_only(), "f.yaml"), ManifestError);
  // lint still reads the whole file.
  bool parse_error = false;
  for (const MarkerFinding &f : scan(broken + mine).findings) {
    parse_error = parse_error || f.message.starts_with("cannot parse the file");
  }
  EXPECT_TRUE(parse_error);
}

TEST(Rewriter, ReportsChanges) {
  const auto r = rewrite("x: 1\nimage: ghcr.io/o/app1:v1 " + m(k_m) + "\nt: v1 " + m(k_mt) +
                             "\nn: a/b " + m(k_mn) + "\n",
                         tag_only("v2"), "f.yaml");
  ASSERT_EQ(r.changes.size(), 2U);
  EXPECT_EQ(r.matched, 3);
  EXPECT_EQ(r.changes[0].line, 2);
  EXPECT_EQ(r.changes[0].old_value, "ghcr.io/o/app1:v1");
  EXPECT_EQ(r.changes[0].new_value, "ghcr.io/o/app1:v2");
  EXPECT_EQ(r.changes[0].setter, Setter::image);
  EXPECT_EQ(r.changes[1].line, 3);
  EXPECT_EQ(r.changes[1].old_value, "v1");
  EXPECT_EQ(r.changes[1].new_value, "v2");
  EXPECT_EQ(r.changes[1].setter, Setter::tag);
}

TEST(Rewriter, FileNamesAndPrefilter) {
  EXPECT_TRUE(is_manifest_file_name("a.yaml"));
  EXPECT_TRUE(is_manifest_file_name("dir/a.yml"));
  EXPECT_TRUE(is_manifest_file_name("Kustomization"));
  EXPECT_TRUE(is_manifest_file_name("x/Kustomization"));
  EXPECT_FALSE(is_manifest_file_name("kustomization"));
  EXPECT_FALSE(is_manifest_file_name("a.yaml.bak"));
  EXPECT_FALSE(is_manifest_file_name(".yaml"));
  EXPECT_FALSE(is_manifest_file_name("a.json"));
  EXPECT_TRUE(may_contain_marker(R"(# {"$imagepolicy": "a:b"})"));
  EXPECT_TRUE(may_contain_marker("\"$imagepolicy\""));
  EXPECT_FALSE(may_contain_marker("$imagepolicy\""));
  EXPECT_FALSE(may_contain_marker("'$imagepolicy'"));
  EXPECT_FALSE(may_contain_marker("\"$imagepolicy"));
  EXPECT_FALSE(may_contain_marker("$$$$"));
  EXPECT_FALSE(may_contain_marker(""));
  EXPECT_EQ(to_string(Setter::image), "image");
  EXPECT_EQ(to_string(Setter::digest), "digest");
}

} // namespace
} // namespace gitops::manifest

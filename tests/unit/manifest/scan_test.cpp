#include "gitops/manifest/rewriter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gitops::manifest {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string dump(const ScanResult &r) {
  std::string out;
  for (const auto &m : r.markers) {
    out += "marker " + std::to_string(m.line) + " " + m.group + ":" + m.app + ":" +
           std::string(to_string(m.setter)) + " key=" + m.key + " value=" + m.value + "\n";
  }
  for (const auto &f : r.findings) {
    out += std::string(f.error ? "error " : "warning ") + std::to_string(f.line) + " " + f.message +
           "\n";
  }
  return out;
}

struct FindingCase {
  std::string name;
  std::string content;
  int line;
  bool error;
  std::vector<std::string> words; // all must appear in that finding's message
};

// Each case must produce a finding on `line` with that severity and those words, and no marker.
void expect_findings(const std::vector<FindingCase> &cases) {
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    const ScanResult r = scan(c.content);
    bool found = false;
    for (const auto &f : r.findings) {
      bool all = f.line == c.line && f.error == c.error;
      for (const auto &w : c.words) {
        all = all && f.message.find(w) != std::string::npos;
      }
      found = found || all;
    }
    EXPECT_TRUE(found) << dump(r);
    EXPECT_TRUE(r.markers.empty()) << dump(r);
  }
}

constexpr const char *k_tag = R"(# {"$imagepolicy": "g:a:tag"})";

std::string t(const std::string &before, const std::string &after = "\n") {
  return before + k_tag + after;
}

TEST(Scan, ListsApplicableMarkers) {
  const std::string content = "apiVersion: v1\n"
                              "image: ghcr.io/o/a:1 # {\"$imagepolicy\": \"g:a\"}\n"
                              "list:\n"
                              "- v1 # {\"$imagepolicy\": \"g:b:tag\"}\n"
                              "# {\"$imagepolicy\": \"g:c:name\"}\n"
                              "- 'repo/c'\n"
                              "digest: \"sha256:1\" # {\"$imagepolicy\": \"g:d:digest\"}\n";
  const ScanResult r = scan(content);
  EXPECT_TRUE(r.findings.empty()) << dump(r);
  ASSERT_EQ(r.markers.size(), 4U) << dump(r);
  EXPECT_EQ(r.markers[0].line, 2);
  EXPECT_EQ(r.markers[0].group, "g");
  EXPECT_EQ(r.markers[0].app, "a");
  EXPECT_EQ(r.markers[0].setter, Setter::image);
  EXPECT_EQ(r.markers[0].key, "image");
  EXPECT_EQ(r.markers[0].value, "ghcr.io/o/a:1");
  EXPECT_EQ(r.markers[1].line, 4);
  EXPECT_EQ(r.markers[1].setter, Setter::tag);
  EXPECT_EQ(r.markers[1].key, "");
  EXPECT_EQ(r.markers[2].line, 6);
  EXPECT_EQ(r.markers[2].setter, Setter::name);
  EXPECT_EQ(r.markers[2].value, "repo/c");
  EXPECT_EQ(r.markers[3].setter, Setter::digest);
  EXPECT_EQ(r.markers[3].value, "sha256:1");
}

TEST(Scan, NothingToSay) {
  for (const std::string &content :
       {std::string(), std::string("a: b\n"), std::string("# see the \"$imagepolicy\" docs\n"),
        std::string("# image: foo # {\"$imagepolicy\": \"g:a\"}\n"),
        std::string("a: b # {\"note\": \"imagepolicy\"}\n"),
        std::string("kind: ImagePolicy\nmetadata:\n  name: a\n")}) {
    SCOPED_TRACE(content);
    const ScanResult r = scan(content);
    EXPECT_TRUE(r.findings.empty()) << dump(r);
    EXPECT_TRUE(r.markers.empty()) << dump(r);
  }
}

TEST(Scan, MalformedMarkers) {
  expect_findings({
      {"trailing text", t("a: v1 ", " # bump\n"), 1, true, {"text after the JSON", "# bump"}},
      {"single quotes", "a: v1 # {'$imagepolicy': 'g:a:tag'}\n", 1, true, {"single quotes"}},
      {"non-string value",
       "a: v1 # {\"$imagepolicy\": \"g:a:tag\", \"n\": 1}\n",
       1,
       true,
       {"\"n\"", "not a string"}},
      {"unknown suffix",
       "x: 1\na: v1 # {\"$imagepolicy\": \"g:a:version\"}\n",
       2,
       true,
       {":version", "g:a:version"}},
      {"capitalised suffix",
       "a: v1 # {\"$imagepolicy\": \"g:a:Tag\"}\n",
       1,
       true,
       {":Tag", "lowercase"}},
      {"extra part", "a: v1 # {\"$imagepolicy\": \"g:a:tag:x\"}\n", 1, true, {"unknown setter"}},
      {"no namespace", "a: v1 # {\"$imagepolicy\": \"app\"}\n", 1, true, {"no namespace"}},
      {"empty value", "a: v1 # {\"$imagepolicy\": \"\"}\n", 1, true, {"empty"}},
      {"empty namespace", "a: v1 # {\"$imagepolicy\": \":a\"}\n", 1, true, {"empty namespace"}},
      {"misspelt key", "a: v1 # {\"$ImagePolicy\": \"g:a\"}\n", 1, true, {"$ImagePolicy"}},
      {"no braces", "a: v1 # \"$imagepolicy\": \"g:a\"\n", 1, true, {"not a JSON object"}},
      {"broken JSON", "a: v1 # {\"$imagepolicy: \"g:a\"}\n", 1, true, {"not valid JSON"}},
      {"unterminated JSON", "a: v1 # {\"$imagepolicy\": \"g:a\"\n", 1, true, {"not valid JSON"}},
  });
}

TEST(Scan, MarkersInTheWrongPlace) {
  expect_findings({
      {"on a key", t("key: ", "\n  v1\n"), 1, true, {"on a key"}},
      {"above a mapping value", t("", "\ntag: v1\n"), 1, true, {"above a mapping value"}},
      {"above a mapping item", t("list:\n", "\n- k: v\n"), 2, true, {"not a plain value"}},
      {"above a blank line", t("list:\n", "\n\n- v\n"), 2, true, {"not directly above"}},
      {"at the end of the file", t("a: b\n", ""), 2, true, {"not directly above"}},
      {"multi-line head comment", t("list:\n# note\n", "\n- v\n"), 3, false, {"several lines"}},
      {"hidden by a line comment",
       t("list:\n", "\n- v # pinned\n"),
       2,
       false,
       {"hidden", "line 3"}},
      {"misaligned head", t("list:\n  ", "\n- v\n"), 2, false, {"column"}},
      {"empty item", t("- ", "\n  v\n"), 1, true, {"empty sequence item"}},
      {"block scalar header", t("x: | ", "\n  text\n"), 1, false, {"block scalar header"}},
      {"block scalar text", t("x: |\n  echo ", "\n"), 2, false, {"inside a block scalar"}},
      {"folded block scalar text",
       t("x: >-\n  echo\n  ", "\n"),
       3,
       false,
       {"inside a block scalar"}},
      {"one-line flow sequence", t("y: [a, b] "), 1, true, {"flow collection"}},
      {"one-line flow mapping", t("z: {newTag: v1} "), 1, true, {"flow collection"}},
      {"kustomize images in flow",
       t("images: [{name: a, newTag: v1}] "),
       1,
       true,
       {"flow collection"}},
      {"multi-line flow", t("w: {\n  newTag: v1, ", "\n}\n"), 2, false, {"flow context"}},
      {"alias", t("a: &x v\nb: *x "), 2, false, {"alias"}},
      {"multi-line plain", t("ml: a\n  b "), 2, false, {"multi-line scalar"}},
      {"multi-line quoted", t("ml: \"a\n  b\" "), 2, false, {"multi-line scalar"}},
      {"complex key", t("? k\n: v "), 2, false, {"complex"}},
      {"root scalar", t("--- v "), 1, false, {"not on the line of its key"}},
      {"value on the next line", t("key:\n  v1 "), 2, false, {"not on the line of its key"}},
  });
}

TEST(Scan, KustomizeAndKeyChecks) {
  const std::string images = "images:\n"
                             "- name: app # {\"$imagepolicy\": \"g:a:name\"}\n"
                             "  newName: x/app # {\"$imagepolicy\": \"g:a:tag\"}\n"
                             "  newTag: v1 # {\"$imagepolicy\": \"g:a\"}\n"
                             "  digest: sha256:x # {\"$imagepolicy\": \"g:a:tag\"}\n"
                             "  newDigest: sha256:x # {\"$imagepolicy\": \"g:a:digest\"}\n"
                             "- name: ok\n"
                             "  newName: x/ok # {\"$imagepolicy\": \"g:ok:name\"}\n"
                             "  newTag: v1 # {\"$imagepolicy\": \"g:ok:tag\"}\n"
                             "  digest: sha256:1 # {\"$imagepolicy\": \"g:ok:digest\"}\n"
                             "other:\n"
                             "  newTag: v1 # {\"$imagepolicy\": \"g:b\"}\n";
  const ScanResult r = scan(images);
  const auto has = [&](int line, bool error, const std::string &word) {
    for (const auto &f : r.findings) {
      if (f.line == line && f.error == error && f.message.find(word) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(2, true, "match key")) << dump(r);
  EXPECT_TRUE(has(3, true, ":name setter")) << dump(r);
  EXPECT_TRUE(has(4, true, "breaks kustomize")) << dump(r);
  EXPECT_TRUE(has(5, true, ":digest setter")) << dump(r);
  EXPECT_TRUE(has(6, false, "newDigest")) << dump(r);
  EXPECT_TRUE(has(12, true, "breaks kustomize")) << dump(r);
  for (const auto &f : r.findings) {
    EXPECT_TRUE(f.line < 7 || f.line > 10) << dump(r);
  }
  // They are still markers Flux applies, so they are listed too.
  EXPECT_EQ(r.markers.size(), 9U) << dump(r);
}

TEST(Scan, WarningsOnAppliedMarkers) {
  const std::string content = "spec:\n"
                              "  image: repo/app:1.0 # {\"$imagepolicy\": \"g:a:tag\"}\n"
                              "  x:\n"
                              "    image: v1 # {\"$imagepolicy\": \"g:a:tag\"}\n"
                              "  image: v1 # {\"$imagepolicy\": \"g:a:tag\"}\n"
                              "---\n"
                              "image: v1 # {\"$imagepolicy\": \"G:a:tag\"}\n"
                              "tag: v1 # {\"$imagepolicy\": \"g:a:tag\", \"$ref\": \"x\"}\n";
  const ScanResult r = scan(content);
  ASSERT_GE(r.findings.size(), 4U) << dump(r);
  EXPECT_EQ(r.markers.size(), 5U) << dump(r);
  std::string all = dump(r);
  EXPECT_THAT(all, HasSubstr("warning 2 marker # {\"$imagepolicy\": \"g:a:tag\"} sets only the "
                             "tag, but the value \"repo/app:1.0\""));
  EXPECT_THAT(all, HasSubstr("warning 5 marker # {\"$imagepolicy\": \"g:a:tag\"} repeats the "
                             "marker of line 2"));
  EXPECT_THAT(all, Not(HasSubstr("warning 4 marker # {\"$imagepolicy\": \"g:a:tag\"} repeats")));
  EXPECT_THAT(all, HasSubstr("warning 7"));
  EXPECT_THAT(all, HasSubstr("valid Kubernetes"));
  for (const auto &f : r.findings) {
    EXPECT_FALSE(f.error) << f.message;
  }
}

TEST(Scan, TagMarkerOnSomethingThatIsNoTag) {
  const ScanResult r = scan("a: \"1\\n::x\" # {\"$imagepolicy\": \"g:a:tag\"}\n"
                            "b: 1.0@sha256:" +
                            std::string(64, 'a') + " # {\"$imagepolicy\": \"g:a:tag\"}\n");
  ASSERT_EQ(r.findings.size(), 1U) << dump(r);
  EXPECT_EQ(r.findings[0].line, 1);
  EXPECT_THAT(r.findings[0].message, HasSubstr("is neither an image tag nor an image reference"));
}

TEST(Scan, LonghandAndFluxFileFilter) {
  const std::string longhand =
      "tag: v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.g:a:tag\"}\n";
  ScanResult r = scan(longhand);
  EXPECT_TRUE(r.markers.empty()) << dump(r);
  EXPECT_THAT(dump(r), AllOf(HasSubstr("longhand"), HasSubstr("does not read such files")));
  r = scan(longhand + "# \"$imagepolicy\"\n");
  ASSERT_EQ(r.markers.size(), 1U) << dump(r);
  EXPECT_EQ(r.markers[0].setter, Setter::tag);
}

TEST(Scan, UnparseableFiles) {
  for (const std::string &content :
       {std::string("a:\n\tb: v1 # {\"$imagepolicy\": \"g:a:tag\"}\n"),
        std::string("tag: v1 # {\"$imagepolicy\": \"g:a:tag\"}\nx: [unclosed\n"),
        std::string("tag: \"a\\qb\" # {\"$imagepolicy\": \"g:a:tag\"}\n"),
        std::string("b: *nowhere\ntag: v1 # {\"$imagepolicy\": \"g:a:tag\"}\n"),
        // yaml-cpp 0.7 returns the same empty document forever on a leading ','.
        std::string(",\ntag: v1 # {\"$imagepolicy\": \"g:a:tag\"}\n")}) {
    SCOPED_TRACE(content);
    const ScanResult r = scan(content);
    EXPECT_TRUE(r.markers.empty()) << dump(r);
    bool parse_error = false;
    for (const auto &f : r.findings) {
      parse_error = parse_error || (f.error && f.message.starts_with("cannot parse the file"));
    }
    EXPECT_TRUE(parse_error) << dump(r);
  }
}

TEST(Scan, FindingsAreSortedByLine) {
  const ScanResult r = scan(t("a: [x] ") + t("b: ", "\n  c\n") + t("d: v ", " # x\n"));
  ASSERT_EQ(r.findings.size(), 3U) << dump(r);
  EXPECT_EQ(r.findings[0].line, 1);
  EXPECT_EQ(r.findings[1].line, 2);
  EXPECT_EQ(r.findings[2].line, 4);
}

} // namespace
} // namespace gitops::manifest

#include "gitops/manifest/detail/line_scanner.hpp"
#include "gitops/manifest/rewriter.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace gitops::manifest::detail {
namespace {

constexpr std::string_view k_mt = R"(# {"$imagepolicy": "g:a:tag"})";

TEST(LineScanner, TokenOffsets) {
  const std::string content = "\xEF\xBB\xBFx: 1\r\n- key: &a !!int 12 " + std::string(k_mt) +
                              "\r\n- 'it''s' " + std::string(k_mt) + "\n";
  const auto sites = find_marker_sites(content);
  ASSERT_EQ(sites.size(), 2U);
  const auto &s0 = sites[0];
  EXPECT_EQ(s0.line, 2);
  EXPECT_EQ(s0.place, Place::mapping_value);
  EXPECT_EQ(s0.key, "key");
  EXPECT_EQ(s0.comment, std::string(k_mt));
  ASSERT_TRUE(s0.scalar.has_value());
  EXPECT_EQ(content.substr(s0.scalar->node_begin, 3), "&a ");
  EXPECT_EQ(content.substr(s0.scalar->value_begin, s0.scalar->value_end - s0.scalar->value_begin),
            "12");
  ASSERT_TRUE(s0.scalar->tag.has_value());
  EXPECT_EQ(s0.scalar->tag_text, "!!int");
  EXPECT_EQ(content.substr(s0.scalar->tag->first, s0.scalar->tag->second - s0.scalar->tag->first),
            "!!int");
  EXPECT_EQ(s0.scalar->value, "12");
  const auto &s1 = sites[1];
  EXPECT_EQ(s1.place, Place::sequence_item);
  EXPECT_EQ(s1.scalar->style, ScalarStyle::single_quoted);
  EXPECT_EQ(s1.scalar->value, "it's");
  EXPECT_EQ(content.substr(s1.scalar->value_begin, s1.scalar->value_end - s1.scalar->value_begin),
            "'it''s'");
}

TEST(LineScanner, Places) {
  struct Case {
    std::string content;
    std::vector<Place> places;
  };
  const std::string m(k_mt);
  for (const auto &c : std::vector<Case>{
           {"a: b " + m + "\n", {Place::mapping_value}},
           {"- b " + m + "\n", {Place::sequence_item}},
           {m + "\n- b\n", {Place::head_sequence_item}},
           {m + "\n- b " + m + "\n", {Place::sequence_item, Place::head_sequence_item}},
           {"a: " + m + "\n", {Place::key_only}},
           {"a: !!str " + m + "\n", {Place::key_only}},
           {"a: |\n  " + m + "\n  x " + m + "\nb: c " + m + "\n",
            {Place::block_scalar_text, Place::block_scalar_text, Place::mapping_value}},
           {"a: |\nb: c " + m + "\n", {Place::mapping_value}},
           {"a: [\n  \"x # y\", ']',\n  b] " + m + "\nc: d " + m + "\n",
            {Place::flow_multi_line, Place::mapping_value}},
           {"a: 'x\n  # not a comment " + m + "\n  y' " + m + "\nc: d " + m + "\n",
            {Place::multi_line_scalar, Place::mapping_value}},
           {"a: 'it''s\n  x' " + m + "\n", {Place::multi_line_scalar}},
           {"---\na: b " + m + "\n--- |\n  x " + m + "\n...\n- c " + m + "\n",
            {Place::mapping_value, Place::block_scalar_text, Place::sequence_item}},
           {"a: \"x\"" + m + "\n", {}}, // "#" right after a quote: not a comment, not YAML
           {"a: \"x\"y " + m + "\n", {Place::unreadable}},
           {"a: b: c " + m + "\n", {Place::unreadable}},
           {"\ta: b " + m + "\n", {Place::unreadable}},
           {"  \t" + m + "\n- x\n", {Place::head_misaligned}},
           {"a: b\n  c\n  - d " + m + "\n", {Place::multi_line_scalar}},
           {"- a\n  - b " + m + "\n", {Place::multi_line_scalar}},
           {"a:\n  - b\n  " + m + "\n  - c\n", {Place::head_sequence_item}},
           {"a: *x " + m + "\n", {Place::alias}},
           {"a: [x] " + m + "\n", {Place::flow}},
           {"[x]: y " + m + "\n", {Place::mapping_value}},
       }) {
    SCOPED_TRACE(c.content);
    const auto sites = find_marker_sites(c.content);
    std::vector<Place> got;
    for (const auto &s : sites) {
      got.push_back(s.place);
    }
    EXPECT_EQ(got, c.places);
  }
}

TEST(LineScanner, ParentKeys) {
  const std::string content = "images:\n- name: a\n  newTag: v1 " + std::string(k_mt) +
                              "\nspec:\n  containers:\n  - image: x " + std::string(k_mt) +
                              "\n    env:\n    - v " + std::string(k_mt) + "\n";
  const auto sites = find_marker_sites(content);
  ASSERT_EQ(sites.size(), 3U);
  EXPECT_EQ(sites[0].key, "newTag");
  EXPECT_EQ(sites[0].parent_key, "images");
  EXPECT_EQ(sites[1].key, "image");
  EXPECT_EQ(sites[1].parent_key, "containers");
  EXPECT_EQ(sites[2].key, "");
  EXPECT_EQ(sites[2].parent_key, "env");
}

// Random YAML-ish files built from fragments: rewrite and scan never crash, throw only
// ManifestError, and a rewrite changes nothing but the marked lines.
TEST(LineScanner, RandomFragmentsNeverBreakAnything) {
  const std::vector<std::string> fragments = {
      "a: b\n",
      "image: app1:v1 # {\"$imagepolicy\": \"team1:app1\"}\n",
      "tag: 1234 # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "- 'x' # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "# {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "- v1\n",
      "  - v1\n",
      "list:\n",
      "  key: \"q#x\" # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "s: |\n",
      "  text # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "f: [a,\n",
      "  b] # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "---\n",
      "...\n",
      "\n",
      "\r\n",
      "\t\n",
      "q: \"open\n",
      "x: &a !!int 5 # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "y: *a # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "? k\n",
      ": v\n",
      "\xEF\xBB\xBF",
      "\xFF\xFE",
      "n: ~ # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "d: \"\\x41\" # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "k: { a: b } # {\"$imagepolicy\": \"team1:app1:tag\"}\n",
      "   ",
      "\"",
      "'",
      "[",
      "}",
      "#",
      "- ",
      ": ",
  };
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 12);
  const gitops::manifest::ImageUpdate update{"team1", "app1", "v2", std::nullopt, std::nullopt};
  int rewritten = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string content;
    for (int n = count(rng); n > 0; --n) {
      content += fragments[pick(rng)];
    }
    SCOPED_TRACE(content);
    const auto scanned = gitops::manifest::scan(content);
    int for_app = 0;
    for (const auto &marker : scanned.markers) {
      for_app += (marker.group == "team1" && marker.app == "app1") ? 1 : 0;
    }
    try {
      const auto r = gitops::manifest::rewrite(content, update, "f.yaml");
      // scan() lists exactly the markers rewrite() applies.
      EXPECT_EQ(r.matched, for_app);
      if (r.changes.empty()) {
        ASSERT_EQ(r.content, content);
        continue;
      }
      ++rewritten;
      // Only the documents holding an edit are parsed again: a file that parsed still does.
      bool parsed = true;
      try {
        (void)YAML::LoadAll(content);
      } catch (const YAML::Exception &) {
        parsed = false;
      }
      if (parsed) {
        EXPECT_NO_THROW((void)YAML::LoadAll(r.content));
      }
      std::set<int> changed;
      for (const auto &c : r.changes) {
        changed.insert(c.line);
      }
      // Same lines except the changed ones.
      std::size_t a = 0;
      std::size_t b = 0;
      for (int line = 1;; ++line) {
        const auto ea = content.find('\n', a);
        const auto eb = r.content.find('\n', b);
        if (!changed.contains(line)) {
          ASSERT_EQ(content.substr(a, ea - a), r.content.substr(b, eb - b)) << "line " << line;
        }
        ASSERT_EQ(ea == std::string::npos, eb == std::string::npos);
        if (ea == std::string::npos) {
          break;
        }
        a = ea + 1;
        b = eb + 1;
      }
    } catch (const gitops::ManifestError &) {
      // Unparseable input with a marker for this app: refusing is right.
    }
  }
  EXPECT_GT(rewritten, 100);
}

// Arbitrary bytes around a marker: no crash, no exception but ManifestError, unchanged or parsable.
TEST(LineScanner, RandomBytesNeverCrash) {
  const std::string marker = " # {\"$imagepolicy\": \"team1:app1:tag\"}\n";
  const std::string alphabet =
      std::string("ab:- \t\n\r#'\"[]{}|>&*!?%@`,.\\0123\xEF\xBB\xBF\xFF") + std::string(1, '\0');
  std::mt19937 rng(777);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 60);
  const gitops::manifest::ImageUpdate update{"team1", "app1", "v2", std::nullopt, std::nullopt};
  for (int i = 0; i < 2000; ++i) {
    std::string content;
    for (int part = 0; part < 3; ++part) {
      for (int n = length(rng); n > 0; --n) {
        content += alphabet[pick(rng)];
      }
      content += "tag: v1" + marker;
    }
    SCOPED_TRACE(content);
    (void)find_marker_sites(content);
    (void)gitops::manifest::scan(content);
    try {
      const auto r = gitops::manifest::rewrite(content, update, "f.yaml");
      if (!r.changes.empty()) {
        EXPECT_NO_THROW((void)YAML::LoadAll(r.content));
        for (const auto &c : r.changes) {
          EXPECT_EQ(c.new_value, "v2");
        }
      }
    } catch (const gitops::ManifestError &) {
    }
  }
}

} // namespace
} // namespace gitops::manifest::detail

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <git2.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using gitops::git::unified_diff;
using gitops::git::validate_branch_name;
using ::testing::HasSubstr;

TEST(ValidateBranchName, AcceptsOrdinaryAndPromotionBranchNames) {
  for (const char *name : {"main", "promote/dev-app", "feature/x_y.z", "intg/dev/app", "a-b"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(validate_branch_name(name));
  }
}

TEST(ValidateBranchName, RefusesUnsafeNames) {
  for (const char *name :
       {"",     "HEAD", "-rf", "a..b", "a b",    "a~1",  "a^",   "a:b",    "a?", "a*", "a[",
        "a\\b", "/a",   "a/",  "a//b", "a.lock", "a/.b", "@{x}", "a\x01z", "a.", "@"}) {
    SCOPED_TRACE(name);
    try {
      validate_branch_name(name);
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const gitops::StateError &e) {
      EXPECT_THAT(e.what(), HasSubstr("invalid branch name '" + std::string(name) + "'"));
    }
  }
}

TEST(ValidateBranchName, RefusesEmbeddedNul) {
  EXPECT_THROW(validate_branch_name(std::string("ma\0in", 5)), gitops::StateError);
}

TEST(UnifiedDiff, EqualContentGivesEmptyDiff) {
  EXPECT_EQ(unified_diff("a.yaml", "x: 1\n", "x: 1\n"), "");
  EXPECT_EQ(unified_diff("a.yaml", "", ""), "");
}

TEST(UnifiedDiff, ShowsChangedLineWithHeaderAndContext) {
  const std::string before = "a: 1\nb: 2\nimage: app:v1 # {\"$imagepolicy\": \"g:app\"}\nc: 3\n";
  const std::string after = "a: 1\nb: 2\nimage: app:v2 # {\"$imagepolicy\": \"g:app\"}\nc: 3\n";
  const std::string diff = unified_diff("dev/app.yaml", before, after);
  EXPECT_EQ(diff, "--- a/dev/app.yaml\n"
                  "+++ b/dev/app.yaml\n"
                  "@@ -1,4 +1,4 @@\n"
                  " a: 1\n"
                  " b: 2\n"
                  "-image: app:v1 # {\"$imagepolicy\": \"g:app\"}\n"
                  "+image: app:v2 # {\"$imagepolicy\": \"g:app\"}\n"
                  " c: 3\n");
}

TEST(UnifiedDiff, MarksMissingFinalNewline) {
  const std::string diff = unified_diff("f", "x\n", "x");
  EXPECT_THAT(diff, HasSubstr("\\ No newline at end of file"));
  EXPECT_THAT(diff, HasSubstr("--- a/f\n+++ b/f\n"));
}

TEST(UnifiedDiff, NewContentFromEmpty) {
  const std::string diff = unified_diff("new.yaml", "", "a: 1\n");
  EXPECT_THAT(diff, HasSubstr("+a: 1\n"));
  EXPECT_THAT(diff, HasSubstr("+++ b/new.yaml\n"));
}

// libgit2 initialised for a whole test: each first initialisation parses the CA bundle.
struct LibGit2Hold {
  LibGit2Hold() { git_libgit2_init(); }
  ~LibGit2Hold() { git_libgit2_shutdown(); }
  LibGit2Hold(const LibGit2Hold &) = delete;
  LibGit2Hold &operator=(const LibGit2Hold &) = delete;
};

// The diff of the whole texts straight from libgit2, headers dropped as unified_diff does: the
// oracle for unified_diff, which diffs only the lines around the changes.
// The caller holds a LibGit2Hold.
std::string whole_diff(const std::string &path, const std::string &a, const std::string &b) {
  git_patch *raw = nullptr;
  EXPECT_EQ(git_patch_from_buffers(&raw, a.empty() ? "" : a.data(), a.size(), path.c_str(),
                                   b.empty() ? "" : b.data(), b.size(), path.c_str(), nullptr),
            0);
  std::unique_ptr<git_patch, decltype(&git_patch_free)> patch(raw, git_patch_free);
  git_buf buf{};
  EXPECT_EQ(git_patch_to_buf(&buf, patch.get()), 0);
  std::string text(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  const std::size_t header = text.starts_with("--- ") ? 0 : text.find("\n--- ");
  if (header != std::string::npos && header != 0) {
    text.erase(0, header + 1);
  }
  return text;
}

std::string random_line(std::mt19937 &rng) {
  static const std::vector<std::string> shapes = {"apiVersion: v1",
                                                  "kind: Deployment",
                                                  "---",
                                                  "  name: app",
                                                  "    image: r/app:v1",
                                                  "  - x",
                                                  "",
                                                  "_private: 1",
                                                  "$var: 2",
                                                  "        replicas: 2",
                                                  "spec:",
                                                  "  a: b"};
  std::string line = shapes[rng() % shapes.size()];
  if (rng() % 3 == 0) {
    line += std::to_string(rng() % 5);
  }
  return line;
}

std::vector<std::string> random_text(std::mt19937 &rng) {
  std::vector<std::string> lines(rng() % 60);
  const bool indented_only = rng() % 5 == 0;
  for (auto &line : lines) {
    line = random_line(rng);
    if (indented_only) {
      line = "  " + line;
    }
  }
  return lines;
}

std::string join(const std::vector<std::string> &lines, bool final_newline) {
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    text += lines[i];
    if (i + 1 < lines.size() || final_newline) {
      text += '\n';
    }
  }
  return text;
}

std::vector<std::string> split_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    nl = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl;
  }
  return lines;
}

// Applies a unified diff (as unified_diff writes it) to `text`; fails the test when a context or
// removed line does not match.
std::string apply(const std::string &text, const std::string &diff) {
  const std::vector<std::string> old_lines = split_lines(text);
  const std::vector<std::string> patch = split_lines(diff);
  std::string out;
  std::size_t next_old = 0; // 0-based index of the next old line not yet copied
  char previous = 0;        // the kind of the previous diff line
  for (std::size_t i = 2; i < patch.size(); ++i) {
    const std::string &line = patch[i];
    if (line.starts_with("@@ -")) {
      std::size_t start = std::stoul(line.substr(4));
      const std::size_t comma = line.find(',');
      const std::size_t count = comma != std::string::npos && comma < line.find(' ', 4)
                                    ? std::stoul(line.substr(comma + 1))
                                    : 1;
      if (count != 0) {
        --start; // `-s,0` names the line before an insertion
      }
      for (; next_old < start; ++next_old) {
        out += old_lines.at(next_old);
      }
      continue;
    }
    if (line.starts_with("\\")) { // the line before has no newline in the text it belongs to
      if ((previous == ' ' || previous == '+') && !out.empty() && out.back() == '\n') {
        out.pop_back();
      }
      continue;
    }
    previous = line[0];
    const std::string body = line.substr(1);
    if (line[0] == ' ' || line[0] == '-') {
      EXPECT_EQ(old_lines.at(next_old).substr(0, body.size() - (body.back() == '\n' ? 1 : 0)),
                body.substr(0, body.size() - (body.back() == '\n' ? 1 : 0)));
      ++next_old;
    }
    if (line[0] == ' ' || line[0] == '+') {
      out += body;
    }
  }
  for (; next_old < old_lines.size(); ++next_old) {
    out += old_lines[next_old];
  }
  return out;
}

// Runs 3000 rounds of random texts edited by `edit`: every diff must apply to the old text and give
// the new one, and at least `identical_percent` of them must be the very bytes of the whole-text
// diff (xdiff weighs lines by how often they occur in the whole text, so next to repeated lines
// the trimmed diff may pair them differently).
void check_rounds(std::uint32_t seed,
                  const std::function<void(std::mt19937 &, std::vector<std::string> &)> &edit,
                  int identical_percent) {
  const LibGit2Hold hold;
  std::mt19937 rng(seed);
  int identical = 0;
  const int rounds = 3000;
  for (int round = 0; round < rounds; ++round) {
    const std::vector<std::string> lines = random_text(rng);
    std::vector<std::string> changed = lines;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      edit(rng, changed);
    }
    const bool final_newline = rng() % 4 != 0;
    const std::string a = join(lines, final_newline);
    const std::string b = join(changed, final_newline);
    SCOPED_TRACE("round " + std::to_string(round) + "\n--- a\n" + a + "\n--- b\n" + b);
    const std::string diff = unified_diff("f.yaml", a, b);
    ASSERT_EQ(apply(a, diff), b) << diff;
    identical += diff == (a == b ? "" : whole_diff("f.yaml", a, b)) ? 1 : 0;
  }
  EXPECT_GT(identical, rounds * identical_percent / 100);
}

// Edits of lines in place, as the rewriter makes them, anywhere in texts with and without
// function lines above and with or without a final newline (1 round in about 6000 pairs lines
// differently from the whole-text diff here).
TEST(UnifiedDiff, InPlaceEditsGiveTheWholeTextDiff) {
  check_rounds(
      20261203,
      [](std::mt19937 &rng, std::vector<std::string> &lines) {
        if (!lines.empty()) {
          lines[rng() % lines.size()] += "-v" + std::to_string(rng() % 9);
        }
      },
      99);
}

// Lines added, removed and changed (about 2 rounds in 100 pair lines differently here).
TEST(UnifiedDiff, AnyEditGivesADiffThatApplies) {
  check_rounds(
      42,
      [](std::mt19937 &rng, std::vector<std::string> &lines) {
        const std::size_t at = rng() % (lines.size() + 1);
        switch (rng() % 3) {
        case 0:
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), random_line(rng));
          break;
        case 1:
          if (at < lines.size()) {
            lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(at));
          }
          break;
        default:
          if (at < lines.size()) {
            lines[at] += "-v" + std::to_string(rng() % 9);
          }
          break;
        }
      },
      95);
}

TEST(UnifiedDiff, OneValueInALargeFileNamesItsLineAndFunction) {
  const LibGit2Hold hold;
  std::string a;
  for (int i = 0; i < 20000; ++i) {
    a += "kind: Deployment\nspec:\n  image: r/app-" + std::to_string(i) + ":v1\n";
  }
  std::string b = a;
  const std::string old_value = "r/app-12345:v1";
  b.replace(b.find(old_value), old_value.size(), "r/app-12345:v2");
  const std::string diff = unified_diff("big.yaml", a, b);
  EXPECT_EQ(diff, whole_diff("big.yaml", a, b));
  EXPECT_THAT(diff, HasSubstr("@@ -37035,7 +37035,7 @@ spec:\n"));
}

} // namespace

// Fuzzes the marker scanner and the byte-preserving rewriter with arbitrary manifest bytes.
//
// Invariants (a violation aborts):
// - scan() never throws; its findings are sorted by line.
// - rewrite() throws nothing but gitops::Error subclasses.
// - When rewrite() returns: no changes means the output equals the input; the output has the same
//   lines with the same line endings, every line without a change is byte-identical, and a changed
//   line holds the new value; `matched` is the number of markers scan() reports for the app.
// - Rewriting the output again changes nothing and keeps the bytes.
#include "fuzz_support.hpp"

#include "gitops/manifest/rewriter.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using gitops::fuzz::fail;
using gitops::manifest::ImageUpdate;
using gitops::manifest::RewriteResult;

struct Line {
  std::string_view text; // without its terminator
  std::string_view end;  // "\r\n", "\n" or "" (the last line)
};

std::vector<Line> split_lines(std::string_view s) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (true) {
    const std::size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.push_back(Line{s.substr(pos), {}});
      return lines;
    }
    std::size_t text_end = nl;
    if (text_end > pos && s[text_end - 1] == '\r') {
      --text_end;
    }
    lines.push_back(Line{s.substr(pos, text_end - pos), s.substr(text_end, nl + 1 - text_end)});
    pos = nl + 1;
  }
}

std::string describe(std::string_view input, const RewriteResult &result) {
  std::string out = "input:\n" + std::string(input) + "\noutput:\n" + result.content + "\nchanges:";
  for (const auto &c : result.changes) {
    out += "\n  line " + std::to_string(c.line) + ": '" + c.old_value + "' -> '" + c.new_value +
           "' (" + std::string(gitops::manifest::to_string(c.setter)) + ")";
  }
  return out;
}

std::size_t markers_for(const gitops::manifest::ScanResult &scan, const ImageUpdate &update) {
  return static_cast<std::size_t>(
      std::count_if(scan.markers.begin(), scan.markers.end(),
                    [&](const auto &m) { return m.group == update.group && m.app == update.app; }));
}

gitops::manifest::ScanResult checked_scan(std::string_view content) {
  gitops::manifest::ScanResult result;
  gitops::fuzz::never_throws("scan", [&] { result = gitops::manifest::scan(content); });
  if (!std::is_sorted(result.findings.begin(), result.findings.end(),
                      [](const auto &a, const auto &b) { return a.line < b.line; })) {
    fail("scan findings are not sorted by line", content);
  }
  return result;
}

void check_rewrite(std::string_view input, const gitops::manifest::ScanResult &scanned,
                   const ImageUpdate &update) {
  RewriteResult first;
  if (!gitops::fuzz::only_gitops_errors(
          "rewrite", [&] { first = gitops::manifest::rewrite(input, update, "fuzz.yaml"); })) {
    return;
  }
  if (first.changes.empty() && first.content != input) {
    fail("rewrite reported no changes but changed bytes", describe(input, first));
  }
  if (static_cast<std::size_t>(first.matched) < first.changes.size()) {
    fail("rewrite matched fewer markers than it changed", describe(input, first));
  }
  if (static_cast<std::size_t>(first.matched) != markers_for(scanned, update)) {
    fail("rewrite matched " + std::to_string(first.matched) + " markers but scan reports " +
             std::to_string(markers_for(scanned, update)),
         describe(input, first));
  }

  const auto in_lines = split_lines(input);
  const auto out_lines = split_lines(first.content);
  if (in_lines.size() != out_lines.size()) {
    fail("rewrite changed the number of lines", describe(input, first));
  }
  std::set<int> changed;
  for (const auto &c : first.changes) {
    if (c.line < 1 || static_cast<std::size_t>(c.line) > in_lines.size()) {
      fail("rewrite reported a change on a line that does not exist", describe(input, first));
    }
    if (!changed.insert(c.line).second) {
      fail("rewrite reported two changes on one line", describe(input, first));
    }
    if (c.old_value == c.new_value) {
      fail("rewrite reported a change that keeps the value", describe(input, first));
    }
    if (out_lines[static_cast<std::size_t>(c.line) - 1].text.find(c.new_value) ==
        std::string_view::npos) {
      fail("a changed line does not hold the new value", describe(input, first));
    }
  }
  for (std::size_t i = 0; i < in_lines.size(); ++i) {
    if (in_lines[i].end != out_lines[i].end) {
      fail("rewrite changed the line ending of line " + std::to_string(i + 1),
           describe(input, first));
    }
    if (!changed.contains(static_cast<int>(i + 1)) && in_lines[i].text != out_lines[i].text) {
      fail("rewrite changed line " + std::to_string(i + 1) + " which has no change",
           describe(input, first));
    }
  }

  // The rewritten file scans to the new values, and the old ones were what scan saw before.
  const auto rescanned = checked_scan(first.content);
  for (const auto &c : first.changes) {
    const auto at_line = [&](const gitops::manifest::ScanResult &s, const std::string &value) {
      return std::any_of(s.markers.begin(), s.markers.end(), [&](const auto &m) {
        return m.line == c.line && m.group == update.group && m.app == update.app &&
               m.setter == c.setter && m.value == value;
      });
    };
    if (!at_line(scanned, c.old_value)) {
      fail("scan of the input has no marker with the old value on a changed line",
           describe(input, first));
    }
    if (!at_line(rescanned, c.new_value)) {
      fail("scan of the output has no marker with the new value on a changed line",
           describe(input, first));
    }
  }

  RewriteResult second;
  if (!gitops::fuzz::only_gitops_errors("rewrite (second run)", [&] {
        second = gitops::manifest::rewrite(first.content, update, "fuzz.yaml");
      })) {
    fail("rewrite accepted a file but refused its own output", describe(input, first));
  }
  if (!second.changes.empty() || second.content != first.content) {
    fail("rewrite is not idempotent: the second run changed " +
             std::to_string(second.changes.size()) + " values",
         describe(input, first) + "\nsecond output:\n" + second.content);
  }
  if (second.matched != first.matched) {
    fail("the second rewrite matched a different number of markers", describe(input, first));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input = gitops::fuzz::as_text(data, size);

  (void)gitops::manifest::may_contain_marker(input);
  (void)gitops::manifest::is_manifest_file_name(input);
  const auto scanned = checked_scan(input);

  // A tag-only update (what `new` and `promote` write) and a full image with a digest.
  static const ImageUpdate tag_only{"team", "app", "1.2.3", std::nullopt, std::nullopt};
  static const ImageUpdate full{"team", "app", "v2.0.0-rc.1", "registry.example.com:5000/team/app",
                                "sha256:" + std::string(64, 'a')};
  check_rewrite(input, scanned, tag_only);
  check_rewrite(input, scanned, full);
  return 0;
}

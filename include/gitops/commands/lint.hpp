#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace gitops::commands {

// `lint [--sourcedir DIR]`: DIR is the GitOps root holding gitops-promotion.yaml.
struct LintOptions {
  std::filesystem::path root;
};

enum class Severity { error, warning };

// One problem, located as `file:line` (line 0 = the whole file or directory).
struct LintFinding {
  std::string file; // relative to the root, '/'-separated
  int line = 0;
  std::string message;
  Severity severity = Severity::error;
};

struct LintResult {
  std::vector<LintFinding> findings; // sorted by file, then line

  [[nodiscard]] std::size_t errors() const;
  [[nodiscard]] std::size_t warnings() const;
};

// Checks the work tree under `options.root` (on disk; no git needed): the config (its warnings
// become findings; a config that does not load is one error finding), every manifest under every
// `<group>/<env>` directory (manifest::scan findings), groups lacking an environment directory,
// apps with a marker in some environments of their group but not in others, markers for another
// group, and config groups without a directory. Groups are the top-level directories holding at
// least one environment directory. Symlinks and `.git` are skipped. Throws CommandError when the
// root is not a directory.
[[nodiscard]] LintResult run_lint(const LintOptions &options);

} // namespace gitops::commands

#pragma once

// Rendering a directory with the user's own kustomize: `kustomize build` or `kubectl kustomize`.

#include "gitops/util/env.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace gitops::feature {

// A kustomize found on this machine and how to call it.
struct Kustomize {
  std::vector<std::string> command; // e.g. {"/usr/bin/kubectl", "kustomize"}
  std::string description;          // e.g. "kubectl kustomize (/usr/bin/kubectl)", for messages
};

// The environment variable naming a kustomize or kubectl binary to use instead of PATH's.
inline constexpr const char *k_kustomize_variable = "GITOPS_PROMOTION_KUSTOMIZE";

// $GITOPS_PROMOTION_KUSTOMIZE (a kustomize or kubectl binary, told apart by its file name), else
// `kustomize` on PATH, else `kubectl` on PATH. Throws CommandError saying what to install when
// there is none (or the variable names no executable).
[[nodiscard]] Kustomize find_kustomize(const util::EnvLookup &env);

// The YAML stream kustomize renders for `directory` (run with `directory` as its argument and
// working directory). Throws CommandError with kustomize's own message when it fails, plus a hint
// when that message shows a kustomize too old for directories in `resources:` (kubectl before
// 1.21 embeds kustomize v2.0.3).
[[nodiscard]] std::string build(const Kustomize &kustomize, const std::filesystem::path &directory,
                                const std::string &shown_directory);

} // namespace gitops::feature

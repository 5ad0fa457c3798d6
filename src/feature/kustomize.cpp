#include "gitops/feature/kustomize.hpp"

#include "gitops/util/deadline.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/process.hpp"
#include "gitops/util/strings.hpp"

namespace gitops::feature {

namespace {

std::string variable(const util::EnvLookup &env, std::string_view name) {
  if (!env) {
    return {};
  }
  return env(name).value_or("");
}

Kustomize from_binary(const std::filesystem::path &binary) {
  // kubectl renders with a subcommand; anything else is taken for kustomize itself.
  if (binary.filename().string().starts_with("kubectl")) {
    return {{binary.string(), "kustomize"}, "kubectl kustomize (" + binary.string() + ")"};
  }
  return {{binary.string(), "build"}, "kustomize build (" + binary.string() + ")"};
}

// The last lines of a program's complaint, enough to say what went wrong.
std::string tail(const std::string &text) {
  std::string trimmed(util::trim(text));
  constexpr std::size_t k_max = 2000;
  if (trimmed.size() > k_max) {
    trimmed = "…" + trimmed.substr(trimmed.size() - k_max);
  }
  return trimmed;
}

} // namespace

Kustomize find_kustomize(const util::EnvLookup &env) {
  const std::string chosen = variable(env, k_kustomize_variable);
  const std::string path = variable(env, "PATH");
  if (!chosen.empty()) {
    const auto binary = util::find_executable(chosen, path);
    if (!binary) {
      throw CommandError(std::string(k_kustomize_variable) + "=" + util::quote_for_message(chosen) +
                         " is not an executable kustomize or kubectl");
    }
    return from_binary(*binary);
  }
  for (const char *name : {"kustomize", "kubectl"}) {
    if (const auto binary = util::find_executable(name, path)) {
      return from_binary(*binary);
    }
  }
  throw CommandError("feature renders the environment with kustomize, and neither kustomize nor "
                     "kubectl is on PATH: install kustomize (https://kubectl.docs.kubernetes.io) "
                     "or kubectl (Debian: apt-get install kubernetes-client), or set " +
                     std::string(k_kustomize_variable) + " to one");
}

std::string build(const Kustomize &kustomize, const std::filesystem::path &directory,
                  const std::string &shown_directory) {
  std::vector<std::string> argv = kustomize.command;
  argv.emplace_back(".");
  const util::ActivityScope activity("kustomize rendering " + shown_directory);
  const util::ProcessResult result = util::run_process(argv, directory);
  if (result.exit_code == 0) {
    return result.out;
  }
  std::string message = kustomize.description + " failed to render " + shown_directory + " (exit " +
                        std::to_string(result.exit_code) + "): " + tail(result.err);
  if (result.err.find("must be a file") != std::string::npos) {
    message += "\nThis kustomize is too old to read a directory in `resources:` (kubectl before "
               "1.21, as in Debian 12's kubernetes-client, embeds kustomize v2.0.3): install "
               "kustomize v3 or later, or kubectl 1.21 or later, and put it on PATH or in " +
               std::string(k_kustomize_variable) + "; or list the directory under `bases:`";
  }
  throw CommandError(message);
}

} // namespace gitops::feature

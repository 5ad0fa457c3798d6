#pragma once

#include "gitops/commands/image_update.hpp"
#include "gitops/config/config.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/env.hpp"
#include "gitops/util/log.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gitops::commands {

// Where the GitOps root (the directory holding gitops-promotion.yaml) sits inside a repository.
struct RepositoryRoot {
  std::filesystem::path work_dir; // the repository's work tree
  std::string prefix; // "" at the top, else "deploy/gitops/" ('/'-separated, trailing '/')
};

// The root for `sourcedir` inside `repo`: `sourcedir` relative to the work tree. Throws
// CommandError when `sourcedir` is not inside the work tree.
[[nodiscard]] RepositoryRoot locate_root(const git::Repository &repo,
                                         const std::filesystem::path &sourcedir);

// Everything a command that reads git (and later talks to a forge) is handed by the CLI. The
// repository and the provider are separate, so commands can be tested with a fake provider.
struct Services {
  git::Repository &repository;
  RepositoryRoot root;
  providers::GitProvider *provider = nullptr; // null for offline work (dry runs, lint)
  const util::Logger &log;
  git::Credentials credentials{}; // for push and fetch (the token never leaves this struct)
  util::EnvLookup env{};          // CI variables (GITHUB_HEAD_REF, ...); empty = none set
  // The configuration of HEAD when the CLI already read it (it reads it once, for its warnings),
  // and the commit it was read from; head_config() fills them otherwise.
  std::shared_ptr<const config::Config> config{};
  std::string config_commit{};
  // Clock and sleeper of `status`'s polling; empty = steady_clock::now / this_thread::sleep_for.
  std::function<std::chrono::steady_clock::time_point()> now{};
  std::function<void(std::chrono::milliseconds)> sleep{};
};

// The configuration of `commit`'s tree (`<prefix>gitops-promotion.yaml`). Throws ConfigError when
// it is missing, invalid or has no environments.
[[nodiscard]] config::Config read_config(const git::Repository &repo, const RepositoryRoot &root,
                                         const std::string &commit);

// The configuration of `commit` for `services`: Services::config when it was read from `commit`,
// else read_config (and kept in `services` for the next caller).
[[nodiscard]] const config::Config &head_config(Services &services, const std::string &commit);

// The outcome of a command that changes things on a forge (new, promote, feature, ...): upstream's
// stdout message plus the facts JSON output and CI integrations report.
struct Outcome {
  std::string message; // e.g. `created branch promote/g-a with pull request 7 on commit <sha>`
  bool skipped = false;
  std::optional<std::string> branch;
  std::optional<long> pr_number;
  std::optional<std::string> pr_url;
  std::optional<std::string> commit;
  std::vector<ChangeRecord> changes; // the marked values the promotion commit changed
  std::vector<std::string> warnings; // `file:line: message` worth a CI warning annotation
};

// The error for a command this version does not implement yet: exit 1, never a silent success.
[[noreturn]] void not_implemented(const std::string &what);

// The provider of `services`; CommandError naming `command` when there is none.
[[nodiscard]] providers::GitProvider &require_provider(const Services &services,
                                                       const std::string &command);

// An Outcome that skipped with `message` (exit 0).
[[nodiscard]] Outcome skipped_outcome(std::string message);

} // namespace gitops::commands

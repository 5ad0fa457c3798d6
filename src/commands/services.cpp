#include "gitops/commands/services.hpp"

#include "gitops/util/error.hpp"

namespace fs = std::filesystem;

namespace gitops::commands {

RepositoryRoot locate_root(const git::Repository &repo, const fs::path &sourcedir) {
  RepositoryRoot root;
  root.work_dir = repo.work_dir();
  std::error_code ec;
  const fs::path work = fs::weakly_canonical(root.work_dir, ec);
  const fs::path source = fs::weakly_canonical(sourcedir, ec);
  const fs::path rel = source.lexically_relative(work);
  if (rel.empty() || *rel.begin() == "..") {
    throw CommandError("--sourcedir " + sourcedir.string() + " is not inside the work tree " +
                       root.work_dir.string());
  }
  const std::string text = rel.generic_string();
  if (text != ".") {
    root.prefix = text;
    if (root.prefix.back() != '/') {
      root.prefix += '/';
    }
  }
  return root;
}

config::Config read_config(const git::Repository &repo, const RepositoryRoot &root,
                           const std::string &commit) {
  const std::string config_path = root.prefix + std::string(config::k_file_name);
  const std::optional<std::string> config_text = repo.read_file(commit, config_path);
  if (!config_text) {
    throw ConfigError(config_path + " not found in commit " + commit +
                      " (the configuration is read from HEAD, not the work tree)");
  }
  config::Config cfg = config::parse_config(*config_text, config_path);
  if (cfg.environments.empty()) {
    throw ConfigError(config_path + ": no environments are configured");
  }
  if (cfg.file.empty()) {
    cfg.file = config_path;
  }
  return cfg;
}

const config::Config &head_config(Services &services, const std::string &commit) {
  if (!services.config || services.config_commit != commit) {
    services.config = std::make_shared<const config::Config>(
        read_config(services.repository, services.root, commit));
    services.config_commit = commit;
  }
  return *services.config;
}

void not_implemented(const std::string &what) {
  throw CommandError(what + " is not implemented yet in this version of gitops-promotion");
}

providers::GitProvider &require_provider(const Services &services, const std::string &command) {
  if (services.provider == nullptr) {
    throw CommandError(command + " needs a git provider (none was configured)");
  }
  return *services.provider;
}

Outcome skipped_outcome(std::string message) {
  Outcome outcome;
  outcome.skipped = true;
  outcome.message = std::move(message);
  return outcome;
}

} // namespace gitops::commands

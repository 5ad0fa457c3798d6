#include "support/git_sandbox.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace gitops::test {

namespace {

std::string join(const std::vector<std::string> &argv) {
  std::string s;
  for (const auto &a : argv) {
    s += (s.empty() ? "" : " ") + a;
  }
  return s;
}

} // namespace

namespace {

// git with no user or system configuration, a fixed identity, no prompts and C messages.
const std::map<std::string, std::string> &isolated_git_env() {
  static const std::map<std::string, std::string> env{
      {"GIT_CONFIG_GLOBAL", "/dev/null"},
      {"GIT_CONFIG_NOSYSTEM", "1"},
      {"GIT_TERMINAL_PROMPT", "0"},
      {"GIT_AUTHOR_NAME", "Sandbox Author"},
      {"GIT_AUTHOR_EMAIL", "author@example.com"},
      {"GIT_COMMITTER_NAME", "Sandbox Committer"},
      {"GIT_COMMITTER_EMAIL", "committer@example.com"},
      {"GIT_ASKPASS", "/bin/false"},
      {"LC_ALL", "C"}};
  return env;
}

std::string checked_output(CommandResult r, const std::string &what,
                           const std::filesystem::path &cwd) {
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " (in " + cwd.string() + ") failed with exit code " +
                             std::to_string(r.exit_code) + ": " + r.err);
  }
  if (!r.out.empty() && r.out.back() == '\n') {
    r.out.pop_back();
  }
  return std::move(r.out);
}

} // namespace

std::string git(const std::filesystem::path &cwd, const std::vector<std::string> &args) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  return checked_output(run_command(argv, cwd, isolated_git_env()), join(argv), cwd);
}

std::string git_shell(const std::filesystem::path &cwd, const std::string &args) {
  const std::string command = "git " + args;
  return checked_output(run_command({"/bin/sh", "-c", command}, cwd, isolated_git_env()), command,
                        cwd);
}

void init_repo(const std::filesystem::path &dir, const std::string &branch) {
  std::filesystem::create_directories(dir);
  git(dir, {"init", "-q", "-b", branch});
}

void init_bare_repo(const std::filesystem::path &dir, const std::string &branch) {
  std::filesystem::create_directories(dir);
  git(dir, {"init", "-q", "--bare", "-b", branch});
}

void write_files(const std::filesystem::path &dir,
                 const std::map<std::string, std::string> &files) {
  for (const auto &[path, content] : files) {
    write_file(dir / path, content);
  }
}

std::string commit_all(const std::filesystem::path &dir, const std::string &message) {
  git(dir, {"add", "-A"});
  git(dir, {"commit", "-q", "--allow-empty", "-m", message});
  return git(dir, {"rev-parse", "HEAD"});
}

void clone(const std::string &source, const std::filesystem::path &dest,
           const std::vector<std::string> &extra_args) {
  std::vector<std::string> args{"clone", "-q"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(source);
  args.push_back(dest.string());
  git(dest.parent_path(), args);
}

std::optional<std::string> rev_parse(const std::filesystem::path &dir,
                                     const std::string &revision) {
  try {
    return git(dir, {"rev-parse", "--verify", "-q", revision + "^{commit}"});
  } catch (const std::runtime_error &) {
    return std::nullopt;
  }
}

SandboxRepos make_sandbox(const std::filesystem::path &root,
                          const std::map<std::string, std::string> &files) {
  SandboxRepos repos{root / "origin.git", root / "work", ""};
  init_bare_repo(repos.origin);
  init_repo(repos.work);
  write_files(repos.work, files);
  repos.base_commit = commit_all(repos.work, "Initial commit");
  git(repos.work, {"remote", "add", "origin", repos.origin.string()});
  git(repos.work, {"push", "-q", "origin", "main"});
  return repos;
}

DirSnapshot snapshot_dir(const std::filesystem::path &dir,
                         const std::vector<std::string> &exclude_prefixes) {
  DirSnapshot snapshot;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    const std::string rel = std::filesystem::relative(it->path(), dir).generic_string();
    bool excluded = false;
    for (const auto &prefix : exclude_prefixes) {
      if (rel == prefix || rel.starts_with(prefix + "/")) {
        excluded = true;
      }
    }
    if (excluded) {
      std::error_code ec;
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      continue;
    }
    FileState state;
    state.mode = st.st_mode;
    state.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    state.content = S_ISLNK(st.st_mode) ? std::filesystem::read_symlink(it->path()).string()
                                        : read_file(it->path());
    snapshot.emplace(rel, std::move(state));
  }
  return snapshot;
}

std::vector<std::string> files_containing(const std::filesystem::path &dir,
                                          const std::string &needle) {
  std::vector<std::string> hits;
  for (const auto &entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && !entry.is_symlink() &&
        read_file(entry.path()).find(needle) != std::string::npos) {
      hits.push_back(std::filesystem::relative(entry.path(), dir).generic_string());
    }
  }
  return hits;
}

} // namespace gitops::test

#include "support/git_sandbox.hpp"

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

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { reset(); }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  void reset() {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

void make_pipe(Fd &read_end, Fd &write_end) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  read_end.fd = fds[0];
  write_end.fd = fds[1];
}

std::string join(const std::vector<std::string> &argv) {
  std::string s;
  for (const auto &a : argv) {
    s += (s.empty() ? "" : " ") + a;
  }
  return s;
}

} // namespace

CommandResult run_command(const std::vector<std::string> &argv, const std::filesystem::path &cwd,
                          const std::map<std::string, std::string> &env) {
  if (argv.empty()) {
    throw std::runtime_error("run_command: empty argv");
  }
  // Everything the child needs is built before fork(): after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char **e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (env.find(key) == env.end()) {
      env_strings.push_back(entry);
    }
  }
  for (const auto &[key, value] : env) {
    env_strings.push_back(key + "=" + value);
  }
  std::vector<char *> envp;
  for (auto &s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char *> argp;
  for (auto &a : args) {
    argp.push_back(a.data());
  }
  argp.push_back(nullptr);
  const std::string dir = cwd.string();

  Fd out_r, out_w, err_r, err_w, exec_r, exec_w;
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  make_pipe(exec_r, exec_w); // carries errno when exec fails
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
    }
    ::dup2(out_w.fd, 1);
    ::dup2(err_w.fd, 2);
    if (::chdir(dir.c_str()) == 0) {
      ::execvpe(argp[0], argp.data(), envp.data());
    }
    const int e = errno;
    [[maybe_unused]] const ssize_t n = ::write(exec_w.fd, &e, sizeof e);
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();
  exec_w.reset();

  CommandResult result;
  std::array<pollfd, 2> fds{pollfd{out_r.fd, POLLIN, 0}, pollfd{err_r.fd, POLLIN, 0}};
  std::array<std::string *, 2> sinks{&result.out, &result.err};
  int open_count = 2;
  std::array<char, 65536> buf{};
  while (open_count > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int exec_errno = 0;
  if (::read(exec_r.fd, &exec_errno, sizeof exec_errno) ==
      static_cast<ssize_t>(sizeof exec_errno)) {
    throw std::runtime_error("cannot run " + join(argv) + " in " + dir + ": " +
                             std::strerror(exec_errno));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string git(const std::filesystem::path &cwd, const std::vector<std::string> &args) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::map<std::string, std::string> env{{"GIT_CONFIG_GLOBAL", "/dev/null"},
                                               {"GIT_CONFIG_NOSYSTEM", "1"},
                                               {"GIT_TERMINAL_PROMPT", "0"},
                                               {"GIT_AUTHOR_NAME", "Sandbox Author"},
                                               {"GIT_AUTHOR_EMAIL", "author@example.com"},
                                               {"GIT_COMMITTER_NAME", "Sandbox Committer"},
                                               {"GIT_COMMITTER_EMAIL", "committer@example.com"},
                                               {"GIT_ASKPASS", "/bin/false"},
                                               {"LC_ALL", "C"}};
  CommandResult r = run_command(argv, cwd, env);
  if (r.exit_code != 0) {
    throw std::runtime_error(join(argv) + " (in " + cwd.string() + ") failed with exit code " +
                             std::to_string(r.exit_code) + ": " + r.err);
  }
  if (!r.out.empty() && r.out.back() == '\n') {
    r.out.pop_back();
  }
  return r.out;
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

#include "gitops/util/process.hpp"

#include "gitops/util/error.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char **environ; // NOLINT: POSIX declares it nowhere else

namespace gitops::util {

namespace {

// A file descriptor closed when it goes out of scope.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  Fd(Fd &&other) noexcept : m_fd(other.release()) {}
  Fd &operator=(Fd &&other) noexcept {
    reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd = -1) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

private:
  int m_fd = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe(const std::string &program) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw CommandError("cannot run " + program + ": pipe: " + std::strerror(errno));
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

// posix_spawn's file actions, destroyed with the scope.
struct FileActions {
  posix_spawn_file_actions_t actions{};
  FileActions() { posix_spawn_file_actions_init(&actions); }
  FileActions(const FileActions &) = delete;
  FileActions &operator=(const FileActions &) = delete;
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
};

} // namespace

ProcessResult run_process(const std::vector<std::string> &argv, const std::filesystem::path &cwd,
                          std::size_t limit) {
  if (argv.empty()) {
    throw CommandError("run_process: no program given");
  }
  const std::string &program = argv.front();
  Pipe out = make_pipe(program);
  Pipe err = make_pipe(program);

  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.actions, err.write.get(), STDERR_FILENO);
  // glibc 2.29+ (Debian 12 has 2.36): change directory in the child, not in this process.
  posix_spawn_file_actions_addchdir_np(&fa.actions, cwd.c_str());

  std::vector<char *> args;
  args.reserve(argv.size() + 1);
  for (const std::string &a : argv) {
    args.push_back(const_cast<char *>(a.c_str())); // NOLINT: posix_spawn's signature
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawnp(&pid, program.c_str(), &fa.actions, nullptr, args.data(), environ);
  out.write.reset();
  err.write.reset();
  if (spawned != 0) {
    throw CommandError("cannot run " + program + ": " + std::strerror(spawned));
  }

  ProcessResult result;
  std::array<pollfd, 2> fds{{{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}}};
  std::array<std::string *, 2> sinks{&result.out, &result.err};
  std::array<char, 65536> buffer{};
  bool too_much = false;
  int open = 2;
  while (open > 0 && !too_much) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
        too_much = too_much || sinks[i]->size() > limit;
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1; // poll ignores negative descriptors
        --open;
      }
    }
  }
  if (too_much) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_much) {
    throw CommandError(program + " wrote more than " + std::to_string(limit >> 20U) +
                       " MiB; it was stopped");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<std::filesystem::path> find_executable(const std::string &name,
                                                     const std::string &path_variable) {
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(name)
                                             : std::nullopt;
  }
  std::size_t from = 0;
  while (from <= path_variable.size()) {
    std::size_t to = path_variable.find(':', from);
    if (to == std::string::npos) {
      to = path_variable.size();
    }
    // An empty entry means the current directory, as for execvp.
    const std::string dir = to == from ? "." : path_variable.substr(from, to - from);
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    from = to + 1;
  }
  return std::nullopt;
}

} // namespace gitops::util

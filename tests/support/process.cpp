#include "support/process.hpp"

#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
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

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
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

std::string shell_quote(const std::string &text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

ShellResult run_shell(const std::string &command) {
  ShellResult result;
  std::unique_ptr<FILE, int (*)(FILE *)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) {
    throw std::runtime_error("popen failed: " + command);
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell(const std::string &command) {
  ShellResult result = run_shell(command);
  if (result.exit_code != 0) {
    throw std::runtime_error("command failed (" + std::to_string(result.exit_code) +
                             "): " + command + "\n" + result.output);
  }
  return std::move(result.output);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path log_file)
    : m_log_file(std::move(log_file)) {
  if (argv.empty()) {
    throw std::runtime_error("ChildProcess: no command");
  }
  const Fd log(::open(m_log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (log.fd < 0) {
    throw std::runtime_error("ChildProcess: cannot open " + m_log_file.string());
  }
  std::vector<char *> args;
  for (auto &arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);
  m_pid = ::fork();
  if (m_pid < 0) {
    throw std::runtime_error(std::string("ChildProcess: fork failed: ") + std::strerror(errno));
  }
  if (m_pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::dup2(log.fd, STDOUT_FILENO);
    ::dup2(log.fd, STDERR_FILENO);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (null_in >= 0) {
      ::dup2(null_in, STDIN_FILENO);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::running() {
  if (m_pid <= 0 || m_reaped) {
    return false;
  }
  int status = 0;
  const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
  if (done == m_pid) {
    m_reaped = true;
    return false;
  }
  return true;
}

void ChildProcess::stop() {
  if (!running()) {
    return;
  }
  ::kill(m_pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (!running()) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(m_pid, SIGKILL);
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_reaped = true;
}

std::string ChildProcess::log() const {
  std::ifstream in(m_log_file);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int free_port() {
  const Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0) {
    throw std::runtime_error("free_port: socket failed");
  }
  sockaddr_in address = loopback(0);
  if (::bind(fd.fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    throw std::runtime_error("free_port: bind failed");
  }
  socklen_t length = sizeof address;
  if (::getsockname(fd.fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
    throw std::runtime_error("free_port: getsockname failed");
  }
  return ntohs(address.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout, ChildProcess *process) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process != nullptr && !process->running()) {
      return false;
    }
    const Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = loopback(port);
    if (fd.fd >= 0 &&
        ::connect(fd.fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

} // namespace gitops::test

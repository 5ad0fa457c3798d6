#include "support/process.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace gitops::contract {

namespace {

// Closes a file descriptor on scope exit.
class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  [[nodiscard]] int get() const { return m_fd; }

private:
  int m_fd;
};

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

} // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path log_file)
    : m_log_file(std::move(log_file)) {
  if (argv.empty()) {
    throw std::runtime_error("ChildProcess: no command");
  }
  const Fd log(::open(m_log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (log.get() < 0) {
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
    ::dup2(log.get(), STDOUT_FILENO);
    ::dup2(log.get(), STDERR_FILENO);
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
  if (fd.get() < 0) {
    throw std::runtime_error("free_port: socket failed");
  }
  sockaddr_in address = loopback(0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    throw std::runtime_error("free_port: bind failed");
  }
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&address), &length) != 0) {
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
    if (fd.get() >= 0 &&
        ::connect(fd.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

} // namespace gitops::contract

#include "support/git_server.hpp"

#include "support/git_sandbox.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace gitops::test {

namespace {

constexpr const char *k_lighttpd = "/usr/sbin/lighttpd";
constexpr const char *k_http_backend = "/usr/lib/git-core/git-http-backend";

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
int listen_loopback(int &port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(e));
  }
  port = ntohs(addr.sin_port);
  return fd;
}

// True once an HTTP request to the port gets any response.
bool answers_http(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
    const char request[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request, sizeof request - 1, MSG_NOSIGNAL) > 0) {
      char buf[16] = {};
      ok = ::recv(fd, buf, sizeof buf, 0) > 0 && std::strncmp(buf, "HTTP/", 5) == 0;
    }
  }
  ::close(fd);
  return ok;
}

// Writes the decimal form of `value` into `out` (async-signal-safe, for use after fork()).
void format_decimal(char *out, long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) {
    *out++ = digits[--n];
  }
  *out = '\0';
}

} // namespace

GitServer::GitServer(std::string password) : m_password(std::move(password)) {
  const auto &dir = m_dir.path();
  std::filesystem::create_directories(dir / "repos");
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "tmp");
  write_file(dir / "users",
             "x-access-token:" + m_password + "\ngit:" + m_password + "\npat:" + m_password + "\n");

  int listen_fd = listen_loopback(m_port);
  const std::string d = dir.string();
  const std::string repos = (dir / "repos").string();
  const std::string backend_env = R"(  setenv.set-environment = ( "GIT_PROJECT_ROOT" => ")" +
                                  repos +
                                  R"(", "GIT_HTTP_EXPORT_ALL" => "1" ))"
                                  "\n";
  const std::string basic_auth =
      R"(auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) ))";
  const std::string conf =
      R"(server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi", "mod_accesslog" ))"
      "\n"
      "server.bind = \"127.0.0.1\"\n"
      "server.port = " +
      std::to_string(m_port) +
      "\n"
      "server.systemd-socket-activation = \"enable\"\n"
      "server.document-root = \"" +
      d +
      "/www\"\n"
      "server.upload-dirs = ( \"" +
      d +
      "/tmp\" )\n"
      "server.errorlog = \"" +
      d +
      "/error.log\"\n"
      "accesslog.filename = \"" +
      d +
      "/access.log\"\n"
      "auth.backend = \"plain\"\n"
      "auth.backend.plain.userfile = \"" +
      d +
      "/users\"\n"
      "alias.url = ( \"/git/\" => \"" +
      k_http_backend + "/\", \"/bearer/\" => \"" + k_http_backend +
      "/\" )\n"
      "$HTTP[\"url\"] =~ \"^/git/\" {\n"
      "  " +
      basic_auth +
      "\n"
      "  cgi.assign = ( \"\" => \"\" )\n" +
      backend_env +
      "}\n"
      "$HTTP[\"url\"] =~ \"^/bearer/\" {\n"
      "  cgi.assign = ( \"\" => \"\" )\n" +
      backend_env + "  $REQUEST_HEADER[\"Authorization\"] != \"Bearer " + m_password +
      "\" {\n"
      "    " +
      basic_auth +
      "\n"
      "  }\n"
      "}\n";
  write_file(dir / "lighttpd.conf", conf);

  // Built before fork(): the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char **e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LISTEN_", 7) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  env_strings.emplace_back("LISTEN_FDS=1");
  env_strings.emplace_back("LISTEN_PID=" + std::string(24, '\0'));
  std::vector<char *> envp;
  for (auto &s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  char *listen_pid_value = env_strings.back().data() + std::strlen("LISTEN_PID=");
  std::string conf_path = (dir / "lighttpd.conf").string();
  std::string arg0 = "lighttpd", arg1 = "-D", arg2 = "-f";
  std::vector<char *> argv{arg0.data(), arg1.data(), arg2.data(), conf_path.data(), nullptr};

  m_pid = ::fork();
  if (m_pid < 0) {
    const int e = errno;
    ::close(listen_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(e));
  }
  if (m_pid == 0) {
    // Socket activation hands over fd 3; LISTEN_PID must name the process that execs lighttpd.
    if (listen_fd == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else {
      ::dup2(listen_fd, 3);
    }
    format_decimal(listen_pid_value, static_cast<long>(::getpid()));
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execve(k_lighttpd, argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(listen_fd);

  // The socket already listens, so this only waits for lighttpd to start serving.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!answers_http(m_port)) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      throw std::runtime_error("lighttpd exited at start-up: " + error_log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
      m_pid = -1;
      throw std::runtime_error("lighttpd did not answer on port " + std::to_string(m_port) + ": " +
                               error_log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

GitServer::~GitServer() {
  stop();
}

void GitServer::stop() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
  }
}

std::filesystem::path GitServer::create_bare_repo(const std::string &name) {
  const auto path = repo_path(name);
  init_bare_repo(path);
  // Receive-pack is on for authenticated users anyway; this keeps the bearer route pushable too.
  git(path, {"config", "http.receivepack", "true"});
  return path;
}

std::filesystem::path GitServer::repo_path(const std::string &name) const {
  return m_dir.path() / "repos" / (name + ".git");
}

std::string GitServer::url(const std::string &name) const {
  return "http://127.0.0.1:" + std::to_string(m_port) + "/git/" + name + ".git";
}

std::string GitServer::bearer_url(const std::string &name) const {
  return "http://127.0.0.1:" + std::to_string(m_port) + "/bearer/" + name + ".git";
}

std::string GitServer::url_with_credentials(const std::string &name,
                                            const std::string &user) const {
  return "http://" + user + ":" + m_password + "@127.0.0.1:" + std::to_string(m_port) + "/git/" +
         name + ".git";
}

std::string GitServer::error_log() const {
  std::error_code ec;
  if (!std::filesystem::exists(m_dir.path() / "error.log", ec)) {
    return "(no error log)";
  }
  return read_file(m_dir.path() / "error.log");
}

std::string GitServer::access_log() const {
  std::error_code ec;
  if (!std::filesystem::exists(m_dir.path() / "access.log", ec)) {
    return "";
  }
  return read_file(m_dir.path() / "access.log");
}

int closed_loopback_port() {
  int port = 0;
  const int fd = listen_loopback(port);
  ::close(fd);
  return port;
}

} // namespace gitops::test

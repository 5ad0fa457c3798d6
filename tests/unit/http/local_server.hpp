#pragma once

// In-process HTTP servers on random loopback ports for the CurlHttpClient tests.

#include <httplib.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace gitops::http::testing {

// What a server saw of one request.
struct Seen {
  std::string method;
  std::string target; // as sent on the request line (absolute form through a proxy)
  std::string path;
  std::map<std::string, std::string> headers; // lower-cased names, first value
  std::string body;
  int remote_port = -1;
};

// httplib::Server on 127.0.0.1:<random port>, run on its own thread. Register handlers through
// server() before start(); every handled request is recorded.
class LocalServer {
public:
  LocalServer() { m_server.set_keep_alive_max_count(1000); }

  LocalServer(const LocalServer &) = delete;
  LocalServer &operator=(const LocalServer &) = delete;

  ~LocalServer() {
    release();
    if (m_thread.joinable()) {
      m_server.stop();
      m_thread.join();
    }
  }

  httplib::Server &server() { return m_server; }

  // Registers `handler` for `method` (GET, POST, PUT, PATCH, DELETE) on the regex `pattern`; the
  // request is recorded before the handler runs.
  void on(const std::string &method, const std::string &pattern, httplib::Server::Handler handler) {
    auto recording = [this, handler = std::move(handler)](const httplib::Request &req,
                                                          httplib::Response &res) {
      record(req);
      handler(req, res);
    };
    if (method == "GET") {
      m_server.Get(pattern, recording);
    } else if (method == "POST") {
      m_server.Post(pattern, recording);
    } else if (method == "PUT") {
      m_server.Put(pattern, recording);
    } else if (method == "PATCH") {
      m_server.Patch(pattern, recording);
    } else if (method == "DELETE") {
      m_server.Delete(pattern, recording);
    } else {
      throw std::invalid_argument("LocalServer::on: unsupported method " + method);
    }
  }

  // Binds port 0 and serves until destruction.
  void start() {
    m_port = m_server.bind_to_any_port("127.0.0.1");
    if (m_port <= 0) {
      throw std::runtime_error("could not bind a loopback port");
    }
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    // stop() is a no-op before the accept loop runs, so wait for it to start.
    while (!m_server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }

  [[nodiscard]] std::vector<Seen> seen() const {
    const std::lock_guard lock(m_mutex);
    return m_seen;
  }
  [[nodiscard]] std::size_t count() const {
    const std::lock_guard lock(m_mutex);
    return m_seen.size();
  }

  // Blocks a handler until release() or `limit`, whichever comes first (slow-server tests).
  void hold(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_mutex);
    m_hold.wait_for(lock, limit, [this] { return m_released; });
  }
  void release() {
    {
      const std::lock_guard lock(m_mutex);
      m_released = true;
    }
    m_hold.notify_all();
  }

private:
  void record(const httplib::Request &req) {
    Seen seen{req.method, req.target, req.path, {}, req.body, req.remote_port};
    for (const auto &[name, value] : req.headers) {
      std::string lower;
      for (const char c : name) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      seen.headers.emplace(lower, value);
    }
    const std::lock_guard lock(m_mutex);
    m_seen.push_back(std::move(seen));
  }

  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
  mutable std::mutex m_mutex;
  std::vector<Seen> m_seen;
  std::condition_variable m_hold;
  bool m_released = false;
};

// A TCP server that reads one request head per connection and closes without answering.
class DroppingServer {
public:
  DroppingServer() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), size) != 0 ||
        ::listen(m_fd, 16) != 0 ||
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &size) != 0) {
      throw std::runtime_error("could not start the dropping server");
    }
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { run(); });
  }

  DroppingServer(const DroppingServer &) = delete;
  DroppingServer &operator=(const DroppingServer &) = delete;

  ~DroppingServer() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
  }

  [[nodiscard]] std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }
  [[nodiscard]] int connections() const { return m_connections.load(); }

private:
  void run() {
    while (!m_stop) {
      const int client = ::accept(m_fd, nullptr, nullptr);
      if (client < 0) {
        return;
      }
      ++m_connections;
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const auto got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) {
          break;
        }
        head.append(buffer, static_cast<std::size_t>(got));
      }
      ::close(client);
    }
  }

  int m_fd = -1;
  int m_port = 0;
  std::thread m_thread;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
};

// A loopback port that is bound but not listening, so connecting to it is refused.
class RefusingPort {
public:
  RefusingPort() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), size) != 0 ||
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &size) != 0) {
      throw std::runtime_error("could not reserve a loopback port");
    }
    m_port = ntohs(address.sin_port);
  }
  RefusingPort(const RefusingPort &) = delete;
  RefusingPort &operator=(const RefusingPort &) = delete;
  ~RefusingPort() { ::close(m_fd); }

  [[nodiscard]] std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }

private:
  int m_fd = -1;
  int m_port = 0;
};

// Sets (or, with std::nullopt, unsets) environment variables and restores them on destruction.
class ScopedEnv {
public:
  ScopedEnv() = default;
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;
  ~ScopedEnv() {
    for (auto it = m_saved.rbegin(); it != m_saved.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }

  void set(const std::string &name, const std::optional<std::string> &value) {
    const char *old = std::getenv(name.c_str());
    m_saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }

  // Clears every proxy variable libcurl reads, so loopback tests never go through a proxy.
  void clear_proxies() {
    for (const char *name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                             "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      set(name, std::nullopt);
    }
  }

private:
  std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

} // namespace gitops::http::testing

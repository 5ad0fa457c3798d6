#include "support/cutting_proxy.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace gitops::test {

namespace {

bool send_all(int fd, const char *data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0) {
      return false;
    }
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

} // namespace

CuttingProxy::CuttingProxy(int upstream_port, int cuts)
    : m_upstream_port(upstream_port), m_cuts_left(cuts) {
  m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), size) != 0 ||
      ::listen(m_listener, 16) != 0 ||
      ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &size) != 0) {
    throw std::runtime_error("could not start the cutting proxy");
  }
  m_port = ntohs(address.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

CuttingProxy::~CuttingProxy() {
  m_stop = true;
  ::shutdown(m_listener, SHUT_RDWR);
  m_acceptor.join();
  {
    const std::lock_guard lock(m_mutex);
    for (const int fd : m_open) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto &worker : m_workers) {
    worker.join();
  }
  ::close(m_listener);
}

void CuttingProxy::accept_loop() {
  while (!m_stop) {
    const int client = ::accept(m_listener, nullptr, nullptr);
    if (client < 0) {
      return;
    }
    const std::lock_guard lock(m_mutex);
    m_workers.emplace_back([this, client] { pump(client); });
  }
}

void CuttingProxy::pump(int client) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(m_upstream_port));
  if (upstream < 0 ||
      ::connect(upstream, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    ::close(client);
    if (upstream >= 0) {
      ::close(upstream);
    }
    return;
  }
  {
    const std::lock_guard lock(m_mutex);
    m_open.push_back(client);
    m_open.push_back(upstream);
  }
  std::array<pollfd, 2> fds{pollfd{client, POLLIN, 0}, pollfd{upstream, POLLIN, 0}};
  std::array<char, 65536> buffer{};
  bool open = true;
  while (open && !m_stop) {
    if (::poll(fds.data(), fds.size(), 200) < 0) {
      break;
    }
    for (std::size_t i = 0; i < fds.size() && open; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t got = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
      if (got <= 0) {
        open = false;
        break;
      }
      const std::string_view data(buffer.data(), static_cast<std::size_t>(got));
      if (i == 0 && data.starts_with("POST ") &&
          data.substr(0, data.find('\n')).find("/git-receive-pack") != std::string_view::npos) {
        ++m_posts;
        if (m_cuts_left.fetch_sub(1) > 0) {
          ++m_cut;
          open = false;
          break;
        }
      }
      open = send_all(fds[1 - i].fd, data.data(), data.size());
    }
  }
  {
    const std::lock_guard lock(m_mutex);
    std::erase(m_open, client);
    std::erase(m_open, upstream);
  }
  ::close(client);
  ::close(upstream);
}

} // namespace gitops::test

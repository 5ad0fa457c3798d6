#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gitops::test {

// A TCP proxy on 127.0.0.1:<random port> in front of 127.0.0.1:`upstream_port`. It cuts the first
// `cuts` client connections on which a `POST …/git-receive-pack` request starts: both sockets are
// closed before any byte of that request reaches the server, the way a load balancer drops a
// connection. Everything else is passed through unchanged.
class CuttingProxy {
public:
  CuttingProxy(int upstream_port, int cuts);
  ~CuttingProxy();
  CuttingProxy(const CuttingProxy &) = delete;
  CuttingProxy &operator=(const CuttingProxy &) = delete;

  [[nodiscard]] int port() const { return m_port; }
  // receive-pack POSTs seen so far, cut or passed on.
  [[nodiscard]] int receive_pack_posts() const { return m_posts.load(); }
  // Connections cut so far.
  [[nodiscard]] int cut() const { return m_cut.load(); }

private:
  void accept_loop();
  void pump(int client);

  int m_upstream_port;
  std::atomic<int> m_cuts_left;
  std::atomic<int> m_posts{0};
  std::atomic<int> m_cut{0};
  std::atomic<bool> m_stop{false};
  int m_listener = -1;
  int m_port = 0;
  std::mutex m_mutex; // guards m_open and m_workers
  std::vector<int> m_open;
  std::vector<std::thread> m_workers;
  std::thread m_acceptor;
};

} // namespace gitops::test

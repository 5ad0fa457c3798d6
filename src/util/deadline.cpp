#include "gitops/util/deadline.hpp"

#include <utility>

namespace gitops::util {

namespace {

std::mutex g_activity_mutex;
std::string g_activity; // guarded by g_activity_mutex

} // namespace

ActivityScope::ActivityScope(std::string what) {
  const std::lock_guard lock(g_activity_mutex);
  m_previous = std::exchange(g_activity, std::move(what));
}

ActivityScope::~ActivityScope() {
  const std::lock_guard lock(g_activity_mutex);
  g_activity = std::move(m_previous);
}

std::string ActivityScope::current() {
  const std::lock_guard lock(g_activity_mutex);
  return g_activity;
}

Deadline::Deadline(std::chrono::milliseconds limit,
                   std::function<void(const std::string &)> on_expiry) {
  m_thread = std::thread([this, limit, on_expiry = std::move(on_expiry)] {
    std::unique_lock lock(m_mutex);
    if (m_cancel.wait_for(lock, limit, [this] { return m_cancelled; })) {
      return;
    }
    lock.unlock();
    on_expiry(ActivityScope::current());
  });
}

Deadline::~Deadline() {
  {
    const std::lock_guard lock(m_mutex);
    m_cancelled = true;
  }
  m_cancel.notify_all();
  m_thread.join();
}

} // namespace gitops::util

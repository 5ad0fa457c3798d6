#pragma once

// The whole command's time limit: a watchdog that, when the limit passes, reports what the process
// was waiting for and ends it, whatever it was blocked in (a forge that never answers, a git
// server that stalls). Blocking steps say what they wait for with an ActivityScope.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gitops::util {

// Names what this process is waiting for while it lives (e.g. "an answer to GET https://…"); the
// previous activity comes back when it ends. Thread-safe.
class ActivityScope {
public:
  explicit ActivityScope(std::string what);
  ActivityScope(const ActivityScope &) = delete;
  ActivityScope &operator=(const ActivityScope &) = delete;
  ~ActivityScope();

  // The innermost live activity, or "" when none.
  [[nodiscard]] static std::string current();

private:
  std::string m_previous;
};

// Calls `on_expiry(activity)` from its own thread once `limit` has passed, unless destroyed first.
// `on_expiry` must end the process (it runs while the main thread is still blocked).
class Deadline {
public:
  Deadline(std::chrono::milliseconds limit, std::function<void(const std::string &)> on_expiry);
  Deadline(const Deadline &) = delete;
  Deadline &operator=(const Deadline &) = delete;
  ~Deadline();

private:
  std::mutex m_mutex;
  std::condition_variable m_cancel;
  bool m_cancelled = false;
  std::thread m_thread;
};

} // namespace gitops::util

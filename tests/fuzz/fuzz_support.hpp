#pragma once

#include "gitops/util/error.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

namespace gitops::fuzz {

// Prints `what` and `detail` (escaped, so the reproducer's bytes stay readable) and aborts, which
// libFuzzer records as a crash with the input saved.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::string shown;
  for (const char c : detail) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      shown += "\\n\n";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      shown += buf;
    } else {
      shown += c;
    }
  }
  std::fprintf(stderr, "\n==== fuzz invariant violated: %.*s\n%s\n====\n",
               static_cast<int>(what.size()), what.data(), shown.c_str());
  std::abort();
}

// Runs `fn`; returns true when it returned and false when it threw a gitops::Error subclass. Any
// other exception is a bug: the caller's contract allows only gitops::Error.
template <typename Fn> bool only_gitops_errors(std::string_view call, Fn &&fn) {
  try {
    fn();
    return true;
  } catch (const gitops::Error &) {
    return false;
  } catch (const std::exception &e) {
    fail(std::string(call) + " threw " + typeid(e).name() + " (not a gitops::Error)", e.what());
  } catch (...) {
    fail(std::string(call) + " threw a non-std exception");
  }
}

// Runs `fn`, which must not throw at all.
template <typename Fn> void never_throws(std::string_view call, Fn &&fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    fail(std::string(call) + " threw " + typeid(e).name() + " but must never throw", e.what());
  } catch (...) {
    fail(std::string(call) + " threw a non-std exception but must never throw");
  }
}

inline std::string_view as_text(const unsigned char *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

} // namespace gitops::fuzz

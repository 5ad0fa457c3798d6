#include "libgit2_library.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/shared_library.hpp"

#include <string>

namespace gitops::git::detail {

namespace {

// libgit2 1.x names its SONAME after the minor release (libgit2.so.1.5).
std::string version() {
  return std::to_string(LIBGIT2_VER_MAJOR) + "." + std::to_string(LIBGIT2_VER_MINOR);
}

Libgit2 load() {
  const std::string soname = "libgit2.so." + version();
  void *library = util::open_library<GitError>(soname, "install libgit2 " + version() +
                                                           " (Debian: apt-get install libgit2-" +
                                                           version() + ")");
  Libgit2 api{};
#define GP_LIBGIT2_RESOLVE(name) util::resolve<GitError>(library, soname, #name, api.name);
  GP_LIBGIT2_FUNCTIONS(GP_LIBGIT2_RESOLVE)
#undef GP_LIBGIT2_RESOLVE
  return api;
}

} // namespace

const Libgit2 &libgit2() {
  // Thread-safe once (a function-local static); a failure is thrown again on the next call.
  static const Libgit2 api = load();
  return api;
}

} // namespace gitops::git::detail

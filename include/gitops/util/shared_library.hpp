#pragma once

// Libraries opened on first use with dlopen, so a command that never needs one never pays for
// loading it and the libraries it pulls in (libgit2, libcurl, libcrypto).

#include <string>

namespace gitops::util {

// The library `soname` opened for the life of the process (never closed: a library's global state
// may live until exit), or nullptr with the loader's reason in `why`.
[[nodiscard]] void *try_open_library(const std::string &soname, std::string &why);

// The address of `name` in `library`, or nullptr with the loader's reason in `why`.
[[nodiscard]] void *try_library_symbol(void *library, const char *name, std::string &why);

// As try_open_library; throws E "cannot load SONAME (reason); INSTALL_HINT" instead of nullptr.
template <class E>
[[nodiscard]] void *open_library(const std::string &soname, const std::string &install_hint) {
  std::string why;
  void *library = try_open_library(soname, why);
  if (library == nullptr) {
    throw E("cannot load " + soname + " (" + why + "); " + install_hint);
  }
  return library;
}

// Resolves `name` into `slot`, whose type is the function's as its header declares it; throws E
// "SONAME has no NAME: reason" when the library lacks it.
template <class E, class Function>
void resolve(void *library, const std::string &soname, const char *name, Function &slot) {
  std::string why;
  void *symbol = try_library_symbol(library, name, why);
  if (symbol == nullptr) {
    throw E(soname + " has no " + name + ": " + why);
  }
  slot = reinterpret_cast<Function>(symbol);
}

} // namespace gitops::util

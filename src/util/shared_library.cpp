#include "gitops/util/shared_library.hpp"

#include <dlfcn.h>

namespace gitops::util {

namespace {

std::string loader_reason() {
  const char *why = dlerror();
  return why != nullptr ? why : "no reason given";
}

} // namespace

void *try_open_library(const std::string &soname, std::string &why) {
  // RTLD_NOW: a missing function is reported here, once, not in the middle of a push.
  void *library = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    why = loader_reason();
  }
  return library;
}

void *try_library_symbol(void *library, const char *name, std::string &why) {
  dlerror();
  void *symbol = dlsym(library, name);
  if (symbol == nullptr) {
    why = loader_reason();
  }
  return symbol;
}

} // namespace gitops::util

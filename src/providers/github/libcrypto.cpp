#include "libcrypto.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/shared_library.hpp"

#include <openssl/opensslv.h>
#include <string>

namespace gitops::providers::detail {

namespace {

Libcrypto load() {
  const std::string soname = "libcrypto.so." + std::to_string(OPENSSL_VERSION_MAJOR);
  void *library = util::open_library<ProviderError>(
      soname, "install OpenSSL " + std::to_string(OPENSSL_VERSION_MAJOR) +
                  " (Debian: apt-get install libssl" + std::to_string(OPENSSL_VERSION_MAJOR) + ")");
  Libcrypto api{};
#define GP_LIBCRYPTO_RESOLVE(name) util::resolve<ProviderError>(library, soname, #name, api.name);
  GP_LIBCRYPTO_FUNCTIONS(GP_LIBCRYPTO_RESOLVE)
#undef GP_LIBCRYPTO_RESOLVE
  return api;
}

} // namespace

const Libcrypto &libcrypto() {
  // Thread-safe once (a function-local static); a failure is thrown again on the next call.
  static const Libcrypto api = load();
  return api;
}

} // namespace gitops::providers::detail

#pragma once

// Private to src/providers/github: OpenSSL's libcrypto, loaded when a GitHub App key is first
// read. Only the App's JSON web tokens need it.

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace gitops::providers::detail {

// Every libcrypto function the GitHub App code calls: X(name) for each, in alphabetical order.
#define GP_LIBCRYPTO_FUNCTIONS(X)                                                                  \
  X(BIO_free)                                                                                      \
  X(BIO_new_mem_buf)                                                                               \
  X(ERR_clear_error)                                                                               \
  X(ERR_peek_error)                                                                                \
  X(ERR_reason_error_string)                                                                       \
  X(EVP_DigestSign)                                                                                \
  X(EVP_DigestSignInit)                                                                            \
  X(EVP_MD_CTX_free)                                                                               \
  X(EVP_MD_CTX_new)                                                                                \
  X(EVP_PKEY_free)                                                                                 \
  X(EVP_PKEY_get0_type_name)                                                                       \
  X(EVP_PKEY_is_a)                                                                                 \
  X(EVP_sha256)                                                                                    \
  X(PEM_read_bio_PrivateKey)

// The libcrypto functions, resolved from the library opened with dlopen; members are named as
// the functions.
struct Libcrypto {
#define GP_LIBCRYPTO_SLOT(name) decltype(&::name) name;
  GP_LIBCRYPTO_FUNCTIONS(GP_LIBCRYPTO_SLOT)
#undef GP_LIBCRYPTO_SLOT
};

// libcrypto (libcrypto.so.MAJOR of the OpenSSL this was built against), opened on the first call
// and kept for the life of the process: about 3 ms of start-up no other command needs. Throws
// ProviderError naming the library and the loader's reason when it or a function is missing.
[[nodiscard]] const Libcrypto &libcrypto();

} // namespace gitops::providers::detail

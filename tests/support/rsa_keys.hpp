#pragma once

// RSA key pairs made with OpenSSL's libcrypto for tests of GitHub App authentication (the tool
// signs, the simulator and the tests verify). Link OpenSSL::Crypto.
#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdexcept>
#include <string>

namespace gitops::test {

struct RsaKeyPair {
  std::string private_pem; // PKCS#8 ("BEGIN PRIVATE KEY")
  std::string public_pem;  // SubjectPublicKeyInfo ("BEGIN PUBLIC KEY")
};

namespace detail {
struct PkeyFree {
  void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO *bio) const { BIO_free(bio); }
};
inline std::string bio_text(BIO *bio) {
  char *data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}
} // namespace detail

// A fresh RSA key pair of `bits` bits. 2048 is what GitHub generates; tests use 1024 where
// speed matters more than strength.
inline RsaKeyPair make_rsa_key_pair(unsigned bits = 2048) {
  std::unique_ptr<EVP_PKEY, detail::PkeyFree> key(EVP_RSA_gen(bits));
  std::unique_ptr<BIO, detail::BioFree> priv(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, detail::BioFree> pub(BIO_new(BIO_s_mem()));
  if (!key || !priv || !pub ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    throw std::runtime_error("could not make an RSA key pair");
  }
  return {detail::bio_text(priv.get()), detail::bio_text(pub.get())};
}

// The traditional PKCS#1 form ("BEGIN RSA PRIVATE KEY") of a private key, as GitHub downloads it.
inline std::string pkcs1_of(const std::string &private_pem) {
  std::unique_ptr<BIO, detail::BioFree> in(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  std::unique_ptr<EVP_PKEY, detail::PkeyFree> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<BIO, detail::BioFree> out(BIO_new(BIO_s_mem()));
  if (!key || !out ||
      PEM_write_bio_PrivateKey_traditional(out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                           nullptr) != 1) {
    throw std::runtime_error("could not write a PKCS#1 key");
  }
  return detail::bio_text(out.get());
}

} // namespace gitops::test

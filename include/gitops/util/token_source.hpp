#pragma once

#include <string>

namespace gitops::util {

// Hands out the access token to send now. An implementation may mint or renew it on the way (a
// GitHub App's installation token), so callers ask again before each request instead of keeping
// the value.
class TokenSource {
public:
  TokenSource() = default;
  TokenSource(const TokenSource &) = delete;
  TokenSource &operator=(const TokenSource &) = delete;
  virtual ~TokenSource() = default;

  // The token to use for the next request; throws gitops::Error when none can be had.
  [[nodiscard]] virtual std::string token() = 0;
};

// A token that never changes (--token or a token variable).
class FixedToken final : public TokenSource {
public:
  explicit FixedToken(std::string token) : m_token(std::move(token)) {}
  [[nodiscard]] std::string token() override { return m_token; }

private:
  std::string m_token;
};

} // namespace gitops::util

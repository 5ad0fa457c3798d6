#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/token_source.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

// Who the tool authenticates as when it runs as a GitHub App instead of with a token.
struct GitHubAppCredentials {
  std::string app_id;          // --github-app-id: the App ID (or Client ID) of the App's settings
  std::string private_key_pem; // the App's private key, PEM (PKCS#1 or PKCS#8)
  std::string key_origin; // where the key came from, for messages: a flag and file, or a variable
  std::optional<std::string> installation_id; // --github-app-installation-id; absent: looked up
};

// The permissions an installation token must carry for new, promote, feature and status.
struct AppPermission {
  std::string_view name;  // as GitHub spells it: contents, pull_requests, statuses, checks
  std::string_view level; // read or write
};
inline constexpr std::array<AppPermission, 4> k_app_permissions = {
    {{"contents", "write"}, {"pull_requests", "write"}, {"statuses", "read"}, {"checks", "read"}}};

// A GitHub App's RSA private key, held by OpenSSL's libcrypto, that signs the App's JSON web
// tokens.
class GitHubAppKey {
public:
  // Parses `pem` (surrounding blanks ignored; a one-line secret with literal "\n" separators is
  // accepted too). Throws UsageError naming `origin`, never any of the key, for text that is not a
  // PEM private key, an encrypted key, or a key that is not RSA.
  [[nodiscard]] static GitHubAppKey parse(std::string_view pem, std::string_view origin);

  // An RS256 JSON web token for GitHub: `iat` 60 s before `now` (clock skew), `exp` 9 minutes
  // after `now` (GitHub refuses 10 minutes and more), `iss` the App id. Throws ProviderError when
  // signing fails.
  [[nodiscard]] std::string jwt(std::string_view app_id,
                                std::chrono::system_clock::time_point now) const;

  GitHubAppKey(GitHubAppKey &&) noexcept;
  GitHubAppKey &operator=(GitHubAppKey &&) noexcept;
  ~GitHubAppKey();

private:
  struct Impl;
  explicit GitHubAppKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// The lines of a PEM text long enough to be secret (its base64 body), for output redaction: a
// message that quoted part of the key would still hide it.
[[nodiscard]] std::vector<std::string> pem_secret_lines(std::string_view pem);

// The installation token of a GitHub App on one repository, minted on first use and renewed when
// less than five minutes (or half of its lifetime, whichever is less) remain. Minting: a JWT, the
// installation (`GET /repos/{o}/{r}/installation`, or `GET /app/installations/{id}` when the id is
// given), a check that it grants k_app_permissions, then `POST
// /app/installations/{id}/access_tokens` for this repository and those permissions only. Each
// JWT and token is handed to `on_secret` before it is used. Failures throw ProviderError with a
// message of their own: a key that does not belong to the App (or a wrong App id), an App not
// installed on the repository, an installation without a needed permission, a suspended
// installation, and a clock too far from GitHub's (measured from GitHub's Date header).
class GitHubAppTokenSource final : public util::TokenSource {
public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // `http` must outlive the source. Parses the key now (UsageError as GitHubAppKey::parse).
  GitHubAppTokenSource(GitHubAppCredentials credentials, GitHubRemote remote,
                       GitHubEndpoints endpoints, http::HttpClient &http,
                       std::function<void(const std::string &)> on_secret,
                       std::string user_agent = "gitops-promotion", Clock clock = {});
  ~GitHubAppTokenSource() override;

  [[nodiscard]] std::string token() override;

  // The installation the last token was minted for (empty before the first).
  [[nodiscard]] const std::string &installation_id() const noexcept { return m_installation_id; }
  // How many installation tokens were minted so far.
  [[nodiscard]] int minted() const noexcept { return m_minted; }

private:
  void mint();
  [[nodiscard]] http::Response app_call(const std::string &method, const std::string &path,
                                        const std::string &body, const std::string &jwt);
  [[nodiscard]] std::string explain(const http::Response &response, const std::string &what,
                                    std::chrono::system_clock::time_point signed_at) const;

  GitHubAppCredentials m_credentials;
  GitHubAppKey m_key;
  GitHubRemote m_remote;
  GitHubEndpoints m_endpoints;
  http::HttpClient &m_http;
  std::function<void(const std::string &)> m_on_secret;
  std::string m_user_agent;
  Clock m_clock;
  std::string m_token;
  std::string m_installation_id;
  std::chrono::system_clock::time_point m_renew_at{};
  int m_minted = 0;
};

} // namespace gitops::providers

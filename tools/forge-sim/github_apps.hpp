#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forge_sim {

// A registered GitHub App: its id and the public half of its key (PEM), which verifies its JWTs.
struct GitHubApp {
  long id = 0;
  std::string slug;
  std::string public_key_pem;
};

// An installation of an App on one account: all of its repositories or the listed ones, with
// the permissions the account granted.
struct AppInstallation {
  long id = 0;
  long app_id = 0;
  std::string account;
  std::optional<std::vector<std::string>> repositories; // nullopt: all repositories
  nlohmann::json permissions = nlohmann::json::object();
  bool suspended = false;
  std::string created_at;
};

// An installation access token: which installation, which repositories, until when.
struct InstallationToken {
  long installation_id = 0;
  std::string account;
  std::vector<std::string> repositories;
  std::chrono::system_clock::time_point expires_at;
  int issued = 0; // 1 for the first token minted, then 2, ...
};

// What the simulator knows about GitHub Apps, guarded by State's mutex like everything else.
struct GitHubApps {
  std::map<long, GitHubApp> apps;
  std::map<long, AppInstallation> installations;
  std::map<std::string, InstallationToken> tokens;
  std::chrono::seconds token_lifetime{3600};
  // The simulator's clock minus the real one: JWT checks, expiry and the Date header use it.
  std::chrono::seconds clock_offset{0};
  // When set, the newest live installation token is written there as `x-access-token:<token>`
  // beside the other users the file had before the first token (a plain user file holds one
  // password per user), so the git server accepts the token a renewing client uses.
  std::filesystem::path git_users_file;
  std::optional<std::vector<std::string>> git_users_base;
  int minted = 0;

  [[nodiscard]] std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::now() + clock_offset;
  }
  // True when `token` is a live installation token that may act on `owner/repo` (any repository
  // when `repo` is empty).
  [[nodiscard]] bool token_allows(const std::string &token, const std::string &owner,
                                  const std::string &repo) const;
  // Rewrites git_users_file (when set) with the base lines and the newest live token.
  void write_git_users();
};

} // namespace forge_sim

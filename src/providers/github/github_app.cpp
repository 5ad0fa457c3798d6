#include "gitops/providers/github_app.hpp"

#include "github_request.hpp"
#include "libcrypto.hpp"

#include "gitops/providers/azdo_url.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <utility>

namespace gitops::providers {

namespace {

using detail::libcrypto;
using util::contains;

using nlohmann::json;
using std::chrono::system_clock;

// GitHub's advice: issue the JWT 60 s in the past, so a clock slightly ahead is still accepted.
constexpr std::chrono::seconds k_backdate{60};
// exp - iat, so exp is 9 minutes after now: GitHub refuses a JWT that expires 10 minutes or more
// after its own now.
constexpr std::chrono::seconds k_jwt_lifetime{600};
constexpr std::chrono::minutes k_renew_before{5};

struct BioFree {
  void operator()(BIO *bio) const { libcrypto().BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY *key) const { libcrypto().EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX *ctx) const { libcrypto().EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The reason of OpenSSL's first queued error ("unsupported", "bad base64 decode"), and the queue
// emptied. Reasons never quote the input.
std::string openssl_reason() {
  const unsigned long code = libcrypto().ERR_peek_error();
  libcrypto().ERR_clear_error();
  if (code == 0) {
    return "no further detail";
  }
  const char *reason = libcrypto().ERR_reason_error_string(code);
  return reason != nullptr ? reason : "error " + std::to_string(code);
}

// Never asks for a passphrase (the default would prompt on a terminal): an encrypted key fails.
int refuse_passphrase(char * /*buf*/, int /*size*/, int /*rwflag*/, void *asked) {
  *static_cast<bool *>(asked) = true;
  return -1;
}

std::string base64url(std::string_view data) {
  std::string text = util::base64_encode(data);
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  return text;
}

std::string string_field(const json &object, const char *key) {
  const auto it = object.find(key);
  if (it == object.end()) {
    return {};
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number_integer()) {
    return std::to_string(it->get<long long>());
  }
  return {};
}

// GitHub's `message`, or "" when the body is not GitHub's error shape.
std::string message_of(const http::Response &response) {
  try {
    const json body = json::parse(response.body);
    return body.is_object() ? string_field(body, "message") : std::string();
  } catch (const json::exception &) {
    return {};
  }
}

// `pem` trimmed, with literal "\n" separators turned into line breaks when it has none: secret
// stores often keep a multi-line value as one line.
std::string unfold_pem(std::string_view pem) {
  std::string text(util::trim(pem));
  if (text.find('\n') == std::string::npos && contains(text, "\\n")) {
    text = util::replace_all(std::move(text), "\\n", "\n");
  }
  return text;
}

std::string seconds_text(long long seconds) {
  return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

} // namespace

struct GitHubAppKey::Impl {
  PkeyPtr key;
};

GitHubAppKey::GitHubAppKey(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
GitHubAppKey::GitHubAppKey(GitHubAppKey &&) noexcept = default;
GitHubAppKey &GitHubAppKey::operator=(GitHubAppKey &&) noexcept = default;
GitHubAppKey::~GitHubAppKey() = default;

GitHubAppKey GitHubAppKey::parse(std::string_view pem, std::string_view origin) {
  const std::string text = unfold_pem(pem);
  const std::string where = "the GitHub App private key (" + std::string(origin) + ")";
  if (text.empty()) {
    throw UsageError(where + " is empty");
  }
  if (!text.starts_with("-----BEGIN ")) {
    throw UsageError(where +
                     " is not a PEM key: it must start with \"-----BEGIN RSA PRIVATE KEY-----\" "
                     "(the .pem file GitHub downloads under the App's settings, Private keys)");
  }
  libcrypto().ERR_clear_error();
  BioPtr bio(libcrypto().BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    throw UsageError(where + " could not be read: out of memory");
  }
  bool asked_passphrase = false;
  PkeyPtr key(libcrypto().PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase,
                                                  &asked_passphrase));
  if (!key) {
    const std::string reason = openssl_reason();
    if (asked_passphrase) {
      throw UsageError(where + " is encrypted; give the unencrypted key GitHub generated");
    }
    throw UsageError(where + " is not a valid PEM private key (OpenSSL: " + reason +
                     "); give the whole .pem file GitHub generated, BEGIN and END lines included");
  }
  if (libcrypto().EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    throw UsageError(where + " is a " +
                     std::string(libcrypto().EVP_PKEY_get0_type_name(key.get())) +
                     " key; GitHub Apps sign with RSA keys (RS256)");
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return GitHubAppKey(std::move(impl));
}

std::string GitHubAppKey::jwt(std::string_view app_id, system_clock::time_point now) const {
  const long long issued =
      std::chrono::duration_cast<std::chrono::seconds>((now - k_backdate).time_since_epoch())
          .count();
  // iss: GitHub takes the App ID as a number and a Client ID as a string.
  json claims = {{"iat", issued}, {"exp", issued + k_jwt_lifetime.count()}};
  const bool numeric = !app_id.empty() && std::all_of(app_id.begin(), app_id.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (numeric && app_id.size() < 18) {
    claims["iss"] = std::stoll(std::string(app_id));
  } else {
    claims["iss"] = std::string(app_id);
  }
  const std::string signing_input =
      base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(claims.dump());

  libcrypto().ERR_clear_error();
  MdCtxPtr ctx(libcrypto().EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx ||
      libcrypto().EVP_DigestSignInit(ctx.get(), nullptr, libcrypto().EVP_sha256(), nullptr,
                                     m_impl->key.get()) != 1 ||
      libcrypto().EVP_DigestSign(ctx.get(), nullptr, &length,
                                 reinterpret_cast<const unsigned char *>(signing_input.data()),
                                 signing_input.size()) != 1) {
    throw ProviderError(
        "could not sign the GitHub App's JSON web token (OpenSSL: " + openssl_reason() + ")");
  }
  std::string signature(length, '\0');
  if (libcrypto().EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()),
                                 &length,
                                 reinterpret_cast<const unsigned char *>(signing_input.data()),
                                 signing_input.size()) != 1) {
    throw ProviderError(
        "could not sign the GitHub App's JSON web token (OpenSSL: " + openssl_reason() + ")");
  }
  signature.resize(length);
  return signing_input + "." + base64url(signature);
}

std::vector<std::string> pem_secret_lines(std::string_view pem) {
  std::vector<std::string> lines;
  for (const std::string &piece : util::split(unfold_pem(pem), '\n')) {
    const std::string_view line = util::trim(piece);
    if (line.size() >= 16 && !line.starts_with("-----")) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

GitHubAppTokenSource::GitHubAppTokenSource(GitHubAppCredentials credentials, GitHubRemote remote,
                                           GitHubEndpoints endpoints, http::HttpClient &http,
                                           std::function<void(const std::string &)> on_secret,
                                           std::string user_agent, Clock clock)
    : m_credentials(std::move(credentials)),
      m_key(GitHubAppKey::parse(m_credentials.private_key_pem, m_credentials.key_origin)),
      m_remote(std::move(remote)), m_endpoints(std::move(endpoints)), m_http(http),
      m_on_secret(std::move(on_secret)), m_user_agent(std::move(user_agent)),
      m_clock(clock ? std::move(clock) : Clock([] { return system_clock::now(); })) {
  if (m_endpoints.api_url.empty()) {
    m_endpoints = github_endpoints(m_remote);
  }
  // The key is only needed as the parsed key from here on.
  m_credentials.private_key_pem.clear();
}

GitHubAppTokenSource::~GitHubAppTokenSource() = default;

std::string GitHubAppTokenSource::token() {
  if (m_token.empty() || m_clock() >= m_renew_at) {
    mint();
  }
  return m_token;
}

http::Response GitHubAppTokenSource::app_call(const std::string &method, const std::string &path,
                                              const std::string &body, const std::string &jwt) {
  // Minting a token twice is harmless: the first one simply expires unused.
  return m_http.send(
      detail::github_request(method, m_endpoints.api_url + path, jwt, m_user_agent, body, true));
}

std::string GitHubAppTokenSource::explain(const http::Response &response, const std::string &what,
                                          system_clock::time_point signed_at) const {
  const std::string app = "GitHub App " + m_credentials.app_id;
  const std::string message = message_of(response);
  std::string text = what + " answered " + std::to_string(response.status);
  if (!message.empty()) {
    text += " (" + message + ")";
  }
  text += ": ";
  if (response.status == 401) {
    // A JWT refused for its times means the clocks disagree; GitHub's Date header says by how much.
    const bool times = contains(message, "'iat'") || contains(message, "'exp'") ||
                       contains(message, "Issued at") || contains(message, "Expiration time");
    if (times) {
      std::string skew = "this machine's clock is too far from GitHub's";
      if (const auto date = response.header("Date")) {
        if (const auto server = http::parse_http_date(*date)) {
          const long long off =
              std::chrono::duration_cast<std::chrono::seconds>(signed_at - *server).count();
          skew = "this machine's clock is " + seconds_text(std::llabs(off)) +
                 (off >= 0 ? " ahead of" : " behind") + " GitHub's (GitHub's Date: " + *date + ")";
        }
      }
      return text + skew +
             ", so GitHub refuses the App's JSON web token; synchronise the clock (NTP, e.g. "
             "`timedatectl set-ntp true`) and run again";
    }
    return text + "GitHub did not accept the JSON web token signed with the private key from " +
           m_credentials.key_origin + ": the key does not belong to " + app +
           " (check that --github-app-id is the App ID shown on the App's settings page, not an "
           "installation id, and that the key was generated for that App and not revoked)";
  }
  if (response.status == 403 && contains(message, "suspended")) {
    return text + "the installation of " + app +
           " is suspended; an owner of the account can unsuspend it in the App's installation "
           "settings";
  }
  return text + "unexpected answer from GitHub while authenticating as " + app;
}

void GitHubAppTokenSource::mint() {
  const system_clock::time_point now = m_clock();
  const std::string jwt = m_key.jwt(m_credentials.app_id, now);
  if (m_on_secret) {
    m_on_secret(jwt);
  }
  const std::string app = "GitHub App " + m_credentials.app_id;
  const std::string repo = m_remote.owner + "/" + m_remote.repo;

  // The installation: given, or the one that covers this repository. Either answer lists the
  // permissions the installation was granted.
  json installation;
  {
    const bool given = m_credentials.installation_id.has_value();
    const std::string path =
        given ? "/app/installations/" + encode_path_segment(*m_credentials.installation_id)
              : "/repos/" + encode_path_segment(m_remote.owner) + "/" +
                    encode_path_segment(m_remote.repo) + "/installation";
    const http::Response response = app_call("GET", path, "", jwt);
    if (response.status == 404) {
      if (given) {
        throw ProviderError(app + " has no installation " + *m_credentials.installation_id +
                                " (GET " + path +
                                " answered 404): check --github-app-installation-id, or leave it "
                                "out to look the installation up from the repository",
                            404);
      }
      throw ProviderError(
          app + " is not installed on " + repo + " (GET " + path +
              " answered 404): install it on the repository's owner (the App's settings, Install "
              "App) and give it access to " +
              repo + " (all repositories, or this one among the selected ones)",
          404);
    }
    if (response.status >= 300) {
      throw ProviderError(explain(response, "GET " + path, now), response.status);
    }
    try {
      installation = json::parse(response.body);
    } catch (const json::exception &) {
      throw ProviderError("GET " + path + " answered with a body that is not JSON");
    }
    if (!installation.is_object() || string_field(installation, "id").empty()) {
      throw ProviderError("GET " + path + " answered without an installation id");
    }
  }
  const std::string id = string_field(installation, "id");
  if (!string_field(installation, "suspended_at").empty()) {
    throw ProviderError("the installation " + id + " of " + app + " on " + m_remote.owner +
                        " is suspended; an owner of the account can unsuspend it in the App's "
                        "installation settings");
  }

  // Every permission the commands need, checked before asking, so the message names what is
  // missing instead of GitHub's "not granted".
  json granted = json::object();
  if (const auto it = installation.find("permissions");
      it != installation.end() && it->is_object()) {
    granted = *it;
  }
  std::vector<std::string> missing;
  json wanted = json::object();
  for (const AppPermission &permission : k_app_permissions) {
    const std::string level = string_field(granted, std::string(permission.name).c_str());
    const bool enough =
        level == "write" || level == "admin" || (permission.level == "read" && level == "read");
    if (!enough) {
      missing.push_back(std::string(permission.name) + ": " + std::string(permission.level) +
                        (level.empty() ? "" : " (has " + level + ")"));
    }
    wanted[std::string(permission.name)] = std::string(permission.level);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string &item : missing) {
      list += (list.empty() ? "" : ", ") + item;
    }
    throw ProviderError(
        "the installation " + id + " of " + app + " lacks " + list +
        ": give the App these repository permissions (the App's settings, Permissions & events: "
        "contents write, pull requests write, commit statuses read, checks read), then accept "
        "the new permissions in the installation's settings");
  }

  // A token for this repository and these permissions only.
  const json body = {{"repositories", json::array({m_remote.repo})}, {"permissions", wanted}};
  const std::string path = "/app/installations/" + encode_path_segment(id) + "/access_tokens";
  const http::Response response = app_call("POST", path, body.dump(), jwt);
  if (response.status == 422 || response.status == 404) {
    const std::string message = message_of(response);
    if (contains(message, "permission")) {
      throw ProviderError("the installation " + id + " of " + app +
                              " does not grant the permissions the tool needs (GitHub: " + message +
                              "): give the App contents write, pull requests write, commit "
                              "statuses read and checks read, then accept them in the "
                              "installation's settings",
                          response.status);
    }
    throw ProviderError("the installation " + id + " of " + app + " cannot access " + repo +
                            " (POST " + path + " answered " + std::to_string(response.status) +
                            (message.empty() ? "" : ": " + message) +
                            "): add the repository to the installation's selected repositories",
                        response.status);
  }
  if (response.status >= 300) {
    throw ProviderError(explain(response, "POST " + path, now), response.status);
  }
  json answer;
  try {
    answer = json::parse(response.body);
  } catch (const json::exception &) {
    throw ProviderError("POST " + path + " answered with a body that is not JSON");
  }
  const std::string token = answer.is_object() ? string_field(answer, "token") : std::string();
  if (token.empty()) {
    throw ProviderError("POST " + path + " answered without a token");
  }
  if (m_on_secret) {
    m_on_secret(token);
  }

  // Renew ahead of expiry, measured on GitHub's clock (expires_at - Date) so a skewed local clock
  // does not matter: five minutes before, or halfway for a token that lives less than ten.
  std::chrono::seconds lifetime{3600};
  const auto expires = http::parse_utc(string_field(answer, "expires_at"));
  const auto date = response.header("Date");
  const auto server_now = date ? http::parse_http_date(*date) : std::nullopt;
  if (expires) {
    lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(*expires - server_now.value_or(now));
  }
  lifetime = std::max(lifetime, std::chrono::seconds(0));
  const std::chrono::seconds margin = std::min<std::chrono::seconds>(k_renew_before, lifetime / 2);
  m_token = token;
  m_installation_id = id;
  m_renew_at = m_clock() + lifetime - margin;
  ++m_minted;
}

} // namespace gitops::providers

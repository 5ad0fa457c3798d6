// GitHub App endpoints: the repository's installation, an installation, and installation access
// tokens, authenticated by a JWT verified against the App's public key, plus the admin routes
// that register Apps and installations. Shapes follow GitHub's OpenAPI description (components/
// schemas installation, installation-token, basic-error, validation-error).
#include "github_apps.hpp"

#include "http_util.hpp"
#include "server.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sstream>

namespace forge_sim {

namespace {

using nlohmann::json;
using std::chrono::system_clock;
using Params = std::vector<std::string>;

constexpr const char *k_apps_docs = "https://docs.github.com/rest/apps/apps";
constexpr const char *k_undecodable = "A JSON web token could not be decoded";

struct BioFree {
  void operator()(BIO *b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string standard(in);
  if (standard.find_first_of("+/=") != std::string::npos) {
    return std::nullopt;
  }
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  return decode_base64(standard);
}

bool verify_rs256(const std::string &public_pem, const std::string &input,
                  const std::string &signature) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char *>(input.data()),
                          input.size()) == 1;
}

std::string iso(system_clock::time_point t) {
  const std::time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string bearer_of(const httplib::Request &req) {
  const std::string auth = req.get_header_value("Authorization");
  for (const char *scheme : {"Bearer ", "bearer "}) {
    if (auth.rfind(scheme, 0) == 0) {
      return auth.substr(std::string(scheme).size());
    }
  }
  return {};
}

std::string random_token() {
  static constexpr char k_chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[36];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::string token = "ghs_";
  for (unsigned char b : bytes) {
    token += k_chars[b % (sizeof k_chars - 1)];
  }
  return token;
}

bool level_covers(const std::string &granted, const std::string &wanted) {
  if (granted == "admin") {
    return true;
  }
  if (granted == "write") {
    return wanted == "read" || wanted == "write";
  }
  return granted == "read" && wanted == "read";
}

class AppsApi {
public:
  explicit AppsApi(Simulator &sim) : m_sim(sim) {}

  // The App a request's JWT proves, or nullptr after answering 401 as GitHub does.
  const GitHubApp *authenticate(const httplib::Request &req, httplib::Response &res) {
    GitHubApps &apps = m_sim.state().apps();
    const std::string jwt = bearer_of(req);
    const auto first = jwt.find('.');
    const auto second = first == std::string::npos ? first : jwt.find('.', first + 1);
    if (second == std::string::npos || jwt.find('.', second + 1) != std::string::npos) {
      send_error(res, 401, k_undecodable, k_docs_url);
      return nullptr;
    }
    const auto header = base64url_decode(std::string_view(jwt).substr(0, first));
    const auto payload =
        base64url_decode(std::string_view(jwt).substr(first + 1, second - first - 1));
    const auto signature = base64url_decode(std::string_view(jwt).substr(second + 1));
    json h;
    json p;
    try {
      if (!header || !payload || !signature) {
        throw std::runtime_error("base64");
      }
      h = json::parse(*header);
      p = json::parse(*payload);
    } catch (const std::exception &) {
      send_error(res, 401, k_undecodable, k_docs_url);
      return nullptr;
    }
    if (!h.is_object() || h.value("alg", "") != "RS256" || !p.is_object()) {
      send_error(res, 401, k_undecodable, k_docs_url);
      return nullptr;
    }
    long app_id = 0;
    if (p.contains("iss") && p["iss"].is_number_integer()) {
      app_id = p["iss"].get<long>();
    } else if (p.contains("iss") && p["iss"].is_string()) {
      try {
        app_id = std::stol(p["iss"].get<std::string>());
      } catch (const std::exception &) {
        app_id = 0;
      }
    }
    const auto app = apps.apps.find(app_id);
    // GitHub gives the same answer for an unknown App and a key of another App.
    if (app == apps.apps.end() ||
        !verify_rs256(app->second.public_key_pem, jwt.substr(0, second), *signature)) {
      send_error(res, 401, k_undecodable, k_docs_url);
      return nullptr;
    }
    const long long now =
        std::chrono::duration_cast<std::chrono::seconds>(apps.now().time_since_epoch()).count();
    if (!p.contains("iat") || !p["iat"].is_number_integer() || p["iat"].get<long long>() > now) {
      send_error(res, 401,
                 "'Issued at' claim ('iat') must be an Integer representing the time that the "
                 "assertion was issued",
                 k_docs_url);
      return nullptr;
    }
    if (!p.contains("exp") || !p["exp"].is_number_integer() || p["exp"].get<long long>() <= now) {
      send_error(res, 401,
                 "'Expiration time' claim ('exp') must be a numeric value representing the future "
                 "time at which the assertion expires",
                 k_docs_url);
      return nullptr;
    }
    if (p["exp"].get<long long>() >= now + 600) {
      send_error(res, 401, "'Expiration time' claim ('exp') is too far in the future", k_docs_url);
      return nullptr;
    }
    return &app->second;
  }

  json installation_json(const AppInstallation &inst) const {
    const GitHubApps &apps = m_sim.state().apps();
    const std::string base = m_sim.base_url();
    const auto app = apps.apps.find(inst.app_id);
    return {{"id", inst.id},
            {"account", simple_user_json(base, inst.account, "Organization")},
            {"access_tokens_url",
             base + "/app/installations/" + std::to_string(inst.id) + "/access_tokens"},
            {"repositories_url", base + "/installation/repositories"},
            {"html_url", base + "/organizations/" + inst.account + "/settings/installations/" +
                             std::to_string(inst.id)},
            {"app_id", inst.app_id},
            {"app_slug", app == apps.apps.end() ? std::string() : app->second.slug},
            {"target_id", simple_user_json(base, inst.account)["id"]},
            {"target_type", "Organization"},
            {"permissions", inst.permissions},
            {"events", json::array()},
            {"created_at", inst.created_at},
            {"updated_at", inst.created_at},
            {"single_file_name", nullptr},
            {"repository_selection", inst.repositories ? "selected" : "all"},
            {"suspended_by", inst.suspended ? simple_user_json(base, inst.account) : json(nullptr)},
            {"suspended_at", inst.suspended ? json(inst.created_at) : json(nullptr)}};
  }

  static bool covers(const AppInstallation &inst, const std::string &owner,
                     const std::string &repo) {
    if (inst.account != owner) {
      return false;
    }
    return !inst.repositories || std::find(inst.repositories->begin(), inst.repositories->end(),
                                           repo) != inst.repositories->end();
  }

  void repo_installation(const httplib::Request &req, httplib::Response &res, const Params &p) {
    const GitHubApp *app = authenticate(req, res);
    if (app == nullptr) {
      return;
    }
    for (const auto &[id, inst] : m_sim.state().apps().installations) {
      if (inst.app_id == app->id && covers(inst, p[0], p[1])) {
        send_json(res, 200, installation_json(inst));
        return;
      }
    }
    send_error(res, 404, "Not Found",
               std::string(k_apps_docs) +
                   "#get-a-repository-installation-for-the-authenticated-app");
  }

  void get_installation(const httplib::Request &req, httplib::Response &res, const Params &p) {
    const GitHubApp *app = authenticate(req, res);
    if (app == nullptr) {
      return;
    }
    const AppInstallation *inst = find(app->id, p[0]);
    if (inst == nullptr) {
      send_error(res, 404, "Not Found",
                 std::string(k_apps_docs) + "#get-an-installation-for-the-authenticated-app");
      return;
    }
    send_json(res, 200, installation_json(*inst));
  }

  void create_token(const httplib::Request &req, httplib::Response &res, const Params &p) {
    const GitHubApp *app = authenticate(req, res);
    if (app == nullptr) {
      return;
    }
    GitHubApps &apps = m_sim.state().apps();
    const AppInstallation *inst = find(app->id, p[0]);
    if (inst == nullptr) {
      send_error(res, 404, "Not Found",
                 std::string(k_apps_docs) + "#create-an-installation-access-token-for-an-app");
      return;
    }
    if (inst->suspended) {
      send_error(res, 403, "This installation has been suspended", k_docs_url);
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    std::vector<std::string> repos;
    if (const auto it = body->find("repositories"); it != body->end()) {
      if (!it->is_array()) {
        send_validation(res, json::array({{{"resource", "Installation"},
                                           {"field", "repositories"},
                                           {"code", "invalid"}}}));
        return;
      }
      for (const json &name : *it) {
        if (!name.is_string() || !covers(*inst, inst->account, name.get<std::string>()) ||
            m_sim.state().find_repo(inst->account, name.get<std::string>()) == nullptr) {
          send_error(res, 422,
                     "There is at least one repository that does not exist or is not accessible "
                     "to the parent installation.",
                     std::string(k_apps_docs) + "#create-an-installation-access-token-for-an-app");
          return;
        }
        repos.push_back(name.get<std::string>());
      }
    } else if (inst->repositories) {
      repos = *inst->repositories;
    } else {
      for (const auto &[key, repo] : m_sim.state().repos()) {
        if (repo.owner == inst->account) {
          repos.push_back(repo.name);
        }
      }
    }
    json permissions = inst->permissions;
    if (const auto it = body->find("permissions"); it != body->end() && it->is_object()) {
      for (const auto &[name, level] : it->items()) {
        const std::string granted = inst->permissions.value(name, "");
        if (!level.is_string() || !level_covers(granted, level.get<std::string>())) {
          send_error(res, 422, "The permissions requested are not granted to this installation.",
                     std::string(k_apps_docs) + "#create-an-installation-access-token-for-an-app");
          return;
        }
      }
      permissions = *it;
    }
    InstallationToken token;
    token.installation_id = inst->id;
    token.account = inst->account;
    token.repositories = repos;
    token.expires_at = apps.now() + apps.token_lifetime;
    token.issued = ++apps.minted;
    const std::string value = random_token();
    apps.tokens[value] = token;
    apps.write_git_users();
    send_json(res, 201,
              {{"token", value},
               {"expires_at", iso(token.expires_at)},
               {"permissions", permissions},
               {"repository_selection", inst->repositories ? "selected" : "all"}});
  }

  // Admin: {"id", "slug", "public_key"} registers an App.
  void admin_app(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    GitHubApp app;
    app.id = body->value("id", 0L);
    app.slug = body->value("slug", "gitops-promotion-sim");
    app.public_key_pem = body->value("public_key", "");
    if (app.id <= 0 || app.public_key_pem.empty()) {
      send_json(res, 400, {{"message", "an app needs a positive 'id' and a 'public_key' (PEM)"}});
      return;
    }
    m_sim.state().apps().apps[app.id] = app;
    send_json(res, 201, {{"id", app.id}});
  }

  // Admin: {"id", "app_id", "account", "repositories" (absent: all), "permissions", "suspended"}.
  void admin_installation(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    AppInstallation inst;
    inst.id = body->value("id", 0L);
    inst.app_id = body->value("app_id", 0L);
    inst.account = body->value("account", "");
    if (const auto it = body->find("repositories"); it != body->end() && it->is_array()) {
      inst.repositories = it->get<std::vector<std::string>>();
    }
    inst.permissions = body->value("permissions", json::object());
    inst.suspended = body->value("suspended", false);
    inst.created_at = iso(m_sim.state().apps().now());
    if (inst.id <= 0 || inst.app_id <= 0 || inst.account.empty()) {
      send_json(res, 400,
                {{"message", "an installation needs positive 'id' and 'app_id' and an 'account'"}});
      return;
    }
    m_sim.state().apps().installations[inst.id] = inst;
    send_json(res, 201, {{"id", inst.id}});
  }

  // Admin: {"token_lifetime_seconds", "clock_offset_seconds"}; answers the counters.
  void admin_settings(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    GitHubApps &apps = m_sim.state().apps();
    if (body->contains("token_lifetime_seconds")) {
      apps.token_lifetime = std::chrono::seconds(body->at("token_lifetime_seconds").get<long>());
    }
    if (body->contains("clock_offset_seconds")) {
      apps.clock_offset = std::chrono::seconds(body->at("clock_offset_seconds").get<long>());
    }
    send_json(res, 200, state());
  }

  void admin_state(const httplib::Request &, httplib::Response &res, const Params &) {
    send_json(res, 200, state());
  }

private:
  json state() const {
    const GitHubApps &apps = m_sim.state().apps();
    json tokens = json::array();
    for (const auto &[value, token] : apps.tokens) {
      tokens.push_back(value);
    }
    return {{"tokens", tokens},
            {"token_lifetime_seconds", apps.token_lifetime.count()},
            {"clock_offset_seconds", apps.clock_offset.count()},
            {"tokens_minted", apps.minted},
            {"apps", apps.apps.size()},
            {"installations", apps.installations.size()}};
  }

  const AppInstallation *find(long app_id, const std::string &id_text) const {
    const GitHubApps &apps = m_sim.state().apps();
    long id = 0;
    try {
      id = std::stol(id_text);
    } catch (const std::exception &) {
      return nullptr;
    }
    const auto it = apps.installations.find(id);
    return it == apps.installations.end() || it->second.app_id != app_id ? nullptr : &it->second;
  }

  Simulator &m_sim;
};

} // namespace

bool GitHubApps::token_allows(const std::string &token, const std::string &owner,
                              const std::string &repo) const {
  const auto it = tokens.find(token);
  if (it == tokens.end() || it->second.expires_at <= now()) {
    return false;
  }
  if (repo.empty()) {
    return true;
  }
  return it->second.account == owner &&
         std::find(it->second.repositories.begin(), it->second.repositories.end(), repo) !=
             it->second.repositories.end();
}

void GitHubApps::write_git_users() {
  if (git_users_file.empty()) {
    return;
  }
  if (!git_users_base) {
    std::vector<std::string> base;
    std::ifstream in(git_users_file);
    for (std::string line; std::getline(in, line);) {
      // A plain user file holds one password per user: x-access-token is the App's from now on.
      if (line.rfind("x-access-token:", 0) != 0) {
        base.push_back(line);
      }
    }
    git_users_base = base;
  }
  std::ostringstream text;
  for (const std::string &line : *git_users_base) {
    text << line << '\n';
  }
  // The newest live token (the one a client renewing its token uses); older ones still work on
  // the API, which checks every token it issued.
  const InstallationToken *newest = nullptr;
  const std::string *newest_value = nullptr;
  for (const auto &[value, token] : tokens) {
    if (token.expires_at > now() && (newest == nullptr || token.issued > newest->issued)) {
      newest = &token;
      newest_value = &value;
    }
  }
  if (newest_value != nullptr) {
    text << "x-access-token:" << *newest_value << '\n';
  }
  // Written beside and renamed, so the git server never reads half a file.
  const std::filesystem::path next = git_users_file.string() + ".next";
  {
    std::ofstream out(next, std::ios::trunc);
    out << text.str();
  }
  std::filesystem::rename(next, git_users_file);
}

namespace {

// A route handler calling `method` of the shared AppsApi.
RouteHandler bound(const std::shared_ptr<AppsApi> &api,
                   void (AppsApi::*method)(const httplib::Request &, httplib::Response &,
                                           const Params &)) {
  return [api, method](const httplib::Request &req, httplib::Response &res, const Params &p) {
    ((*api).*method)(req, res, p);
  };
}

} // namespace

void register_github_app_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<AppsApi>(sim);
  router.keep_alive(api);
  router.add("GET", "/repos/{owner}/{repo}/installation", bound(api, &AppsApi::repo_installation));
  router.add("GET", "/app/installations/{installation_id}", bound(api, &AppsApi::get_installation));
  router.add("POST", "/app/installations/{installation_id}/access_tokens",
             bound(api, &AppsApi::create_token));
}

void register_github_app_admin_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<AppsApi>(sim);
  router.keep_alive(api);
  router.add("POST", "/_admin/github-apps", bound(api, &AppsApi::admin_app));
  router.add("POST", "/_admin/github-apps/installations", bound(api, &AppsApi::admin_installation));
  router.add("POST", "/_admin/github-apps/settings", bound(api, &AppsApi::admin_settings));
  router.add("GET", "/_admin/github-apps", bound(api, &AppsApi::admin_state));
}

} // namespace forge_sim

// Admin endpoints under /_admin: not part of any forge; tests and the demo use them to configure
// repositories, inject faults and read what happened.
#include "http_util.hpp"
#include "server.hpp"

#include <set>

namespace forge_sim {
namespace {

using nlohmann::json;
using Params = std::vector<std::string>;

void bad_request(httplib::Response &res, const std::string &message) {
  send_json(res, 400, {{"message", message}});
}

// The repository a settings/create request is about: explicit owner+repo, else the default one,
// else the only registered one.
Repo *target_repo(Simulator &sim, const json &body, httplib::Response &res) {
  State &state = sim.state();
  std::string owner = body.value("owner", sim.options().default_owner);
  std::string name = body.value("repo", sim.options().default_repo);
  if (owner.empty() || name.empty()) {
    if (state.repos().size() == 1) {
      return &state.repos().begin()->second;
    }
    bad_request(res, "say which repository: {\"owner\": …, \"repo\": …}");
    return nullptr;
  }
  Repo *repo = state.find_repo(owner, name);
  if (repo == nullptr) {
    send_json(res, 404, {{"message", "no repository " + owner + "/" + name}});
  }
  return repo;
}

std::optional<FluxRule> parse_flux_rule(const json &j, std::string &error) {
  static const std::set<std::string> k_keys{"group", "env",         "state", "delay_ms",
                                            "uid",   "description", "branch"};
  if (!j.is_object()) {
    error = "a flux rule must be an object";
    return std::nullopt;
  }
  for (const auto &[k, v] : j.items()) {
    if (k_keys.count(k) == 0) {
      error = "unknown flux rule key '" + k + "'";
      return std::nullopt;
    }
  }
  FluxRule r;
  r.group = j.value("group", std::string());
  r.env = j.value("env", std::string());
  if (r.group.empty() || r.env.empty()) {
    error = "a flux rule needs 'group' and 'env'";
    return std::nullopt;
  }
  r.state = j.value("state", std::string("success"));
  if (r.state != "success" && r.state != "failure" && r.state != "error" && r.state != "pending") {
    error = "flux rule state must be success, failure, error or pending, not '" + r.state + "'";
    return std::nullopt;
  }
  r.delay_ms = j.value("delay_ms", 0);
  r.uid = j.value("uid", std::string());
  r.description = j.value("description", std::string());
  r.branch = j.value("branch", std::string());
  return r;
}

class AdminApi {
public:
  explicit AdminApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void get_state(const httplib::Request &, httplib::Response &res, const Params &) {
    json j = m_state.dump();
    j["base_url"] = m_sim.base_url();
    send_json(res, 200, j);
  }

  void post_settings(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    static const std::set<std::string> k_keys{"owner",
                                              "repo",
                                              "default_branch",
                                              "allow_auto_merge",
                                              "allow_merge_commit",
                                              "allow_squash_merge",
                                              "allow_rebase_merge",
                                              "required_contexts",
                                              "flux"};
    for (const auto &[k, v] : body->items()) {
      if (k_keys.count(k) == 0) {
        bad_request(res, "unknown settings key '" + k + "'");
        return;
      }
    }
    Repo *repo = target_repo(m_sim, *body, res);
    if (repo == nullptr) {
      return;
    }
    RepoSettings s = repo->settings;
    try {
      s.default_branch = body->value("default_branch", s.default_branch);
      s.allow_auto_merge = body->value("allow_auto_merge", s.allow_auto_merge);
      s.allow_merge_commit = body->value("allow_merge_commit", s.allow_merge_commit);
      s.allow_squash_merge = body->value("allow_squash_merge", s.allow_squash_merge);
      s.allow_rebase_merge = body->value("allow_rebase_merge", s.allow_rebase_merge);
      if (body->contains("required_contexts")) {
        s.required_contexts = body->at("required_contexts").get<std::vector<std::string>>();
      }
    } catch (const json::exception &e) {
      bad_request(res, std::string("bad settings value: ") + e.what());
      return;
    }
    if (body->contains("flux")) {
      if (!body->at("flux").is_array()) {
        bad_request(res, "'flux' must be an array of rules");
        return;
      }
      s.flux.clear();
      for (const auto &j : body->at("flux")) {
        std::string error;
        auto rule = parse_flux_rule(j, error);
        if (!rule) {
          bad_request(res, error);
          return;
        }
        s.flux.push_back(*rule);
      }
      // Only commits that arrive from now on are "applied" by the emulated Flux.
      repo->flux_seen.clear();
      GitRepo git = m_state.open_git(*repo);
      for (const auto &rule : s.flux) {
        std::string branch = rule.branch.empty() ? s.default_branch : rule.branch;
        repo->flux_seen[branch] = git.ref_target("refs/heads/" + branch).value_or("");
      }
    }
    repo->settings = s;
    m_state.evaluate_auto_merge();
    send_json(res, 200, m_state.dump()["repos"]);
  }

  void post_faults(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || (!j.is_object() && !j.is_array())) {
      bad_request(res, "a fault (object) or a list of faults (array) is expected");
      return;
    }
    json list = j.is_array() ? j : json::array({j});
    try {
      for (const auto &f : list) {
        m_state.faults().add(f);
      }
    } catch (const std::invalid_argument &e) {
      bad_request(res, e.what());
      return;
    }
    send_json(res, 201, m_state.faults().to_json());
  }

  void delete_faults(const httplib::Request &, httplib::Response &res, const Params &) {
    m_state.faults().clear();
    res.status = 204;
  }

  void reset_counters(const httplib::Request &, httplib::Response &res, const Params &) {
    m_state.reset_counters();
    res.status = 204;
  }

  void create_repo(const httplib::Request &req, httplib::Response &res, const Params &) {
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    std::string owner = body->value("owner", std::string());
    std::string name = body->value("repo", std::string());
    if (owner.empty() || name.empty()) {
      bad_request(res, "'owner' and 'repo' are required");
      return;
    }
    std::map<std::string, std::string> files;
    if (body->contains("files")) {
      try {
        files = body->at("files").get<std::map<std::string, std::string>>();
      } catch (const json::exception &) {
        bad_request(res, "'files' must map paths to contents");
        return;
      }
    }
    try {
      Repo &repo = m_state.create_repo(owner, name,
                                       body->value("default_branch", std::string("main")), files);
      send_json(res, 201,
                {{"owner", repo.owner},
                 {"repo", repo.name},
                 {"path", repo.path.string()},
                 {"clone_url", m_sim.clone_url(repo.owner, repo.name)}});
    } catch (const std::invalid_argument &e) {
      bad_request(res, e.what());
    }
  }

  void tick(const httplib::Request &, httplib::Response &res, const Params &) {
    flux_tick(m_sim);
    int merged = m_state.evaluate_auto_merge();
    send_json(res, 200, {{"merged", merged}});
  }

private:
  Simulator &m_sim;
  State &m_state;
};

} // namespace

void register_admin_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<AdminApi>(sim);
  auto bind =
      [api](void (AdminApi::*fn)(const httplib::Request &, httplib::Response &, const Params &)) {
        AdminApi *self = api.get();
        return [self, fn](const httplib::Request &req, httplib::Response &res, const Params &p) {
          (self->*fn)(req, res, p);
        };
      };
  router.add("GET", "/_admin/state", bind(&AdminApi::get_state));
  router.add("POST", "/_admin/settings", bind(&AdminApi::post_settings));
  router.add("POST", "/_admin/faults", bind(&AdminApi::post_faults));
  router.add("DELETE", "/_admin/faults", bind(&AdminApi::delete_faults));
  router.add("POST", "/_admin/reset-counters", bind(&AdminApi::reset_counters));
  router.add("POST", "/_admin/repos", bind(&AdminApi::create_repo));
  router.add("POST", "/_admin/tick", bind(&AdminApi::tick));
  router.keep_alive(api);
}

} // namespace forge_sim

#pragma once

#include "git_ops.hpp"
#include "state.hpp"

#include <httplib.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace forge_sim {

// How the simulator is started (the command line maps onto this one to one).
struct Options {
  std::filesystem::path repo_root; // bare repositories live at <repo_root>/<owner>/<repo>.git
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: pick a free port
  std::optional<std::string> token; // when set, every forge request must carry it
  std::string git_url_base;         // clone URLs: <git_url_base>/<owner>/<repo>.git
  // The git server's Basic-auth user file: GitHub App installation tokens are added to it (and
  // expired ones dropped) as they are minted. Empty: not written.
  std::filesystem::path git_users;
  std::string public_url;         // URLs in bodies and Link headers; default http://host:port
  std::string user = "forge-sim"; // login of the authenticated user
  std::string default_owner;      // with default_repo: created at start when missing
  std::string default_repo;
  std::string default_branch = "main";
};

// The handler of one route: path parameters in template order, State locked by the caller.
using RouteHandler = std::function<void(const httplib::Request &, httplib::Response &,
                                        const std::vector<std::string> &)>;

// Method + path-template routing. Templates use `{name}` for one segment and `{name+}` for one or
// more segments (refs with slashes); the template text is what request counts are keyed by.
class Router {
public:
  struct Route {
    std::string method;
    std::string path_template;
    std::regex re;
    RouteHandler handler;
  };
  struct Match {
    const Route *route = nullptr;
    std::vector<std::string> params;
  };

  void add(const std::string &method, const std::string &path_template, RouteHandler handler);
  // The first route (in registration order) matching method and path, with its parameters.
  [[nodiscard]] std::optional<Match> match(const std::string &method,
                                           const std::string &path) const;
  // True when some route matches the path with another method (for 405 vs 404).
  [[nodiscard]] bool path_known(const std::string &path) const;
  // Keeps a module's object (whose methods the handlers call) alive as long as the router.
  void keep_alive(std::shared_ptr<void> module) { m_modules.push_back(std::move(module)); }

private:
  std::vector<Route> m_routes;
  std::vector<std::shared_ptr<void>> m_modules;
};

// The simulator: an HTTP server on its own thread plus a background thread for delayed work (Flux
// statuses) and for noticing pushes that arrive through the git server.
class Simulator {
public:
  explicit Simulator(Options options);
  ~Simulator();
  Simulator(const Simulator &) = delete;
  Simulator &operator=(const Simulator &) = delete;

  // Binds, starts serving and returns the port; throws std::runtime_error when binding fails.
  int start();
  // Stops serving and joins the threads; idempotent.
  void stop();

  [[nodiscard]] int port() const { return m_port; }
  // The URL clients use (and the simulator writes into bodies): public_url or http://host:port.
  [[nodiscard]] std::string base_url() const;
  // The clone URL of `owner/repo` (git_url_base, or a file:// URL of the bare repository).
  [[nodiscard]] std::string clone_url(const std::string &owner, const std::string &repo) const;
  [[nodiscard]] State &state() { return m_state; }
  [[nodiscard]] const Options &options() const { return m_options; }

  // Runs `task` on the background thread after `delay_ms`, with the State locked. Callable with the
  // State locked.
  void schedule(int delay_ms, std::function<void()> task);

private:
  void dispatch(const httplib::Request &req, httplib::Response &res);
  void background_loop();

  Options m_options;
  LibGit2Session m_libgit2;
  State m_state;
  Router m_forge_routes;
  Router m_admin_routes;
  httplib::Server m_server;
  std::thread m_server_thread;
  std::thread m_background;
  int m_port = 0;
  bool m_started = false;

  struct Task {
    std::chrono::steady_clock::time_point due;
    std::function<void()> run;
  };
  std::mutex m_tasks_mutex;
  std::condition_variable m_tasks_cv;
  std::vector<Task> m_tasks;
  bool m_stopping = false;
};

// Module entry points: each adds its routes; Azure DevOps will add its own the same way.
void register_github_routes(Router &router, Simulator &sim);
// Gitea / Forgejo REST API v1 under /api/v1 (gitea.cpp).
void register_gitea_routes(Router &router, Simulator &sim);
// GitLab REST API v4 under /api/v4 (gitlab.cpp).
void register_gitlab_routes(Router &router, Simulator &sim);
void register_admin_routes(Router &router, Simulator &sim);
// GitHub App endpoints (github_apps.cpp) and their admin routes under /_admin/github-apps.
void register_github_app_routes(Router &router, Simulator &sim);
void register_github_app_admin_routes(Router &router, Simulator &sim);
// Flux emulation: compares watched branch tips with what was seen and schedules statuses.
void flux_tick(Simulator &sim);

} // namespace forge_sim

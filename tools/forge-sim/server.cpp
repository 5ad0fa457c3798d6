#include "server.hpp"

#include "azdo.hpp"
#include "http_util.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <string_view>

namespace forge_sim {
namespace {

std::string template_to_regex(const std::string &tmpl) {
  std::string out = "^";
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '{') {
      auto end = tmpl.find('}', i);
      bool multi = tmpl[end - 1] == '+';
      out += multi ? "(.+)" : "([^/]+)";
      i = end;
    } else if (std::string("\\^$.|?*+()[]").find(c) != std::string::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "$";
}

// The token a request presents: GitHub sends `Bearer <token>` or `token <token>`; Azure DevOps
// and git send Basic with any user name and the token as the password; GitLab sends
// `PRIVATE-TOKEN` (or `JOB-TOKEN` for a CI job token). Empty when there is none.
std::string presented_token(const httplib::Request &req) {
  for (const char *header : {"PRIVATE-TOKEN", "JOB-TOKEN"}) {
    if (req.has_header(header)) {
      return req.get_header_value(header);
    }
  }
  const std::string auth = req.get_header_value("Authorization");
  for (const char *scheme : {"Bearer ", "bearer ", "token ", "Token "}) {
    const std::string s = scheme;
    if (auth.rfind(s, 0) == 0) {
      return auth.substr(s.size());
    }
  }
  if (auth.rfind("Basic ", 0) == 0) {
    auto decoded = decode_base64(std::string_view(auth).substr(6));
    if (decoded) {
      const auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        return decoded->substr(colon + 1);
      }
    }
  }
  return {};
}

// "Thu, 03 Dec 2026 19:12:18 GMT", as GitHub's Date header.
std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

} // namespace

void Router::add(const std::string &method, const std::string &path_template,
                 RouteHandler handler) {
  std::string shown = path_template;
  shown.erase(std::remove(shown.begin(), shown.end(), '+'), shown.end());
  m_routes.push_back(
      Route{method, shown, std::regex(template_to_regex(path_template)), std::move(handler)});
}

std::optional<Router::Match> Router::match(const std::string &method,
                                           const std::string &path) const {
  for (const auto &route : m_routes) {
    if (route.method != method) {
      continue;
    }
    std::smatch m;
    if (std::regex_match(path, m, route.re)) {
      Match out;
      out.route = &route;
      for (std::size_t i = 1; i < m.size(); ++i) {
        out.params.push_back(m[i].str());
      }
      return out;
    }
  }
  return std::nullopt;
}

bool Router::path_known(const std::string &path) const {
  return std::any_of(m_routes.begin(), m_routes.end(),
                     [&](const Route &r) { return std::regex_match(path, r.re); });
}

Simulator::Simulator(Options options)
    : m_options(std::move(options)), m_state(m_options.repo_root, m_options.user) {
  m_state.apps().git_users_file = m_options.git_users;
  register_github_app_routes(m_forge_routes, *this);
  register_github_routes(m_forge_routes, *this);
  register_azdo_routes(m_forge_routes, *this);
  register_gitea_routes(m_forge_routes, *this);
  register_gitlab_routes(m_forge_routes, *this);
  register_admin_routes(m_admin_routes, *this);
  register_github_app_admin_routes(m_admin_routes, *this);
  auto handler = [this](const httplib::Request &req, httplib::Response &res) {
    dispatch(req, res);
  };
  m_server.Get(".*", handler);
  m_server.Post(".*", handler);
  m_server.Put(".*", handler);
  m_server.Patch(".*", handler);
  m_server.Delete(".*", handler);
}

Simulator::~Simulator() {
  stop();
}

int Simulator::start() {
  if (m_started) {
    return m_port;
  }
  std::filesystem::create_directories(m_options.repo_root);
  if (!m_options.default_owner.empty() && !m_options.default_repo.empty()) {
    auto lock = m_state.lock();
    m_state.create_repo(m_options.default_owner, m_options.default_repo, m_options.default_branch,
                        {});
  }
  if (m_options.port == 0) {
    m_port = m_server.bind_to_any_port(m_options.host);
  } else {
    m_port = m_server.bind_to_port(m_options.host, m_options.port) ? m_options.port : -1;
  }
  if (m_port <= 0) {
    throw std::runtime_error("forge-sim: cannot bind " + m_options.host + ":" +
                             std::to_string(m_options.port));
  }
  m_started = true;
  m_stopping = false;
  m_server_thread = std::thread([this] { m_server.listen_after_bind(); });
  m_background = std::thread([this] { background_loop(); });
  return m_port;
}

void Simulator::stop() {
  if (!m_started) {
    return;
  }
  m_server.stop();
  if (m_server_thread.joinable()) {
    m_server_thread.join();
  }
  {
    std::lock_guard<std::mutex> lock(m_tasks_mutex);
    m_stopping = true;
  }
  m_tasks_cv.notify_all();
  if (m_background.joinable()) {
    m_background.join();
  }
  m_started = false;
}

std::string Simulator::base_url() const {
  if (!m_options.public_url.empty()) {
    std::string url = m_options.public_url;
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    return url;
  }
  return "http://" + m_options.host + ":" + std::to_string(m_port);
}

std::string Simulator::clone_url(const std::string &owner, const std::string &repo) const {
  if (!m_options.git_url_base.empty()) {
    std::string base = m_options.git_url_base;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    return base + "/" + owner + "/" + repo + ".git";
  }
  return "file://" + (m_options.repo_root / owner / (repo + ".git")).string();
}

void Simulator::schedule(int delay_ms, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(m_tasks_mutex);
    m_tasks.push_back(Task{std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                           std::move(task)});
  }
  m_tasks_cv.notify_all();
}

void Simulator::background_loop() {
  using namespace std::chrono_literals;
  for (;;) {
    std::vector<Task> due;
    {
      std::unique_lock<std::mutex> lock(m_tasks_mutex);
      m_tasks_cv.wait_for(lock, 50ms, [this] { return m_stopping; });
      if (m_stopping) {
        return;
      }
      auto now = std::chrono::steady_clock::now();
      auto it = std::stable_partition(m_tasks.begin(), m_tasks.end(),
                                      [&](const Task &t) { return t.due > now; });
      std::move(it, m_tasks.end(), std::back_inserter(due));
      m_tasks.erase(it, m_tasks.end());
    }
    auto lock = m_state.lock();
    try {
      for (auto &task : due) {
        task.run();
      }
      // Pushes through the git server move refs behind our back: look at them regularly.
      flux_tick(*this);
      m_state.evaluate_auto_merge();
    } catch (const std::exception &e) {
      std::cerr << "forge-sim: background: " << e.what() << "\n";
    }
  }
}

void Simulator::dispatch(const httplib::Request &req, httplib::Response &res) {
  res.set_header("X-GitHub-Api-Version-Selected", "2022-11-28");
  if (req.path.rfind("/_admin/", 0) == 0 || req.path == "/_admin") {
    auto m = m_admin_routes.match(req.method, req.path);
    if (!m) {
      send_error(res, 404, "Not Found");
      return;
    }
    auto lock = m_state.lock();
    try {
      m->route->handler(req, res, m->params);
    } catch (const std::exception &e) {
      send_error(res, 500, std::string("forge-sim admin: ") + e.what());
    }
    return;
  }

  // GitHub Enterprise Server layout: REST under /api/v3, GraphQL at /api/graphql.
  std::string path = req.path;
  if (path.rfind("/api/v3/", 0) == 0) {
    path = path.substr(7);
  } else if (path == "/api/graphql") {
    path = "/graphql";
  }
  auto m = m_forge_routes.match(req.method, path);
  std::string key = req.method + " " + (m ? m->route->path_template : path);
  std::optional<Fault> fault;
  {
    auto lock = m_state.lock();
    m_state.count_request(key);
    fault = m_state.faults().take(req.method, path, req.body);
  }
  {
    auto lock = m_state.lock();
    res.set_header("Date", http_date(m_state.apps().now()));
  }
  res.set_header("X-RateLimit-Limit", "5000");
  res.set_header("X-RateLimit-Remaining", "4999");
  res.set_header("X-RateLimit-Used", "1");
  res.set_header("X-RateLimit-Resource", "core");
  auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               3600;
  res.set_header("X-RateLimit-Reset", std::to_string(reset));
  if (fault) {
    switch (fault->action) {
    case FaultAction::delay:
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
      break;
    case FaultAction::drop:
      // httplib cannot close a socket before answering; a chunked answer that ends without its
      // terminating chunk is what a client sees when a connection is cut mid-response.
      res.set_chunked_content_provider("application/json",
                                       [](std::size_t, httplib::DataSink &) { return false; });
      return;
    case FaultAction::echo: {
      // What careless servers do: quote the request back, credentials included, with text that
      // a CI log would run as commands.
      std::string echoed = "rejected " + req.method + " " + req.path + "; request headers:";
      for (const auto &[name, value] : req.headers) {
        echoed += "\n" + name + ": " + value;
      }
      echoed += "\n##vso[task.setvariable variable=pwned]yes\n::warning::pwned by the server";
      send_error(res, fault->status, echoed);
      return;
    }
    case FaultAction::status:
      if (fault->status == 429 || fault->status == 403) {
        res.set_header("Retry-After", std::to_string(fault->retry_after));
      }
      if (fault->status == 429) {
        res.headers.erase("X-RateLimit-Remaining");
        res.headers.erase("X-RateLimit-Reset");
        res.set_header("X-RateLimit-Remaining", "0");
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        res.set_header("X-RateLimit-Reset", std::to_string(now + fault->retry_after));
        send_error(res, 429, "API rate limit exceeded for user.",
                   "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting");
      } else if (fault->secondary_rate_limit) {
        send_error(res, 403,
                   "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                   "try again. If you reach out to GitHub Support for help, please include the "
                   "request ID.",
                   "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                   "#about-secondary-rate-limits");
      } else {
        send_error(res, fault->status,
                   fault->status >= 500 ? "Server Error (injected by forge-sim)"
                                        : "Injected fault");
      }
      return;
    }
  }
  // GitHub App routes check their JWT themselves; elsewhere the configured token, or an
  // installation token of a GitHub App for the repository in the path, is required.
  const bool app_route = m && (m->route->path_template.rfind("/app/", 0) == 0 ||
                               m->route->path_template == "/repos/{owner}/{repo}/installation");
  if (m_options.token && !app_route) {
    const std::string token = presented_token(req);
    bool allowed = token == *m_options.token;
    if (!allowed && !token.empty()) {
      std::string owner;
      std::string repo;
      if (path.rfind("/repos/", 0) == 0) {
        const auto slash = path.find('/', 7);
        owner = path.substr(7, slash == std::string::npos ? std::string::npos : slash - 7);
        if (slash != std::string::npos) {
          repo = path.substr(slash + 1, path.find('/', slash + 1) - slash - 1);
        }
      }
      auto lock = m_state.lock();
      allowed = m_state.apps().token_allows(token, owner, repo);
    }
    if (!allowed) {
      send_error(res, 401, "Bad credentials", k_docs_url);
      return;
    }
  }
  if (!m) {
    send_error(res, 404, "Not Found");
    return;
  }
  auto lock = m_state.lock();
  try {
    m->route->handler(req, res, m->params);
    if (req.method != "GET") {
      m_state.evaluate_auto_merge();
    }
  } catch (const GitOpError &e) {
    send_error(res, 500, std::string("forge-sim git error: ") + e.what());
  } catch (const nlohmann::json::exception &e) {
    send_error(res, 400, std::string("Problems parsing JSON: ") + e.what());
  } catch (const std::exception &e) {
    send_error(res, 500, std::string("forge-sim: ") + e.what());
  }
}

} // namespace forge_sim

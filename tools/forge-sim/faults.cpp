#include "faults.hpp"

#include <algorithm>
#include <stdexcept>

namespace forge_sim {
namespace {

int int_field(const nlohmann::json &spec, const char *key, int fallback) {
  if (!spec.contains(key)) {
    return fallback;
  }
  const auto &v = spec.at(key);
  if (!v.is_number_integer()) {
    throw std::invalid_argument(std::string("fault field '") + key + "' must be an integer");
  }
  return v.get<int>();
}

} // namespace

const Fault &Faults::add(const nlohmann::json &spec) {
  if (!spec.is_object()) {
    throw std::invalid_argument("a fault must be a JSON object");
  }
  Fault f;
  f.id = m_next_id++;
  f.path_regex = spec.value("path_regex", std::string(".*"));
  try {
    f.re = std::regex(f.path_regex, std::regex::ECMAScript);
  } catch (const std::regex_error &e) {
    throw std::invalid_argument("fault field 'path_regex' is not a valid regex: " + f.path_regex);
  }
  f.method = spec.value("method", std::string());
  f.body_contains = spec.value("body_contains", std::string());
  std::transform(f.method.begin(), f.method.end(), f.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  f.remaining = int_field(spec, "count", 1);
  if (f.remaining < 1) {
    throw std::invalid_argument("fault field 'count' must be at least 1");
  }
  f.delay_ms = int_field(spec, "delay_ms", 0);
  f.retry_after = int_field(spec, "retry_after", 1);
  std::string action;
  if (spec.contains("action") && spec.at("action").is_number_integer()) {
    action = std::to_string(spec.at("action").get<int>());
  } else {
    action = spec.value("action", std::string("status"));
  }
  if (action == "delay") {
    f.action = FaultAction::delay;
  } else if (action == "drop") {
    f.action = FaultAction::drop;
  } else if (action == "echo") {
    f.action = FaultAction::echo;
    f.status = int_field(spec, "status", 422);
  } else if (action == "403-secondary" || action == "secondary") {
    f.action = FaultAction::status;
    f.status = 403;
    f.secondary_rate_limit = true;
  } else if (action == "status") {
    f.status = int_field(spec, "status", 500);
  } else if (!action.empty() && std::all_of(action.begin(), action.end(), ::isdigit)) {
    f.status = std::stoi(action);
  } else {
    throw std::invalid_argument("fault field 'action' must be a status code, 403-secondary, "
                                "delay, drop or echo, not '" +
                                action + "'");
  }
  if ((f.action == FaultAction::status || f.action == FaultAction::echo) &&
      (f.status < 400 || f.status > 599)) {
    throw std::invalid_argument("fault status must be 4xx or 5xx, not " + std::to_string(f.status));
  }
  m_faults.push_back(std::move(f));
  return m_faults.back();
}

std::optional<Fault> Faults::take(const std::string &method, const std::string &path,
                                  const std::string &body) {
  for (auto it = m_faults.begin(); it != m_faults.end(); ++it) {
    if (!it->method.empty() && it->method != method) {
      continue;
    }
    if (!std::regex_search(path, it->re)) {
      continue;
    }
    if (!it->body_contains.empty() && body.find(it->body_contains) == std::string::npos) {
      continue;
    }
    Fault hit = *it;
    ++hit.hits;
    if (--it->remaining <= 0) {
      m_faults.erase(it);
    } else {
      ++it->hits;
    }
    return hit;
  }
  return std::nullopt;
}

nlohmann::json Faults::to_json() const {
  auto out = nlohmann::json::array();
  for (const auto &f : m_faults) {
    std::string action = f.action == FaultAction::delay  ? "delay"
                         : f.action == FaultAction::drop ? "drop"
                         : f.action == FaultAction::echo ? "echo"
                         : f.secondary_rate_limit        ? "403-secondary"
                                                         : std::to_string(f.status);
    out.push_back({{"id", f.id},
                   {"path_regex", f.path_regex},
                   {"method", f.method},
                   {"body_contains", f.body_contains},
                   {"remaining", f.remaining},
                   {"action", action},
                   {"delay_ms", f.delay_ms},
                   {"retry_after", f.retry_after}});
  }
  return out;
}

} // namespace forge_sim

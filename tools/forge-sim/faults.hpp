#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace forge_sim {

enum class FaultAction {
  status, // answer with `status` (500, 502, 503, 429 or 403 with a secondary-rate-limit body)
  delay,  // wait `delay_ms`, then answer normally
  drop,   // send headers, then close the connection without a body
  echo,   // answer `status` (default 422) with a message quoting the request's headers and lines
          // that would start CI commands: a hostile or careless server
};

// One injected fault: applies to the next `remaining` requests whose method matches (empty: any)
// whose path matches `path_regex` (std::regex_search) and whose body contains `body_contains`.
struct Fault {
  long id = 0;
  std::string path_regex;
  std::string method;
  std::string body_contains; // empty: any body
  int remaining = 1;
  FaultAction action = FaultAction::status;
  int status = 500;
  bool secondary_rate_limit = false; // 403 with GitHub's secondary-rate-limit message
  int delay_ms = 0;
  int retry_after = 1; // seconds, for 429 and 403
  int hits = 0;
  std::regex re;
};

// The list of pending faults. Not synchronised: callers hold the State mutex.
class Faults {
public:
  // Adds a fault from its admin JSON
  // `{path_regex, method?, count?, action:
  // "500"|"502"|"503"|"429"|"403-secondary"|"status"|"delay"|"drop"|"echo",
  //   status?, delay_ms?, retry_after?, body_contains?}`; throws std::invalid_argument naming the
  //   bad field.
  const Fault &add(const nlohmann::json &spec);
  // Consumes one use of the first fault matching the request, if any.
  [[nodiscard]] std::optional<Fault> take(const std::string &method, const std::string &path,
                                          const std::string &body);
  void clear() { m_faults.clear(); }
  [[nodiscard]] nlohmann::json to_json() const;

private:
  long m_next_id = 1;
  std::vector<Fault> m_faults;
};

} // namespace forge_sim

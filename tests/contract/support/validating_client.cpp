#include "support/validating_client.hpp"

#include <nlohmann/json.hpp>

namespace gitops::contract {

bool is_contract_violation(const http::Response &response, std::string &why) {
  const auto type = response.header("content-type").value_or("");
  if ((response.status == 422 || response.status == 500) &&
      type.rfind("application/problem+json", 0) == 0) {
    why = "Prism answered " + std::to_string(response.status) + ": " + response.body;
    return true;
  }
  const auto violations = response.header("sl-violations");
  if (!violations) {
    return false;
  }
  const auto list = nlohmann::json::parse(*violations, nullptr, false);
  if (list.is_discarded() || !list.is_array()) {
    why = "unreadable sl-violations header: " + *violations;
    return true;
  }
  bool violated = false;
  for (const auto &entry : list) {
    const auto severity = entry.is_object() ? entry.value("severity", "") : std::string{};
    // Error answers the spec does not list (a 502 injected by a test) are warnings; they are
    // expected. Any warning on a success, and every error, is a broken contract.
    if (severity == "Error" || response.status < 400) {
      why += (why.empty() ? "" : "; ") + entry.dump();
      violated = true;
    }
  }
  return violated;
}

http::Response ValidatingHttpClient::send(const http::Request &request) {
  m_sent.push_back(request.method + " " + request.url);
  const auto graphql = std::string_view("/graphql");
  if (request.method == "POST" && request.url.size() >= graphql.size() &&
      request.url.compare(request.url.size() - graphql.size(), graphql.size(), graphql) == 0) {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("query") && body["query"].is_string()) {
      m_graphql.push_back(body["query"].get<std::string>());
    } else {
      m_violations.push_back("GraphQL request without a query: " + request.body);
    }
  }
  http::Response response = m_inner.send(request);
  std::string why;
  if (is_contract_violation(response, why)) {
    m_violations.push_back(request.method + " " + request.url + " -> " +
                           std::to_string(response.status) + ": " + why);
  }
  return response;
}

} // namespace gitops::contract

#pragma once

#include "gitops/http/http_client.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace gitops::contract {

// Wraps the real HttpClient and checks every answer for Prism's verdicts: a 422 or 500
// `application/problem+json` answer (request or response invalid under --errors) or an
// `sl-violations` header with an error (a warning only counts on a 2xx/3xx answer). Also keeps the
// GraphQL documents sent (for schema validation) and counts requests (for the request budget).
class ValidatingHttpClient final : public http::HttpClient {
public:
  explicit ValidatingHttpClient(http::HttpClient &inner) : m_inner(inner) {}

  [[nodiscard]] http::Response send(const http::Request &request) override;

  // One line per violation seen: method, URL, status and Prism's explanation.
  [[nodiscard]] const std::vector<std::string> &violations() const { return m_violations; }
  // The `query` of every JSON body POSTed to a URL ending in /graphql.
  [[nodiscard]] const std::vector<std::string> &graphql_documents() const { return m_graphql; }
  // "METHOD URL" of every request since the last reset.
  [[nodiscard]] const std::vector<std::string> &sent() const { return m_sent; }
  void reset_sent() { m_sent.clear(); }
  void clear_violations() { m_violations.clear(); }

private:
  http::HttpClient &m_inner;
  std::vector<std::string> m_violations;
  std::vector<std::string> m_graphql;
  std::vector<std::string> m_sent;
};

// Whether Prism's answer says the exchange broke the spec; `why` gets the explanation.
[[nodiscard]] bool is_contract_violation(const http::Response &response, std::string &why);

} // namespace gitops::contract

#pragma once

#include "support/process.hpp"

#include "gitops/http/http_client.hpp"

#include <map>
#include <string>

// Pieces the contract suites that run real commands share: the sample manifest, shell helpers,
// request-count reporting and the GraphQL bypass around Prism.
namespace gitops::contract {

// A Deployment for webshop/cart with its image marker, at `tag`.
[[nodiscard]] std::string cart_deployment(const std::string &tag);

// The shell helpers of tests/support/process.hpp, by their short names here.
using test::run_shell;
using test::shell;
using test::shell_quote;
using test::ShellResult;

// Request counts of the simulator, keyed "METHOD route".
using Counts = std::map<std::string, long>;

// One "  key = n" line per counted route, for assertion messages.
[[nodiscard]] std::string describe(const Counts &counts);

// The sum of all counts.
[[nodiscard]] long total(const Counts &counts);

// GitHub's GraphQL endpoint is not in the REST description Prism validates with, and make_provider
// derives `<api_url>/graphql` from Prism's URL: this client sends that one URL to the simulator
// directly and everything else through unchanged.
class GraphqlBypass final : public http::HttpClient {
public:
  // Requests to `prism_graphql` go to `sim_graphql`; all go through `inner`.
  GraphqlBypass(http::HttpClient &inner, std::string prism_graphql, std::string sim_graphql)
      : m_inner(inner), m_prism_graphql(std::move(prism_graphql)),
        m_sim_graphql(std::move(sim_graphql)) {}

  [[nodiscard]] http::Response send(const http::Request &request) override;

private:
  http::HttpClient &m_inner;
  std::string m_prism_graphql;
  std::string m_sim_graphql;
};

} // namespace gitops::contract

#pragma once

#include "gitops/http/http_client.hpp"

#include <map>
#include <string>

// Pieces the contract suites that run real commands share: the sample manifest, shell helpers,
// request-count reporting and the GraphQL bypass around Prism.
namespace gitops::contract {

// A Deployment for webshop/cart with its image marker, at `tag`.
[[nodiscard]] std::string cart_deployment(const std::string &tag);

// `text` as one single-quoted shell word.
[[nodiscard]] std::string shell_quote(const std::string &text);

// What a shell command printed (stdout and stderr together) and how it exited (-1: not normally).
struct ShellResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` through /bin/sh and collects its output; never throws for a non-zero exit.
[[nodiscard]] ShellResult run_shell(const std::string &command);

// Runs `command` and returns its output; throws std::runtime_error (with the output) on non-zero.
std::string shell(const std::string &command);

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

#include "support/kit.hpp"

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <sys/wait.h>
#include <utility>

namespace gitops::contract {

std::string cart_deployment(const std::string &tag) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  template:\n"
         "    spec:\n      containers:\n        - name: cart\n"
         "          image: registry.example.com/webshop/cart:" +
         tag + " # {\"$imagepolicy\": \"webshop:cart\"}\n";
}

std::string describe(const Counts &counts) {
  std::string text;
  for (const auto &[key, n] : counts) {
    text += "  " + key + " = " + std::to_string(n) + "\n";
  }
  return text;
}

long total(const Counts &counts) {
  long sum = 0;
  for (const auto &[key, n] : counts) {
    sum += n;
  }
  return sum;
}

http::Response GraphqlBypass::send(const http::Request &request) {
  if (request.url != m_prism_graphql) {
    return m_inner.send(request);
  }
  http::Request direct = request;
  direct.url = m_sim_graphql;
  return m_inner.send(direct);
}

} // namespace gitops::contract

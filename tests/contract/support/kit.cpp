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

std::string shell_quote(const std::string &text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

ShellResult run_shell(const std::string &command) {
  ShellResult result;
  std::unique_ptr<FILE, int (*)(FILE *)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) {
    throw std::runtime_error("popen failed: " + command);
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell(const std::string &command) {
  ShellResult result = run_shell(command);
  if (result.exit_code != 0) {
    throw std::runtime_error("command failed (" + std::to_string(result.exit_code) +
                             "): " + command + "\n" + result.output);
  }
  return std::move(result.output);
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

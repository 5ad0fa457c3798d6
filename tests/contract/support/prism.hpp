#pragma once

#include "support/process.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace gitops::contract {

// The process helpers of tests/support/process.hpp, by their short names here.
using test::ChildProcess;
using test::free_port;
using test::wait_for_port;

// tools/contract/node_modules/.bin/prism of this source tree (installed by scripts/setup.sh).
[[nodiscard]] std::filesystem::path prism_executable();

// Prism (@stoplight/prism-cli) on a free loopback port: `prism proxy SPEC UPSTREAM --errors` when
// `upstream` is given (a validating proxy: invalid requests get 422, invalid answers 500, both as
// application/problem+json), else `prism mock SPEC`. Throws std::runtime_error, with Prism's log,
// when Prism is not installed or does not start listening.
class Prism {
public:
  Prism(const std::filesystem::path &spec, const std::optional<std::string> &upstream,
        const std::filesystem::path &log_file, int port = 0);

  [[nodiscard]] int port() const noexcept { return m_port; }
  // http://127.0.0.1:PORT
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::string log() const { return m_process->log(); }
  [[nodiscard]] bool running() { return m_process->running(); }

private:
  int m_port = 0;
  std::unique_ptr<ChildProcess> m_process;
};

} // namespace gitops::contract

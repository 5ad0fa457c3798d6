#include "support/prism.hpp"

#include "gp_test_paths.hpp"

#include <stdexcept>

namespace gitops::contract {

std::filesystem::path prism_executable() {
  return std::filesystem::path(GP_SOURCE_DIR) / "tools" / "contract" / "node_modules" / ".bin" /
         "prism";
}

Prism::Prism(const std::filesystem::path &spec, const std::optional<std::string> &upstream,
             const std::filesystem::path &log_file, int port)
    : m_port(port == 0 ? free_port() : port) {
  const auto prism = prism_executable();
  if (!std::filesystem::exists(prism)) {
    throw std::runtime_error("Prism is not installed at " + prism.string() +
                             ": run scripts/setup.sh (npm ci --prefix tools/contract)");
  }
  if (!std::filesystem::exists(spec)) {
    throw std::runtime_error("spec " + spec.string() + " is missing");
  }
  std::vector<std::string> argv = {prism.string()};
  if (upstream) {
    argv.insert(argv.end(), {"proxy", spec.string(), *upstream, "--errors"});
  } else {
    argv.insert(argv.end(), {"mock", spec.string()});
  }
  argv.insert(argv.end(), {"-h", "127.0.0.1", "-p", std::to_string(m_port), "-v", "warn"});
  m_process = std::make_unique<ChildProcess>(argv, log_file);
  // Startup is about a second with the trimmed spec; allow for a loaded 2-core machine.
  if (!wait_for_port(m_port, std::chrono::seconds(60), m_process.get())) {
    const std::string log = m_process->log();
    m_process->stop();
    throw std::runtime_error("Prism did not start listening on port " + std::to_string(m_port) +
                             "; its log:\n" + log);
  }
}

std::string Prism::url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

} // namespace gitops::contract

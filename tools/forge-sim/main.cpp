// forge-sim: serves the simulated forge until SIGINT or SIGTERM.
#include "server.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

void usage(std::ostream &out) {
  out << "usage: forge-sim --repo-root DIR [--port N] [--host H] [--token T] [--git-url-base URL]\n"
         "                 [--public-url URL] [--owner O --repo R] [--default-branch B] [--user "
         "LOGIN]\n"
         "                 [--git-users FILE]\n"
         "Repositories are bare repositories at DIR/<owner>/<repo>.git. With --port 0 (default) a\n"
         "free port is picked; the first line on stdout is \"listening on HOST:PORT\".\n";
}

} // namespace

int main(int argc, char **argv) {
  forge_sim::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "forge-sim: " << arg << " needs a value (or is unknown)\n";
      usage(std::cerr);
      return 2;
    }
    std::string value = argv[++i];
    if (arg == "--repo-root") {
      options.repo_root = value;
    } else if (arg == "--port") {
      try {
        options.port = std::stoi(value);
      } catch (const std::exception &) {
        std::cerr << "forge-sim: --port: not a number: " << value << "\n";
        return 2;
      }
    } else if (arg == "--host") {
      options.host = value;
    } else if (arg == "--token") {
      options.token = value;
    } else if (arg == "--git-users") {
      options.git_users = value;
    } else if (arg == "--git-url-base") {
      options.git_url_base = value;
    } else if (arg == "--public-url") {
      options.public_url = value;
    } else if (arg == "--owner") {
      options.default_owner = value;
    } else if (arg == "--repo") {
      options.default_repo = value;
    } else if (arg == "--default-branch") {
      options.default_branch = value;
    } else if (arg == "--user") {
      options.user = value;
    } else {
      std::cerr << "forge-sim: unknown option " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (options.repo_root.empty()) {
    std::cerr << "forge-sim: --repo-root is required\n";
    usage(std::cerr);
    return 2;
  }
  if (options.default_owner.empty() != options.default_repo.empty()) {
    std::cerr << "forge-sim: --owner and --repo go together\n";
    return 2;
  }
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  forge_sim::Simulator sim(options);
  try {
    int port = sim.start();
    std::cout << "listening on " << options.host << ":" << port << std::endl;
  } catch (const std::exception &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  sim.stop();
  return 0;
}

#pragma once

#include "server.hpp"
#include "support/prism.hpp"
#include "support/retrying_curl.hpp"
#include "support/temp_dir.hpp"
#include "support/validating_client.hpp"

#include "gitops/config/config.hpp"
#include "gitops/providers/git_provider.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gitops::contract {

// What a provider's contract suite runs against: the forge simulator with one repository, behind
// Prism as a validating proxy with the forge's vendored API description.
struct SimulatedRepoSetup {
  std::string name;                         // the suite's name, for its temporary directory
  std::string spec;                         // the API description, relative to the source tree
  std::optional<std::string> token;         // the token the simulator demands (nullopt: none)
  std::string owner;                        // the repository: owner (a GitLab group path too) …
  std::string repo;                         // … and name, with branch main holding `files`
  std::map<std::string, std::string> files; // path → content of main's first commit
};

// The simulator and Prism of one suite, made in SetUpTestSuite and dropped in TearDownTestSuite
// (Prism first, then the simulator, then their directory: the members' order). Throws
// std::runtime_error, with Prism's log, when Prism does not start.
class SimulatedRepo {
public:
  explicit SimulatedRepo(const SimulatedRepoSetup &setup);
  SimulatedRepo(const SimulatedRepo &) = delete;
  SimulatedRepo &operator=(const SimulatedRepo &) = delete;

  [[nodiscard]] Prism &prism() { return *m_prism; }
  [[nodiscard]] forge_sim::Simulator &sim() { return *m_sim; }
  // The repository; the caller holds the state's lock. Throws when it was deleted.
  [[nodiscard]] forge_sim::Repo &repo();

  // The tip of `branch`, nullopt when it does not exist.
  [[nodiscard]] std::optional<std::string> tip(const std::string &branch);
  [[nodiscard]] forge_sim::CommitInfo commit(const std::string &sha);
  // `path` in commit `sha`, nullopt when absent.
  [[nodiscard]] std::optional<std::string> file(const std::string &sha, const std::string &path);
  // Makes `contexts` the statuses a merge (and an auto-merge) waits for.
  void require(std::vector<std::string> contexts);
  // Back to the set-up's settings after a test: no required contexts, no Flux, no faults.
  void reset();

private:
  std::string m_owner;
  std::string m_name;
  std::unique_ptr<test::TempDir> m_dir;
  std::unique_ptr<forge_sim::Simulator> m_sim;
  std::unique_ptr<Prism> m_prism;
};

// The HTTP client the suites test through: the tool's transport and retry layer, with a 30 s
// budget per request and short backoffs.
[[nodiscard]] std::unique_ptr<test::RetryingCurl> contract_client();

// The fixture of a provider's contract suite `Suite` (which says `static SimulatedRepoSetup
// setup()`): one SimulatedRepo per suite, a fresh validating client per test, no Prism violation
// allowed by the end of a test, and the repository's settings reset after it. Without Prism the
// tests are skipped. A suite's SetUp calls this one first and returns when IsSkipped().
template <class Suite> class ProviderContract : public ::testing::Test {
protected:
  static void SetUpTestSuite() { s_forge = std::make_unique<SimulatedRepo>(Suite::setup()); }
  static void TearDownTestSuite() { s_forge.reset(); }

  void SetUp() override {
    if (!s_forge) {
      GTEST_SKIP() << "Prism did not start";
    }
    m_curl = contract_client();
    m_http = std::make_unique<ValidatingHttpClient>(*m_curl);
  }

  void TearDown() override {
    if (!s_forge) {
      return;
    }
    if (m_http) {
      EXPECT_THAT(m_http->violations(), ::testing::IsEmpty()) << "Prism log:\n"
                                                              << s_forge->prism().log();
    }
    s_forge->reset();
  }

  static forge_sim::Simulator &sim() { return s_forge->sim(); }
  static forge_sim::Repo &repo() { return s_forge->repo(); }
  static std::optional<std::string> tip(const std::string &branch) { return s_forge->tip(branch); }
  static forge_sim::CommitInfo commit(const std::string &sha) { return s_forge->commit(sha); }
  static std::optional<std::string> file(const std::string &sha, const std::string &path) {
    return s_forge->file(sha, path);
  }
  static void require(std::vector<std::string> contexts) { s_forge->require(std::move(contexts)); }

  inline static std::unique_ptr<SimulatedRepo> s_forge;
  std::unique_ptr<test::RetryingCurl> m_curl;
  std::unique_ptr<ValidatingHttpClient> m_http;
  config::Config m_config;
};

// The commit-through-the-API scenario the forges share, as gtest expectations: a commit on main's
// tip that changes a file, adds one (a name with a space, CRLF content) and deletes one, then a
// re-run that replaces the branch with another commit on the same base (binary content).
void expect_api_commit_replaces_branch(providers::GitProvider &provider, SimulatedRepo &forge,
                                       const config::Config &config);

} // namespace gitops::contract

#include "support/sim_repo.hpp"

#include "gp_test_paths.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace gitops::contract {

using namespace std::chrono_literals;

SimulatedRepo::SimulatedRepo(const SimulatedRepoSetup &setup)
    : m_owner(setup.owner), m_name(setup.repo),
      m_dir(std::make_unique<test::TempDir>(setup.name + "-contract-")) {
  forge_sim::Options options;
  options.repo_root = m_dir->path() / "root";
  options.token = setup.token;
  m_sim = std::make_unique<forge_sim::Simulator>(options);
  const int port = m_sim->start();
  {
    auto lock = m_sim->state().lock();
    m_sim->state().create_repo(m_owner, m_name, "main", setup.files);
  }
  m_prism = std::make_unique<Prism>(std::filesystem::path(GP_SOURCE_DIR) / setup.spec,
                                    "http://127.0.0.1:" + std::to_string(port),
                                    m_dir->path() / "prism.log");
}

forge_sim::Repo &SimulatedRepo::repo() {
  auto *repo = m_sim->state().find_repo(m_owner, m_name);
  if (repo == nullptr) {
    throw std::runtime_error("repository " + m_owner + "/" + m_name + " is gone");
  }
  return *repo;
}

std::optional<std::string> SimulatedRepo::tip(const std::string &branch) {
  auto lock = m_sim->state().lock();
  return m_sim->state().open_git(repo()).ref_target("refs/heads/" + branch);
}

forge_sim::CommitInfo SimulatedRepo::commit(const std::string &sha) {
  auto lock = m_sim->state().lock();
  return m_sim->state().open_git(repo()).read_commit(sha);
}

std::optional<std::string> SimulatedRepo::file(const std::string &sha, const std::string &path) {
  auto lock = m_sim->state().lock();
  return m_sim->state().open_git(repo()).read_file(sha, path);
}

void SimulatedRepo::require(std::vector<std::string> contexts) {
  auto lock = m_sim->state().lock();
  repo().settings.required_contexts = std::move(contexts);
}

void SimulatedRepo::reset() {
  auto lock = m_sim->state().lock();
  m_sim->state().faults().clear();
  if (auto *repo = m_sim->state().find_repo(m_owner, m_name)) {
    repo->settings.required_contexts.clear();
    repo->settings.flux.clear();
  }
}

void expect_api_commit_replaces_branch(providers::GitProvider &provider, SimulatedRepo &forge,
                                       const config::Config &config) {
  const std::string base = forge.tip("main").value();
  const std::string first = provider.commit_via_api({"promote/files",
                                                     config.base_branch,
                                                     base,
                                                     {{"apps/dev/web.yaml", "image: web:2.0\n"},
                                                      {"apps/dev/new file.yaml", "a: 1\r\n"},
                                                      {"apps/dev/old.yaml", "", true}},
                                                     "Promote web 2.0",
                                                     config.author()});
  EXPECT_EQ(forge.tip("promote/files"), first);
  EXPECT_EQ(forge.commit(first).parents, std::vector<std::string>{base});
  EXPECT_EQ(forge.commit(first).message, "Promote web 2.0");
  EXPECT_EQ(forge.commit(first).author.name, config.author_name);
  EXPECT_EQ(forge.file(first, "apps/dev/web.yaml"), std::optional<std::string>("image: web:2.0\n"));
  EXPECT_EQ(forge.file(first, "apps/dev/new file.yaml"), std::optional<std::string>("a: 1\r\n"));
  EXPECT_EQ(forge.file(first, "apps/dev/old.yaml"), std::nullopt);

  // A re-run replaces the branch with a commit on the base again.
  const std::string bytes("\xff\xfe\x00 binary", 10);
  const std::string second =
      provider.commit_via_api({"promote/files",
                               config.base_branch,
                               base,
                               {{"apps/dev/web.yaml", "image: web:3.0\n"}, {"bin.dat", bytes}},
                               "Promote web 3.0",
                               config.author()});
  EXPECT_EQ(forge.tip("promote/files"), second);
  EXPECT_EQ(forge.commit(second).parents, std::vector<std::string>{base});
  EXPECT_EQ(forge.file(second, "bin.dat"), std::optional<std::string>(bytes));
  EXPECT_EQ(forge.file(second, "apps/dev/new file.yaml"), std::nullopt);
}

std::unique_ptr<test::RetryingCurl> contract_client() {
  http::ClientOptions options;
  options.total_timeout = 30s;
  http::RetryOptions retry;
  retry.base_backoff = 20ms;
  retry.max_backoff = 100ms;
  return std::make_unique<test::RetryingCurl>(options, retry);
}

} // namespace gitops::contract

// Fuzzes the gitops-promotion.yaml loader.
//
// Invariants (a violation aborts):
// - parse_config throws nothing but gitops::Error (ConfigError); in particular no yaml-cpp
//   exception escapes.
// - A loaded config has at least one environment, unique and valid environment names; the
//   environment and application look-ups work for every name it holds.
// - parse_duration, name_problem and status_context_matches never throw.
#include "fuzz_support.hpp"

#include "gitops/config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

using gitops::fuzz::fail;
namespace cfg = gitops::config;

void check_config(std::string_view text, const cfg::Config &config) {
  if (config.environments.empty()) {
    fail("parse_config returned a config without environments", text);
  }
  std::set<std::string> names;
  for (const auto &env : config.environments) {
    if (!names.insert(env.name).second) {
      fail("parse_config returned a duplicate environment name", text);
    }
    if (const auto problem = cfg::name_problem(env.name)) {
      fail("parse_config returned an invalid environment name: " + *problem, text);
    }
    if (config.find_environment(env.name) == nullptr) {
      fail("find_environment does not find a loaded environment", text);
    }
    gitops::fuzz::never_throws("next_environment",
                               [&] { (void)config.next_environment(env.name); });
    gitops::fuzz::never_throws("previous_environment",
                               [&] { (void)config.previous_environment(env.name); });
    for (const auto &pattern : config.status_contexts) {
      gitops::fuzz::never_throws("status_context_matches", [&] {
        (void)cfg::status_context_matches({pattern}, "group", env.name, pattern);
      });
    }
  }
  if (config.environments.front().name.empty() ||
      config.previous_environment(config.environments.front().name).has_value() ||
      config.next_environment(config.environments.back().name).has_value()) {
    fail("the first environment has a previous one or the last a next one", text);
  }
  // Plain pairs, not structured bindings: clang 14 cannot capture those in a lambda.
  for (const auto &group : config.groups) {
    for (const auto &app : group.second.applications) {
      const cfg::Application *found = nullptr;
      gitops::fuzz::never_throws("application",
                                 [&] { found = &config.application(group.first, app.first); });
      if (found != &app.second) {
        fail("application() returns another application", text);
      }
    }
  }
  for (const auto &warning : config.warnings) {
    (void)cfg::to_string(warning);
  }
  if (config.status_timeout.count() <= 0 || config.poll_interval.count() <= 0) {
    fail("parse_config returned a non-positive timeout or poll interval", text);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = gitops::fuzz::as_text(data, size);

  cfg::Config config;
  if (gitops::fuzz::only_gitops_errors("parse_config",
                                       [&] { config = cfg::parse_config(text, "fuzz.yaml"); })) {
    check_config(text, config);
  }

  gitops::fuzz::never_throws("parse_duration", [&] { (void)cfg::parse_duration(text); });
  gitops::fuzz::never_throws("name_problem", [&] { (void)cfg::name_problem(text); });
  gitops::fuzz::never_throws("status_context_matches", [&] {
    (void)cfg::status_context_matches({std::string(text)}, "team", "dev", "flux/team-dev/app");
  });
  return 0;
}

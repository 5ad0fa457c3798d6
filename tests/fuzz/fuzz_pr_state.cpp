// Fuzzes the PR description metadata parser and its writer.
//
// Invariants (a violation aborts):
// - parse_description throws nothing but gitops::Error (StateError).
// - A parsed state's description() parses back to an equal state; its title and branch names can
//   be made without an error (its names were validated), except the branch of a feature PR with an
//   empty feature name (upstream could write those), which is a StateError.
// - Built the other way round: the input split at NUL bytes gives group, app, tag, env, sha and
//   feature; when the names are valid, description() of that state parses back with the same
//   names, and a second write/parse cycle is stable.
#include "fuzz_support.hpp"

#include "gitops/config/config.hpp"
#include "gitops/promotion/pr_state.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using gitops::fuzz::fail;
using gitops::promotion::PrState;
using gitops::promotion::PrType;

bool same(const PrState &a, const PrState &b) {
  return a.group == b.group && a.app == b.app && a.tag == b.tag && a.env == b.env &&
         a.sha == b.sha && a.feature == b.feature && a.type == b.type;
}

std::string describe(const PrState &s) {
  return gitops::promotion::to_metadata_json(s);
}

// The state parsed from `description`, which must parse and not be "no metadata".
PrState reparse(const std::string &description, std::string_view context) {
  std::optional<PrState> parsed;
  if (!gitops::fuzz::only_gitops_errors("parse_description(description())", [&] {
        parsed = gitops::promotion::parse_description(description);
      })) {
    fail("description() of a state does not parse back", std::string(context) + "\n" + description);
  }
  if (!parsed) {
    fail("description() of a state has no metadata", std::string(context) + "\n" + description);
  }
  return *parsed;
}

void check_parsed(std::string_view input, const PrState &state) {
  gitops::fuzz::never_throws("title", [&] { (void)state.title(); });
  if (state.type == PrType::feature && state.feature.empty()) {
    // Upstream's feature sanitising can leave an empty name, so such PRs parse (and `promote`
    // skips them as features), but no branch name can be made for them: a StateError, nothing else.
    (void)gitops::fuzz::only_gitops_errors(
        "branch_name(per_app)", [&] { (void)state.branch_name(gitops::config::PrFlow::per_app); });
  } else {
    gitops::fuzz::never_throws("branch_name(per_app)",
                               [&] { (void)state.branch_name(gitops::config::PrFlow::per_app); });
    gitops::fuzz::never_throws("branch_name(per_env)",
                               [&] { (void)state.branch_name(gitops::config::PrFlow::per_env); });
  }
  const PrState again = reparse(state.description(), input);
  if (!same(state, again)) {
    fail("description() of a parsed state parses to another state",
         std::string(input) + "\nfirst:  " + describe(state) + "\nsecond: " + describe(again));
  }
}

bool valid_names(const PrState &s) {
  using gitops::config::name_problem;
  if (name_problem(s.group) || name_problem(s.app) || name_problem(s.env)) {
    return false;
  }
  if (s.type == PrType::feature || !s.feature.empty()) {
    // The feature follows `<app>-` in a branch name, so only its use after a letter is checked.
    return !s.feature.empty() && !name_problem("f" + s.feature);
  }
  return true;
}

void check_built(std::string_view input) {
  std::array<std::string, 6> fields;
  std::size_t index = 0;
  for (const char c : input) {
    if (c == '\0') {
      if (++index == fields.size()) {
        break;
      }
    } else {
      fields[index] += c;
    }
  }
  PrState state{fields[0],
                fields[1],
                fields[2],
                fields[3],
                fields[4],
                fields[5],
                fields[5].empty() ? PrType::promote : PrType::feature};
  if (!valid_names(state)) {
    return;
  }
  const PrState first = reparse(state.description(), describe(state));
  // Invalid UTF-8 in the free-text fields (tag, sha) is written as U+FFFD like Go does; the names
  // are valid UTF-8 and must come back unchanged.
  if (first.group != state.group || first.app != state.app || first.env != state.env ||
      first.feature != state.feature || first.type != state.type) {
    fail("description() of a state with valid names parses to other names",
         describe(state) + "\n" + describe(first));
  }
  const PrState second = reparse(first.description(), describe(first));
  if (!same(first, second)) {
    fail("a second description()/parse cycle changes the state",
         describe(first) + "\n" + describe(second));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input = gitops::fuzz::as_text(data, size);

  std::optional<PrState> parsed;
  if (gitops::fuzz::only_gitops_errors(
          "parse_description", [&] { parsed = gitops::promotion::parse_description(input); }) &&
      parsed) {
    check_parsed(input, *parsed);
  }
  (void)gitops::promotion::sanitize_feature(input);
  check_built(input);
  return 0;
}

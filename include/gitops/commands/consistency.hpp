#pragma once

// "What merges is what the next environment gets": the content of a promotion commit is the truth,
// and a pull request's metadata (and the commit's own copy of it) must agree with it. See
// ARCHITECTURE.md, "Promotion integrity".

#include "gitops/commands/services.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/promotion/pr_state.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gitops::commands {

// The tags group/app's applicable `$imagepolicy` markers hold under `directory` of `commit`: a tag
// setter's value, a whole-image setter's tag (name and digest setters say nothing about the tag).
// Distinct and sorted; empty when no marker tells.
[[nodiscard]] std::vector<std::string>
marked_tags(const git::Repository &repo, const std::string &commit, const std::string &directory,
            const std::string &group, const std::string &app);

// The message of a promotion commit: the PR's title, a blank line, then the PR's description, so
// the commit carries its own promotion state (read back with state_of_commit).
[[nodiscard]] std::string promotion_commit_message(const std::string &title,
                                                   const std::string &description);

// The promotion state a commit made by this tool carries in its message, or std::nullopt (a commit
// by upstream or by hand; a malformed block counts as none).
[[nodiscard]] std::optional<promotion::PrState> state_of_commit(const git::Repository &repo,
                                                                const std::string &commit);

// Why `state` (a PR's metadata) does not describe `commit` (its head), or std::nullopt when it
// does: the commit's own state names another group, app, tag or environment, or the markers of
// `<prefix><group>/<env>` hold other tags than state.tag.
[[nodiscard]] std::optional<std::string> disagreement(const git::Repository &repo,
                                                      const RepositoryRoot &root,
                                                      const std::string &commit,
                                                      const promotion::PrState &state);

} // namespace gitops::commands

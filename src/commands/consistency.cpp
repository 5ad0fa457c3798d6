#include "gitops/commands/consistency.hpp"

#include "gitops/manifest/image_ref.hpp"
#include "gitops/manifest/rewriter.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>
#include <set>

namespace gitops::commands {

std::vector<std::string> marked_tags(const git::Repository &repo, const std::string &commit,
                                     const std::string &directory, const std::string &group,
                                     const std::string &app) {
  std::set<std::string> tags;
  repo.for_each_file(
      commit, directory,
      [](std::string_view name) { return manifest::is_manifest_file_name(name); },
      [&](const std::string & /*path*/, std::string_view content, unsigned /*mode*/) {
        if (!manifest::may_contain_marker(content)) {
          return;
        }
        for (const manifest::Marker &marker : manifest::scan(content).markers) {
          if (marker.group != group || marker.app != app) {
            continue;
          }
          if (marker.setter == manifest::Setter::tag) {
            if (const auto whole = manifest::whole_reference_in_tag_value(marker.value)) {
              if (!whole->tag.empty()) {
                tags.insert(whole->tag);
              }
              continue;
            }
            // Flux writes `tag@digest` when the policy pins digests.
            tags.insert(marker.value.substr(0, marker.value.find('@')));
          } else if (marker.setter == manifest::Setter::image) {
            try {
              tags.insert(manifest::parse_image_ref(marker.value).tag);
            } catch (const ManifestError &) {
              // An unreadable image says nothing about the tag; lint reports it.
            }
          }
        }
      });
  return {tags.begin(), tags.end()};
}

std::string promotion_commit_message(const std::string &title, const std::string &description) {
  if (description.empty()) {
    return title + "\n"; // feature-stale's PR has no description
  }
  return title + "\n\n" + description + "\n";
}

std::optional<promotion::PrState> state_of_commit(const git::Repository &repo,
                                                  const std::string &commit) {
  const std::string message = repo.commit_message(commit);
  try {
    return promotion::parse_description(message);
  } catch (const StateError &) {
    return std::nullopt;
  }
}

std::optional<std::string> disagreement(const git::Repository &repo, const RepositoryRoot &root,
                                        const std::string &commit,
                                        const promotion::PrState &state) {
  const std::string said =
      state.group + "/" + state.app + " version " + state.tag + " for environment " + state.env;
  if (const std::optional<promotion::PrState> own = state_of_commit(repo, commit)) {
    if (own->group != state.group || own->app != state.app || own->tag != state.tag ||
        own->env != state.env) {
      return "the pull request says " + said + ", but its head commit " + commit +
             " was made for " + own->group + "/" + own->app + " version " + own->tag +
             " for environment " + own->env;
    }
  }
  if (state.type == promotion::PrType::feature) {
    // A feature copy's tag lives in its own directory, not in the environment's markers.
    return std::nullopt;
  }
  const std::string directory = root.prefix + state.group + "/" + state.env;
  const std::vector<std::string> tags =
      marked_tags(repo, commit, directory, state.group, state.app);
  if (tags.empty() || (tags.size() == 1 && tags.front() == state.tag)) {
    return std::nullopt;
  }
  std::vector<std::string> quoted;
  for (const std::string &tag : tags) {
    quoted.push_back(util::quote_for_message(tag));
  }
  return "the pull request says " + said + ", but the markers of " + state.group + ":" + state.app +
         " under " + directory + " in its head commit " + commit + " hold " +
         util::join(quoted, ", ");
}

} // namespace gitops::commands

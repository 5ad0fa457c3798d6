#pragma once

#include "gitops/manifest/rewriter.hpp"

#include <optional>
#include <string>

namespace gitops::commands {

// One marked value that was (or would be) changed, located for people: `file:line: old -> new
// (setter)`.
struct ChangeRecord {
  std::string
      file; // as shown to the user (set-image: DIR joined with the relative path; new: repo path)
  int line = 0;
  std::string old_value;
  std::string new_value;
  manifest::Setter setter = manifest::Setter::tag;
};

// Builds the update for `group`/`app` from exactly one of `tag` / `image` (NAME:TAG[@DIGEST]).
// Throws UsageError when both or neither is given, the tag is not a valid OCI tag, the image does
// not parse, or the group or app is not a valid name (promotion::validate_name).
[[nodiscard]] manifest::ImageUpdate make_image_update(const std::string &group,
                                                      const std::string &app,
                                                      const std::optional<std::string> &tag,
                                                      const std::optional<std::string> &image);

// `update` as the user would write it: `NAME:TAG[@DIGEST]` when a name is known, else the tag.
[[nodiscard]] std::string describe(const manifest::ImageUpdate &update);

} // namespace gitops::commands

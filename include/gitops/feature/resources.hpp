#pragma once

// Adding and removing one entry of a kustomization's top-level `resources:` list by editing its
// bytes: every other byte (comments, order, quoting, the images block with its markers) stays.

#include <optional>
#include <string>
#include <string_view>

namespace gitops::feature {

// `text` with `entry` appended to its top-level `resources:` list (a block list gets a line in the
// style of its last item, a flow list an element; a missing key is added at the end), or
// std::nullopt when the list already holds `entry`. `file` is only used in messages. Throws
// CommandError when the file does not parse, `resources` is not a list, or the edit would not
// read back as exactly one more entry (the file is then left for the user to edit).
[[nodiscard]] std::optional<std::string>
add_resource(std::string_view text, const std::string &entry, const std::string &file);

// `text` without the top-level `resources:` item equal to `entry` (its line removed), or
// std::nullopt when there is no such item. Errors as add_resource.
[[nodiscard]] std::optional<std::string>
remove_resource(std::string_view text, const std::string &entry, const std::string &file);

} // namespace gitops::feature

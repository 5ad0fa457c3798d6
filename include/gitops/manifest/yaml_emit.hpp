#pragma once

// Writing a parsed YAML document back as block YAML without changing what it means.

#include <string>

namespace YAML {
class Node;
} // namespace YAML

namespace gitops::manifest {

// `node` as block YAML (two-space indentation, sequences at their key's indentation, as kustomize
// writes them), ending in a newline. Every scalar reads back as it was loaded: a quoted string that
// would read as a number or a bool stays quoted, a plain value keeps its plain text (so an int
// stays an int), explicit tags are kept, a string YAML cannot hold plain is double-quoted. Comments
// and anchors are not kept (yaml-cpp does not load them).
[[nodiscard]] std::string emit_block(const YAML::Node &node);

// `value` as one YAML scalar that reads back as that string: plain when it can be, else
// double-quoted (`-feature` and `1` come out quoted, `nginx-feature` plain).
[[nodiscard]] std::string emit_string(const std::string &value);

} // namespace gitops::manifest

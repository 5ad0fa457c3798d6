#include "gitops/manifest/yaml_emit.hpp"

#include "gitops/manifest/detail/yaml_text.hpp"

#include <yaml-cpp/yaml.h>

namespace gitops::manifest {

namespace {

constexpr std::string_view k_core_tag = "tag:yaml.org,2002:";

std::string scalar(const YAML::Node &node) {
  if (node.IsNull()) {
    return "null";
  }
  const std::string &value = node.Scalar();
  const std::string &tag = node.Tag();
  if (tag == "?") {
    // Loaded plain: the same text reads back as the same thing (int, bool or string).
    if (!value.empty() && (detail::is_safe_plain(value) || detail::is_non_string_plain(value)) &&
        value.find('\n') == std::string::npos) {
      return value;
    }
    return detail::double_quoted(value);
  }
  std::string prefix;
  if (tag.starts_with(k_core_tag)) {
    prefix = "!!" + tag.substr(k_core_tag.size()) + " ";
  } else if (tag != "!" && !tag.empty()) {
    prefix = "!<" + tag + "> ";
  }
  // Quoted in the source (tag "!"), or tagged: a string unless the tag says otherwise.
  if (prefix.empty() && detail::is_safe_plain(value)) {
    return value;
  }
  return prefix + detail::double_quoted(value);
}

bool is_empty_collection(const YAML::Node &node) {
  return (node.IsMap() || node.IsSequence()) && node.size() == 0;
}

std::string collection_inline(const YAML::Node &node) {
  return node.IsMap() ? "{}" : "[]";
}

void emit(const YAML::Node &node, std::size_t indent, std::string &out);

// A mapping value or sequence item after its key or dash.
void emit_child(const YAML::Node &value, std::size_t indent, bool under_key, std::string &out) {
  if (value.IsMap() && value.size() > 0) {
    out += '\n';
    emit(value, indent + 2, out);
  } else if (value.IsSequence() && value.size() > 0) {
    out += '\n';
    // kustomize writes a mapping's sequence at the key's own indentation.
    emit(value, under_key ? indent : indent + 2, out);
  } else if (is_empty_collection(value)) {
    out += " " + collection_inline(value) + "\n";
  } else {
    out += " " + scalar(value) + "\n";
  }
}

void emit(const YAML::Node &node, std::size_t indent, std::string &out) {
  const std::string pad(indent, ' ');
  if (node.IsMap()) {
    for (const auto &entry : node) {
      out += pad + scalar(entry.first) + ":";
      emit_child(entry.second, indent, true, out);
    }
  } else if (node.IsSequence()) {
    for (const auto &item : node) {
      if ((item.IsMap() || item.IsSequence()) && item.size() > 0) {
        // The item's first line goes after the dash: render it one level in, then put the dash
        // where its indentation starts.
        std::string inner;
        emit(item, indent + 2, inner);
        inner.replace(indent, 2, "- ");
        out += inner;
      } else {
        out += pad + "-";
        emit_child(item, indent, false, out);
      }
    }
  } else if (is_empty_collection(node)) {
    out += pad + collection_inline(node) + "\n";
  } else {
    out += pad + scalar(node) + "\n";
  }
}

} // namespace

std::string emit_block(const YAML::Node &node) {
  std::string out;
  emit(node, 0, out);
  return out;
}

std::string emit_string(const std::string &value) {
  YAML::Node node(value);
  node.SetTag("!"); // as if quoted in the source: a string whatever it looks like
  std::string out = emit_block(node);
  out.pop_back();
  return out;
}

} // namespace gitops::manifest

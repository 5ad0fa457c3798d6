#include "gitops/feature/resources.hpp"

#include "gitops/manifest/yaml_emit.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <yaml-cpp/yaml.h>

#include <vector>

namespace gitops::feature {

namespace {

constexpr std::string_view k_key = "resources:";

struct Line {
  std::size_t begin = 0; // offset of the first byte
  std::size_t end = 0;   // offset just past the line break (or the end of the text)
  std::string_view text; // without the line break
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t from = 0;
  while (from < text.size()) {
    std::size_t nl = text.find('\n', from);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::size_t stop = nl == std::string_view::npos ? text.size() : nl;
    if (stop > from && text[stop - 1] == '\r') {
      --stop;
    }
    lines.push_back({from, end, text.substr(from, stop - from)});
    from = end;
  }
  return lines;
}

std::string_view strip_comment(std::string_view rest) {
  // Good enough for the value after `resources:`; quoted '#' is not a concern there.
  if (const auto hash = rest.find(" #"); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  if (rest.starts_with("#")) {
    rest = {};
  }
  return util::trim(rest);
}

bool blank_or_comment(std::string_view line) {
  const std::string_view t = util::trim(line);
  return t.empty() || t.front() == '#';
}

std::vector<std::string> list_of(const YAML::Node &root, const std::string &file) {
  std::vector<std::string> out;
  const YAML::Node list = root["resources"];
  if (!list || list.IsNull()) {
    return out;
  }
  if (!list.IsSequence()) {
    throw CommandError(file + ": `resources` is not a list");
  }
  for (const YAML::Node &item : list) {
    out.push_back(item.IsScalar() ? item.Scalar() : YAML::Dump(item));
  }
  return out;
}

YAML::Node parse(std::string_view text, const std::string &file) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsNull() && !root.IsMap()) {
      throw CommandError(file + " is not a kustomization (its top level is not a mapping)");
    }
    return root;
  } catch (const YAML::Exception &e) {
    throw CommandError("cannot parse " + file + ": " + e.what());
  }
}

// Everything but `resources`, to check an edit touched nothing else.
std::string others(const YAML::Node &root) {
  std::string out;
  if (!root.IsMap()) {
    return out;
  }
  for (const auto &entry : root) {
    if (entry.first.Scalar() != "resources") {
      out += entry.first.Scalar() + "=" + manifest::emit_block(entry.second);
    }
  }
  return out;
}

std::string flow_list(const std::vector<std::string> &items) {
  std::vector<std::string> parts;
  for (const std::string &item : items) {
    parts.push_back(manifest::emit_string(item));
  }
  return "[" + util::join(parts, ", ") + "]";
}

// Where the top-level `resources:` key is and what its value looks like.
struct KeyPlace {
  std::size_t line = 0;
  std::string_view value; // the text after the key on its line, comment removed
};

std::optional<KeyPlace> find_key(const std::vector<Line> &lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].text.starts_with(k_key)) {
      return KeyPlace{i, strip_comment(lines[i].text.substr(k_key.size()))};
    }
  }
  return std::nullopt;
}

// The lines of the block list under the key at `key`: [key + 1, end).
std::size_t block_end(const std::vector<Line> &lines, std::size_t key) {
  std::size_t last_content = key;
  for (std::size_t i = key + 1; i < lines.size(); ++i) {
    const std::string_view t = lines[i].text;
    if (blank_or_comment(t)) {
      continue;
    }
    if (t.front() != ' ' && t.front() != '\t' && t.front() != '-') {
      break;
    }
    last_content = i;
  }
  return last_content + 1;
}

void verify(std::string_view before, const std::string &after, const std::vector<std::string> &want,
            const std::string &file) {
  const YAML::Node old_root = parse(before, file);
  YAML::Node new_root;
  try {
    new_root = YAML::Load(after);
  } catch (const YAML::Exception &) {
    new_root = YAML::Node();
  }
  if (!new_root.IsMap() || list_of(new_root, file) != want ||
      others(new_root) != others(old_root)) {
    throw CommandError(
        "cannot edit the resources list of " + file +
        " without changing something else; edit it by hand to list: " + util::join(want, ", "));
  }
}

} // namespace

std::optional<std::string> add_resource(std::string_view text, const std::string &entry,
                                        const std::string &file) {
  const YAML::Node root = parse(text, file);
  std::vector<std::string> want = list_of(root, file);
  for (const std::string &item : want) {
    if (item == entry) {
      return std::nullopt;
    }
  }
  want.push_back(entry);
  const std::string nl = text.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  const std::vector<Line> lines = split_lines(text);
  std::string out(text);
  const std::optional<KeyPlace> key = find_key(lines);
  if (!key) {
    if (!out.empty() && out.back() != '\n') {
      out += nl;
    }
    out += "resources:" + nl + "- " + manifest::emit_string(entry) + nl;
  } else if (key->value.starts_with("[")) {
    if (!key->value.ends_with("]")) {
      throw CommandError(file + ": the `resources` flow list spans several lines; add " + entry +
                         " to it by hand");
    }
    const Line &line = lines[key->line];
    const std::size_t close = line.begin + line.text.rfind(']');
    const bool empty = util::trim(key->value.substr(1, key->value.size() - 2)).empty();
    out.insert(close, (empty ? "" : ", ") + manifest::emit_string(entry));
  } else if (!key->value.empty() && key->value != "null" && key->value != "~") {
    throw CommandError(file + ": `resources` is not a list");
  } else {
    const std::size_t end = block_end(lines, key->line);
    std::string indent;
    for (std::size_t i = end; i-- > key->line + 1;) {
      const std::string_view t = lines[i].text;
      const auto dash = t.find_first_not_of(' ');
      if (dash != std::string_view::npos && t[dash] == '-') {
        indent = std::string(t.substr(0, dash));
        break;
      }
    }
    std::string item = indent + "- " + manifest::emit_string(entry) + nl;
    if (end == key->line + 1) {
      // `resources:` (or `resources: null`) with no items: the key's line gets a list.
      const Line &line = lines[key->line];
      out.replace(line.begin, line.end - line.begin, "resources:" + nl + item);
    } else {
      std::size_t at = lines[end - 1].end;
      if (at == out.size() && !out.empty() && out.back() != '\n') {
        out += nl;
        at = out.size();
      }
      out.insert(at, item);
    }
  }
  verify(text, out, want, file);
  return out;
}

std::optional<std::string> remove_resource(std::string_view text, const std::string &entry,
                                           const std::string &file) {
  const YAML::Node root = parse(text, file);
  const std::vector<std::string> have = list_of(root, file);
  std::vector<std::string> want;
  for (const std::string &item : have) {
    if (item != entry) {
      want.push_back(item);
    }
  }
  if (want.size() == have.size()) {
    return std::nullopt;
  }
  const std::vector<Line> lines = split_lines(text);
  const std::optional<KeyPlace> key = find_key(lines);
  if (!key) {
    throw CommandError(file + ": cannot find the `resources:` key at the start of a line");
  }
  std::string out(text);
  if (key->value.starts_with("[")) {
    if (!key->value.ends_with("]")) {
      throw CommandError(file + ": the `resources` flow list spans several lines; remove " + entry +
                         " from it by hand");
    }
    const Line &line = lines[key->line];
    const std::size_t open = line.begin + line.text.find('[');
    const std::size_t close = line.begin + line.text.rfind(']');
    out.replace(open, close + 1 - open, flow_list(want));
  } else {
    const std::size_t end = block_end(lines, key->line);
    bool removed = false;
    for (std::size_t i = end; i-- > key->line + 1 && !removed;) {
      const std::string_view t = util::trim(lines[i].text);
      if (!t.starts_with("- ")) {
        continue;
      }
      const std::string_view value = strip_comment(t.substr(2));
      YAML::Node item;
      try {
        item = YAML::Load(std::string(value));
      } catch (const YAML::Exception &) {
        continue;
      }
      if (item.IsScalar() && item.Scalar() == entry) {
        out.erase(lines[i].begin, lines[i].end - lines[i].begin);
        removed = true;
      }
    }
    if (!removed) {
      throw CommandError(file + ": cannot find the line of " + entry +
                         " in `resources`; remove it by hand");
    }
  }
  verify(text, out, want, file);
  return out;
}

} // namespace gitops::feature

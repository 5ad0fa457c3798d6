#include "gitops/manifest/rewriter.hpp"

#include "gitops/manifest/detail/line_scanner.hpp"
#include "gitops/manifest/detail/marker_comment.hpp"
#include "gitops/manifest/detail/yaml_text.hpp"
#include "gitops/manifest/image_ref.hpp"
#include "gitops/util/error.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <variant>

namespace gitops::manifest {

namespace {

using detail::MarkerSite;
using detail::Place;
using detail::ScalarStyle;
using detail::ScalarToken;

constexpr std::string_view k_token = "\"$imagepolicy\"";

// A marker whose comment and position are fine (not yet confirmed by the YAML parser).
struct Candidate {
  const MarkerSite *site = nullptr;
  std::string group;
  std::string app;
  Setter setter = Setter::tag;
  std::string text; // the comment, trimmed, for messages
};

struct Analysis {
  std::vector<Candidate> markers;
  std::vector<MarkerFinding> findings;
  bool any_attempt = false; // some comment is a marker or a malformed one
};

std::string trimmed_comment(std::string_view comment) {
  while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t')) {
    comment.remove_suffix(1);
  }
  constexpr std::size_t k_max = 120;
  if (comment.size() > k_max) {
    return std::string(comment.substr(0, k_max)) + "...";
  }
  return std::string(comment);
}

bool is_k8s_name(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool equals_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct SetterName {
  std::string group;
  std::string app;
  Setter setter = Setter::image;
};

// Splits "<namespace>:<policy>[:tag|:name|:digest]"; returns the problem as a string otherwise.
std::variant<SetterName, std::string> parse_setter(std::string_view value) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = value.find(':', start);
    parts.push_back(
        value.substr(start, colon == std::string_view::npos ? value.npos : colon - start));
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if (value.empty()) {
    return std::string("has an empty \"$imagepolicy\" value; expected "
                       "\"<namespace>:<policy>[:tag|:name|:digest]\"");
  }
  if (parts.size() == 1) {
    return "names no namespace: \"" + std::string(value) +
           "\" must be \"<namespace>:<policy>\", e.g. \"flux-system:" + std::string(value) + "\"";
  }
  if (parts[0].empty() || parts[1].empty()) {
    return std::string("has an empty namespace or policy name in \"") + std::string(value) + "\"";
  }
  SetterName out{std::string(parts[0]), std::string(parts[1]), Setter::image};
  if (parts.size() == 2) {
    return out;
  }
  if (parts.size() > 3) {
    return "has an unknown setter suffix \":" +
           std::string(value.substr(parts[0].size() + parts[1].size() + 2)) +
           "\"; expected <namespace>:<policy>[:tag|:name|:digest]";
  }
  const std::string_view suffix = parts[2];
  if (suffix == "tag") {
    out.setter = Setter::tag;
  } else if (suffix == "name") {
    out.setter = Setter::name;
  } else if (suffix == "digest") {
    out.setter = Setter::digest;
  } else {
    std::string why = "has an unknown setter suffix \":" + std::string(suffix) +
                      "\"; use :tag, :name, :digest or no suffix (whole image)";
    if (equals_ci(suffix, "tag") || equals_ci(suffix, "name") || equals_ci(suffix, "digest")) {
      why += " (suffixes are lowercase)";
    }
    return why;
  }
  return out;
}

std::string place_problem(Place place, bool &error) {
  error = true;
  switch (place) {
  case Place::key_only:
    return "is on a key whose value is on a later line; Flux ignores it there. Write the value on "
           "the key's line: `key: value # marker`";
  case Place::empty_item:
    return "is on an empty sequence item (`- # marker`); write the value on the same line";
  case Place::head_mapping_value:
    return "is on the line above a mapping value; there it belongs to the key and Flux ignores "
           "it. Move it to the end of the value's line";
  case Place::head_collection_item:
    return "is above a sequence item that is not a plain value (a mapping or a nested sequence); "
           "Flux ignores it. Move it to the end of the value's line";
  case Place::head_detached:
    return "stands on a line of its own but is not directly above a `- value` item, so nothing "
           "uses it. Put it at the end of the value's line";
  case Place::flow:
    return "follows a one-line flow collection ([...] or {...}); it belongs to the collection and "
           "Flux ignores it. Use block style with one value per line";
  case Place::unreadable:
    return "is on a line that cannot be read as `key: value` or `- value` (tabs used as "
           "indentation?); not applied";
  default:
    break;
  }
  error = false;
  switch (place) {
  case Place::alias:
    return "is on an alias (*name), which is not a scalar; not applied. Mark the anchored value "
           "instead";
  case Place::head_not_single:
    return "is part of a comment block of several lines; a marker above a sequence item must be "
           "the only comment line there. Not applied";
  case Place::head_misaligned:
    return "is above a sequence item but not at the column of its '-'; not applied. Align it or "
           "put it at the end of the item's line";
  case Place::block_scalar_header:
    return "is on a block scalar header (| or >); markers on block scalars are not supported";
  case Place::block_scalar_text:
    return "is text inside a block scalar (| or >), not a comment; not applied";
  case Place::flow_multi_line:
    return "is in flow context ([...] or {...} over several lines); markers in flow context are "
           "not supported. Use block style";
  case Place::bare_scalar:
    return "is on a value that is not on the line of its key or '-' (or is a document's only "
           "value); not applied";
  case Place::multi_line_scalar:
    return "is on the last line of a multi-line scalar; markers on multi-line scalars are not "
           "supported";
  case Place::complex_key:
    return "is in a complex mapping entry (`? key` / `: value`); not supported";
  default:
    return "is not where a marker applies";
  }
}

Analysis analyse(const std::vector<MarkerSite> &sites) {
  Analysis out;
  const auto finding = [&](const MarkerSite &site, const std::string &text, const std::string &why,
                           bool error) {
    out.findings.push_back(MarkerFinding{site.line, "marker " + text + " " + why, error});
  };
  for (const auto &site : sites) {
    const detail::MarkerComment comment = detail::read_marker_comment(site.comment);
    if (comment.kind == detail::CommentKind::not_marker) {
      continue;
    }
    out.any_attempt = true;
    const std::string text = trimmed_comment(site.comment);
    if (comment.kind == detail::CommentKind::malformed) {
      finding(site, text, comment.problem + "; Flux ignores it", true);
      continue;
    }
    auto parsed = parse_setter(comment.setter);
    if (const auto *why = std::get_if<std::string>(&parsed)) {
      finding(site, text, *why + "; Flux ignores it", true);
      continue;
    }
    auto name = std::get<SetterName>(std::move(parsed));
    if (comment.longhand) {
      finding(site, text,
              "uses the undocumented $ref longhand; prefer {\"$imagepolicy\": \"" + comment.setter +
                  "\"}",
              false);
    }
    if (comment.both_forms) {
      finding(site, text, "has both \"$imagepolicy\" and \"$ref\"; \"$imagepolicy\" is used",
              false);
    }
    if (!is_k8s_name(name.group) || !is_k8s_name(name.app)) {
      finding(site, text,
              "names \"" + name.group + ":" + name.app +
                  "\", which is not a valid Kubernetes namespace and name (lowercase letters, "
                  "digits, '-', '.')",
              false);
    }
    bool applicable = site.place == Place::mapping_value || site.place == Place::sequence_item;
    if (site.place == Place::head_sequence_item) {
      if (site.item_comment.empty()) {
        applicable = true;
      } else if (detail::read_marker_comment(site.item_comment).kind ==
                 detail::CommentKind::marker) {
        finding(site, text,
                "is ignored: the item on line " + std::to_string(site.value_line) +
                    " has its own marker, which takes precedence",
                false);
        continue;
      } else {
        finding(site, text,
                "is hidden by the comment on line " + std::to_string(site.value_line) +
                    " (a line comment on the item wins over a marker above it); not applied",
                false);
        continue;
      }
    }
    if (!applicable) {
      bool error = true;
      const std::string why = place_problem(site.place, error);
      finding(site, text, why, error);
      continue;
    }
    if (!site.scalar || !site.scalar->value) {
      finding(site, text, "is on a value with an invalid escape sequence; not applied", false);
      continue;
    }
    out.markers.push_back(
        Candidate{&site, std::move(name.group), std::move(name.app), name.setter, text});
  }
  return out;
}

// What the YAML parser reports at one node position.
struct ParsedNode {
  enum class Role { root, key, value, item } role = Role::root;
  enum class Kind { scalar, null, alias, collection } kind = Kind::scalar;
  std::string tag;
  std::string value;
};

// The nodes the parser reported at the wanted positions, keyed by absolute offset in the content.
class ParsedNodes {
public:
  void add(std::size_t pos, ParsedNode node) { m_nodes.try_emplace(pos, std::move(node)); }
  [[nodiscard]] const ParsedNode *find(std::size_t pos) const {
    const auto it = m_nodes.find(pos);
    return it == m_nodes.end() ? nullptr : &it->second;
  }

private:
  std::unordered_map<std::size_t, ParsedNode> m_nodes;
};

// Records the nodes that start at the wanted byte positions, from yaml-cpp's event stream (the
// parser YAML::LoadAll uses), without building a document tree.
class NodeIndex final : public YAML::EventHandler {
public:
  // Thrown when yaml-cpp stops making progress: on some garbage (e.g. a leading ",") it returns the
  // same empty document forever.
  struct Stuck {
    int line;
  };

  NodeIndex(std::set<std::size_t> wanted, std::size_t size)
      : m_wanted(std::move(wanted)), m_max_events(4 * size + 64) {}

  void OnDocumentStart(const YAML::Mark &mark) override {
    if (m_documents++ > 0 && mark.pos <= m_last_document) {
      throw Stuck{mark.line + 1};
    }
    m_last_document = mark.pos;
    m_stack.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &mark, YAML::anchor_t /*anchor*/) override {
    record(mark, ParsedNode::Kind::null, {}, {});
  }
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t /*anchor*/) override {
    record(mark, ParsedNode::Kind::alias, {}, {});
  }
  void OnScalar(const YAML::Mark &mark, const std::string &tag, YAML::anchor_t /*anchor*/,
                const std::string &value) override {
    record(mark, ParsedNode::Kind::scalar, tag, value);
  }
  void OnSequenceStart(const YAML::Mark &mark, const std::string & /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    record(mark, ParsedNode::Kind::collection, {}, {});
    m_stack.push_back(Frame{false, true});
  }
  void OnSequenceEnd() override { pop(); }
  void OnMapStart(const YAML::Mark &mark, const std::string & /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    record(mark, ParsedNode::Kind::collection, {}, {});
    m_stack.push_back(Frame{true, true});
  }
  void OnMapEnd() override { pop(); }

  // Hands the recorded nodes over, their positions shifted by `offset`.
  void move_into(ParsedNodes &out, std::size_t offset) {
    for (auto &[pos, node] : m_nodes) {
      out.add(pos + offset, std::move(node));
    }
  }

private:
  struct Frame {
    bool map;
    bool expect_key;
  };

  void pop() {
    if (!m_stack.empty()) {
      m_stack.pop_back();
    }
  }

  void record(const YAML::Mark &mark, ParsedNode::Kind kind, const std::string &tag,
              const std::string &value) {
    if (++m_events > m_max_events) {
      throw Stuck{mark.line + 1};
    }
    ParsedNode::Role role = ParsedNode::Role::root;
    if (!m_stack.empty()) {
      Frame &top = m_stack.back();
      if (top.map) {
        role = top.expect_key ? ParsedNode::Role::key : ParsedNode::Role::value;
        top.expect_key = !top.expect_key;
      } else {
        role = ParsedNode::Role::item;
      }
    }
    if (mark.pos < 0 || !m_wanted.contains(static_cast<std::size_t>(mark.pos))) {
      return;
    }
    // The first node recorded at a position is the outermost; keep it.
    m_nodes.try_emplace(static_cast<std::size_t>(mark.pos), ParsedNode{role, kind, tag, value});
  }

  std::set<std::size_t> m_wanted;
  std::size_t m_max_events;
  std::size_t m_events = 0;
  std::size_t m_documents = 0;
  int m_last_document = -1;
  std::vector<Frame> m_stack;
  std::unordered_map<std::size_t, ParsedNode> m_nodes;
};

struct ParseFailure {
  int line = 0;
  std::string message;
};

// True when the line starting at `pos` is a document start marker (`---` at column 0, then a
// blank or the end of the line).
bool document_start_at(std::string_view content, std::size_t pos) {
  if (content.substr(pos, 3) != "---") {
    return false;
  }
  const std::size_t after = pos + 3;
  return after == content.size() || content[after] == ' ' || content[after] == '\t' ||
         content[after] == '\n' || content[after] == '\r';
}

// [begin, end) byte ranges that each parse on their own: the content is cut before every `---`
// line. YAML forbids such a line inside any scalar or collection (c-forbidden), so a cut never
// splits a node; a file with a directive (`%` at column 0) stays whole, since a directive belongs
// to the document after it. The first range starts after a byte order mark, which yaml-cpp skips
// without counting.
std::vector<std::pair<std::size_t, std::size_t>> documents(std::string_view content) {
  const std::size_t begin = detail::bom_length(content);
  std::vector<std::size_t> cuts{begin};
  bool directives = false;
  for (std::size_t line = begin; line < content.size();) {
    if (content[line] == '%') {
      directives = true;
      break;
    }
    if (line > begin && document_start_at(content, line)) {
      cuts.push_back(line);
    }
    const std::size_t nl = content.find('\n', line);
    line = nl == std::string_view::npos ? content.size() : nl + 1;
  }
  if (directives) {
    cuts.resize(1);
  }
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    ranges.emplace_back(cuts[i], i + 1 < cuts.size() ? cuts[i + 1] : content.size());
  }
  return ranges;
}

// Which documents parse_yaml reads.
enum class Read { every_document, documents_with_positions };

// What parse_yaml found: the nodes of the documents that parsed, and the first failure, if any,
// with the byte range of the document that failed (whose nodes are not indexed).
struct Parsed {
  ParsedNodes nodes;
  std::optional<ParseFailure> failure;
  std::vector<std::pair<std::size_t, std::size_t>> failed_documents;

  [[nodiscard]] bool in_failed_document(std::size_t pos) const {
    return std::any_of(failed_documents.begin(), failed_documents.end(),
                       [&](const auto &range) { return pos >= range.first && pos < range.second; });
  }
};

// Parses `content` with yaml-cpp document by document and indexes the nodes at `positions`
// (offsets in `content`); a document that fails does not stop the others. With
// Read::documents_with_positions a document without a wanted position is not read, so an edit in a
// 50 MB file of many applications costs the documents it touches, not the file.
Parsed parse_yaml(std::string_view content, std::vector<std::size_t> positions, Read read) {
  std::sort(positions.begin(), positions.end());
  Parsed result;
  auto next = positions.begin();
  int line_offset = 0; // lines before the current document
  std::size_t counted_to = 0;
  for (const auto &[begin, end] : documents(content)) {
    std::set<std::size_t> wanted;
    for (; next != positions.end() && *next < end; ++next) {
      if (*next >= begin) {
        wanted.insert(*next - begin);
      }
    }
    if (wanted.empty() && read == Read::documents_with_positions) {
      continue;
    }
    line_offset +=
        static_cast<int>(std::count(content.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                    content.begin() + static_cast<std::ptrdiff_t>(begin), '\n'));
    counted_to = begin;
    const std::string_view piece = content.substr(begin, end - begin);
    NodeIndex index(std::move(wanted), piece.size());
    try {
      std::istringstream stream{std::string(piece)};
      YAML::Parser parser(stream);
      while (parser.HandleNextDocument(index)) {
      }
    } catch (const YAML::Exception &e) {
      result.failed_documents.emplace_back(begin, end);
      if (!result.failure) {
        result.failure = ParseFailure{line_offset + e.mark.line + 1, e.msg};
      }
      continue;
    } catch (const NodeIndex::Stuck &stuck) {
      result.failed_documents.emplace_back(begin, end);
      if (!result.failure) {
        result.failure = ParseFailure{line_offset + stuck.line, "the YAML parser made no progress"};
      }
      continue;
    }
    index.move_into(result.nodes, begin);
  }
  return result;
}

const ParsedNode *parsed_at(const Parsed &parsed, std::size_t pos) {
  return parsed.nodes.find(pos);
}

bool is_null_text(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// True when yaml-cpp sees the same scalar, in the same role, where the scanner put the marker.
bool confirms(const ParsedNode *node, const Candidate &c) {
  if (node == nullptr) {
    return false;
  }
  const bool want_value = c.site->place == Place::mapping_value;
  if (node->role != (want_value ? ParsedNode::Role::value : ParsedNode::Role::item)) {
    return false;
  }
  const ScalarToken &token = *c.site->scalar;
  if (node->kind == ParsedNode::Kind::null) {
    return token.style == ScalarStyle::plain && !token.tag && is_null_text(*token.value);
  }
  return node->kind == ParsedNode::Kind::scalar && node->value == *token.value;
}

bool tag_keeps_string(std::string_view tag) {
  if (tag == "!" || tag == "!!str" || tag == "!<tag:yaml.org,2002:str>") {
    return true;
  }
  // Local tags (!foo) are the author's business; YAML's own non-string tags (!!int...) are not.
  return !tag.starts_with("!!") && !tag.starts_with("!<tag:yaml.org,2002:");
}

std::string whole_reference_warning(const std::string &group, const std::string &app,
                                    std::string_view value) {
  return "sets only the tag, but the value \"" + std::string(value) +
         "\" is a whole image reference: gitops-promotion changes only its tag and keeps the "
         "rest (Flux would write the bare tag there); mark it \"" +
         group + ":" + app + "\" to set the whole image";
}

std::string location(std::string_view file, int line) {
  return std::string(file) + ":" + std::to_string(line);
}

// The value a marker asks for, or nullopt when the update does not say (name/digest not given).
std::optional<std::string> wanted_value(const Candidate &c, const ImageUpdate &update,
                                        std::string_view file) {
  const int line = c.site->value_line;
  const auto refuse = [&](const std::string &why) {
    return ManifestError(location(file, line) + ": cannot apply marker " + c.text + ": " + why);
  };
  const auto check_tag = [&] {
    if (!is_valid_tag(update.tag)) {
      throw refuse("tag \"" + update.tag +
                   "\" is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
    }
  };
  const auto check_digest = [&] {
    if (update.digest && !is_valid_digest(*update.digest)) {
      throw refuse("digest \"" + *update.digest +
                   "\" is not algorithm:hex (sha256 needs 64 lowercase hex digits)");
    }
  };
  const auto check_name = [&] {
    if (update.name) {
      if (const auto problem = name_problem(*update.name)) {
        throw refuse("image name \"" + *update.name + "\": " + *problem);
      }
    }
  };
  switch (c.setter) {
  case Setter::tag:
    check_tag();
    if (const auto whole = whole_reference_in_tag_value(*c.site->scalar->value)) {
      // The seed README's own example: Flux would write the bare tag here and break the image.
      check_digest();
      return ImageRef{whole->name, update.tag, update.digest}.str();
    }
    return update.tag;
  case Setter::name:
    if (!update.name) {
      return std::nullopt;
    }
    check_name();
    return *update.name;
  case Setter::digest:
    if (!update.digest) {
      return std::nullopt;
    }
    check_digest();
    return *update.digest;
  case Setter::image:
    break;
  }
  check_tag();
  check_digest();
  check_name();
  if (update.name) {
    return ImageRef{*update.name, update.tag, update.digest}.str();
  }
  // Only the tag is known: keep the registry and repository already written there.
  std::string_view current = *c.site->scalar->value;
  if (const auto at = current.find('@'); at != std::string_view::npos) {
    current = current.substr(0, at);
  }
  const auto slash = current.rfind('/');
  const auto colon = current.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    current = current.substr(0, colon);
  }
  if (const auto problem = name_problem(current)) {
    throw refuse("the current value \"" + *c.site->scalar->value +
                 "\" is not an image reference (" + *problem +
                 "), so its name cannot be kept; give the full image instead of only a tag");
  }
  return ImageRef{std::string(current), update.tag, update.digest}.str();
}

// The new bytes for the node [node_begin, value_end): properties minus a non-string tag, then the
// value in the old quoting style (double quotes when plain would not read back as this string).
std::string render(std::string_view content, const ScalarToken &token, const std::string &value) {
  std::string out;
  std::size_t p = token.node_begin;
  if (token.tag && !tag_keeps_string(token.tag_text)) {
    out.append(content.substr(p, token.tag->first - p));
    p = token.tag->second;
    while (p < token.value_begin && (content[p] == ' ' || content[p] == '\t')) {
      ++p;
    }
  }
  out.append(content.substr(p, token.value_begin - p));
  switch (token.style) {
  case ScalarStyle::plain:
    out += detail::is_safe_plain(value) ? value : detail::double_quoted(value);
    break;
  case ScalarStyle::single_quoted:
    out += detail::single_quoted(value).value_or(detail::double_quoted(value));
    break;
  case ScalarStyle::double_quoted:
    out += detail::double_quoted(value);
    break;
  }
  return out;
}

struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string text;
  std::string value;
  Place place = Place::mapping_value;
  int line = 0;
};

bool reads_as_string(const ParsedNode &node, const std::string &value) {
  if (node.kind != ParsedNode::Kind::scalar || node.value != value) {
    return false;
  }
  if (node.tag == "?") {
    return !detail::is_non_string_plain(value);
  }
  return node.tag == "!" || node.tag == "tag:yaml.org,2002:str" ||
         !node.tag.starts_with("tag:yaml.org,2002:");
}

} // namespace

std::string_view to_string(Setter setter) {
  switch (setter) {
  case Setter::image:
    return "image";
  case Setter::tag:
    return "tag";
  case Setter::name:
    return "name";
  case Setter::digest:
    return "digest";
  }
  return "image";
}

bool may_contain_marker(std::string_view content) {
  // memchr for the rare '$' first, then compare the rest of the token.
  const char *data = content.data();
  const std::size_t size = content.size();
  std::size_t from = 1;
  while (from < size) {
    const void *hit = std::memchr(data + from, '$', size - from);
    if (hit == nullptr) {
      return false;
    }
    const auto pos = static_cast<std::size_t>(static_cast<const char *>(hit) - data);
    if (content.substr(pos - 1, k_token.size()) == k_token) {
      return true;
    }
    from = pos + 1;
  }
  return false;
}

bool is_manifest_file_name(std::string_view file_name) {
  if (const auto slash = file_name.find_last_of('/'); slash != std::string_view::npos) {
    file_name.remove_prefix(slash + 1);
  }
  return file_name == "Kustomization" || (file_name.size() > 5 && file_name.ends_with(".yaml")) ||
         (file_name.size() > 4 && file_name.ends_with(".yml"));
}

ScanResult scan(std::string_view content) {
  ScanResult result;
  if (!detail::mentions_imagepolicy(content) &&
      content.find("io.k8s.cli.setters") == std::string_view::npos) {
    return result;
  }
  const std::vector<MarkerSite> sites = detail::find_marker_sites(content);
  Analysis analysis = analyse(sites);
  result.findings = std::move(analysis.findings);
  const auto by_line = [](const MarkerFinding &a, const MarkerFinding &b) {
    return a.line < b.line;
  };
  if (!analysis.any_attempt) {
    return result;
  }
  std::vector<std::size_t> positions;
  for (const auto &c : analysis.markers) {
    positions.push_back(c.site->scalar->node_begin);
  }
  const Parsed parsed = parse_yaml(content, positions, Read::every_document);
  if (parsed.failure) {
    result.findings.push_back(MarkerFinding{
        parsed.failure->line,
        "cannot parse the file as YAML (line " + std::to_string(parsed.failure->line) + ": " +
            parsed.failure->message + "); Flux skips such files, so none of its markers apply",
        true});
  }
  const bool readable_by_flux = may_contain_marker(content);
  std::map<std::tuple<int, std::string, std::string>, int> seen;
  for (const auto &c : analysis.markers) {
    const MarkerSite &site = *c.site;
    const auto finding = [&](const std::string &why, bool error) {
      result.findings.push_back(MarkerFinding{site.line, "marker " + c.text + " " + why, error});
    };
    if (parsed.in_failed_document(site.scalar->node_begin)) {
      continue; // the parse error above covers it; `new` refuses to edit that document
    }
    if (!confirms(parsed_at(parsed, site.scalar->node_begin), c)) {
      finding("is not on a scalar value the YAML parser agrees on (line " +
                  std::to_string(site.value_line) + "); not applied",
              false);
      continue;
    }
    if (!readable_by_flux) {
      finding("is in a file without the literal text \"$imagepolicy\" (double quotes included); "
              "Flux does not read such files, so it is not applied",
              false);
      continue;
    }
    const std::string &value = *site.scalar->value;
    const bool in_images = site.parent_key == "images";
    if (site.key == "newTag" && c.setter == Setter::image) {
      finding("on newTag sets the whole image (name:tag), which breaks kustomize; use "
              "\"" +
                  c.group + ":" + c.app + ":tag\"",
              true);
    } else if (in_images && site.key == "name") {
      finding("is on the `name:` match key of a kustomize images entry; rewriting it stops the "
              "entry from matching. Mark newName (:name), newTag (:tag) or digest (:digest)",
              true);
    } else if (in_images && site.key == "newName" && c.setter != Setter::name) {
      finding("on newName must use the :name setter (\"" + c.group + ":" + c.app + ":name\")",
              true);
    } else if (in_images && site.key == "newTag" && c.setter != Setter::tag) {
      finding("on newTag must use the :tag setter (\"" + c.group + ":" + c.app + ":tag\")", true);
    } else if (in_images && site.key == "digest" && c.setter != Setter::digest) {
      finding("on digest must use the :digest setter (\"" + c.group + ":" + c.app + ":digest\")",
              true);
    } else if (in_images && site.key == "newDigest") {
      finding("is on newDigest, which kustomize ignores; kustomize reads `digest:`", false);
    } else if (c.setter == Setter::tag && whole_reference_in_tag_value(value)) {
      finding(whole_reference_warning(c.group, c.app, value), false);
    } else if (c.setter == Setter::tag && !is_valid_tag(value.substr(0, value.find('@')))) {
      finding("sets a tag, but the value \"" + value +
                  "\" is neither an image tag nor an image reference",
              false);
    }
    const auto key = std::make_tuple(site.document,
                                     c.group + ":" + c.app + ":" + std::string(to_string(c.setter)),
                                     site.parent_key + "." + site.key);
    if (const auto [it, fresh] = seen.try_emplace(key, site.value_line); !fresh) {
      finding("repeats the marker of line " + std::to_string(it->second) +
                  " for the same key in the same document; check that both are intended",
              false);
    }
    result.markers.push_back(Marker{site.value_line, c.group, c.app, c.setter, site.key, value});
  }
  std::stable_sort(result.findings.begin(), result.findings.end(), by_line);
  return result;
}

RewriteResult rewrite(std::string_view content, const ImageUpdate &update, std::string_view file) {
  RewriteResult result;
  // The unchanged bytes are copied only when nothing changes: a changed 50 MB file is held twice
  // (old and new), not three times.
  const auto unchanged = [&]() {
    result.content = std::string(content);
    return std::move(result);
  };
  if (!may_contain_marker(content)) {
    return unchanged();
  }
  const std::vector<MarkerSite> sites = detail::find_marker_sites(content);
  Analysis analysis = analyse(sites);
  std::vector<Candidate> mine;
  std::set<std::size_t> nodes;
  for (auto &c : analysis.markers) {
    // One marker per scalar: a line marker and a head marker cannot both reach here.
    if (c.group == update.group && c.app == update.app &&
        nodes.insert(c.site->scalar->node_begin).second) {
      mine.push_back(std::move(c));
    }
  }
  if (mine.empty()) {
    return unchanged();
  }
  std::sort(mine.begin(), mine.end(), [](const Candidate &a, const Candidate &b) {
    return a.site->scalar->node_begin < b.site->scalar->node_begin;
  });
  std::vector<std::size_t> positions;
  for (const auto &c : mine) {
    positions.push_back(c.site->scalar->node_begin);
  }
  const Parsed index = parse_yaml(content, positions, Read::documents_with_positions);
  if (const auto &failure = index.failure) {
    throw ManifestError("cannot parse " + std::string(file) + ": line " +
                        std::to_string(failure->line) + ": " + failure->message);
  }

  std::vector<Edit> edits;
  for (const auto &c : mine) {
    if (!confirms(parsed_at(index, c.site->scalar->node_begin), c)) {
      continue; // scan() reports it; never write where the parser disagrees
    }
    ++result.matched;
    const auto value = wanted_value(c, update, file);
    const ScalarToken &token = *c.site->scalar;
    if (c.setter == Setter::tag && whole_reference_in_tag_value(*token.value)) {
      result.warnings.push_back(
          {c.site->value_line, whole_reference_warning(c.group, c.app, *token.value), false});
    }
    if (!value || *value == *token.value) {
      continue;
    }
    edits.push_back(Edit{token.node_begin, token.value_end, render(content, token, *value), *value,
                         c.site->place, c.site->value_line});
    result.changes.push_back(Change{c.site->value_line, *token.value, *value, c.setter});
  }
  if (edits.empty()) {
    return unchanged();
  }

  std::string out;
  out.reserve(content.size() + 64);
  std::vector<std::size_t> new_positions;
  std::size_t from = 0;
  for (const auto &edit : edits) {
    out.append(content.substr(from, edit.begin - from));
    new_positions.push_back(out.size());
    out += edit.text;
    from = edit.end;
  }
  out.append(content.substr(from));

  const Parsed check = parse_yaml(out, new_positions, Read::documents_with_positions);
  if (const auto &failure = check.failure) {
    throw ManifestError(location(file, failure->line) +
                        ": the rewritten file would no longer parse as YAML (" + failure->message +
                        "); nothing written");
  }
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const ParsedNode *node = parsed_at(check, new_positions[i]);
    if (node == nullptr || !reads_as_string(*node, edits[i].value)) {
      throw ManifestError(location(file, edits[i].line) + ": the new value \"" + edits[i].value +
                          "\" would not read back as that string; nothing written");
    }
  }
  result.content = std::move(out);
  return result;
}

} // namespace gitops::manifest

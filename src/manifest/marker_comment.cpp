#include "gitops/manifest/detail/marker_comment.hpp"

#include "text_chars.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace gitops::manifest::detail {

namespace {

using namespace chars;

std::string shorten(std::string_view text) {
  constexpr std::size_t k_max = 60;
  if (text.size() <= k_max) {
    return std::string(text);
  }
  return std::string(text.substr(0, k_max)) + "...";
}

// A strict reader of one JSON object whose values must all be strings (Go's json.Unmarshal into
// map[string]string).
class JsonObjectReader {
public:
  explicit JsonObjectReader(std::string_view text) : m_text(text) {}

  // Returns the members, or nullopt with `problem()` set.
  std::optional<std::vector<std::pair<std::string, std::string>>> read() {
    std::vector<std::pair<std::string, std::string>> members;
    skip_ws();
    if (!eat('{')) {
      return fail("is not a JSON object");
    }
    skip_ws();
    if (!eat('}')) {
      while (true) {
        skip_ws();
        auto key = read_string("a member name");
        if (!key) {
          return std::nullopt;
        }
        skip_ws();
        if (!eat(':')) {
          return fail("is not valid JSON: expected ':' after \"" + shorten(*key) + "\"");
        }
        skip_ws();
        if (m_pos < m_text.size() && m_text[m_pos] != '"' && m_text[m_pos] != '\'') {
          return fail("has a value for \"" + shorten(*key) +
                      "\" that is not a string; every value must be a JSON string");
        }
        auto value = read_string("a string value");
        if (!value) {
          return std::nullopt;
        }
        members.emplace_back(std::move(*key), std::move(*value));
        skip_ws();
        if (eat(',')) {
          continue;
        }
        if (eat('}')) {
          break;
        }
        return fail("is not valid JSON: expected ',' or '}' at column " +
                    std::to_string(m_pos + 1));
      }
    }
    skip_ws();
    if (m_pos != m_text.size()) {
      return fail("has text after the JSON object (\"" + shorten(m_text.substr(m_pos)) +
                  "\"); put other notes on a line of their own");
    }
    return members;
  }

  [[nodiscard]] const std::string &problem() const { return m_problem; }

private:
  std::nullopt_t fail(std::string why) {
    m_problem = std::move(why);
    return std::nullopt;
  }

  void skip_ws() {
    while (m_pos < m_text.size() &&
           (is_blank(m_text[m_pos]) || m_text[m_pos] == '\r' || m_text[m_pos] == '\n')) {
      ++m_pos;
    }
  }

  bool eat(char c) {
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }

  std::optional<std::string> read_string(std::string_view what) {
    if (m_pos < m_text.size() && m_text[m_pos] == '\'') {
      fail("uses single quotes; JSON needs double quotes, as in {\"$imagepolicy\": "
           "\"<namespace>:<policy>\"}");
      return std::nullopt;
    }
    if (!eat('"')) {
      fail("is not valid JSON: expected " + std::string(what) + " in double quotes at column " +
           std::to_string(m_pos + 1));
      return std::nullopt;
    }
    std::string out;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        break;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (m_pos >= m_text.size()) {
        break;
      }
      const char e = m_text[m_pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto cp = m_pos + 4 <= m_text.size() ? parse_hex(m_text.substr(m_pos, 4)) : std::nullopt;
        if (!cp) {
          fail("is not valid JSON: bad \\u escape");
          return std::nullopt;
        }
        m_pos += 4;
        if (*cp >= 0xD800 && *cp <= 0xDBFF && m_pos + 6 <= m_text.size() &&
            m_text.substr(m_pos, 2) == "\\u") {
          const auto low = parse_hex(m_text.substr(m_pos + 2, 4));
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
            m_pos += 6;
          }
        }
        if (*cp >= 0xD800 && *cp <= 0xDFFF) {
          cp = 0xFFFD; // a lone surrogate, as Go decodes it
        }
        append_utf8(out, *cp);
        break;
      }
      default:
        fail("is not valid JSON: bad escape \\" + std::string(1, e));
        return std::nullopt;
      }
    }
    fail("is not valid JSON: unterminated string");
    return std::nullopt;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
  std::string m_problem;
};

constexpr std::string_view k_longhand_prefix = "#/definitions/io.k8s.cli.setters.";

} // namespace

bool mentions_imagepolicy(std::string_view text) {
  static constexpr std::string_view k_word = "imagepolicy";
  if (text.size() < k_word.size()) {
    return false;
  }
  for (std::size_t i = 0; i + k_word.size() <= text.size(); ++i) {
    const char c = text[i];
    if ((c == 'i' || c == 'I') && equals_ci(text.substr(i, k_word.size()), k_word)) {
      return true;
    }
  }
  return false;
}

MarkerComment read_marker_comment(std::string_view comment) {
  MarkerComment result;
  std::size_t start = comment.find_first_not_of('#');
  if (start == std::string_view::npos) {
    return result;
  }
  const std::string_view body = comment.substr(start);
  const std::size_t first = body.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return result;
  }
  const bool object = body[first] == '{';
  const bool mentions = mentions_imagepolicy(body);
  if (!object) {
    // Prose and commented-out YAML that mention "$imagepolicy" are not markers; a bare key/value
    // pair without the braces is a marker written wrong.
    const std::string_view rest = body.substr(first);
    for (const std::string_view key :
         {std::string_view("\"$imagepolicy\""), std::string_view("'$imagepolicy'")}) {
      if (!rest.starts_with(key)) {
        continue;
      }
      const auto next = rest.find_first_not_of(" \t", key.size());
      if (next != std::string_view::npos && rest[next] == ':') {
        result.kind = CommentKind::malformed;
        result.problem =
            "is not a JSON object; write {\"$imagepolicy\": \"<namespace>:<policy>[:tag]\"}";
        return result;
      }
    }
    return result;
  }
  if (!mentions && body.find("io.k8s.cli.setters") == std::string_view::npos) {
    return result;
  }
  JsonObjectReader reader(body);
  const auto members = reader.read();
  if (!members) {
    result.kind = CommentKind::malformed;
    result.problem = reader.problem();
    return result;
  }
  const std::string *shorthand = nullptr;
  const std::string *ref = nullptr;
  std::string near_miss;
  for (const auto &[key, value] : *members) {
    if (key == "$imagepolicy") {
      shorthand = &value; // Go keeps the last duplicate
    } else if (key == "$ref") {
      ref = &value;
    } else if (mentions_imagepolicy(key)) {
      near_miss = key;
    }
  }
  if (shorthand != nullptr) {
    result.kind = CommentKind::marker;
    result.setter = *shorthand;
    result.both_forms = ref != nullptr;
    return result;
  }
  if (ref != nullptr && ref->starts_with(k_longhand_prefix)) {
    result.kind = CommentKind::marker;
    result.longhand = true;
    result.setter = ref->substr(k_longhand_prefix.size());
    return result;
  }
  if (!near_miss.empty()) {
    result.kind = CommentKind::malformed;
    result.problem = "uses the key \"" + shorten(near_miss) +
                     "\"; the key must be exactly \"$imagepolicy\" (case-sensitive)";
    return result;
  }
  return result; // "imagepolicy" only in a value: some other JSON note, not a marker
}

} // namespace gitops::manifest::detail

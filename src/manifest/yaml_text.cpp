#include "gitops/manifest/detail/yaml_text.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gitops::manifest::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N> &set) {
  for (const auto &item : set) {
    if (s == item) {
      return true;
    }
  }
  return false;
}

// Consumes characters matching `pred` from `s` starting at `i`; returns how many.
template <class Pred> std::size_t run(std::string_view s, std::size_t &i, Pred pred) {
  const std::size_t start = i;
  while (i < s.size() && pred(s[i])) {
    ++i;
  }
  return i - start;
}

bool digit_or_underscore(char c) {
  return is_digit(c) || c == '_';
}

// Integers of YAML 1.1 (binary, octal with a leading 0, decimal, hex, all with '_'), YAML 1.2
// (0o octal) and Go's ParseInt with base 0 (upper-case prefixes). `s` has no sign.
bool is_int(std::string_view s) {
  if (s.size() > 2 && s[0] == '0') {
    const char p = lower(s[1]);
    std::size_t i = 2;
    if (p == 'x') {
      return run(s, i, [](char c) { return is_hex(c) || c == '_'; }) > 0 && i == s.size();
    }
    if (p == 'o') {
      return run(s, i, [](char c) { return (c >= '0' && c <= '7') || c == '_'; }) > 0 &&
             i == s.size();
    }
    if (p == 'b') {
      return run(s, i, [](char c) { return c == '0' || c == '1' || c == '_'; }) > 0 &&
             i == s.size();
    }
  }
  std::size_t i = 0;
  return !s.empty() && is_digit(s[0]) && run(s, i, digit_or_underscore) > 0 && i == s.size();
}

// Decimal floats: 1.5, 1., .5, 1e3, 1.5E-3, 1_000.5 (YAML 1.1, 1.2 core and JSON schema, Go).
bool is_float(std::string_view s) {
  std::size_t i = 0;
  std::size_t digits = run(s, i, digit_or_underscore);
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    digits += run(s, i, digit_or_underscore);
  }
  if (digits == 0 || (s.find_first_of("0123456789") == std::string_view::npos)) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (run(s, i, is_digit) == 0) {
      return false;
    }
    return i == s.size();
  }
  return i == s.size() && (dot || digits > 0);
}

// Go hex floats: 0x1p-2, 0x1.8P3.
bool is_hex_float(std::string_view s) {
  if (s.size() < 4 || s[0] != '0' || lower(s[1]) != 'x') {
    return false;
  }
  std::size_t i = 2;
  const auto hex_us = [](char c) { return is_hex(c) || c == '_'; };
  std::size_t digits = run(s, i, hex_us);
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits += run(s, i, hex_us);
  }
  if (digits == 0 || i >= s.size() || lower(s[i]) != 'p') {
    return false;
  }
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  return run(s, i, is_digit) > 0 && i == s.size();
}

// YAML 1.1 base 60: 190:20:30 (int) and 190:20:30.15 (float).
bool is_sexagesimal(std::string_view s) {
  std::size_t i = 0;
  if (s.empty() || !is_digit(s[0]) || run(s, i, digit_or_underscore) == 0) {
    return false;
  }
  bool groups = false;
  while (i < s.size() && s[i] == ':') {
    ++i;
    const std::size_t n = run(s, i, is_digit);
    if (n == 0 || n > 2 || (n == 2 && s[i - 2] > '5')) {
      return false;
    }
    groups = true;
  }
  if (!groups) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    run(s, i, digit_or_underscore);
  }
  return i == s.size();
}

// YAML 1.1 timestamps: a date YYYY-M-D, alone or followed by a time (after 'T', 't' or blanks).
bool is_timestamp(std::string_view s) {
  std::size_t i = 0;
  if (run(s, i, is_digit) != 4 || i >= s.size() || s[i] != '-') {
    return false;
  }
  ++i;
  const std::size_t month = run(s, i, is_digit);
  if (month < 1 || month > 2 || i >= s.size() || s[i] != '-') {
    return false;
  }
  ++i;
  const std::size_t day = run(s, i, is_digit);
  if (day < 1 || day > 2) {
    return false;
  }
  return i == s.size() || s[i] == 'T' || s[i] == 't' || is_blank(s[i]);
}

void append_utf8(std::string &out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::uint32_t> parse_hex(std::string_view s) {
  std::uint32_t v = 0;
  for (char c : s) {
    if (!is_hex(c)) {
      return std::nullopt;
    }
    v = v * 16 + static_cast<std::uint32_t>(is_digit(c) ? c - '0' : lower(c) - 'a' + 10);
  }
  return v;
}

std::string hex_byte(unsigned char c) {
  static constexpr std::string_view k_digits = "0123456789ABCDEF";
  std::string out = "\\x";
  out += k_digits[c >> 4];
  out += k_digits[c & 0xF];
  return out;
}

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

bool is_non_string_plain(std::string_view text) {
  static constexpr std::array<std::string_view, 4> k_nulls = {"~", "null", "Null", "NULL"};
  static constexpr std::array<std::string_view, 22> k_bools = {
      "y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
      "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  static constexpr std::array<std::string_view, 6> k_specials = {".inf", ".Inf", ".INF",
                                                                 ".nan", ".NaN", ".NAN"};
  if (text.empty() || one_of(text, k_nulls) || one_of(text, k_bools) || text == "=" ||
      text == "<<") {
    return true;
  }
  std::string_view s = text;
  if (s[0] == '+' || s[0] == '-') {
    s.remove_prefix(1);
  }
  if (one_of(s, k_specials) || equals_ci(s, "inf") || equals_ci(s, "infinity") ||
      equals_ci(s, "nan")) {
    return true;
  }
  if (s.empty() || !(is_digit(s[0]) || s[0] == '.')) {
    return false;
  }
  return is_int(s) || is_float(s) || is_hex_float(s) || is_sexagesimal(s) || is_timestamp(s);
}

bool is_safe_plain(std::string_view text) {
  if (text.empty() || is_non_string_plain(text)) {
    return false;
  }
  static constexpr std::string_view k_indicators = "-?:,[]{}#&*!|>'\"%@`";
  if (k_indicators.find(text.front()) != std::string_view::npos) {
    return false;
  }
  if (is_blank(text.front()) || is_blank(text.back()) || text.back() == ':') {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F) {
      return false;
    }
    if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') {
      return false;
    }
    if (c == ':' && i + 1 < text.size() && is_blank(text[i + 1])) {
      return false;
    }
    if (c == '#' && i > 0 && is_blank(text[i - 1])) {
      return false;
    }
  }
  return text.substr(0, 3) != "..." && text.substr(0, 3) != "---";
}

std::string double_quoted(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '"') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += hex_byte(c);
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

std::optional<std::string> single_quoted(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      return std::nullopt;
    }
    out += ch;
    if (ch == '\'') {
      out += '\'';
    }
  }
  out += '\'';
  return out;
}

std::optional<std::string> decode_double_quoted(std::string_view token) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') {
    return std::nullopt;
  }
  const std::string_view in = token.substr(1, token.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i >= in.size()) {
      return std::nullopt;
    }
    std::size_t hex_len = 0;
    switch (in[i]) {
    case '0':
      out += '\0';
      break;
    case 'a':
      out += '\a';
      break;
    case 'b':
      out += '\b';
      break;
    case 't':
    case '\t':
      out += '\t';
      break;
    case 'n':
      out += '\n';
      break;
    case 'v':
      out += '\v';
      break;
    case 'f':
      out += '\f';
      break;
    case 'r':
      out += '\r';
      break;
    case 'e':
      out += '\x1B';
      break;
    case ' ':
    case '"':
    case '/':
    case '\\':
      out += in[i];
      break;
    case 'N':
      append_utf8(out, 0x85);
      break;
    case '_':
      append_utf8(out, 0xA0);
      break;
    case 'L':
      append_utf8(out, 0x2028);
      break;
    case 'P':
      append_utf8(out, 0x2029);
      break;
    case 'x':
      hex_len = 2;
      break;
    case 'u':
      hex_len = 4;
      break;
    case 'U':
      hex_len = 8;
      break;
    default:
      return std::nullopt;
    }
    if (hex_len > 0) {
      if (i + hex_len >= in.size()) {
        return std::nullopt;
      }
      const auto cp = parse_hex(in.substr(i + 1, hex_len));
      if (!cp || *cp > 0x10FFFF) {
        return std::nullopt;
      }
      append_utf8(out, *cp);
      i += hex_len;
    }
  }
  return out;
}

std::string decode_single_quoted(std::string_view token) {
  std::string out;
  if (token.size() < 2) {
    return out;
  }
  const std::string_view in = token.substr(1, token.size() - 2);
  for (std::size_t i = 0; i < in.size(); ++i) {
    out += in[i];
    if (in[i] == '\'' && i + 1 < in.size() && in[i + 1] == '\'') {
      ++i;
    }
  }
  return out;
}

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

#include "gitops/manifest/detail/yaml_text.hpp"

#include "text_chars.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gitops::manifest::detail {

namespace {

using namespace chars;

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

std::string hex_byte(unsigned char c) {
  static constexpr std::string_view k_digits = "0123456789ABCDEF";
  std::string out = "\\x";
  out += k_digits[c >> 4];
  out += k_digits[c & 0xF];
  return out;
}

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

} // namespace gitops::manifest::detail

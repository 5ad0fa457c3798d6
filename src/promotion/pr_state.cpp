#include "gitops/promotion/pr_state.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace gitops::promotion {

namespace {

constexpr std::string_view k_hex = "0123456789abcdef";

// A JSON string the way Go 1.17's json.Marshal writes it (HTML-safe), so descriptions we write are
// byte-identical to upstream's.
void append_json_string(std::string &out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += k_hex[c >> 4];
          out += k_hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
      }
      continue;
    }
    const auto cp = util::decode_utf8(s, i);
    if (!cp) {
      out += "\\ufffd"; // Go replaces each invalid byte on its own
      ++i;
      continue;
    }
    if (cp->value == 0x2028 || cp->value == 0x2029) {
      out += cp->value == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, cp->length));
    }
    i += cp->length;
  }
  out += '"';
}

std::string quote(std::string_view value) {
  return util::quote_for_message(value);
}

std::string_view type_name(PrType type) {
  return type == PrType::feature ? "feature" : "promote";
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// The feature sits after `<app>-` in a branch name, so unlike a group it may start with '-'.
void validate_feature(std::string_view feature) {
  if (feature.empty()) {
    throw StateError("invalid feature name \"\": must not be empty");
  }
  if (auto problem = config::name_problem("f" + std::string(feature))) {
    throw StateError("invalid feature name " + quote(feature) + ": " + *problem);
  }
}

// Where the metadata JSON ends: the brace that closes the first one, skipping braces inside JSON
// strings. std::nullopt when the braces never balance (the caller then reports the parse error).
std::optional<std::size_t> json_object_end(std::string_view text) {
  if (text.empty() || text.front() != '{') {
    return std::nullopt;
  }
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::nullopt;
}

// The JSON text of the first `<!-- metadata = ... -->` comment, or std::nullopt when there is none.
// Other comments (PR templates) are skipped, which upstream's plain split could not do.
std::optional<std::string_view> find_metadata(std::string_view body) {
  constexpr std::string_view k_open = "<!--";
  constexpr std::string_view k_key = "metadata";
  std::size_t pos = 0;
  while ((pos = body.find(k_open, pos)) != std::string_view::npos) {
    std::size_t i = pos + k_open.size();
    pos = i;
    while (i < body.size() && is_space(body[i])) {
      ++i;
    }
    if (body.substr(i, k_key.size()) != k_key) {
      continue;
    }
    i += k_key.size();
    while (i < body.size() && is_space(body[i])) {
      ++i;
    }
    if (i >= body.size() || body[i] != '=') {
      continue;
    }
    ++i;
    while (i < body.size() && is_space(body[i])) {
      ++i;
    }
    const std::string_view rest = body.substr(i);
    if (auto end = json_object_end(rest)) {
      std::size_t after = *end;
      while (after < rest.size() && is_space(rest[after])) {
        ++after;
      }
      if (rest.substr(after, 3) == "-->") {
        return rest.substr(0, *end);
      }
    }
    const std::size_t close = rest.find("-->");
    if (close == std::string_view::npos) {
      throw StateError("malformed PR metadata: the comment `<!-- metadata = ` is not closed by "
                       "`-->`");
    }
    std::string_view json = rest.substr(0, close);
    while (!json.empty() && is_space(json.back())) {
      json.remove_suffix(1);
    }
    return json;
  }
  return std::nullopt;
}

} // namespace

std::string PrState::title() const {
  if (type == PrType::feature) {
    return "Review " + group + "/" + app + " feature " + feature + " in environment " + env;
  }
  return "Promote " + group + "/" + app + " version " + tag + " to environment " + env;
}

std::string to_metadata_json(const PrState &state) {
  const std::array<std::pair<std::string_view, std::string_view>, 7> fields{{
      {"group", state.group},
      {"app", state.app},
      {"tag", state.tag},
      {"env", state.env},
      {"sha", state.sha},
      {"feature", state.feature},
      {"type", type_name(state.type)},
  }};
  std::string out = "{";
  for (const auto &[key, value] : fields) {
    if (out.size() > 1) {
      out += ',';
    }
    append_json_string(out, key);
    out += ':';
    append_json_string(out, value);
  }
  return out + "}";
}

std::string PrState::description() const {
  return "<!-- metadata = " + to_metadata_json(*this) + " -->\n\tENV: " + env + "\n\tAPP: " + app +
         "\n\tTAG: " + tag;
}

std::string PrState::branch_name(config::PrFlow flow) const {
  validate_name("group", group);
  validate_name("app", app);
  std::string out(type_name(type));
  out += '/';
  if (flow == config::PrFlow::per_env) {
    validate_name("env", env);
    out += env + "/";
  }
  out += group + "-" + app;
  if (type == PrType::feature) {
    validate_feature(feature);
    out += "-" + feature;
  }
  return out;
}

std::optional<PrState> parse_description(std::string_view description) {
  const auto json_text = find_metadata(description);
  if (!json_text) {
    return std::nullopt;
  }
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(*json_text);
  } catch (const nlohmann::json::exception &e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: it means nothing to a user.
    if (const auto bracket = what.find("] "); what.starts_with("[json.") && bracket != what.npos) {
      what.erase(0, bracket + 2);
    }
    throw StateError("malformed PR metadata " + quote(*json_text) + ": " + what);
  }
  if (!json.is_object()) {
    throw StateError("malformed PR metadata " + quote(*json_text) + ": expected a JSON object");
  }
  PrState state;
  std::string type;
  const std::array<std::pair<std::string_view, std::string *>, 7> fields{{
      {"group", &state.group},
      {"app", &state.app},
      {"tag", &state.tag},
      {"env", &state.env},
      {"sha", &state.sha},
      {"feature", &state.feature},
      {"type", &type},
  }};
  for (const auto &[key, value] : json.items()) {
    // Go's encoding/json matches keys case-insensitively and ignores keys it does not know.
    const std::string folded = ascii_lower(key);
    for (const auto &[name, target] : fields) {
      if (folded != name) {
        continue;
      }
      if (value.is_null()) {
        break; // Go leaves the field untouched
      }
      if (!value.is_string()) {
        throw StateError("malformed PR metadata: \"" + std::string(name) +
                         "\" must be a string, got " + std::string(value.type_name()));
      }
      *target = value.get<std::string>();
      break;
    }
  }
  if (type.empty() || type == "promote") {
    state.type = PrType::promote;
  } else if (type == "feature") {
    state.type = PrType::feature;
  } else {
    throw StateError("malformed PR metadata: unknown type " + quote(type) +
                     " (expected promote or feature)");
  }
  // The description is text anyone with access to the PR can edit; its names become paths and
  // branch names, so they get the same checks as names from the command line.
  validate_name("group", state.group);
  validate_name("app", state.app);
  validate_name("env", state.env);
  // Upstream's sanitising can leave a feature name empty; such a PR must still be recognised (as a
  // feature, which is never promoted), so only a non-empty feature is checked here.
  if (!state.feature.empty()) {
    validate_feature(state.feature);
  }
  return state;
}

void validate_name(std::string_view what, std::string_view name) {
  if (auto problem = config::name_problem(name)) {
    throw StateError("invalid " + std::string(what) + " name " + quote(name) + ": " + *problem);
  }
}

std::string sanitize_feature(std::string_view feature) {
  std::string out;
  for (char c : feature) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

} // namespace gitops::promotion

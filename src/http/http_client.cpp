#include "gitops/http/http_client.hpp"

#include "curl_library.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <utility>

namespace gitops::http {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Position just past "scheme://", or npos when `url` has no scheme.
std::size_t authority_start(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    return std::string_view::npos;
  }
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
      return std::string_view::npos;
    }
  }
  return colon + 3;
}

// Position of the first '/', '?' or '#' after the authority (or the end).
std::size_t authority_end(std::string_view url, std::size_t start) {
  const auto end = url.find_first_of("/?#", start);
  return end == std::string_view::npos ? url.size() : end;
}

// Resolves a Link target against the URL of the response that carried it (RFC 3986, without
// dot-segment removal: forges send absolute or root-relative links).
std::string resolve(std::string_view base, std::string_view reference) {
  if (base.empty() || authority_start(reference) != std::string_view::npos) {
    return std::string(reference);
  }
  const auto start = authority_start(base);
  if (start == std::string_view::npos) {
    return std::string(reference);
  }
  if (reference.substr(0, 2) == "//") {
    return std::string(base.substr(0, start - 2)) + std::string(reference);
  }
  const auto end = authority_end(base, start);
  const std::string origin(base.substr(0, end));
  if (!reference.empty() && reference.front() == '/') {
    return origin + std::string(reference);
  }
  auto path = base.substr(end);
  path = path.substr(0, std::min(path.find('#'), path.size()));
  if (!reference.empty() && reference.front() == '?') {
    return origin + std::string(path.substr(0, std::min(path.find('?'), path.size()))) +
           std::string(reference);
  }
  path = path.substr(0, std::min(path.find('?'), path.size()));
  const auto slash = path.rfind('/');
  const std::string directory =
      slash == std::string_view::npos ? std::string("/") : std::string(path.substr(0, slash + 1));
  return origin + directory + std::string(reference);
}

// Skips to the next ',' that is not inside a quoted string.
void skip_entry(std::string_view value, std::size_t &pos) {
  bool quoted = false;
  while (pos < value.size()) {
    const char c = value[pos];
    if (quoted && c == '\\') {
      pos += 2;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      return;
    }
    ++pos;
  }
}

void skip_spaces(std::string_view value, std::size_t &pos) {
  while (pos < value.size() && is_space(value[pos])) {
    ++pos;
  }
}

// Reads a quoted-string (pos at the opening quote) or a token; false when a quote is not closed.
bool read_param_value(std::string_view value, std::size_t &pos, std::string &out) {
  if (pos < value.size() && value[pos] == '"') {
    ++pos;
    while (pos < value.size()) {
      const char c = value[pos];
      if (c == '\\' && pos + 1 < value.size()) {
        out += value[pos + 1];
        pos += 2;
        continue;
      }
      ++pos;
      if (c == '"') {
        return true;
      }
      out += c;
    }
    return false;
  }
  while (pos < value.size() && value[pos] != ';' && value[pos] != ',' && !is_space(value[pos])) {
    out += value[pos++];
  }
  return true;
}

} // namespace

bool CaseInsensitiveLess::operator()(const std::string &a, const std::string &b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

std::optional<std::string> Response::header(const std::string &name) const {
  const auto it = headers.find(name);
  if (it == headers.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool is_idempotent(const Request &request) {
  if (request.idempotent.has_value()) {
    return *request.idempotent;
  }
  const std::string method = util::to_lower(request.method);
  return method == "get" || method == "head" || method == "put" || method == "delete" ||
         method == "options";
}

std::vector<Link> parse_link_header(std::string_view value) {
  std::vector<Link> links;
  std::size_t pos = 0;
  while (pos < value.size()) {
    while (pos < value.size() && (is_space(value[pos]) || value[pos] == ',')) {
      ++pos;
    }
    if (pos >= value.size()) {
      break;
    }
    if (value[pos] != '<') {
      skip_entry(value, pos);
      continue;
    }
    const auto close = value.find('>', pos + 1);
    if (close == std::string_view::npos) {
      break;
    }
    Link link{std::string(util::trim(value.substr(pos + 1, close - pos - 1))), {}};
    pos = close + 1;
    bool valid = !link.url.empty();
    bool seen_rel = false;
    while (true) {
      skip_spaces(value, pos);
      if (pos >= value.size() || value[pos] == ',') {
        break;
      }
      if (value[pos] != ';') {
        valid = false;
        skip_entry(value, pos);
        break;
      }
      ++pos;
      skip_spaces(value, pos);
      std::string name;
      while (pos < value.size() && value[pos] != '=' && value[pos] != ';' && value[pos] != ',' &&
             !is_space(value[pos])) {
        name += lower(value[pos++]);
      }
      skip_spaces(value, pos);
      std::string param;
      if (pos < value.size() && value[pos] == '=') {
        ++pos;
        skip_spaces(value, pos);
        if (!read_param_value(value, pos, param)) {
          valid = false;
          break;
        }
      }
      // RFC 8288 §3.3: occurrences of rel after the first are ignored.
      if (name == "rel" && !seen_rel) {
        seen_rel = true;
        std::size_t start = 0;
        while (start < param.size()) {
          while (start < param.size() && is_space(param[start])) {
            ++start;
          }
          std::size_t end = start;
          while (end < param.size() && !is_space(param[end])) {
            ++end;
          }
          if (end > start) {
            link.rels.push_back(util::to_lower(std::string_view(param).substr(start, end - start)));
          }
          start = end;
        }
      }
    }
    if (valid) {
      links.push_back(std::move(link));
    }
  }
  return links;
}

std::optional<std::string> next_link(const Response &response) {
  const auto [first, last] = response.headers.equal_range("Link");
  for (auto it = first; it != last; ++it) {
    for (const auto &link : parse_link_header(it->second)) {
      if (std::find(link.rels.begin(), link.rels.end(), "next") != link.rels.end()) {
        return resolve(response.url, link.url);
      }
    }
  }
  return std::nullopt;
}

void for_each_page(HttpClient &client, const Request &first,
                   const std::function<void(const Response &)> &on_page, std::size_t max_pages) {
  Request request = first;
  std::set<std::string> seen;
  for (std::size_t page = 1;; ++page) {
    if (page > max_pages) {
      throw HttpError("pagination of " + util::redact_url(first.url) + " stopped: more than " +
                      std::to_string(max_pages) + " pages");
    }
    seen.insert(request.url);
    const Response response = client.send(request);
    on_page(response);
    if (response.status < 200 || response.status >= 300) {
      return;
    }
    auto next = next_link(response);
    if (!next) {
      return;
    }
    if (seen.count(*next) != 0) {
      throw HttpError("pagination of " + util::redact_url(first.url) + " loops: page " +
                      std::to_string(page) + " links back to " + util::redact_url(*next));
    }
    request.url = std::move(*next);
    request.body.clear();
  }
}

std::vector<std::string> request_secrets(const Request &request, std::vector<std::string> known) {
  const auto [first, last] = request.headers.equal_range("Authorization");
  for (auto it = first; it != last; ++it) {
    const auto value = util::trim(it->second);
    known.emplace_back(value);
    const auto space = value.find(' ');
    if (space != std::string_view::npos) {
      known.emplace_back(util::trim(value.substr(space + 1)));
    }
  }
  if (auto password = util::url_password(request.url)) {
    known.push_back(std::move(*password));
  }
  return known;
}

std::string method_of(const Request &request) {
  if (request.method.empty()) {
    return "GET";
  }
  std::string out = request.method;
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string path_and_query(std::string_view url) {
  const auto start = authority_start(url);
  if (start == std::string_view::npos) {
    return std::string(url);
  }
  auto rest = url.substr(authority_end(url, start));
  rest = rest.substr(0, std::min(rest.find('#'), rest.size()));
  if (rest.empty() || rest.front() != '/') {
    return "/" + std::string(rest);
  }
  return std::string(rest);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = util::trim(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    // More than nine digits is decades; clamp rather than overflow.
    if (value.size() > 9) {
      return std::chrono::seconds(999'999'999);
    }
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const auto when = parse_http_date(value);
  if (!when) {
    return std::nullopt;
  }
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(*when - now);
  return std::max(wait, std::chrono::seconds(0));
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  const std::string text(util::trim(value));
  if (text.empty()) {
    return std::nullopt;
  }
  const time_t when = detail::curl().getdate(text.c_str(), nullptr);
  if (when == -1) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(when);
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  // Exactly YYYY-MM-DDTHH:MM:SSZ: 20 characters, digits where digits belong.
  constexpr std::string_view k_shape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != k_shape.size()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    if (k_shape[i] == 'd' ? !digit : text[i] != k_shape[i]) {
      return std::nullopt;
    }
  }
  const auto number = [text](std::size_t at, std::size_t length) {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  std::tm parts{};
  parts.tm_year = number(0, 4) - 1900;
  parts.tm_mon = number(5, 2) - 1;
  parts.tm_mday = number(8, 2);
  parts.tm_hour = number(11, 2);
  parts.tm_min = number(14, 2);
  parts.tm_sec = number(17, 2);
  if (parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 ||
      parts.tm_min > 59 || parts.tm_sec > 60) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string format_utc(std::chrono::system_clock::time_point time) {
  const time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[32];
  const auto size = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(buffer, size);
}

} // namespace gitops::http

#include "http_util.hpp"

#include <algorithm>
#include <functional>

namespace forge_sim {
namespace {

std::optional<long> to_long(const std::string &s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
    return std::nullopt;
  }
  return std::stol(s);
}

std::string page_url(const httplib::Request &req, const std::string &public_url,
                     const std::string &size_param, std::size_t per_page, std::size_t page) {
  std::string url = public_url + req.path + "?";
  for (const auto &[k, v] : req.params) {
    if (k == "page" || k == size_param) {
      continue;
    }
    url +=
        httplib::detail::encode_query_param(k) + "=" + httplib::detail::encode_query_param(v) + "&";
  }
  return url + size_param + "=" + std::to_string(per_page) + "&page=" + std::to_string(page);
}

} // namespace

std::optional<std::string> decode_base64(std::string_view in) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') {
      continue;
    }
    const auto pos = k_alphabet.find(c);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    value = ((value << 6U) | static_cast<unsigned>(pos)) & 0xFFFFFFU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

std::string encode_base64(std::string_view bytes) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&bytes](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
    out += k_alphabet[(v >> 18U) & 63U];
    out += k_alphabet[(v >> 12U) & 63U];
    out += k_alphabet[(v >> 6U) & 63U];
    out += k_alphabet[v & 63U];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned v = (byte(i) << 16U) | (two ? byte(i + 1) << 8U : 0U);
    out += k_alphabet[(v >> 18U) & 63U];
    out += k_alphabet[(v >> 12U) & 63U];
    out += two ? k_alphabet[(v >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

void send_json(httplib::Response &res, int status, const nlohmann::json &body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response &res, int status, const std::string &message,
                const std::string &docs) {
  send_json(
      res, status,
      {{"message", message}, {"documentation_url", docs}, {"status", std::to_string(status)}});
}

void send_validation(httplib::Response &res, const nlohmann::json &errors,
                     const std::string &message) {
  send_json(res, 422,
            {{"message", message},
             {"errors", errors},
             {"documentation_url", k_docs_url},
             {"status", "422"}});
}

std::optional<nlohmann::json> parse_body(const httplib::Request &req, httplib::Response &res) {
  if (req.body.empty()) {
    return nlohmann::json::object();
  }
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_error(res, 400, "Problems parsing JSON");
    return std::nullopt;
  }
  return j;
}

Page paginate(const httplib::Request &req, httplib::Response &res, std::size_t total,
              const std::string &public_url, std::size_t default_per_page,
              const std::string &size_param, std::size_t max_per_page) {
  std::size_t per_page = default_per_page;
  if (auto v = query(req, size_param)) {
    if (auto n = to_long(*v); n && *n > 0) {
      per_page = std::min<std::size_t>(static_cast<std::size_t>(*n), max_per_page);
    }
  }
  std::size_t page = 1;
  if (auto v = query(req, "page")) {
    if (auto n = to_long(*v); n && *n > 0) {
      page = static_cast<std::size_t>(*n);
    }
  }
  std::size_t last = std::max<std::size_t>(1, (total + per_page - 1) / per_page);
  std::string link;
  auto add = [&](std::size_t p, const char *rel) {
    if (!link.empty()) {
      link += ", ";
    }
    link += "<" + page_url(req, public_url, size_param, per_page, p) + ">; rel=\"" + rel + "\"";
  };
  if (page > 1) {
    add(std::min(page - 1, last), "prev");
  }
  if (page < last) {
    add(page + 1, "next");
    add(last, "last");
  }
  if (page > 1) {
    add(1, "first");
  }
  if (!link.empty()) {
    res.set_header("Link", link);
  }
  Page out;
  out.offset = std::min(total, (page - 1) * per_page);
  out.count = std::min(per_page, total - out.offset);
  return out;
}

std::optional<std::string> query(const httplib::Request &req, const std::string &name) {
  if (!req.has_param(name.c_str())) {
    return std::nullopt;
  }
  return req.get_param_value(name.c_str());
}

nlohmann::json simple_user_json(const std::string &base_url, const std::string &login,
                                const std::string &type) {
  const long id = static_cast<long>(std::hash<std::string>{}(login) % 100000000) + 1;
  const std::string url = base_url + "/users/" + login;
  const std::string web = base_url + "/" + login;
  return {{"login", login},
          {"id", id},
          {"node_id", "U_sim" + std::to_string(id)},
          {"avatar_url", base_url + "/avatars/" + login},
          {"gravatar_id", ""},
          {"url", url},
          {"html_url", web},
          {"followers_url", url + "/followers"},
          {"following_url", url + "/following{/other_user}"},
          {"gists_url", url + "/gists{/gist_id}"},
          {"starred_url", url + "/starred{/owner}{/repo}"},
          {"subscriptions_url", url + "/subscriptions"},
          {"organizations_url", url + "/orgs"},
          {"repos_url", url + "/repos"},
          {"events_url", url + "/events{/privacy}"},
          {"received_events_url", url + "/received_events"},
          {"type", type},
          {"site_admin", false}};
}

} // namespace forge_sim

#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace forge_sim {

inline constexpr const char *k_docs_url = "https://docs.github.com/rest";

// Writes `body` as the JSON answer with `status`.
void send_json(httplib::Response &res, int status, const nlohmann::json &body);
// GitHub's basic-error shape: {"message", "documentation_url", "status"}.
void send_error(httplib::Response &res, int status, const std::string &message,
                const std::string &docs = k_docs_url);
// GitHub's 422 validation-error shape with `errors` (an array of {resource, field, code, message}).
void send_validation(httplib::Response &res, const nlohmann::json &errors,
                     const std::string &message = "Validation Failed");

// Standard base64 decoding that skips padding and line breaks (GitHub wraps base64 content);
// nullopt on any other character outside the alphabet.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view in);
// Standard base64 (with padding) of `bytes`, as Gitea and GitLab send file contents.
[[nodiscard]] std::string encode_base64(std::string_view bytes);

// Parses the request body as a JSON object; nullopt (after answering 400 "Problems parsing JSON")
// when it is not one. An empty body is an empty object.
[[nodiscard]] std::optional<nlohmann::json> parse_body(const httplib::Request &req,
                                                       httplib::Response &res);

// A slice of a list: [offset, offset + count).
struct Page {
  std::size_t offset = 0;
  std::size_t count = 0;
};

// Applies the page size `size_param` (GitHub's per_page, Gitea's limit; default
// `default_per_page`, at most `max_per_page`) and `page` (default 1) to a list of `total` items,
// sets the Link header (rel next/last/first/prev) with URLs under `public_url`, and returns the
// slice to render.
[[nodiscard]] Page paginate(const httplib::Request &req, httplib::Response &res, std::size_t total,
                            const std::string &public_url, std::size_t default_per_page = 30,
                            const std::string &size_param = "per_page",
                            std::size_t max_per_page = 100);

// GitHub's simple-user object for `login` (type User or Organization) with URLs under `base_url`.
[[nodiscard]] nlohmann::json simple_user_json(const std::string &base_url, const std::string &login,
                                              const std::string &type = "User");

// The query parameter `name`, or nullopt.
[[nodiscard]] std::optional<std::string> query(const httplib::Request &req,
                                               const std::string &name);

} // namespace forge_sim

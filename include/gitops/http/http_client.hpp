#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gitops::http {

// Header names are compared case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method = "GET"; // GET, POST, PATCH, PUT, DELETE
  std::string url;            // absolute URL
  Headers headers;
  std::string body;
  // Whether repeating this request after a dropped connection or 5xx is safe. POST/PATCH that create
  // things are made safe by the caller (look before create), which then sets this explicitly.
  std::optional<bool> idempotent;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string url; // final URL after redirects

  // First value of a header, or std::nullopt.
  [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
};

// Sends HTTP requests. 4xx/5xx answers are returned, not thrown; transport failures throw HttpError
// after the implementation's retries. Implementations: CurlHttpClient; tests use fakes.
class HttpClient {
public:
  virtual ~HttpClient() = default;
  [[nodiscard]] virtual Response send(const Request& request) = 0;
};

// The URL of the `rel="next"` entry of a Link header, or std::nullopt.
[[nodiscard]] std::optional<std::string> next_link(const Response& response);

} // namespace gitops::http

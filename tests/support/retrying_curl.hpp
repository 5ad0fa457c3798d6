#pragma once

#include "gitops/http/curl_http_client.hpp"
#include "gitops/http/retrying_http_client.hpp"

#include <utility>

namespace gitops::test {

// The HTTP client as the tool composes it: CurlHttpClient (one attempt per send) under
// RetryingHttpClient, owned together so a test can hold one object.
class RetryingCurl final : public http::HttpClient {
public:
  explicit RetryingCurl(http::ClientOptions transport = {}, http::RetryOptions retry = {})
      : m_curl(std::move(transport)), m_retrying(m_curl, std::move(retry)) {}

  [[nodiscard]] http::Response send(const http::Request &request) override {
    return m_retrying.send(request);
  }

private:
  http::CurlHttpClient m_curl;
  http::RetryingHttpClient m_retrying;
};

} // namespace gitops::test

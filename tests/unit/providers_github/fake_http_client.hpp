#pragma once

#include "gitops/http/http_client.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace gitops::providers::testing {

// A scripted HttpClient: expect() queues the exact (method, URL) of the next request and the answer
// to give; send() checks that the request matches the head of the queue. Unexpected requests fail
// the test and get a 599 answer. Every request is kept for assertions on headers and bodies.
class FakeHttpClient final : public http::HttpClient {
public:
  // Queues an expected request and its answer (status, body, extra headers).
  void expect(std::string method, std::string url, long status, std::string body,
              http::Headers headers = {}) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    if (response.headers.find("Content-Type") == response.headers.end()) {
      response.headers.emplace("Content-Type", "application/json; charset=utf-8");
    }
    m_expected.push_back({std::move(method), std::move(url), std::move(response)});
  }

  http::Response send(const http::Request &request) override {
    m_requests.push_back(request);
    if (m_expected.empty()) {
      ADD_FAILURE() << "unexpected request " << request.method << " " << request.url;
      return http::Response{599, {}, "", request.url};
    }
    Expected next = std::move(m_expected.front());
    m_expected.pop_front();
    if (next.method != request.method || next.url != request.url) {
      ADD_FAILURE() << "expected " << next.method << " " << next.url << "\n     got "
                    << request.method << " " << request.url;
      return http::Response{599, {}, "", request.url};
    }
    next.response.url = request.url;
    return next.response;
  }

  [[nodiscard]] const std::vector<http::Request> &requests() const { return m_requests; }
  [[nodiscard]] std::size_t pending() const { return m_expected.size(); }

private:
  struct Expected {
    std::string method;
    std::string url;
    http::Response response;
  };
  std::deque<Expected> m_expected;
  std::vector<http::Request> m_requests;
};

} // namespace gitops::providers::testing

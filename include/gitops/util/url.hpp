#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gitops::util {

// The pieces of URL text every layer needs for messages and checks; none of them throws. A
// "scheme URL" is `scheme://[userinfo@]host[:port][/path][?query][#fragment]`; a "scp-like" address
// is git's `[user@]host:path` (no "://", no '/' before the ':').

// `url` safe to print: a scheme URL without its userinfo (`user:password@`), an scp-like address
// without its `user@`; anything else unchanged.
[[nodiscard]] std::string redact_url(std::string_view url);

// The lower-cased host of a scheme URL or scp-like address, without userinfo or port (an IPv6
// literal keeps its brackets); "" when there is none.
[[nodiscard]] std::string url_host(std::string_view url);

// `host[:port]` of a scheme URL as written (userinfo dropped), for messages; `url` itself when it
// is not a scheme URL.
[[nodiscard]] std::string url_host_port(std::string_view url);

// `scheme://host[:port]` of a scheme URL (userinfo kept as written), or "" for anything else.
[[nodiscard]] std::string url_origin(std::string_view url);

// The password of a scheme URL's userinfo (`user:password@`), or std::nullopt.
[[nodiscard]] std::optional<std::string> url_password(std::string_view url);

// `text` with every byte other than RFC 3986 unreserved ones and those in `keep` written as %XX
// (upper-case hex), for a path segment or query value of a request URL.
[[nodiscard]] std::string percent_encode(std::string_view text, std::string_view keep = {});

} // namespace gitops::util

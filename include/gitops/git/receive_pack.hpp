#pragma once

// The client side of git's receive-pack exchange over smart HTTP (gitprotocol-http(5),
// gitprotocol-pack(5)): what the push of one ref says and what the server answers. Pure
// functions over bytes; src/git/remote.cpp does the I/O.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace gitops::git {

// `payload` framed as one pkt-line: four hex digits of length (payload + 4), then the payload.
[[nodiscard]] std::string pkt_line(std::string_view payload);

// What `GET <repo>/info/refs?service=git-receive-pack` advertised.
// The id git uses for "no object": the old value of a ref being created.
inline constexpr std::string_view k_zero_id = "0000000000000000000000000000000000000000";

struct ReceivePackAdvertisement {
  std::map<std::string, std::string> refs; // ref name → 40-hex id (no entry for an empty repo)
  std::set<std::string> capabilities;      // e.g. "report-status", "delete-refs", "agent=git/2.39"
};

// Parses a smart-HTTP receive-pack advertisement (`# service=git-receive-pack`, a flush, then the
// refs with the capabilities after a NUL on the first). Throws GitError naming `url` when the body
// is not one (a dumb server, an HTML login page).
[[nodiscard]] ReceivePackAdvertisement parse_receive_pack_advertisement(std::string_view body,
                                                                        const std::string &url);

// The body of `POST <repo>/git-receive-pack` that moves `ref` from `old_id` (40 zeros when it does
// not exist) to `new_id`, asking for report-status, followed by `pack`.
[[nodiscard]] std::string receive_pack_request(const std::string &old_id, const std::string &new_id,
                                               const std::string &ref, std::string_view pack);

// The server's verdict on `ref` from a report-status answer: std::nullopt when it was updated,
// else its reason (`ng <ref> <reason>`). Throws GitError when the pack was not unpacked (`unpack
// <error>`), the answer is malformed, or it does not mention `ref`.
[[nodiscard]] std::optional<std::string> parse_report_status(std::string_view body,
                                                             const std::string &ref);

} // namespace gitops::git

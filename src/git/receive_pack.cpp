#include "gitops/git/receive_pack.hpp"

#include "gitops/util/error.hpp"

#include <array>
#include <vector>

namespace gitops::git {

namespace {

constexpr std::size_t k_header = 4;

// The pkt-lines of `body` up to its end; "" for a flush-pkt ("0000"). std::nullopt when framing
// is broken.
std::optional<std::vector<std::string_view>> split_pkt_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < k_header) {
      return std::nullopt;
    }
    std::size_t length = 0;
    for (std::size_t i = 0; i < k_header; ++i) {
      const char c = body[at + i];
      int digit = 0;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      length = length * 16 + static_cast<std::size_t>(digit);
    }
    if (length == 0) {
      lines.emplace_back();
      at += k_header;
      continue;
    }
    if (length < k_header || at + length > body.size()) {
      return std::nullopt;
    }
    std::string_view line = body.substr(at + k_header, length - k_header);
    if (!line.empty() && line.back() == '\n') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    at += length;
  }
  return lines;
}

bool is_hex_id(std::string_view id) {
  if (id.size() != k_zero_id.size()) {
    return false;
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string pkt_line(std::string_view payload) {
  static constexpr std::array<char, 16> k_digits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                    '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  const std::size_t length = payload.size() + k_header;
  std::string out(k_header, '0');
  for (std::size_t i = 0; i < k_header; ++i) {
    out[k_header - 1 - i] = k_digits[(length >> (4 * i)) & 0xFU];
  }
  out.append(payload);
  return out;
}

ReceivePackAdvertisement parse_receive_pack_advertisement(std::string_view body,
                                                          const std::string &url) {
  const auto fail = [&](const std::string &why) {
    return GitError(url + " did not answer as a smart-HTTP git server (" + why + ")");
  };
  const auto lines = split_pkt_lines(body);
  if (!lines || lines->size() < 2 || (*lines)[0] != "# service=git-receive-pack" ||
      !(*lines)[1].empty()) {
    throw fail("no receive-pack service announcement");
  }
  ReceivePackAdvertisement ad;
  bool first = true;
  for (std::size_t i = 2; i < lines->size(); ++i) {
    std::string_view line = (*lines)[i];
    if (line.empty()) {
      break; // the closing flush
    }
    if (first) {
      first = false;
      if (const auto nul = line.find('\0'); nul != std::string_view::npos) {
        std::string_view caps = line.substr(nul + 1);
        line = line.substr(0, nul);
        while (!caps.empty()) {
          const auto space = caps.find(' ');
          if (space != 0) {
            ad.capabilities.emplace(caps.substr(0, space));
          }
          caps = space == std::string_view::npos ? std::string_view() : caps.substr(space + 1);
        }
      }
    }
    const auto space = line.find(' ');
    if (space == std::string_view::npos || !is_hex_id(line.substr(0, space))) {
      throw fail("a malformed ref line");
    }
    const std::string_view name = line.substr(space + 1);
    // An empty repository advertises `capabilities^{}` with the zero id: no ref at all.
    if (name != "capabilities^{}") {
      ad.refs.emplace(std::string(name), std::string(line.substr(0, space)));
    }
  }
  return ad;
}

std::string receive_pack_request(const std::string &old_id, const std::string &new_id,
                                 const std::string &ref, std::string_view pack) {
  std::string command = old_id + " " + new_id + " " + ref;
  command.push_back('\0');
  command += "report-status agent=gitops-promotion";
  std::string body = pkt_line(command + "\n");
  body += "0000";
  body.append(pack);
  return body;
}

std::optional<std::string> parse_report_status(std::string_view body, const std::string &ref) {
  const auto lines = split_pkt_lines(body);
  if (!lines || lines->empty()) {
    throw GitError("the server's answer to the push is not a report-status");
  }
  const std::string_view unpack = (*lines)[0];
  if (!unpack.starts_with("unpack ")) {
    throw GitError("the server's answer to the push is not a report-status");
  }
  if (unpack != "unpack ok") {
    throw GitError("the server could not unpack the pushed objects: " +
                   std::string(unpack.substr(7)));
  }
  for (std::size_t i = 1; i < lines->size(); ++i) {
    const std::string_view line = (*lines)[i];
    if (line == "ok " + ref) {
      return std::nullopt;
    }
    const std::string prefix = "ng " + ref + " ";
    if (line.starts_with(prefix)) {
      return std::string(line.substr(prefix.size()));
    }
  }
  throw GitError("the server's report on the push does not mention " + ref);
}

} // namespace gitops::git

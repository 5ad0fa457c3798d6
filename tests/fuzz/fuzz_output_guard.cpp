// Fuzzes the output guard: everything the tool prints passes through it.
//
// Input: byte 0 picks the escaping (text / JSON); up to the first NUL a secret; the rest is text,
// written in pieces whose sizes come from the text itself, with a \x01 byte asking for the rest
// of the current piece to be issued as a CI command instead.
//
// Invariants (a violation aborts):
// - no output line holds a control character other than tab, `##vso[` (any case) or `##[`
//   after its first byte, or starts (after blanks) with `::` unless it was issued as a command;
// - a secret of [A-Za-z0-9_-]{4,} never appears, except spelled by the guard's own escapes
//   (`\xNN`, `\u00NN`) joined to the text beside them, which is no leak;
// - as many lines come out as went in (newlines plus commands), so nothing is dropped or split;
// - in JSON mode, an input line that is a JSON document comes out as the same document.
#include "fuzz_support.hpp"

#include "gitops/util/output_guard.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using gitops::fuzz::fail;
using gitops::util::Escaping;

bool plain_secret(std::string_view s) {
  return s.size() >= 4 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Leading blanks as a CI runner trims them: ASCII space/tab/VT/FF and any byte of a UTF-8
// multi-byte sequence (stricter than needed: every non-ASCII prefix counts as blank).
std::string_view trim_blanks(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c >= 0x80) {
      ++i;
    } else {
      break;
    }
  }
  return line.substr(i);
}

// `text` with every escape the guard writes replaced by one byte no plain secret holds.
std::string without_escapes(std::string_view text) {
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "\\x") == 0 && i + 3 < text.size() && hex(text[i + 2]) &&
        hex(text[i + 3])) {
      out += '~';
      i += 3;
    } else if (text.compare(i, 4, "\\u00") == 0 && i + 5 < text.size() && hex(text[i + 4]) &&
               hex(text[i + 5])) {
      out += '~';
      i += 5;
    } else {
      out += text[i];
    }
  }
  return out;
}

void check_line(std::string_view line, bool command, const std::string &input) {
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      fail("a control character reached the output", input + "\n--\n" + std::string(line));
    }
  }
  const std::string low = lower(line);
  for (const std::string_view needle : {std::string_view("##vso["), std::string_view("##[")}) {
    const std::size_t at = low.find(needle, command ? 1 : 0);
    if (at != std::string::npos) {
      fail("a CI command prefix reached the output", input + "\n--\n" + std::string(line));
    }
  }
  if (!command && trim_blanks(line).starts_with("::")) {
    fail("a line starts a GitHub workflow command", input + "\n--\n" + std::string(line));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view all = gitops::fuzz::as_text(data, size);
  const Escaping escaping = (all[0] & 1) != 0 ? Escaping::json : Escaping::text;
  std::string_view rest = all.substr(1);
  const std::size_t nul = rest.find('\0');
  const std::string secret(nul == std::string_view::npos ? std::string_view()
                                                         : rest.substr(0, nul));
  const std::string_view text = nul == std::string_view::npos ? rest : rest.substr(nul + 1);
  const std::vector<std::string> secrets = {secret};

  std::ostringstream target;
  std::size_t lines_in = 0;
  std::vector<bool> is_command; // per output line, in order
  gitops::fuzz::never_throws("GuardedStream", [&] {
    gitops::util::GuardedStream out(target, secrets, escaping);
    bool pending = false; // a partial line is buffered
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t piece = 1 + static_cast<unsigned char>(text[i]) % 17;
      const std::string_view chunk = text.substr(i, piece);
      i += chunk.size();
      const std::size_t ctl = chunk.find('\x01');
      const std::string_view written = chunk.substr(0, ctl);
      out << written;
      for (const char c : written) {
        if (c == '\n') {
          is_command.push_back(false);
          ++lines_in;
          pending = false;
        } else {
          pending = true;
        }
      }
      if (ctl != std::string_view::npos) {
        if (pending) {
          is_command.push_back(false);
          ++lines_in;
          pending = false;
        }
        out.command(chunk.substr(ctl + 1));
        is_command.push_back(true);
        ++lines_in;
      }
    }
    if (pending) {
      is_command.push_back(false);
      ++lines_in;
    }
  });

  const std::string output = target.str();
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < output.size()) {
    const std::size_t nl = output.find('\n', start);
    lines.emplace_back(output.substr(start, nl == std::string::npos ? nl : nl - start));
    start = nl == std::string::npos ? output.size() : nl + 1;
  }
  const std::string input(text);
  if (lines.size() != lines_in) {
    fail("lines were dropped or split", input + "\n--\n" + output);
  }
  for (std::size_t n = 0; n < lines.size(); ++n) {
    check_line(lines[n], is_command[n], input);
  }
  if (plain_secret(secret) && without_escapes(output).find(secret) != std::string::npos) {
    fail("a secret reached the output", secret + "\n--\n" + input + "\n--\n" + output);
  }

  // JSON mode keeps a JSON document (one line, no controls, no secret inside) the same.
  if (escaping == Escaping::json && text.find('\n') == std::string_view::npos &&
      text.find('\x01') == std::string_view::npos &&
      (secret.size() < 4 || text.find(secret) == std::string_view::npos) &&
      std::none_of(text.begin(), text.end(),
                   [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    const nlohmann::json before = nlohmann::json::parse(text, nullptr, false);
    if (!before.is_discarded()) {
      const nlohmann::json after = nlohmann::json::parse(output, nullptr, false);
      if (after.is_discarded() || after != before) {
        fail("a JSON document changed", input + "\n--\n" + output);
      }
    }
  }
  return 0;
}

#pragma once

// The one place every byte the tool prints passes through: whatever a message carries (a file
// name, a manifest value, a server's answer, a flag), no known secret is printed and no line can
// start a CI command the tool did not mean to issue.

#include <memory>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::util {

// `text` with every occurrence of every secret of at least 4 bytes replaced by `***`, longest
// secret first (so a secret that contains another is replaced whole). Shorter values would blank
// out ordinary text and are no real credentials.
[[nodiscard]] std::string redact(std::string_view text, const std::vector<std::string> &secrets);

// How neutralised bytes are shown: `\xNN` for people, or `\u00NN` inside JSON strings (the JSON
// still parses, to the same value).
enum class Escaping { text, json };

// One output line (without its newline) made inert for CI log parsers:
// - control characters (C0 except tab, DEL, and the C1 range as UTF-8) are shown escaped;
// - `##vso[` and `##[` anywhere (Azure Pipelines, and GitHub's older syntax) get their first `#`
//   escaped;
// - a line whose first characters after blanks (ASCII, or anything non-ASCII, which covers the
//   Unicode spaces runners trim) are `::` (a GitHub workflow command) gets its first `:` escaped.
// Other bytes, invalid UTF-8 included, are kept.
[[nodiscard]] std::string neutralise_line(std::string_view line, Escaping escaping);

// A CI command line the tool means to issue, made safe the same way except for the command at
// its start: controls escaped, and no `##vso[` / `##[` after the first byte.
[[nodiscard]] std::string command_line(std::string_view line, Escaping escaping);

// The secrets a run knows, growing while it runs (a GitHub App's JSON web tokens and installation
// tokens are learnt only when minted). Adding and reading are safe from different threads (the
// deadline reports from its own).
class SecretList {
public:
  explicit SecretList(std::vector<std::string> initial = {});
  // Adds `secret` unless it is empty or already known.
  void add(std::string secret);
  // Every secret known now.
  [[nodiscard]] std::vector<std::string> snapshot() const;

private:
  mutable std::mutex m_mutex;
  std::vector<std::string> m_secrets;
};

// An output stream over `target` that writes whole lines only, each redacted of `secrets` (read at
// every line, so a secret learnt later counts) and then neutralised; a partial last line is
// written by finish() or the destructor. command() is the only way to write a CI command. `target`
// and `secrets` must outlive the stream.
class GuardedStream : public std::ostream {
public:
  GuardedStream(std::ostream &target, const std::vector<std::string> &secrets,
                Escaping escaping = Escaping::text);
  // The same over a list that may grow: each line is redacted of the secrets known when it ends.
  GuardedStream(std::ostream &target, const SecretList &secrets,
                Escaping escaping = Escaping::text);
  GuardedStream(const GuardedStream &) = delete;
  GuardedStream &operator=(const GuardedStream &) = delete;
  ~GuardedStream() override;

  // Escaping for the lines written from now on (stdout becomes JSON once --output json is known).
  void set_escaping(Escaping escaping);

  // Writes `line` and a newline as a CI command the tool means to issue: redacted and passed
  // through command_line(). A pending partial line is ended first.
  void command(std::string_view line);

  // Writes a pending partial line and flushes the target.
  void finish();

private:
  class Buffer;
  std::unique_ptr<Buffer> m_buffer;
};

} // namespace gitops::util

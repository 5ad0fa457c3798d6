#include "gitops/util/output_guard.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace gitops::util {

namespace {

constexpr std::string_view k_hex = "0123456789abcdef";
constexpr std::size_t k_min_secret = 4;

// `c` as an escape of the chosen style.
void append_escaped(std::string &out, unsigned int c, Escaping escaping) {
  out += escaping == Escaping::json ? "\\u00" : "\\x";
  out += k_hex[(c >> 4) & 0xf];
  out += k_hex[c & 0xf];
}

// Control characters shown escaped; everything else kept byte for byte.
std::string escape_controls(std::string_view line, Escaping escaping) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      append_escaped(out, c, escaping);
    } else if (c == 0xc2 && i + 1 < line.size() &&
               static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(line[i + 1]) <= 0x9f) {
      // C1 controls (U+0080-U+009F): CSI and friends for terminals; always shown as \u.
      out += "\\u00";
      const auto c1 = static_cast<unsigned char>(line[i + 1]);
      out += k_hex[c1 >> 4];
      out += k_hex[c1 & 0xf];
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// True for a byte that may be part of a blank a CI runner trims before looking for `::`: ASCII
// blanks, and every byte of a non-ASCII character (.NET's Trim removes Unicode spaces; taking all
// of them is simpler than the table, and only ever escapes more).
bool maybe_blank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c >= 0x80;
}

bool starts_with_ci(std::string_view s, std::size_t pos, std::string_view prefix) {
  if (s.size() - pos < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = s[pos + i];
    const char lower = (a >= 'A' && a <= 'Z') ? static_cast<char>(a - 'A' + 'a') : a;
    if (lower != prefix[i]) {
      return false;
    }
  }
  return true;
}

// `escaped` (controls already escaped) with every `##vso[` / `##[` from `from` on broken: Azure's
// agent finds `##vso[` anywhere in a line, GitHub's runner `##[` (its old syntax).
std::string break_hash_commands(std::string_view escaped, std::size_t from, Escaping escaping) {
  std::string out(escaped.substr(0, from));
  out.reserve(escaped.size() + 8);
  for (std::size_t i = from; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c == '#' && (starts_with_ci(escaped, i, "##vso[") || escaped.compare(i, 3, "##[") == 0)) {
      append_escaped(out, '#', escaping);
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace

std::string redact(std::string_view text, const std::vector<std::string> &secrets) {
  std::vector<std::string_view> sorted;
  for (const std::string &secret : secrets) {
    if (secret.size() >= k_min_secret) {
      sorted.emplace_back(secret);
    }
  }
  std::sort(sorted.begin(), sorted.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  std::string out(text);
  for (const std::string_view secret : sorted) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

std::string neutralise_line(std::string_view line, Escaping escaping) {
  std::string escaped = escape_controls(line, escaping);
  std::size_t start = 0;
  while (start < escaped.size() && maybe_blank(static_cast<unsigned char>(escaped[start]))) {
    ++start;
  }
  if (escaped.compare(start, 2, "::") == 0) {
    std::string colon;
    append_escaped(colon, ':', escaping);
    escaped.replace(start, 1, colon);
  }
  return break_hash_commands(escaped, 0, escaping);
}

std::string command_line(std::string_view line, Escaping escaping) {
  // The command itself starts the line; whatever its data holds cannot start another.
  return break_hash_commands(escape_controls(line, escaping), 1, escaping);
}

// Collects bytes until a newline, then writes the finished line to the target.
class GuardedStream::Buffer : public std::streambuf {
public:
  // Exactly one of `fixed` and `list` is set: a fixed vector is read in place, a growing list is
  // copied under its lock once per line.
  Buffer(std::ostream &target, const std::vector<std::string> *fixed, const SecretList *list,
         Escaping escaping)
      : m_target(&target), m_fixed(fixed), m_list(list), m_escaping(escaping) {}

  void set_escaping(Escaping escaping) { m_escaping = escaping; }

  void command(std::string_view line) {
    end_partial_line();
    *m_target << command_line(redacted(line), m_escaping) << '\n';
  }

  void finish() {
    if (!m_line.empty()) {
      emit_line();
    }
    m_target->flush();
  }

protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) {
      return traits_type::not_eof(ch);
    }
    put(traits_type::to_char_type(ch));
    return ch;
  }

  std::streamsize xsputn(const char *data, std::streamsize count) override {
    for (std::streamsize i = 0; i < count; ++i) {
      put(data[i]);
    }
    return count;
  }

  // A flush writes finished lines only (they already are); a partial line waits for its end, so
  // that a secret or a command prefix split across writes is still seen whole.
  int sync() override {
    m_target->flush();
    return m_target->good() ? 0 : -1;
  }

private:
  void put(char c) {
    if (c == '\n') {
      emit_line();
      *m_target << '\n';
    } else {
      m_line += c;
    }
  }

  void emit_line() {
    // Redacted before escaping, so no secret is split by an escape. (An escape's last digit next
    // to ordinary text may spell a secret's bytes that were never printed; redacting again would
    // cut escapes and so break JSON.)
    *m_target << neutralise_line(redacted(m_line), m_escaping);
    m_line.clear();
  }

  void end_partial_line() {
    if (!m_line.empty()) {
      emit_line();
      *m_target << '\n';
    }
  }

  [[nodiscard]] std::string redacted(std::string_view line) const {
    return m_fixed != nullptr ? redact(line, *m_fixed) : redact(line, m_list->snapshot());
  }

  std::ostream *m_target;
  const std::vector<std::string> *m_fixed;
  const SecretList *m_list;
  Escaping m_escaping;
  std::string m_line;
};

GuardedStream::GuardedStream(std::ostream &target, const std::vector<std::string> &secrets,
                             Escaping escaping)
    : std::ostream(nullptr),
      m_buffer(std::make_unique<Buffer>(target, &secrets, nullptr, escaping)) {
  rdbuf(m_buffer.get());
}

GuardedStream::GuardedStream(std::ostream &target, const SecretList &secrets, Escaping escaping)
    : std::ostream(nullptr),
      m_buffer(std::make_unique<Buffer>(target, nullptr, &secrets, escaping)) {
  rdbuf(m_buffer.get());
}

SecretList::SecretList(std::vector<std::string> initial) : m_secrets(std::move(initial)) {}

void SecretList::add(std::string secret) {
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (!secret.empty() && std::find(m_secrets.begin(), m_secrets.end(), secret) == m_secrets.end()) {
    m_secrets.push_back(std::move(secret));
  }
}

std::vector<std::string> SecretList::snapshot() const {
  const std::lock_guard<std::mutex> lock(m_mutex);
  return m_secrets;
}

GuardedStream::~GuardedStream() {
  try {
    m_buffer->finish();
  } catch (...) {
    // A destructor must not throw; the stream's own state already says the write failed.
  }
}

void GuardedStream::set_escaping(Escaping escaping) {
  m_buffer->set_escaping(escaping);
}

void GuardedStream::command(std::string_view line) {
  flush();
  m_buffer->command(line);
}

void GuardedStream::finish() {
  m_buffer->finish();
}

} // namespace gitops::util

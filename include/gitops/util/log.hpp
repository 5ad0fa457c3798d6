#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace gitops::util {

enum class LogLevel { error, warn, info, debug };

// "error" | "warn" | "info" | "debug".
[[nodiscard]] std::string_view to_string(LogLevel level);

// The level named `name`, or std::nullopt.
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view name);

// Progress and diagnostics for people, written to one stream (stderr in the binary) when the
// message's level is at or above the configured verbosity. Never give it a token.
class Logger {
public:
  Logger(std::ostream &stream, LogLevel level) : m_stream(&stream), m_level(level) {}

  [[nodiscard]] LogLevel level() const noexcept { return m_level; }
  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return level <= m_level; }

  // Writes `<level>: <message>\n` when `level` is enabled.
  void log(LogLevel level, std::string_view message) const;
  void error(std::string_view message) const { log(LogLevel::error, message); }
  void warn(std::string_view message) const { log(LogLevel::warn, message); }
  void info(std::string_view message) const { log(LogLevel::info, message); }
  void debug(std::string_view message) const { log(LogLevel::debug, message); }

private:
  std::ostream *m_stream;
  LogLevel m_level;
};

} // namespace gitops::util

#include "gitops/util/log.hpp"

namespace gitops::util {

std::string_view to_string(LogLevel level) {
  switch (level) {
  case LogLevel::error:
    return "error";
  case LogLevel::warn:
    return "warn";
  case LogLevel::info:
    return "info";
  case LogLevel::debug:
    return "debug";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (LogLevel level : {LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug}) {
    if (to_string(level) == name) {
      return level;
    }
  }
  return std::nullopt;
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) {
    return;
  }
  *m_stream << to_string(level) << ": " << message << '\n';
}

} // namespace gitops::util

#include "gitops/util/duration.hpp"

#include <cstdint>
#include <limits>

namespace gitops::util {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t nanos;
};

// Longer names first so "ms" is not read as "m" followed by garbage.
constexpr Unit k_units[] = {
    {"ns", 1},       {"us", 1000},      {"\xC2\xB5s", 1000},      {"\xCE\xBCs", 1000},
    {"ms", 1000000}, {"s", 1000000000}, {"m", 60LL * 1000000000}, {"h", 3600LL * 1000000000}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();
  long double total = 0;
  while (!text.empty()) {
    std::int64_t whole = 0;
    std::size_t digits = 0;
    while (!text.empty() && is_digit(text.front())) {
      if (whole > (k_max - 9) / 10) {
        return std::nullopt;
      }
      whole = whole * 10 + (text.front() - '0');
      text.remove_prefix(1);
      ++digits;
    }
    long double fraction = 0;
    if (!text.empty() && text.front() == '.') {
      text.remove_prefix(1);
      long double scale = 0.1L;
      while (!text.empty() && is_digit(text.front())) {
        fraction += scale * (text.front() - '0');
        scale /= 10;
        text.remove_prefix(1);
        ++digits;
      }
    }
    if (digits == 0) {
      return std::nullopt;
    }
    const Unit *unit = nullptr;
    for (const Unit &u : k_units) {
      if (text.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) {
      return std::nullopt;
    }
    text.remove_prefix(unit->name.size());
    total += (static_cast<long double>(whole) + fraction) * static_cast<long double>(unit->nanos);
    if (total > static_cast<long double>(k_max)) {
      return std::nullopt;
    }
  }
  const auto nanos = static_cast<std::int64_t>(total);
  return std::chrono::nanoseconds(negative ? -nanos : nanos);
}

std::string format_go_duration(std::chrono::nanoseconds duration) {
  std::int64_t n = duration.count();
  std::string sign;
  if (n < 0) {
    sign = "-";
    n = -n;
  }
  if (n == 0) {
    return "0s";
  }
  if (n < 1000000000) {
    if (n % 1000000 == 0) {
      return sign + std::to_string(n / 1000000) + "ms";
    }
    if (n % 1000 == 0) {
      return sign + std::to_string(n / 1000) + "us";
    }
    return sign + std::to_string(n) + "ns";
  }
  const std::int64_t hours = n / (3600LL * 1000000000);
  const std::int64_t minutes = (n / (60LL * 1000000000)) % 60;
  const std::int64_t nanos_in_minute = n % (60LL * 1000000000);
  std::string seconds = std::to_string(nanos_in_minute / 1000000000);
  if (const std::int64_t frac = nanos_in_minute % 1000000000; frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 9 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') {
      digits.pop_back();
    }
    seconds += "." + digits;
  }
  if (hours > 0) {
    return sign + std::to_string(hours) + "h" + std::to_string(minutes) + "m" + seconds + "s";
  }
  if (minutes > 0) {
    return sign + std::to_string(minutes) + "m" + seconds + "s";
  }
  return sign + seconds + "s";
}

} // namespace gitops::util

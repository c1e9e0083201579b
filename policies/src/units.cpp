// Quantities with units. Numbers are parsed by hand (no strtod/stoull): those accept "inf",
// "nan", hex, leading spaces and signs, and report overflow through errno, none of which a
// policy should be able to write.
#include "policies/units.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace policies::units {
namespace {

// A decimal number "123", "1.5", ".5" at the start of `text`; consumes it.
struct Decimal {
  long double value = 0;
  bool negative = false;
};

std::optional<Decimal> take_decimal(std::string_view& text, bool allow_sign) {
  Decimal number;
  size_t i = 0;
  if (allow_sign && i < text.size() && (text[i] == '-' || text[i] == '+')) {
    number.negative = text[i] == '-';
    ++i;
  }
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    number.value = number.value * 10 + (text[i] - '0');
    digits = true;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    long double scale = 0.1L;
    bool fraction = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number.value += (text[i] - '0') * scale;
      scale /= 10;
      fraction = true;
      ++i;
    }
    if (!fraction) return std::nullopt;  // "1." is a typo more often than a number
    digits = true;
  }
  if (!digits || !std::isfinite(number.value)) return std::nullopt;
  text.remove_prefix(i);
  return number;
}

void skip_spaces(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct Unit {
  std::string_view suffix;
  long double factor;
};

// value * factor as a whole number, rounded to nearest; nullopt when it does not fit.
std::optional<uint64_t> to_whole(long double value, long double factor) {
  long double scaled = std::round(value * factor);
  // 2^64 exactly representable in long double; anything at or above it overflows uint64_t.
  if (!(scaled >= 0) || scaled >= 18446744073709551616.0L) return std::nullopt;
  return static_cast<uint64_t>(scaled);
}

constexpr long double KiB = 1024.0L;
constexpr long double MiB = KiB * 1024;
constexpr long double GiB = MiB * 1024;
constexpr long double TiB = GiB * 1024;

// "<number> [<unit>]", spaces allowed between: a bare number counts once, otherwise the first unit
// whose suffix `matches` what is written gives the factor.
template <size_t N, typename Matches>
std::optional<uint64_t> number_with_unit(std::string_view text, const std::array<Unit, N>& units,
                                         Matches matches) {
  text = trim(text);
  auto number = take_decimal(text, false);
  if (!number) return std::nullopt;
  skip_spaces(text);
  if (text.empty()) return to_whole(number->value, 1);
  for (const auto& unit : units) {
    if (matches(text, unit.suffix)) return to_whole(number->value, unit.factor);
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  // Exact-case multi-letter suffixes first; single letters are accepted in either case because
  // tools disagree ("64m" in docker, "64M" in systemd) and both mean MiB there.
  static constexpr std::array<Unit, 14> units{{
      {"KiB", KiB},
      {"MiB", MiB},
      {"GiB", GiB},
      {"TiB", TiB},
      {"KB", 1e3L},
      {"kB", 1e3L},
      {"MB", 1e6L},
      {"GB", 1e9L},
      {"TB", 1e12L},
      {"B", 1},
      {"K", KiB},
      {"M", MiB},
      {"G", GiB},
      {"T", TiB},
  }};
  return number_with_unit(text, units, [](std::string_view written, std::string_view suffix) {
    const bool single_letter = suffix.size() == 1 && suffix != "B";
    return written == suffix || (single_letter && equals_ignoring_case(written, suffix));
  });
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<Unit, 4> units{
      {{"ms", 1}, {"s", 1e3L}, {"m", 60e3L}, {"h", 3600e3L}}};
  text = trim(text);
  if (text.empty()) return std::nullopt;
  // A bare number is seconds; otherwise a sequence such as "1h30m" or "1.5s".
  std::string_view rest = text;
  if (auto bare = take_decimal(rest, false); bare && rest.empty()) {
    auto ms = to_whole(bare->value, 1e3L);
    if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return {};
    return std::chrono::milliseconds(static_cast<int64_t>(*ms));
  }
  long double total = 0;
  while (!text.empty()) {
    auto number = take_decimal(text, false);
    if (!number) return std::nullopt;
    size_t letters = 0;
    while (letters < text.size() && text[letters] >= 'a' && text[letters] <= 'z') ++letters;
    std::string_view suffix = text.substr(0, letters);
    const Unit* found = nullptr;
    for (const auto& unit : units) {
      if (suffix == unit.suffix) found = &unit;
    }
    if (found == nullptr) return std::nullopt;
    total += number->value * found->factor;
    text.remove_prefix(letters);
  }
  auto ms = to_whole(total, 1);
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

std::optional<double> parse_cpus(std::string_view text) {
  text = trim(text);
  auto number = take_decimal(text, true);
  if (!number) return std::nullopt;
  long double value = number->negative ? -number->value : number->value;
  skip_spaces(text);
  if (text == "%") {
    value /= 100;
  } else if (!text.empty()) {
    return std::nullopt;
  }
  if (!std::isfinite(static_cast<double>(value))) return std::nullopt;
  return static_cast<double>(value);
}

std::optional<uint64_t> parse_rate(std::string_view text) {
  // tc's units: "bit" suffixes count bits, "bps" suffixes count bytes (tc's own convention),
  // SI prefixes are powers of 1000 and IEC ones powers of 1024. Case-insensitive, as in tc.
  static constexpr std::array<Unit, 13> units{{
      {"bit", 1},
      {"kbit", 1e3L},
      {"mbit", 1e6L},
      {"gbit", 1e9L},
      {"tbit", 1e12L},
      {"kibit", KiB},
      {"mibit", MiB},
      {"gibit", GiB},
      {"tibit", TiB},
      {"bps", 8},
      {"kbps", 8e3L},
      {"mbps", 8e6L},
      {"gbps", 8e9L},
  }};
  return number_with_unit(text, units, [](std::string_view written, std::string_view suffix) {
    return equals_ignoring_case(written, suffix);
  });
}

}  // namespace policies::units

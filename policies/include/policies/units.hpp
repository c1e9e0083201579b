// Parsing of quantities with units, as written in policies. Pure functions; errors as nullopt.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace policies::units {

// "512MiB", "1G", "64k", "1024" (bytes). Binary and decimal suffixes: KiB MiB GiB TiB, K/k M G T
// (k/M/G/T are powers of 1024 as in most tools' memory flags), KB MB GB (powers of 1000).
std::optional<uint64_t> parse_size(std::string_view text);
// "60s", "500ms", "2m", "1h", "1.5s". A bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "150%" -> 1.5, "0.5" -> 0.5 (a bare number is CPUs).
std::optional<double> parse_cpus(std::string_view text);
// "100mbit", "10kbit", "1gbit", "12500000" (bits per second, as tc writes them).
std::optional<uint64_t> parse_rate(std::string_view text);

}  // namespace policies::units

// limits: memory, swap, pids, CPU, cpuset, time, rlimits, block I/O.
#include <algorithm>
#include <limits>
#include <set>

#include "names.hpp"
#include "settings.hpp"
#include "suggest.hpp"

namespace policies::detail {
namespace {

constexpr uint64_t one_mib = uint64_t{1024} * 1024;
constexpr uint64_t max_pids = 4194304;  // PID_MAX_LIMIT on 64-bit kernels
constexpr uint64_t infinity = std::numeric_limits<uint64_t>::max();  // RLIM_INFINITY

// Limit names that `optional:` may list: the ones a host may be unable to enforce.
const std::vector<std::string_view>& optional_names() {
  static const std::vector<std::string_view> names{"memory",  "memory_high", "swap", "pids",
                                                   "cpu_max", "cpuset",      "io"};
  return names;
}

// rlimits that count bytes (sizes), seconds (cpu), or plain numbers.
enum class RlimitUnit { bytes, seconds, count };
const std::map<std::string_view, RlimitUnit>& rlimit_units() {
  static const std::map<std::string_view, RlimitUnit> units{
      {"as", RlimitUnit::bytes},         {"core", RlimitUnit::bytes},
      {"cpu", RlimitUnit::seconds},      {"data", RlimitUnit::bytes},
      {"fsize", RlimitUnit::bytes},      {"locks", RlimitUnit::count},
      {"memlock", RlimitUnit::bytes},    {"msgqueue", RlimitUnit::bytes},
      {"nice", RlimitUnit::count},       {"nofile", RlimitUnit::count},
      {"nproc", RlimitUnit::count},      {"rss", RlimitUnit::bytes},
      {"rtprio", RlimitUnit::count},     {"rttime", RlimitUnit::count},
      {"sigpending", RlimitUnit::count}, {"stack", RlimitUnit::bytes}};
  return units;
}

std::vector<std::string_view> rlimit_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, unit] : rlimit_units()) names.push_back(name);
  return names;
}

// A memory-like size at least 1MiB: less than that cannot run any process.
std::optional<uint64_t> memory_size(Reader& reader, const YAML::Node& node,
                                    const std::string& path) {
  auto bytes = reader.size(node, path);
  if (bytes && *bytes < one_mib) {
    reader.error(
        node, path,
        "below 1MiB, which no process can run in (got " + std::to_string(*bytes) + " bytes)");
    return std::nullopt;
  }
  return bytes;
}

void apply_rlimits(Reader& reader, const YAML::Node& node, const std::string& path,
                   std::map<std::string, uint64_t>& rlimits) {
  static const auto names = rlimit_names();
  reader.for_each_entry(
      node, path, names,
      [&](const std::string& name, const YAML::Node& value, const std::string& at) {
        if (Reader::is_unlimited(value)) {
          rlimits[name] = infinity;
          return;
        }
        std::optional<uint64_t> limit;
        switch (rlimit_units().at(name)) {
          case RlimitUnit::bytes:
            limit = reader.size(value, at);
            break;
          case RlimitUnit::seconds:
            if (auto time = reader.duration(value, at)) {
              if (time->count() % 1000 != 0 || time->count() == 0) {
                reader.error(value, at, "the cpu rlimit counts whole seconds (at least 1s)");
              } else {
                limit = static_cast<uint64_t>(time->count() / 1000);
              }
            }
            break;
          case RlimitUnit::count:
            limit = reader.integer(value, at, 0, infinity - 1);
            break;
        }
        if (limit) rlimits[name] = *limit;
      });
}

std::optional<IoDeviceLimit> read_io_device(Reader& reader, const YAML::Node& node,
                                            const std::string& path) {
  if (!reader.expect_map(node, path)) return std::nullopt;
  IoDeviceLimit device;
  bool ok = true, any_limit = false;
  reader.for_each_entry(
      node, path, {"device", "read_bps", "write_bps", "read_iops", "write_iops"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "device") {
          auto text = reader.string(value, at);
          bool major_minor = text && text->find(':') != std::string::npos && text->front() != '/';
          if (text && !major_minor && (text->empty() || text->front() != '/')) {
            reader.error(value, at, "expected a block device path like /dev/vda or major:minor");
            text.reset();
          } else if (text && major_minor) {
            auto colon = text->find(':');
            auto digits = [](const std::string& s) {
              return !s.empty() && s.size() <= 10 &&
                     std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
            };
            if (!digits(text->substr(0, colon)) || !digits(text->substr(colon + 1))) {
              reader.error(value, at, "expected major:minor numbers like 253:0");
              text.reset();
            }
          }
          if (text) {
            device.device = *text;
          } else {
            ok = false;
          }
          return;
        }
        std::optional<uint64_t> limit;
        if (key == "read_bps" || key == "write_bps") {
          limit = reader.size(value, at);  // bytes per second
        } else {
          limit = reader.integer(value, at, 1, infinity - 1);
        }
        if (limit && *limit == 0) {
          reader.error(value, at, "a zero limit would block all I/O; leave it out for none");
          limit.reset();
        }
        if (!limit) {
          ok = false;
          return;
        }
        any_limit = true;
        if (key == "read_bps") device.read_bps = limit;
        if (key == "write_bps") device.write_bps = limit;
        if (key == "read_iops") device.read_iops = limit;
        if (key == "write_iops") device.write_iops = limit;
      });
  if (!ok) return std::nullopt;
  if (device.device.empty()) {
    reader.error(node, child_path(path, "device"), "missing key 'device'");
    return std::nullopt;
  }
  if (!any_limit) {
    reader.error(node, path, "needs at least one of read_bps, write_bps, read_iops, write_iops");
    return std::nullopt;
  }
  return device;
}

void apply_io(Reader& reader, const YAML::Node& node, const std::string& path,
              std::vector<IoDeviceLimit>& io) {
  if (!reader.expect_list(node, path)) return;
  std::vector<IoDeviceLimit> chosen;
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto device = read_io_device(reader, item, at);
    if (!device) return;
    for (const auto& other : chosen) {
      if (other.device == device->device) {
        reader.error(item, at, "device '" + device->device + "' is listed twice");
        return;
      }
    }
    chosen.push_back(std::move(*device));
  });
  io = std::move(chosen);
}

void apply_optional(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::set<std::string>& optional) {
  if (!reader.expect_list(node, path)) return;
  std::set<std::string> chosen;
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto name = reader.string(item, at);
    if (!name) return;
    const auto& names = optional_names();
    if (std::find(names.begin(), names.end(), *name) == names.end()) {
      reader.error(item, at,
                   "'" + *name + "' is not a limit that can be optional" +
                       did_you_mean(*name, names) +
                       "; one of memory, memory_high, swap, pids, cpu_max, cpuset, io");
    } else if (!chosen.insert(*name).second) {
      reader.error(item, at, "'" + *name + "' is listed twice");
    }
  });
  optional = std::move(chosen);
}

}  // namespace

void apply_limits(Reader& reader, const YAML::Node& node, const std::string& path, Limits& limits) {
  static const std::vector<std::string_view> keys{
      "memory",    "memory_high", "swap",    "pids", "cpu_max", "cpuset",
      "wall_time", "kill_grace",  "rlimits", "io",   "optional"};
  reader.for_each_entry(
      node, path, keys,
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        // `unlimited` clears a limit that `defaults:` set.
        bool unlimited = Reader::is_unlimited(value);
        if (key == "memory") {
          limits.memory_bytes = unlimited ? std::nullopt : memory_size(reader, value, at);
        } else if (key == "memory_high") {
          limits.memory_high_bytes = unlimited ? std::nullopt : memory_size(reader, value, at);
        } else if (key == "swap") {
          limits.swap_bytes = unlimited ? std::nullopt : reader.size(value, at);
        } else if (key == "pids") {
          limits.pids = unlimited ? std::nullopt : reader.integer(value, at, 1, max_pids);
        } else if (key == "cpu_max") {
          limits.cpu_max.reset();
          if (unlimited) return;
          auto cpus = reader.cpus(value, at);
          if (!cpus) return;
          if (*cpus <= 0) {
            reader.error(value, at, "must be above 0 (got " + describe(value) + ")");
          } else if (*cpus < 0.01) {
            // The kernel's smallest CFS quota is 1ms, against our 100ms period.
            reader.error(value, at, "below 1% of a CPU, the smallest quota the kernel takes");
          } else if (*cpus > 65536) {
            reader.error(value, at, "more CPUs than any machine has (got " + describe(value) + ")");
          } else {
            limits.cpu_max = cpus;
          }
        } else if (key == "cpuset") {
          limits.cpuset.reset();
          if (unlimited) return;
          auto cpus = reader.string(value, at);
          if (!cpus) return;
          if (auto problem = check_cpuset(*cpus); !problem.empty()) {
            reader.error(value, at, "malformed cpuset: " + problem);
          } else {
            limits.cpuset = *cpus;
          }
        } else if (key == "wall_time") {
          limits.wall_time.reset();
          if (unlimited) return;
          auto time = reader.duration(value, at);
          if (time && time->count() <= 0) {
            reader.error(value, at, "must be above 0 (write `unlimited` for no limit)");
          } else {
            limits.wall_time = time;
          }
        } else if (key == "kill_grace") {
          if (auto time = reader.duration(value, at)) limits.kill_grace = *time;
        } else if (key == "rlimits") {
          apply_rlimits(reader, value, at, limits.rlimits);
        } else if (key == "io") {
          apply_io(reader, value, at, limits.io);
        } else if (key == "optional") {
          apply_optional(reader, value, at, limits.optional);
        }
      });
}

}  // namespace policies::detail

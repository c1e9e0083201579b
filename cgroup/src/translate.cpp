// Limits -> per-layout file writes (the table in docs/cgroups.md). Reads only the Host, and
// /sys/dev/block for an io_max device when the Host has no list of block devices.
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "cgroup/cgroup.hpp"
#include "plan.hpp"

namespace cgroup {

namespace {

// memory.oom.group is a behaviour, not a limit a user asked for: skipped silently where missing.
constexpr const char* kOomGroup = "oom_group";

class Planner {
 public:
  Planner(const Limits& limits, const Host& host) : limits_(limits), host_(host) {}

  // The controller that enforces `limit`, or nullptr when it is missing and the limit is optional.
  // `names` are the controller's names by version ("io" on v2, "blkio" on v1).
  const Controller* need(std::initializer_list<const char*> names, const std::string& limit) {
    const Controller* found = nullptr;
    for (const char* name : names) {
      auto it = host_.controllers.find(name);
      if (it != host_.controllers.end() && (!found || it->second.usable)) {
        found = &it->second;
      }
    }
    if (found && found->usable) {
      return found;
    }
    if (is_optional(limits_, limit)) {
      return nullptr;
    }
    const std::string controller = *names.begin();
    throw Unsupported(limit, "the " + limit + " limit needs the " + controller +
                                 " cgroup controller, which " +
                                 (found ? "is not usable here: " + found->why_not
                                        : std::string("this host does not have")));
  }

  void add(const Controller& controller, std::string file, std::string value,
           const std::string& limit) {
    settings_.push_back({{controller.name, std::move(file), std::move(value)}, limit});
  }

  void unsupported(const std::string& limit, const std::string& why) {
    if (!is_optional(limits_, limit)) {
      throw Unsupported(limit, why);
    }
  }

  std::vector<PlannedSetting> take() { return std::move(settings_); }

 private:
  const Limits& limits_;
  const Host& host_;
  std::vector<PlannedSetting> settings_;
};

void check_weight(uint64_t weight, const std::string& what) {
  if (weight < 1 || weight > 10000) {
    throw Error(what + " weight " + std::to_string(weight) + " is outside 1..10000");
  }
}

bool valid_device(const std::string& device) {
  const size_t colon = device.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == device.size()) {
    return false;
  }
  return std::all_of(device.begin(), device.end(),
                     [](char c) { return c == ':' || (c >= '0' && c <= '9'); }) &&
         device.find(':', colon + 1) == std::string::npos;
}

void plan_cpu(Planner& planner, const Limits& limits) {
  if (limits.cpu_weight) {
    check_weight(*limits.cpu_weight, "cpu");
    if (const Controller* cpu = planner.need({"cpu"}, "cpu")) {
      if (cpu->version == 2) {
        planner.add(*cpu, "cpu.weight", std::to_string(*limits.cpu_weight), "cpu");
      } else {
        const uint64_t shares = std::max<uint64_t>(2, *limits.cpu_weight * 1024 / 100);
        planner.add(*cpu, "cpu.shares", std::to_string(shares), "cpu");
      }
    }
  }
  if (limits.cpu_max) {
    const CpuMax& max = *limits.cpu_max;
    if (max.period_us < 1000 || max.period_us > 1000000) {
      throw Error("cpu_max period " + std::to_string(max.period_us) +
                  " us is outside 1000..1000000");
    }
    if (max.quota_us != 0 && max.quota_us < 1000) {
      throw Error("cpu_max quota " + std::to_string(max.quota_us) + " us is below 1000 us");
    }
    if (const Controller* cpu = planner.need({"cpu"}, "cpu_max")) {
      const std::string quota = max.quota_us == 0 ? "" : std::to_string(max.quota_us);
      if (cpu->version == 2) {
        planner.add(*cpu, "cpu.max",
                    (quota.empty() ? "max" : quota) + " " + std::to_string(max.period_us),
                    "cpu_max");
      } else {
        planner.add(*cpu, "cpu.cfs_period_us", std::to_string(max.period_us), "cpu_max");
        planner.add(*cpu, "cpu.cfs_quota_us", quota.empty() ? "-1" : quota, "cpu_max");
      }
    }
  }
  if (limits.cpuset_cpus) {
    if (const Controller* cpuset = planner.need({"cpuset"}, "cpuset")) {
      planner.add(*cpuset, "cpuset.cpus", *limits.cpuset_cpus, "cpuset");
    }
  }
}

void plan_memory(Planner& planner, const Limits& limits, const Host& host) {
  const auto memory_it = host.controllers.find("memory");
  const bool v1 = memory_it != host.controllers.end() && memory_it->second.version == 1;

  if (limits.memory_max) {
    if (const Controller* memory = planner.need({"memory"}, "memory")) {
      planner.add(*memory, v1 ? "memory.limit_in_bytes" : "memory.max",
                  std::to_string(*limits.memory_max), "memory");
    }
  }
  if (limits.memory_high) {
    if (v1) {
      planner.unsupported("memory_high",
                          "memory_high (memory.high) has no cgroup v1 equivalent on this host");
    } else if (const Controller* memory = planner.need({"memory"}, "memory_high")) {
      planner.add(*memory, "memory.high", std::to_string(*limits.memory_high), "memory_high");
    }
  }
  if (limits.swap_max) {
    if (!v1) {
      if (const Controller* memory = planner.need({"memory"}, "swap")) {
        planner.add(*memory, "memory.swap.max", std::to_string(*limits.swap_max), "swap");
      }
    } else if (const Controller* memory = planner.need({"memory"}, "swap")) {
      // v1 only limits memory+swap together, and only with swap accounting in the kernel.
      if (!limits.memory_max) {
        planner.unsupported("swap",
                            "a swap limit on cgroup v1 needs a memory limit too "
                            "(memory.memsw.limit_in_bytes is memory + swap)");
      } else if (!memory->files.empty() && !memory->files.contains("memory.memsw.limit_in_bytes")) {
        planner.unsupported("swap",
                            "the swap limit needs memory.memsw.limit_in_bytes, which this kernel "
                            "lacks (no swap accounting: swapaccount=0 or CONFIG_MEMCG_SWAP off)");
      } else {
        planner.add(*memory, "memory.memsw.limit_in_bytes",
                    std::to_string(*limits.memory_max + *limits.swap_max), "swap");
      }
    }
  }
  // The whole job dies together on OOM where the kernel can do it (v2 only; v1 has no equivalent).
  if (limits.oom_group && !v1) {
    auto it = host.controllers.find("memory");
    if (it != host.controllers.end() && it->second.usable) {
      planner.add(it->second, "memory.oom.group", "1", kOomGroup);
    }
  }
}

void plan_pids(Planner& planner, const Limits& limits) {
  if (limits.pids_max) {
    if (const Controller* pids = planner.need({"pids"}, "pids")) {
      planner.add(*pids, "pids.max", std::to_string(*limits.pids_max), "pids");
    }
  }
}

void plan_io(Planner& planner, const Limits& limits, const Host& host) {
  if (limits.io_weight) {
    check_weight(*limits.io_weight, "io");
    if (const Controller* io = planner.need({"io", "blkio"}, "io_weight")) {
      if (io->version == 2) {
        // io.weight is blk-iocost's; io.bfq.weight is BFQ's. Either only acts on devices that use
        // that controller/scheduler.
        const bool bfq = !io->files.contains("io.weight") && io->files.contains("io.bfq.weight");
        planner.add(*io, bfq ? "io.bfq.weight" : "io.weight",
                    (bfq ? "" : "default ") + std::to_string(*limits.io_weight), "io_weight");
      } else {
        const uint64_t weight = std::clamp<uint64_t>(*limits.io_weight * 500 / 100, 10, 1000);
        const bool cfq = io->files.contains("blkio.weight");
        planner.add(*io, cfq ? "blkio.weight" : "blkio.bfq.weight", std::to_string(weight),
                    "io_weight");
      }
    }
  }
  for (const IoMax& max : limits.io_max) {
    if (!valid_device(max.device)) {
      throw Error("io limit: device '" + max.device + "' is not major:minor");
    }
    const Controller* io = planner.need({"io", "blkio"}, "io");
    if (!io) {
      continue;
    }
    const bool exists = host.block_devices
                            ? host.block_devices->contains(max.device)
                            : ::access(("/sys/dev/block/" + max.device).c_str(), F_OK) == 0;
    if (!exists) {
      planner.unsupported("io", "io limit for device " + max.device + ": no such block device");
      continue;
    }
    if (io->version == 2) {
      std::string value = max.device;
      auto put = [&](const char* key, const std::optional<uint64_t>& v) {
        if (v) {
          value += std::string(" ") + key + "=" + std::to_string(*v);
        }
      };
      put("rbps", max.rbps);
      put("wbps", max.wbps);
      put("riops", max.riops);
      put("wiops", max.wiops);
      planner.add(*io, "io.max", value, "io");
    } else {
      auto put = [&](const char* file, const std::optional<uint64_t>& v) {
        if (v) {
          planner.add(*io, file, max.device + " " + std::to_string(*v), "io");
        }
      };
      put("blkio.throttle.read_bps_device", max.rbps);
      put("blkio.throttle.write_bps_device", max.wbps);
      put("blkio.throttle.read_iops_device", max.riops);
      put("blkio.throttle.write_iops_device", max.wiops);
    }
  }
}

}  // namespace

bool is_optional(const Limits& limits, const std::string& limit) {
  const auto listed = [&](const std::string& name) {
    return std::find(limits.optional.begin(), limits.optional.end(), name) != limits.optional.end();
  };
  // "io" (the policy's name for io limits) covers the io weight from shares as well.
  return limit == kOomGroup || listed(limit) || (limit == "io_weight" && listed("io"));
}

std::vector<PlannedSetting> plan_settings(const Limits& limits, const Host& host) {
  Planner planner(limits, host);
  plan_cpu(planner, limits);
  plan_memory(planner, limits, host);
  plan_pids(planner, limits);
  plan_io(planner, limits, host);
  return planner.take();
}

std::vector<Setting> translate(const Limits& limits, const Host& host) {
  std::vector<Setting> settings;
  for (PlannedSetting& planned : plan_settings(limits, host)) {
    settings.push_back(std::move(planned.setting));
  }
  return settings;
}

}  // namespace cgroup

// Accounting: what a group used, from the files each layout keeps (docs/cgroups.md, Accounting).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "cgroup/parse.hpp"
#include "impl.hpp"

namespace cgroup {

namespace {

// A control file read whole, or nullopt when it does not exist. Every file read here prints one
// record (fs::read_record_at_if_exists), so the read that would only see EOF is spared.
std::optional<std::string> read_control(const Dir& dir, const char* file) {
  return fs::read_record_at_if_exists(dir.fd.get(), file);
}

std::optional<uint64_t> read_number(const Dir& dir, const char* file) {
  const auto text = read_control(dir, file);
  if (!text) {
    return std::nullopt;
  }
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;  // "max" and the like
  }
}

std::map<std::string, uint64_t> read_keyed(const Dir& dir, const char* file) {
  const auto text = read_control(dir, file);
  return text ? parse::flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

void cpu_usage(const Group::Impl& group, Usage& usage) {
  if (const Dir* cpuacct = group.dir_for("cpuacct"); cpuacct && cpuacct->version == 1) {
    usage.cpu_usage_us = read_number(*cpuacct, "cpuacct.usage").value_or(0) / 1000;
    // One file for both: cpuacct.usage_user and .usage_sys print the sums of its columns (4.7+).
    const auto all = read_control(*cpuacct, "cpuacct.usage_all");
    if (const auto split = all ? parse::cpuacct_usage_all(*all) : std::nullopt) {
      usage.cpu_user_us = split->user_ns / 1000;
      usage.cpu_system_us = split->system_ns / 1000;
    } else {
      // Older kernels: cpuacct.stat counts USER_HZ ticks.
      auto stat = read_keyed(*cpuacct, "cpuacct.stat");
      const uint64_t hz = static_cast<uint64_t>(std::max(1L, ::sysconf(_SC_CLK_TCK)));
      usage.cpu_user_us = stat["user"] * 1000000 / hz;
      usage.cpu_system_us = stat["system"] * 1000000 / hz;
    }
  } else if (const Dir* v2 = group.v2_dir()) {
    // Kept by every v2 group, with or without the cpu controller.
    auto stat = read_keyed(*v2, "cpu.stat");
    usage.cpu_usage_us = stat["usage_usec"];
    usage.cpu_user_us = stat["user_usec"];
    usage.cpu_system_us = stat["system_usec"];
  }
  if (const Dir* cpu = group.dir_for("cpu")) {
    auto stat = read_keyed(*cpu, "cpu.stat");
    usage.cpu_nr_throttled = stat["nr_throttled"];
    usage.cpu_throttled_us =
        cpu->version == 2 ? stat["throttled_usec"] : stat["throttled_time"] / 1000;
  }
}

// v1 counts OOM kills (memory.oom_control oom_kill, 4.13+) only in the group where they happened;
// v2's memory.events is hierarchical. Summing the subtree gives v1 the v2 meaning.
uint64_t subtree_oom_kills(const std::string& path) {
  uint64_t kills = 0;
  if (const auto text = fs::read_file_if_exists(path + "/memory.oom_control")) {
    kills = parse::flat_keyed(*text)["oom_kill"];
  }
  const std::string prefix = path + "/";
  for (const std::string& sub : fs::subdirectories(path)) {
    kills += subtree_oom_kills(prefix + sub);
  }
  return kills;
}

uint64_t oom_kills_v1(const Dir& memory) {
  // A job's group is a leaf: its link count (two plus one per subdirectory, as the cgroup file
  // system keeps it) spares listing its thirty-odd control files.
  struct stat info {};
  if (::fstat(memory.fd.get(), &info) == 0 && info.st_nlink == 2) {
    const auto text = read_control(memory, "memory.oom_control");
    return text ? parse::flat_keyed(*text)["oom_kill"] : 0;
  }
  return subtree_oom_kills(memory.full());
}

void memory_usage(const Group::Impl& group, Usage& usage) {
  const Dir* memory = group.dir_for("memory");
  if (!memory) {
    return;
  }
  if (memory->version == 2) {
    usage.memory_current = read_number(*memory, "memory.current").value_or(0);
    usage.memory_peak = read_number(*memory, "memory.peak").value_or(0);  // 5.19+
    auto events = read_keyed(*memory, "memory.events");
    usage.oom_kills = events["oom_kill"];
    usage.memory_high_events = events["high"];
  } else {
    usage.memory_current = read_number(*memory, "memory.usage_in_bytes").value_or(0);
    usage.memory_peak = read_number(*memory, "memory.max_usage_in_bytes").value_or(0);
    usage.oom_kills = oom_kills_v1(*memory);
  }
  usage.memory_peak =
      std::max({usage.memory_peak, usage.memory_current, group.sampled_memory_peak});
}

void pids_usage(const Group::Impl& group, Usage& usage) {
  if (const Dir* pids = group.dir_for("pids")) {
    usage.pids_current = read_number(*pids, "pids.current").value_or(0);
    usage.pids_peak = read_number(*pids, "pids.peak").value_or(0);  // 6.1+ (v1 and v2)
  }
  usage.pids_peak = std::max({usage.pids_peak, usage.pids_current, group.sampled_pids_peak});
}

void io_usage(const Group::Impl& group, Usage& usage) {
  if (const Dir* io = group.dir_for("io"); io && io->version == 2) {
    if (const auto text = read_control(*io, "io.stat")) {
      const parse::IoBytes bytes = parse::io_stat(*text);
      usage.io_read_bytes = bytes.read;
      usage.io_write_bytes = bytes.write;
    }
  } else if (const Dir* blkio = group.dir_for("blkio")) {
    for (const char* file :
         {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"}) {
      if (const auto text = read_control(*blkio, file)) {
        const parse::IoBytes bytes = parse::blkio_service_bytes(*text);
        usage.io_read_bytes = bytes.read;
        usage.io_write_bytes = bytes.write;
        break;
      }
    }
  }
}

}  // namespace

Usage Group::usage() const {
  Usage usage;
  cpu_usage(*impl_, usage);
  memory_usage(*impl_, usage);
  pids_usage(*impl_, usage);
  io_usage(*impl_, usage);
  return usage;
}

uint64_t Group::oom_kills() const {
  const Dir* memory = impl_->dir_for("memory");
  if (!memory) {
    return 0;
  }
  return memory->version == 2 ? read_keyed(*memory, "memory.events")["oom_kill"]
                              : oom_kills_v1(*memory);
}

void Group::sample() {
  if (const Dir* pids = impl_->dir_for("pids")) {
    impl_->sampled_pids_peak =
        std::max(impl_->sampled_pids_peak, read_number(*pids, "pids.current").value_or(0));
  }
  if (const Dir* memory = impl_->dir_for("memory")) {
    const char* file = memory->version == 2 ? "memory.current" : "memory.usage_in_bytes";
    impl_->sampled_memory_peak =
        std::max(impl_->sampled_memory_peak, read_number(*memory, file).value_or(0));
  }
}

}  // namespace cgroup

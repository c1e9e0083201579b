#include "cpu_meter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace sandbox {

CpuMeter::CpuMeter(const cgroup::Host& host, const cgroup::Group& group) {
  const auto paths = group.paths();
  std::string file;
  const auto cpuacct = host.controllers.find("cpuacct");
  if (cpuacct != host.controllers.end() && cpuacct->second.version == 1 &&
      paths.contains("cpuacct")) {
    file = cpuacct->second.mount + paths.at("cpuacct") + "/cpuacct.usage";
    nanoseconds_ = true;
  } else if (paths.contains("unified") && !host.unified_mount.empty()) {
    file = host.unified_mount + paths.at("unified") + "/cpu.stat";
  }
  if (!file.empty()) fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
}

std::optional<uint64_t> CpuMeter::read_us() const {
  if (!fd_) return std::nullopt;
  char buffer[512];
  const ssize_t n = pread(fd_.get(), buffer, sizeof buffer - 1, 0);
  if (n <= 0) return std::nullopt;
  buffer[n] = '\0';
  if (nanoseconds_) return std::strtoull(buffer, nullptr, 10) / 1000;
  const char* usage = std::strstr(buffer, "usage_usec ");
  if (!usage) return std::nullopt;
  return std::strtoull(usage + std::strlen("usage_usec "), nullptr, 10);
}

}  // namespace sandbox

// `sandbox gc`: removes what runs whose supervisor died (SIGKILL, power loss) left behind.
#include <fmt/core.h>

#include "cgroup/cgroup.hpp"
#include "commands.hpp"
#include "network.hpp"

namespace sandbox::cli {

int gc_command() {
  const auto host = cgroup::detect();
  for (const auto& path : cgroup::collect_stale(host)) fmt::print("removed cgroup {}\n", path);
  for (const auto& device : net::collect_stale()) fmt::print("removed device {}\n", device);
  return 0;
}

}  // namespace sandbox::cli

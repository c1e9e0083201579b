// `sandbox gc`: removes what runs whose supervisor died (SIGKILL, power loss) left behind.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "cgroup/cgroup.hpp"
#include "commands.hpp"
#include "network.hpp"

namespace sandbox::cli {

void add_gc_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "gc", "Remove cgroups and network devices of sandboxes whose supervisor is gone");
  cmd->callback([&exit_code] {
    const auto host = cgroup::detect();
    for (const auto& path : cgroup::collect_stale(host)) fmt::print("removed cgroup {}\n", path);
    for (const auto& device : net::collect_stale()) fmt::print("removed device {}\n", device);
    exit_code = 0;
  });
}

}  // namespace sandbox::cli

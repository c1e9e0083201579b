// detect()'s probes: whether each controller of a Host is usable (we may create child groups in
// our cgroup and write their limits), why not, and which feature files our cgroup has. Internal.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup {

// What detect() probes. By default everything (sandbox check, explain, a caller without a plan).
struct ProbeScope {
  std::optional<std::set<std::string>> controllers;  // nullopt: every controller
  bool memory_files = true;  // memory.limit_in_bytes and memory.memsw.limit_in_bytes (swap, v1)
  bool io_files = true;      // io.weight, io.bfq.weight, blkio.weight, blkio.bfq.weight
};

// The scope of a run whose groups have these limits: the controllers they write to, the
// accounting ones and the freezer; feature files only for a swap limit or an io weight.
ProbeScope scope_for(const std::vector<Limits>& limits_in_run);

// Why a controller detect() left out of its scope is not usable: it was not asked.
inline constexpr const char* kNotProbed = "not probed (no limit of this run needs it)";

// Probes every controller of `host` that parse::describe() left without a why_not, within
// `scope` (the others get kNotProbed), and sets Host::unified_writable. `v2_root_controllers` is
// the cgroup2 root's cgroup.controllers, read already.
void probe_controllers(Host& host, const std::string& v2_root_controllers, const ProbeScope& scope);

// Probes one controller step by step, so that each way of failing has its own why_not: the slow
// path, for a controller the quick checks did not find usable, or one left out of the scope
// whose reason an error message needs after all.
void probe(Controller& controller);

}  // namespace cgroup

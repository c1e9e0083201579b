// Resource limits of a job (setrlimit), by the names policies use ("nofile", "as", ...).
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox {

// RLIMIT_* for a policy name: nofile nproc core fsize stack as cpu data memlock msgqueue nice
// rtprio rttime sigpending locks. nullopt when unknown.
std::optional<int> rlimit_resource(std::string_view name);

struct RlimitSetting {
  int resource = 0;
  std::string name;
  rlimit value{};
};

// Soft and hard limits both set to the policy's value. `inherited_nofile` is the caller's own
// RLIMIT_NOFILE before the supervisor raised it for itself: jobs get it back unless the policy
// sets nofile. Throws Error(invalid_policy) for an unknown name.
std::vector<RlimitSetting> plan_rlimits(const std::map<std::string, uint64_t>& limits,
                                        const rlimit& inherited_nofile);

// Throws SystemError naming the limit ("rlimit nofile=65536: Operation not permitted").
void apply_rlimits(const std::vector<RlimitSetting>& settings);

}  // namespace sandbox

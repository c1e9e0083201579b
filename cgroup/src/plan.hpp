// translate() with the name of the limit each write comes from, so that applying can raise
// Unsupported (or skip an optional limit) when the kernel lacks the file. Internal.
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup {

struct PlannedSetting {
  Setting setting;
  std::string limit;  // the name used in Limits::optional ("memory", "swap", ...)
};

std::vector<PlannedSetting> plan_settings(const Limits& limits, const Host& host);

bool is_optional(const Limits& limits, const std::string& limit);

}  // namespace cgroup

#include "rlimits.hpp"

#include "sys_error.hpp"

namespace sandbox {

namespace {
struct Named {
  std::string_view name;
  int resource;
};
constexpr Named kResources[] = {
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},
    {"core", RLIMIT_CORE},       {"fsize", RLIMIT_FSIZE},
    {"stack", RLIMIT_STACK},     {"as", RLIMIT_AS},
    {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},       {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
    {"locks", RLIMIT_LOCKS},
};
}  // namespace

std::optional<int> rlimit_resource(std::string_view name) {
  for (const auto& named : kResources) {
    if (named.name == name) return named.resource;
  }
  return std::nullopt;
}

std::vector<RlimitSetting> plan_rlimits(const std::map<std::string, uint64_t>& limits,
                                        const rlimit& inherited_nofile) {
  std::vector<RlimitSetting> settings;
  for (const auto& [name, value] : limits) {
    const auto resource = rlimit_resource(name);
    if (!resource) throw Error(exit_code::invalid_policy, "rlimit " + name + ": unknown limit");
    const rlim_t limit = value == UINT64_MAX ? RLIM_INFINITY : static_cast<rlim_t>(value);
    settings.push_back({*resource, name, rlimit{limit, limit}});
  }
  if (!limits.contains("nofile")) settings.push_back({RLIMIT_NOFILE, "nofile", inherited_nofile});
  return settings;
}

void apply_rlimits(const std::vector<RlimitSetting>& settings) {
  for (const auto& setting : settings) {
    if (setrlimit(static_cast<__rlimit_resource>(setting.resource), &setting.value) != 0) {
      throw SystemError("rlimit " + setting.name + "=" + std::to_string(setting.value.rlim_cur),
                        errno);
    }
  }
}

}  // namespace sandbox

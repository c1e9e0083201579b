#include "process.hpp"

#include <string>

#include "cgroup/parse.hpp"
#include "fs.hpp"

namespace cgroup {

std::optional<uint64_t> process_starttime(pid_t pid) {
  const auto stat = fs::read_record_if_exists("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return std::nullopt;
  }
  return parse::stat_starttime(*stat);
}

}  // namespace cgroup

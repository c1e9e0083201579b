#include "cgroup_join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "sys_error.hpp"

namespace sandbox {

CgroupJoin prepare_cgroup_join(const cgroup::Group& group) {
  CgroupJoin join;
  // Each `tasks` file relative to its group's open directory: no walk from /sys again.
  for (const auto& dir : group.v1_directories()) {
    std::string file = dir.path + "/tasks";
    UniqueFd fd(check(::openat(dir.fd, "tasks", O_WRONLY | O_CLOEXEC), "open " + file));
    join.tasks.push_back({std::move(file), std::move(fd)});
  }
  join.parent_attaches = group.paths().contains("unified") && group.clone_into_fd() < 0;
  return join;
}

void join_cgroups(const CgroupJoin& join) {
  for (const auto& tasks : join.tasks) {
    if (write(tasks.fd.get(), "0", 1) != 1) throw_errno("join cgroup: write " + tasks.path);
  }
}

}  // namespace sandbox

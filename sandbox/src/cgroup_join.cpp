#include "cgroup_join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "sys_error.hpp"

namespace sandbox {

CgroupJoin prepare_cgroup_join(const cgroup::Host& host, const cgroup::Group& group) {
  CgroupJoin join;
  std::set<std::string> files;
  bool has_v2 = false;
  for (const auto& [controller, path] : group.paths()) {
    const auto found = host.controllers.find(controller);
    if (controller == "unified" ||
        (found != host.controllers.end() && found->second.version == 2)) {
      has_v2 = true;
      continue;
    }
    if (found == host.controllers.end()) continue;
    files.insert(found->second.mount + path + "/tasks");  // co-mounted controllers: one file
  }
  for (const auto& file : files) {
    join.tasks.push_back(
        {file, UniqueFd(check(::open(file.c_str(), O_WRONLY | O_CLOEXEC), "open " + file))});
  }
  join.parent_attaches = has_v2 && group.clone_into_fd() < 0;
  return join;
}

void join_cgroups(const CgroupJoin& join) {
  for (const auto& tasks : join.tasks) {
    if (write(tasks.fd.get(), "0", 1) != 1) throw_errno("join cgroup: write " + tasks.path);
  }
}

}  // namespace sandbox

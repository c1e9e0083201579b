#include "libcgroup.hpp"

#include <libcgroup.h>

#include <memory>
#include <mutex>

namespace cgroup_libcgroup {

namespace {

struct CgroupDeleter {
  void operator()(::cgroup* group) const { cgroup_free(&group); }
};
using CgroupPtr = std::unique_ptr<::cgroup, CgroupDeleter>;

// libcgroup names groups relative to each controller's mount, without the leading '/'. Null when
// libcgroup cannot allocate it or does not know a controller.
CgroupPtr new_group(const std::string& path, const std::vector<std::string>& controllers) {
  const std::string name = path.empty() || path[0] != '/' ? path : path.substr(1);
  CgroupPtr group{cgroup_new_cgroup(name.c_str())};
  if (!group) {
    return nullptr;
  }
  for (const std::string& controller : controllers) {
    if (!cgroup_add_controller(group.get(), controller.c_str())) {
      return nullptr;
    }
  }
  return group;
}

}  // namespace

int init() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = cgroup_init(); });
  return result;
}

int delete_recursive(const std::string& path, const std::vector<std::string>& controllers) {
  if (int rc = init(); rc != 0) {
    return rc;
  }
  CgroupPtr group = new_group(path, controllers);
  return group ? cgroup_delete_cgroup_ext(group.get(),
                                          CGFLAG_DELETE_RECURSIVE | CGFLAG_DELETE_IGNORE_MIGRATION)
               : ECGINVAL;
}

std::string message(int code) {
  return cgroup_strerror(code);
}

}  // namespace cgroup_libcgroup

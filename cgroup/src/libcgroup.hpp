// The part of libcgroup the module uses: deleting stale groups, off the hot path (libcgroup's
// create chowns every file of a new group and costs 1-10 ms where mkdir+write cost tens of us).
//
// libcgroup declares a global `struct cgroup`, which clashes with our `namespace cgroup`: its
// header can only be included by libcgroup.cpp, so this interface speaks in return codes and
// lives in a namespace of its own. Internal.
#pragma once

#include <string>
#include <vector>

namespace cgroup_libcgroup {

// cgroup_init() once per process (it scans the mount table; about 1 ms). 0 or a libcgroup code.
int init();

// Deletes `path` and its subgroups in the hierarchy of `controllers`. The code is not to be
// trusted (on v2 it reports ENOENT for a group it removed): callers check the directory.
int delete_recursive(const std::string& path, const std::vector<std::string>& controllers);

// libcgroup's text for a code.
std::string message(int code);

}  // namespace cgroup_libcgroup

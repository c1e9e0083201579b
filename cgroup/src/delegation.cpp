#include "delegation.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "cgroup/parse.hpp"
#include "fs.hpp"
#include "hierarchies.hpp"

namespace cgroup {

namespace {

// What this process changed in its own v2 cgroup, while run groups exist below it.
struct Lease {
  std::mutex mutex;
  int runs = 0;
  std::string where;                 // our cgroup, absolute path
  std::vector<std::string> enabled;  // controllers we added to its cgroup.subtree_control
  bool moved = false;                // we moved into <where>/supervisor
};

Lease& lease() {
  static Lease instance;
  return instance;
}

// Undoes what the lease recorded, as far as nothing else depends on it. Called with the lock held.
void restore(Lease& state) {
  fs::Fd dir = fs::open_dir_if_exists(state.where);
  if (dir && !state.enabled.empty()) {
    std::string request;
    for (const std::string& controller : state.enabled) {
      request += (request.empty() ? "-" : " -") + controller;
    }
    if (fs::try_write_at(dir.get(), "cgroup.subtree_control", request) != 0) {
      return;  // still in use by groups that are not ours: leave everything as it is
    }
  }
  state.enabled.clear();
  if (dir && state.moved) {
    if (fs::try_write_at(dir.get(), "cgroup.procs", std::to_string(::getpid())) != 0) {
      return;
    }
    ::unlinkat(dir.get(), kSupervisorLeaf, AT_REMOVEDIR);  // EBUSY: our children are still in it
  }
  state.moved = false;
}

}  // namespace

int enable_controllers(int dir, const std::string& where,
                       const std::vector<std::string>& controllers,
                       std::vector<std::string>* enabled) {
  const std::string current = fs::read_at(dir, "cgroup.subtree_control", where);
  std::string request;
  std::vector<std::string> added;
  for (const std::string& controller : controllers) {
    if (!parse::contains_word(current, controller)) {
      request += (request.empty() ? "+" : " +") + controller;
      added.push_back(controller);
    }
  }
  if (request.empty()) {
    return 0;
  }
  const int err = fs::try_write_at(dir, "cgroup.subtree_control", request);
  if (err == 0 && enabled) {
    enabled->insert(enabled->end(), added.begin(), added.end());
  }
  return err;
}

void throw_enable_failed(const std::string& where, int err) {
  if (err == EBUSY) {
    throw Error("enable controllers in " + where +
                "/cgroup.subtree_control: the group has processes of its own (cgroup v2 gives "
                "controllers to children only in groups without processes); run sandbox in a "
                "cgroup of its own or pass a cgroup parent");
  }
  fs::throw_errno("enable controllers in " + where + "/cgroup.subtree_control", err);
}

void acquire_our_cgroup(const std::string& where, const std::vector<std::string>& controllers) {
  Lease& state = lease();
  std::lock_guard lock(state.mutex);
  if (state.runs == 0) {
    state.where = where;
  }
  // Only changes to the cgroup the lease is about are undone later.
  std::vector<std::string> ignored;
  std::vector<std::string>* enabled = where == state.where ? &state.enabled : &ignored;
  const fs::Fd dir = fs::open_dir(where);
  try {
    int err = enable_controllers(dir.get(), where, controllers, enabled);
    if (err == EBUSY) {
      // We (and maybe others) are in it. Move this process into the leaf and retry.
      const std::string leaf = where + "/" + kSupervisorLeaf;
      if (::mkdirat(dir.get(), kSupervisorLeaf, 0755) != 0 && errno != EEXIST) {
        fs::throw_errno("mkdir " + leaf);
      }
      state.moved = state.moved || where == state.where;
      fs::write_at(fs::open_dir(leaf).get(), "cgroup.procs", std::to_string(::getpid()), leaf);
      err = enable_controllers(dir.get(), where, controllers, enabled);
    }
    if (err != 0) {
      throw_enable_failed(where, err);
    }
  } catch (...) {
    if (state.runs == 0) {
      restore(state);
    }
    throw;
  }
  ++state.runs;
}

void release_our_cgroup() noexcept {
  Lease& state = lease();
  std::lock_guard lock(state.mutex);
  if (state.runs > 0 && --state.runs == 0) {
    try {
      restore(state);
    } catch (...) {
      // Best effort: a leaf left behind is removed by collect_stale once it is empty.
    }
  }
}

}  // namespace cgroup

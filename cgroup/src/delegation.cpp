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

// Moves every process of the group `from` into the group `to`; processes that exit meanwhile are
// skipped. Returns how many were moved.
int move_processes(const std::string& from, const std::string& to) {
  const auto procs = fs::read_file_if_exists(from + "/cgroup.procs");
  const fs::Fd target = fs::open_dir(to);
  int moved = 0;
  for (pid_t pid : parse::pids(procs.value_or(""))) {
    const int err = fs::try_write_at(target.get(), "cgroup.procs", std::to_string(pid));
    if (err == 0) {
      ++moved;
    } else if (err != ESRCH) {
      fs::throw_errno("move process " + std::to_string(pid) + " into " + to, err);
    }
  }
  return moved;
}

// Undoes what the lease recorded, unless other groups still live beside the leaf (another
// supervisor's run): then everything is left as it is. Called with the lock held.
void restore(Lease& state) {
  fs::Fd dir = fs::open_dir_if_exists(state.where);
  if (!dir) {
    return;
  }
  for (const std::string& sub : fs::subdirectories(state.where)) {
    if (sub != kSupervisorLeaf) {
      return;
    }
  }
  if (!state.enabled.empty()) {
    std::string request;
    for (const std::string& controller : state.enabled) {
      request += (request.empty() ? "-" : " -") + controller;
    }
    if (fs::try_write_at(dir.get(), "cgroup.subtree_control", request) != 0) {
      return;
    }
    state.enabled.clear();
  }
  if (state.moved) {
    // Everyone in the leaf goes back: they were in our cgroup, or are children of those who were.
    const std::string leaf = state.where + "/" + kSupervisorLeaf;
    move_processes(leaf, state.where);
    ::unlinkat(dir.get(), kSupervisorLeaf, AT_REMOVEDIR);  // EBUSY: someone forked meanwhile
    state.moved = false;
  }
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
      // Processes are in it: us, and maybe the shell that started us. Move this process into the
      // leaf, then (if that is not enough) every other process of our cgroup too: they stay inside
      // our cgroup, one level down, and move back when the last run group is gone.
      const std::string leaf = where + "/" + kSupervisorLeaf;
      if (::mkdirat(dir.get(), kSupervisorLeaf, 0755) != 0 && errno != EEXIST) {
        fs::throw_errno("mkdir " + leaf);
      }
      state.moved = state.moved || where == state.where;
      fs::write_at(fs::open_dir(leaf).get(), "cgroup.procs", std::to_string(::getpid()), leaf);
      err = enable_controllers(dir.get(), where, controllers, enabled);
      for (int round = 0; err == EBUSY && round < 3; ++round) {
        move_processes(where, leaf);  // a few rounds: they may fork meanwhile
        err = enable_controllers(dir.get(), where, controllers, enabled);
      }
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

#include "delegation.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <sstream>

#include "cgroup/parse.hpp"
#include "fs.hpp"
#include "hierarchies.hpp"

namespace cgroup {

namespace {

// What this process changed in its own v2 cgroup, while run groups exist below it.
struct Lease {
  std::mutex mutex;
  int runs = 0;
  std::string where;  // our cgroup, absolute path
  // `where` itself, flock(LOCK_SH) while runs > 0. A supervisor's SIGKILL closes it: whoever gets
  // it exclusively (collect_stale, or the last supervisor leaving) knows that no live supervisor
  // needs the leaf or the controllers any more.
  fs::Fd lock;
  std::vector<std::string> enabled;  // controllers we added to its cgroup.subtree_control
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

// True when nothing but the leaf (itself without subgroups) lives below `where`: no run group
// needs the controllers of `where` any more.
bool only_leaf_below(const std::string& where) {
  for (const std::string& sub : fs::subdirectories(where)) {
    if (sub != kSupervisorLeaf) {
      return false;
    }
  }
  return fs::subdirectories(where + "/" + kSupervisorLeaf).empty();
}

// Writes "-a -b" for `controllers` to the subtree_control of `dir`. Returns 0 or the errno.
int disable_controllers(int dir, const std::vector<std::string>& controllers) {
  std::string request;
  for (const std::string& controller : controllers) {
    request += (request.empty() ? "-" : " -") + controller;
  }
  return request.empty() ? 0 : fs::try_write_at(dir, "cgroup.subtree_control", request);
}

// Moves everyone in the leaf back into `where` and removes the leaf: they were in `where`, or are
// children of those who were. `where` must have no controllers left in its subtree_control (a
// group with controllers for its children takes no processes). True when the leaf is gone.
bool return_from_leaf(int dir, const std::string& where) {
  const std::string leaf = where + "/" + kSupervisorLeaf;
  for (int round = 0; round < 3; ++round) {  // a few rounds: they may fork meanwhile
    move_processes(leaf, where);
    if (::unlinkat(dir, kSupervisorLeaf, AT_REMOVEDIR) == 0 || errno == ENOENT) {
      return true;
    }
    if (errno != EBUSY) {
      fs::throw_errno("rmdir " + leaf);
    }
  }
  return false;
}

// Puts `where` back as it was before any supervisor lent it to run groups. The caller holds it
// locked exclusively (no live supervisor needs it) and checked that no group but the leaf is
// below it. With a leaf, every controller now enabled for children goes: `where` had processes
// when a supervisor made the leaf, so it had none enabled then (outside the root the kernel
// forbids both at once). Without one (`where` had no processes of its own: the root) only
// `ours`, those this process enabled, go.
void put_back(int dir, const std::string& where, const std::vector<std::string>& ours) {
  const bool leaf = fs::exists_at(dir, kSupervisorLeaf);
  std::vector<std::string> controllers = ours;
  if (leaf) {
    controllers.clear();
    std::istringstream words(fs::read_at(dir, "cgroup.subtree_control", where));
    for (std::string word; words >> word;) {
      controllers.push_back(word);
    }
  }
  if (const int err = disable_controllers(dir, controllers); err != 0) {
    fs::throw_errno("disable controllers in " + where + "/cgroup.subtree_control", err);
  }
  if (leaf && !return_from_leaf(dir, where)) {
    throw Error("rmdir " + where + "/" + kSupervisorLeaf + ": its processes keep forking");
  }
}

// Undoes what this process's lease changed, unless another supervisor still holds a lease on our
// cgroup or other groups still live beside the leaf: then everything is left as it is (the last
// supervisor out, or collect_stale, puts it back). Called with the lease's mutex held.
void restore(Lease& state) {
  fs::Fd dir = fs::open_dir_if_exists(state.where);
  if (!dir || !state.lock) {
    return;
  }
  // A failed conversion drops our shared lock, so of two supervisors leaving at once one wins.
  if (::flock(state.lock.get(), LOCK_EX | LOCK_NB) == 0 && only_leaf_below(state.where)) {
    put_back(dir.get(), state.where, state.enabled);
  }
  state.enabled.clear();
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
    fs::Fd held = fs::open_dir(where);
    // Blocks only while a collector or a leaving supervisor puts the cgroup back (milliseconds).
    while (::flock(held.get(), LOCK_SH) != 0) {
      if (errno != EINTR) {
        fs::throw_errno("flock " + where);
      }
    }
    state.where = where;
    state.lock = std::move(held);
  }
  // Only changes to the cgroup the lease is about are undone later.
  std::vector<std::string> ignored;
  std::vector<std::string>* enabled = where == state.where ? &state.enabled : &ignored;
  // The lease's fd is this cgroup's directory already (a second cgroup gets one of its own).
  fs::Fd other;
  if (where != state.where) {
    other = fs::open_dir(where);
  }
  const int dir = other ? other.get() : state.lock.get();
  try {
    int err = enable_controllers(dir, where, controllers, enabled);
    if (err == EBUSY) {
      // Processes are in it: us, and maybe the shell that started us. Move this process into the
      // leaf, then (if that is not enough) every other process of our cgroup too: they stay inside
      // our cgroup, one level down, and move back when the last run group is gone.
      const std::string leaf = where + "/" + kSupervisorLeaf;
      if (::mkdirat(dir, kSupervisorLeaf, 0755) != 0 && errno != EEXIST) {
        fs::throw_errno("mkdir " + leaf);
      }
      fs::write_at(fs::open_dir(leaf).get(), "cgroup.procs", std::to_string(::getpid()), leaf);
      err = enable_controllers(dir, where, controllers, enabled);
      for (int round = 0; err == EBUSY && round < 3; ++round) {
        move_processes(where, leaf);  // a few rounds: they may fork meanwhile
        err = enable_controllers(dir, where, controllers, enabled);
      }
    }
    if (err != 0) {
      throw_enable_failed(where, err);
    }
  } catch (...) {
    if (state.runs == 0) {
      try {
        restore(state);
      } catch (...) {
        // The first failure is the one to report; collect_stale puts back what is left.
      }
      state.lock = fs::Fd{};
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
      // Best effort: a leaf left behind is put back by collect_stale.
    }
    state.lock = fs::Fd{};
  }
}

bool collect_abandoned_leaf(const std::string& where) {
  // Most runs find no leaf: one lookup by path says so (another failure takes the long way, for
  // its message).
  if (!fs::exists(where + "/" + kSupervisorLeaf) && errno == ENOENT) {
    return false;
  }
  fs::Fd dir = fs::open_dir_if_exists(where);
  if (!dir || !fs::exists_at(dir.get(), kSupervisorLeaf)) {
    return false;
  }
  // Exclusive: no live supervisor holds a lease on `where` (this process's own lease included:
  // flock locks of different open files conflict). Released when `dir` is closed.
  if (::flock(dir.get(), LOCK_EX | LOCK_NB) != 0 || !only_leaf_below(where)) {
    return false;
  }
  put_back(dir.get(), where, {});
  return true;
}

}  // namespace cgroup

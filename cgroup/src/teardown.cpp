// Teardown of a group: rmdir children before parents in every hierarchy; where a directory is busy
// with processes, kill every process (cgroup.kill, else freeze + SIGKILL + thaw), wait until
// empty, and remove it then.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <thread>
#include <utility>

#include "cgroup/parse.hpp"
#include "delegation.hpp"
#include "impl.hpp"

namespace cgroup {

using Clock = std::chrono::steady_clock;

namespace {

// Polls `done` with a growing sleep (50 us .. 10 ms) until it holds or `deadline` passes.
template <typename Predicate>
bool wait_until(Clock::time_point deadline, Predicate done) {
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (done()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

// v2: the subtree has live processes ("populated 1" in cgroup.events). A removed group is empty.
bool populated(const Dir& dir) {
  const auto events = fs::read_record_at_if_exists(dir.fd.get(), "cgroup.events");
  return events && parse::flat_keyed(*events)["populated"] != 0;
}

// v2: waits until the subtree is empty. cgroup.events notifies POLLPRI when "populated" changes,
// but the kernel rate-limits that to one notification per 10 ms per file, so the wait also
// re-reads on a growing timer (50 us .. 10 ms), whichever comes first.
bool wait_unpopulated(const Dir& dir, Clock::time_point deadline) {
  const fs::Fd events{::openat(dir.fd.get(), "cgroup.events", O_RDONLY | O_CLOEXEC)};
  if (!events) {
    return errno == ENOENT;  // removed: nothing left in it
  }
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    char text[256];
    const ssize_t n = ::pread(events.get(), text, sizeof text - 1, 0);  // also re-arms the poll
    if (n < 0) {
      return errno == ENODEV || errno == ENOENT;
    }
    text[n] = '\0';
    if (parse::flat_keyed(text)["populated"] == 0) {
      return true;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return false;
    }
    const auto wait = std::min<Clock::duration>(pause, deadline - now);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec timeout{static_cast<time_t>(ns / 1000000000),
                           static_cast<long>(ns % 1000000000)};
    pollfd changed{events.get(), POLLPRI, 0};
    if (::ppoll(&changed, 1, &timeout, nullptr) < 0 && errno != EINTR) {
      fs::throw_errno("poll " + dir.full() + "/cgroup.events");
    }
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

// Every process in the group at `path` and its subgroups.
void collect_procs(const std::string& path, std::set<pid_t>& out) {
  if (const auto procs = fs::read_file_if_exists(path + "/cgroup.procs")) {
    for (pid_t pid : parse::pids(*procs)) {
      out.insert(pid);
    }
  }
  const std::string prefix = path + "/";
  for (const std::string& sub : fs::subdirectories(path)) {
    collect_procs(prefix + sub, out);
  }
}

// Freezes (or thaws) the group so that it cannot fork while being killed; waits a little for the
// freeze to settle but goes on without it (a task in uninterruptible sleep may hold it up, and
// SIGKILL still reaches it on thaw).
void set_frozen(const Dir& dir, bool frozen, Clock::time_point deadline) {
  const bool v1 = dir.version == 1;
  const char* file = v1 ? "freezer.state" : "cgroup.freeze";
  const char* value = v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
  if (int err = fs::try_write_at(dir.fd.get(), file, value); err != 0) {
    if (err == ENOENT) {
      return;  // removed meanwhile, or no freezer file: killing still works, only slower
    }
    fs::throw_errno("write " + dir.full() + "/" + file + " = " + value, err);
  }
  if (!frozen) {
    return;
  }
  const auto settle = std::min(deadline, Clock::now() + std::chrono::milliseconds(200));
  wait_until(settle, [&] {
    if (v1) {
      const auto state = fs::read_record_at_if_exists(dir.fd.get(), "freezer.state");
      return !state || state->rfind("FROZEN", 0) == 0;
    }
    const auto events = fs::read_record_at_if_exists(dir.fd.get(), "cgroup.events");
    return !events || parse::flat_keyed(*events)["frozen"] == 1;
  });
}

// Removes `path`, its subgroups first. The common case costs one rmdir. EBUSY means subgroups or
// tasks: then the subgroups are removed, and while tasks remain `on_busy` runs once (to kill them)
// and exiting tasks are waited for until `deadline`.
void remove_tree(const std::string& path, Clock::time_point deadline,
                 const std::function<void()>& on_busy) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) {
    return;
  }
  if (errno != EBUSY) {
    fs::throw_errno("rmdir " + path);
  }
  const std::string prefix = path + "/";
  for (const std::string& sub : fs::subdirectories(path)) {
    remove_tree(prefix + sub, deadline, on_busy);
  }
  bool removed = false, busy_handled = false;
  int err = 0;
  wait_until(deadline, [&] {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) {
      return removed = true;
    }
    err = errno;
    if (err == EBUSY && !busy_handled) {
      busy_handled = true;
      on_busy();
    }
    return err != EBUSY;  // anything but "busy" will not get better by waiting
  });
  if (!removed) {
    fs::throw_errno("rmdir " + path, err);
  }
}

}  // namespace

bool Dir::serves(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string join_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

const Dir* Group::Impl::dir_for(const std::string& controller) const {
  for (const Dir& dir : dirs) {
    if (dir.serves(controller)) {
      return &dir;
    }
  }
  return nullptr;
}

const Dir* Group::Impl::v2_dir() const {
  for (const Dir& dir : dirs) {
    if (dir.version == 2) {
      return &dir;
    }
  }
  return nullptr;
}

bool Group::Impl::empty() const {
  for (const Dir& dir : dirs) {
    if (dir.version == 2) {
      if (populated(dir)) {
        return false;
      }
      continue;
    }
    std::set<pid_t> procs;
    collect_procs(dir.full(), procs);
    if (!procs.empty()) {
      return false;
    }
  }
  return true;
}

void Group::Impl::kill_all(Clock::time_point deadline, bool trust_v2) {
  const Dir* v2 = v2_dir();
  if (v2 && !populated(*v2)) {
    // Nothing to kill there: an empty group stays empty, since only its own processes could fork
    // into it. (A removed group reads as empty too.)
    if (trust_v2 || dirs.size() == 1) {
      return;
    }
  } else if (v2) {
    // One write kills the whole subtree, including processes that fork meanwhile (5.14+). ENOENT:
    // no cgroup.kill (older kernels), or the group was removed meanwhile; the checks below tell.
    if (int err = fs::try_write_at(v2->fd.get(), "cgroup.kill", "1"); err == 0) {
      if (wait_unpopulated(*v2, deadline) && (trust_v2 || dirs.size() == 1)) {
        return;
      }
    } else if (err != ENOENT) {
      fs::throw_errno("write " + v2->full() + "/cgroup.kill", err);
    }
  }
  if (empty()) {
    return;
  }
  // No cgroup.kill (v1, v2 before 5.14) or a process that is only in v1 hierarchies: freeze so
  // nothing can fork, SIGKILL every process, thaw so the signals are delivered, until empty.
  const Dir* freezer = dir_for("freezer");
  if (!freezer && v2 && fs::exists_at(v2->fd.get(), "cgroup.freeze")) {
    freezer = v2;
  }
  const pid_t self = ::getpid();
  for (;;) {
    if (freezer) {
      set_frozen(*freezer, true, deadline);
    }
    std::set<pid_t> procs;
    for (const Dir& dir : dirs) {
      collect_procs(dir.full(), procs);
    }
    for (pid_t pid : procs) {
      if (pid > 1 && pid != self && ::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        fs::throw_errno("kill " + std::to_string(pid) + " in cgroup " + dirs.front().full());
      }
    }
    if (freezer) {
      set_frozen(*freezer, false, deadline);
    }
    const auto round = std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
    if (wait_until(round, [&] { return empty(); })) {
      return;
    }
    if (Clock::now() >= deadline) {
      throw Error("cgroup " + dirs.front().full() + ": processes still alive after SIGKILL");
    }
  }
}

bool Group::Impl::remove_if_empty() {
  // In reverse, as remove() does: the cgroup2 directory (cgroup.kill) goes last. A directory that
  // went was empty and stays gone (only a migration can put a process into a group), so stopping
  // at the first busy one leaves nothing inconsistent behind.
  for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) {
    if (::rmdir(dir->full().c_str()) != 0 && errno != ENOENT) {
      if (errno == EBUSY) {
        return false;
      }
      fs::throw_errno("rmdir " + dir->full());
    }
  }
  dirs.clear();
  return true;
}

void Group::Impl::remove(Clock::time_point deadline) {
  std::string failures;
  bool killed_again = false;
  // The first directory that stays busy holds processes: kill everything, in every hierarchy (not
  // trusting an empty v2 group, since a process may be attached to v1 hierarchies only), once.
  // The kernel refuses to remove a group with processes ("only migration can raise populated from
  // zero", cgroup_destroy_locked), so a directory that went was empty and stays gone.
  const auto kill_the_rest = [&] {
    if (!std::exchange(killed_again, true)) {
      kill_all(deadline, false);
    }
  };
  for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) {
    try {
      remove_tree(dir->full(), deadline, kill_the_rest);
    } catch (const Error& error) {
      failures += (failures.empty() ? "" : "; ") + std::string(error.what());
    }
  }
  if (!failures.empty()) {
    throw Error(failures);
  }
}

Group::Impl::~Impl() {
  if (dirs.empty()) {
    if (holds_our_cgroup) {
      release_our_cgroup();
    }
    return;
  }
  const auto deadline = Clock::now() + kTeardownTimeout;
  try {
    // No kill first: rmdir refuses a group that holds a process (EBUSY), and remove() then kills
    // everything in every hierarchy before it tries again. A run's groups are empty by now as a
    // rule (its pid 1 reaped, and its pid namespace with it), so that saves a read of
    // cgroup.events, a write to cgroup.kill, or on v1 a scan of every cgroup.procs.
    remove(deadline);
  } catch (const std::exception& error) {
    (void)std::fprintf(stderr, "sandbox: cgroup teardown: %s\n", error.what());
  }
  if (holds_our_cgroup) {
    release_our_cgroup();
  }
}

}  // namespace cgroup

// The cgroup module's public interface: host layout discovery, limits in kernel terms, and an
// RAII group that jobs are placed in, limited by, accounted by, and torn down with.
//
// Knows nothing of policies: the runtime translates a policy into cgroup::Limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cgroup {

enum class Layout { unified, hybrid, legacy };
std::string to_string(Layout layout);

// One controller as this process can use it.
struct Controller {
  std::string name;       // cpu, cpuacct, cpuset, memory, pids, io/blkio, freezer, hugetlb
  int version = 1;        // 1 or 2
  std::string mount;      // where its hierarchy is mounted
  std::string our_path;   // the cgroup this process is in, relative to the mount ("/a/b")
  bool usable = false;    // we can create child groups and write their limits
  std::string why_not;    // when !usable: what is missing ("not enabled in subtree_control", ...)
  // The interface files that tell kernel features apart ("memory.memsw.limit_in_bytes",
  // "io.bfq.weight", ...) that our cgroup has. May be incomplete (a root cgroup hides most files):
  // a file that is not listed is only taken as missing where the text says so.
  std::set<std::string> files;
};

struct Host {
  Layout layout = Layout::unified;
  std::string unified_mount;             // the cgroup2 mount, empty if none
  std::string unified_path;              // our cgroup in it
  // We may create groups in our cgroup2 cgroup: what decides, where it has no controllers for us
  // (hybrid), whether a run still gets a cgroup2 group (cgroup.kill, CLONE_INTO_CGROUP).
  bool unified_writable = false;
  std::map<std::string, Controller> controllers;  // by name
  // "major:minor" of every block device, for io_max; unset: translate() asks /sys/dev/block.
  std::optional<std::set<std::string>> block_devices;
  bool has(const std::string& controller) const;  // present and usable
};

struct Limits;

// Reads /proc/self/mountinfo and /proc/self/cgroup and probes our cgroup in every hierarchy;
// cheap, call once.
Host detect();
// The same for a run whose groups will have these limits (RunGroupSpec::limits_in_run): it
// probes only the controllers the run can use (those the limits write to, the accounting ones
// and the freezer) and a feature file only where a limit depends on it. The other controllers
// are left unusable, their why_not saying that they were not probed: such a Host serves that
// run, not `sandbox check`.
Host detect(const std::vector<Limits>& limits_in_run);

// Errors carry the path or controller that failed, ready to print on one line.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Raised when a limit cannot be enforced on this host (missing controller or file).
struct Unsupported : Error {
  std::string limit;  // "memory", "swap", "io", "cpuset", ...
  Unsupported(std::string limit_name, const std::string& what)
      : Error(what), limit(std::move(limit_name)) {}
};

struct CpuMax {
  uint64_t quota_us = 0;
  uint64_t period_us = 100000;
};

struct IoMax {
  std::string device;  // "major:minor"
  std::optional<uint64_t> rbps, wbps, riops, wiops;
};

// Limits in kernel terms, version-neutral. Weights use the v2 scale (1..10000, default 100);
// on v1 they are converted (cpu.shares = weight * 1024 / 100, blkio.weight = weight * 500 / 100
// clamped to 10..1000, as systemd does). docs/cgroups.md has the whole translation table.
struct Limits {
  std::optional<uint64_t> cpu_weight;
  std::optional<CpuMax> cpu_max;
  std::optional<std::string> cpuset_cpus;
  std::optional<uint64_t> memory_max;
  std::optional<uint64_t> memory_high;
  std::optional<uint64_t> swap_max;
  bool oom_group = true;  // the whole job dies on OOM (v2 memory.oom.group)
  std::optional<uint64_t> pids_max;
  std::optional<uint64_t> io_weight;
  std::vector<IoMax> io_max;
  // Limit names that may be skipped where unsupported: "cpu" (cpu_weight), "cpu_max", "cpuset",
  // "memory" (memory_max), "memory_high", "swap", "pids", "io_weight", "io" (io_max; also covers
  // io_weight).
  std::vector<std::string> optional;
};

// One file write that a limit becomes: for `sandbox explain` and for applying.
struct Setting {
  std::string controller;  // hierarchy it is written in
  std::string file;        // "cpu.weight", "cpu.shares", "memory.limit_in_bytes", ...
  std::string value;
};
// The writes `limits` becomes on `host`. Throws Unsupported for a limit the host cannot enforce
// unless it is in limits.optional (then it is left out).
std::vector<Setting> translate(const Limits& limits, const Host& host);

// What a group used; read at the end of a job (peaks where the kernel keeps them).
struct Usage {
  uint64_t cpu_usage_us = 0, cpu_user_us = 0, cpu_system_us = 0;
  uint64_t cpu_throttled_us = 0, cpu_nr_throttled = 0;
  uint64_t memory_current = 0, memory_peak = 0;
  uint64_t oom_kills = 0;  // OOM kills inside the group
  // v2: times the group went over memory.high and its allocations were throttled (memory.events
  // "high"; 0 on v1, which has no memory.high)
  uint64_t memory_high_events = 0;
  uint64_t pids_current = 0, pids_peak = 0;
  uint64_t io_read_bytes = 0, io_write_bytes = 0;
};

// How a run group is made (Group::create_run).
struct RunGroupSpec {
  std::string name;  // the policy's: the group is `sb-<pid>-<starttime>-<name>`
  // Where to make it instead of our own cgroup: absolute from each mount, or relative below our
  // cgroup; it must exist.
  std::optional<std::string> parent;
  // The limits of every group the run will make (its tenants and jobs, or `job_limits`). Given
  // them, the run uses a controller only where it serves: accounting (cpuacct, memory, pids,
  // blkio / io), a controller one of these limits is written to, or freezer where no cgroup2 group
  // can kill. On v1 that leaves whole hierarchies out; on v2 those controllers are not enabled for
  // the run's groups. Without them it uses every controller. Each v1 group costs a mkdir and an
  // rmdir per run, and a cpuset group (v1 or v2) patches kernel text (a static key) on every CPU,
  // twice.
  std::optional<std::vector<Limits>> limits_in_run;
  // Makes the run group its only job's group, with these limits: a run of one job needs no level
  // of its own, and every level is a mkdir and an rmdir in every hierarchy.
  std::optional<Limits> job_limits;
  // Every process the run's groups will hold lives in a pid namespace, which the caller ends by
  // killing its pid 1 (the kernel then kills the whole namespace at once). A cgroup is then not
  // what kills them: no freezer group, and on a hybrid host no controller-less cgroup2 group
  // (there for cgroup.kill, cgroup.events and CLONE_INTO_CGROUP). Both cost a mkdir and an rmdir
  // per run, and the cgroup2 one would hold a process the v1 hierarchies need not hold.
  bool processes_in_pid_namespaces = false;
  // The accounting controllers (cpuacct, pids, blkio / io) for usage(), whatever the limits.
  // Without them a run uses memory (whose oom_kill count tells an OOM kill, with or without a
  // limit) and what its limits need, which must then be given (limits_in_run or job_limits):
  // each v1 hierarchy left out is a mkdir, an rmdir and a join fewer. usage() reads what is there.
  bool accounting = true;
};

// A cgroup (in every hierarchy it needs) owned by this object: created on construction, emptied
// (every process killed) and removed on destruction. Children are removed before parents.
class Group {
 public:
  // A top-level group for one run: `<parent>/sb-<pid>-<starttime>-<name>`, where parent is our own
  // cgroup in each hierarchy (delegation) or `parent_override` when given (absolute: from each
  // mount; relative: below our cgroup; it must exist). On v2 this moves the calling process (and
  // then any other process of our cgroup) into a leaf `<our cgroup>/supervisor` first if that is
  // needed to enable controllers (the "no internal processes" rule); the last run group's
  // destruction moves them back. docs/cgroups.md has the details.
  static std::unique_ptr<Group> create_run(const Host& host, const std::string& name,
                                           const std::optional<std::string>& parent_override = {});
  // The same, shaped by `spec`: only the hierarchies the run needs, and optionally no level of its
  // own for a run of one job (the group is then that job's, with its limits).
  static std::unique_ptr<Group> create_run(const Host& host, const RunGroupSpec& spec);
  // A child group (a tenant or a job) with limits applied.
  std::unique_ptr<Group> create_child(const std::string& name, const Limits& limits);

  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // Moves a process into this group in every hierarchy (v1: before the child execs).
  void attach(pid_t pid);
  // An O_DIRECTORY fd of the v2 group for clone3(CLONE_INTO_CGROUP), or -1 on pure v1 (and when
  // the v2 group cannot take processes with the needed controllers). Owned by the group.
  int clone_into_fd() const;
  // True when clone_into_fd() places the child in every hierarchy that matters (pure v2), so
  // attach() need not be called.
  bool clone_into_is_complete() const;
  // The group's directories in its v1 hierarchies, one per hierarchy, for opening their files
  // relative to them (a short walk): the absolute path, for messages, and an O_DIRECTORY fd owned
  // by the group.
  struct Directory {
    std::string path;
    int fd = -1;
  };
  std::vector<Directory> v1_directories() const;

  // Kills every process in the group and waits (bounded) until it is empty.
  void kill_all();
  // Removes the group's directories now if no process holds them, without killing anything: true
  // when they are gone (the destructor then has nothing left to do), false when a process (or a
  // subgroup) still holds one, which is then left as it is for the destructor's full teardown.
  bool remove_if_empty();
  bool empty() const;
  Usage usage() const;
  // Usage::oom_kills alone (one file for a leaf group): what a run that reports no usage still
  // needs, to tell an OOM kill.
  uint64_t oom_kills() const;
  // Samples peaks that the kernel does not keep (call periodically while jobs run).
  void sample();

  // The directory name: `sb-<pid>-<starttime>-<name>` for a run group, `name` for a child.
  const std::string& name() const { return name_; }
  // Path relative to each hierarchy's mount, e.g. "/process_api/x/sb-12-345-farm/ci".
  std::map<std::string, std::string> paths() const;

  struct Impl;

 private:
  explicit Group(std::unique_ptr<Impl> impl, std::string name);
  std::unique_ptr<Impl> impl_;
  std::string name_;
};

// Removes run groups left by supervisors that died (SIGKILL): `sb-<pid>-<starttime>-*` whose
// process is gone or has another start time. On v2 it then puts back our cgroup as a killed
// supervisor left it lent (controllers enabled, processes in the `supervisor` leaf) once no live
// supervisor uses it and no run group is left below it. Returns the paths removed.
std::vector<std::string> collect_stale(const Host& host);

// Where create_run puts run groups without a parent override, as absolute directories, one per
// hierarchy a group uses: our own cgroup, or on v2 the cgroup around the supervisor leaf when we
// are in it. Also right for a process sharing its cgroup with a supervisor (the supervisor's
// leaf is beside its run groups): tools and tests find a run's groups here.
std::vector<std::string> run_group_parents(const Host& host);

}  // namespace cgroup

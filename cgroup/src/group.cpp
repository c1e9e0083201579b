// Group creation, limits, attaching processes, with mkdirat/openat/write directly: this is the
// per-run and per-job hot path (libcgroup serves discovery and stale-group deletion).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "cgroup/parse.hpp"
#include "delegation.hpp"
#include "hierarchies.hpp"
#include "impl.hpp"
#include "plan.hpp"
#include "probe.hpp"
#include "process.hpp"

namespace cgroup {

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void check_name(const std::string& name) {
  if (!parse::valid_group_name(name)) {
    throw Error("invalid cgroup name '" + name + "' (one component of letters, digits, . _ -)");
  }
}

// v1 cpuset groups start with no CPUs and no memory nodes: copy the parent's so tasks can run.
void copy_cpuset(int parent, const std::string& parent_where, const Dir& child) {
  for (const std::string file : {"cpus", "mems"}) {
    std::string value = trim(fs::read_at(parent, "cpuset." + file, parent_where));
    if (value.empty()) {
      value = trim(fs::read_at(parent, "cpuset.effective_" + file, parent_where));
    }
    fs::write_at(child.fd.get(), "cpuset." + file, value, child.full());
  }
}

// Opens the directory `name` of `parent` (a directory fd, or AT_FDCWD with `name` absolute) that
// was just created; removes it again if that fails, so it is not leaked. `full` names it in errors.
fs::Fd open_created(int parent, const std::string& name, const std::string& full) {
  fs::Fd fd{::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!fd) {
    const int err = errno;
    (void)::unlinkat(parent, name.c_str(), AT_REMOVEDIR);  // best effort: the open failure counts
    fs::throw_errno("open " + full, err);
  }
  return fd;
}

// Makes the run group's directory `full` (`parent_full` + "/" + `name`) by its path and opens it:
// two calls, where opening the parent first made it five (open, a check for an existing group,
// mkdirat, open, close; the longer walk of mkdir by path costs ~2.5 us of the ~7 saved). When
// mkdir fails the parent is opened after all, so that each cause keeps its message: a parent
// that cannot be opened (a missing cgroup parent) first, then a group that exists already.
fs::Fd make_run_dir(const std::string& parent_full, const std::string& name,
                    const std::string& full) {
  if (::mkdir(full.c_str(), 0755) != 0) {
    const int err = errno;
    (void)fs::open_dir(parent_full);  // throws when the parent is what fails
    if (err == EEXIST) {
      throw Error("cgroup " + parent_full + "/" + name + " exists already");
    }
    fs::throw_errno("mkdir " + full, err);
  }
  return open_created(AT_FDCWD, full, full);
}

void apply(const std::vector<PlannedSetting>& planned, const Limits& limits,
           const Group::Impl& group) {
  for (const PlannedSetting& item : planned) {
    const Setting& setting = item.setting;
    const Dir* dir = group.dir_for(setting.controller);
    if (!dir) {
      throw Error("no cgroup directory for controller " + setting.controller + " (writing " +
                  setting.file + ")");
    }
    const int err = fs::try_write_at(dir->fd.get(), setting.file, setting.value);
    if (err == 0) {
      continue;
    }
    if (err == ENOENT) {
      if (is_optional(limits, item.limit)) {
        continue;
      }
      throw Unsupported(item.limit, dir->full() + "/" + setting.file +
                                        " does not exist: this kernel cannot enforce the " +
                                        item.limit + " limit");
    }
    fs::throw_errno("write " + dir->full() + "/" + setting.file + " = " + setting.value, err);
  }
}

// What the report accounts for in every group, whatever its limits (v1 and v2 names).
constexpr std::array<const char*, 5> kAccountingControllers{"cpuacct", "memory", "pids", "blkio",
                                                            "io"};

// The controllers a run needs (RunGroupSpec::limits_in_run); freezer is decided once the cgroup2
// group exists. Without accounting only memory of those: its oom_kill count is how the runtime
// tells that the OOM killer ended a job, with or without a memory limit.
std::set<std::string> needed_controllers(const std::vector<Limits>& limits, const Host& host,
                                         bool accounting) {
  std::set<std::string> needed{"memory"};
  if (accounting) {
    needed.insert(kAccountingControllers.begin(), kAccountingControllers.end());
  }
  for (const Limits& group_limits : limits) {
    for (const PlannedSetting& item : plan_settings(group_limits, host)) {
      needed.insert(item.setting.controller);
    }
  }
  return needed;
}

// The controllers a run uses in `hierarchy`, or nullopt when it leaves the hierarchy out. Without
// a list of needs: all of them. A v1 hierarchy comes whole (co-mounted controllers share it) when
// one of its controllers is needed, or when it is the freezer and nothing else can kill the run's
// processes. In the cgroup2 hierarchy the group is made (cgroup.kill, cgroup.events,
// CLONE_INTO_CGROUP) with only the needed controllers: on v2, cpu and cpuset cost every group
// what they cost on v1 (a cpuset group flips a static key, patching kernel text on every CPU).
// Where pid namespaces end the run's processes, a hybrid host's controller-less cgroup2 group and
// the freezer have nothing to do (RunGroupSpec::processes_in_pid_namespaces).
std::optional<std::vector<std::string>> controllers_used(
    const Hierarchy& hierarchy, const std::optional<std::set<std::string>>& needed,
    const Group::Impl& made_so_far, bool processes_in_pid_namespaces) {
  // What only kills (and places) processes: a hybrid host's controller-less cgroup2 group.
  const auto only_kills = [&](const std::vector<std::string>& used) {
    return processes_in_pid_namespaces && hierarchy.version == 2 && used.empty() &&
           made_so_far.host->layout == Layout::hybrid;
  };
  if (!needed) {
    const bool freezer_only = hierarchy.controllers == std::vector<std::string>{"freezer"};
    if (only_kills(hierarchy.controllers) || (processes_in_pid_namespaces && freezer_only)) {
      return std::nullopt;
    }
    return hierarchy.controllers;
  }
  if (hierarchy.version == 2) {
    std::vector<std::string> used;
    for (const std::string& controller : hierarchy.controllers) {
      if (needed->contains(controller)) {
        used.push_back(controller);
      }
    }
    if (only_kills(used)) {
      return std::nullopt;
    }
    return used;
  }
  for (const std::string& controller : hierarchy.controllers) {
    if (needed->contains(controller)) {
      return hierarchy.controllers;
    }
    if (controller == "freezer" && !processes_in_pid_namespaces) {
      const Dir* v2 = made_so_far.v2_dir();
      if (!v2 || !fs::exists_at(v2->fd.get(), "cgroup.kill")) {
        return hierarchy.controllers;
      }
    }
  }
  return std::nullopt;
}

std::string why_no_hierarchy(const Host& host) {
  std::string why;
  for (const auto& [name, found] : host.controllers) {
    Controller controller = found;
    if (controller.why_not == kNotProbed) {
      controller.why_not.clear();  // left out by a scoped detect(): asked now, for its reason
      probe(controller);
    }
    if (!controller.usable) {
      why += (why.empty() ? "" : "; ") + name + ": " + controller.why_not;
    }
  }
  return why.empty() ? "no cgroup controllers" : why;
}

}  // namespace

Group::Group(std::unique_ptr<Impl> impl, std::string name)
    : impl_(std::move(impl)), name_(std::move(name)) {}

Group::~Group() = default;

std::unique_ptr<Group> Group::create_run(const Host& host, const std::string& name,
                                         const std::optional<std::string>& parent_override) {
  return create_run(host, RunGroupSpec{name, parent_override, std::nullopt, std::nullopt});
}

std::unique_ptr<Group> Group::create_run(const Host& host, const RunGroupSpec& spec) {
  const std::string& name = spec.name;
  const std::optional<std::string>& parent_override = spec.parent;
  check_name(name);
  // Unsupported limits are refused before anything is created.
  std::vector<PlannedSetting> planned;
  if (spec.job_limits) {
    planned = plan_settings(*spec.job_limits, host);
  }
  std::optional<std::set<std::string>> needed;
  if (spec.limits_in_run) {
    needed = needed_controllers(*spec.limits_in_run, host, spec.accounting);
  } else if (spec.job_limits) {
    needed = needed_controllers({*spec.job_limits}, host, spec.accounting);
  } else if (!spec.accounting) {
    needed = needed_controllers({}, host, false);
  }
  const pid_t self = ::getpid();
  const auto starttime = process_starttime(self);
  if (!starttime) {
    throw Error("read /proc/self/stat: cannot tell this process's start time");
  }
  const std::string dir_name = parse::run_group_name(self, *starttime, name);
  auto impl = std::make_unique<Impl>();
  impl->host = std::make_shared<const Host>(host);

  // In hierarchies() order, the cgroup2 one first (the teardown removes the directories in
  // reverse, that one last: it holds cgroup.kill).
  for (const Hierarchy& hierarchy : hierarchies(host)) {
    const auto controllers =
        controllers_used(hierarchy, needed, *impl, spec.processes_in_pid_namespaces);
    if (!controllers) {
      continue;
    }
    const std::string ours = run_parent(hierarchy);
    std::string parent = ours;
    if (parent_override) {
      parent =
          parent_override->starts_with("/") ? *parent_override : join_path(ours, *parent_override);
    }
    const std::string parent_full = hierarchy.mount + parent;
    // The parent is opened only where its own files are read or written here.
    const bool enables = hierarchy.version == 2 && !controllers->empty();
    const bool cpuset =
        hierarchy.version == 1 &&
        std::find(controllers->begin(), controllers->end(), "cpuset") != controllers->end();
    fs::Fd parent_fd;
    if ((enables && parent_override) || cpuset) {
      parent_fd = fs::open_dir(parent_full);
    }
    if (enables) {
      if (parent_override) {
        if (int err = enable_controllers(parent_fd.get(), parent_full, *controllers)) {
          throw_enable_failed(parent_full, err);
        }
      } else {
        acquire_our_cgroup(parent_full, *controllers);
        impl->holds_our_cgroup = true;
      }
    }
    const std::string path = join_path(parent, dir_name);
    // A plain mkdir: libcgroup's create chowns every file of the new group in every hierarchy
    // (~800 syscalls, 2.6-6.5 ms a run, measured in bench/README.md) to the owner we already are.
    impl->dirs.push_back(Dir{*controllers, hierarchy.version, hierarchy.mount, path,
                             make_run_dir(parent_full, dir_name, hierarchy.mount + path)});
    if (cpuset) {
      copy_cpuset(parent_fd.get(), parent_full, impl->dirs.back());
    }
  }
  if (impl->dirs.empty()) {
    throw Error("no usable cgroup hierarchy for run group " + dir_name + ": " +
                why_no_hierarchy(host));
  }
  if (spec.job_limits) {
    apply(planned, *spec.job_limits, *impl);
  }
  return std::unique_ptr<Group>(new Group(std::move(impl), dir_name));
}

std::unique_ptr<Group> Group::create_child(const std::string& name, const Limits& limits) {
  check_name(name);
  // Unsupported limits are refused before anything is created.
  const std::vector<PlannedSetting> planned = plan_settings(limits, *impl_->host);
  auto child = std::make_unique<Impl>();
  child->host = impl_->host;
  for (const Dir& parent : impl_->dirs) {
    if (parent.version == 2 && !parent.controllers.empty() && !impl_->subtree_enabled) {
      if (int err = enable_controllers(parent.fd.get(), parent.full(), parent.controllers)) {
        throw_enable_failed(parent.full(), err);
      }
      impl_->subtree_enabled = true;
    }
    const std::string path = join_path(parent.path, name);
    if (::mkdirat(parent.fd.get(), name.c_str(), 0755) != 0) {
      fs::throw_errno("mkdir " + parent.mount + path);
    }
    child->dirs.push_back(Dir{parent.controllers, parent.version, parent.mount, path,
                              open_created(parent.fd.get(), name, parent.mount + path)});
    if (parent.version == 1 && parent.serves("cpuset")) {
      copy_cpuset(parent.fd.get(), parent.full(), child->dirs.back());
    }
  }
  apply(planned, limits, *child);
  return std::unique_ptr<Group>(new Group(std::move(child), name));
}

void Group::attach(pid_t pid) {
  if (pid <= 0) {
    throw Error("attach to cgroup " + name_ + ": invalid pid " + std::to_string(pid));
  }
  const std::string value = std::to_string(pid);
  for (const Dir& dir : impl_->dirs) {
    fs::write_at(dir.fd.get(), "cgroup.procs", value, dir.full());
  }
}

int Group::clone_into_fd() const {
  const Dir* v2 = impl_->v2_dir();
  return v2 && !impl_->subtree_enabled ? v2->fd.get() : -1;
}

bool Group::clone_into_is_complete() const {
  return clone_into_fd() >= 0 && impl_->dirs.size() == 1;
}

std::vector<Group::Directory> Group::v1_directories() const {
  std::vector<Directory> result;
  for (const Dir& dir : impl_->dirs) {
    if (dir.version == 1) {
      result.push_back({dir.full(), dir.fd.get()});
    }
  }
  return result;
}

void Group::kill_all() {
  impl_->kill_all(std::chrono::steady_clock::now() + kTeardownTimeout);
}

bool Group::empty() const {
  return impl_->empty();
}

bool Group::remove_if_empty() {
  return impl_->remove_if_empty();
}

std::map<std::string, std::string> Group::paths() const {
  std::map<std::string, std::string> result;
  for (const Dir& dir : impl_->dirs) {
    for (const std::string& controller : dir.controllers) {
      result[controller] = dir.path;
    }
    if (dir.version == 2) {
      result["unified"] = dir.path;
    }
  }
  return result;
}

}  // namespace cgroup

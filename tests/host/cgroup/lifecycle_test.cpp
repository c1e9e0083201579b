// Host discovery, placement, teardown and stale collection on the real kernel.
#include <linux/sched.h>
#include <sys/syscall.h>

#include <cstring>
#include <sstream>

#include "support.hpp"

namespace cgroup::testing {
namespace {

using std::chrono::seconds;

// Our cgroup in the hierarchy whose /proc/self/cgroup line names `controllers` ("" for v2).
std::string proc_self_cgroup(pid_t pid, const std::string& controllers) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    std::istringstream names(line.substr(first + 1, second - first - 1));
    for (std::string name; std::getline(names, name, ',');) {
      if (name == controllers) {
        return line.substr(second + 1);
      }
    }
    if (controllers.empty() && second == first + 1) {
      return line.substr(second + 1);
    }
  }
  return "";
}

// The cgroup that run groups go beside: `path` without the supervisor leaf that a v2 run may have
// moved us into.
std::string without_supervisor_leaf(std::string path) {
  if (path.ends_with("/supervisor")) {
    path.resize(path.size() - std::string("/supervisor").size());
  }
  return path;
}

TEST(CgroupHost, DetectFindsOurCgroupInEveryUsableHierarchy) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  ASSERT_FALSE(host.controllers.empty());
  for (const auto& [name, controller] : host.controllers) {
    if (!controller.usable) {
      EXPECT_FALSE(controller.why_not.empty()) << name << " is unusable without a reason";
      continue;
    }
    EXPECT_TRUE(exists(controller.mount + controller.our_path)) << name;
    const std::string ours = proc_self_cgroup(getpid(), controller.version == 1 ? name : "");
    EXPECT_TRUE(ours.ends_with(controller.our_path)) << name << ": " << ours;
  }
  if (host.layout != Layout::legacy) {
    EXPECT_TRUE(exists(host.unified_mount + "/cgroup.controllers"));
  }
  EXPECT_TRUE(host.has("memory") && host.has("pids") && host.has("cpu"))
      << "the sandbox needs memory, pids and cpu on every supported host";
}

TEST(CgroupHost, AttachPlacesAProcessInEveryHierarchy) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "attach-test");
  auto job = run->create_child("job", Limits{});
  Child child([] {
    pause();
    return 0;
  });
  job->attach(child.pid());
  for (const auto& [key, path] : job->paths()) {
    const bool v2 = key == "unified" || host.controllers.at(key).version == 2;
    const std::string in = proc_self_cgroup(child.pid(), v2 ? "" : key);
    EXPECT_TRUE(in.ends_with(path)) << key << ": " << in << " is not " << path;
  }
  EXPECT_FALSE(job->empty());
  EXPECT_EQ(job->usage().pids_current, host.has("pids") ? 1u : 0u);
}

// The CPU split comes from one file (v1 cpuacct.usage_all, v2 cpu.stat): the very numbers of the
// kernel's own per-kind files, read once the group's process is gone and they no longer move.
TEST(CgroupHost, UsageSplitsCpuTimeAsTheKernelsPerKindFilesDo) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "cpu-split-test");
  auto job = run->create_child("job", Limits{});
  Child child([] {
    alarm(60);
    const auto spin = [](auto work) {
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      while (std::chrono::steady_clock::now() < end) {
        work();
      }
    };
    volatile uint64_t spins = 0;
    // User time: many increments per clock read, since a clock read is a system call where the
    // clocksource has no vDSO (the emulated VM), and a spin of clock reads is system time there.
    spin([&] {
      for (int i = 0; i < 1000000; ++i) spins = spins + 1;
    });
    static char buffer[1 << 20];
    const int zero = open("/dev/zero", O_RDONLY);
    spin([&] { (void)!read(zero, buffer, sizeof buffer); });  // system time: the kernel clears
    return 0;
  });
  job->attach(child.pid());
  child.release();
  ASSERT_TRUE(child.wait(seconds(10)));
  const Usage usage = job->usage();
  EXPECT_GT(usage.cpu_user_us, 0u);
  EXPECT_GT(usage.cpu_system_us, 0u);

  const auto paths = job->paths();
  if (host.has("cpuacct") && host.controllers.at("cpuacct").version == 1) {
    const std::string dir = host.controllers.at("cpuacct").mount + paths.at("cpuacct");
    EXPECT_EQ(usage.cpu_user_us, std::stoull(read_text(dir + "/cpuacct.usage_user")) / 1000);
    EXPECT_EQ(usage.cpu_system_us, std::stoull(read_text(dir + "/cpuacct.usage_sys")) / 1000);
    EXPECT_EQ(usage.cpu_usage_us, std::stoull(read_text(dir + "/cpuacct.usage")) / 1000);
    return;
  }
  std::string dir;
  for (const auto& [key, path] : paths) {
    if (key == "unified") {
      dir = host.unified_mount + path;
    } else if (dir.empty() && host.controllers.at(key).version == 2) {
      dir = host.controllers.at(key).mount + path;
    }
  }
  ASSERT_FALSE(dir.empty()) << "no CPU accounting in any hierarchy";
  const std::string stat = read_text(dir + "/cpu.stat");
  const auto value = [&](const std::string& key) {
    const size_t at = stat.find(key + " ");
    return at == std::string::npos ? ~0ULL : std::stoull(stat.substr(at + key.size() + 1));
  };
  EXPECT_EQ(usage.cpu_user_us, value("user_usec"));
  EXPECT_EQ(usage.cpu_system_us, value("system_usec"));
}

// The common end of a leaf: its destructor finds it busy, kills what is in it, and removes it.
TEST(CgroupHost, TeardownOfALeafWithAProcessKillsItAndLeavesNoDirectory) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "leaf-teardown-test");
  auto job = run->create_child("job", Limits{});
  const std::vector<std::string> dirs = directories(host, *job);
  Child sleeper(wait_a_minute);
  job->attach(sleeper.pid());
  sleeper.release();
  job.reset();
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir << " was left behind";
  }
  const auto status = sleeper.wait(seconds(5));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST(CgroupHost, CloneIntoCgroupPlacesTheChildInTheV2Group) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  if (host.unified_mount.empty()) {
    GTEST_SKIP() << "no cgroup2 mount (pure v1)";
  }
  auto run = Group::create_run(host, "clone-test");
  auto job = run->create_child("job", Limits{});
  ASSERT_GE(job->clone_into_fd(), 0);
  EXPECT_EQ(job->clone_into_is_complete(), host.layout == Layout::unified);

  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(job->clone_into_fd());
  const long pid = syscall(SYS_clone3, &args, sizeof args);
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    pause();
    _exit(0);
  }
  const std::string in = proc_self_cgroup(static_cast<pid_t>(pid), "");
  kill(static_cast<pid_t>(pid), SIGKILL);
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  EXPECT_EQ(in, job->paths().at("unified"));
}

TEST(CgroupHost, RunGroupIsNamedForItsOwnerBelowOurCgroup) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "name-test");
  EXPECT_TRUE(run->name().starts_with("sb-" + std::to_string(getpid()) + "-"));
  EXPECT_TRUE(run->name().ends_with("-name-test"));
  for (const auto& [key, path] : run->paths()) {
    const bool v2 = key == "unified" || host.controllers.at(key).version == 2;
    const std::string ours =
        v2 ? without_supervisor_leaf(host.unified_path) : host.controllers.at(key).our_path;
    EXPECT_EQ(path, (ours == "/" || ours.empty() ? "" : ours) + "/" + run->name()) << key;
  }
  EXPECT_THROW(Group::create_run(host, "bad/name"), Error);
  EXPECT_THROW(run->create_child("..", Limits{}), Error);
}

TEST(CgroupHost, ParentOverridePlacesTheRunGroupThere) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto pool = Group::create_run(host, "pool");
  auto run = Group::create_run(host, "inner", pool->name());  // relative: below our cgroup
  for (const auto& [key, path] : run->paths()) {
    EXPECT_EQ(path, pool->paths().at(key) + "/" + run->name()) << key;
  }
  EXPECT_THROW(Group::create_run(host, "orphan", "no-such-parent"), Error);
}

TEST(CgroupHost, TeardownKillsEverythingAndLeavesNoDirectory) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "teardown-test");
  // Processes only in leaves: v2 groups with children cannot hold processes.
  auto job = run->create_child("job", Limits{});
  auto tenant = run->create_child("tenant", Limits{});
  auto nested = tenant->create_child("nested", Limits{});
  std::vector<std::string> dirs = directories(host, *run);

  // A sleeper, and a daemon that left its parent (setsid, double fork) and tells us its pid.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child sleeper(wait_a_minute);
  Child daemonizer([&] {
    close(report[0]);
    if (fork() == 0) {
      setsid();
      if (fork() == 0) {
        const pid_t self = getpid();
        alarm(60);
        if (write(report[1], &self, sizeof self) != sizeof self) {
          _exit(1);
        }
        pause();
      }
      _exit(0);
    }
    return 0;
  });
  job->attach(sleeper.pid());
  nested->attach(daemonizer.pid());
  sleeper.release();
  daemonizer.release();
  close(report[1]);
  pid_t daemon = 0;
  ASSERT_EQ(read(report[0], &daemon, sizeof daemon), static_cast<ssize_t>(sizeof daemon));
  close(report[0]);
  ASSERT_TRUE(daemonizer.wait(seconds(10)));
  for (const std::string& dir : directories(host, *nested)) {
    EXPECT_TRUE(procs_contain(dir, daemon)) << "the daemon escaped its group before teardown";
  }

  run.reset();  // the parent goes first: it must take its children with it
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir << " was left behind";
  }
  EXPECT_TRUE(wait_dead(sleeper.pid(), seconds(5)));
  EXPECT_TRUE(wait_dead(daemon, seconds(5))) << "the daemonised grandchild survived";
  nested.reset();  // children whose directories are gone already: quiet no-ops
  tenant.reset();
  job.reset();
}

TEST(CgroupHost, KillAllEmptiesTheGroupAndKeepsIt) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "kill-test");
  auto job = run->create_child("job", Limits{});
  Child forker([] {
    alarm(60);
    for (int i = 0; i < 4; ++i) {
      if (fork() == 0) {
        alarm(60);
        pause();
        _exit(0);
      }
    }
    pause();
    return 0;
  });
  job->attach(forker.pid());
  forker.release();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(job->empty());
  job->kill_all();
  EXPECT_TRUE(job->empty());
  job->kill_all();  // an empty group: nothing to kill, nothing to wait for
  EXPECT_TRUE(job->empty());
  const auto status = forker.wait(seconds(5));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
  for (const std::string& dir : directories(host, *job)) {
    EXPECT_TRUE(exists(dir)) << "kill_all must not remove the group";
  }
}

// Removes whatever stale groups a failed test left; collect_stale is what is under test.
struct StaleSweep {
  ~StaleSweep() {
    try {
      collect_stale(detect());
    } catch (const std::exception& error) {
      ADD_FAILURE() << error.what();
    }
  }
};

// The body of a forked "supervisor": `setup` creates its groups (kept in `groups`) and returns a
// text for the test, which is written to `fd`; then it waits to be SIGKILLed, so that its Group
// destructors never run.
using Groups = std::vector<std::unique_ptr<Group>>;
int supervise_until_killed(int fd, const std::function<std::string(Groups&)>& setup) {
  try {
    Groups groups;
    const std::string text = setup(groups);
    if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return 1;
    }
    close(fd);
    alarm(60);
    pause();
  } catch (const std::exception& error) {
    (void)std::fprintf(stderr, "supervisor: %s\n", error.what());
  }
  return 1;
}

TEST(CgroupHost, CollectStaleRemovesGroupsOfAKilledSupervisor) {
  SKIP_UNLESS_ROOT();
  StaleSweep sweep;
  const Host host = detect();
  // Held for the whole test, so that on v2 this process already made room in its cgroup (see
  // SharedCgroup below) and the supervisor's SIGKILL leaves nothing of that for the test to undo.
  auto holder = Group::create_run(host, "stale-holder");

  // The supervisor creates a run group with a job holding a sleeper, reports the directories and
  // waits to be SIGKILLed, so its Group destructors never run.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child supervisor([&] {
    close(report[0]);
    return supervise_until_killed(report[1], [&](Groups& groups) {
      Group* run = groups.emplace_back(Group::create_run(detect(), "stale-test")).get();
      Group* job = groups.emplace_back(run->create_child("job", Limits{})).get();
      const pid_t sleeper = fork();
      if (sleeper == 0) {
        alarm(60);
        pause();
        _exit(0);
      }
      job->attach(sleeper);
      std::string text = std::to_string(sleeper) + "\n";
      for (const std::string& dir : directories(host, *run)) {
        text += dir + "\n";
      }
      return text;
    });
  });
  supervisor.release();
  close(report[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(report[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
    if (text.ends_with("\n") && text.find("sb-") != std::string::npos) {
      break;
    }
  }
  close(report[0]);
  std::istringstream lines(text);
  pid_t sleeper = 0;
  lines >> sleeper;
  std::vector<std::string> dirs;
  for (std::string dir; lines >> dir;) {
    dirs.push_back(dir);
  }
  ASSERT_GT(sleeper, 0);
  ASSERT_FALSE(dirs.empty());

  // A live supervisor's groups are not stale.
  for (const std::string& removed : collect_stale(host)) {
    EXPECT_EQ(std::find(dirs.begin(), dirs.end(), removed), dirs.end()) << removed;
  }
  for (const std::string& dir : dirs) {
    ASSERT_TRUE(exists(dir)) << dir;
  }

  kill(supervisor.pid(), SIGKILL);
  ASSERT_TRUE(supervisor.wait(seconds(5)));  // reaped: its pid no longer names it
  EXPECT_FALSE(dead(sleeper)) << "the job outlives its supervisor until collected";

  const std::vector<std::string> removed = collect_stale(host);
  for (const std::string& dir : dirs) {
    EXPECT_NE(std::find(removed.begin(), removed.end(), dir), removed.end()) << dir;
    EXPECT_FALSE(exists(dir)) << dir;
  }
  EXPECT_TRUE(wait_dead(sleeper, seconds(5)));
}

// A supervisor that shares our cgroup2 cgroup but sits in another cgroup of a v1 hierarchy (one
// memory cgroup per session or service) collects a dead group of ours only where it can see it: its
// cgroup2 directory goes, the rest stays below our cgroups. Our own collect_stale must still find
// that rest. Skipped without both a cgroup2 directory and v1 ones in a run group (hybrid only).
TEST(CgroupHost, CollectStaleFindsADeadGroupWhoseCgroup2DirectoryIsGone) {
  SKIP_UNLESS_ROOT();
  StaleSweep sweep;
  const Host host = detect();
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child supervisor([&] {
    close(report[0]);
    return supervise_until_killed(report[1], [&](Groups& groups) {
      Group* run = groups.emplace_back(Group::create_run(detect(), "stale-half")).get();
      std::string text;
      for (const std::string& dir : directories(host, *run)) text += dir + "\n";
      return text + "end\n";
    });
  });
  supervisor.release();
  close(report[1]);
  const std::vector<std::string> dirs = read_reported_words(report[0]);
  kill(supervisor.pid(), SIGKILL);
  ASSERT_TRUE(supervisor.wait(seconds(5)));
  std::vector<std::string> v1_dirs;
  std::string cgroup2_dir;
  for (const std::string& dir : dirs) {
    if (!host.unified_mount.empty() && dir.starts_with(host.unified_mount + "/")) {
      cgroup2_dir = dir;
    } else {
      v1_dirs.push_back(dir);
    }
  }
  if (cgroup2_dir.empty() || v1_dirs.empty()) {
    for (const std::string& dir : v1_dirs) (void)rmdir(dir.c_str());
    if (!cgroup2_dir.empty()) (void)rmdir(cgroup2_dir.c_str());
    GTEST_SKIP() << "a run group here is not in both a cgroup2 and a v1 hierarchy";
  }
  // What the other supervisor's collect_stale removed: the directory it could see.
  ASSERT_EQ(rmdir(cgroup2_dir.c_str()), 0) << cgroup2_dir;

  const std::vector<std::string> removed = collect_stale(host);
  for (const std::string& dir : v1_dirs) {
    EXPECT_NE(std::find(removed.begin(), removed.end(), dir), removed.end()) << dir;
    EXPECT_FALSE(exists(dir)) << dir;
  }
  // What a failure above left: the group holds no process, and no later sweep would find it.
  for (const std::string& dir : v1_dirs) (void)rmdir(dir.c_str());
}

// This host seen as pure v1: the cgroup2 mount ignored, so teardown has no cgroup.kill and must
// freeze, SIGKILL and thaw. Skipped where there are no v1 hierarchies (the v2 VM).
TEST(CgroupLegacyView, TeardownWithoutCgroupKillUsesTheFreezerLoop) {
  SKIP_UNLESS_ROOT();
  Host host = detect();
  std::erase_if(host.controllers, [](const auto& entry) { return entry.second.version == 2; });
  if (host.controllers.empty() || !host.has("freezer")) {
    GTEST_SKIP() << "no v1 hierarchies with a freezer here";
  }
  host.layout = Layout::legacy;
  host.unified_mount.clear();
  host.unified_path.clear();

  auto run = Group::create_run(host, "legacy-test");
  EXPECT_EQ(run->clone_into_fd(), -1);
  EXPECT_EQ(run->paths().count("unified"), 0u);
  const std::vector<std::string> dirs = directories(host, *run);

  // Hoppers: each forks its successor and exits, so their pids change all the time and a plain
  // read-procs-then-kill loop keeps missing them. Bounded by pids.max and a 30 s lifetime.
  Limits limits;
  limits.pids_max = 64;
  auto job = run->create_child("job", limits);
  Child bomb([] {
    alarm(60);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (int i = 0; i < 8; ++i) {
      if (fork() == 0) {
        while (std::chrono::steady_clock::now() < end) {
          if (fork() > 0) {
            _exit(0);  // the successor goes on; a failed fork (at the limit) tries again
          }
        }
        _exit(0);
      }
    }
    pause();
    return 0;
  });
  job->attach(bomb.pid());
  bomb.release();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(job->empty());

  const auto start = std::chrono::steady_clock::now();
  run.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir << " was left behind";
  }
  const auto status = bomb.wait(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status));
}

class CgroupSharedCgroup : public LayoutTest {
 protected:
  CgroupSharedCgroup()
      : LayoutTest(Layout::unified,
                   "only v2 groups have controllers that need our cgroup free of processes") {}
};

// v2: our cgroup also holds a process that is not ours (as a shell that started sandbox would).
// create_run must still get controllers for its run group (moving both into the supervisor leaf,
// still inside our cgroup), and put everything back when the run group is gone.
TEST_F(CgroupSharedCgroup, ProcessesBesideUsMoveIntoTheLeafAndBack) {
  Child bystander([] { return 0; });  // blocked until released: just present in our cgroup
  const std::string before = proc_self_cgroup(bystander.pid(), "");
  const std::string ours = without_supervisor_leaf(before);
  const bool leaf_existed = exists(host_.unified_mount + ours + "/supervisor");

  auto run = Group::create_run(host_, "shared-test");
  auto job = run->create_child("job", Limits{});
  const std::string during = proc_self_cgroup(bystander.pid(), "");
  EXPECT_TRUE(during == ours || during == ours + "/supervisor") << during;
  EXPECT_EQ(job->paths().at("unified"), (ours == "/" ? "" : ours) + "/" + run->name() + "/job");

  job.reset();
  run.reset();
  if (!leaf_existed) {
    EXPECT_EQ(proc_self_cgroup(bystander.pid(), ""), before) << "not moved back";
    EXPECT_EQ(proc_self_cgroup(getpid(), ""), before) << "we were not moved back";
    EXPECT_FALSE(exists(host_.unified_mount + ours + "/supervisor")) << "the leaf was left";
  }
}

// v2: a supervisor sharing our cgroup moved itself and us into the leaf and enabled controllers
// for its run group; SIGKILLed, it cannot put that back. collect_stale does, and only once the
// supervisor is dead.
TEST_F(CgroupSharedCgroup, LeafOfAKilledSupervisorIsPutBackByCollectStale) {
  const std::string before = proc_self_cgroup(getpid(), "");
  if (before == "/") {
    GTEST_SKIP() << "in the root cgroup, which may have processes and controllers at once";
  }
  ASSERT_FALSE(before.ends_with("/supervisor")) << "an earlier test left us in the leaf";
  const std::string home = host_.unified_mount + before;
  const std::string leaf = home + "/supervisor";
  const std::string subtree = read_text(home + "/cgroup.subtree_control");
  StaleSweep sweep;  // after the supervisor's SIGKILL (Child's destructor), whatever happens

  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child supervisor([&] {
    close(report[0]);
    return supervise_until_killed(report[1], [](Groups& groups) {
      groups.push_back(Group::create_run(detect(), "leaf-test"));
      return std::string("r");
    });
  });
  supervisor.release();
  close(report[1]);
  char byte = 0;
  const bool ready = read(report[0], &byte, 1) == 1;
  close(report[0]);
  ASSERT_TRUE(ready) << "the supervisor could not create its run group";
  ASSERT_EQ(proc_self_cgroup(getpid(), ""), before + "/supervisor") << "it made no room";

  // Alive, it still needs the leaf and the controllers.
  collect_stale(detect());
  EXPECT_TRUE(exists(leaf));
  EXPECT_EQ(proc_self_cgroup(getpid(), ""), before + "/supervisor");

  kill(supervisor.pid(), SIGKILL);
  ASSERT_TRUE(supervisor.wait(seconds(5)));
  const std::vector<std::string> removed = collect_stale(detect());
  EXPECT_NE(std::find(removed.begin(), removed.end(), leaf), removed.end());
  EXPECT_FALSE(exists(leaf));
  EXPECT_EQ(proc_self_cgroup(getpid(), ""), before) << "we were not moved back";
  EXPECT_EQ(read_text(home + "/cgroup.subtree_control"), subtree);
}

class CgroupHybrid : public LayoutTest {
 protected:
  CgroupHybrid() : LayoutTest(Layout::hybrid, "needs v1 hierarchies and a cgroup2 mount") {}
};

// Hybrid: teardown trusts the cgroup2 group's "populated" first; a process that was put in the v1
// hierarchies only (not through attach()) is invisible there and must still be killed.
TEST_F(CgroupHybrid, TeardownKillsAProcessThatIsOnlyInV1Hierarchies) {
  auto run = Group::create_run(host_, "v1-only-test");
  auto job = run->create_child("job", Limits{});
  const std::vector<std::string> dirs = directories(host_, *run);
  Child hidden(wait_a_minute);
  for (const auto& [key, path] : job->paths()) {
    if (key == "unified" || host_.controllers.at(key).version != 1) {
      continue;
    }
    const std::string procs = host_.controllers.at(key).mount + path + "/cgroup.procs";
    FILE* out = std::fopen(procs.c_str(), "w");
    ASSERT_NE(out, nullptr) << procs;
    ASSERT_GT(std::fprintf(out, "%d", hidden.pid()), 0) << procs;
    ASSERT_EQ(std::fclose(out), 0) << procs;
  }
  ASSERT_EQ(proc_self_cgroup(hidden.pid(), ""), proc_self_cgroup(getpid(), ""))
      << "the process must not be in the cgroup2 group";

  job.reset();
  run.reset();
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir << " was left behind";
  }
  const auto status = hidden.wait(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

}  // namespace
}  // namespace cgroup::testing

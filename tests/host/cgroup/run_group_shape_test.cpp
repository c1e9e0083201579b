// RunGroupSpec on the real kernel: a run joins only the hierarchies it needs, a run of one job is
// that job's group, limits included, and a run in pid namespaces has no group whose only use is to
// kill (the freezer, a hybrid host's cgroup2 group).
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support.hpp"

namespace cgroup::testing {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool v1_mount_of(const Host& host, const std::string& controller) {
  const auto found = host.controllers.find(controller);
  return found != host.controllers.end() && found->second.usable && found->second.version == 1;
}

// True when `controller` has a hierarchy of its own on this host (not co-mounted with one of
// `others`), so that a group can be in the others' hierarchies and not in its own.
bool separate_v1(const Host& host, const std::string& controller,
                 const std::vector<std::string>& others) {
  if (!v1_mount_of(host, controller)) return false;
  for (const std::string& other : others) {
    const auto found = host.controllers.find(other);
    if (found != host.controllers.end() &&
        found->second.mount == host.controllers.at(controller).mount) {
      return false;
    }
  }
  return true;
}

// The run's cgroup2 group can kill it (cgroup.kill), so that it needs no v1 freezer group.
bool cgroup2_group_kills(const Host& host, const std::map<std::string, std::string>& paths) {
  return paths.contains("unified") &&
         exists(host.unified_mount + paths.at("unified") + "/cgroup.kill");
}

TEST(CgroupRunShape, RunWithoutLimitsJoinsOnlyAccountingHierarchies) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  const std::vector<std::string> accounting{"cpuacct", "memory", "pids", "blkio"};
  RunGroupSpec spec{"shape-plain", std::nullopt, std::vector<Limits>{Limits{}}, std::nullopt};
  auto run = Group::create_run(host, spec);
  const auto paths = run->paths();
  for (const std::string& controller : accounting) {
    if (v1_mount_of(host, controller)) {
      EXPECT_TRUE(paths.contains(controller)) << controller;
    }
  }
  for (const std::string unneeded : {"cpuset", "cpu"}) {
    if (separate_v1(host, unneeded, accounting)) {
      EXPECT_FALSE(paths.contains(unneeded)) << unneeded << " joined without a limit of its own";
    }
  }
  // Where the cgroup2 group can kill, v1's freezer is not needed.
  if (v1_mount_of(host, "freezer")) {
    EXPECT_EQ(paths.contains("freezer"), !cgroup2_group_kills(host, paths));
  }

  // On v2 the run's own group has no cpu or cpuset: they were not enabled for it (another run of
  // this process would enable them, and none is alive here).
  for (const std::string unneeded : {"cpuset", "cpu"}) {
    const auto found = host.controllers.find(unneeded);
    if (found == host.controllers.end() || !found->second.usable || found->second.version != 2) {
      continue;
    }
    EXPECT_FALSE(paths.contains(unneeded)) << unneeded;
    const std::string file = unneeded == "cpu" ? "/cpu.weight" : "/cpuset.cpus";
    EXPECT_FALSE(exists(host.unified_mount + paths.at("unified") + file))
        << unneeded << " enabled for a run whose limits do not need it";
  }

  // The same host without a list of limits: every hierarchy and controller, as before.
  auto every = Group::create_run(host, "shape-every");
  for (const std::string controller : {"cpu", "cpuset", "freezer"}) {
    if (host.has(controller)) {
      EXPECT_TRUE(every->paths().contains(controller)) << controller;
    }
  }
}

TEST(CgroupRunShape, ALimitAnywhereInTheRunBringsItsHierarchy) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  if (!host.has("cpu") || !host.has("cpuset")) GTEST_SKIP() << "needs cpu and cpuset";
  Limits weighted;
  weighted.cpu_weight = 300;
  Limits pinned;
  pinned.cpuset_cpus = "0";
  RunGroupSpec spec{"shape-limits", std::nullopt, std::vector<Limits>{Limits{}, weighted, pinned},
                    std::nullopt};
  auto run = Group::create_run(host, spec);
  auto job = run->create_child("job", weighted);
  EXPECT_TRUE(job->paths().contains("cpu"));
  EXPECT_TRUE(job->paths().contains("cpuset"));
  auto other = run->create_child("other", pinned);  // its cpuset write needs the hierarchy
  EXPECT_TRUE(other->paths().contains("cpuset"));
}

TEST(CgroupRunShape, RunOfOneJobIsTheJobsGroupWithItsLimits) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  if (!host.has("pids")) GTEST_SKIP() << "needs the pids controller";
  Limits limits;
  limits.pids_max = 7;
  RunGroupSpec spec{"shape-job", std::nullopt, std::nullopt, limits};
  auto run = Group::create_run(host, spec);
  const auto& pids = host.controllers.at("pids");
  const std::string dir = pids.mount + run->paths().at("pids");
  EXPECT_EQ(first_line(dir + "/pids.max"), "7");

  // It takes the job's processes itself and kills them on teardown.
  Child child([] {
    pause();
    return 0;
  });
  run->attach(child.pid());
  EXPECT_EQ(run->usage().pids_current, 1u);
  const auto directories_of_run = directories(host, *run);
  run.reset();
  EXPECT_TRUE(wait_dead(child.pid(), std::chrono::seconds(5)));
  for (const auto& gone : directories_of_run) EXPECT_FALSE(exists(gone)) << gone;
}

TEST(CgroupRunShape, UnenforceableJobLimitIsRefusedBeforeAnythingIsMade) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  if (!host.has("io") && !host.has("blkio")) GTEST_SKIP() << "needs io or blkio";
  Limits limits;
  limits.io_max.push_back(IoMax{"259:99999", 1024, std::nullopt, std::nullopt, std::nullopt});
  RunGroupSpec spec{"shape-refused", std::nullopt, std::nullopt, limits};
  EXPECT_THROW(Group::create_run(host, spec), Unsupported);
  for (const std::string& parent : run_group_parents(host)) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
      const std::string name = entry.path().filename().string();
      EXPECT_FALSE(name.starts_with("sb-" + std::to_string(getpid()) + "-") &&
                   name.ends_with("-shape-refused"))
          << entry.path();
    }
  }
}

// Where a run named `name` has a directory on disk: below each hierarchy's run group parent.
std::set<std::string> directories_on_disk(const Host& host, const std::string& name) {
  std::set<std::string> found;
  for (const std::string& parent : run_group_parents(host)) {
    std::string path = std::string(parent).append("/").append(name);
    if (exists(path)) found.insert(std::move(path));
  }
  return found;
}

std::set<std::string> keys(const std::map<std::string, std::string>& paths) {
  std::set<std::string> result;
  for (const auto& [key, path] : paths) result.insert(key);
  return result;
}

// What RunGroupSpec::processes_in_pid_namespaces leaves out of a run: the freezer always, the
// cgroup2 group on hybrid hosts only (on v2 it holds the controllers).
std::set<std::string> left_out_in_pid_namespaces(const Host& host) {
  std::set<std::string> left_out{"freezer"};
  if (host.layout == Layout::hybrid) left_out.insert("unified");
  return left_out;
}

// A run whose processes all live in pid namespaces (ended by killing their pid 1) has no freezer
// group and, on a hybrid host, no controller-less cgroup2 group; in every other hierarchy it is
// the run it would be without the flag, whose shape is unchanged.
TEST(CgroupRunShape, RunInPidNamespacesHasNoFreezerAndOnHybridNoCgroup2Group) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  RunGroupSpec spec{"shape-pidns", std::nullopt, std::vector<Limits>{Limits{}}, std::nullopt};
  spec.processes_in_pid_namespaces = true;
  auto run = Group::create_run(host, spec);
  RunGroupSpec plain_spec{"shape-no-pidns", std::nullopt, std::vector<Limits>{Limits{}},
                          std::nullopt};
  auto plain = Group::create_run(host, plain_spec);
  const auto paths = run->paths();
  const auto plain_paths = plain->paths();

  EXPECT_FALSE(paths.contains("freezer"));
  if (host.layout == Layout::hybrid) {
    EXPECT_FALSE(paths.contains("unified")) << "a controller-less cgroup2 group on hybrid";
    EXPECT_EQ(run->clone_into_fd(), -1);
  }
  if (host.layout == Layout::unified) {
    EXPECT_TRUE(paths.contains("unified")) << "v2 keeps its group: it holds the controllers";
  }
  // Without the flag, as before: the cgroup2 group wherever there is one to make, and the freezer
  // where that group cannot kill.
  if (host.layout != Layout::legacy) {
    EXPECT_TRUE(plain_paths.contains("unified"));
  }
  if (v1_mount_of(host, "freezer")) {
    EXPECT_EQ(plain_paths.contains("freezer"), !cgroup2_group_kills(host, plain_paths));
  }
  // Everything else is the same.
  std::set<std::string> expected = keys(plain_paths);
  for (const std::string& left_out : left_out_in_pid_namespaces(host)) expected.erase(left_out);
  EXPECT_EQ(keys(paths), expected);

  // On disk too: a directory where paths() says, none in the hierarchies left out.
  const auto listed = directories(host, *run);
  EXPECT_EQ(directories_on_disk(host, run->name()),
            std::set<std::string>(listed.begin(), listed.end()));
}

// The same for a run of one job (job_limits), and its teardown still kills what the group holds
// and removes it, without the freezer, and on hybrid without cgroup.kill: SIGKILL to every pid of
// every hierarchy's cgroup.procs until they are empty.
TEST(CgroupRunShape, RunOfOneJobInPidNamespacesIsStillTornDownWithItsProcess) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  RunGroupSpec spec{"shape-pidns-job", std::nullopt, std::nullopt, Limits{}};
  spec.processes_in_pid_namespaces = true;
  auto run = Group::create_run(host, spec);
  for (const std::string& left_out : left_out_in_pid_namespaces(host)) {
    EXPECT_FALSE(run->paths().contains(left_out)) << left_out;
  }
  const auto listed = directories(host, *run);
  EXPECT_EQ(directories_on_disk(host, run->name()),
            std::set<std::string>(listed.begin(), listed.end()));

  Child child(wait_a_minute);
  run->attach(child.pid());
  child.release();
  run.reset();
  for (const auto& gone : listed) EXPECT_FALSE(exists(gone)) << gone << " was left behind";
  const auto status = child.wait(std::chrono::seconds(5));
  ASSERT_TRUE(status) << "the job outlived its group";
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

// The flag holds for a run made without limits_in_run (which otherwise joins every hierarchy).
TEST(CgroupRunShape, RunInPidNamespacesWithoutAListOfLimitsHasNoFreezerEither) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  RunGroupSpec spec{"shape-pidns-every", std::nullopt, std::nullopt, std::nullopt};
  spec.processes_in_pid_namespaces = true;
  auto run = Group::create_run(host, spec);
  for (const std::string& left_out : left_out_in_pid_namespaces(host)) {
    EXPECT_FALSE(run->paths().contains(left_out)) << left_out;
  }
}

}  // namespace
}  // namespace cgroup::testing

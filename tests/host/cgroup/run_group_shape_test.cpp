// RunGroupSpec on the real kernel: a run joins only the hierarchies it needs, and a run of one job
// is that job's group, limits included.
#include <filesystem>
#include <fstream>
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
  const bool v2_kills =
      paths.contains("unified") &&
      exists(host.unified_mount + paths.at("unified") + "/cgroup.kill");
  if (v1_mount_of(host, "freezer")) {
    EXPECT_EQ(paths.contains("freezer"), !v2_kills);
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

}  // namespace
}  // namespace cgroup::testing

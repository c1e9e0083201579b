// Group::remove_if_empty on the real kernel: an empty group's directories go at once in every
// hierarchy, a group that a process or a subgroup holds is left for the destructor, and nothing is
// ever killed.
#include <sys/stat.h>

#include <set>

#include "support.hpp"

namespace cgroup::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Directories the test made itself, removed (children first) whatever the test did.
struct MadeDirectories {
  std::vector<std::string> paths;
  ~MadeDirectories() {
    for (auto path = paths.rbegin(); path != paths.rend(); ++path) (void)::rmdir(path->c_str());
  }
};

std::vector<std::string> concat(std::vector<std::string> first,
                                const std::vector<std::string>& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

// Calls remove_if_empty until it succeeds, at most `timeout`: a process that has just exited may be
// a moment from leaving its cgroups (where a kernel unlinks it only at its last switch-out).
bool removed_within(Group& group, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!group.remove_if_empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

TEST(CgroupRemoveIfEmpty, EmptyGroupGoesFromEveryHierarchyAndLeavesTheDestructorNothing) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  // Below a pool of ours, so that the directories made again at the run's paths below are not
  // beside a v2 supervisor leaf (they would keep it from being put back).
  auto pool = Group::create_run(host, "rie-pool");
  auto run = Group::create_run(host, "rie-empty", pool->name());  // every hierarchy
  const std::vector<std::string> dirs = directories(host, *run);
  ASSERT_FALSE(dirs.empty());
  for (const std::string& dir : dirs) ASSERT_TRUE(exists(dir)) << dir;

  EXPECT_TRUE(run->remove_if_empty());
  for (const std::string& dir : dirs) EXPECT_FALSE(exists(dir)) << dir << " is still there";
  EXPECT_TRUE(run->paths().empty());
  EXPECT_TRUE(run->remove_if_empty()) << "nothing left is nothing to hold";

  // The destructor has nothing left to do: directories made again at the same paths survive it.
  MadeDirectories again;
  for (const std::string& dir : dirs) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
    again.paths.push_back(dir);
  }
  run.reset();
  for (const std::string& dir : dirs) {
    EXPECT_TRUE(exists(dir)) << "the destructor removed " << dir << ", which it no longer owned";
  }
}

// A process holds the group: false, the process runs on in the group, whose directories all stay;
// once it has exited, another call removes them, before it is reaped: the kernel unlinks a task
// from its cgroups as it exits, so that a zombie holds none (what lets the runtime finish a job
// before the job's pid 1, which reaps it, has done anything more).
TEST(CgroupRemoveIfEmpty, GroupWithAProcessIsKeptAndTheProcessLivesOn) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "rie-busy");
  auto job = run->create_child("job", Limits{});
  const std::vector<std::string> job_dirs = directories(host, *job);
  const std::vector<std::string> run_dirs = directories(host, *run);
  Child child(wait_a_minute);
  job->attach(child.pid());
  child.release();

  EXPECT_FALSE(job->remove_if_empty());
  EXPECT_FALSE(child.wait(milliseconds(200))) << "remove_if_empty ended the process";
  for (const std::string& dir : job_dirs) {
    EXPECT_TRUE(exists(dir)) << dir;
    EXPECT_TRUE(procs_contain(dir, child.pid())) << dir << " no longer holds the process";
  }
  EXPECT_EQ(directories(host, *job), job_dirs) << "the group forgot directories it still has";

  ASSERT_EQ(::kill(child.pid(), SIGKILL), 0);
  ASSERT_TRUE(wait_dead(child.pid(), seconds(5)));  // a zombie: not reaped
  EXPECT_TRUE(removed_within(*job, seconds(5)));
  for (const std::string& dir : job_dirs) EXPECT_FALSE(exists(dir)) << dir << " is still there";
  ASSERT_TRUE(child.wait(seconds(5)));
  EXPECT_TRUE(run->remove_if_empty());
  for (const std::string& dir : run_dirs) EXPECT_FALSE(exists(dir)) << dir << " is still there";
}

// A subgroup holds its parent (EBUSY, as a process does): false, and neither loses a directory;
// the subgroup first, then the parent, go.
TEST(CgroupRemoveIfEmpty, RunWithASubgroupIsKeptUntilTheSubgroupGoes) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  // Shaped as sandbox run shapes a run of pid-namespaced jobs, the case remove_if_empty is for.
  RunGroupSpec spec{"rie-parent", std::nullopt, std::vector<Limits>{Limits{}, Limits{}},
                    std::nullopt};
  spec.processes_in_pid_namespaces = true;
  auto run = Group::create_run(host, spec);
  auto job = run->create_child("job", Limits{});
  const std::vector<std::string> run_dirs = directories(host, *run);
  const std::vector<std::string> job_dirs = directories(host, *job);

  EXPECT_FALSE(run->remove_if_empty());
  for (const std::string& dir : concat(run_dirs, job_dirs)) EXPECT_TRUE(exists(dir)) << dir;
  EXPECT_EQ(directories(host, *run), run_dirs);

  EXPECT_TRUE(job->remove_if_empty());
  for (const std::string& dir : job_dirs) EXPECT_FALSE(exists(dir)) << dir << " is still there";
  for (const std::string& dir : run_dirs) EXPECT_TRUE(exists(dir)) << dir << " went with its child";
  EXPECT_TRUE(run->remove_if_empty());
  for (const std::string& dir : run_dirs) EXPECT_FALSE(exists(dir)) << dir << " is still there";
}

// The hierarchy a run is created in first, which remove_if_empty, going in reverse, tries last: the
// cgroup2 one, else the first v1 one in the module's order (cgroup/src/hierarchies.cpp).
std::string made_first(const std::map<std::string, std::string>& paths) {
  for (const char* key : {"unified", "cpu", "cpuacct", "cpuset", "memory", "pids", "blkio"}) {
    if (paths.contains(key)) return key;
  }
  return paths.begin()->first;
}

// A process in one hierarchy only (a job that joined only some of its groups): the directory that
// holds it stays, and the process lives; the directories tried before it, empty, may go. The
// destructor then finds a group partly removed, kills the process and removes the rest, quietly.
TEST(CgroupRemoveIfEmpty, ProcessInOneHierarchyKeepsThatDirectoryForTheDestructor) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  auto run = Group::create_run(host, "rie-partial");
  const std::vector<std::string> dirs = directories(host, *run);
  if (dirs.size() < 2) {
    GTEST_SKIP() << "the run has one directory (pure v2): no process can be in part of it";
  }
  const auto paths = run->paths();
  const std::string key = made_first(paths);
  const std::string held =
      (key == "unified" ? host.unified_mount : host.controllers.at(key).mount) + paths.at(key);
  Child child(wait_a_minute);
  {
    std::ofstream procs(held + "/cgroup.procs");
    procs << child.pid();
  }
  ASSERT_TRUE(procs_contain(held, child.pid())) << held;
  child.release();

  EXPECT_FALSE(run->remove_if_empty());
  EXPECT_TRUE(exists(held)) << held << " was removed with a process in it";
  EXPECT_TRUE(procs_contain(held, child.pid()));
  EXPECT_FALSE(child.wait(milliseconds(200))) << "remove_if_empty ended the process";
  // Asked again while it is held: false again, the directories already gone no obstacle.
  EXPECT_FALSE(run->remove_if_empty());
  EXPECT_TRUE(exists(held)) << held;

  ::testing::internal::CaptureStderr();
  run.reset();
  const std::string complaints = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(complaints, "");
  for (const std::string& dir : dirs) EXPECT_FALSE(exists(dir)) << dir << " was left behind";
  const auto status = child.wait(seconds(5));
  ASSERT_TRUE(status) << "the destructor did not kill the process";
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

}  // namespace
}  // namespace cgroup::testing

// The leak check of this suite must itself be able to fail: planted leftovers of each kind are
// found (and then removed).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.hpp"
#include "hostile_support.hpp"

namespace hostile {
namespace {

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& problem : problems) {
    if (problem.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(HostileHarness, FindsAProcessCarryingTheMarker) {
  PolicyFile policy;
  const HostSnapshot before = HostSnapshot::take();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string variable = "HOSTILE_MARK=" + policy.marker();
    char* environment[] = {const_cast<char*>(variable.c_str()), nullptr};
    execle("/bin/sleep", "sleep", "30", nullptr, environment);
    _exit(127);
  }
  usleep(200 * 1000);  // until the exec is done
  RunResult run;
  run.supervisor = getpid();
  const auto problems = leftovers(before, run, policy);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(mentions(problems, "process " + std::to_string(child) + " (sleep) survived"));
  EXPECT_TRUE(leftovers(before, run, policy).empty());
}

TEST(HostileHarness, FindsACgroupOfTheSupervisor) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  const cgroup::Host host = cgroup::detect();
  ASSERT_TRUE(host.controllers.contains("memory"));
  const auto& memory = host.controllers.at("memory");
  // A supervisor pid that cannot be running: beyond pid_max.
  RunResult run;
  run.supervisor = 4194305;
  const auto planted = std::filesystem::path(memory.mount) /
                       std::filesystem::path(memory.our_path).relative_path() /
                       ("sb-" + std::to_string(run.supervisor) + "-1-harness");
  ASSERT_TRUE(std::filesystem::create_directory(planted)) << planted;
  PolicyFile policy;
  const auto problems = leftovers(HostSnapshot::take(), run, policy);
  remove_leftovers(run, policy);
  EXPECT_TRUE(mentions(problems, "cgroup " + planted.string() + " was left"));
  EXPECT_FALSE(std::filesystem::exists(planted)) << "remove_leftovers did not remove it";
}

TEST(HostileHarness, FindsASupervisorLeafLeftBehind) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  const cgroup::Host host = cgroup::detect();
  // Only a v2 hierarchy with controllers ever gets the leaf; elsewhere a planted one could be
  // seen by another suite's check running at the same time.
  if (host.layout != cgroup::Layout::unified || host.controllers.empty()) {
    GTEST_SKIP() << "the supervisor leaf exists only on cgroup v2";
  }
  PolicyFile policy;
  const HostSnapshot before = HostSnapshot::take();
  std::filesystem::path planted;
  for (const auto& parent : cgroup::run_group_parents(host)) {
    planted = std::filesystem::path(parent) / "supervisor";
  }
  ASSERT_TRUE(std::filesystem::create_directory(planted)) << planted;
  RunResult run;
  run.supervisor = 4194305;  // beyond pid_max: no run groups of its own
  const auto problems = leftovers(before, run, policy);
  remove_leftovers(run, policy);
  EXPECT_TRUE(mentions(problems, "cgroup " + planted.string() + " was left"));
  EXPECT_FALSE(std::filesystem::exists(planted)) << "remove_leftovers did not put it back";
}

// A tmpfs mounted on the host for the test, unmounted at scope exit whatever happens.
class PlantedMount {
 public:
  explicit PlantedMount(std::filesystem::path target) : target_(std::move(target)) {
    std::filesystem::create_directory(target_);
    mounted_ = mount("harness", target_.c_str(), "tmpfs", 0, "size=4k") == 0;
  }
  ~PlantedMount() {
    if (mounted_) umount2(target_.c_str(), MNT_DETACH);
  }
  PlantedMount(const PlantedMount&) = delete;
  PlantedMount& operator=(const PlantedMount&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path target_;
  bool mounted_ = false;
};

TEST(HostileHarness, FindsANewMount) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  PolicyFile policy;
  const auto target = policy.directory() / "planted";
  const HostSnapshot before = HostSnapshot::take();
  RunResult run;
  run.supervisor = 4194305;
  {
    PlantedMount planted(target);
    ASSERT_TRUE(planted.mounted());
    EXPECT_TRUE(mentions(leftovers(before, run, policy),
                         "mount appeared: " + target.string() + " tmpfs harness"));
  }
  EXPECT_TRUE(leftovers(before, run, policy).empty());
}

}  // namespace
}  // namespace hostile

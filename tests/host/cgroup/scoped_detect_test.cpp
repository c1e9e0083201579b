// detect(limits_in_run) on the real kernel: a run's detect probes what the run needs and sees it
// as the full detect() does, and what it leaves out still has its stale groups collected.
#include <signal.h>

#include "support.hpp"

namespace cgroup::testing {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kAccounting{"cpuacct", "memory", "pids", "blkio", "io"};

// True when `controller` is a v1 hierarchy of its own, apart from the accounting controllers.
bool own_v1_hierarchy(const Host& host, const std::string& controller) {
  const auto found = host.controllers.find(controller);
  if (found == host.controllers.end() || !found->second.usable || found->second.version != 1) {
    return false;
  }
  for (const std::string& other : kAccounting) {
    const auto it = host.controllers.find(other);
    if (it != host.controllers.end() && it->second.mount == found->second.mount) return false;
  }
  return true;
}

TEST(CgroupScopedDetect, SeesWhatTheRunNeedsAsTheFullDetectDoes) {
  SKIP_UNLESS_ROOT();
  const Host full = detect();
  Limits weighted;
  weighted.cpu_weight = 200;
  weighted.pids_max = 50;
  const Host scoped = detect(std::vector<Limits>{Limits{}, weighted});
  EXPECT_EQ(scoped.layout, full.layout);
  EXPECT_EQ(scoped.unified_mount, full.unified_mount);
  EXPECT_EQ(scoped.unified_path, full.unified_path);
  EXPECT_EQ(scoped.unified_writable, full.unified_writable);
  std::vector<std::string> needed = kAccounting;
  needed.insert(needed.end(), {"cpu", "freezer"});
  for (const std::string& name : needed) {
    const auto expected = full.controllers.find(name);
    if (expected == full.controllers.end()) {
      EXPECT_FALSE(scoped.controllers.contains(name)) << name;
      continue;
    }
    const Controller& seen = scoped.controllers.at(name);
    EXPECT_EQ(seen.usable, expected->second.usable) << name;
    EXPECT_EQ(seen.why_not, expected->second.why_not) << name;
    EXPECT_EQ(seen.mount + seen.our_path, expected->second.mount + expected->second.our_path);
  }
  // The same writes, where the host can make them at all.
  try {
    const auto settings = translate(weighted, full);
    const auto scoped_settings = translate(weighted, scoped);
    ASSERT_EQ(scoped_settings.size(), settings.size());
    for (size_t i = 0; i < settings.size(); ++i) {
      EXPECT_EQ(scoped_settings[i].controller, settings[i].controller);
      EXPECT_EQ(scoped_settings[i].file, settings[i].file);
      EXPECT_EQ(scoped_settings[i].value, settings[i].value);
    }
  } catch (const Unsupported& unsupported) {
    EXPECT_THROW(translate(weighted, scoped), Unsupported) << unsupported.what();
  }
  // A controller no limit asks for is left out where it has a hierarchy of its own.
  if (own_v1_hierarchy(full, "cpuset")) {
    EXPECT_FALSE(scoped.has("cpuset"));
    EXPECT_NE(scoped.controllers.at("cpuset").why_not.find("not probed"), std::string::npos);
  }
}

TEST(CgroupScopedDetect, FeatureFilesAreProbedForTheLimitsThatReadThem) {
  SKIP_UNLESS_ROOT();
  const Host full = detect();
  if (!full.has("memory") || full.controllers.at("memory").files.empty()) {
    GTEST_SKIP() << "our memory cgroup shows no feature files here (a root cgroup hides them)";
  }
  Limits swap;
  swap.memory_max = 64 << 20;
  swap.swap_max = 64 << 20;
  EXPECT_EQ(detect(std::vector<Limits>{swap}).controllers.at("memory").files,
            full.controllers.at("memory").files);
  EXPECT_TRUE(detect(std::vector<Limits>{Limits{}}).controllers.at("memory").files.empty());
}

// A killed supervisor's run joined the cpu hierarchy (it had a cpu weight); the next run has no
// cpu limit, so its detect leaves that hierarchy out, and must still remove the group there.
TEST(CgroupScopedDetect, StaleGroupInAHierarchyTheRunLeavesOutIsCollected) {
  SKIP_UNLESS_ROOT();
  const Host full = detect();
  if (!own_v1_hierarchy(full, "cpu")) {
    GTEST_SKIP() << "cpu is not a v1 hierarchy apart from the accounting ones here";
  }
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child supervisor([&] {
    close(report[0]);
    alarm(60);
    Limits weighted;
    weighted.cpu_weight = 100;
    RunGroupSpec spec{"scoped-stale", std::nullopt, std::vector<Limits>{weighted}, weighted};
    auto run = Group::create_run(detect(), spec);
    std::string text;
    for (const std::string& dir : directories(full, *run)) text += dir + "\n";
    text += "end\n";
    if (write(report[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) return 1;
    pause();  // SIGKILLed: the group's destructor never runs
    return 1;
  });
  supervisor.release();
  close(report[1]);
  const std::vector<std::string> dirs = read_reported_words(report[0]);
  const std::string cpu_mount = full.controllers.at("cpu").mount;
  ASSERT_TRUE(std::any_of(dirs.begin(), dirs.end(),
                          [&](const std::string& dir) { return dir.starts_with(cpu_mount); }))
      << dirs.size() << " directories reported";

  kill(supervisor.pid(), SIGKILL);
  ASSERT_TRUE(supervisor.wait(seconds(5)));
  const Host scoped = detect(std::vector<Limits>{Limits{}});
  ASSERT_FALSE(scoped.has("cpu"));
  collect_stale(scoped);
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir;
  }
  // Whatever a failure above left: the group has no processes, and once its cgroup2 directory is
  // gone no later collect_stale would find the rest by its name.
  for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) (void)rmdir(dir->c_str());
}

}  // namespace
}  // namespace cgroup::testing

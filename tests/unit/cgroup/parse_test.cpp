// Pure parsers of the kernel's cgroup files and layout description from synthetic inputs.
#include "cgroup/parse.hpp"

#include <gtest/gtest.h>

namespace cgroup::parse {
namespace {

// This project's development host: v1 controllers, cgroup2 with only hugetlb, our memory cgroup
// delegated below /process_api.
const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n";
const char* kHybridProcCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n4:memory:/process_api/abc\n3:cpuset:/\n"
    "2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(Mountinfo, KeepsOnlyCgroupMountsWithTheirControllers) {
  const auto mounts = mountinfo(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 9u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(mounts[0].fstype, "cgroup");
  EXPECT_TRUE(mounts[0].super_options.contains("cpu"));
  EXPECT_EQ(mounts[8].fstype, "cgroup2");
  EXPECT_EQ(mounts[8].root, "/");
}

TEST(Mountinfo, DecodesEscapesAndOptionalFields) {
  const auto mounts = mountinfo(
      "50 1 0:40 /a\\040b /mnt/my\\040cg rw shared:5 master:2 - cgroup2 none rw,nsdelegate\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, "/a b");
  EXPECT_EQ(mounts[0].mount_point, "/mnt/my cg");
  EXPECT_TRUE(mounts[0].super_options.contains("nsdelegate"));
}

TEST(ProcCgroup, ParsesV1AndV2Lines) {
  const auto lines = proc_cgroup("4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/user.slice\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].hierarchy_id, 4);
  EXPECT_TRUE(lines[0].controllers.contains("memory"));
  EXPECT_EQ(lines[0].path, "/process_api/abc");
  EXPECT_TRUE(lines[1].controllers.contains("cpuacct"));
  EXPECT_TRUE(lines[2].controllers.empty());
  EXPECT_EQ(lines[2].path, "/user.slice");
}

TEST(Describe, Hybrid) {
  const Host host =
      describe(mountinfo(kHybridMountinfo), proc_cgroup(kHybridProcCgroup), "hugetlb\n");
  EXPECT_EQ(host.layout, Layout::hybrid);
  EXPECT_EQ(host.unified_mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(host.unified_path, "/");
  ASSERT_TRUE(host.controllers.contains("memory"));
  EXPECT_EQ(host.controllers.at("memory").version, 1);
  EXPECT_EQ(host.controllers.at("memory").our_path, "/process_api/abc");
  EXPECT_EQ(host.controllers.at("cpuacct").mount, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(host.controllers.at("hugetlb").version, 2);
  EXPECT_FALSE(host.controllers.contains("name=systemd"));
  EXPECT_FALSE(host.controllers.at("cpu").usable) << "usability is for detect() to probe";
}

TEST(Describe, UnifiedInAContainerSubtree) {
  const Host host = describe(
      mountinfo("30 1 0:26 /machine/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"),
      proc_cgroup("0::/machine/c1/app\n"), "cpuset cpu io memory pids\n");
  EXPECT_EQ(host.layout, Layout::unified);
  EXPECT_EQ(host.unified_path, "/app");
  ASSERT_TRUE(host.controllers.contains("io"));
  EXPECT_EQ(host.controllers.at("io").version, 2);
  EXPECT_EQ(host.controllers.at("io").our_path, "/app");
  EXPECT_EQ(host.controllers.size(), 5u);
}

TEST(Describe, ReportsMissingControllersWithTheReason) {
  const Host unified = describe(mountinfo("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
                                proc_cgroup("0::/\n"), "cpu memory\n");
  ASSERT_TRUE(unified.controllers.contains("pids"));
  EXPECT_FALSE(unified.controllers.at("pids").usable);
  EXPECT_NE(unified.controllers.at("pids").why_not.find("cgroup.controllers"), std::string::npos);
  EXPECT_FALSE(unified.controllers.contains("freezer")) << "v2 has cgroup.freeze, no controller";

  const Host legacy =
      describe(mountinfo("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"),
               proc_cgroup("3:memory:/\n"), "");
  ASSERT_TRUE(legacy.controllers.contains("freezer"));
  EXPECT_FALSE(legacy.controllers.at("freezer").why_not.empty());
  EXPECT_TRUE(legacy.controllers.at("memory").why_not.empty());
}

TEST(Describe, LegacyWithCoMountedControllers) {
  const Host host = describe(
      mountinfo("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"),
      proc_cgroup("3:memory:/user/1\n2:cpu,cpuacct:/user/1\n"), "");
  EXPECT_EQ(host.layout, Layout::legacy);
  EXPECT_TRUE(host.unified_mount.empty());
  EXPECT_EQ(host.controllers.at("cpu").mount, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(host.controllers.at("cpuacct").mount, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(host.controllers.at("cpuacct").our_path, "/user/1");
}

TEST(Describe, ReportsAPathOutsideTheMount) {
  const Host host =
      describe(mountinfo("35 31 0:32 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"),
               proc_cgroup("3:memory:/mine\n"), "");
  EXPECT_FALSE(host.controllers.at("memory").why_not.empty());
}

TEST(Describe, ThrowsWithoutAnyCgroupMount) {
  EXPECT_THROW(describe({}, {}, ""), Error);
}

TEST(RelativeToRoot, StripsTheMountRoot) {
  EXPECT_EQ(relative_to_root("/a/b", "/"), "/a/b");
  EXPECT_EQ(relative_to_root("/a/b", "/a"), "/b");
  EXPECT_EQ(relative_to_root("/a", "/a"), "/");
  EXPECT_EQ(relative_to_root("/ab", "/a"), std::nullopt);
}

TEST(FlatKeyed, ReadsCpuStatAndOomControl) {
  auto stat = flat_keyed("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_throttled 3\n");
  EXPECT_EQ(stat["usage_usec"], 1500u);
  EXPECT_EQ(stat["nr_throttled"], 3u);
  auto oom = flat_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  EXPECT_EQ(oom["oom_kill"], 2u);
}

TEST(IoStat, SumsBytesOverDevices) {
  const IoBytes bytes = io_stat(
      "8:0 rbytes=100 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n"
      "253:0 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n");
  EXPECT_EQ(bytes.read, 105u);
  EXPECT_EQ(bytes.write, 27u);
}

TEST(BlkioServiceBytes, SumsReadAndWriteLinesOnly) {
  const IoBytes bytes = blkio_service_bytes(
      "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Total 12288\n"
      "8:16 Read 1\nTotal 12289\n");
  EXPECT_EQ(bytes.read, 4097u);
  EXPECT_EQ(bytes.write, 8192u);
}

TEST(CpuacctUsageAll, SumsUserAndSystemOverCpus) {
  const auto split = cpuacct_usage_all("cpu user system\n0 1000 20\n1 300 4\n");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->user_ns, 1300u);
  EXPECT_EQ(split->system_ns, 24u);
}

TEST(CpuacctUsageAll, RefusesATextWithoutCpuLinesOrWithAMalformedOne) {
  EXPECT_FALSE(cpuacct_usage_all("cpu user system\n"));
  EXPECT_FALSE(cpuacct_usage_all(""));
  EXPECT_FALSE(cpuacct_usage_all("cpu user system\n0 1000 20\n1 300\n"));
  EXPECT_FALSE(cpuacct_usage_all("cpu user system\n0 1000 x\n"));
  EXPECT_FALSE(cpuacct_usage_all("cpu user system\n0 1 2 3\n"));
  EXPECT_FALSE(cpuacct_usage_all("cpu user system\nx 1 2\n"));
}

TEST(CpuacctUsageAll, SkipsBlankLinesAndReadsALastLineWithoutNewline) {
  const auto split = cpuacct_usage_all("cpu user system\n\n 0  5 6\n1 7 8");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->user_ns, 12u);
  EXPECT_EQ(split->system_ns, 14u);
}

TEST(Pids, ParsesCgroupProcs) {
  EXPECT_EQ(pids("12\n345\n"), (std::vector<pid_t>{12, 345}));
  EXPECT_TRUE(pids("").empty());
}

TEST(StatStarttime, SkipsACommandWithSpacesAndParentheses) {
  const std::string stat =
      "4242 (evil ) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
  EXPECT_EQ(stat_starttime(stat), 987654u);
  EXPECT_EQ(stat_starttime("12 (x) S 1"), std::nullopt);
}

TEST(RunGroupName, RoundTripsWithDashesInTheName) {
  const std::string name = run_group_name(123, 456789, "ci-farm-2");
  EXPECT_EQ(name, "sb-123-456789-ci-farm-2");
  const auto owner = run_group_owner(name);
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->pid, 123);
  EXPECT_EQ(owner->starttime, 456789u);
  EXPECT_EQ(owner->name, "ci-farm-2");
}

TEST(RunGroupName, RejectsOtherDirectories) {
  for (const char* name : {"supervisor", "sb-", "sb-12", "sb-12-34", "sb-12-34-", "sb-x-34-a",
                           "sb-0-34-a", "sb-12-3y-a", "xsb-1-2-a"}) {
    EXPECT_EQ(run_group_owner(name), std::nullopt) << name;
  }
}

TEST(ValidGroupName, AllowsOneSafeComponent) {
  EXPECT_TRUE(valid_group_name("ci"));
  EXPECT_TRUE(valid_group_name("tenant_a.job-1"));
  for (const char* name : {"", ".", "..", "a/b", "a b", ".hidden", "cgroup.procs", "x\n"}) {
    EXPECT_FALSE(valid_group_name(name)) << name;
  }
  EXPECT_FALSE(valid_group_name(std::string(129, 'a')));
}

TEST(ContainsWord, MatchesWholeWords) {
  EXPECT_TRUE(contains_word("cpuset cpu io\n", "cpu"));
  EXPECT_FALSE(contains_word("cpuset io\n", "cpu"));
}

}  // namespace
}  // namespace cgroup::parse

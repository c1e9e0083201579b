// translate(): limits to file writes on synthetic unified, hybrid and legacy hosts.
#include <gtest/gtest.h>

#include <algorithm>

#include "cgroup/cgroup.hpp"

namespace cgroup {
namespace {

Controller controller(const std::string& name, int version, std::set<std::string> files = {}) {
  Controller c;
  c.name = name;
  c.version = version;
  c.mount = version == 2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + name;
  c.our_path = "/";
  c.usable = true;
  c.files = std::move(files);
  return c;
}

Host unified_host() {
  Host host;
  host.layout = Layout::unified;
  host.unified_mount = "/sys/fs/cgroup";
  host.unified_path = "/";
  for (const char* name : {"cpu", "cpuset", "memory", "pids", "io"}) {
    host.controllers[name] = controller(name, 2);
  }
  host.block_devices = {"8:0", "253:0"};
  return host;
}

Host legacy_host() {
  Host host;
  host.layout = Layout::legacy;
  for (const char* name : {"cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer"}) {
    host.controllers[name] = controller(name, 1);
  }
  host.controllers["memory"] =
      controller("memory", 1, {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"});
  host.block_devices = {"8:0"};
  return host;
}

Host hybrid_host() {
  Host host = legacy_host();
  host.layout = Layout::hybrid;
  host.unified_mount = "/sys/fs/cgroup/unified";
  host.unified_path = "/";
  host.controllers["hugetlb"] = controller("hugetlb", 2);
  return host;
}

// "controller:file=value" for each write, in order.
std::vector<std::string> writes(const Limits& limits, const Host& host) {
  std::vector<std::string> result;
  for (const Setting& s : translate(limits, host)) {
    result.push_back(s.controller + ":" + s.file + "=" + s.value);
  }
  return result;
}

std::string unsupported_limit(const Limits& limits, const Host& host) {
  try {
    translate(limits, host);
  } catch (const Unsupported& unsupported) {
    return unsupported.limit;
  }
  return "";
}

Limits no_oom_group() {
  Limits limits;
  limits.oom_group = false;
  return limits;
}

TEST(TranslateCpu, WeightOnV2IsCpuWeight) {
  Limits limits = no_oom_group();
  limits.cpu_weight = 150;
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"cpu:cpu.weight=150"});
}

TEST(TranslateCpu, WeightsOnV1AreSharesInTheSameRatio) {
  for (const Host& host : {legacy_host(), hybrid_host()}) {
    Limits high = no_oom_group(), low = no_oom_group();
    high.cpu_weight = 75;
    low.cpu_weight = 25;
    EXPECT_EQ(writes(high, host), std::vector<std::string>{"cpu:cpu.shares=768"});
    EXPECT_EQ(writes(low, host), std::vector<std::string>{"cpu:cpu.shares=256"});
    low.cpu_weight = 1;
    EXPECT_EQ(writes(low, host), std::vector<std::string>{"cpu:cpu.shares=10"});
  }
}

TEST(TranslateCpu, RejectsWeightsOutsideTheV2Range) {
  Limits limits;
  limits.cpu_weight = 0;
  EXPECT_THROW(translate(limits, unified_host()), Error);
  limits.cpu_weight = 10001;
  EXPECT_THROW(translate(limits, legacy_host()), Error);
}

TEST(TranslateCpu, MaxOnEachVersion) {
  Limits limits = no_oom_group();
  limits.cpu_max = CpuMax{50000, 100000};
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"cpu:cpu.max=50000 100000"});
  EXPECT_EQ(
      writes(limits, hybrid_host()),
      (std::vector<std::string>{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=50000"}));
  limits.cpu_max = CpuMax{0, 100000};  // no quota
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"cpu:cpu.max=max 100000"});
  EXPECT_EQ(writes(limits, legacy_host()).back(), "cpu:cpu.cfs_quota_us=-1");
  limits.cpu_max = CpuMax{500, 100000};
  EXPECT_THROW(translate(limits, unified_host()), Error);
}

TEST(TranslateCpuset, SameFileOnBothVersions) {
  Limits limits = no_oom_group();
  limits.cpuset_cpus = "0";
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"cpuset:cpuset.cpus=0"});
  EXPECT_EQ(writes(limits, legacy_host()), std::vector<std::string>{"cpuset:cpuset.cpus=0"});
}

TEST(TranslateMemory, MaxHighAndSwapOnV2) {
  Limits limits;
  limits.memory_max = 64 << 20;
  limits.memory_high = 48 << 20;
  limits.swap_max = 0;
  EXPECT_EQ(writes(limits, unified_host()),
            (std::vector<std::string>{"memory:memory.max=67108864", "memory:memory.high=50331648",
                                      "memory:memory.swap.max=0", "memory:memory.oom.group=1"}));
}

TEST(TranslateMemory, OnV1SwapIsMemswAfterTheMemoryLimit) {
  Limits limits;
  limits.memory_max = 64 << 20;
  limits.swap_max = 16 << 20;
  EXPECT_EQ(writes(limits, hybrid_host()),
            (std::vector<std::string>{"memory:memory.limit_in_bytes=67108864",
                                      "memory:memory.memsw.limit_in_bytes=83886080"}))
      << "no memory.oom.group on v1";
}

TEST(TranslateMemory, MemoryHighIsUnsupportedOnV1UnlessOptional) {
  Limits limits;
  limits.memory_high = 1 << 20;
  EXPECT_EQ(unsupported_limit(limits, legacy_host()), "memory_high");
  limits.optional = {"memory_high"};
  EXPECT_TRUE(writes(limits, legacy_host()).empty());
}

TEST(TranslateMemory, SwapOnV1NeedsMemswAndAMemoryLimit) {
  Limits limits;
  limits.swap_max = 0;
  EXPECT_EQ(unsupported_limit(limits, hybrid_host()), "swap") << "no memory limit to add to";

  Host no_memsw = hybrid_host();
  no_memsw.controllers["memory"].files = {"memory.limit_in_bytes"};
  limits.memory_max = 1 << 20;
  EXPECT_EQ(unsupported_limit(limits, no_memsw), "swap");
  limits.optional = {"swap"};
  EXPECT_EQ(writes(limits, no_memsw),
            std::vector<std::string>{"memory:memory.limit_in_bytes=1048576"});
}

TEST(TranslateMemory, OomGroupOnlyWhereAsked) {
  Limits limits;
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"memory:memory.oom.group=1"});
  EXPECT_TRUE(writes(no_oom_group(), unified_host()).empty());
  EXPECT_TRUE(writes(limits, legacy_host()).empty());
}

TEST(TranslatePids, SameFileOnBothVersions) {
  Limits limits = no_oom_group();
  limits.pids_max = 64;
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"pids:pids.max=64"});
  EXPECT_EQ(writes(limits, hybrid_host()), std::vector<std::string>{"pids:pids.max=64"});
}

TEST(TranslateIo, WeightPerVersionAndScheduler) {
  Limits limits = no_oom_group();
  limits.io_weight = 100;
  EXPECT_EQ(writes(limits, unified_host()), std::vector<std::string>{"io:io.weight=default 100"});
  EXPECT_EQ(writes(limits, legacy_host()), std::vector<std::string>{"blkio:blkio.bfq.weight=500"});
  Host cfq = legacy_host();
  cfq.controllers["blkio"].files = {"blkio.weight"};
  limits.io_weight = 1;
  EXPECT_EQ(writes(limits, cfq), std::vector<std::string>{"blkio:blkio.weight=10"});
  limits.io_weight = 10000;
  EXPECT_EQ(writes(limits, cfq), std::vector<std::string>{"blkio:blkio.weight=1000"});
}

TEST(TranslateIo, MaxPerVersion) {
  Limits limits = no_oom_group();
  limits.io_max.push_back(IoMax{"8:0", 1048576, std::nullopt, std::nullopt, 100});
  EXPECT_EQ(writes(limits, unified_host()),
            std::vector<std::string>{"io:io.max=8:0 rbps=1048576 wiops=100"});
  EXPECT_EQ(writes(limits, legacy_host()),
            (std::vector<std::string>{"blkio:blkio.throttle.read_bps_device=8:0 1048576",
                                      "blkio:blkio.throttle.write_iops_device=8:0 100"}));
}

TEST(TranslateIo, MaxOnAMissingDeviceIsUnsupportedUnlessOptional) {
  Limits limits = no_oom_group();
  limits.io_max.push_back(IoMax{"259:99", 1, std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(unsupported_limit(limits, unified_host()), "io");
  limits.optional = {"io"};
  EXPECT_TRUE(writes(limits, unified_host()).empty());
}

TEST(TranslateIo, MalformedDeviceIsAnErrorNotUnsupported) {
  Limits limits = no_oom_group();
  limits.io_max.push_back(IoMax{"/dev/sda", 1, std::nullopt, std::nullopt, std::nullopt});
  limits.optional = {"io"};
  try {
    translate(limits, unified_host());
    FAIL() << "a malformed device must be refused";
  } catch (const Unsupported&) {
    FAIL() << "a malformed device is a policy error, not an unsupported host";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/dev/sda"), std::string::npos);
  }
}

TEST(TranslateMissingController, UnsupportedNamesTheLimitAndWhy) {
  Host host = unified_host();
  host.controllers.erase("pids");
  host.controllers["io"].usable = false;
  host.controllers["io"].why_not = "not delegated to /sys/fs/cgroup/x";
  Limits limits = no_oom_group();
  limits.pids_max = 10;
  EXPECT_EQ(unsupported_limit(limits, host), "pids");
  limits.pids_max.reset();
  limits.io_weight = 100;
  try {
    translate(limits, host);
    FAIL() << "io weight without a usable io controller must be refused";
  } catch (const Unsupported& unsupported) {
    EXPECT_EQ(unsupported.limit, "io_weight");
    EXPECT_NE(std::string(unsupported.what()).find("not delegated"), std::string::npos);
  }
  limits.optional = {"io_weight"};
  EXPECT_TRUE(writes(limits, host).empty());
  limits.optional = {"io"};
  EXPECT_TRUE(writes(limits, host).empty()) << "optional io covers the io weight too";
  limits.optional = {"memory"};
  EXPECT_EQ(unsupported_limit(limits, host), "io_weight");
}

TEST(TranslateEmpty, NoLimitsNoWrites) {
  EXPECT_TRUE(writes(no_oom_group(), unified_host()).empty());
  EXPECT_TRUE(writes(no_oom_group(), hybrid_host()).empty());
  EXPECT_TRUE(writes(Limits{}, legacy_host()).empty());
}

}  // namespace
}  // namespace cgroup

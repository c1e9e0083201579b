// Limits enforced by the real kernel: memory (OOM kill), pids (fork fails), cpu max and weights.
// Layout-agnostic: the same tests run on this hybrid host and on the pure v2 VM.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "support.hpp"

namespace cgroup::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int busy_forever() {
  alarm(60);  // never outlive a broken test
  volatile uint64_t spins = 0;
  for (;;) {
    spins = spins + 1;
  }
}

// Gives `group` the largest CPU weight, so that what its jobs get is set by their own limits and
// not by whatever else runs on the machine (a parallel build, other test suites).
void favour(const Host& host, const Group& group) {
  const Controller& cpu = host.controllers.at("cpu");
  const std::string dir = cpu.mount + group.paths().at("cpu");
  const std::string file = dir + (cpu.version == 2 ? "/cpu.weight" : "/cpu.shares");
  FILE* out = std::fopen(file.c_str(), "w");
  ASSERT_NE(out, nullptr) << file;
  ASSERT_GE(std::fputs(cpu.version == 2 ? "10000" : "262144", out), 0) << file;
  ASSERT_EQ(std::fclose(out), 0) << file;
}

class CgroupLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    host_ = detect();
    run_ = Group::create_run(host_, "limits-test");
  }
  Host host_;
  std::unique_ptr<Group> run_;
};

TEST_F(CgroupLimits, MemoryMaxOomKillsTheJobNotUs) {
  if (!host_.has("memory")) {
    GTEST_SKIP() << "no usable memory controller";
  }
  Limits limits;
  limits.memory_max = 32 << 20;
  limits.swap_max = 0;         // else the job swaps instead of being killed
  limits.optional = {"swap"};  // v1 without swap accounting, or no swap at all
  auto job = run_->create_child("job", limits);

  Child child([] {
    alarm(60);
    const size_t size = 256 << 20;
    char* memory = static_cast<char*>(
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (memory == MAP_FAILED) {
      return 2;
    }
    for (size_t offset = 0; offset < size; offset += 4096) {
      memory[offset] = 1;  // touch every page: only resident memory is charged
    }
    return 0;  // not killed: the limit did not hold
  });
  job->attach(child.pid());
  child.release();
  const auto status = child.wait(seconds(60));
  ASSERT_TRUE(status) << "the job neither finished nor was killed";
  ASSERT_TRUE(WIFSIGNALED(*status)) << "exit code " << WEXITSTATUS(*status);
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);

  const Usage usage = job->usage();
  EXPECT_GE(usage.oom_kills, 1u);
  EXPECT_GE(run_->usage().oom_kills, 1u) << "usage covers the subtree on every layout";
  EXPECT_GT(usage.memory_peak, 16u << 20);
  EXPECT_LE(usage.memory_peak, (32u << 20) + (1u << 20));
}

TEST_F(CgroupLimits, PidsMaxMakesForkFailWithEagain) {
  if (!host_.has("pids")) {
    GTEST_SKIP() << "no usable pids controller";
  }
  Limits limits;
  limits.pids_max = 8;
  auto job = run_->create_child("job", limits);

  // Forks sleepers until fork fails (at most 64), reports the number forked (-1: fork failed
  // with anything but EAGAIN) and stays, so that the group is at its peak when sampled.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child child([&] {
    alarm(60);
    close(report[0]);
    int forked = 0;
    for (; forked < 64; ++forked) {
      const pid_t pid = fork();
      if (pid < 0) {
        if (errno != EAGAIN) {
          forked = -1;
        }
        break;
      }
      if (pid == 0) {
        alarm(60);
        pause();
        _exit(0);
      }
    }
    if (write(report[1], &forked, sizeof forked) != sizeof forked) {
      return 1;
    }
    pause();
    return 0;
  });
  close(report[1]);
  job->attach(child.pid());
  child.release();
  int forked = 0;
  const ssize_t got = read(report[0], &forked, sizeof forked);
  close(report[0]);
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof forked));
  EXPECT_EQ(forked, 7) << "8 tasks: the forker and 7 children (-1: fork failed, not with EAGAIN)";
  job->sample();
  EXPECT_EQ(job->usage().pids_peak, 8u);
  EXPECT_EQ(job->usage().pids_current, 8u);
}

TEST_F(CgroupLimits, CpuMaxHalfACpu) {
  if (!host_.has("cpu")) {
    GTEST_SKIP() << "no usable cpu controller";
  }
  Limits limits;
  limits.cpu_max = CpuMax{50000, 100000};
  favour(host_, *run_);
  auto job = run_->create_child("job", limits);
  Child child(busy_forever);
  job->attach(child.pid());
  child.release();

  std::this_thread::sleep_for(milliseconds(300));  // settle into the throttling rhythm
  const auto start = std::chrono::steady_clock::now();
  const uint64_t used_before = job->usage().cpu_usage_us;
  std::this_thread::sleep_for(seconds(2));
  const uint64_t used = job->usage().cpu_usage_us - used_before;
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);

  const double cpus = static_cast<double>(used) / static_cast<double>(wall.count());
  EXPECT_NEAR(cpus, 0.5, 0.05);
  const Usage usage = job->usage();
  EXPECT_GT(usage.cpu_nr_throttled, 0u);
  EXPECT_GT(usage.cpu_throttled_us, 0u);
}

TEST_F(CgroupLimits, CpuWeights75To25OnOneCpu) {
  if (!host_.has("cpu") || !host_.has("cpuset")) {
    GTEST_SKIP() << "needs usable cpu and cpuset controllers";
  }
  Limits high, low;
  high.cpu_weight = 75;
  low.cpu_weight = 25;
  high.cpuset_cpus = low.cpuset_cpus = "0";
  favour(host_, *run_);
  auto heavy = run_->create_child("heavy", high);
  auto light = run_->create_child("light", low);
  Child heavy_child(busy_forever), light_child(busy_forever);
  heavy->attach(heavy_child.pid());
  light->attach(light_child.pid());
  heavy_child.release();
  light_child.release();

  std::this_thread::sleep_for(milliseconds(300));
  const uint64_t heavy_before = heavy->usage().cpu_usage_us;
  const uint64_t light_before = light->usage().cpu_usage_us;
  std::this_thread::sleep_for(seconds(3));
  const double heavy_used = static_cast<double>(heavy->usage().cpu_usage_us - heavy_before);
  const double light_used = static_cast<double>(light->usage().cpu_usage_us - light_before);

  ASSERT_GT(heavy_used + light_used, 1e6) << "the two jobs barely ran";
  EXPECT_LE(heavy_used + light_used, 3.3e6) << "both were pinned to one CPU";
  EXPECT_NEAR(heavy_used / (heavy_used + light_used), 0.75, 0.03);
}

TEST_F(CgroupLimits, UnsupportedForAMissingDeviceUnlessOptional) {
  Limits limits;
  limits.io_max.push_back(IoMax{"259:999999", 1 << 20, std::nullopt, std::nullopt, std::nullopt});
  try {
    run_->create_child("job", limits);
    FAIL() << "an io limit on a device that does not exist cannot be enforced";
  } catch (const Unsupported& unsupported) {
    EXPECT_EQ(unsupported.limit, "io");
  }
  for (const std::string& dir : directories(host_, *run_)) {
    EXPECT_FALSE(exists(dir + "/job")) << "nothing is created for a refused job: " << dir;
  }
  limits.optional = {"io"};
  EXPECT_NO_THROW(run_->create_child("job", limits));
}

TEST_F(CgroupLimits, MemoryHighIsUnsupportedOnV1AndAppliedOnV2) {
  if (!host_.has("memory")) {
    GTEST_SKIP() << "no usable memory controller";
  }
  Limits limits;
  limits.memory_high = 64 << 20;
  if (host_.controllers.at("memory").version == 1) {
    EXPECT_THROW(run_->create_child("job", limits), Unsupported);
    limits.optional = {"memory_high"};
    EXPECT_NO_THROW(run_->create_child("job", limits));
  } else {
    auto job = run_->create_child("job", limits);
    const std::string file = host_.unified_mount + job->paths().at("memory") + "/memory.high";
    FILE* in = std::fopen(file.c_str(), "r");
    ASSERT_NE(in, nullptr);
    unsigned long long value = 0;
    EXPECT_EQ(std::fscanf(in, "%llu", &value), 1);
    (void)std::fclose(in);  // read only
    EXPECT_EQ(value, 64ull << 20);
  }
}

}  // namespace
}  // namespace cgroup::testing

namespace cgroup::testing {
namespace {

// A directory on a whole block disk to do direct I/O in, with the disk's "major:minor"; nullopt
// when there is none (the VM's root is a RAM disk; its scratch disk is at /mnt/disk).
std::optional<std::pair<std::string, std::string>> direct_io_directory() {
  for (const char* dir : {"/mnt/disk", "/var/tmp"}) {
    struct stat info {};
    if (stat(dir, &info) != 0) {
      continue;
    }
    const std::string device =
        std::to_string(major(info.st_dev)) + ":" + std::to_string(minor(info.st_dev));
    // io.max and blkio.throttle rules apply to whole disks, not partitions.
    if (access(("/sys/dev/block/" + device).c_str(), F_OK) == 0 &&
        access(("/sys/dev/block/" + device + "/partition").c_str(), F_OK) != 0) {
      return std::make_pair(std::string(dir), device);
    }
  }
  return std::nullopt;
}

TEST_F(CgroupLimits, IoBytesAreAccountedOnADeviceWithARule) {
  const auto io = direct_io_directory();
  if (!io || (!host_.has("io") && !host_.has("blkio"))) {
    GTEST_SKIP() << "no whole-disk directory for direct I/O, or no io controller";
  }
  // v1 kernels account blkio.throttle bytes only for devices with a throttle rule: one far above
  // what the test does makes the accounting happen without slowing anything.
  Limits limits;
  const uint64_t unlimited = 1ull << 40;
  limits.io_max.push_back(IoMax{io->second, unlimited, unlimited, std::nullopt, std::nullopt});
  auto job = run_->create_child("job", limits);

  const std::string file = io->first + "/sandbox-cgroup-io-test";
  Child child([file] {
    alarm(60);
    constexpr size_t kChunk = 1 << 20;
    void* buffer = nullptr;
    if (posix_memalign(&buffer, 4096, kChunk) != 0) {
      return 2;
    }
    std::memset(buffer, 7, kChunk);
    int fd = open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_DIRECT, 0600);
    for (int i = 0; fd >= 0 && i < 8; ++i) {
      if (write(fd, buffer, kChunk) != static_cast<ssize_t>(kChunk)) {
        return 3;
      }
    }
    if (fd < 0 || fsync(fd) != 0 || close(fd) != 0) {
      return 4;
    }
    fd = open(file.c_str(), O_RDONLY | O_DIRECT);
    for (int i = 0; fd >= 0 && i < 8; ++i) {
      if (read(fd, buffer, kChunk) != static_cast<ssize_t>(kChunk)) {
        return 5;
      }
    }
    return fd >= 0 && close(fd) == 0 ? 0 : 6;
  });
  job->attach(child.pid());
  child.release();
  const auto status = child.wait(seconds(60));
  unlink(file.c_str());
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "status " << *status;

  const Usage usage = job->usage();
  EXPECT_GE(usage.io_write_bytes, 8u << 20);
  EXPECT_GE(usage.io_read_bytes, 8u << 20);
}

}  // namespace
}  // namespace cgroup::testing

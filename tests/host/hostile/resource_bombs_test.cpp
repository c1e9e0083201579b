// Hostile jobs that try to exhaust the host from inside examples/untrusted.yaml (pids 32, memory
// 128 MiB, /tmp 16 MiB, nofile 256, wall time): each is held at its limit, inside the job only,
// and nothing of it survives the run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "cgroup/cgroup.hpp"
#include "hostile_fixture.hpp"

namespace hostile {
namespace {

using namespace std::chrono_literals;

std::string read_value(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::string value;
  std::getline(file, value);
  return value;
}

// "key value" lines (memory.oom_control, pids.events, memory.events).
uint64_t keyed_value(const std::filesystem::path& path, const std::string& key) {
  std::ifstream file(path);
  std::string name;
  uint64_t value = 0;
  while (file >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

// The pids cgroup of the run's job: the directory below the run's group with pids.max set to
// `limit`. Empty while the sandbox has not created it yet.
std::filesystem::path job_pids_group(pid_t supervisor, const std::string& limit) {
  for (const auto& group : run_cgroups(supervisor)) {
    std::error_code error;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(group, error)) {
      if (entry.path().filename() == "pids.max" && read_value(entry.path()) == limit) {
        return entry.path().parent_path();
      }
    }
  }
  return {};
}

// OOM kills counted in the cgroup this test runs in (not in its children).
uint64_t our_oom_kills() {
  const cgroup::Host host = cgroup::detect();
  const auto& memory = host.controllers.at("memory");
  const auto group =
      std::filesystem::path(memory.mount) / std::filesystem::path(memory.our_path).relative_path();
  if (memory.version == 1) return keyed_value(group / "memory.oom_control", "oom_kill");
  return keyed_value(group / "memory.events.local", "oom_kill");
}

class ResourceBomb : public HostileTest {};

bool host_can_fork() {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/true", "true", nullptr);
    _exit(127);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

TEST_F(ResourceBomb, ForkBombIsHeldAtPidsMax) {
  // Room for a slow start: on a loaded or emulated CPU (cpu_max 50%) the bomb needs seconds to
  // reach the limit (8 pids after 1 s measured in the VM under load).
  policy_.replace("wall_time: 10s", "wall_time: 8s");
  // Four workers forking without pause (a shell bomb collapses on its first refused fork).
  SandboxRun bomb(policy_, {"stress-ng", "--fork", "4", "--fork-max", "100", "--timeout", "60s"});
  std::filesystem::path group;
  for (auto waited = 0ms; group.empty() && waited < 3000ms; waited += 50ms) {
    std::this_thread::sleep_for(50ms);
    group = job_pids_group(bomb.supervisor(), "32");
  }
  ASSERT_FALSE(group.empty()) << "no job cgroup with pids.max 32 appeared";
  // Let the bomb reach the limit (or fail to, which the checks below report).
  const auto current = [&] { return std::stoull("0" + read_value(group / "pids.current")); };
  for (auto waited = 0ms; current() < 24 && waited < 5000ms; waited += 50ms) {
    std::this_thread::sleep_for(50ms);
  }
  uint64_t most = 0;
  for (int sample = 0; sample < 10; ++sample) {
    most = std::max<uint64_t>(most, current());
    EXPECT_TRUE(host_can_fork()) << "the host cannot fork while the bomb runs";
    std::this_thread::sleep_for(100ms);
  }
  const uint64_t refused = keyed_value(group / "pids.events", "max");
  const RunResult result = bomb.wait(30s);
  expect_clean_host(result);

  EXPECT_LE(most, 32u);
  EXPECT_GE(most, 24u) << "the bomb never came near the limit: the test proves nothing";
  EXPECT_GT(refused, 0u) << "the kernel never refused a fork at pids.max";
  EXPECT_EQ(result.exit_code, 124) << result.describe();
  EXPECT_EQ(result.job().value("status", ""), "timeout") << result.describe();
  const auto usage = result.job().value("usage", nlohmann::json::object());
  EXPECT_LE(usage.value("pids_peak", 0u), 32u) << result.describe();
}

TEST_F(ResourceBomb, MemoryBombIsKilledInsideOnly) {
  const uint64_t host_kills_before = our_oom_kills();
  policy_.add_probe_binary();
  const RunResult result = run(probe_command("memory_bomb"));
  EXPECT_EQ(result.job().value("status", ""), "oom") << result.describe();
  EXPECT_EQ(result.exit_code, 128 + SIGKILL) << result.describe();
  const auto usage = result.job().value("usage", nlohmann::json::object());
  EXPECT_GE(usage.value("oom_kills", 0u), 1u) << result.describe();
  EXPECT_LE(usage.value("memory_peak_bytes", uint64_t{0}), uint64_t{128} << 20)
      << result.describe();
  EXPECT_EQ(result.out.find("allocated="), std::string::npos) << "the bomb got all it wanted";
  EXPECT_EQ(our_oom_kills(), host_kills_before) << "the OOM killer acted outside the job";
}

TEST_F(ResourceBomb, MemoryBombWithWorkersStaysInsideTheLimit) {
  // stress-ng's workers are OOM-killed one by one (--oomable: not restarted); its parent lives.
  const uint64_t host_kills_before = our_oom_kills();
  const RunResult result = run(
      {"stress-ng", "--vm", "2", "--vm-bytes", "1G", "--vm-keep", "--oomable", "--timeout", "5s"});
  const auto usage = result.job().value("usage", nlohmann::json::object());
  EXPECT_GE(usage.value("oom_kills", 0u), 1u) << result.describe();
  // v2 kills the whole job (memory.oom.group), v1 the workers only: oom either way.
  EXPECT_EQ(result.job().value("status", ""), "oom") << result.describe();
  EXPECT_EQ(result.exit_code, 128 + SIGKILL) << result.describe();
  EXPECT_LE(usage.value("memory_peak_bytes", uint64_t{0}), uint64_t{128} << 20)
      << result.describe();
  EXPECT_LT(result.seconds, 30) << result.describe();
  EXPECT_EQ(our_oom_kills(), host_kills_before) << "the OOM killer acted outside the job";
}

TEST_F(ResourceBomb, MemoryBombHeldAtMemoryHighTimesOutAndSaysWhy) {
  // untrusted.yaml sets no memory_high (see there): with one, and no swap, the kernel throttles a
  // bomb below its memory cap instead of killing it, until the wall time does. Still inside the
  // limit, and the user is told why the job looked hung.
  if (cgroup::detect().controllers.at("memory").version != 2) {
    GTEST_SKIP() << "memory_high (memory.high) exists only on cgroup v2";
  }
  // Half the cap: reached after a few of the bomb's 16 MiB steps even on a slow machine, and the
  // throttle grows with the excess long before the cap (kernel: up to 2 s per allocation batch).
  policy_.replace("    memory: 128MiB\n", "    memory: 128MiB\n    memory_high: 64MiB\n");
  policy_.add_probe_binary();
  const uint64_t host_kills_before = our_oom_kills();
  const RunResult result = run(probe_command("memory_bomb"));
  EXPECT_EQ(result.exit_code, 124) << result.describe();
  EXPECT_EQ(result.job().value("status", ""), "timeout") << result.describe();
  const auto usage = result.job().value("usage", nlohmann::json::object());
  EXPECT_GE(usage.value("memory_high_events", uint64_t{0}), 1u) << result.describe();
  EXPECT_LE(usage.value("memory_peak_bytes", uint64_t{0}), uint64_t{128} << 20)
      << result.describe();
  EXPECT_NE(result.err.find("throttled at memory_high (67108864 bytes)"), std::string::npos)
      << result.describe();
  EXPECT_EQ(result.out.find("allocated="), std::string::npos) << "the bomb got all it wanted";
  EXPECT_EQ(our_oom_kills(), host_kills_before) << "the OOM killer acted outside the job";
}

TEST_F(ResourceBomb, TmpfsFillerHitsEnospcAtTheSize) {
  // 4 MiB files, so that the 16 MiB tmpfs fills before any one file reaches fsize (16 MiB).
  const RunResult result =
      run({"/bin/sh", "-c",
           "i=0; while [ $i -lt 8 ]; do i=$((i+1)); "
           "head -c 4194304 /dev/zero > /tmp/fill$i || { echo full_at=$i; break; }; done; "
           "echo bytes=$(cat /tmp/fill* | wc -c)"});
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  auto values = probe_results(result.out);
  EXPECT_FALSE(values["full_at"].empty()) << "the tmpfs never filled up\n" << result.describe();
  const uint64_t bytes = std::stoull("0" + values["bytes"]);
  EXPECT_LE(bytes, uint64_t{16} << 20) << result.describe();
  EXPECT_GE(bytes, uint64_t{15} << 20) << result.describe();
  EXPECT_NE(result.err.find("No space left on device"), std::string::npos) << result.describe();
}

TEST_F(ResourceBomb, OpenFilesStormStopsAtNofile) {
  policy_.add_probe_binary();
  const RunResult result = run(probe_command("open_files"));
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  auto values = probe_results(result.out);
  EXPECT_EQ(values["error"], "EMFILE") << result.describe();
  const long opened = std::stol("0" + values["opened"]);
  EXPECT_LE(opened, 256) << result.describe();
  EXPECT_GE(opened, 240) << result.describe();
}

TEST_F(ResourceBomb, SigtermIgnorerIsKilledAtTheDeadline) {
  policy_.replace("wall_time: 10s", "wall_time: 2s");  // kill_grace stays 1s
  const RunResult result = run({"/bin/sh", "-c", "trap '' TERM; while :; do :; done"});
  EXPECT_EQ(result.exit_code, 124) << result.describe();
  EXPECT_EQ(result.job().value("status", ""), "timeout") << result.describe();
  EXPECT_GE(result.seconds, 2.0) << result.describe();
  EXPECT_LT(result.seconds, 8.0) << "SIGKILL did not follow the grace period\n"
                                 << result.describe();
}

TEST_F(ResourceBomb, DaemonIsKilledWithTheRun) {
  // Double fork and setsid: the daemon is re-parented to the sandbox's pid 1 and ignores the
  // signals a session leader's exit would send. Its sleep argument is the marker.
  const std::string daemon = "trap '' TERM HUP; exec sleep 1000." + std::to_string(getpid());
  const RunResult result =
      run({"/bin/sh", "-c",
           "(setsid sh -c \"" + daemon + "\" </dev/null >/dev/null 2>&1 &); echo started"});
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_EQ(result.out, "started\n") << result.describe();
  EXPECT_LT(result.seconds, 8.0) << "the run waited for the daemon\n" << result.describe();
  // expect_clean_host (in run) found no process carrying the marker.
}

}  // namespace
}  // namespace hostile

// Support for the hostile-workload suite: a temporary copy of examples/untrusted.yaml edited for
// one test, `sandbox run` driven as a child process with a timeout, and the check that the host
// is left exactly as it was (no process, cgroup, mount or network device of the run).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace hostile {

// A private temporary directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// examples/untrusted.yaml, copied into a temporary directory. Every job started from it carries
// a unique marker in its environment (HOSTILE_MARK) so that leftovers can be found. Edits are
// textual and must match exactly once, so a change of the example fails loudly here.
class PolicyFile {
 public:
  PolicyFile();
  void replace(const std::string& from, const std::string& to);
  // Adds an entry to filesystem.mounts, in flow style: "{bind: /x, to: /y}".
  void add_mount(const std::string& entry);
  // Binds the directory of this test binary at /probe, so that jobs can run hostile probes.
  void add_probe_binary();
  void write() const;
  std::string path() const { return (directory_.path() / "untrusted.yaml").string(); }
  const std::string& marker() const { return marker_; }
  const std::filesystem::path& directory() const { return directory_.path(); }

 private:
  TempDir directory_;
  std::string marker_;
  std::string text_;
};

// The command line that runs hostile probe `name` inside the sandbox (see probes.cpp).
std::vector<std::string> probe_command(const std::string& name,
                                       const std::vector<std::string>& arguments = {});

// What the host looked like before a run, to compare with afterwards.
struct HostSnapshot {
  std::multiset<std::string> mounts;  // "mount point, fs type, source" of the host's table
  std::set<std::string> links;        // network devices
  // v2: the leaf a sandbox moves itself (and us, sharing its cgroup) into while its run lasts
  std::set<std::string> supervisor_leaves;
  static HostSnapshot take();
};

struct RunResult {
  int exit_code = -1;  // of `sandbox run`; -1 when it was killed by a signal
  int signal = 0;
  bool timed_out = false;  // the test had to kill the sandbox: it did not stop the job itself
  double seconds = 0;      // how long `sandbox run` took
  std::string out, err;
  nlohmann::json report;  // the --report file, null when missing
  pid_t supervisor = 0;
  std::string describe() const;
  // The first job of the report, or an empty object.
  nlohmann::json job() const;
};

// `sandbox run -p POLICY --report FILE -- COMMAND...`, started at construction in its own
// process group. "{supervisor}" in the command becomes the supervisor's host pid. The destructor
// kills and reaps it if the test did not wait for it.
class SandboxRun {
 public:
  SandboxRun(const PolicyFile& policy, const std::vector<std::string>& command);
  ~SandboxRun();
  SandboxRun(const SandboxRun&) = delete;
  SandboxRun& operator=(const SandboxRun&) = delete;
  pid_t supervisor() const { return pid_; }
  // Waits at most `timeout`; past it the whole process group gets SIGKILL and timed_out is set.
  RunResult wait(std::chrono::seconds timeout = std::chrono::seconds(60));

 private:
  const PolicyFile& policy_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
};

RunResult run_sandbox(const PolicyFile& policy, const std::vector<std::string>& command,
                      std::chrono::seconds timeout = std::chrono::seconds(60));

// Everything the run left on the host: processes carrying the policy's marker, cgroups of the
// supervisor in any hierarchy, mounts and network devices that were not there before. Empty
// when the host is clean.
std::vector<std::string> leftovers(const HostSnapshot& before, const RunResult& run,
                                   const PolicyFile& policy);

// Cgroup directories of `supervisor`'s run (`sb-<pid>-*`) in every hierarchy, where the cgroup
// module creates them for a supervisor sharing our cgroup, as absolute paths.
std::vector<std::filesystem::path> run_cgroups(pid_t supervisor);

// Kills processes carrying the marker and removes the run's cgroups: the clean-up after a test
// whose run did leave something (the failure is reported by leftovers() first).
void remove_leftovers(const RunResult& run, const PolicyFile& policy);

// "name=value" lines of a probe's output.
std::map<std::string, std::string> probe_results(const std::string& output);

}  // namespace hostile

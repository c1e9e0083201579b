// The public, stable library API of sandbox: load a policy, run it, get a report.
//
//   auto loaded = policies::load_policy_file("farm.yaml");
//   if (!loaded.ok()) { for (auto& d : loaded.diagnostics) std::cerr << d.to_string() << "\n"; }
//   sandbox::RunReport report = sandbox::run(*loaded.policy, {});
//   std::cout << sandbox::to_json(report);
//
// Everything else in sandbox/src is internal and may change.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "policies/policy.hpp"

namespace sandbox {

// Exit codes of the `sandbox` tool (and RunReport::exit_code). A job's own exit code passes
// through; a job killed by signal N gives 128+N, as shells do.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 1;            // bad command line
inline constexpr int invalid_policy = 2;   // the policy file does not load or validate
inline constexpr int host_unsupported = 3; // the host lacks something the policy needs
inline constexpr int resource_busy = 4;    // a host resource the policy names is taken (a port)
inline constexpr int timeout = 124;        // wall_time reached (as timeout(1))
inline constexpr int setup_failed = 125;   // sandbox could not set up (mount, cgroup, clone...)
inline constexpr int cannot_execute = 126; // the command exists but cannot be executed
inline constexpr int not_found = 127;      // the command does not exist
}  // namespace exit_code

// A failure of the tool itself (not of the job), with the exit code it maps to and a one-line
// message naming what failed ("mount /data: source does not exist").
struct Error : std::runtime_error {
  int code;
  Error(int exit_code, const std::string& what) : std::runtime_error(what), code(exit_code) {}
};

struct RunOptions {
  // Replaces the command of a policy without `jobs:` (required there).
  std::vector<std::string> command;
  std::optional<std::string> cgroup_parent;  // overrides delegation below our own cgroup
  // Where job output goes when the policy does not say: inherit for one job, prefix for several.
  std::optional<policies::Output::Mode> output;
  bool watch = false;  // print live per-job usage to stderr each second
  // Return as soon as every job's processes are gone and its cgroups removed, without waiting for
  // a job's pid 1 (our init in its pid namespace, which ran no job code) to finish exiting: the
  // kernel's teardown of the namespaces it held, ~0.3 ms, which then runs at the lowest priority
  // (nice 19), after whatever the machine has to do. Its zombie is left to this process: for
  // callers that exit right after, as the CLI does (the system reaps a dead process's orphans).
  // Where pid 1 is in the job's cgroups (cgroup v2) the run waits for it all the same.
  bool leave_pid1_exiting = false;
  // Account each job's use in JobReport::usage (CPU time, memory, pids and IO from its cgroups).
  // Without it a job's groups are only those its limits, its CPU shares and its OOM status need
  // (fewer cgroups to make and remove per run), and JobReport::usage stays empty. The CLI asks
  // for it with --report or --watch, the outputs that show it.
  bool usage = true;
};

struct JobReport {
  std::string name;
  std::vector<std::string> command;
  // "exited", "signaled", "timeout", "oom", "setup_failed", "not_found", "cannot_execute"
  std::string status;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string error;  // for the tool's own failures: the one-line reason
  double wall_seconds = 0;
  double user_seconds = 0, system_seconds = 0;
  uint64_t peak_rss_bytes = 0;
  std::vector<std::string> namespaces;
  std::string cgroup;  // e.g. "/sb-123-456-farm/ci" (relative to the delegated root)
  // From the cgroup, when one was used.
  struct Cgroup {
    uint64_t cpu_usage_us = 0, cpu_user_us = 0, cpu_system_us = 0, cpu_throttled_us = 0;
    uint64_t memory_peak_bytes = 0, oom_kills = 0, pids_peak = 0;
    uint64_t io_read_bytes = 0, io_write_bytes = 0;
    uint64_t memory_high_events = 0;  // v2: times it was throttled at memory_high
  };
  std::optional<Cgroup> usage;
  // Shares: requested is this job's share of its siblings' total (0.75 for 75/25); achieved is
  // its CPU time over the siblings' CPU time while all of them were runnable.
  std::optional<double> cpu_share_requested, cpu_share_achieved;
  std::optional<uint64_t> net_tx_bytes, net_rx_bytes;
  std::optional<double> net_share_requested, net_share_achieved;
};

// A tenant of the policy (a group of jobs with its own shares), as a sibling of the other tenants
// and the tenant-less jobs.
struct TenantReport {
  std::string name;
  // Requested: its share of the run's children's shares (0.75 for 75/25); achieved: its jobs' CPU
  // time over all the run's jobs' CPU time while every one of them was runnable.
  std::optional<double> cpu_share_requested, cpu_share_achieved;
};

// A run's bridged network: its bridge and the ports forwarded to its jobs (network.ports).
struct NetworkReport {
  std::string bridge;   // "sb1a2b3c4d", or the policy's existing bridge
  std::string subnet;   // "10.203.0.0/24"
  std::string gateway;  // "10.203.0.1", on the bridge
  struct Forward {
    std::string job;
    std::string protocol;      // "tcp", "udp"
    std::string host_address;  // "127.0.0.1"
    uint16_t host_port = 0;
    std::string job_address;  // "10.203.0.2"
    uint16_t job_port = 0;
    // Counted by the relay up to the end of the run. connections: TCP connections joined to the
    // job, UDP client sessions; rejected: TCP clients reset before reaching the job (it did not
    // listen, or the relay was full). Bytes: payload delivered to the job and back.
    uint64_t connections = 0, rejected = 0, bytes_to_job = 0, bytes_from_job = 0;
  };
  std::vector<Forward> forwards;  // in policy order of their jobs and ports
};

struct RunReport {
  std::string policy;
  std::string cgroup_layout;  // "unified", "hybrid", "legacy"
  std::vector<JobReport> jobs;
  std::vector<TenantReport> tenants;  // in policy order; empty without tenants
  std::optional<NetworkReport> network;  // when a job is bridged
  double wall_seconds = 0;
  int exit_code = 0;  // the tool's exit code for this run (see exit_code)
};

// Runs every job of the policy concurrently and waits for all. Throws sandbox::Error when the run
// cannot start at all; failures of single jobs are in their JobReport. Leaves no cgroup, mount,
// device or process behind, on success or failure.
RunReport run(const policies::Policy& policy, const RunOptions& options);

// The report as JSON (the format of `sandbox run --report`, documented in docs/report.md).
std::string to_json(const RunReport& report, int indent = 2);

}  // namespace sandbox

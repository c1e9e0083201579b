// The supervisor: one event loop (epoll over signalfd, timerfd, and per job a pidfd, the channel
// and output pipes) that watches every job of a run until all have ended. It forwards our signals
// to the jobs, enforces wall time (SIGTERM, grace, then the cgroup is killed), relays prefixed
// output, samples CPU for achieved shares, and fills each job's report. See docs/design.md.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "child_protocol.hpp"
#include "cpu_meter.hpp"
#include "launch.hpp"
#include "outcome.hpp"
#include "output_relay.hpp"
#include "sandbox/sandbox.hpp"
#include "share_window.hpp"

namespace sandbox {

using Clock = std::chrono::steady_clock;

struct SupervisedJob {
  JobReport report;  // name, command, namespaces, cgroup filled in by the caller
  cgroup::Group* group = nullptr;
  LaunchedJob process;  // empty when the launch failed (report already says why)
  std::optional<OutputRelay> out, err;
  std::optional<std::chrono::milliseconds> wall_time;
  std::chrono::milliseconds kill_grace{2000};
  bool own_pid_namespace = true;  // pid 1's exit ends every process of the job
  bool interactive = false;       // has the terminal: `sandbox` stops when the job stops
  bool report_usage = true;       // RunOptions::usage: else the cgroup is read for the OOM status

  // Kept by the supervisor.
  Clock::time_point started{}, ended{};
  std::optional<Clock::time_point> deadline, kill_at;
  JobEnd end;
  bool running = false;      // launched and not yet finished
  bool pid1_reaped = false;  // a job can finish before its pid 1 is reaped (finish_on_report)
  bool usage_recorded = false;
};

// A member of a set of siblings whose use of a resource is compared: a job or a tenant group.
struct ShareMember {
  // Cumulative use so far (CPU microseconds, bytes); nullopt when it cannot be read.
  std::function<std::optional<uint64_t>()> read;
  std::vector<size_t> jobs;                    // the member runs while all of these jobs run
  std::optional<size_t> report_job;            // the job whose report gets the achieved share
  std::optional<double>* report_to = nullptr;  // else where it goes (a tenant's report)
};

enum class SharedResource { cpu, net };

class Supervisor {
 public:
  Supervisor(std::vector<SupervisedJob>& jobs, bool watch);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // A set of siblings to measure (only sets where shares were asked for).
  void add_share_set(SharedResource resource, std::vector<ShareMember> members);
  // Registers a job that was just launched (its slot's process is set).
  void started(size_t job);
  // Runs until every started job has ended, then fills achieved shares into the reports.
  void run();
  // Waits for the pid 1 of every job that finished before its pid 1 was reaped (see
  // finish_on_report) and reaps it.
  void reap_pid1s();

 private:
  struct ShareSet {
    SharedResource resource;
    std::vector<ShareMember> members;
    ShareWindow window;
  };

  void add_fd(int fd, uint32_t kind, size_t job);
  void remove_fd(int fd);
  void on_signal();
  void on_timer(Clock::time_point now);
  void on_pid1_exit(size_t job);
  void on_channel(size_t job);
  // pid 1 reported the job's exit. Where pid 1 is not in the job's group and a pid namespace
  // held the job, the job is over once its group is empty: its group is removed and the job
  // finished at once, while pid 1's own exit (the teardown of the namespaces it holds) still
  // runs. Otherwise the job finishes when pid 1 is reaped.
  void finish_on_report(size_t job, const ChildMessage& report);
  // The job is over: its report is completed (CPU time and peak RSS from `children`: pid 1's
  // reaped children, the job among them).
  void finish(size_t job, const rusage& children);
  // The job's cgroup use into its report: when the job is known to be over (and only once).
  void record_usage(SupervisedJob& job);
  void arm_timer(Clock::time_point now);
  void sample_shares(std::optional<size_t> stopping_job);
  bool member_running(const ShareMember& member) const;
  void print_watch();
  void kill_everything();

  std::vector<SupervisedJob>& jobs_;
  std::vector<ShareSet> share_sets_;
  bool watch_;
  UniqueFd epoll_, signals_, timer_;
  size_t running_ = 0;
  int terminating_signals_ = 0;
  std::optional<Clock::time_point> next_sample_, next_watch_, next_peak_sample_;
  std::optional<Clock::time_point> armed_;  // what the timer was last set to (nullopt: disarmed)
  std::vector<uint64_t> watch_cpu_;         // CPU per job at the last --watch line
};

}  // namespace sandbox

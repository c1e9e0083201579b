#include "supervisor.hpp"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "child_protocol.hpp"
#include "signals.hpp"
#include "sys_error.hpp"
#include "syscalls.hpp"
#include "terminal.hpp"

namespace sandbox {

namespace {

enum Kind : uint32_t { kSignal = 1, kTimer, kPid1, kChannel, kStdout, kStderr };

constexpr std::chrono::milliseconds kSampleInterval{100};
constexpr std::chrono::seconds kWatchInterval{1};
// Kernels without memory.peak / pids.peak: the cgroup module keeps the peaks it is shown.
constexpr std::chrono::seconds kPeakSampleInterval{1};

uint64_t tag(uint32_t kind, size_t job) {
  return (static_cast<uint64_t>(kind) << 32) | job;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// Cleanup must not stop the loop: a group that will not die is reported, the run goes on.
void kill_group(SupervisedJob& job) {
  // With a pid namespace, pid 1's death kills everything in it at once, forks included (without a
  // freezer or cgroup.kill, which such runs do not get on v1 hosts, a kill loop over the group's
  // processes could be outrun by a fork loop).
  if (job.own_pid_namespace && job.process.pidfd && !job.pid1_reaped) {
    sys::pidfd_send_signal(job.process.pidfd.get(), SIGKILL);
  }
  if (!job.group) return;
  try {
    job.group->kill_all();
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sandbox: job '%s': %s\n", job.report.name.c_str(), e.what());
  }
}

}  // namespace

Supervisor::Supervisor(std::vector<SupervisedJob>& jobs, bool watch) : jobs_(jobs), watch_(watch) {
  epoll_.reset(check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1"));
  const sigset_t set = forwarded_signal_set();
  signals_.reset(check(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd"));
  timer_.reset(check(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd"));
  add_fd(signals_.get(), kSignal, 0);
  add_fd(timer_.get(), kTimer, 0);
}

Supervisor::~Supervisor() {
  // Only reached early on an exception: nothing may outlive the run.
  for (auto& job : jobs_) {
    if (job.running) kill_group(job);
  }
}

void Supervisor::add_fd(int fd, uint32_t kind, size_t job) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag(kind, job);
  check(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event), "epoll_ctl add");
}

void Supervisor::remove_fd(int fd) {
  if (fd >= 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);  // ENOENT: not registered
}

void Supervisor::add_share_set(SharedResource resource, std::vector<ShareMember> members) {
  const size_t size = members.size();
  share_sets_.push_back({resource, std::move(members), ShareWindow(size)});
}

void Supervisor::started(size_t index) {
  SupervisedJob& job = jobs_[index];
  job.running = true;
  ++running_;
  if (job.wall_time) job.deadline = job.started + *job.wall_time;
  add_fd(job.process.pidfd.get(), kPid1, index);
  add_fd(job.process.channel.get(), kChannel, index);
  if (job.out) add_fd(job.out->fd(), kStdout, index);
  if (job.err) add_fd(job.err->fd(), kStderr, index);
}

void Supervisor::run() {
  const auto begin = Clock::now();
  if (!share_sets_.empty()) next_sample_ = begin + kSampleInterval;
  if (watch_) next_watch_ = begin + kWatchInterval;
  next_peak_sample_ = begin + kPeakSampleInterval;
  watch_cpu_.assign(jobs_.size(), 0);
  while (running_ > 0) {
    arm_timer(Clock::now());
    epoll_event events[64];
    const int n = epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const auto kind = static_cast<uint32_t>(events[i].data.u64 >> 32);
      const auto index = static_cast<size_t>(events[i].data.u64 & 0xffffffffu);
      switch (kind) {
        case kSignal:
          on_signal();
          break;
        case kTimer: {
          uint64_t expirations;
          (void)!read(timer_.get(), &expirations, sizeof expirations);
          break;
        }
        case kPid1:
          on_pid1_exit(index);
          break;
        case kChannel:
          on_channel(index);
          break;
        case kStdout:
        case kStderr: {
          auto& relay = kind == kStdout ? jobs_[index].out : jobs_[index].err;
          if (relay && relay->open() && !relay->pump()) {
            remove_fd(relay->fd());
            relay->close();
          }
          break;
        }
        default:
          break;
      }
    }
    on_timer(Clock::now());
  }
  for (auto& set : share_sets_) {
    for (size_t m = 0; m < set.members.size(); ++m) {
      if (set.members[m].report_to) *set.members[m].report_to = set.window.achieved(m);
      if (set.members[m].report_job) {
        JobReport& report = jobs_[*set.members[m].report_job].report;
        (set.resource == SharedResource::cpu ? report.cpu_share_achieved
                                             : report.net_share_achieved) = set.window.achieved(m);
      }
    }
  }
}

void Supervisor::arm_timer(Clock::time_point now) {
  std::optional<Clock::time_point> next = next_sample_;
  const auto consider = [&](const std::optional<Clock::time_point>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(next_watch_);
  consider(next_peak_sample_);
  for (const auto& job : jobs_) {
    if (!job.running) continue;
    consider(job.deadline);
    consider(job.kill_at);
  }
  // Set to the same time still ahead, the timer needs no syscall (one saved on most wake-ups).
  if (next == armed_ && (!next || *next > now)) return;
  armed_ = next;
  itimerspec spec{};
  if (next) {
    // steady_clock is CLOCK_MONOTONIC; a time already past fires at once.
    const auto at = std::max(*next, now).time_since_epoch();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at).count();
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  check(timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr), "timerfd_settime");
}

void Supervisor::on_signal() {
  signalfd_siginfo info{};
  while (read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGINT || sig == SIGTERM) {
      // A second interrupt means "now": nothing waits for the jobs to shut down cleanly.
      if (++terminating_signals_ >= 2) {
        kill_everything();
        continue;
      }
    }
    for (auto& job : jobs_) {
      if (job.running) sys::pidfd_send_signal(job.process.pidfd.get(), sig);
    }
  }
}

void Supervisor::on_timer(Clock::time_point now) {
  for (auto& job : jobs_) {
    if (!job.running) continue;
    if (job.deadline && now >= *job.deadline) {
      // Wall time is up: ask politely through pid 1 (which forwards to the job), then insist.
      job.end.timed_out = true;
      job.deadline.reset();
      sys::pidfd_send_signal(job.process.pidfd.get(), SIGTERM);
      job.kill_at = now + job.kill_grace;
    }
    if (job.kill_at && now >= *job.kill_at) {
      job.kill_at.reset();
      kill_group(job);
    }
  }
  if (next_sample_ && now >= *next_sample_) {
    sample_shares(std::nullopt);
    const bool open = std::any_of(share_sets_.begin(), share_sets_.end(),
                                  [](const ShareSet& set) { return !set.window.closed(); });
    next_sample_ = open ? std::optional(now + kSampleInterval) : std::nullopt;
  }
  if (next_peak_sample_ && now >= *next_peak_sample_) {
    for (auto& job : jobs_) {
      if (!job.running || !job.group) continue;
      try {
        job.group->sample();
      } catch (const std::exception&) {
        // a peak is a nicety of the report; the run goes on without it
      }
    }
    next_peak_sample_ = now + kPeakSampleInterval;
  }
  if (next_watch_ && now >= *next_watch_) {
    print_watch();
    next_watch_ = now + kWatchInterval;
  }
}

bool Supervisor::member_running(const ShareMember& member) const {
  return std::all_of(member.jobs.begin(), member.jobs.end(),
                     [&](size_t job) { return jobs_[job].running; });
}

void Supervisor::sample_shares(std::optional<size_t> stopping_job) {
  for (auto& set : share_sets_) {
    if (set.window.closed()) continue;
    bool involved = false;
    if (stopping_job) {
      for (const auto& member : set.members) {
        involved = involved || std::find(member.jobs.begin(), member.jobs.end(), *stopping_job) !=
                                   member.jobs.end();
      }
      if (!involved) continue;
    }
    const bool all_running = std::all_of(set.members.begin(), set.members.end(),
                                         [&](const ShareMember& m) { return member_running(m); });
    if (all_running) {
      std::vector<uint64_t> cpu;
      cpu.reserve(set.members.size());
      for (const auto& member : set.members) {
        const auto used = member.read();
        if (!used) break;
        cpu.push_back(*used);
      }
      if (cpu.size() == set.members.size()) set.window.sample(cpu);
    }
    // A stopping member ends the window in which all siblings ran, for good.
    if (involved) set.window.close();
  }
}

void Supervisor::on_channel(size_t index) {
  SupervisedJob& job = jobs_[index];
  while (job.process.channel) {
    const Received received = receive(job.process.channel.get());
    if (received.end) {
      remove_fd(job.process.channel.get());
      job.process.channel.reset();
      break;
    }
    if (!received.message) break;
    const ChildMessage& message = *received.message;
    if (message.kind == ChildMessage::Kind::job_exited) {
      job.end.job_status = message.wait_status;
      if (job.running) finish_on_report(index, message);
    } else if (message.kind == ChildMessage::Kind::job_stopped) {
      if (job.interactive && job.running) follow_job_stop(job.process.pid);
    } else if (!job.end.failure_code) {  // the first failure is the cause, later ones follow it
      job.end.failure_code = message.exit_code;
      job.end.failure_text = message.message();
    }
  }
}

void Supervisor::finish_on_report(size_t index, const ChildMessage& report) {
  SupervisedJob& job = jobs_[index];
  if (!job.own_pid_namespace) return;  // orphans may outlive the job: they die with pid 1
  // Nothing of the job outlives this but what pid 1's exit kills at once: its use is final now,
  // and reading it here overlaps pid 1's namespace teardown.
  record_usage(job);
  if (job.pid1_reaped || job.process.pid1_in_group || !job.group) return;
  sample_shares(index);  // while the group is there to read: closes the job's share windows
  // Busy: an orphan of the job still runs (a daemon); pid 1's exit kills it, so wait for that.
  try {
    if (!job.group->remove_if_empty()) return;
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sandbox: job '%s': remove cgroup: %s\n", job.report.name.c_str(),
                       e.what());
    return;  // the teardown after pid 1's exit tries again, and reports what stays
  }
  rusage children{};
  children.ru_utime = {report.children_user_us / 1000000, report.children_user_us % 1000000};
  children.ru_stime = {report.children_system_us / 1000000, report.children_system_us % 1000000};
  children.ru_maxrss = report.children_max_rss_kb;
  finish(index, children);
}

void Supervisor::on_pid1_exit(size_t index) {
  SupervisedJob& job = jobs_[index];
  if (!job.running) return;  // finished on pid 1's report already (finish_on_report)
  siginfo_t info{};
  rusage usage{};
  if (sys::waitid_pidfd(job.process.pidfd.get(), &info, WEXITED | WNOHANG, &usage) != 0 ||
      info.si_pid == 0) {
    return;  // not exited yet
  }
  job.pid1_reaped = true;
  if (info.si_code == CLD_EXITED) {
    job.end.pid1_exit = info.si_status;
  } else {
    job.end.pid1_signal = info.si_status;
  }
  on_channel(index);  // pid 1 wrote its last message before exiting
  if (job.running) finish(index, usage);
}

void Supervisor::finish(size_t index, const rusage& usage) {
  SupervisedJob& job = jobs_[index];
  job.ended = Clock::now();
  sample_shares(index);  // while it still counts as running: closes its sibling windows
  job.running = false;
  --running_;
  remove_fd(job.process.pidfd.get());
  remove_fd(job.process.channel.get());
  job.process.channel.reset();

  // With a pid namespace nothing of the job is left: pid 1's exit killed it all, or the job's
  // group was empty when finish_on_report removed it. Without one, orphans may be left: they die
  // with the group. Then the output pipes have no writer left and can be read to the end.
  if (!job.own_pid_namespace) kill_group(job);
  for (auto* relay : {&job.out, &job.err}) {
    if (!*relay) continue;
    remove_fd((*relay)->fd());
    (*relay)->drain();
  }

  JobReport& report = job.report;
  report.wall_seconds = std::chrono::duration<double>(job.ended - job.started).count();
  report.user_seconds = seconds(usage.ru_utime);
  report.system_seconds = seconds(usage.ru_stime);
  report.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  record_usage(job);
  classify(job.end, report);
}

void Supervisor::reap_pid1s() {
  for (auto& job : jobs_) {
    if (!job.process.pidfd || job.pid1_reaped) continue;
    siginfo_t info{};
    if (sys::waitid_pidfd(job.process.pidfd.get(), &info, WEXITED, nullptr) == 0) {
      job.pid1_reaped = true;
    }
  }
}

void Supervisor::record_usage(SupervisedJob& job) {
  if (!job.group || job.usage_recorded) return;
  JobReport& report = job.report;
  try {
    if (!job.report_usage) {
      job.end.oom_kills = job.group->oom_kills();
      job.usage_recorded = true;
      return;
    }
    const cgroup::Usage used = job.group->usage();
    job.usage_recorded = true;
    job.end.oom_kills = used.oom_kills;
    report.usage =
        JobReport::Cgroup{used.cpu_usage_us,     used.cpu_user_us,   used.cpu_system_us,
                          used.cpu_throttled_us, used.memory_peak,   used.oom_kills,
                          used.pids_peak,        used.io_read_bytes, used.io_write_bytes};
    report.usage->memory_high_events = used.memory_high_events;
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sandbox: job '%s': read cgroup usage: %s\n", report.name.c_str(),
                       e.what());
  }
}

void Supervisor::kill_everything() {
  for (auto& job : jobs_) {
    if (job.running) kill_group(job);
  }
}

void Supervisor::print_watch() {
  const double interval = std::chrono::duration<double>(kWatchInterval).count();
  for (size_t i = 0; i < jobs_.size(); ++i) {
    const SupervisedJob& job = jobs_[i];
    if (!job.running || !job.group) continue;
    try {
      const cgroup::Usage used = job.group->usage();
      const uint64_t delta = used.cpu_usage_us - std::min(used.cpu_usage_us, watch_cpu_[i]);
      watch_cpu_[i] = used.cpu_usage_us;
      (void)std::fprintf(stderr, "sandbox: [%s] cpu %5.1f%%  memory %.1f MiB  pids %llu\n",
                         job.report.name.c_str(), static_cast<double>(delta) / 1e4 / interval,
                         static_cast<double>(used.memory_current) / (1024.0 * 1024.0),
                         static_cast<unsigned long long>(used.pids_current));
    } catch (const std::exception& e) {
      (void)std::fprintf(stderr, "sandbox: [%s] usage: %s\n", job.report.name.c_str(), e.what());
    }
  }
}

}  // namespace sandbox

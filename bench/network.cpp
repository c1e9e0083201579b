// Network set-up benchmark (not a test): what bridged networking adds to a sandbox's start and
// end. Inside a network namespace of its own (nothing touches the machine's interfaces) it times,
// interleaved round by round so that machine noise hits all alike:
//   - `sandbox run` of /bin/true with network mode none, loopback and bridged (100 Mbit/s link),
//   - the library steps of a bridged run: RunNetwork::create (bridge, IFB, HTB both ways),
//     attach (veth pair, ingress redirect, port forwarding) and the destructor (teardown).
//
//   cmake --build build --target bench_network && build/bin/bench_network [runs]
#include "network.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "netlink.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Series {
  std::string name;
  std::vector<double> ms;
};

double since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One `sandbox run`: milliseconds, negative when it failed.
double time_sandbox(const std::string& policy, int null_fd) {
  std::vector<std::string> argv = {SANDBOX_BINARY, "run", "-p", policy};
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDERR_FILENO);
  const auto start = Clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const double ms = since(start);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

std::string write_policy(const std::string& mode) {
  std::string path = "/tmp/sandbox-bench-network-" + mode + ".yaml";
  std::ofstream(path) << "version: 1\nname: bench-net\ndefaults:\n"
                      << "  filesystem: {root: tmpfs, mounts: [{bind: /usr}, "
                      << "{bind: /bin, optional: true}, {bind: /lib, optional: true}, "
                      << "{bind: /lib64, optional: true}]}\n"
                      << "  network: {mode: " << mode
                      << (mode == "bridged" ? ", link: {rate: 100mbit}" : "") << "}\n"
                      << "jobs:\n  - {name: job, command: [/bin/true]}\n";
  return path;
}

// The library steps of one bridged run with one job, each timed on its own.
void time_library(Series& create, Series& attach, Series& teardown) {
  policies::Job job;
  job.name = "job";
  job.command = {"/bin/true"};
  job.settings.network.mode = policies::Network::Mode::bridged;
  job.settings.network.link_rate_bps = 100'000'000;
  policies::Policy policy;
  policy.jobs = {job};

  int ready[2];
  if (pipe(ready) != 0) return;
  const pid_t child = fork();
  if (child == 0) {  // a job-to-be: its own network namespace, waiting to be attached
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    (void)!write(ready[1], "r", 1);
    pause();
    _exit(0);
  }
  char byte = 0;
  const bool started = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  close(ready[1]);
  if (!started) {
    waitpid(child, nullptr, 0);
    throw std::runtime_error("the job-to-be did not start");
  }

  struct Reaper {  // the job-to-be goes away whatever happens below
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{child};

  auto start = Clock::now();
  auto network = sandbox::net::RunNetwork::create(policy, "bench-" + std::to_string(getpid()));
  create.ms.push_back(since(start));
  start = Clock::now();
  network->attach(policy.jobs[0], child);
  attach.ms.push_back(since(start));
  start = Clock::now();
  network.reset();
  teardown.ms.push_back(since(start));
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto last = static_cast<double>(values.size() - 1);
  return values[std::min(values.size() - 1, static_cast<size_t>(std::lround(p * last)))];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("bench_network: unshare(CLONE_NEWNET) (run as root)");
    return 1;
  }
  {
    sandbox::netlink::Socket sock;
    sandbox::netlink::set_up(sock, sandbox::netlink::ifindex_of(sock, "lo"));
  }
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::vector<std::pair<std::string, Series>> runs_of = {
      {write_policy("none"), {"sandbox run, network none", {}}},
      {write_policy("loopback"), {"sandbox run, network loopback", {}}},
      {write_policy("bridged"), {"sandbox run, network bridged", {}}},
  };
  Series create{"RunNetwork::create (bridge, ifb, htb x2)", {}};
  Series attach{"RunNetwork::attach (veth, redirect, forwarding)", {}};
  Series teardown{"~RunNetwork (teardown)", {}};
  int failures = 0;
  for (int round = 0; round < runs; ++round) {
    for (auto& [policy, series] : runs_of) {
      const double ms = time_sandbox(policy, null_fd);
      if (ms < 0) {
        ++failures;
      } else {
        series.ms.push_back(ms);
      }
    }
    try {
      time_library(create, attach, teardown);
    } catch (const std::exception& error) {
      (void)std::fprintf(stderr, "library run failed: %s\n", error.what());
      ++failures;
    }
  }
  std::printf("%-50s %8s %8s %8s  (%d rounds, %d failures)\n", "", "p50 ms", "p90 ms", "max ms",
              runs, failures);
  std::vector<Series*> all;
  all.reserve(runs_of.size() + 3);
  for (auto& entry : runs_of) all.push_back(&entry.second);
  for (Series* series : {&create, &attach, &teardown}) all.push_back(series);
  for (const Series* series : all) {
    std::printf("%-50s %8.2f %8.2f %8.2f\n", series->name.c_str(), percentile(series->ms, 0.5),
                percentile(series->ms, 0.9), percentile(series->ms, 1.0));
  }
  for (const auto& entry : runs_of) (void)std::remove(entry.first.c_str());  // temporary files
  return failures == 0 ? 0 : 1;
}

// sandbox::run(): from a policy to a finished run. Plans every job (so policy errors surface before
// anything starts), creates the cgroup tree, launches all jobs, supervises them, and reports.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cgroup/cgroup.hpp"
#include "cgroup_limits.hpp"
#include "command.hpp"
#include "environment.hpp"
#include "host_check.hpp"
#include "launch.hpp"
#include "network.hpp"
#include "sandbox/sandbox.hpp"
#include "signals.hpp"
#include "supervisor.hpp"
#include "sys_error.hpp"
#include "terminal.hpp"

extern char** environ;

namespace sandbox {

namespace {

using policies::Namespace;
using policies::Output;

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// The cgroup tree of a run, removed children first whatever happens. A run of one job and no
// tenants is that job's group itself (cgroup::RunGroupSpec::job_limits): half the mkdirs.
struct RunGroups {
  std::unique_ptr<cgroup::Group> run;
  std::vector<std::unique_ptr<cgroup::Group>> tenants;
  std::vector<std::unique_ptr<cgroup::Group>> jobs;  // by job index; empty when `run` is the job's
  ~RunGroups() { remove(); }
  cgroup::Group& job(size_t index) { return jobs.empty() ? *run : *jobs[index]; }
  void remove() {
    jobs.clear();
    tenants.clear();
    run.reset();
  }
};

// Logs (at debug level, `sandbox -v run`) how long each phase of the run took: start-up time is
// what a person at a shell feels first.
class PhaseLog {
 public:
  void done(const char* phase) {
    const auto now = Clock::now();
    spdlog::debug("run: {} in {:.2f} ms", phase,
                  std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  Clock::time_point last_ = Clock::now();
};

// Runs `step`, turning the cgroup module's errors into the tool's exit codes.
template <typename Step>
auto cgroup_step(const std::string& what, Step step) {
  try {
    return step();
  } catch (const cgroup::Unsupported& e) {
    throw Error(exit_code::host_unsupported, what + ": " + e.what());
  } catch (const cgroup::Error& e) {
    throw Error(exit_code::setup_failed, what + ": " + e.what());
  }
}

// Raises our own open-file limit to the hard limit (a run of many jobs holds several fds per job)
// and restores it afterwards. Jobs get the original back (see plan_rlimits).
class OpenFileLimit {
 public:
  OpenFileLimit() {
    check(getrlimit(RLIMIT_NOFILE, &original_), "getrlimit(RLIMIT_NOFILE)");
    if (original_.rlim_cur < original_.rlim_max) {
      rlimit raised{original_.rlim_max, original_.rlim_max};
      raised_ = setrlimit(RLIMIT_NOFILE, &raised) == 0;
    }
  }
  ~OpenFileLimit() {
    if (raised_) setrlimit(RLIMIT_NOFILE, &original_);
  }
  OpenFileLimit(const OpenFileLimit&) = delete;
  OpenFileLimit& operator=(const OpenFileLimit&) = delete;
  const rlimit& original() const { return original_; }

 private:
  rlimit original_{};
  bool raised_ = false;
};

bool output_written(const policies::Policy& policy, size_t job) {
  const std::string own = "jobs[" + std::to_string(job) + "].output";
  return policy.locations.contains(own) || policy.locations.contains("defaults.output");
}

Output::Mode output_mode(const policies::Policy& policy, size_t job, const RunOptions& options) {
  if (options.output) return *options.output;
  const Output::Mode mode = policy.jobs[job].output.mode;
  // Several jobs writing to one terminal unprefixed would be unreadable: prefix unless asked.
  if (mode == Output::Mode::inherit && policy.jobs.size() > 1 && !output_written(policy, job)) {
    return Output::Mode::prefix;
  }
  return mode;
}

Pipe output_pipe(const std::string& name) {
  int fds[2];
  check(pipe2(fds, O_CLOEXEC), "pipe for output of job " + name);
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  check(fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK), "output pipe O_NONBLOCK");
  return pipe;
}

// The ends of the job's stdio that the child inherits; closed in the supervisor after clone.
struct ChildStdio {
  UniqueFd out, err, file;
};

const std::vector<std::string>& command_of(const policies::Policy& policy, size_t job,
                                           const RunOptions& options) {
  const auto& own = policy.jobs[job].command;
  if (!own.empty()) return own;
  if (!options.command.empty()) return options.command;
  throw Error(exit_code::usage,
              policy.command_from_cli
                  ? "policy '" + policy.name + "' has no jobs: give the command to run after --"
                  : "job '" + policy.jobs[job].name + "' has no command");
}

LaunchSpec plan_launch(const policies::Job& job, const std::vector<std::string>& command,
                       const rlimit& inherited_nofile) {
  const policies::JobSettings& settings = job.settings;
  LaunchSpec spec;
  spec.name = job.name;
  spec.settings = &settings;
  const bool root = geteuid() == 0;
  if (settings.namespaces.contains(Namespace::user)) {
    spec.user_mapping =
        plan_user_mapping(settings.identity, settings.map_root, geteuid(), getegid());
  }
  spec.identity = {settings.identity.uid, settings.identity.gid, root};
  spec.argv = command;
  spec.environment = build_environment(settings.env, settings.inherit_env, environ);
  std::string path = environment_value(spec.environment, "PATH");
  spec.exec_candidates = exec_candidates(command.front(), path.empty() ? kDefaultPath : path);
  spec.rlimits = plan_rlimits(settings.limits.rlimits, inherited_nofile);
  return spec;
}

std::vector<std::string> namespace_names(const policies::JobSettings& settings) {
  std::vector<std::string> names;
  for (Namespace ns : settings.namespaces) names.push_back(policies::to_string(ns));
  return names;
}

// Bridged jobs with network shares: the requested share is the job's planned fraction of the
// link; the achieved one its bytes (both directions, through its HTB classes) over all bridged
// jobs' bytes while all of them ran.
void measure_network_shares(const policies::Policy& policy, const net::RunNetwork& network,
                            std::vector<SupervisedJob>& jobs, Supervisor& supervisor) {
  std::vector<ShareMember> members;
  bool asked = false;
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const auto& plan = network.plan().jobs;
    const auto planned = std::find_if(plan.begin(), plan.end(), [&](const net::JobPlan& p) {
      return p.job == policy.jobs[i].name;
    });
    if (planned == plan.end()) continue;
    asked = asked || policy.jobs[i].shares.net.has_value();
    jobs[i].report.net_share_requested = planned->share;
    const std::string name = policy.jobs[i].name;
    members.push_back(ShareMember{[&network, name]() -> std::optional<uint64_t> {
                                    const net::Traffic traffic = network.traffic(name);
                                    return traffic.tx_bytes + traffic.rx_bytes;
                                  },
                                  {i},
                                  i});
  }
  if (!asked) {
    for (auto& job : jobs) job.report.net_share_requested.reset();
    return;
  }
  supervisor.add_share_set(SharedResource::net, std::move(members));
}

// Bytes each bridged job moved, kept by the network until the run ends.
void report_traffic(const net::RunNetwork& network, std::vector<SupervisedJob>& jobs) {
  for (const auto& planned : network.plan().jobs) {
    for (auto& job : jobs) {
      if (job.report.name != planned.job) continue;
      try {
        const net::Traffic traffic = network.traffic(planned.job);
        job.report.net_tx_bytes = traffic.tx_bytes;
        job.report.net_rx_bytes = traffic.rx_bytes;
      } catch (const std::exception& e) {
        (void)std::fprintf(stderr, "sandbox: job '%s': read traffic: %s\n", planned.job.c_str(),
                           e.what());
      }
    }
  }
}

}  // namespace

RunReport run(const policies::Policy& policy, const RunOptions& options) {
  const auto run_started = Clock::now();
  if (policy.jobs.empty()) throw Error(exit_code::invalid_policy, "policy has no jobs");
  OpenFileLimit open_files;

  // Everything that can be wrong with the policy is found before anything is created.
  std::vector<LaunchSpec> specs;
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    specs.push_back(
        plan_launch(policy.jobs[i], command_of(policy, i, options), open_files.original()));
    specs.back().pid1_exit_in_background = options.leave_pid1_exiting;
  }
  const RunPlan plan = plan_run(policy);

  PhaseLog phases;
  // The limits of every group the run makes: detect() probes only what they and the report need.
  std::vector<cgroup::Limits> limits_in_run;
  for (const auto& tenant : plan.tenants) limits_in_run.push_back(tenant.limits);
  for (const auto& job_plan : plan.jobs) limits_in_run.push_back(job_plan.limits);
  const cgroup::Host host = cgroup_step("cgroup", [&] { return cgroup::detect(limits_in_run); });
  phases.done("cgroup::detect");
  if (const auto problems = check_policy_against_host(policy, host); !problems.empty()) {
    std::string text = "this host cannot run the policy:";
    for (const auto& problem : problems) text += "\n  " + problem.to_string();
    throw Error(exit_code::host_unsupported, text);
  }
  try {
    cgroup::collect_stale(host);  // groups of runs whose supervisor was SIGKILLed
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sandbox: removing stale cgroups: %s\n", e.what());
  }
  phases.done("host check and stale cgroups");

  RunGroups groups;
  cgroup::RunGroupSpec run_group{policy.name, options.cgroup_parent, std::move(limits_in_run),
                                 std::nullopt};
  // Achieved CPU shares are measured from the accounting controllers' CPU time.
  const bool shares_measured =
      std::any_of(plan.jobs.begin(), plan.jobs.end(),
                  [](const JobPlan& job) { return job.cpu_share_requested.has_value(); }) ||
      std::any_of(plan.tenants.begin(), plan.tenants.end(),
                  [](const TenantPlan& tenant) { return tenant.cpu_share_requested.has_value(); });
  run_group.accounting = options.usage || shares_measured;
  // Jobs in pid namespaces are ended through their pid 1 (Supervisor, kill_group).
  run_group.processes_in_pid_namespaces = std::all_of(
      policy.jobs.begin(), policy.jobs.end(),
      [](const policies::Job& job) { return job.settings.namespaces.contains(Namespace::pid); });
  const bool run_is_job = plan.tenants.empty() && plan.jobs.size() == 1;
  if (run_is_job) run_group.job_limits = plan.jobs.front().limits;
  groups.run = cgroup_step(
      run_is_job ? "cgroup for job " + policy.jobs.front().name : std::string("cgroup for run"),
      [&] { return cgroup::Group::create_run(host, run_group); });
  for (const auto& tenant : plan.tenants) {
    groups.tenants.push_back(cgroup_step("cgroup for tenant " + tenant.name, [&] {
      return groups.run->create_child(tenant.name, tenant.limits);
    }));
  }
  for (const auto& job_plan : plan.jobs) {
    if (run_is_job) break;
    const auto& job = policy.jobs[job_plan.job];
    cgroup::Group& parent = job_plan.tenant < 0 ? *groups.run : *groups.tenants[job_plan.tenant];
    groups.jobs.push_back(cgroup_step("cgroup for job " + job.name, [&] {
      return parent.create_child(job.name, job_plan.limits);
    }));
  }

  phases.done("cgroups created");
  std::unique_ptr<net::RunNetwork> network = net::RunNetwork::create(policy, groups.run->name());

  // From here on our signals arrive through the supervisor's signalfd; jobs restore their own.
  const sigset_t forwarded = forwarded_signal_set();
  ScopedSignalMask mask(forwarded);
  IgnoreSigpipe no_sigpipe;

  std::vector<SupervisedJob> jobs(policy.jobs.size());
  Supervisor supervisor(jobs, options.watch);
  UniqueFd dev_null;
  if (policy.jobs.size() > 1) {
    dev_null.reset(check(open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null"));
  }
  std::optional<TerminalHandover> terminal;
  SeccompPrograms seccomp;

  for (const auto& job_plan : plan.jobs) {
    const size_t i = job_plan.job;
    const policies::Job& job = policy.jobs[i];
    LaunchSpec& spec = specs[i];
    SupervisedJob& slot = jobs[i];
    slot.report.name = job.name;
    slot.report.command = spec.argv;
    slot.report.namespaces = namespace_names(job.settings);
    slot.report.cpu_share_requested = job_plan.cpu_share_requested;
    slot.group = &groups.job(i);
    slot.report.cgroup = "/" + groups.run->name();
    if (job_plan.tenant >= 0) slot.report.cgroup += "/" + groups.tenants[job_plan.tenant]->name();
    if (!run_is_job) slot.report.cgroup += "/" + slot.group->name();
    slot.wall_time = job.settings.limits.wall_time;
    slot.kill_grace = job.settings.limits.kill_grace;
    slot.own_pid_namespace = job.settings.namespaces.contains(Namespace::pid);
    slot.report_usage = options.usage;

    ChildStdio child;
    if (dev_null) spec.stdio.in = dev_null.get();
    switch (output_mode(policy, i, options)) {
      case Output::Mode::inherit:
        if (!dev_null && stdin_is_our_terminal()) {
          spec.take_terminal = true;
          slot.interactive = true;
          terminal.emplace();
        }
        break;
      case Output::Mode::prefix: {
        Pipe out = output_pipe(job.name), err = output_pipe(job.name);
        spec.stdio.out = out.write.get();
        spec.stdio.err = err.write.get();
        child.out = std::move(out.write);
        child.err = std::move(err.write);
        slot.out.emplace(std::move(out.read), STDOUT_FILENO, "[" + job.name + "] ");
        slot.err.emplace(std::move(err.read), STDERR_FILENO, "[" + job.name + "] ");
        break;
      }
      case Output::Mode::file: {
        const std::string& path = job.output.path;
        child.file.reset(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!child.file) {
          slot.report.status = "setup_failed";
          slot.report.exit_code = exit_code::setup_failed;
          slot.report.error = "output file " + path + ": " + errno_text(errno);
          continue;
        }
        spec.stdio.out = spec.stdio.err = child.file.get();
        break;
      }
    }

    slot.started = Clock::now();
    try {
      CgroupJoin join;
      if (!slot.group->clone_into_is_complete()) {
        join = prepare_cgroup_join(*slot.group);
        spec.cgroup_join = &join;
      }
      slot.process = launch_job(spec, job, *slot.group, network.get(), seccomp);
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const Error*>(&e);
      JobEnd failed;
      failed.failure_code = error ? error->code : exit_code::setup_failed;
      failed.failure_text = error ? e.what() : std::string("launch: ") + e.what();
      classify(failed, slot.report);
      slot.out.reset();
      slot.err.reset();
      continue;
    }
    supervisor.started(i);
  }

  // Sets of siblings whose achieved CPU shares are measured: where shares were asked for. Each
  // member's meter keeps a file open, so members are made only for a set that is measured.
  const auto member = [&](const cgroup::Group& group, std::vector<size_t> members,
                          std::optional<size_t> report_job) {
    auto meter = std::make_shared<CpuMeter>(host, group);
    return ShareMember{[meter] { return meter->read_us(); }, std::move(members), report_job};
  };
  std::vector<TenantReport> tenants;
  bool top_measured = false;  // tenants and untenanted jobs, as siblings below the run group
  for (size_t t = 0; t < plan.tenants.size(); ++t) {
    tenants.push_back({plan.tenants[t].name, plan.tenants[t].cpu_share_requested, std::nullopt});
    top_measured = top_measured || policy.tenants[t].shares.cpu.has_value();
  }
  for (const auto& job_plan : plan.jobs) {
    top_measured = top_measured || (job_plan.tenant < 0 && job_plan.cpu_share_requested);
  }
  std::vector<ShareMember> top;
  for (size_t t = 0; t < plan.tenants.size(); ++t) {
    std::vector<size_t> tenant_jobs;
    bool measured = false;
    for (const auto& job_plan : plan.jobs) {
      if (job_plan.tenant != static_cast<int>(t)) continue;
      tenant_jobs.push_back(job_plan.job);
      measured = measured || job_plan.cpu_share_requested.has_value();
    }
    if (measured) {
      std::vector<ShareMember> members;
      members.reserve(tenant_jobs.size());
      for (size_t job : tenant_jobs) members.push_back(member(groups.job(job), {job}, job));
      supervisor.add_share_set(SharedResource::cpu, std::move(members));
    }
    if (top_measured) {
      top.push_back(member(*groups.tenants[t], tenant_jobs, std::nullopt));
      top.back().report_to = &tenants[t].cpu_share_achieved;
    }
  }
  if (top_measured) {
    for (const auto& job_plan : plan.jobs) {
      if (job_plan.tenant >= 0) continue;
      top.push_back(member(groups.job(job_plan.job), {job_plan.job}, job_plan.job));
    }
    supervisor.add_share_set(SharedResource::cpu, std::move(top));
  }
  if (network) measure_network_shares(policy, *network, jobs, supervisor);

  phases.done("jobs launched");
  supervisor.run();
  phases.done("jobs ended");
  if (network) report_traffic(*network, jobs);
  terminal.reset();  // the terminal goes back to us before anything else is printed

  RunReport report;
  report.policy = policy.name;
  report.cgroup_layout = cgroup::to_string(host.layout);
  for (auto& job : jobs) report.jobs.push_back(std::move(job.report));
  report.tenants = std::move(tenants);
  if (network) report.network = network->report();  // the relay's counts, before it goes
  report.exit_code = run_exit_code(report.jobs);
  groups.remove();
  phases.done("cgroups removed");
  if (!options.leave_pid1_exiting) supervisor.reap_pid1s();
  report.wall_seconds = std::chrono::duration<double>(Clock::now() - run_started).count();
  return report;
}

}  // namespace sandbox

// Valid policies: what the loader resolves them to.
#include <gtest/gtest.h>

#include "policy_test_support.hpp"

using namespace policies;
using policy_test::loaded;
using std::chrono::milliseconds;

TEST(Loader, MinimalPolicyGetsTheBuiltInDefaults) {
  Policy policy = loaded(R"(version: 1
jobs:
  - {name: a, command: [/bin/true]}
)");
  ASSERT_EQ(policy.jobs.size(), 1u);
  const Job& job = policy.jobs[0];
  EXPECT_EQ(policy.version, 1);
  EXPECT_EQ(policy.name, "test");  // the file stem
  EXPECT_EQ(policy.file, "test.yaml");
  EXPECT_FALSE(policy.command_from_cli);
  EXPECT_EQ(job.name, "a");
  EXPECT_EQ(job.command, std::vector<std::string>{"/bin/true"});
  JobSettings builtin;
  EXPECT_EQ(job.settings.namespaces, builtin.namespaces);
  EXPECT_EQ(job.settings.env, builtin.env);
  EXPECT_EQ(job.settings.hostname, builtin.hostname);
  EXPECT_EQ(job.settings.filesystem.root, "tmpfs");
  EXPECT_TRUE(job.settings.filesystem.mounts.empty());
  EXPECT_EQ(job.settings.network.mode, Network::Mode::none);
  EXPECT_TRUE(job.settings.seccomp.enabled);
  EXPECT_FALSE(job.settings.limits.memory_bytes.has_value());
  EXPECT_EQ(job.output.mode, Output::Mode::inherit);
  EXPECT_EQ(job.where.line, 3);
}

TEST(Loader, ReadsTheFullExampleOfTheBrief) {
  Policy policy = loaded(R"(version: 1
name: farm
defaults:
  namespaces: [user, pid, mount, uts, ipc, net, cgroup]
  identity: {uid: 1000, gid: 1000}
  hostname: job
  filesystem:
    root: tmpfs
    mounts:
      - {bind: /usr, readonly: true}
      - {tmpfs: /tmp, size: 64MiB}
      - {proc: /proc}
      - {dev: /dev}
    workdir: /
  env: {PATH: /usr/bin:/bin}
  limits: {memory: 512MiB, memory_high: 400MiB, swap: 0, pids: 256, cpu_max: 150%, cpuset: "0",
           wall_time: 60s, kill_grace: 2s, rlimits: {nofile: 1024}, io: [{device: /dev/vda, read_bps: 10MiB}],
           optional: [swap]}
  network: {mode: none}
  seccomp: {default: true, allow: [], deny: [], action: errno}
  capabilities: []
tenants:
  ci:    {shares: {cpu: 75}}
  batch: {shares: {cpu: 25}}
jobs:
  - {name: ci,    tenant: ci, command: [make, -j2], shares: {cpu: 75}}
  - {name: batch, tenant: batch, command: [./batch], shares: {cpu: 25}, output: {file: "logs/{name}.log"}}
)");
  ASSERT_EQ(policy.jobs.size(), 2u);
  EXPECT_EQ(policy.name, "farm");
  ASSERT_EQ(policy.tenants.size(), 2u);
  EXPECT_EQ(policy.tenants[0].name, "ci");
  EXPECT_EQ(policy.tenants[0].shares.cpu, 75u);
  EXPECT_EQ(policy.tenants[1].shares.cpu, 25u);

  const Job& ci = policy.jobs[0];
  EXPECT_EQ(ci.tenant, "ci");
  EXPECT_EQ(ci.shares.cpu, 75u);
  EXPECT_EQ(ci.command, (std::vector<std::string>{"make", "-j2"}));
  const Limits& limits = ci.settings.limits;
  EXPECT_EQ(limits.memory_bytes, 512ull << 20);
  EXPECT_EQ(limits.memory_high_bytes, 400ull << 20);
  EXPECT_EQ(limits.swap_bytes, 0u);
  EXPECT_EQ(limits.pids, 256u);
  EXPECT_DOUBLE_EQ(*limits.cpu_max, 1.5);
  EXPECT_EQ(limits.cpuset, "0");
  EXPECT_EQ(limits.wall_time, milliseconds(60000));
  EXPECT_EQ(limits.kill_grace, milliseconds(2000));
  EXPECT_EQ(limits.rlimits.at("nofile"), 1024u);
  ASSERT_EQ(limits.io.size(), 1u);
  EXPECT_EQ(limits.io[0].device, "/dev/vda");
  EXPECT_EQ(limits.io[0].read_bps, 10ull << 20);
  EXPECT_FALSE(limits.io[0].write_bps.has_value());
  EXPECT_EQ(limits.optional, std::set<std::string>{"swap"});
  EXPECT_EQ(ci.settings.hostname, "job");
  EXPECT_EQ(ci.settings.env, (std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}}));

  const auto& mounts = ci.settings.filesystem.mounts;
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[0].kind, Mount::Kind::bind);
  EXPECT_EQ(mounts[0].source, "/usr");
  EXPECT_EQ(mounts[0].target, "/usr");
  EXPECT_TRUE(mounts[0].readonly);
  EXPECT_EQ(mounts[1].kind, Mount::Kind::tmpfs);
  EXPECT_EQ(mounts[1].target, "/tmp");
  EXPECT_EQ(mounts[1].size_bytes, 64ull << 20);
  EXPECT_FALSE(mounts[1].readonly);
  EXPECT_EQ(mounts[2].kind, Mount::Kind::proc);
  EXPECT_EQ(mounts[3].kind, Mount::Kind::dev);
  EXPECT_FALSE(mounts[3].nodev);

  const Job& batch = policy.jobs[1];
  EXPECT_EQ(batch.tenant, "batch");
  EXPECT_EQ(batch.output.mode, Output::Mode::file);
  EXPECT_EQ(batch.output.path, "logs/batch.log");
}

TEST(Loader, JobMapsMergeKeyByKeyOverDefaults) {
  Policy policy = loaded(R"(version: 1
defaults:
  env: {PATH: /usr/bin, LANG: C.UTF-8}
  limits: {memory: 512MiB, pids: 100, rlimits: {nofile: 1024, core: 0}}
  identity: {uid: 1000, gid: 1000}
jobs:
  - name: a
    command: [ls]
    env: {HOME: /tmp, LANG: null}
    limits: {pids: 10, rlimits: {nofile: 64}}
    identity: {uid: 0}
  - {name: b, command: [ls]}
)");
  ASSERT_EQ(policy.jobs.size(), 2u);
  const Job& a = policy.jobs[0];
  EXPECT_EQ(a.settings.env,
            (std::map<std::string, std::string>{{"PATH", "/usr/bin"}, {"HOME", "/tmp"}}));
  EXPECT_EQ(a.settings.limits.memory_bytes, 512ull << 20);  // inherited
  EXPECT_EQ(a.settings.limits.pids, 10u);                   // overridden
  EXPECT_EQ(a.settings.limits.rlimits,
            (std::map<std::string, uint64_t>{{"nofile", 64}, {"core", 0}}));
  EXPECT_EQ(a.settings.identity.uid, 0u);
  EXPECT_EQ(a.settings.identity.gid, 1000u);
  const Job& b = policy.jobs[1];
  EXPECT_EQ(b.settings.limits.pids, 100u);
  EXPECT_EQ(b.settings.env.at("LANG"), "C.UTF-8");
  EXPECT_EQ(policy.defaults.limits.pids, 100u);
}

TEST(Loader, JobListsReplaceDefaults) {
  Policy policy = loaded(R"(version: 1
defaults:
  namespaces: [user, pid, mount]
  filesystem:
    mounts: [{bind: /usr}, {tmpfs: /tmp}]
    workdir: /tmp
  limits: {optional: [swap, io]}
jobs:
  - name: a
    command: [/bin/ls]
    namespaces: [user, mount]
    filesystem: {mounts: [{proc: /proc}]}
    limits: {optional: [memory]}
)");
  const Job& a = policy.jobs.at(0);
  EXPECT_EQ(a.settings.namespaces, (std::set<Namespace>{Namespace::user, Namespace::mount}));
  ASSERT_EQ(a.settings.filesystem.mounts.size(), 1u);
  EXPECT_EQ(a.settings.filesystem.mounts[0].kind, Mount::Kind::proc);
  EXPECT_EQ(a.settings.filesystem.workdir, "/tmp");  // filesystem is a map: merged
  EXPECT_EQ(a.settings.limits.optional, std::set<std::string>{"memory"});
}

TEST(Loader, UnlimitedClearsAnInheritedLimit) {
  Policy policy = loaded(R"(version: 1
defaults:
  limits: {memory: 1GiB, pids: 10, cpu_max: 1, wall_time: 5s, cpuset: "0", rlimits: {nofile: 10}}
jobs:
  - name: a
    command: [ls]
    limits: {memory: unlimited, pids: unlimited, cpu_max: unlimited, wall_time: unlimited,
             cpuset: unlimited, rlimits: {nofile: unlimited}}
)");
  const Limits& limits = policy.jobs.at(0).settings.limits;
  EXPECT_FALSE(limits.memory_bytes);
  EXPECT_FALSE(limits.pids);
  EXPECT_FALSE(limits.cpu_max);
  EXPECT_FALSE(limits.wall_time);
  EXPECT_FALSE(limits.cpuset);
  EXPECT_EQ(limits.rlimits.at("nofile"), UINT64_MAX);  // RLIM_INFINITY
}

TEST(Loader, PolicyWithoutJobsTakesItsCommandFromTheCommandLine) {
  Policy policy = loaded(R"(version: 1
defaults:
  limits: {memory: 64MiB}
  output: {file: "{name}.out"}
)");
  EXPECT_TRUE(policy.command_from_cli);
  ASSERT_EQ(policy.jobs.size(), 1u);
  EXPECT_EQ(policy.jobs[0].name, "test");
  EXPECT_TRUE(policy.jobs[0].command.empty());
  EXPECT_EQ(policy.jobs[0].settings.limits.memory_bytes, 64ull << 20);
  EXPECT_EQ(policy.jobs[0].output.path, "test.out");
}

TEST(Loader, NameComesFromTheFileStemMadeValid) {
  auto result = policies::load_policy_string("version: 1\n", "/some/dir/my.policy.v2.yaml");
  ASSERT_TRUE(result.ok()) << policy_test::all_diagnostics(result);
  EXPECT_EQ(result.policy->name, "my");
  result = policies::load_policy_string("version: 1\n", "odd name!.yaml");
  ASSERT_TRUE(result.ok()) << policy_test::all_diagnostics(result);
  EXPECT_EQ(result.policy->name, "odd-name-");
  result = policies::load_policy_string("version: 1\n", ".hidden");
  ASSERT_TRUE(result.ok()) << policy_test::all_diagnostics(result);
  EXPECT_EQ(result.policy->name, "hidden");
}

TEST(Loader, MountKindsAndOptions) {
  Policy policy = loaded(R"(version: 1
defaults:
  filesystem:
    root: /srv/rootfs/
    root_readonly: true
    mounts:
      - {bind: /data, to: /mnt//data/./in/, readonly: false, optional: true}
      - {tmpfs: /tmp, size: 1.5MiB, noexec: true, nosuid: false}
      - {tmpfs: /run}
      - {proc: /proc}
    workdir: /mnt/data
jobs: [{name: a, command: [/bin/true]}]
)");
  const Filesystem& fs = policy.jobs.at(0).settings.filesystem;
  EXPECT_EQ(fs.root, "/srv/rootfs");
  EXPECT_TRUE(fs.root_readonly);
  EXPECT_EQ(fs.workdir, "/mnt/data");
  ASSERT_EQ(fs.mounts.size(), 4u);
  EXPECT_EQ(fs.mounts[0].source, "/data");
  EXPECT_EQ(fs.mounts[0].target, "/mnt/data/in");
  EXPECT_FALSE(fs.mounts[0].readonly);
  EXPECT_TRUE(fs.mounts[0].optional);
  EXPECT_EQ(fs.mounts[1].size_bytes, 1572864u);
  EXPECT_TRUE(fs.mounts[1].noexec);
  EXPECT_FALSE(fs.mounts[1].nosuid);
  EXPECT_FALSE(fs.mounts[2].size_bytes);
  EXPECT_TRUE(fs.mounts[3].noexec);
}

TEST(Loader, BridgedNetworkWithSharesAndPorts) {
  Policy policy = loaded(R"(version: 1
defaults:
  network:
    mode: bridged
    subnet: 10.77.0.0/28
    link: {rate: 100mbit}
jobs:
  - name: web
    command: [/usr/sbin/nginx]
    shares: {net: 75}
    network: {net_max: 80mbit, ports: [{host: 8080, job: 80}, {host: 5353, job: 53, protocol: udp}]}
  - {name: bulk, command: [/usr/bin/iperf3, -c, 10.77.0.1], shares: {net: 25}}
  - {name: offline, command: [/bin/true], network: {mode: none}}
)");
  const Network& web = policy.jobs.at(0).settings.network;
  EXPECT_EQ(web.mode, Network::Mode::bridged);
  EXPECT_EQ(web.subnet, "10.77.0.0/28");
  EXPECT_EQ(web.link_rate_bps, 100000000u);
  EXPECT_EQ(web.net_max_bps, 80000000u);
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].host_port, 8080);
  EXPECT_EQ(web.ports[0].job_port, 80);
  EXPECT_EQ(web.ports[0].protocol, "tcp");
  EXPECT_EQ(web.ports[1].protocol, "udp");
  EXPECT_EQ(policy.jobs.at(1).shares.net, 25u);
  const Network& offline = policy.jobs.at(2).settings.network;
  EXPECT_EQ(offline.mode, Network::Mode::none);
  EXPECT_FALSE(offline.link_rate_bps);  // bridged settings do not leak into other modes
}

TEST(Loader, SeccompCapabilitiesAndIdentity) {
  Policy policy = loaded(R"(version: 1
defaults:
  seccomp: {default: true, allow: [ptrace], deny: [mount, unshare], action: kill}
  capabilities: [CAP_NET_BIND_SERVICE, chown, cap_kill]
  identity: {uid: 0, gid: 0, host_uid: 100000, host_gid: 100000}
  map_root: false
  inherit_env: [TERM, LANG]
jobs: [{name: a, command: [/bin/true]}]
)");
  const JobSettings& s = policy.jobs.at(0).settings;
  EXPECT_EQ(s.seccomp.action, Seccomp::Action::kill);
  EXPECT_EQ(s.seccomp.allow, std::vector<std::string>{"ptrace"});
  EXPECT_EQ(s.seccomp.deny, (std::vector<std::string>{"mount", "unshare"}));
  EXPECT_EQ(s.capabilities,
            (std::vector<std::string>{"CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_KILL"}));
  EXPECT_EQ(s.identity.host_uid, 100000u);
  EXPECT_EQ(s.inherit_env, (std::vector<std::string>{"TERM", "LANG"}));
}

TEST(Loader, HostRootNeedsMapRoot) {
  Policy policy = loaded(R"(version: 1
defaults: {identity: {uid: 0, host_uid: 0, host_gid: 0}, map_root: true}
jobs: [{name: a, command: [/bin/true]}]
)");
  EXPECT_EQ(policy.jobs.at(0).settings.identity.host_uid, 0u);
  EXPECT_TRUE(policy.jobs.at(0).settings.map_root);
}

TEST(Loader, PathFromInheritEnvAllowsABareCommand) {
  Policy policy = loaded(R"(version: 1
defaults: {env: {PATH: null}, inherit_env: [PATH]}
jobs: [{name: a, command: [make]}]
)");
  EXPECT_EQ(policy.jobs.at(0).settings.env.count("PATH"), 0u);
}

TEST(Loader, RecordsTheLocationOfEveryKeyWritten) {
  Policy policy = loaded(R"(version: 1
defaults:
  limits:
    memory: 512MiB
jobs:
  - name: a
    command: [ls, -l]
    namespaces: [user, pid, net]
)");
  auto at = [&](const std::string& path) {
    auto it = policy.locations.find(path);
    return it == policy.locations.end()
               ? std::string("missing")
               : std::to_string(it->second.line) + ":" + std::to_string(it->second.column);
  };
  EXPECT_EQ(at("version"), "1:1");
  EXPECT_EQ(at("defaults"), "2:1");
  EXPECT_EQ(at("defaults.limits"), "3:3");
  EXPECT_EQ(at("defaults.limits.memory"), "4:5");
  EXPECT_EQ(at("jobs"), "5:1");
  EXPECT_EQ(at("jobs[0]"), "6:5");
  EXPECT_EQ(at("jobs[0].name"), "6:5");
  EXPECT_EQ(at("jobs[0].command"), "7:5");
  EXPECT_EQ(at("jobs[0].command[1]"), "7:19");
  EXPECT_EQ(at("jobs[0].namespaces[2]"), "8:29");
  EXPECT_EQ(policy.locations.at("jobs[0].command").file, "test.yaml");
  // Fallbacks: to the parent key, and from a job to the defaults it inherits.
  EXPECT_EQ(policy.location_of("jobs[0].namespaces[7]").line, 8);
  EXPECT_EQ(policy.setting_location(0, "limits.memory").line, 4);
  EXPECT_EQ(policy.setting_location(0, "namespaces").line, 8);
  EXPECT_EQ(policy.setting_location(0, "hostname").line, 6);  // written nowhere: the job
}

TEST(Loader, AnchorsAndAliasesWork) {
  Policy policy = loaded(R"(version: 1
jobs:
  - {name: a, command: &cmd [/usr/bin/stress-ng, --cpu, "1"], limits: &small {memory: 64MiB}}
  - {name: b, command: *cmd, limits: *small}
)");
  EXPECT_EQ(policy.jobs.at(1).command, policy.jobs.at(0).command);
  EXPECT_EQ(policy.jobs.at(1).settings.limits.memory_bytes, 64ull << 20);
}

TEST(Loader, LoadsFromAFile) {
  std::string path = ::testing::TempDir() + "policy_loader_test.yaml";
  {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    ASSERT_GE(std::fputs("version: 1\njobs: [{name: a, command: [/bin/true]}]\n", file), 0);
    ASSERT_EQ(std::fclose(file), 0);
  }
  auto result = policies::load_policy_file(path);
  EXPECT_EQ(std::remove(path.c_str()), 0);
  ASSERT_TRUE(result.ok()) << policy_test::all_diagnostics(result);
  EXPECT_EQ(result.policy->file, path);
  EXPECT_EQ(result.policy->name, "policy_loader_test");
}

// The policy model: what a user wrote, after defaults are applied and values are validated.
//
// This header is the contract between the loader (policies/) and the runtime (sandbox/). It holds
// plain data only: no YAML, no kernel, no cgroup types. Every quantity is already in base units
// (bytes, bits per second, microseconds, CPUs), so consumers never parse strings.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace policies {

// Where a value came from in the policy file, for error messages ("file:line:column").
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown (for example a default)
  int column = 0;  // 1-based
  std::string to_string() const;  // "file:line:column" or "file" when line is unknown
};

enum class Namespace { user, pid, mount, uts, ipc, net, cgroup, time };
std::string to_string(Namespace ns);
std::optional<Namespace> namespace_from_string(const std::string& name);

// Identity inside the sandbox, and what it maps to on the host when a user namespace is used.
struct Identity {
  uint32_t uid = 1000;
  uint32_t gid = 1000;
  // The host ids the inside ids map to. Unset: the caller's ids, or when the caller is root an
  // unprivileged id (65534) so that root inside never is root outside.
  std::optional<uint32_t> host_uid;
  std::optional<uint32_t> host_gid;
};

struct Mount {
  // symlink is not a mount but a link created in the new root (bwrap's --symlink); it lives in
  // the same ordered list so that it is made after the mounts before it.
  enum class Kind { bind, tmpfs, proc, dev, symlink };
  Kind kind = Kind::bind;
  std::string source;  // bind: host path; symlink: the link's content, as written; else unused
  std::string target;  // absolute path inside the sandbox
  bool readonly = true;
  bool optional = false;                  // bind: skip silently when the source is missing
  std::optional<uint64_t> size_bytes;     // tmpfs
  bool noexec = false, nosuid = true, nodev = true;
};

struct Filesystem {
  // "tmpfs" for a fresh empty root, otherwise an absolute host directory bound as the root.
  std::string root = "tmpfs";
  bool root_readonly = false;  // remount the root read-only after the mounts are in place
  std::vector<Mount> mounts;
  std::string workdir = "/";
};

struct IoDeviceLimit {
  std::string device;  // a block device path (/dev/vda) or "major:minor"
  std::optional<uint64_t> read_bps, write_bps, read_iops, write_iops;
};

struct Limits {
  std::optional<uint64_t> memory_bytes;       // hard cap (memory.max / limit_in_bytes)
  std::optional<uint64_t> memory_high_bytes;  // throttle point (v2 memory.high)
  std::optional<uint64_t> swap_bytes;         // 0 = no swap
  std::optional<uint64_t> pids;
  std::optional<double> cpu_max;              // in CPUs: "150%" = 1.5
  std::optional<std::string> cpuset;          // "0", "0-1", "0,2"
  std::optional<std::chrono::milliseconds> wall_time;
  std::chrono::milliseconds kill_grace{2000};  // SIGTERM then SIGKILL after this long
  std::map<std::string, uint64_t> rlimits;    // nofile, nproc, core, fsize, stack, as, cpu, ...
  std::vector<IoDeviceLimit> io;
  // Names of limits (as written: "memory", "swap", "io", ...) that may be skipped where the host
  // cannot enforce them. Any other unenforceable limit is an error, never a silent no-op.
  std::set<std::string> optional;
};

// Shares are relative weights among siblings (jobs of one tenant, or tenants of one policy).
struct Shares {
  std::optional<uint32_t> cpu;
  std::optional<uint32_t> io;
  std::optional<uint32_t> net;
};

struct PortForward {
  uint16_t host_port = 0;
  uint16_t job_port = 0;
  std::string protocol = "tcp";
};

struct Network {
  enum class Mode { none, loopback, bridged };
  Mode mode = Mode::none;
  std::string bridge;                          // bridged: existing bridge name; empty = create one
  std::string subnet = "10.203.0.0/24";        // bridged: jobs get addresses from it
  std::optional<uint64_t> link_rate_bps;       // the shared link's capacity, for net shares
  std::optional<uint64_t> net_max_bps;         // per job cap, even when alone
  std::vector<PortForward> ports;
};

struct Seccomp {
  enum class Action { errno_eperm, kill };
  bool enabled = true;             // the default filter (see docs/policy.md)
  std::vector<std::string> allow;  // syscalls removed from the default deny list
  std::vector<std::string> deny;   // extra syscalls to deny
  Action action = Action::errno_eperm;
};

// Everything a job inherits from `defaults:` and may override.
struct JobSettings {
  std::set<Namespace> namespaces{Namespace::user, Namespace::pid, Namespace::mount,
                                 Namespace::uts,  Namespace::ipc, Namespace::net,
                                 Namespace::cgroup};
  Identity identity;
  std::string hostname = "sandbox";
  Filesystem filesystem;
  std::map<std::string, std::string> env{{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  std::vector<std::string> inherit_env;  // names copied from the caller's environment
  Limits limits;
  Network network;
  Seccomp seccomp;
  std::vector<std::string> capabilities;  // kept in the job (names like "CAP_NET_BIND_SERVICE")
  bool map_root = false;  // allow mapping to host root explicitly (identity.host_uid: 0)
};

struct Output {
  enum class Mode { inherit, prefix, file };
  Mode mode = Mode::inherit;  // several jobs default to prefix
  std::string path;           // file: "{name}" is replaced by the job name
};

struct Job {
  std::string name;
  std::vector<std::string> command;  // empty only when the command comes from the command line
  std::string tenant;                // empty: directly under the run
  Shares shares;
  JobSettings settings;              // defaults merged with the job's own keys
  Output output;
  SourceLocation where;              // the job's entry in the file
};

struct Tenant {
  std::string name;
  Shares shares;
  SourceLocation where;
};

struct Policy {
  int version = 1;
  std::string file;      // path as given, for messages
  std::string name;      // policy name (`name:` key, else the file stem)
  JobSettings defaults;  // after the `defaults:` section is applied
  std::vector<Tenant> tenants;
  std::vector<Job> jobs;  // resolved, in file order. Exactly one when the command comes from CLI.
  bool command_from_cli = false;  // the policy has no `jobs:`; the job's command comes after `--`

  // Location of every key that was written, by dotted path:
  // "defaults.limits.memory", "jobs[1].command", "jobs[0].namespaces[2]".
  std::map<std::string, SourceLocation> locations;
  SourceLocation location_of(const std::string& path) const;  // falls back to the parent path
  // Where job `job_index`'s effective setting `setting` ("limits.memory") was written: in the
  // job, else in `defaults:` (where a job inherits it), else the job's entry.
  SourceLocation setting_location(size_t job_index, const std::string& setting) const;
};

}  // namespace policies

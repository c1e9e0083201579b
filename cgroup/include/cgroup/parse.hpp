// Pure parsers of the kernel's cgroup-related text files, and the naming of run groups. Separate
// from cgroup.hpp so that they can be unit-tested without a kernel; used by the cgroup module.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup::parse {

// One line of /proc/self/mountinfo, for cgroup and cgroup2 mounts.
struct Mount {
  std::string root;                     // the part of the hierarchy mounted ("/" normally)
  std::string mount_point;              // octal escapes (\040) decoded
  std::string fstype;                   // "cgroup" or "cgroup2" (other types are dropped)
  std::set<std::string> super_options;  // v1: the controllers ("cpu", "name=systemd", "rw", ...)
};
std::vector<Mount> mountinfo(const std::string& text);

// One line of /proc/self/cgroup: "4:memory:/process_api/x" or "0::/".
struct Membership {
  int hierarchy_id = 0;
  std::set<std::string> controllers;  // empty for the v2 line
  std::string path;
};
std::vector<Membership> proc_cgroup(const std::string& text);

// The layout and controllers from those two files and the cgroup2 root's cgroup.controllers
// (empty when there is no cgroup2 mount). Controllers are reported with usable = false: probing
// the filesystem (detect) decides usability. Throws Error when no cgroup hierarchy is mounted.
Host describe(const std::vector<Mount>& mounts, const std::vector<Membership>& memberships,
              const std::string& v2_root_controllers);

// `path` (from /proc/self/cgroup) relative to a mount of `root`, or nullopt when the mount does not
// contain it. ("/a/b" under root "/a" is "/b"; anything under root "/" is itself.)
std::optional<std::string> relative_to_root(const std::string& path, const std::string& root);

// "key value" lines (cpu.stat, memory.events, cpuacct.stat, memory.oom_control, pids.events).
std::map<std::string, uint64_t> flat_keyed(const std::string& text);

// Bytes read and written summed over devices.
struct IoBytes {
  uint64_t read = 0, write = 0;
};
IoBytes io_stat(const std::string& text);              // v2 io.stat: "8:0 rbytes=1 wbytes=2 ..."
IoBytes blkio_service_bytes(const std::string& text);  // v1: "8:0 Read 1", "8:0 Write 2", "Total 3"

// v1 cpuacct.usage_all ("cpu user system" then one "<cpu> <user ns> <system ns>" line per CPU):
// user and system time summed over CPUs, the sums cpuacct.usage_user and .usage_sys print.
// nullopt when there is no CPU line or a line is malformed.
struct CpuSplit {
  uint64_t user_ns = 0, system_ns = 0;
};
std::optional<CpuSplit> cpuacct_usage_all(const std::string& text);

// True when whitespace-separated `text` (cgroup.controllers, cgroup.subtree_control) has `word`.
bool contains_word(const std::string& text, const std::string& word);

// Process ids of cgroup.procs.
std::vector<pid_t> pids(const std::string& text);

// Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat; nullopt when malformed.
std::optional<uint64_t> stat_starttime(const std::string& text);

// Run groups are named sb-<pid>-<starttime>-<name> so that their owner can be recognised later.
std::string run_group_name(pid_t pid, uint64_t starttime, const std::string& name);
struct RunGroupOwner {
  pid_t pid = 0;
  uint64_t starttime = 0;
  std::string name;
};
std::optional<RunGroupOwner> run_group_owner(const std::string& directory_name);

// A group name must be one path component of safe characters: [A-Za-z0-9._-], not "." or "..",
// at most 128 characters, and not a cgroup interface file prefix (no "cgroup." start).
bool valid_group_name(const std::string& name);

}  // namespace cgroup::parse

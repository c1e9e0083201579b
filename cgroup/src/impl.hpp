// Group::Impl: one group's directory in every hierarchy it uses, and its teardown. Internal.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "fs.hpp"

namespace cgroup {

// The group's directory in one hierarchy.
struct Dir {
  std::vector<std::string> controllers;  // empty: the controller-less cgroup2 group (hybrid)
  int version = 1;
  std::string mount;  // "/sys/fs/cgroup/cpu"
  std::string path;   // relative to the mount, "/process_api/x/sb-1-2-run"
  fs::Fd fd;          // the directory, O_DIRECTORY

  std::string full() const { return mount + path; }
  bool serves(const std::string& controller) const;
};

// "/a" + "b" -> "/a/b"; "/" + "b" -> "/b".
std::string join_path(const std::string& parent, const std::string& name);

struct Group::Impl {
  std::shared_ptr<const Host> host;
  std::vector<Dir> dirs;             // in creation order; removed in reverse
  bool subtree_enabled = false;      // v2: controllers enabled for children, so no processes here
  bool holds_our_cgroup = false;     // a run group in our own v2 cgroup (see delegation.hpp)
  uint64_t sampled_pids_peak = 0;    // by sample(), for kernels without pids.peak
  uint64_t sampled_memory_peak = 0;  // by sample(), for kernels without memory.peak

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // Kills every process and removes every directory (children first). Never throws: failures are
  // logged to stderr, since there is nobody left to handle them.
  ~Impl();

  const Dir* dir_for(const std::string& controller) const;
  const Dir* v2_dir() const;  // the cgroup2 directory, if the group has one

  // Kills every process and waits until empty. With `trust_v2`, an empty v2 group is taken to
  // mean empty everywhere (true unless a process was attached to v1 hierarchies only).
  void kill_all(std::chrono::steady_clock::time_point deadline, bool trust_v2 = false);
  bool empty() const;
  bool remove_if_empty();
  // Removes the directories (and any subdirectory left in them); throws Error naming what remains.
  void remove(std::chrono::steady_clock::time_point deadline);
};

// How long teardown waits for processes to die and directories to go.
inline constexpr std::chrono::seconds kTeardownTimeout{10};

}  // namespace cgroup

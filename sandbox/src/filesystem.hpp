// The job's filesystem view, built by its pid 1 inside the new mount namespace: a new root (tmpfs
// or a bound host directory), the policy's mounts in order, then pivot_root into it with the old
// root detached. See docs/design.md "Filesystem".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/policy.hpp"
#include "safe_path.hpp"
#include "unique_fd.hpp"

namespace sandbox {

struct FilesystemContext {
  uint32_t owner_uid = 0;  // inside ids that own the tmpfs root and tmpfs mounts
  uint32_t owner_gid = 0;
  bool fresh_proc = true;  // a new pid namespace: mount a new proc instead of binding the host's
};

struct PreparedDevice {
  std::string name;
  UniqueFd tree;
};

// One policy mount, with its source already opened in the host's view.
struct PreparedMount {
  const policies::Mount* spec = nullptr;
  UniqueFd tree;  // empty for a symlink, and for an optional bind whose source is missing
  TargetKind kind = TargetKind::directory;
  std::vector<PreparedDevice> devices;  // Kind::dev only
};

struct PreparedFilesystem {
  const policies::Filesystem* spec = nullptr;
  UniqueFd root;
  std::vector<PreparedMount> mounts;
};

// Phase 1, with the caller's credentials: makes every mount private, then opens every host path
// (bind sources, the root, devices) as a detached mount and creates the tmpfs and proc instances.
// Throws Error(setup_failed) naming the mount ("mount /data: source /srv/data does not exist").
PreparedFilesystem prepare_filesystem(const policies::Filesystem& filesystem,
                                      const FilesystemContext& context);

// Phase 2, as the job's identity (so created mount points are owned by a mapped id): attaches the
// root and each mount (or creates each symlink) on targets resolved safely inside it, in the
// policy's order, then pivots into it.
void enter_filesystem(PreparedFilesystem& prepared, const FilesystemContext& context);

}  // namespace sandbox

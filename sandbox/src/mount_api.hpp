// The new mount API (fsopen/fsmount, open_tree, mount_setattr, move_mount) as small throwing
// helpers. Detached mounts are plain fds, so a tree can be prepared while every host path still
// resolves in the host's view, then attached under the new root.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "unique_fd.hpp"

namespace sandbox::mnt {

struct Option {
  std::string key;
  std::string value;  // empty: a flag option ("newinstance")
};

// A new, detached filesystem instance ("tmpfs", "proc", "devpts") with mount attributes
// (MOUNT_ATTR_*). `what` names the mount in errors ("mount /tmp").
UniqueFd new_filesystem(const char* type, const std::vector<Option>& options,
                        unsigned int attributes, const std::string& what);

// A detached copy of the mount at `source` (with its submounts when `recursive`). Returns an
// empty fd with errno ENOENT when the source does not exist; other failures throw.
UniqueFd clone_tree(const std::string& source, bool recursive, const std::string& what);

// Adds mount attributes (MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC) to a tree. Attributes the
// kernel locked (a user namespace cannot clear nosuid on a host mount) stay set.
void add_attributes(int tree, unsigned int attributes, bool recursive, const std::string& what);

// Attaches a detached tree on `target` (an O_PATH fd of the mount point).
void attach(int tree, int target, const std::string& what);

// Attaches a detached tree on the host path `path` (symlinks followed: host paths only). The
// tree's fd then refers to the attached mount: no need to open `path` again to reach it.
void attach_at(int tree, const std::string& path, const std::string& what);

}  // namespace sandbox::mnt

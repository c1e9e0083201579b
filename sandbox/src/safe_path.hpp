// Mount targets resolved so that a mount can never land outside the new root: every component is
// opened relative to its parent with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a symlink
// or ".." planted in the tree (or in a bound host directory) is refused instead of followed.
#pragma once

#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace sandbox {

enum class TargetKind { directory, file };

// The components of an absolute sandbox path ("/usr//lib/" -> {"usr", "lib"}). Throws
// Error(setup_failed) for a relative path or a ".." component.
std::vector<std::string> split_sandbox_path(const std::string& path);

// Opens `path` below `root` as an O_PATH fd, creating missing directories (and the last
// component as `kind`, mode 0755 / 0644). Throws Error(setup_failed) naming `path`.
UniqueFd open_mount_target(int root, const std::string& path, TargetKind kind);

// Creates the symlink `path` -> `content` below `root`: its parent is opened (and created) as a
// mount target's is, and the link itself is made with symlinkat, which never follows anything.
// An existing entry at `path` is an error, except a symlink with the same content (an image used
// as root that already has it). Throws Error(setup_failed) naming `path`.
void create_symlink(int root, const std::string& path, const std::string& content);

}  // namespace sandbox

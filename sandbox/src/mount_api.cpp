#include "mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>

#include "sys_error.hpp"

namespace sandbox::mnt {

UniqueFd new_filesystem(const char* type, const std::vector<Option>& options,
                        unsigned int attributes, const std::string& what) {
  UniqueFd context(check(fsopen(type, FSOPEN_CLOEXEC), what + ": fsopen " + type));
  // The source shows in mountinfo (and df): name it after the type, as mount(8) users expect.
  check(fsconfig(context.get(), FSCONFIG_SET_STRING, "source", type, 0), what + ": source");
  for (const auto& option : options) {
    const int rc = option.value.empty()
                       ? fsconfig(context.get(), FSCONFIG_SET_FLAG, option.key.c_str(), nullptr, 0)
                       : fsconfig(context.get(), FSCONFIG_SET_STRING, option.key.c_str(),
                                  option.value.c_str(), 0);
    check(rc, what + ": " + type + " option " + option.key +
                  (option.value.empty() ? "" : "=" + option.value));
  }
  check(fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0),
        what + ": create " + type);
  return UniqueFd(
      check(fsmount(context.get(), FSMOUNT_CLOEXEC, attributes), what + ": fsmount " + type));
}

UniqueFd clone_tree(const std::string& source, bool recursive, const std::string& what) {
  const unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  const int fd = open_tree(AT_FDCWD, source.c_str(), flags);
  if (fd < 0) {
    if (errno == ENOENT) return UniqueFd();
    throw_errno(what + ": bind " + source);
  }
  return UniqueFd(fd);
}

void add_attributes(int tree, unsigned int attributes, bool recursive, const std::string& what) {
  if (attributes == 0) return;
  mount_attr attr{};
  attr.attr_set = attributes;
  const unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  check(mount_setattr(tree, "", flags, &attr, sizeof attr), what + ": set mount flags");
}

void attach(int tree, int target, const std::string& what) {
  check(move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
        what + ": attach");
}

void attach_at(int tree, const std::string& path, const std::string& what) {
  check(move_mount(tree, "", AT_FDCWD, path.c_str(), MOVE_MOUNT_F_EMPTY_PATH), what + ": attach");
}

}  // namespace sandbox::mnt

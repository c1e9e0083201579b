#include "user_namespace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "sys_error.hpp"
#include "unique_fd.hpp"

namespace sandbox {

std::string IdMapping::line() const {
  return std::to_string(inside) + " " + std::to_string(outside) + " 1\n";
}

namespace {

// The host id an inside id maps to. Only root (CAP_SETUID over the parent namespace) may map to
// an id other than its own.
uint32_t host_id(const std::optional<uint32_t>& wanted, uint32_t caller, bool caller_is_root,
                 bool map_root, const char* key) {
  if (!caller_is_root) {
    if (wanted && *wanted != caller) {
      throw Error(exit_code::invalid_policy,
                  std::string("identity.") + key + " " + std::to_string(*wanted) +
                      ": only root can map a job to another user's id (caller is " +
                      std::to_string(caller) + ")");
    }
    return caller;
  }
  const uint32_t id = wanted.value_or(kOverflowId);
  if (id == 0 && !map_root) {
    throw Error(exit_code::invalid_policy, std::string("identity.") + key +
                                               " 0 maps the job to host root: set map_root: true "
                                               "to allow it");
  }
  return id;
}

void write_file(pid_t child, const char* name, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(child) + "/" + name;
  UniqueFd fd(check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open " + path));
  const ssize_t written = check(::write(fd.get(), text.data(), text.size()), "write " + path);
  if (static_cast<size_t>(written) != text.size()) {
    throw Error(exit_code::setup_failed, "write " + path + ": short write");
  }
}

}  // namespace

UserMapping plan_user_mapping(const policies::Identity& identity, bool map_root, uid_t caller_uid,
                              gid_t caller_gid) {
  UserMapping mapping;
  const bool root = caller_uid == 0;
  mapping.uid = {identity.uid, host_id(identity.host_uid, caller_uid, root, map_root, "host_uid")};
  mapping.gid = {identity.gid, host_id(identity.host_gid, caller_gid, root, map_root, "host_gid")};
  mapping.deny_setgroups = !root;
  return mapping;
}

void write_user_mapping(pid_t child, const UserMapping& mapping) {
  if (mapping.deny_setgroups) write_file(child, "setgroups", "deny");
  write_file(child, "uid_map", mapping.uid.line());
  write_file(child, "gid_map", mapping.gid.line());
}

}  // namespace sandbox

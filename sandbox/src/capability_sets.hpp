// The capability sets of the calling thread, read and written with capget/capset directly: one
// syscall each, where libcap's cap_get_proc/cap_set_proc probe the kernel's version first.
#pragma once

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sandbox {

struct CapabilitySets {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};

  // Returns 0, or -1 with errno set.
  int read() { return static_cast<int>(syscall(SYS_capget, &header, data)); }
  int write() { return static_cast<int>(syscall(SYS_capset, &header, data)); }

  static constexpr unsigned word(int cap) { return static_cast<unsigned>(cap) / 32; }
  static constexpr __u32 bit(int cap) { return __u32{1} << (static_cast<unsigned>(cap) % 32); }
  bool permitted(int cap) const { return (data[word(cap)].permitted & bit(cap)) != 0; }
  bool effective_is_permitted() const {
    for (const auto& set : data) {
      if (set.effective != set.permitted) return false;
    }
    return true;
  }
  void raise_permitted_to_effective() {
    for (auto& set : data) set.effective = set.permitted;
  }
};

}  // namespace sandbox

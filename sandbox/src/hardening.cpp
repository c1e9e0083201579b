// set_no_new_privs(): after it, execve can never grant more privilege than the job has
// (setuid/setgid bits and file capabilities are ignored), and an unprivileged process may load
// seccomp filters.
#include "hardening.hpp"

#include <sys/prctl.h>

#include <cerrno>

#include "hardening_error.hpp"

namespace sandbox::hardening {

void set_no_new_privs() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fail_setup("prctl(PR_SET_NO_NEW_PRIVS)", errno);
  }
}

}  // namespace sandbox::hardening

// How the hardening functions fail: a sandbox::Error with exit_code::setup_failed and one line
// naming the syscall, capability or path that failed, plus the kernel's reason.
#pragma once

#include <string>
#include <system_error>

#include "sandbox/sandbox.hpp"

namespace sandbox::hardening {

[[noreturn]] inline void fail_setup(const std::string& what) {
  throw Error(exit_code::setup_failed, what);
}

// `error_number` is an errno value (positive), as left by a failed libc call.
[[noreturn]] inline void fail_setup(const std::string& what, int error_number) {
  fail_setup(what + ": " + std::generic_category().message(error_number));
}

}  // namespace sandbox::hardening

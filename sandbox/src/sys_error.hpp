// Failures of system calls as sandbox::Error, with the errno kept so callers can classify them
// ("source does not exist" for ENOENT, exit 127 for a missing command).
#pragma once

#include <cerrno>
#include <string>

#include "sandbox/sandbox.hpp"

namespace sandbox {

struct SystemError : Error {
  int error_number;
  // "what: <strerror>", exit code setup_failed unless told otherwise.
  SystemError(const std::string& what, int err, int code = exit_code::setup_failed);
};

// Throws SystemError for the current errno.
[[noreturn]] void throw_errno(const std::string& what, int err = errno);

// Returns `result` when it is not -1, else throws SystemError naming `what`.
template <typename T>
T check(T result, const std::string& what) {
  if (result == static_cast<T>(-1)) throw_errno(what);
  return result;
}

// The kernel's description of an errno value ("No such file or directory").
std::string errno_text(int err);

}  // namespace sandbox

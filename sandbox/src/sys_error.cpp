#include "sys_error.hpp"

#include <cstring>

namespace sandbox {

std::string errno_text(int err) {
  const char* text = strerrordesc_np(err);
  return text ? text : "error " + std::to_string(err);
}

SystemError::SystemError(const std::string& what, int err, int code)
    : Error(code, what + ": " + errno_text(err)), error_number(err) {}

void throw_errno(const std::string& what, int err) {
  throw SystemError(what, err);
}

}  // namespace sandbox

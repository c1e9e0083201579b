#include "seccomp_programs.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "hardening.hpp"
#include "seccomp_precompiled.hpp"
#include "sys_error.hpp"

namespace sandbox {

namespace {

bool same(const policies::Seccomp& a, const policies::Seccomp& b) {
  return a.enabled == b.enabled && a.action == b.action && a.allow == b.allow && a.deny == b.deny;
}

void write_all(int fd, const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("send seccomp filter");
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

void read_all(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("receive seccomp filter");
    if (n == 0) throw Error(exit_code::setup_failed, "receive seccomp filter: supervisor gone");
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

const std::vector<sock_filter>& SeccompPrograms::get(const policies::Seccomp& policy) {
  for (const auto& entry : entries_) {
    if (same(entry.policy, policy)) return entry.program;
  }
  if (hardening::is_default_filter(policy)) {
    const auto program = hardening::precompiled_default_filter(policy.action);
    entries_.push_back({policy, {program.begin(), program.end()}});
  } else {
    entries_.push_back({policy, hardening::compile_seccomp(policy)});
  }
  return entries_.back().program;
}

void send_program(int fd, const std::vector<sock_filter>& program) {
  const auto count = static_cast<uint32_t>(program.size());
  write_all(fd, &count, sizeof count);
  write_all(fd, program.data(), program.size() * sizeof(sock_filter));
}

std::vector<sock_filter> receive_program(int fd) {
  uint32_t count = 0;
  read_all(fd, &count, sizeof count);
  if (count > BPF_MAXINSNS) {
    throw Error(exit_code::setup_failed, "receive seccomp filter: too long");
  }
  std::vector<sock_filter> program(count);
  read_all(fd, program.data(), program.size() * sizeof(sock_filter));
  return program;
}

}  // namespace sandbox

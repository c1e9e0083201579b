// What the supervisor and a job's processes tell each other over pipes, as fixed-size records
// (each written with one write(2) of at most PIPE_BUF bytes, so it arrives whole).
//
//   supervisor -> pid 1 (sync pipe):     Release, once the parent's share of the setup is done
//                                        (id maps written, cgroups attached, veth moved in).
//   pid 1 / job -> supervisor (channel): Failure when a setup step or execve fails;
//                                        JobExited with the job's wait status and the CPU
//                                        time and peak RSS of pid 1's reaped children;
//                                        JobStopped when the job stops (job control).
// The channel is O_CLOEXEC: a successful execve closes the job's copy.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "network.hpp"

namespace sandbox {

struct Release {
  uint8_t has_link = 0;
  char ifname[32] = {};
  char address_cidr[64] = {};
  char gateway[64] = {};

  static Release with(const std::optional<net::JobLink>& link);
  std::optional<net::JobLink> link() const;
};

struct ChildMessage {
  enum class Kind : uint32_t { failure = 1, job_exited = 2, job_stopped = 3 };
  Kind kind = Kind::failure;
  int32_t exit_code = 0;    // failure: setup_failed, cannot_execute or not_found
  int32_t wait_status = 0;  // job_exited, job_stopped: as waitpid(2) returns it
  // job_exited: getrusage(RUSAGE_CHILDREN) of pid 1 once it reaped the job, for a supervisor that
  // does not wait for pid 1's own exit (whose wait would give the same).
  int64_t children_user_us = 0, children_system_us = 0, children_max_rss_kb = 0;
  char text[500] = {};  // failure: one line naming the step and what failed

  static ChildMessage failure(int exit_code, std::string_view text);
  static ChildMessage job_exited(int wait_status, const struct rusage& children);
  // The job was stopped (^Z on its terminal): an interactive `sandbox` stops too, as shells expect.
  static ChildMessage job_stopped(int wait_status);
  std::string message() const { return std::string(text, strnlen(text, sizeof text)); }
};

// One write; failures are ignored (the reader then sees no message, and reports the exit).
void send(int fd, const ChildMessage& message) noexcept;
struct Received {
  std::optional<ChildMessage> message;
  bool end = false;  // every writer closed the channel
};
// Reads one message (none when the fd is non-blocking and nothing is there yet).
Received receive(int fd);

// For pid 1 and the job, from inside a catch block only: reports the exception being handled to
// the supervisor as a Failure (its Error code, else setup_failed) and exits with that code. `step`
// names the process in the message for exceptions that carry none.
[[noreturn]] void report_failure_and_exit(int channel, const char* step) noexcept;

}  // namespace sandbox

// The signals a sandbox passes on to its jobs, and signal-mask helpers.
#pragma once

#include <signal.h>

#include <vector>

namespace sandbox {

// Delivered to `sandbox` (or a job's pid 1) and forwarded to the job.
inline constexpr int kForwardedSignals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                            SIGUSR1, SIGUSR2, SIGWINCH};

// kForwardedSignals, plus any `extra`.
sigset_t forwarded_signal_set(const std::vector<int>& extra = {});

// Default dispositions for every signal and an empty mask, as a freshly started program expects
// (execve keeps ignored signals and the mask).
void reset_signals();

// Blocks `set` for the lifetime of the object; restores the previous mask after.
class ScopedSignalMask {
 public:
  explicit ScopedSignalMask(const sigset_t& set);
  ~ScopedSignalMask();
  ScopedSignalMask(const ScopedSignalMask&) = delete;
  ScopedSignalMask& operator=(const ScopedSignalMask&) = delete;

 private:
  sigset_t previous_{};
};

// Ignores SIGPIPE for the lifetime of the object (a closed stdout must not kill the supervisor
// while it relays job output); restores the previous disposition after.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe();
  ~IgnoreSigpipe();
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace sandbox

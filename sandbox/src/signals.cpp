#include "signals.hpp"

#include "sys_error.hpp"

namespace sandbox {

sigset_t forwarded_signal_set(const std::vector<int>& extra) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  for (int sig : extra) sigaddset(&set, sig);
  return set;
}

void reset_signals() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &action, nullptr);  // fails only for invalid or reserved numbers: skip those
  }
  sigset_t none;
  sigemptyset(&none);
  check(sigprocmask(SIG_SETMASK, &none, nullptr), "sigprocmask");
}

ScopedSignalMask::ScopedSignalMask(const sigset_t& set) {
  check(sigprocmask(SIG_BLOCK, &set, &previous_), "sigprocmask");
}

ScopedSignalMask::~ScopedSignalMask() {
  sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

IgnoreSigpipe::IgnoreSigpipe() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  check(sigaction(SIGPIPE, &ignore, &previous_), "sigaction(SIGPIPE)");
}

IgnoreSigpipe::~IgnoreSigpipe() {
  sigaction(SIGPIPE, &previous_, nullptr);
}

}  // namespace sandbox

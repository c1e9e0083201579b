#include "terminal.hpp"

#include <signal.h>
#include <unistd.h>

#include "signals.hpp"

namespace sandbox {

bool stdin_is_our_terminal() {
  return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

TerminalHandover::~TerminalHandover() {
  sigset_t ttou;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  try {
    ScopedSignalMask quiet(ttou);  // we are a background group until this call
    tcsetpgrp(STDIN_FILENO, getpgrp());
  } catch (...) {
    // sigprocmask cannot fail with a valid set; nothing to do if it did
  }
}

}  // namespace sandbox

#include "outcome.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace sandbox {
namespace {

int exited(int code) {
  return (code & 0xff) << 8;
}  // as waitpid reports it
int killed(int sig) {
  return sig & 0x7f;
}

// A JobEnd built field by field (designated initializers would have to name every field).
struct End {
  JobEnd end;
  End& failure(int code, std::string text = "") {
    end.failure_code = code;
    end.failure_text = std::move(text);
    return *this;
  }
  End& job(int status) {
    end.job_status = status;
    return *this;
  }
  End& pid1_signal(int sig) {
    end.pid1_signal = sig;
    return *this;
  }
  End& pid1_exit(int code) {
    end.pid1_exit = code;
    return *this;
  }
  End& timed_out() {
    end.timed_out = true;
    return *this;
  }
  End& oom_kills(uint64_t n) {
    end.oom_kills = n;
    return *this;
  }
};

JobReport classified(const End& built) {
  JobReport report;
  classify(built.end, report);
  return report;
}

TEST(Outcome, ExitCodePassesThrough) {
  const auto report = classified(End().job(exited(3)).pid1_exit(0));
  EXPECT_EQ(report.status, "exited");
  EXPECT_EQ(report.exit_code, 3);
  EXPECT_FALSE(report.signal);
  EXPECT_EQ(tool_exit_code(report), 3);
}

TEST(Outcome, SignalIs128PlusN) {
  const auto report = classified(End().job(killed(SIGTERM)).pid1_exit(0));
  EXPECT_EQ(report.status, "signaled");
  EXPECT_EQ(report.signal, SIGTERM);
  EXPECT_EQ(tool_exit_code(report), 128 + SIGTERM);
}

TEST(Outcome, FailureMessagesMapToTheirStatus) {
  auto report =
      classified(End().failure(exit_code::not_found, "command not found: x").job(exited(127)));
  EXPECT_EQ(report.status, "not_found");
  EXPECT_EQ(report.error, "command not found: x");
  EXPECT_EQ(tool_exit_code(report), 127);
  report = classified(End().failure(exit_code::cannot_execute, "x"));
  EXPECT_EQ(report.status, "cannot_execute");
  EXPECT_EQ(tool_exit_code(report), 126);
  report = classified(End().failure(exit_code::setup_failed, "mount /x: y"));
  EXPECT_EQ(report.status, "setup_failed");
  EXPECT_EQ(tool_exit_code(report), 125);
}

TEST(Outcome, TimeoutWinsOverHowTheJobDied) {
  auto report = classified(End().job(killed(SIGTERM)).timed_out());
  EXPECT_EQ(report.status, "timeout");
  EXPECT_EQ(tool_exit_code(report), 124);
  // Killed with the whole sandbox before pid 1 could report.
  report = classified(End().pid1_signal(SIGKILL).timed_out());
  EXPECT_EQ(report.status, "timeout");
  EXPECT_EQ(report.signal, SIGKILL);
  EXPECT_EQ(tool_exit_code(report), 124);
}

TEST(Outcome, OomNeedsAnOomKill) {
  auto report = classified(End().job(killed(SIGKILL)).oom_kills(1));
  EXPECT_EQ(report.status, "oom");
  EXPECT_EQ(report.signal, SIGKILL);
  EXPECT_EQ(tool_exit_code(report), 128 + SIGKILL);
  EXPECT_EQ(classified(End().job(killed(SIGKILL)).oom_kills(0)).status, "signaled");
  // The whole sandbox went (v2 memory.oom.group) before pid 1 could report.
  EXPECT_EQ(classified(End().pid1_signal(SIGKILL).oom_kills(2)).status, "oom");
}

TEST(Outcome, JobThatExitedAfterAnOomKillOfAWorkerIsOom) {
  // cgroup v1 kills one process at a time: the job's main process may live on and exit 0. It is
  // the same event as on v2, where the whole job dies: same status, same exit code.
  auto report = classified(End().job(exited(0)).oom_kills(1));
  EXPECT_EQ(report.status, "oom");
  EXPECT_EQ(report.exit_code, 0);  // what the job itself exited with
  EXPECT_FALSE(report.signal);
  EXPECT_EQ(tool_exit_code(report), 128 + SIGKILL);
  EXPECT_EQ(run_exit_code({report}), 128 + SIGKILL);
  EXPECT_EQ(classified(End().job(exited(0)).oom_kills(0)).status, "exited");
  // A wall-time stop stays a timeout whatever happened before it.
  EXPECT_EQ(classified(End().job(killed(SIGTERM)).oom_kills(1).timed_out()).status, "timeout");
  // The tool's own failures are never oom.
  EXPECT_EQ(classified(End().failure(exit_code::setup_failed, "x").oom_kills(1)).status,
            "setup_failed");
}

TEST(Outcome, Pid1ThatDiedWithoutAReportIsASetupFailure) {
  const auto report = classified(End().pid1_exit(125));
  EXPECT_EQ(report.status, "setup_failed");
  EXPECT_EQ(tool_exit_code(report), 125);
  EXPECT_NE(report.error.find("125"), std::string::npos);
}

TEST(Outcome, RunExitCode) {
  JobReport ok, two, three;
  ok.status = two.status = three.status = "exited";
  ok.exit_code = 0;
  two.exit_code = 2;
  three.exit_code = 3;
  EXPECT_EQ(run_exit_code({two}), 2);
  EXPECT_EQ(run_exit_code({ok, ok}), 0);
  EXPECT_EQ(run_exit_code({ok, three, two}), 3);  // the first failing job in policy order
}

}  // namespace
}  // namespace sandbox

#include "command.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "sandbox/sandbox.hpp"

namespace sandbox {
namespace {

TEST(ExecCandidates, SearchesTheJobsPathInOrder) {
  EXPECT_EQ(exec_candidates("ls", "/usr/bin:/bin"),
            (std::vector<std::string>{"/usr/bin/ls", "/bin/ls"}));
}

TEST(ExecCandidates, ACommandWithASlashIsNotSearched) {
  EXPECT_EQ(exec_candidates("./run", "/usr/bin"), std::vector<std::string>{"./run"});
  EXPECT_EQ(exec_candidates("/bin/sh", "/usr/bin"), std::vector<std::string>{"/bin/sh"});
}

TEST(ExecCandidates, EmptyPathEntriesMeanTheWorkingDirectory) {
  EXPECT_EQ(exec_candidates("x", "/a::/b:"),
            (std::vector<std::string>{"/a/x", "./x", "/b/x", "./x"}));
}

TEST(ClassifyExecFailure, NotFoundEverywhereIs127) {
  const auto failure = classify_exec_failure("foo", {ENOENT, ENOTDIR, ENOENT});
  EXPECT_EQ(failure.exit_code, exit_code::not_found);
  EXPECT_EQ(failure.message, "command not found: foo");
}

TEST(ClassifyExecFailure, PermissionDeniedAnywhereIs126) {
  const auto failure = classify_exec_failure("foo", {ENOENT, EACCES, ENOENT});
  EXPECT_EQ(failure.exit_code, exit_code::cannot_execute);
  EXPECT_EQ(failure.message, "cannot execute foo: Permission denied");
}

TEST(ClassifyExecFailure, NotAnExecutableFormatIs126) {
  const auto failure = classify_exec_failure("./data", {ENOEXEC});
  EXPECT_EQ(failure.exit_code, exit_code::cannot_execute);
  EXPECT_EQ(failure.message, "cannot execute ./data: Exec format error");
}

}  // namespace
}  // namespace sandbox

// Mount target resolution on a real directory tree (no privileges needed).
#include "safe_path.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "sandbox/sandbox.hpp"
#include "temp_dir.hpp"

namespace sandbox {
namespace {

namespace fs = std::filesystem;

TEST(SplitSandboxPath, NormalizesSlashesAndDots) {
  EXPECT_EQ(split_sandbox_path("/usr//lib/./x/"), (std::vector<std::string>{"usr", "lib", "x"}));
  EXPECT_TRUE(split_sandbox_path("/").empty());
}

TEST(SplitSandboxPath, RefusesRelativePathsAndDotDot) {
  EXPECT_THROW(split_sandbox_path("usr/lib"), Error);
  EXPECT_THROW(split_sandbox_path("/usr/../etc"), Error);
}

class MountTarget : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.reset(::open(dir_.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_);
  }
  test::TempDir dir_{"sandbox-safe-path"};
  UniqueFd root_;
};

TEST_F(MountTarget, CreatesMissingDirectories) {
  UniqueFd target = open_mount_target(root_.get(), "/a/b/c", TargetKind::directory);
  EXPECT_TRUE(target);
  EXPECT_TRUE(fs::is_directory(dir_ / "a/b/c"));
}

TEST_F(MountTarget, CreatesAFileForAFileMount) {
  UniqueFd target = open_mount_target(root_.get(), "/etc/resolv.conf", TargetKind::file);
  EXPECT_TRUE(target);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "etc/resolv.conf"));
}

TEST_F(MountTarget, UsesWhatExists) {
  fs::create_directories(dir_ / "x/y");
  UniqueFd target = open_mount_target(root_.get(), "/x/y", TargetKind::directory);
  struct stat by_fd {
  }, by_path{};
  ASSERT_EQ(fstat(target.get(), &by_fd), 0);
  ASSERT_EQ(stat((dir_ / "x/y").c_str(), &by_path), 0);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
}

TEST_F(MountTarget, RefusesASymlinkInThePath) {
  const test::TempDir outside{"sandbox-outside"};
  fs::create_directory_symlink(outside.path(), dir_ / "link");
  try {
    open_mount_target(root_.get(), "/link/inner", TargetKind::directory);
    FAIL() << "followed a symlink";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "target /link/inner (at /link) is a symlink");
  }
  EXPECT_FALSE(fs::exists(outside / "inner")) << "created something outside the root";
}

TEST_F(MountTarget, RefusesASymlinkAsTheTargetItself) {
  fs::create_directory_symlink("/", dir_ / "last");
  EXPECT_THROW(open_mount_target(root_.get(), "/last", TargetKind::directory), Error);
}

TEST_F(MountTarget, AFileWhereADirectoryIsNeeded) {
  test::TempDir scratch;
  { std::ofstream(dir_ / "plain") << "x"; }
  try {
    open_mount_target(root_.get(), "/plain/below", TargetKind::directory);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "target /plain/below (at /plain) is not a directory");
  }
}

using CreateSymlink = MountTarget;

TEST_F(CreateSymlink, MakesTheLinkAndItsMissingParents) {
  create_symlink(root_.get(), "/bin", "usr/bin");
  create_symlink(root_.get(), "/a/b/fd", "/proc/self/fd");
  EXPECT_EQ(fs::read_symlink(dir_ / "bin"), "usr/bin");
  EXPECT_EQ(fs::read_symlink(dir_ / "a/b/fd"), "/proc/self/fd");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(dir_ / "a/b")));
}

TEST_F(CreateSymlink, NeverThroughASymlinkInItsParents) {
  const test::TempDir outside{"sandbox-outside"};
  fs::create_directory_symlink(outside.path(), dir_ / "link");
  try {
    create_symlink(root_.get(), "/link/x", "y");
    FAIL() << "followed a symlink";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "target /link/x (at /link) is a symlink");
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(outside / "x"))) << "created a link outside the root";
}

TEST_F(CreateSymlink, AnExistingEntryIsAnErrorUnlessItIsTheSameLink) {
  fs::create_directory(dir_ / "dir");
  { std::ofstream(dir_ / "file") << "x"; }
  fs::create_symlink("elsewhere", dir_ / "other");
  fs::create_symlink("usr/bin", dir_ / "same");
  for (const auto& [name, what] : std::vector<std::pair<std::string, std::string>>{
           {"dir", "a directory"}, {"file", "a file"}, {"other", "a symlink to elsewhere"}}) {
    try {
      create_symlink(root_.get(), "/" + name, "usr/bin");
      FAIL() << name << " was replaced";
    } catch (const Error& e) {
      const std::string expected = std::string("symlink /")
                                       .append(name)
                                       .append(": exists already (")
                                       .append(what)
                                       .append(")");
      EXPECT_EQ(e.what(), expected);
      EXPECT_EQ(e.code, exit_code::setup_failed);
    }
  }
  EXPECT_NO_THROW(create_symlink(root_.get(), "/same", "usr/bin"));
  // A prefix of the content is not the same content.
  EXPECT_THROW(create_symlink(root_.get(), "/same", "usr/bi"), Error);
  EXPECT_THROW(create_symlink(root_.get(), "/same", "usr/bin/"), Error);
  EXPECT_EQ(fs::read_symlink(dir_ / "other"), "elsewhere");
}

TEST_F(CreateSymlink, RefusesTheRoot) {
  EXPECT_THROW(create_symlink(root_.get(), "/", "usr"), Error);
}

}  // namespace
}  // namespace sandbox

// `symlink` entries of filesystem.mounts against the real runtime: links are made inside the new
// root only, in the policy's order, never through another link, never over an existing entry.
#include <sys/stat.h>

#include <filesystem>

#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

namespace fs = std::filesystem;

// The links of bubblewrap's start-up line (`--symlink usr/bin /bin` ...) with only /usr bound.
const std::string kUsrWithLinks =
    "      - {bind: /usr}\n"
    "      - {symlink: usr/bin, to: /bin}\n"
    "      - {symlink: usr/lib, to: /lib}\n"
    "      - {symlink: usr/lib64, to: /lib64}\n"
    "      - {tmpfs: /tmp, size: 16MiB}\n"
    "      - {proc: /proc}\n"
    "      - {dev: /dev}\n";

class Symlink : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    // Only /usr bound runs /bin/sh (and its loader in /lib64) only where they live under /usr.
    std::error_code ec;
    if (fs::read_symlink("/bin", ec) != "usr/bin" || !fs::exists("/usr/lib64")) {
      GTEST_SKIP() << "needs a merged-/usr host (/bin -> usr/bin, /usr/lib64)";
    }
  }

  // Makes the scratch directory reachable by the job's unprivileged host id, so that a runtime
  // that followed a link out of the root would really succeed in writing there.
  void open_scratch_to_everyone() { fs::permissions(dir_.path(), fs::perms::all); }
};

TEST_F(Symlink, JobSeesTheLinksAndRunsThroughThemWithOnlyUsrBound) {
  PolicyText policy;
  policy.base_mounts = kUsrWithLinks;
  // Parents that do not exist are created, as for a mount point.
  policy.extra_mounts = "      - {symlink: /proc/self/fd, to: /opt/deep/fd}\n";
  const auto result = run(policy, {"/bin/sh", "-c",
                                   "readlink /bin /lib /lib64 /opt/deep/fd; test -L /bin && echo "
                                   "is-link; grep -c -E ' /(bin|lib|lib64|opt)[ /]' "
                                   "/proc/self/mountinfo; /bin/sh -c 'echo ran'"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The outer /bin/sh already went through /bin and its loader through /lib64.
  EXPECT_EQ(result.out, "usr/bin\nusr/lib\nusr/lib64\n/proc/self/fd\nis-link\n0\nran\n");
}

TEST_F(Symlink, ALinkToAHostPathIsDanglingInside) {
  open_scratch_to_everyone();
  const auto secret = dir_.write("secret", "host data\n");
  fs::permissions(secret, fs::perms::all);
  PolicyText policy;
  policy.base_mounts = kUsrWithLinks;
  policy.extra_mounts = "      - {symlink: " + secret.string() + ", to: /absolute}\n" +
                        "      - {symlink: ../../../.." + secret.string() + ", to: /a/relative}\n";
  const auto result = run(policy, {"/bin/sh", "-c",
                                   "readlink /absolute /a/relative; cat /absolute /a/relative "
                                   "2>/dev/null || echo dangling"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The content is kept as written; it resolves in the sandbox's root, where the host file is not.
  EXPECT_EQ(result.out, secret.string() + "\n../../../.." + secret.string() + "\ndangling\n");
  EXPECT_FALSE(fs::exists("/absolute"));
  EXPECT_FALSE(fs::exists("/a/relative"));
}

TEST_F(Symlink, APlantedLinkInABoundDirectoryIsNotFollowed) {
  // A host directory bound read-write holds a link out of the root; a symlink placed through it
  // would land in `outside` on the host, which the job could write to.
  open_scratch_to_everyone();
  // Outside /tmp: while pid 1 builds the root, its new root covers the host's /tmp.
  TempDir elsewhere("../var/tmp/sandbox-symlink");
  fs::permissions(elsewhere.path(), fs::perms::all);
  const auto data = dir_ / "data", outside = elsewhere / "outside";
  fs::create_directory(data);
  fs::create_directory(outside);
  fs::permissions(data, fs::perms::all);
  fs::permissions(outside, fs::perms::all);
  fs::create_directory_symlink(outside, data / "evil");
  PolicyText policy;
  policy.base_mounts = kUsrWithLinks;
  policy.extra_mounts = "      - {bind: " + data.string() + ", to: /data, readonly: false}\n" +
                        "      - {symlink: x, to: /data/evil/link}\n";
  const auto result = run(policy, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 125) << result.err;
  EXPECT_NE(result.err.find("target /data/evil/link (at /data/evil) is a symlink"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(fs::symlink_status(outside / "link")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(data / "link")));
}

TEST_F(Symlink, AnExistingEntryAtThePathIs125NamingIt) {
  // /usr is a bind, not a link, so the loader lets a link go below it; the runtime finds the
  // host's entries there.
  for (const auto& [path, kind] : {std::pair<std::string, std::string>{"/usr/bin", "a directory"},
                                   {"/usr/bin/env", "a file"}}) {
    PolicyText policy;
    policy.base_mounts = kUsrWithLinks;
    policy.extra_mounts = "      - {symlink: elsewhere, to: " + path + "}\n";
    const auto result = run(policy, {"/bin/true"});
    EXPECT_EQ(result.exit_code, 125) << result.err;
    const std::string expected =
        std::string("symlink ").append(path).append(": exists already (").append(kind).append(")");
    EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
  }
  EXPECT_TRUE(fs::is_directory(fs::symlink_status("/usr/bin")));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status("/usr/bin/env")));
}

TEST_F(Symlink, AnImageRootKeepsItsOwnIdenticalLinkAndRefusesADifferentOne) {
  const auto root = dir_ / "root";
  for (const char* point : {"usr", "tmp", "proc", "dev"}) fs::create_directories(root / point);
  fs::create_directory_symlink("usr/bin", root / "bin");
  fs::create_directory_symlink("usr/lib", root / "lib");
  fs::create_directory_symlink("usr/lib64", root / "lib64");
  PolicyText policy;
  policy.root = root.string();
  policy.base_mounts = kUsrWithLinks;
  auto result = run(policy, {"/bin/sh", "-c", "readlink /bin"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "usr/bin\n");

  fs::remove(root / "bin");
  fs::create_directory_symlink("usr/sbin", root / "bin");
  result = run(policy, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 125) << result.err;
  EXPECT_NE(result.err.find("symlink /bin: exists already (a symlink to elsewhere)"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(fs::read_symlink(root / "bin"), "usr/sbin");
}

TEST_F(Symlink, WorkWithAReadOnlyRoot) {
  PolicyText policy;
  policy.base_mounts = kUsrWithLinks;
  policy.extra_mounts = "      - {symlink: /tmp/state, to: /var/lib/state}\n";
  policy.jobs =
      "jobs:\n"
      "  - name: ro\n"
      "    command: [/bin/sh, -c, 'readlink /bin /var/lib/state; echo x > /tmp/state && cat "
      "/var/lib/state; touch /probe 2>&1 || echo refused']\n"
      "    filesystem: {root_readonly: true}\n";
  const auto result = run(policy, {});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The links were made before the root turned read-only; the root then refuses new entries.
  EXPECT_NE(result.out.find("usr/bin\n/tmp/state\nx\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Read-only file system"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("refused"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace sandbox::test

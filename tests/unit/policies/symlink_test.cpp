// `symlink` entries of filesystem.mounts: what the loader keeps, and every shape it refuses.
// Single-error cases with their line live in tests/data/invalid/symlink-*.yaml.
#include <gtest/gtest.h>

#include "policy_test_support.hpp"

using namespace policies;
using policy_test::all_diagnostics;
using policy_test::load;
using policy_test::loaded;

namespace {

std::string with_mounts(const std::string& mounts) {
  return "version: 1\ndefaults:\n  filesystem:\n    mounts:\n" + mounts +
         "jobs: [{name: a, command: [/bin/true]}]\n";
}

TEST(Symlink, ContentIsKeptAsWrittenAndThePathNormalized) {
  Policy policy =
      loaded(with_mounts("      - {bind: /usr}\n"
                         "      - {symlink: usr/bin, to: /bin}\n"
                         "      - {symlink: ../../etc//passwd, to: /opt//x/./y/}\n"
                         "      - {symlink: /proc/self/fd, to: /dev/fd}\n"
                         "      - {tmpfs: /tmp}\n"));
  const auto& mounts = policy.jobs.at(0).settings.filesystem.mounts;
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[1].kind, Mount::Kind::symlink);
  EXPECT_EQ(mounts[1].source, "usr/bin");
  EXPECT_EQ(mounts[1].target, "/bin");
  // The content is not a path of the host nor checked for '..': only the sandbox resolves it.
  EXPECT_EQ(mounts[2].source, "../../etc//passwd");
  EXPECT_EQ(mounts[2].target, "/opt/x/y");
  EXPECT_EQ(mounts[3].source, "/proc/self/fd");
  // Order is kept: the runtime makes each entry after the ones before it.
  EXPECT_EQ(mounts[4].kind, Mount::Kind::tmpfs);
  // A link has no mount flags; none is carried that the runtime could misapply.
  EXPECT_FALSE(mounts[1].readonly);
  EXPECT_FALSE(mounts[1].optional);
  EXPECT_FALSE(mounts[1].noexec);
  EXPECT_FALSE(mounts[1].nosuid);
  EXPECT_FALSE(mounts[1].nodev);
  EXPECT_FALSE(mounts[1].size_bytes);
}

TEST(Symlink, SiblingPathsAreNotInsideOneAnother) {
  // '/lib64' is not under '/lib', nor '/usr/lib' under '/usr/li'.
  loaded(
      with_mounts("      - {symlink: usr/lib, to: /lib}\n"
                  "      - {symlink: usr/lib64, to: /lib64}\n"
                  "      - {symlink: x, to: /usr/li}\n"
                  "      - {bind: /usr/lib, optional: true}\n"));
}

TEST(Symlink, EveryMountOptionIsRefusedAtItsKey) {
  // A value that would be wrong anyway is not reported a second time.
  for (const std::string option :
       {"readonly: false", "optional: true", "size: 1MiB", "noexec: true", "nosuid: false",
        "nodev: false", "readonly: perhaps", "size: lots"}) {
    auto result = load(with_mounts("      - {symlink: usr/bin, to: /bin, " + option + "}\n"));
    ASSERT_FALSE(result.ok()) << option;
    ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
    const auto& d = result.diagnostics[0];
    EXPECT_EQ(d.key, "defaults.filesystem.mounts[0]." + option.substr(0, option.find(':')));
    EXPECT_NE(d.message.find("does not apply to a symlink"), std::string::npos) << d.message;
    EXPECT_EQ(d.where.line, 5);
    EXPECT_GT(d.where.column, 0);
  }
}

TEST(Symlink, BadShapesEachGiveOneDiagnostic) {
  struct Case {
    std::string entry, key, fragment;  // key: below mounts[0]
  };
  const std::vector<Case> cases{
      {"{symlink: usr/bin}", ".to", "missing key 'to'"},
      {"{symlink: [usr/bin], to: /bin}", ".symlink", "expected a string"},
      {"{symlink: usr/bin, to: {a: b}}", ".to", "expected a string"},
      {"{symlink: '', to: /bin}", ".symlink", "must not be empty"},
      {"{symlink: " + std::string(4096, 'a') + ", to: /bin}", ".symlink", "PATH_MAX"},
      {"{symlink: usr/bin, to: ''}", ".to", "must not be empty"},
      {"{symlink: usr/bin, to: //}", ".to", "cannot replace '/'"},
      {"{symlink: usr/bin, bind: /usr}", ".bind", "one kind"},
  };
  for (const auto& c : cases) {
    auto result = load(with_mounts("      - " + c.entry + "\n"));
    ASSERT_FALSE(result.ok()) << c.entry;
    ASSERT_EQ(result.diagnostics.size(), 1u) << c.entry << "\n" << all_diagnostics(result);
    EXPECT_EQ(result.diagnostics[0].key, "defaults.filesystem.mounts[0]" + c.key) << c.entry;
    EXPECT_NE(result.diagnostics[0].message.find(c.fragment), std::string::npos)
        << c.entry << ": " << result.diagnostics[0].message;
  }
}

TEST(Symlink, NothingMayBePlacedThroughALinkInEitherOrder) {
  // After: the mount would have to follow the link. Before: the link would find a directory.
  for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
           {"{symlink: usr/bin, to: /bin}", "{tmpfs: /bin/sub}"},
           {"{symlink: usr/bin, to: /bin}", "{symlink: x, to: /bin/x}"},
           {"{bind: /usr, to: /opt/usr}", "{symlink: /usr, to: /opt}"},
       }) {
    const std::string mounts =
        std::string("      - ").append(first).append("\n      - ").append(second).append("\n");
    auto result = load(with_mounts(mounts));
    ASSERT_EQ(result.diagnostics.size(), 1u) << second << "\n" << all_diagnostics(result);
    const auto& d = result.diagnostics[0];
    EXPECT_EQ(d.key, "defaults.filesystem.mounts[1]");
    EXPECT_EQ(d.where.line, 6);
    // The message points at the other entry too.
    EXPECT_NE(d.message.find("mounts[0], test.yaml:5:"), std::string::npos) << d.message;
  }
}

TEST(Symlink, AJobsOwnMountsReplaceTheDefaultsLinks) {
  Policy policy = loaded(R"(version: 1
defaults:
  filesystem:
    mounts: [{symlink: usr/bin, to: /bin}]
jobs:
  - {name: a, command: [/bin/true]}
  - {name: b, command: [/bin/true], filesystem: {mounts: [{tmpfs: /bin/x}]}}
)");
  ASSERT_EQ(policy.jobs.size(), 2u);
  EXPECT_EQ(policy.jobs[0].settings.filesystem.mounts.at(0).kind, Mount::Kind::symlink);
  ASSERT_EQ(policy.jobs[1].settings.filesystem.mounts.size(), 1u);
  EXPECT_EQ(policy.jobs[1].settings.filesystem.mounts[0].kind, Mount::Kind::tmpfs);
}

TEST(Symlink, TheStartupBenchmarkLinksLikeBubblewrap) {
  // bench/startup.cpp runs `bwrap --ro-bind /usr /usr --symlink usr/bin /bin ...`: the same view.
  auto result = load_policy_file(std::string(SANDBOX_SOURCE_DIR) + "/bench/startup.yaml");
  ASSERT_TRUE(result.ok()) << all_diagnostics(result);
  const auto& mounts = result.policy->defaults.filesystem.mounts;
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[0].kind, Mount::Kind::bind);
  EXPECT_EQ(mounts[0].source, "/usr");
  const std::vector<std::pair<std::string, std::string>> links{
      {"usr/bin", "/bin"}, {"usr/lib", "/lib"}, {"usr/lib64", "/lib64"}};
  for (size_t i = 0; i < links.size(); ++i) {
    EXPECT_EQ(mounts[i + 1].kind, Mount::Kind::symlink);
    EXPECT_EQ(mounts[i + 1].source, links[i].first);
    EXPECT_EQ(mounts[i + 1].target, links[i].second);
  }
}

}  // namespace

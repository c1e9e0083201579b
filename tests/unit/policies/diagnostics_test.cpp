// Invalid policies: what is reported, where, and how. (Single-error cases live in the data-driven
// corpus, tests/data/invalid; these cover formatting, several errors at once and hostile input.)
#include <gtest/gtest.h>

#include "policy_test_support.hpp"

using namespace policies;
using policy_test::all_diagnostics;
using policy_test::find;
using policy_test::load;

TEST(Diagnostics, PrintAsFileLineColumnErrorKeyMessage) {
  auto result = load("version: 1\ndefaults:\n  limits: {memroy: 1G}\n", "farm.yaml");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "farm.yaml:3:12: error: defaults.limits.memroy: unknown key (did you mean 'memory'?)");
}

TEST(Diagnostics, WithoutALineOrKeyTheyStillReadWell) {
  Diagnostic d{SourceLocation{"p.yaml", 0, 0}, "", "empty policy"};
  EXPECT_EQ(d.to_string(), "p.yaml: error: empty policy");
}

TEST(Diagnostics, ReportsEveryErrorNotOnlyTheFirst) {
  auto result = load(R"(version: 1
defaults:
  limits: {memory: 100k, pids: 0, cpu_max: -5%, cpuset: "1-0"}
  namespaces: [user, pdi]
  hostname: -bad-
tenants:
  ci: {shares: {cpu: 0}}
jobs:
  - {name: a, command: [make], tenant: nope}
  - {name: a, command: []}
  - {name: "b c", command: [/bin/true], limits: {swap: lots}}
  - {command: [/bin/true]}
)");
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.policy.has_value());
  std::vector<std::pair<std::string, int>> expected{
      {"defaults.limits.memory", 3}, {"defaults.limits.pids", 3},   {"defaults.limits.cpu_max", 3},
      {"defaults.limits.cpuset", 3}, {"defaults.namespaces[1]", 4}, {"defaults.hostname", 5},
      {"tenants.ci.shares.cpu", 7},  {"jobs[0].tenant", 9},         {"jobs[1].name", 10},
      {"jobs[1].command", 10},       {"jobs[2].name", 11},          {"jobs[2].limits.swap", 11},
      {"jobs[3].name", 12},
  };
  for (const auto& [key, line] : expected) {
    const Diagnostic* d = find(result, key);
    ASSERT_NE(d, nullptr) << key << " not reported:\n" << all_diagnostics(result);
    EXPECT_EQ(d->where.line, line) << d->to_string();
    EXPECT_EQ(d->where.file, "test.yaml");
  }
  EXPECT_EQ(result.diagnostics.size(), expected.size()) << all_diagnostics(result);
  // In file order.
  for (size_t i = 1; i < result.diagnostics.size(); ++i) {
    EXPECT_LE(result.diagnostics[i - 1].where.line, result.diagnostics[i].where.line);
  }
}

TEST(Diagnostics, SuggestTheClosestKeyOnlyWhenItIsClose) {
  auto result = load("version: 1\njobs:\n  - {name: a, comand: [ls], limts: {}, zzzzzz: 1}\n");
  ASSERT_NE(find(result, "jobs[0].comand"), nullptr) << all_diagnostics(result);
  EXPECT_EQ(find(result, "jobs[0].comand")->message, "unknown key (did you mean 'command'?)");
  EXPECT_EQ(find(result, "jobs[0].limts")->message, "unknown key (did you mean 'limits'?)");
  EXPECT_EQ(find(result, "jobs[0].zzzzzz")->message, "unknown key");
}

TEST(Diagnostics, CrossKeyChecksNameTheKeyThatWasWritten) {
  auto result = load(R"(version: 1
defaults:
  env: {PATH: null, HOME: /root}
  limits:
    memory_high: 2GiB
jobs:
  - name: a
    command: [ls]
    limits: {memory: 1GiB}
)");
  ASSERT_FALSE(result.ok());
  ASSERT_NE(find(result, "jobs[0].command[0]"), nullptr) << all_diagnostics(result);
  EXPECT_EQ(find(result, "jobs[0].command[0]")->where.line, 8);
  // Inherited from defaults: reported where defaults wrote it.
  ASSERT_NE(find(result, "defaults.limits.memory_high"), nullptr) << all_diagnostics(result);
  EXPECT_EQ(find(result, "defaults.limits.memory_high")->where.line, 5);
}

TEST(Diagnostics, SameProblemInheritedByManyJobsIsReportedOnce) {
  auto result = load(R"(version: 1
defaults: {limits: {swap: 0}}
jobs:
  - {name: a, command: [/bin/true]}
  - {name: b, command: [/bin/true]}
  - {name: c, command: [/bin/true]}
)");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
  EXPECT_EQ(result.diagnostics.at(0).key, "defaults.limits.swap");
}

TEST(Diagnostics, ManyErrorsAreCapped) {
  std::string yaml = "version: 1\njobs:\n";
  for (int i = 0; i < 300; ++i) yaml += "  - {name: j" + std::to_string(i) + ", bad: 1}\n";
  auto result = load(yaml);
  ASSERT_FALSE(result.ok());
  EXPECT_LE(result.diagnostics.size(), 101u);
  EXPECT_NE(result.diagnostics.back().message.find("too many errors"), std::string::npos);
}

TEST(Diagnostics, YamlSyntaxErrorsCarryTheirPosition) {
  auto result = load("version: 1\njobs:\n  - {name: a, command: [ls]\n  - b: [\n");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_GT(result.diagnostics[0].where.line, 0);
  EXPECT_NE(result.diagnostics[0].message.find("YAML syntax"), std::string::npos);
}

TEST(Diagnostics, MissingFileIsADiagnosticNotAnException) {
  auto result = policies::load_policy_file("/nonexistent/policy.yaml");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].where.file, "/nonexistent/policy.yaml");
  EXPECT_NE(result.diagnostics[0].message.find("No such file"), std::string::npos);
}

TEST(Diagnostics, DirectoryOrDeviceIsNotAPolicy) {
  for (const char* path : {"/tmp", "/dev/zero", "/dev/null"}) {
    auto result = policies::load_policy_file(path);
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_EQ(result.diagnostics.at(0).message, "not a regular file") << path;
  }
}

// Hostile input: must be rejected with one clean diagnostic (and without exhausting the stack or
// memory, which would crash the test).
TEST(HostileInput, AliasBombIsRejected) {
  std::string yaml = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    yaml += "]\n";
  }
  yaml += "jobs: [{name: a, command: *a9}]\n";
  auto result = load(yaml);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
  EXPECT_NE(result.diagnostics[0].message.find("alias"), std::string::npos);
}

TEST(HostileInput, DeepFlowNestingIsRejectedBeforeParsing) {
  for (std::string open : {"[", "{a: ", "[a, "}) {
    std::string yaml = "version: 1\njobs: ";
    for (int i = 0; i < 20000; ++i) yaml += open;
    auto result = load(yaml);
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
    EXPECT_NE(result.diagnostics[0].message.find("nested deeper"), std::string::npos);
  }
}

TEST(HostileInput, DeepBlockNestingIsRejected) {
  std::string yaml = "version: 1\njobs:\n";
  for (int i = 0; i < 5000; ++i) yaml += "- ";
  yaml += "x\n";
  auto result = load(yaml);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics.at(0).message.find("nested deeper"), std::string::npos);
}

TEST(HostileInput, BracketsInStringsAndCommentsAreNotNesting) {
  std::string brackets(100, '[');
  auto result =
      load("version: 1\n# " + brackets + "\njobs:\n  - {name: a, command: [/bin/echo, \"" +
           brackets + "\", '" + brackets + "']}\n");
  EXPECT_TRUE(result.ok()) << all_diagnostics(result);
}

TEST(HostileInput, HugeDocumentIsRejectedWithoutParsing) {
  std::string yaml = "version: 1\nname: " + std::string(size_t{300} * 1024, 'a') + "\n";
  auto result = load(yaml);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].where.line, 0);
  EXPECT_NE(result.diagnostics[0].message.find("bytes"), std::string::npos);
}

TEST(HostileInput, TooManyValuesAreRejected) {
  std::string yaml = "version: 1\njobs: [";
  for (int i = 0; i < 30000; ++i) yaml += "1,";
  yaml += "]\n";
  auto result = load(yaml);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_NE(result.diagnostics[0].message.find("values"), std::string::npos);
}

TEST(HostileInput, NulBytesAndBinaryGarbageAreDiagnostics) {
  std::string with_nul = "version: 1\njobs: [{name: a, command: [\"/bin/e\\0cho\"]}]\n";
  auto result = load(with_nul);
  ASSERT_FALSE(result.ok());
  ASSERT_NE(find(result, "jobs[0].command[0]"), nullptr) << all_diagnostics(result);
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  EXPECT_FALSE(load(garbage).ok());
  EXPECT_FALSE(load(std::string("version: 1\0jobs: []", 19)).ok());
}

TEST(HostileInput, SecondDocumentIsRejected) {
  auto result = load("version: 1\n---\nversion: 1\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics.at(0).where.line, 2);
}

TEST(HostileInput, SecondDocumentWithoutAMarkerIsRejected) {
  // yaml-cpp ends a document at a stray flow entry and starts another one; YAML::Load alone would
  // return the first and drop the policy that follows (found by fuzzing).
  auto result = load(", expect: 5\nversion: 1\njobs: [{name: a, command: [/bin/true]}]\n");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics.at(0).message.find("more than one YAML document"), std::string::npos)
      << all_diagnostics(result);
}

TEST(HostileInput, SelfReferencingAliasIsRejected) {
  // yaml-cpp registers an anchor before its collection is complete, so this node contains itself:
  // a reader walking it would never stop.
  for (const char* yaml : {"version: 1\njobs: &a [*a]\n", "version: 1\ndefaults: &d {env: *d}\n"}) {
    auto result = load(yaml);
    ASSERT_FALSE(result.ok()) << yaml;
    ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
    EXPECT_NE(result.diagnostics[0].message.find("nested deeper"), std::string::npos);
  }
}

TEST(HostileInput, KnownYamlCppTroubleInputsGiveDiagnostics) {
  // Inputs that crashed or exhausted memory in older yaml-cpp releases (OOM on "[[:", an assert on
  // "!2") and odd corners of the syntax.
  for (const std::string& yaml : std::vector<std::string>{
           "[[:", "{!\xdb:", "!2", "[", ":", "? ", "&a *a", "*a", "!<!>", "%YAML 1.2",
           "%TAG ! !x\n--- !a b", "- &a\n- *a", "\xef\xbb\xbf", std::string("\0\0\0", 3)}) {
    auto result = load(yaml);
    EXPECT_FALSE(result.ok()) << yaml;
    EXPECT_FALSE(result.diagnostics.empty()) << yaml;
  }
}

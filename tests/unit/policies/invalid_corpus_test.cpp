// Walks tests/data/invalid: each file is one broken policy whose first line says what must be
// reported, "# expect: LINE: KEY[: MESSAGE FRAGMENT]" (KEY "(none)" for the empty key of YAML
// syntax errors). The file must fail with exactly one diagnostic, at that line, for that key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "policies/loader.hpp"

namespace {

struct Expectation {
  int line = 0;
  std::string key;
  std::string fragment;
};

std::string corpus_dir() {
  return std::string(SANDBOX_SOURCE_DIR) + "/tests/data/invalid";
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir())) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Parses the first line; fails the test when it is not a well-formed expectation.
Expectation read_expectation(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  const std::string prefix = "# expect: ";
  EXPECT_EQ(line.rfind(prefix, 0), 0u) << file << ": first line must be '# expect: LINE: KEY'";
  Expectation expected;
  if (line.rfind(prefix, 0) != 0) return expected;
  std::string rest = line.substr(prefix.size());
  auto first = rest.find(": ");
  EXPECT_NE(first, std::string::npos) << file;
  if (first == std::string::npos) return expected;
  expected.line = std::stoi(rest.substr(0, first));
  rest = rest.substr(first + 2);
  auto second = rest.find(": ");
  expected.key = rest.substr(0, second);
  if (second != std::string::npos) expected.fragment = rest.substr(second + 2);
  if (expected.key == "(none)") expected.key.clear();
  return expected;
}

class InvalidPolicy : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidPolicy, FailsWithTheExpectedKeyAndLine) {
  const std::string& file = GetParam();
  Expectation expected = read_expectation(file);
  ASSERT_GT(expected.line, 0) << file;
  auto result = policies::load_policy_file(file);
  std::string all;
  for (const auto& d : result.diagnostics) all += "  " + d.to_string() + "\n";
  ASSERT_FALSE(result.ok()) << file << " loaded, but should fail";
  EXPECT_FALSE(result.policy.has_value());
  ASSERT_EQ(result.diagnostics.size(), 1u) << file << ":\n" << all;
  const auto& d = result.diagnostics[0];
  EXPECT_EQ(d.key, expected.key) << all;
  EXPECT_EQ(d.where.line, expected.line) << all;
  EXPECT_GT(d.where.column, 0) << all;
  EXPECT_EQ(d.where.file, file);
  EXPECT_NE(d.message.find(expected.fragment), std::string::npos)
      << "message lacks '" << expected.fragment << "':\n"
      << all;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, InvalidPolicy, ::testing::ValuesIn(corpus_files()), test_name);

TEST(InvalidCorpus, HasAtLeastFortyCases) {
  EXPECT_GE(corpus_files().size(), 40u);
}

}  // namespace

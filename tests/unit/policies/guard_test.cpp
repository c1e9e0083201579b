// The loader's shortcut past yaml-cpp's second read (guard.hpp, bounded_by_its_text): it must
// never let through a document that the full event parse would stop for its values or nesting,
// and it must be taken for ordinary policies, or it buys nothing.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "guard.hpp"

namespace {

using policies::detail::bounded_by_its_text;
using policies::detail::prescan_events;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TextBound, OrdinaryPoliciesNeedOneParse) {
  std::vector<std::filesystem::path> files{std::filesystem::path(SANDBOX_SOURCE_DIR) / "bench" /
                                           "startup.yaml"};
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(SANDBOX_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  ASSERT_GT(files.size(), 3u);
  for (const auto& file : files) EXPECT_TRUE(bounded_by_its_text(read(file))) << file;
}

TEST(TextBound, WhatItCannotBoundGoesToTheFullParse) {
  for (const std::string& yaml : std::vector<std::string>{
           std::string("version: 1\n---\nversion: 1\n"),         // a second document
           std::string("--- \nversion: 1\n"),                    // a document marker at all
           std::string("%YAML 1.2\n---\nversion: 1\n"),          // a directive
           std::string("name: 'two\n  lines'\n"),                // a quoted string past its line
           "a: [" + std::string(20, '[') + "\n" + std::string(20, '[') + "x]]\n",  // deep over lines
           std::string("a:\n\t- b\n"),                           // a tab in the indentation
           std::string("a: ") + std::string(40, '[') + "x" + std::string(40, ']') + "\n",
           "jobs:\n" + std::string(12, ' ') + "- x\n" + std::string(16, ' ') + "- y\n",
           std::string(6000, 'a') + ": " + std::string(6000, 'b') + "\n",  // bigger than it bounds
       }) {
    EXPECT_FALSE(bounded_by_its_text(yaml)) << yaml;
  }
  // Comments and quotes do not hide or invent indicators where that matters.
  EXPECT_TRUE(bounded_by_its_text("a: 'x # not a comment' # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"));
  EXPECT_FALSE(bounded_by_its_text("a: 'x # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' \n"));
  EXPECT_TRUE(bounded_by_its_text("- {name: a,\n   command: [b, c]}\n"));  // flow over two lines
}

TEST(TextBound, TheTreeMustAccountForTheWholeText) {
  using policies::detail::text_goes_on_after;
  const std::string policy = read(std::filesystem::path(SANDBOX_SOURCE_DIR) / "examples" /
                                  "tenants.yaml");  // flow collections over two lines
  EXPECT_FALSE(text_goes_on_after(YAML::Load(policy), policy));
  const std::string closed = "a: [b,\n  c\n  ]  # the end\n\n# more comment\n";
  EXPECT_FALSE(text_goes_on_after(YAML::Load(closed), closed));
  // yaml-cpp starts a second document, without a marker, after content it cannot continue; the
  // first one alone is what YAML::Load returns.
  const std::string stray = ", x: 1\nversion: 1\n";
  EXPECT_TRUE(text_goes_on_after(YAML::Load(stray), stray));
  EXPECT_TRUE(prescan_events(stray).has_value());
  const std::string literal = "a: |\n  line\n  line\n";  // unsure: a multi-line scalar at the end
  EXPECT_TRUE(text_goes_on_after(YAML::Load(literal), literal));
}

// Random documents of every block and flow form nested to random depths, indented 1 to 4 columns
// a level: whenever the text bound lets one through, the event parse finds nothing to stop.
class Generator {
 public:
  explicit Generator(unsigned seed) : random_(seed) {}

  std::string document(int depth) {
    step_ = 1 + pick(4);
    // Half the documents lean on one form, so that long runs of each (the extremes the bound
    // must hold for) come up.
    favorite_ = pick(2) == 0 ? pick(kForms) : -1;
    std::string text;
    block(text, 0, depth, true);
    return text;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  static std::string flow(int depth) {
    if (depth == 0) return "x";
    return depth % 2 ? "[" + flow(depth - 1) + ", y]" : "{k: " + flow(depth - 1) + "}";
  }

  // A block node at `indent` (its first line indented by the caller unless `fresh_line`).
  void block(std::string& text, int indent, int depth, bool fresh_line) {
    const std::string pad(static_cast<size_t>(indent), ' ');
    const std::string head = fresh_line ? pad : "";
    if (depth == 0) {
      text += head + "x\n";
      return;
    }
    const int form = favorite_ >= 0 && pick(10) < 8 ? favorite_ : pick(kForms);
    switch (form) {
      case 0:  // mapping, value on the next line, indented
        text += head + "k:\n";
        block(text, indent + step_, depth - 1, true);
        break;
      case 1:  // mapping whose value is a sequence at the same indentation
        text += head + "k:\n" + pad + "- ";
        block(text, indent + 2, depth - 2 > 0 ? depth - 2 : 0, false);
        break;
      case 6:  // the same with the entry on the next line: two levels per indentation step
        text += head + "k:\n" + pad + "-\n";
        block(text, indent + step_, depth - 2 > 0 ? depth - 2 : 0, true);
        break;
      case 2:  // compact sequence: the entry's node on the same line
        text += head + "- ";
        block(text, indent + 2, depth - 1, false);
        break;
      case 3:  // sequence, entry on the next line
        text += head + "-\n";
        block(text, indent + step_, depth - 1, true);
        break;
      case 4:  // flow from here
        text += head + "k: " + flow(depth - 1) + "\n";
        break;
      default:  // flow from here, one item a line
        text += head + "k: [y,\n" + pad + "  " + flow(depth - 1) + "]\n";
        break;
    }
  }

  static constexpr int kForms = 7;
  std::mt19937 random_;
  int step_ = 2;
  int favorite_ = -1;
};

TEST(TextBound, NeverLetsThroughWhatTheEventParseStops) {
  Generator generator(20261129);
  int shortcut = 0, stopped = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string yaml = generator.document(1 + round % 45);
    std::optional<policies::detail::ShapeProblem> problem;
    try {
      problem = prescan_events(yaml);
    } catch (const YAML::Exception&) {
      continue;  // not YAML: YAML::Load reports it the same way
    }
    if (problem) ++stopped;
    if (!bounded_by_its_text(yaml)) continue;
    ++shortcut;
    // A second document is the loader's to find (text_goes_on_after), not the bound's.
    ASSERT_TRUE(!problem || problem->second_document)
        << "the text bound passed a document the event parse stops (" << problem->message
        << "):\n"
        << yaml;
  }
  EXPECT_GT(shortcut, 1000);  // the bound applies to many documents...
  EXPECT_GT(stopped, 1000);   // ...and many others are deeper than max_depth
}

}  // namespace

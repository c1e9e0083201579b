// Reading typed values out of a yaml-cpp tree while collecting diagnostics and key locations.
// Every reader reports what is wrong and returns nullopt/false instead of throwing, so that one
// pass finds every error of a policy.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/loader.hpp"

namespace policies::detail {

std::string child_path(const std::string& parent, std::string_view key);  // "a.b"
std::string item_path(const std::string& list, size_t index);             // "a.b[2]"

// "a list", "a map", "nothing", "'text'": what a value is, for "expected X, got Y".
std::string describe(const YAML::Node& node);

class Reader {
 public:
  // Past this many diagnostics the rest are dropped: a broken generated policy would otherwise
  // print thousands of lines.
  static constexpr size_t max_diagnostics = 100;

  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  SourceLocation at(const YAML::Mark& mark) const;

  // Records where the key at `path` was written (the first time only).
  void record(const std::string& path, const YAML::Mark& mark);
  bool written(const std::string& path) const { return locations_.count(path) != 0; }
  // Where `path` was written, else its closest written parent, else the file.
  SourceLocation location(const std::string& path) const;

  // A problem with the value at `path`, placed at the value (or at its key when the value has
  // no position, as an empty value has not).
  void error(const YAML::Node& value, const std::string& path, const std::string& message);
  void error(const SourceLocation& where, const std::string& path, const std::string& message);

  bool expect_map(const YAML::Node& node, const std::string& path);
  bool expect_list(const YAML::Node& node, const std::string& path);

  using EntryVisitor =
      std::function<void(const std::string& key, const YAML::Node& value, const std::string& path)>;
  // Visits map `node` in file order. Reports keys that are not plain strings, duplicates, and
  // keys not in `known` (with a suggestion); records each key's location before visiting.
  void for_each_entry(const YAML::Node& node, const std::string& path,
                      const std::vector<std::string_view>& known, const EntryVisitor& visit);
  // Same for a map whose keys are free names (env, rlimits, tenants): no unknown-key check.
  void for_each_entry(const YAML::Node& node, const std::string& path, const EntryVisitor& visit);

  using ItemVisitor =
      std::function<void(size_t index, const YAML::Node& item, const std::string& path)>;
  void for_each_item(const YAML::Node& list, const std::string& path, const ItemVisitor& visit);

  std::optional<std::string> string(const YAML::Node& node, const std::string& path);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  std::optional<uint64_t> integer(const YAML::Node& node, const std::string& path, uint64_t min,
                                  uint64_t max);
  std::optional<uint64_t> size(const YAML::Node& node, const std::string& path);
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& node,
                                                    const std::string& path);
  std::optional<double> cpus(const YAML::Node& node, const std::string& path);
  std::optional<uint64_t> rate(const YAML::Node& node, const std::string& path);
  // A list of strings; items that are not strings are reported and left out.
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node,
                                                      const std::string& path);
  // True for the word `unlimited`, which resets an inherited limit.
  static bool is_unlimited(const YAML::Node& node);

  std::vector<Diagnostic> take_diagnostics();
  std::map<std::string, SourceLocation> take_locations() { return std::move(locations_); }
  bool failed() const { return !diagnostics_.empty(); }
  const std::map<std::string, SourceLocation>& locations() const { return locations_; }

 private:
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path,
                                    std::string_view expected);
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  bool truncated_ = false;
  std::map<std::string, SourceLocation> locations_;
};

}  // namespace policies::detail

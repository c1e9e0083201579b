#include "reader.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "policies/units.hpp"
#include "suggest.hpp"

namespace policies::detail {

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path = parent;
  path += '.';
  path += key;
  return path;
}

std::string item_path(const std::string& list, size_t index) {
  return list + "[" + std::to_string(index) + "]";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (text.size() > 40) return "'" + text.substr(0, 37) + "...'";
      return "'" + text + "'";
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

SourceLocation Reader::at(const YAML::Mark& mark) const {
  if (mark.is_null()) return SourceLocation{file_, 0, 0};
  return SourceLocation{file_, mark.line + 1, mark.column + 1};
}

void Reader::record(const std::string& path, const YAML::Mark& mark) {
  locations_.emplace(path, at(mark));
}

SourceLocation Reader::location(const std::string& path) const {
  std::string key = path;
  while (!key.empty()) {
    if (auto found = locations_.find(key); found != locations_.end()) return found->second;
    auto cut = key.find_last_of(".[");
    if (cut == std::string::npos) break;
    key.resize(cut);
  }
  return SourceLocation{file_, 0, 0};
}

void Reader::error(const YAML::Node& value, const std::string& path, const std::string& message) {
  SourceLocation where = at(value.Mark());
  if (where.line == 0) where = location(path);
  error(where, path, message);
}

void Reader::error(const SourceLocation& where, const std::string& path,
                   const std::string& message) {
  if (diagnostics_.size() >= max_diagnostics) {
    if (!truncated_) {
      truncated_ = true;
      diagnostics_.push_back({SourceLocation{file_, 0, 0}, "",
                              "too many errors; stopped after " + std::to_string(max_diagnostics)});
    }
    return;
  }
  // A mistake in `defaults:` shows up in every job that inherits it; say it once.
  bool repeated = std::any_of(diagnostics_.begin(), diagnostics_.end(), [&](const Diagnostic& d) {
    return d.key == path && d.message == message && d.where.line == where.line &&
           d.where.column == where.column;
  });
  if (!repeated) diagnostics_.push_back({where, path, message});
}

std::vector<Diagnostic> Reader::take_diagnostics() {
  // Report in file order; the cap notice (line 0) stays last.
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const auto& a, const auto& b) {
    auto order = [](const Diagnostic& d) {
      return std::pair(d.where.line == 0 ? std::numeric_limits<int>::max() : d.where.line,
                       d.where.column);
    };
    return order(a) < order(b);
  });
  return std::move(diagnostics_);
}

bool Reader::expect_map(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) return true;
  error(node, path, "expected a map, got " + describe(node));
  return false;
}

bool Reader::expect_list(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence()) return true;
  error(node, path, "expected a list, got " + describe(node));
  return false;
}

void Reader::for_each_entry(const YAML::Node& node, const std::string& path,
                            const std::vector<std::string_view>& known, const EntryVisitor& visit) {
  for_each_entry(node, path,
                 [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
                   if (std::find(known.begin(), known.end(), key) == known.end()) {
                     error(location(key_path), key_path, "unknown key" + did_you_mean(key, known));
                     return;
                   }
                   visit(key, value, key_path);
                 });
}

void Reader::for_each_entry(const YAML::Node& node, const std::string& path,
                            const EntryVisitor& visit) {
  if (!expect_map(node, path)) return;
  std::unordered_map<std::string, SourceLocation> seen;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    // Copies: the iterator's operator-> returns a temporary proxy.
    YAML::Node key_node = entry->first;
    YAML::Node value = entry->second;
    if (!key_node.IsScalar()) {
      error(key_node, path, "keys must be plain words, got " + describe(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    std::string key_path = child_path(path, key);
    if (key.find('\0') != std::string::npos || key.empty()) {
      error(key_node, path, "keys must be plain words, got " + describe(key_node));
      continue;
    }
    SourceLocation where = at(key_node.Mark());
    if (auto [first, inserted] = seen.emplace(key, where); !inserted) {
      error(where, key_path, "duplicate key (first written at " + first->second.to_string() + ")");
      continue;
    }
    locations_.emplace(key_path, where);
    visit(key, value, key_path);
  }
}

void Reader::for_each_item(const YAML::Node& list, const std::string& path,
                           const ItemVisitor& visit) {
  if (!expect_list(list, path)) return;
  size_t index = 0;
  for (auto item = list.begin(); item != list.end(); ++item, ++index) {
    std::string path_of_item = item_path(path, index);
    YAML::Node node = *item;
    record(path_of_item, node.Mark());
    visit(index, node, path_of_item);
  }
}

std::optional<std::string> Reader::scalar(const YAML::Node& node, const std::string& path,
                                          std::string_view expected) {
  if (!node.IsScalar()) {
    error(node, path, "expected " + std::string(expected) + ", got " + describe(node));
    return std::nullopt;
  }
  if (node.Scalar().find('\0') != std::string::npos) {
    error(node, path, "contains a NUL character");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> Reader::string(const YAML::Node& node, const std::string& path) {
  return scalar(node, path, "a string");
}

std::optional<bool> Reader::boolean(const YAML::Node& node, const std::string& path) {
  auto text = scalar(node, path, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  error(node, path, "expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<uint64_t> Reader::integer(const YAML::Node& node, const std::string& path,
                                        uint64_t min, uint64_t max) {
  std::string range = std::to_string(min) + ".." + std::to_string(max);
  auto text = scalar(node, path, "a whole number");
  if (!text) return std::nullopt;
  bool digits_only =
      !text->empty() && text->size() <= 20 &&
      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  uint64_t value = 0;
  bool fits = digits_only;
  for (char c : *text) {
    if (!fits) break;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) fits = false;
    value = value * 10 + digit;
  }
  if (!digits_only) {
    bool negative = !text->empty() && text->front() == '-';
    error(node, path,
          negative ? "must be " + range + ", got " + describe(node)
                   : "expected a whole number, got " + describe(node));
    return std::nullopt;
  }
  if (!fits || value < min || value > max) {
    error(node, path, "out of range: must be " + range + ", got " + describe(node));
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> Reader::size(const YAML::Node& node, const std::string& path) {
  auto text = scalar(node, path, "a size like 512MiB");
  if (!text) return std::nullopt;
  auto bytes = units::parse_size(*text);
  if (!bytes) error(node, path, "expected a size like 512MiB, 1G or 4096, got " + describe(node));
  return bytes;
}

std::optional<std::chrono::milliseconds> Reader::duration(const YAML::Node& node,
                                                          const std::string& path) {
  auto text = scalar(node, path, "a duration like 30s");
  if (!text) return std::nullopt;
  auto value = units::parse_duration(*text);
  if (!value) {
    error(node, path, "expected a duration like 500ms, 30s, 2m or 1h, got " + describe(node));
  }
  return value;
}

std::optional<double> Reader::cpus(const YAML::Node& node, const std::string& path) {
  auto text = scalar(node, path, "CPUs like 150% or 1.5");
  if (!text) return std::nullopt;
  auto value = units::parse_cpus(*text);
  if (!value) error(node, path, "expected CPUs like 150% or 1.5, got " + describe(node));
  return value;
}

std::optional<uint64_t> Reader::rate(const YAML::Node& node, const std::string& path) {
  auto text = scalar(node, path, "a rate like 100mbit");
  if (!text) return std::nullopt;
  auto value = units::parse_rate(*text);
  if (!value) error(node, path, "expected a rate like 100mbit or 1gbit, got " + describe(node));
  return value;
}

std::optional<std::vector<std::string>> Reader::string_list(const YAML::Node& node,
                                                            const std::string& path) {
  if (!expect_list(node, path)) return std::nullopt;
  std::vector<std::string> items;
  for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& item_at) {
    if (auto text = string(item, item_at)) items.push_back(std::move(*text));
  });
  return items;
}

bool Reader::is_unlimited(const YAML::Node& node) {
  return node.IsScalar() && node.Scalar() == "unlimited";
}

}  // namespace policies::detail

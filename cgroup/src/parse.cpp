#include "cgroup/parse.hpp"

#include <algorithm>
#include <charconv>

namespace cgroup::parse {

namespace {

// The parts of `text` between separators, as std::getline gives them (no part after a final
// separator). Plain scanning: an istringstream per line was most of detect()'s own time.
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find(separator, start), text.size());
    parts.emplace_back(text, start, end - start);
    start = end + 1;
  }
  return parts;
}

std::vector<std::string> lines(const std::string& text) {
  return split(text, '\n');
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Whitespace-separated words, as `>>` reads them.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> result;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) {
      ++i;
    }
    const size_t start = i;
    while (i < line.size() && !is_blank(line[i])) {
      ++i;
    }
    if (i > start) {
      result.emplace_back(line, start, i - start);
    }
  }
  return result;
}

std::optional<uint64_t> to_u64(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string digits = field.substr(i + 1, 3);
      if (digits.size() == 3 && digits.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(digits, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

// Controllers that can be bound to a v1 hierarchy (named hierarchies like name=systemd are not).
const std::set<std::string>& v1_controllers() {
  static const std::set<std::string> names{
      "cpu",     "cpuacct", "cpuset",  "memory",   "pids",       "blkio", "freezer",
      "devices", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma",  "misc"};
  return names;
}

}  // namespace

std::vector<Mount> mountinfo(const std::string& text) {
  std::vector<Mount> mounts;
  for (const std::string& line : lines(text)) {
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    const std::vector<std::string> fields = words(line);
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") {
      ++dash;
    }
    if (dash < 5 || dash + 2 >= fields.size()) {
      continue;
    }
    const std::string& fstype = fields[dash + 1];
    if (fstype != "cgroup" && fstype != "cgroup2") {
      continue;
    }
    Mount mount;
    mount.root = unescape(fields[3]);
    mount.mount_point = unescape(fields[4]);
    mount.fstype = fstype;
    if (dash + 3 < fields.size()) {
      for (const std::string& option : split(fields[dash + 3], ',')) {
        mount.super_options.insert(option);
      }
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<Membership> proc_cgroup(const std::string& text) {
  std::vector<Membership> result;
  for (const std::string& line : lines(text)) {
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) {
      continue;
    }
    const auto id = to_u64(std::string_view(line).substr(0, first));
    if (!id) {
      continue;
    }
    Membership membership;
    membership.hierarchy_id = static_cast<int>(*id);
    for (const std::string& name : split(line.substr(first + 1, second - first - 1), ',')) {
      if (!name.empty()) {
        membership.controllers.insert(name);
      }
    }
    membership.path = line.substr(second + 1);
    result.push_back(std::move(membership));
  }
  return result;
}

std::optional<std::string> relative_to_root(const std::string& path, const std::string& root) {
  if (root == "/") {
    return path;
  }
  if (path == root) {
    return std::string("/");
  }
  if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
      path[root.size()] == '/') {
    return path.substr(root.size());
  }
  return std::nullopt;
}

Host describe(const std::vector<Mount>& mounts, const std::vector<Membership>& memberships,
              const std::string& v2_root_controllers) {
  Host host;
  const Membership* v2_membership = nullptr;
  for (const Membership& membership : memberships) {
    if (membership.hierarchy_id == 0 && membership.controllers.empty()) {
      v2_membership = &membership;
    }
  }

  bool any_v1 = false;
  for (const Mount& mount : mounts) {
    if (mount.fstype == "cgroup2") {
      if (host.unified_mount.empty()) {
        host.unified_mount = mount.mount_point;
        if (v2_membership) {
          host.unified_path = relative_to_root(v2_membership->path, mount.root).value_or("");
        }
      }
      continue;
    }
    for (const std::string& name : mount.super_options) {
      if (!v1_controllers().contains(name)) {
        continue;
      }
      any_v1 = true;
      if (host.controllers.contains(name)) {
        continue;  // the same hierarchy mounted twice: the first mount is used
      }
      Controller controller;
      controller.name = name;
      controller.version = 1;
      controller.mount = mount.mount_point;
      const Membership* ours = nullptr;
      for (const Membership& membership : memberships) {
        if (membership.controllers.contains(name)) {
          ours = &membership;
        }
      }
      if (!ours) {
        controller.why_not = "not listed in /proc/self/cgroup";
      } else if (auto relative = relative_to_root(ours->path, mount.root)) {
        controller.our_path = *relative;
      } else {
        controller.why_not = "our cgroup " + ours->path + " is outside the mount " +
                             mount.mount_point + " (root " + mount.root + ")";
      }
      host.controllers[name] = std::move(controller);
    }
  }

  for (const std::string& name : words(v2_root_controllers)) {
    if (host.controllers.contains(name)) {
      continue;
    }
    Controller controller;
    controller.name = name;
    controller.version = 2;
    controller.mount = host.unified_mount;
    controller.our_path = host.unified_path;
    if (host.unified_path.empty()) {
      controller.why_not = "our cgroup2 path is not visible from " + host.unified_mount;
    }
    host.controllers[name] = std::move(controller);
  }

  if (any_v1) {
    host.layout = host.unified_mount.empty() ? Layout::legacy : Layout::hybrid;
  } else if (!host.unified_mount.empty()) {
    host.layout = Layout::unified;
  } else {
    throw Error("no cgroup filesystem is mounted (no cgroup or cgroup2 in /proc/self/mountinfo)");
  }

  // The controllers the sandbox uses are reported even when missing, with the reason.
  const bool v2_names = host.layout == Layout::unified;
  const std::vector<std::string> wanted =
      v2_names ? std::vector<std::string>{"cpu", "cpuset", "memory", "pids", "io"}
               : std::vector<std::string>{"cpu",  "cpuacct", "cpuset", "memory",
                                          "pids", "blkio",   "freezer"};
  for (const std::string& name : wanted) {
    if (host.controllers.contains(name) || (name == "blkio" && host.controllers.contains("io"))) {
      continue;
    }
    Controller missing;
    missing.name = name;
    missing.version = v2_names ? 2 : 1;
    missing.why_not = v2_names ? "not in " + host.unified_mount +
                                     "/cgroup.controllers (kernel "
                                     "without it, or bound to a v1 hierarchy)"
                               : "no cgroup hierarchy with it is mounted";
    host.controllers[name] = std::move(missing);
  }
  return host;
}

std::map<std::string, uint64_t> flat_keyed(const std::string& text) {
  std::map<std::string, uint64_t> values;
  for (const std::string& line : lines(text)) {
    const std::vector<std::string> fields = words(line);
    if (fields.size() == 2) {
      if (auto value = to_u64(fields[1])) {
        values[fields[0]] = *value;
      }
    }
  }
  return values;
}

IoBytes io_stat(const std::string& text) {
  IoBytes total;
  for (const std::string& line : lines(text)) {
    const std::vector<std::string> fields = words(line);
    for (size_t i = 1; i < fields.size(); ++i) {
      const size_t equals = fields[i].find('=');
      if (equals == std::string::npos) {
        continue;
      }
      const std::string key = fields[i].substr(0, equals);
      const auto value = to_u64(std::string_view(fields[i]).substr(equals + 1));
      if (!value) {
        continue;
      }
      if (key == "rbytes") {
        total.read += *value;
      } else if (key == "wbytes") {
        total.write += *value;
      }
    }
  }
  return total;
}

IoBytes blkio_service_bytes(const std::string& text) {
  IoBytes total;
  for (const std::string& line : lines(text)) {
    const std::vector<std::string> fields = words(line);
    if (fields.size() != 3) {
      continue;  // "Total N" and blank lines
    }
    const auto value = to_u64(fields[2]);
    if (!value) {
      continue;
    }
    if (fields[1] == "Read") {
      total.read += *value;
    } else if (fields[1] == "Write") {
      total.write += *value;
    }
  }
  return total;
}

namespace {

// The next blank-separated word of `line`, which is advanced past it ("" at the end).
std::string_view next_word(std::string_view& line) {
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const size_t end = std::min(line.find_first_of(" \t"), line.size());
  const std::string_view word = line.substr(0, end);
  line.remove_prefix(end);
  return word;
}

}  // namespace

// Read at the end of every run: numbers taken straight from the text, without copies of its lines
// and words (their allocations touch pages still copy-on-write from pid 1's fork).
std::optional<CpuSplit> cpuacct_usage_all(const std::string& text) {
  CpuSplit split;
  bool any = false;
  std::string_view rest(text);
  while (!rest.empty()) {
    const size_t newline = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(std::min(newline + 1, rest.size()));
    const std::string_view first = next_word(line);
    if (first.empty() || (!any && first == "cpu")) {
      continue;  // blank lines, the header
    }
    const auto user = to_u64(next_word(line));
    const auto system = to_u64(next_word(line));
    if (!to_u64(first) || !user || !system || !next_word(line).empty()) {
      return std::nullopt;
    }
    split.user_ns += *user;
    split.system_ns += *system;
    any = true;
  }
  return any ? std::optional(split) : std::nullopt;
}

bool contains_word(const std::string& text, const std::string& word) {
  const std::vector<std::string> all = words(text);
  return std::find(all.begin(), all.end(), word) != all.end();
}

std::vector<pid_t> pids(const std::string& text) {
  std::vector<pid_t> result;
  for (const std::string& word : words(text)) {
    if (auto value = to_u64(word)) {
      result.push_back(static_cast<pid_t>(*value));
    }
  }
  return result;
}

std::optional<uint64_t> stat_starttime(const std::string& text) {
  // The command name (field 2) may contain spaces and parentheses: fields restart after the last
  // ')'. Field 3 is the first after it, so starttime (field 22) is the 20th.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) {
    return std::nullopt;
  }
  const std::vector<std::string> fields = words(text.substr(paren + 1));
  if (fields.size() < 20) {
    return std::nullopt;
  }
  return to_u64(fields[19]);
}

std::string run_group_name(pid_t pid, uint64_t starttime, const std::string& name) {
  return "sb-" + std::to_string(pid) + "-" + std::to_string(starttime) + "-" + name;
}

std::optional<RunGroupOwner> run_group_owner(const std::string& directory_name) {
  const std::string prefix = "sb-";
  if (directory_name.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  const size_t pid_end = directory_name.find('-', prefix.size());
  if (pid_end == std::string::npos) {
    return std::nullopt;
  }
  const size_t start_end = directory_name.find('-', pid_end + 1);
  if (start_end == std::string::npos || start_end + 1 >= directory_name.size()) {
    return std::nullopt;
  }
  const auto pid =
      to_u64(std::string_view(directory_name).substr(prefix.size(), pid_end - prefix.size()));
  const auto start =
      to_u64(std::string_view(directory_name).substr(pid_end + 1, start_end - pid_end - 1));
  if (!pid || !start || *pid == 0 || *pid > 0x7fffffff) {
    return std::nullopt;
  }
  return RunGroupOwner{static_cast<pid_t>(*pid), *start, directory_name.substr(start_end + 1)};
}

bool valid_group_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name.front() == '.' ||
      name.compare(0, 7, "cgroup.") == 0) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace cgroup::parse

// Ownership marks on network devices: which supervisor process created them, so that devices of
// a supervisor that died can be told from those of one still running.
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "network.hpp"

namespace sandbox::net {
namespace {

constexpr std::string_view alias_prefix = "sandbox:";
constexpr size_t alias_limit = 255;  // IFALIASZ - 1

// Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and ')'.
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!file || !std::getline(file, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// Field 3 (state) is the first after the name, so field N is at index N - 3.
constexpr size_t state_index = 0;
constexpr size_t start_time_index = 22 - 3;

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<uint64_t> start_time_of(pid_t pid, bool* zombie) {
  const auto fields = stat_fields(pid);
  if (!fields || fields->size() <= start_time_index) return std::nullopt;
  if (zombie != nullptr) *zombie = (*fields)[state_index] == "Z";
  return number<uint64_t>((*fields)[start_time_index]);
}

}  // namespace

std::string owner_alias(const Owner& owner) {
  std::string alias = std::string(alias_prefix) + std::to_string(owner.pid) + ":" +
                      std::to_string(owner.start_time) + ":" + owner.run_id;
  if (alias.size() > alias_limit) alias.resize(alias_limit);  // the run id is only for people
  return alias;
}

std::optional<Owner> parse_owner_alias(const std::string& alias) {
  if (alias.rfind(alias_prefix, 0) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(alias).substr(alias_prefix.size());
  const auto first = rest.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = rest.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto pid = number<pid_t>(rest.substr(0, first));
  const auto start_time = number<uint64_t>(rest.substr(first + 1, second - first - 1));
  if (!pid || *pid <= 0 || !start_time) return std::nullopt;
  return Owner{*pid, *start_time, std::string(rest.substr(second + 1))};
}

Owner current_owner(const std::string& run_id) {
  const pid_t self = getpid();
  // Our own stat file is always readable; a missing start time would only weaken reuse checks.
  return Owner{self, start_time_of(self, nullptr).value_or(0), run_id};
}

bool owner_alive(const Owner& owner) {
  bool zombie = false;
  const auto start_time = start_time_of(owner.pid, &zombie);
  return start_time && *start_time == owner.start_time && !zombie;
}

}  // namespace sandbox::net

// The entry points: parse YAML safely, read the top-level keys, resolve jobs, run the checks.
#include "policies/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "checks.hpp"
#include "guard.hpp"
#include "jobs.hpp"
#include "names.hpp"
#include "reader.hpp"
#include "settings.hpp"

namespace policies {
namespace {

using detail::Reader;

// The policy's name when it has no `name:`: the file's stem, made into a valid name.
std::string name_from_file(const std::string& file) {
  std::string stem = file.substr(file.find_last_of('/') + 1);
  if (auto dot = stem.find('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  std::string name;
  for (char c : stem) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    name += ok ? c : '-';
  }
  while (!name.empty() && (name.front() == '-' || name.front() == '_')) name.erase(0, 1);
  if (name.size() > 64) name.resize(64);
  return name.empty() ? "policy" : name;
}

// The document's tree, or nullopt after reporting why there is none.
std::optional<YAML::Node> parse(Reader& reader, const std::string& yaml) {
  try {
    // yaml-cpp reads the text twice (events, then the tree) unless the text alone shows the
    // events have nothing to find; then, the tree must show that the document took in the whole
    // text (YAML::Load quietly drops a second one), or the events are read after all.
    const bool bounded = detail::bounded_by_its_text(yaml);
    std::optional<detail::ShapeProblem> problem = detail::check_flow_depth(yaml);
    if (!problem && !bounded) problem = detail::prescan_events(yaml);
    std::optional<YAML::Node> root;
    if (!problem) root = YAML::Load(yaml);
    if (!problem && bounded && detail::text_goes_on_after(*root, yaml)) {
      problem = detail::prescan_events(yaml);
    }
    if (problem) {
      reader.error(reader.at(problem->where), "", problem->message);
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    // yaml-cpp's messages are lower-case phrases such as "end of map not found".
    reader.error(reader.at(e.mark), "", "YAML syntax: " + e.msg);
  }
  return std::nullopt;
}

void read_version(Reader& reader, const YAML::Node& root, const YAML::Node* node, Policy& policy) {
  if (node == nullptr) {
    reader.error(root, "version", "missing key 'version' (write version: 1)");
    return;
  }
  auto text = node->IsScalar() ? node->Scalar() : "";
  if (text == "1") {
    policy.version = 1;
    return;
  }
  reader.error(*node, "version",
               "unsupported version " + detail::describe(*node) + ": this sandbox reads version 1");
}

std::string read_name(Reader& reader, const YAML::Node* node, const std::string& file) {
  std::string fallback = name_from_file(file);
  if (node == nullptr) return fallback;
  auto name = reader.string(*node, "name");
  if (!name) return fallback;
  if (auto problem = detail::check_name(*name); !problem.empty()) {
    reader.error(*node, "name", "invalid policy name '" + *name + "': " + problem);
    return fallback;
  }
  return *name;
}

// `defaults:` onto the built-in settings; `output` is the one default that is not a setting.
void read_defaults(Reader& reader, const YAML::Node& node, JobSettings& settings, Output& output) {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> all = detail::setting_keys();
    all.push_back("output");
    return all;
  }();
  reader.for_each_entry(
      node, "defaults", keys,
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "output") {
          detail::apply_output(reader, value, at, output);
        } else {
          detail::apply_setting(reader, key, value, at, settings);
        }
      });
}

// A policy without `jobs:` has one job, named after the policy, whose command comes later.
Job command_line_job(const Policy& policy, const Output& output, const SourceLocation& where) {
  Job job;
  job.name = policy.name;
  job.settings = policy.defaults;
  job.output = output;
  if (job.output.mode == Output::Mode::file) {
    job.output.path = detail::expand_output_path(job.output.path, job.name);
  }
  job.where = where;
  return job;
}

std::vector<Job> read_jobs(Reader& reader, const YAML::Node& node, const Policy& policy,
                           const Output& default_output) {
  std::vector<Job> jobs;
  if (!reader.expect_list(node, "jobs")) return jobs;
  if (node.size() == 0) {
    reader.error(node, "jobs",
                 "empty: list at least one job, or leave jobs out to take the command from the "
                 "command line");
  }
  std::map<std::string, std::string> names;  // name -> path of the job that has it
  reader.for_each_item(node, "jobs", [&](size_t, const YAML::Node& item, const std::string& at) {
    auto job =
        detail::read_job(reader, item, at, {policy.defaults, default_output}, policy.tenants);
    if (!job) return;
    if (!job->name.empty()) {
      auto [first, inserted] = names.emplace(job->name, at);
      if (!inserted) {
        std::string name_at = at + ".name";
        reader.error(reader.location(name_at), name_at,
                     "duplicate job name '" + job->name + "' (first at " +
                         reader.location(first->second + ".name").to_string() + ")");
      }
    }
    jobs.push_back(std::move(*job));
  });
  return jobs;
}

Policy read_policy(Reader& reader, const YAML::Node& root, const std::string& file) {
  static const std::vector<std::string_view> keys{"version", "name", "defaults", "tenants", "jobs"};
  std::map<std::string, YAML::Node> top;
  reader.for_each_entry(root, "", keys,
                        [&](const std::string& key, const YAML::Node& value, const std::string&) {
                          top.emplace(key, value);
                        });
  auto find = [&](const std::string& key) -> const YAML::Node* {
    auto found = top.find(key);
    return found == top.end() ? nullptr : &found->second;
  };
  // Keys are read in a fixed order, whatever order the file has: jobs need tenants and defaults.
  Policy policy;
  policy.file = file;
  read_version(reader, root, find("version"), policy);
  policy.name = read_name(reader, find("name"), file);
  Output default_output;
  if (const auto* node = find("defaults")) {
    read_defaults(reader, *node, policy.defaults, default_output);
  }
  if (const auto* node = find("tenants")) {
    policy.tenants = detail::read_tenants(reader, *node, "tenants");
  }
  if (const auto* node = find("jobs")) {
    policy.jobs = read_jobs(reader, *node, policy, default_output);
    return policy;
  }
  policy.command_from_cli = true;
  if (!policy.tenants.empty()) {
    reader.error(reader.location("tenants"), "tenants",
                 "tenants group jobs, but this policy has no jobs: (its command comes from the "
                 "command line)");
  }
  policy.jobs.push_back(command_line_job(policy, default_output, reader.at(root.Mark())));
  return policy;
}

LoadResult load(const std::string& yaml, const std::string& file) {
  Reader reader(file);
  auto finish = [&](std::optional<Policy> policy) {
    LoadResult result;
    result.diagnostics = reader.take_diagnostics();
    if (result.diagnostics.empty()) result.policy = std::move(policy);
    return result;
  };
  if (yaml.size() > detail::max_policy_bytes) {
    reader.error(SourceLocation{file, 0, 0}, "",
                 "larger than the " + std::to_string(detail::max_policy_bytes) +
                     " bytes a policy may have: not a policy");
    return finish(std::nullopt);
  }
  auto root = parse(reader, yaml);
  if (!root) return finish(std::nullopt);
  if (root->IsNull()) {
    reader.error(SourceLocation{file, 0, 0}, "", "empty policy: expected version: 1 and jobs:");
    return finish(std::nullopt);
  }
  if (auto problem = detail::check_shape(*root)) {
    reader.error(reader.at(problem->where), "", problem->message);
    return finish(std::nullopt);
  }
  if (!root->IsMap()) {
    reader.error(
        *root, "",
        "a policy is a map with version:, jobs: and so on, got " + detail::describe(*root));
    return finish(std::nullopt);
  }
  Policy policy = read_policy(reader, *root, file);
  if (!reader.failed()) detail::check_policy(reader, policy);
  policy.locations = reader.locations();
  return finish(std::move(policy));
}

// An fd closed on every path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads at most max_policy_bytes + 1 bytes: enough to tell a too-large file without reading it.
// Returns an error message, or empty with `text` filled.
std::string read_file(const std::string& path, std::string& text) {
  // O_NONBLOCK: opening a FIFO with no writer must not hang the loader.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return std::string("cannot stat: ") + std::strerror(errno);
  if (!S_ISREG(info.st_mode)) return "not a regular file";
  char buffer[65536];
  while (text.size() <= detail::max_policy_bytes) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::string("cannot read: ") + std::strerror(errno);
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  return {};
}

LoadResult internal_error(const std::string& file, const std::string& what) {
  LoadResult result;
  result.diagnostics.push_back({SourceLocation{file, 0, 0}, "", "cannot load: " + what});
  return result;
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string text = where.to_string() + ": error: ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

LoadResult load_policy_string(const std::string& yaml, const std::string& display_name) {
  // Bad input never throws; this catch is for the only other failure, running out of memory,
  // which must not escape as an exception either.
  try {
    return load(yaml, display_name);
  } catch (const std::exception& e) {
    return internal_error(display_name, e.what());
  }
}

LoadResult load_policy_file(const std::string& path) {
  try {
    std::string text;
    if (auto problem = read_file(path, text); !problem.empty()) {
      LoadResult result;
      result.diagnostics.push_back({SourceLocation{path, 0, 0}, "", problem});
      return result;
    }
    return load(text, path);
  } catch (const std::exception& e) {
    return internal_error(path, e.what());
  }
}

void set_cli_command(Policy& policy, const std::vector<std::string>& command) {
  if (!policy.command_from_cli || policy.jobs.size() != 1) {
    throw std::invalid_argument("policy '" + policy.name +
                                "' lists its jobs; their commands come from the policy file, not "
                                "the command line");
  }
  if (command.empty()) {
    throw std::invalid_argument("policy '" + policy.name +
                                "' has no jobs: give the command to run after --");
  }
  if (auto problem = detail::check_command(command, policy.jobs.front().settings);
      !problem.empty()) {
    throw std::invalid_argument("command: " + problem);
  }
  policy.jobs.front().command = command;
}

}  // namespace policies

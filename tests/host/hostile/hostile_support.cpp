#include "hostile_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "cgroup/cgroup.hpp"

namespace hostile {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string self_executable() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

std::string unique_marker() {
  static std::atomic<int> counter{0};
  return "hostile-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// Pids of processes (other than us) whose environment or command line carries `marker`.
std::vector<pid_t> marked_processes(const std::string& marker) {
  std::vector<pid_t> found;
  const std::string variable = "HOSTILE_MARK=" + marker;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    std::string environment = read_file(entry.path() / "environ");
    std::string command_line = read_file(entry.path() / "cmdline");
    bool marked = command_line.find(marker) != std::string::npos;
    size_t start = 0;
    while (!marked && start < environment.size()) {
      const size_t end = environment.find('\0', start);
      marked = environment.substr(start, end - start) == variable;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (marked) found.push_back(pid);
  }
  return found;
}

std::string comm_of(pid_t pid) {
  std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/sandbox-hostile-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

PolicyFile::PolicyFile() : marker_(unique_marker()) {
  text_ = read_file(std::string(SANDBOX_SOURCE_DIR) + "/examples/untrusted.yaml");
  if (text_.empty()) throw std::runtime_error("examples/untrusted.yaml is missing or empty");
  replace("LANG: C.UTF-8}", "LANG: C.UTF-8, HOSTILE_MARK: " + marker_ + "}");
}

void PolicyFile::replace(const std::string& from, const std::string& to) {
  const size_t at = text_.find(from);
  if (at == std::string::npos || text_.find(from, at + 1) != std::string::npos) {
    throw std::runtime_error("untrusted.yaml: '" + from + "' does not occur exactly once");
  }
  text_.replace(at, from.size(), to);
}

void PolicyFile::add_mount(const std::string& entry) {
  replace("    mounts:\n", "    mounts:\n      - " + entry + "\n");
}

void PolicyFile::add_probe_binary() {
  add_mount("{bind: " + std::filesystem::path(self_executable()).parent_path().string() +
            ", to: /probe}");
}

void PolicyFile::write() const {
  std::ofstream file(path(), std::ios::trunc);
  file << text_;
  if (!file.flush()) throw std::runtime_error("cannot write " + path());
}

std::vector<std::string> probe_command(const std::string& name,
                                       const std::vector<std::string>& arguments) {
  std::vector<std::string> command{
      "/probe/" + std::filesystem::path(self_executable()).filename().string(), "--hostile-probe",
      name};
  command.insert(command.end(), arguments.begin(), arguments.end());
  return command;
}

HostSnapshot HostSnapshot::take() {
  HostSnapshot snapshot;
  std::istringstream mountinfo(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    const size_t separator = line.find(" - ");
    snapshot.mounts.insert(mount_point + " " +
                           (separator == std::string::npos ? "" : line.substr(separator + 3)));
  }
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
    snapshot.links.insert(entry.path().filename().string());
  }
  for (const auto& parent : cgroup::run_group_parents(cgroup::detect())) {
    const std::filesystem::path leaf = std::filesystem::path(parent) / "supervisor";
    if (std::filesystem::exists(leaf)) snapshot.supervisor_leaves.insert(leaf.string());
  }
  return snapshot;
}

std::string RunResult::describe() const {
  std::string text = "sandbox run ";
  text += timed_out ? "timed out (killed by the test)"
                    : (signal ? "killed by signal " + std::to_string(signal)
                              : "exited " + std::to_string(exit_code));
  text += " after " + std::to_string(seconds) + "s\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
  if (!report.is_null()) text += "\n--- report:\n" + report.dump(2);
  return text;
}

nlohmann::json RunResult::job() const {
  if (report.is_object() && report.contains("jobs") && !report["jobs"].empty()) {
    return report["jobs"][0];
  }
  return nlohmann::json::object();
}

SandboxRun::SandboxRun(const PolicyFile& policy, const std::vector<std::string>& command)
    : policy_(policy) {
  policy.write();
  const auto& directory = policy.directory();
  std::filesystem::remove(directory / "report.json");
  std::vector<std::string> arguments{SANDBOX_BINARY,
                                     "run",
                                     "-p",
                                     policy.path(),
                                     "--report",
                                     (directory / "report.json").string(),
                                     "--"};
  arguments.insert(arguments.end(), command.begin(), command.end());
  const std::string out = (directory / "stdout").string();
  const std::string err = (directory / "stderr").string();
  started_ = std::chrono::steady_clock::now();
  pid_ = fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    setpgid(0, 0);
    const int in = open("/dev/null", O_RDONLY);
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out_fd < 0 || err_fd < 0) _exit(120);
    dup2(in, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    std::vector<char*> argv;
    const std::string self = std::to_string(getpid());
    for (auto& argument : arguments) {
      for (size_t at; (at = argument.find("{supervisor}")) != std::string::npos;) {
        argument.replace(at, 12, self);
      }
      argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so that the group exists whoever runs first
}

SandboxRun::~SandboxRun() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

RunResult SandboxRun::wait(std::chrono::seconds timeout) {
  RunResult result;
  result.supervisor = pid_;
  int status = 0;
  const auto deadline = started_ + timeout;
  for (;;) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "wait");
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      kill(-pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_file(policy_.directory() / "stdout");
  result.err = read_file(policy_.directory() / "stderr");
  const std::string report = read_file(policy_.directory() / "report.json");
  if (!report.empty()) result.report = nlohmann::json::parse(report, nullptr, false);
  if (result.report.is_discarded()) result.report = nullptr;
  return result;
}

RunResult run_sandbox(const PolicyFile& policy, const std::vector<std::string>& command,
                      std::chrono::seconds timeout) {
  SandboxRun run(policy, command);
  return run.wait(timeout);
}

std::vector<std::filesystem::path> run_cgroups(pid_t supervisor) {
  // Where the cgroup module puts run groups: on v2 not our own cgroup, which is then the
  // supervisor leaf that the sandbox moved us into, but the one around it.
  const std::vector<std::string> parents = cgroup::run_group_parents(cgroup::detect());
  const std::string prefix = "sb-" + std::to_string(supervisor) + "-";
  std::vector<std::filesystem::path> found;
  for (const auto& parent : parents) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
      if (entry.is_directory() && entry.path().filename().string().starts_with(prefix)) {
        found.push_back(entry.path());
      }
    }
  }
  return found;
}

std::vector<std::string> leftovers(const HostSnapshot& before, const RunResult& run,
                                   const PolicyFile& policy) {
  std::vector<std::string> problems;
  for (pid_t pid : marked_processes(policy.marker())) {
    problems.push_back("process " + std::to_string(pid) + " (" + comm_of(pid) + ") survived");
  }
  for (const auto& group : run_cgroups(run.supervisor)) {
    problems.push_back("cgroup " + group.string() + " was left");
  }
  const HostSnapshot after = HostSnapshot::take();
  std::multiset<std::string> new_mounts = after.mounts;
  for (const auto& mount : before.mounts) {
    if (auto found = new_mounts.find(mount); found != new_mounts.end()) new_mounts.erase(found);
  }
  for (const auto& mount : new_mounts) problems.push_back("mount appeared: " + mount);
  for (const auto& link : after.links) {
    if (!before.links.contains(link)) problems.push_back("network device appeared: " + link);
  }
  for (const auto& leaf : after.supervisor_leaves) {
    if (!before.supervisor_leaves.contains(leaf)) {
      problems.push_back("cgroup " + leaf + " was left");
    }
  }
  return problems;
}

void remove_leftovers(const RunResult& run, const PolicyFile& policy) {
  for (pid_t pid : marked_processes(policy.marker())) kill(pid, SIGKILL);
  for (const auto& group : run_cgroups(run.supervisor)) {
    // Children first: collect every directory, deepest last, and remove in reverse.
    std::vector<std::filesystem::path> directories{group};
    std::error_code error;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(group, error)) {
      if (entry.is_directory()) directories.push_back(entry.path());
    }
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
      for (int attempt = 0; attempt < 50 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  try {
    cgroup::collect_stale(cgroup::detect());  // a v2 supervisor leaf, once nothing needs it
  } catch (const std::exception&) {
    // Already reported by leftovers(); the clean-up is best effort.
  }
}

std::map<std::string, std::string> probe_results(const std::string& output) {
  std::map<std::string, std::string> results;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t equals = line.find('=');
    if (equals != std::string::npos) results[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return results;
}

}  // namespace hostile

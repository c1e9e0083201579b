// Start-up benchmark (not a test): the wall time of `sandbox run` of /bin/true with user, pid,
// mount, uts and ipc namespaces and a cgroup, next to plain /bin/true, unshare(1) and bubblewrap,
// measured in the same run, interleaved round by round (in a random order each round) so that
// machine noise, and each command's teardown that goes on after it exits, hit all alike.
//
//   cmake --build build --target bench_startup && build/bin/bench_startup [runs] [other-sandbox...]
//
// Further `sandbox` binaries given after the number of runs are measured too (to compare builds,
// e.g. a statically linked one). The library line is a build farm's view: sandbox::run() called
// in a long-lived process that loaded the policy once (no exec of the tool, no policy to parse).
//
// Every measured executable starts from the same page-cache state: its cached pages are dropped
// and the warm-up execs read them back. How a file came into the page cache decides how dear it
// is to map: a file written with large writes (cp, install) or read with read(2) is cached in
// large folios, one written in small pieces (the linker's output) or faulted in by an exec is
// cached a page at a time, and each exec of our 6 MB static binary then maps and unmaps some
// thousand pages one by one. The same binary measured 0.4 ms apart in the two states, which is how
// a build fresh from the linker and a `cp` of it compared. After the drop, every binary is in the
// state a reboot leaves it in (each page faulted in by an exec), as the system's own are.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "policies/loader.hpp"
#include "sandbox/sandbox.hpp"

extern char** environ;

namespace {

struct Variant {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> ms;
  std::function<bool()> call;  // instead of spawning argv: an in-process call
};

bool executable(const char* path) {
  return access(path, X_OK) == 0;
}

// Drops the file's clean cached pages that no process maps (see the comment at the top).
void drop_cached_pages(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
    (void)std::fprintf(stderr, "bench: cannot drop the cached pages of %s\n", path.c_str());
  }
  close(fd);
}

double time_call(const std::function<bool()>& call) {
  const auto start = std::chrono::steady_clock::now();
  const bool ok = call();
  const auto end = std::chrono::steady_clock::now();
  return ok ? std::chrono::duration<double, std::milli>(end - start).count() : -1;
}

// One run: spawn, wait, return milliseconds (negative when it failed).
double time_once(const std::vector<std::string>& argv, int null_fd) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index =
      std::min(values.size() - 1,
               static_cast<size_t>(std::lround(p * static_cast<double>(values.size() - 1))));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 200;
  const std::string policy = std::string(SANDBOX_SOURCE_DIR) + "/bench/startup.yaml";
  std::vector<Variant> variants;
  variants.push_back({"/bin/true", {"/bin/true"}, {}, {}});
  if (executable("/usr/bin/unshare")) {
    variants.push_back({"unshare -Urpfmui --mount-proc",
                        {"/usr/bin/unshare", "-Urpfmui", "--mount-proc", "/bin/true"},
                        {},
                        {}});
  }
  if (executable("/usr/bin/bwrap")) {
    variants.push_back(
        {"bwrap --unshare-all --ro-bind /usr /usr",
         {"/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin",
          "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "/bin/true"},
         {},
         {}});
  }
  variants.push_back({"sandbox run (user,pid,mount,uts,ipc + cgroup)",
                      {SANDBOX_BINARY, "run", "-p", policy, "--", "/bin/true"},
                      {},
                      {}});
  for (int i = 2; i < argc; ++i) {
    variants.push_back({std::string("  same, ") + argv[i],
                        {argv[i], "run", "-p", policy, "--", "/bin/true"},
                        {},
                        {}});
  }
  const policies::LoadResult loaded = policies::load_policy_file(policy);
  if (loaded.ok()) {
    variants.push_back({"library: sandbox::run(), policy loaded once", {}, {}, [&loaded] {
                          sandbox::RunOptions options;
                          options.command = {"/bin/true"};
                          return sandbox::run(*loaded.policy, options).exit_code == 0;
                        }});
  }

  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (const auto& v : variants) {
    if (!v.call) drop_cached_pages(v.argv.front());
  }
  for (auto& v : variants) {  // warm-up: page cache, first-use kernel paths
    for (int i = 0; i < 5; ++i) v.call ? time_call(v.call) : time_once(v.argv, null_fd);
  }
  int failures = 0;
  // A fresh random order every round. A command's teardown goes on after it exits (bubblewrap's
  // network namespace is dismantled by a kernel worker, cgroups are freed after an RCU grace
  // period) and slows whatever runs next: with a fixed or rotated order each command always
  // followed the same one, and the line after bwrap's measured 0.4 ms slower than an identical
  // binary two lines further down.
  std::mt19937 random(20261129);
  std::vector<size_t> order(variants.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  for (int round = 0; round < runs; ++round) {
    std::shuffle(order.begin(), order.end(), random);
    for (size_t k : order) {
      auto& v = variants[k];
      const double ms = v.call ? time_call(v.call) : time_once(v.argv, null_fd);
      if (ms < 0) {
        ++failures;
        continue;
      }
      v.ms.push_back(ms);
    }
  }

  std::printf("%-48s %8s %8s %8s %6s\n", "command (median of runs)", "median", "p10", "p90",
              "runs");
  double bwrap = 0, sandbox = 0, library = 0;
  for (const auto& v : variants) {
    const double median = percentile(v.ms, 0.5);
    std::printf("%-48s %6.2fms %6.2fms %6.2fms %6zu\n", v.name.c_str(), median,
                percentile(v.ms, 0.1), percentile(v.ms, 0.9), v.ms.size());
    if (v.name.starts_with("bwrap")) bwrap = median;
    if (v.name.starts_with("sandbox")) sandbox = median;
    if (v.name.starts_with("library")) library = median;
  }
  if (bwrap > 0) std::printf("sandbox / bwrap = %.2f (target: at most 0.60)\n", sandbox / bwrap);
  if (bwrap > 0 && library > 0) std::printf("library / bwrap = %.2f\n", library / bwrap);
  if (failures) std::printf("%d runs failed\n", failures);
  return failures == 0 ? 0 : 1;
}

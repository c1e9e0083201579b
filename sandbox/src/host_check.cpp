#include "host_check.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cgroup_limits.hpp"

namespace sandbox {

namespace {

// The first line of a small kernel file, with read(2): a stream would set up a locale and an 8 KB
// buffer for a few bytes, on every run.
std::string read_first_line(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buffer[256];
  const ssize_t got = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (got <= 0) return "";
  const std::string_view text(buffer, static_cast<size_t>(got));
  return std::string(text.substr(0, text.find('\n')));
}

bool file_lists_module(const std::string& path, const std::string& module) {
  std::ifstream in(path);
  std::string line;
  const std::string ko = "/" + module + ".ko";
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    const std::string entry = line.substr(0, colon);
    if (entry.find(ko) != std::string::npos) return true;
  }
  return false;
}

// /proc/self/ns names every namespace as the policy does, except mount ("mnt").
std::string proc_ns_file(policies::Namespace ns) {
  return ns == policies::Namespace::mount ? "mnt" : policies::to_string(ns);
}

// Which namespaces this kernel has, asked once each: the entry /proc/self/ns/<name> exists. Not
// followed (AT_SYMLINK_NOFOLLOW): the lookup alone creates the one entry asked for, where listing
// the directory creates all ten and following a link opens the namespace (five asked in a fresh
// process: ~35 us; the listing ~45 us; five access() calls that follow ~60 us).
class KernelNamespaces {
 public:
  bool has(policies::Namespace ns) {
    const auto [known, added] = known_.try_emplace(ns, false);
    if (added) {
      const std::string entry = "/proc/self/ns/" + proc_ns_file(ns);
      known->second = ::faccessat(AT_FDCWD, entry.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    }
    return known->second;
  }

 private:
  std::map<policies::Namespace, bool> known_;
};

bool user_namespaces_enabled(KernelNamespaces& namespaces) {
  const std::string max = read_first_line("/proc/sys/user/max_user_namespaces");
  return namespaces.has(policies::Namespace::user) && !max.empty() && max != "0";
}

}  // namespace

bool namespace_supported(policies::Namespace ns) {
  return KernelNamespaces().has(ns);
}

bool user_namespaces_enabled() {
  KernelNamespaces namespaces;
  return user_namespaces_enabled(namespaces);
}

bool seccomp_supported() {
  return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
         access("/proc/sys/kernel/seccomp/actions_avail", R_OK) == 0;
}

// The running kernel's build configuration, when it exposes one (CONFIG_IKCONFIG_PROC): the only
// record of built-in drivers on kernels installed without /lib/modules.
static std::optional<std::string> kernel_config_value(const std::string& symbol) {
  gzFile config = gzopen("/proc/config.gz", "rb");
  if (config == nullptr) return std::nullopt;
  std::optional<std::string> value;
  const std::string prefix = symbol + "=";
  char line[512];
  while (gzgets(config, line, sizeof line) != nullptr) {
    std::string_view text(line);
    if (text.substr(0, prefix.size()) == prefix) {
      text.remove_prefix(prefix.size());
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      value = std::string(text);
      break;
    }
  }
  gzclose(config);
  return value;
}

// Kernel config symbols of the modules `sandbox check` asks about.
static const char* config_symbol(const std::string& module) {
  static const std::map<std::string, const char*> symbols = {
      {"veth", "CONFIG_VETH"},
      {"bridge", "CONFIG_BRIDGE"},
      {"sch_htb", "CONFIG_NET_SCH_HTB"},
      {"ifb", "CONFIG_IFB"},
      {"act_mirred", "CONFIG_NET_ACT_MIRRED"},
      {"cls_u32", "CONFIG_NET_CLS_U32"}};
  auto it = symbols.find(module);
  return it == symbols.end() ? nullptr : it->second;
}

bool kernel_module_available(const std::string& module) {
  if (const char* symbol = config_symbol(module)) {
    if (auto value = kernel_config_value(symbol)) return *value == "y" || *value == "m";
  }
  std::string name = module;
  for (auto& c : name) {
    if (c == '-') c = '_';
  }
  if (access(("/sys/module/" + name).c_str(), F_OK) == 0) return true;
  struct utsname uts {};
  if (uname(&uts) != 0) return false;
  const std::string dir = std::string("/lib/modules/") + uts.release + "/";
  return file_lists_module(dir + "modules.builtin", module) ||
         file_lists_module(dir + "modules.dep", module);
}

std::vector<HostFeature> host_features(const cgroup::Host& host) {
  std::vector<HostFeature> features;
  const bool root = geteuid() == 0;

  features.push_back({"cgroup layout", true, cgroup::to_string(host.layout), false});
  for (const char* name :
       {"cpu", "cpuacct", "cpuset", "memory", "pids", "io", "blkio", "freezer"}) {
    auto it = host.controllers.find(name);
    if (it == host.controllers.end()) {
      // cpuacct/blkio/freezer exist only on v1; io only on v2. Report only the ones that matter.
      const bool v1_only = std::string(name) == "cpuacct" || std::string(name) == "blkio" ||
                           std::string(name) == "freezer";
      const bool expected =
          host.layout == cgroup::Layout::unified ? !v1_only : std::string(name) != "io";
      if (expected) {
        features.push_back({std::string("cgroup ") + name, false, "not mounted", false});
      }
      continue;
    }
    const auto& c = it->second;
    features.push_back(
        {std::string("cgroup ") + name, c.usable,
         c.usable ? "v" + std::to_string(c.version) + " at " + c.mount + c.our_path : c.why_not,
         false});
  }

  KernelNamespaces namespaces;
  for (auto ns : {policies::Namespace::user, policies::Namespace::pid, policies::Namespace::mount,
                  policies::Namespace::uts, policies::Namespace::ipc, policies::Namespace::net,
                  policies::Namespace::cgroup, policies::Namespace::time}) {
    const bool ok = namespaces.has(ns);
    // Mount and pid isolation are the floor of every sandbox; the rest a policy can go without.
    const bool essential = ns == policies::Namespace::mount || ns == policies::Namespace::pid;
    features.push_back({"namespace " + policies::to_string(ns), ok,
                        ok ? "supported" : "the kernel was built without it", essential});
  }
  const bool userns = user_namespaces_enabled(namespaces);
  features.push_back(
      {"user namespaces enabled", userns,
       userns ? "max_user_namespaces > 0" : "set /proc/sys/user/max_user_namespaces above 0",
       !root});
  features.push_back({"running as root", root,
                      root ? "full cgroup delegation available"
                           : "cgroup limits need a delegated cgroup (systemd-run --user -p "
                             "Delegate=yes) or root",
                      false});
  const bool seccomp = seccomp_supported();
  features.push_back(
      {"seccomp", seccomp,
       seccomp ? "filter mode available" : "kernel built without CONFIG_SECCOMP_FILTER", false});
  for (const char* module : {"veth", "bridge", "sch_htb", "ifb", "act_mirred", "cls_u32"}) {
    const bool ok = kernel_module_available(module);
    features.push_back({std::string("kernel module ") + module, ok,
                        ok ? "available" : "needed for bridged networking and bandwidth shares",
                        false});
  }
  return features;
}

std::vector<policies::Diagnostic> check_policy_against_host(const policies::Policy& policy,
                                                            const cgroup::Host& host) {
  std::vector<policies::Diagnostic> problems;
  KernelNamespaces namespaces;
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const policies::Job& job = policy.jobs[i];
    const std::string prefix = "jobs[" + std::to_string(i) + "].";
    const auto where = [&](const std::string& key) {
      // A job's key may have been written in the job or inherited from defaults.
      const std::string own = prefix + key;
      if (policy.locations.count(own)) return policy.locations.at(own);
      const std::string inherited = "defaults." + key;
      if (policy.locations.count(inherited)) return policy.locations.at(inherited);
      return job.where;
    };
    const auto key_of = [&](const std::string& key) {
      const std::string own = prefix + key;
      return policy.locations.count(own) || !policy.locations.count("defaults." + key)
                 ? own
                 : "defaults." + key;
    };

    for (auto ns : job.settings.namespaces) {
      if (!namespaces.has(ns)) {
        problems.push_back({where("namespaces"), key_of("namespaces"),
                            "this kernel has no " + policies::to_string(ns) + " namespace"});
      }
    }
    if (job.settings.namespaces.count(policies::Namespace::user) &&
        !user_namespaces_enabled(namespaces)) {
      problems.push_back(
          {where("namespaces"), key_of("namespaces"),
           "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"});
    }

    // Every limit must be enforceable here, unless marked optional.
    try {
      (void)cgroup::translate(limits_for_job(job, std::nullopt, std::nullopt), host);
    } catch (const cgroup::Unsupported& e) {
      problems.push_back({where("limits." + e.limit), key_of("limits." + e.limit),
                          std::string(e.what()) + " (add '" + e.limit +
                              "' to limits.optional to run without it)"});
    } catch (const cgroup::Error& e) {
      problems.push_back({where("limits"), key_of("limits"), e.what()});
    }

    if (job.settings.network.mode == policies::Network::Mode::bridged) {
      for (const char* module : {"veth", "bridge"}) {
        if (!kernel_module_available(module)) {
          problems.push_back({where("network.mode"), key_of("network.mode"),
                              std::string("bridged networking needs kernel module ") + module});
        }
      }
      if (job.shares.net || job.settings.network.net_max_bps) {
        for (const char* module : {"sch_htb", "ifb", "act_mirred", "cls_u32"}) {
          if (!kernel_module_available(module)) {
            problems.push_back({where("network"), key_of("network"),
                                std::string("bandwidth shares need kernel module ") + module});
          }
        }
      }
    }
    if (job.settings.seccomp.enabled && !seccomp_supported()) {
      problems.push_back({where("seccomp"), key_of("seccomp"),
                          "this kernel has no seccomp filter support (set seccomp.default: false "
                          "to run without it)"});
    }
  }
  return problems;
}

}  // namespace sandbox

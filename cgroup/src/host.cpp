// Host discovery: which layout this machine has, and which controllers we may use and why not.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "cgroup/cgroup.hpp"
#include "cgroup/parse.hpp"
#include "fs.hpp"

namespace cgroup {

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::unified:
      return "unified";
    case Layout::hybrid:
      return "hybrid";
    case Layout::legacy:
      return "legacy";
  }
  return "?";
}

bool Host::has(const std::string& controller) const {
  auto it = controllers.find(controller);
  return it != controllers.end() && it->second.usable;
}

namespace {

std::string read_required(const std::string& path) {
  auto text = fs::read_file_if_exists(path);
  if (!text) {
    throw Error("read " + path + ": " + std::strerror(ENOENT));
  }
  return *text;
}

// Every entry name of a directory (files and links included).
std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir{::opendir(path.c_str()), ::closedir};
  if (!dir) {
    return names;
  }
  while (dirent* entry = ::readdir(dir.get())) {
    names.emplace_back(entry->d_name);
  }
  return names;
}

std::set<std::string> controller_files(const std::string& dir, const std::string& controller) {
  std::set<std::string> files;
  const std::string prefix = controller + ".";
  for (const std::string& name : entries(dir)) {
    if (name.compare(0, prefix.size(), prefix) == 0) {
      files.insert(name);
    }
  }
  return files;
}

// Decides whether we can create child groups with this controller, and records why not.
void probe(Controller& controller) {
  if (!controller.why_not.empty()) {
    return;
  }
  const std::string dir = controller.mount + controller.our_path;
  fs::Fd fd = fs::open_dir_if_exists(dir);
  if (!fd) {
    controller.why_not = "our cgroup " + dir + " does not exist";
    return;
  }
  if (controller.version == 2) {
    const auto available = fs::read_at_if_exists(fd.get(), "cgroup.controllers");
    if (!available || !parse::contains_word(*available, controller.name)) {
      controller.why_not = "not delegated to " + dir + " (missing from its cgroup.controllers)";
      return;
    }
    if (::faccessat(fd.get(), "cgroup.subtree_control", W_OK, 0) != 0) {
      controller.why_not =
          "cannot write " + dir + "/cgroup.subtree_control: " + std::strerror(errno);
      return;
    }
  } else if (::faccessat(fd.get(), ".", W_OK, 0) != 0) {
    controller.why_not = "cannot create groups in " + dir + ": " + std::strerror(errno);
    return;
  }
  controller.files = controller_files(dir, controller.name);
  controller.usable = true;
}

std::set<std::string> block_devices() {
  std::set<std::string> devices;
  for (const std::string& name : entries("/sys/dev/block")) {
    if (name.find(':') != std::string::npos) {
      devices.insert(name);
    }
  }
  return devices;
}

}  // namespace

Host detect() {
  const auto mounts = parse::mountinfo(read_required("/proc/self/mountinfo"));
  const auto memberships = parse::proc_cgroup(read_required("/proc/self/cgroup"));
  std::string v2_root_controllers;
  for (const parse::Mount& mount : mounts) {
    if (mount.fstype == "cgroup2") {
      v2_root_controllers =
          fs::read_file_if_exists(mount.mount_point + "/cgroup.controllers").value_or("");
      break;
    }
  }
  Host host = parse::describe(mounts, memberships, v2_root_controllers);
  for (auto& [name, controller] : host.controllers) {
    probe(controller);
  }
  host.block_devices = block_devices();
  return host;
}

}  // namespace cgroup

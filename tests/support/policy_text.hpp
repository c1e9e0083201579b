// Policies for runtime tests, as YAML text: a small sandbox with the host's /usr (and /bin, /lib
// where they exist) read-only, a tmpfs /tmp, /proc and /dev, and whatever the test adds.
#pragma once

#include <string>

namespace sandbox::test {

struct PolicyText {
  std::string namespaces = "[user, pid, mount, uts, ipc, net, cgroup]";
  // The host's system directories and the usual file systems; a test may replace them.
  std::string base_mounts =
      "      - {bind: /usr}\n"
      "      - {bind: /bin, optional: true}\n"
      "      - {bind: /lib, optional: true}\n"
      "      - {bind: /lib64, optional: true}\n"
      "      - {tmpfs: /tmp, size: 16MiB}\n"
      "      - {proc: /proc}\n"
      "      - {dev: /dev}\n";
  std::string extra_mounts;    // more "      - {...}" lines
  std::string extra_defaults;  // more lines under defaults:, indented by two spaces
  std::string jobs;            // a complete "jobs:" section, or empty for a command-line policy
  std::string root = "tmpfs";
  std::string name;  // `name:`, when set

  std::string yaml() const {
    std::string text = "version: 1\n";
    if (!name.empty()) text += "name: " + name + "\n";
    text +=
        "defaults:\n"
        "  namespaces: " +
        namespaces +
        "\n"
        "  hostname: testbox\n"
        "  filesystem:\n"
        "    root: " +
        root +
        "\n"
        "    mounts:\n" +
        base_mounts + extra_mounts +
        "    workdir: /tmp\n"
        "  env: {PATH: /usr/bin:/bin, HOME: /tmp}\n" +
        extra_defaults + jobs;
    return text;
  }
};

}  // namespace sandbox::test

#include "settings.hpp"

#include <algorithm>
#include <set>

#include "names.hpp"
#include "suggest.hpp"

namespace policies::detail {
namespace {

// uid_t/gid_t are 32 bits and (uid_t)-1 means "no change" to the kernel, so it is not an id.
constexpr uint64_t max_id = 4294967294;

std::vector<std::string_view> namespace_names() {
  return {"user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time"};
}

void apply_namespaces(Reader& reader, const YAML::Node& node, const std::string& path,
                      std::set<Namespace>& namespaces) {
  if (!reader.expect_list(node, path)) return;
  std::set<Namespace> chosen;
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto name = reader.string(item, at);
    if (!name) return;
    auto ns = namespace_from_string(*name);
    if (!ns) {
      reader.error(item, at,
                   "unknown namespace '" + *name + "'" + did_you_mean(*name, namespace_names()) +
                       "; known: user, pid, mount, uts, ipc, net, cgroup, time");
    } else if (!chosen.insert(*ns).second) {
      reader.error(item, at, "namespace '" + *name + "' is listed twice");
    }
  });
  namespaces = std::move(chosen);
}

void apply_identity(Reader& reader, const YAML::Node& node, const std::string& path,
                    Identity& identity) {
  reader.for_each_entry(
      node, path, {"uid", "gid", "host_uid", "host_gid"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        auto id = reader.integer(value, at, 0, max_id);
        if (!id) return;
        auto id32 = static_cast<uint32_t>(*id);
        if (key == "uid") identity.uid = id32;
        if (key == "gid") identity.gid = id32;
        if (key == "host_uid") identity.host_uid = id32;
        if (key == "host_gid") identity.host_gid = id32;
      });
}

void apply_env(Reader& reader, const YAML::Node& node, const std::string& path,
               std::map<std::string, std::string>& env) {
  reader.for_each_entry(
      node, path, [&](const std::string& name, const YAML::Node& value, const std::string& at) {
        if (auto problem = check_env_name(name); !problem.empty()) {
          reader.error(reader.location(at), at, "invalid variable name: " + problem);
          return;
        }
        // `NAME: null` removes a variable set by `defaults:`.
        if (value.IsNull()) {
          env.erase(name);
          return;
        }
        if (auto text = reader.string(value, at)) env[name] = *text;
      });
}

void apply_inherit_env(Reader& reader, const YAML::Node& node, const std::string& path,
                       std::vector<std::string>& inherit) {
  auto names = reader.string_list(node, path);
  if (!names) return;
  std::vector<std::string> chosen;
  std::set<std::string> seen;
  for (size_t i = 0; i < names->size(); ++i) {
    std::string at = item_path(path, i);
    const std::string& name = (*names)[i];
    if (auto problem = check_env_name(name); !problem.empty()) {
      reader.error(reader.location(at), at, "invalid variable name: " + problem);
    } else if (!seen.insert(name).second) {
      reader.error(reader.location(at), at, "'" + name + "' is listed twice");
    } else {
      chosen.push_back(name);
    }
  }
  inherit = std::move(chosen);
}

void apply_capabilities(Reader& reader, const YAML::Node& node, const std::string& path,
                        std::vector<std::string>& capabilities) {
  if (!reader.expect_list(node, path)) return;
  std::vector<std::string> chosen;
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto name = reader.string(item, at);
    if (!name) return;
    std::string canonical;
    if (auto problem = check_capability(*name, canonical); !problem.empty()) {
      reader.error(item, at, "'" + *name + "': " + problem);
    } else if (std::find(chosen.begin(), chosen.end(), canonical) != chosen.end()) {
      reader.error(item, at, "'" + *name + "' is listed twice");
    } else {
      chosen.push_back(canonical);
    }
  });
  capabilities = std::move(chosen);
}

}  // namespace

const std::vector<std::string_view>& setting_keys() {
  static const std::vector<std::string_view> keys{
      "namespaces", "identity", "hostname", "filesystem",   "env",     "inherit_env",
      "limits",     "network",  "seccomp",  "capabilities", "map_root"};
  return keys;
}

void apply_setting(Reader& reader, const std::string& key, const YAML::Node& value,
                   const std::string& path, JobSettings& settings) {
  if (key == "namespaces") {
    apply_namespaces(reader, value, path, settings.namespaces);
  } else if (key == "identity") {
    apply_identity(reader, value, path, settings.identity);
  } else if (key == "hostname") {
    auto name = reader.string(value, path);
    if (!name) return;
    if (auto problem = check_hostname(*name); !problem.empty()) {
      reader.error(value, path, "invalid host name '" + *name + "': " + problem);
      return;
    }
    settings.hostname = *name;
  } else if (key == "filesystem") {
    apply_filesystem(reader, value, path, settings.filesystem);
  } else if (key == "env") {
    apply_env(reader, value, path, settings.env);
  } else if (key == "inherit_env") {
    apply_inherit_env(reader, value, path, settings.inherit_env);
  } else if (key == "limits") {
    apply_limits(reader, value, path, settings.limits);
  } else if (key == "network") {
    apply_network(reader, value, path, settings.network);
  } else if (key == "seccomp") {
    apply_seccomp(reader, value, path, settings.seccomp);
  } else if (key == "capabilities") {
    apply_capabilities(reader, value, path, settings.capabilities);
  } else if (key == "map_root") {
    if (auto flag = reader.boolean(value, path)) settings.map_root = *flag;
  }
}

}  // namespace policies::detail

// filesystem: root, root_readonly, mounts, workdir.
#include <map>
#include <set>

#include "names.hpp"
#include "settings.hpp"

namespace policies::detail {
namespace {

struct Written {
  YAML::Node node;
  std::string path;
};

// Flags each kind starts with; a mount may override every one of them.
Mount mount_of_kind(Mount::Kind kind) {
  Mount mount;
  mount.kind = kind;
  switch (kind) {
    case Mount::Kind::bind:
      break;  // read-only, nosuid, nodev
    case Mount::Kind::tmpfs:
      mount.readonly = false;
      break;
    case Mount::Kind::proc:
      mount.readonly = false;
      mount.noexec = true;
      break;
    case Mount::Kind::dev:
      mount.readonly = false;
      mount.noexec = true;
      mount.nodev = false;  // device nodes are the point of /dev
      break;
  }
  return mount;
}

std::optional<std::string> target_path(Reader& reader, const YAML::Node& node,
                                       const std::string& path) {
  auto text = reader.string(node, path);
  if (!text) return std::nullopt;
  std::string normalized;
  if (auto problem = check_absolute_path(*text, normalized); !problem.empty()) {
    reader.error(node, path, "mount target '" + *text + "' " + problem);
    return std::nullopt;
  }
  if (normalized == "/") {
    reader.error(node, path, "cannot mount over '/': use filesystem.root to choose the root");
    return std::nullopt;
  }
  return normalized;
}

// One entry of `mounts:`, e.g. {bind: /usr, readonly: true} or {tmpfs: /tmp, size: 64MiB}.
std::optional<Mount> read_mount(Reader& reader, const YAML::Node& node, const std::string& path) {
  static const std::vector<std::string_view> keys{"bind",   "tmpfs",    "proc",     "dev",
                                                  "to",     "readonly", "optional", "size",
                                                  "noexec", "nosuid",   "nodev"};
  static const std::map<std::string, Mount::Kind> kinds{{"bind", Mount::Kind::bind},
                                                        {"tmpfs", Mount::Kind::tmpfs},
                                                        {"proc", Mount::Kind::proc},
                                                        {"dev", Mount::Kind::dev}};
  if (!reader.expect_map(node, path)) return std::nullopt;
  std::map<std::string, Written> written;
  std::optional<std::string> kind_key;
  bool ok = true;
  reader.for_each_entry(
      node, path, keys,
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (kinds.count(key) != 0) {
          if (kind_key) {
            reader.error(
                reader.location(at), at,
                "a mount has one kind, but both '" + *kind_key + "' and '" + key + "' are given");
            ok = false;
            return;
          }
          kind_key = key;
        }
        written[key] = {value, at};
      });
  if (!kind_key) {
    if (ok) reader.error(node, path, "a mount needs one of: bind, tmpfs, proc, dev");
    return std::nullopt;
  }
  Mount mount = mount_of_kind(kinds.at(*kind_key));
  bool is_bind = mount.kind == Mount::Kind::bind;
  auto only_for = [&](const char* key, bool allowed, const char* which) {
    auto found = written.find(key);
    if (found == written.end() || allowed) return;
    reader.error(reader.location(found->second.path), found->second.path,
                 std::string("'") + key + "' applies to " + which + " mounts only");
    ok = false;
  };
  only_for("to", is_bind, "bind");
  only_for("optional", is_bind, "bind");
  only_for("size", mount.kind == Mount::Kind::tmpfs, "tmpfs");

  const Written& kind_value = written[*kind_key];
  if (is_bind) {
    auto source = reader.string(kind_value.node, kind_value.path);
    if (!source) return std::nullopt;
    if (source->empty() || source->front() != '/') {
      reader.error(kind_value.node, kind_value.path,
                   "bind source '" + *source + "' must be an absolute host path");
      return std::nullopt;
    }
    mount.source = *source;
  }
  const Written& target = written.count("to") != 0 ? written["to"] : kind_value;
  auto normalized = target_path(reader, target.node, target.path);
  if (!normalized) ok = false;
  if (normalized) mount.target = *normalized;

  auto flag = [&](const char* key, bool& into) {
    if (auto found = written.find(key); found != written.end()) {
      if (auto value = reader.boolean(found->second.node, found->second.path)) {
        into = *value;
      } else {
        ok = false;
      }
    }
  };
  flag("readonly", mount.readonly);
  flag("optional", mount.optional);
  flag("noexec", mount.noexec);
  flag("nosuid", mount.nosuid);
  flag("nodev", mount.nodev);
  if (auto found = written.find("size");
      found != written.end() && !Reader::is_unlimited(found->second.node)) {
    auto bytes = reader.size(found->second.node, found->second.path);
    if (bytes && *bytes < 4096) {
      // The kernel takes size=0 as "no limit", and less than a page is not a file system.
      reader.error(found->second.node, found->second.path,
                   "tmpfs size must be at least 4KiB (write `unlimited` for no limit)");
      ok = false;
    } else if (bytes) {
      mount.size_bytes = bytes;
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return mount;
}

void apply_mounts(Reader& reader, const YAML::Node& node, const std::string& path,
                  std::vector<Mount>& mounts) {
  if (!reader.expect_list(node, path)) return;
  std::vector<Mount> chosen;
  std::map<std::string, std::string> targets;  // target -> path of the mount that has it
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto mount = read_mount(reader, item, at);
    if (!mount) return;
    if (auto [first, inserted] = targets.emplace(mount->target, at); !inserted) {
      reader.error(item, at,
                   "'" + mount->target + "' is already a mount target (" + first->second + ", " +
                       reader.location(first->second).to_string() + ")");
      return;
    }
    chosen.push_back(std::move(*mount));
  });
  mounts = std::move(chosen);
}

}  // namespace

void apply_filesystem(Reader& reader, const YAML::Node& node, const std::string& path,
                      Filesystem& filesystem) {
  reader.for_each_entry(
      node, path, {"root", "root_readonly", "mounts", "workdir"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "root") {
          auto root = reader.string(value, at);
          if (!root) return;
          std::string normalized;
          if (*root == "tmpfs") {
            filesystem.root = *root;
          } else if (auto problem = check_absolute_path(*root, normalized); !problem.empty()) {
            reader.error(value, at,
                         "root '" + *root + "' must be `tmpfs` or a host directory: " + problem);
          } else {
            filesystem.root = normalized;
          }
        } else if (key == "root_readonly") {
          if (auto flag = reader.boolean(value, at)) filesystem.root_readonly = *flag;
        } else if (key == "mounts") {
          apply_mounts(reader, value, at, filesystem.mounts);
        } else if (key == "workdir") {
          auto workdir = reader.string(value, at);
          if (!workdir) return;
          std::string normalized;
          if (auto problem = check_absolute_path(*workdir, normalized); !problem.empty()) {
            reader.error(value, at, "workdir '" + *workdir + "' " + problem);
          } else {
            filesystem.workdir = normalized;
          }
        }
      });
}

}  // namespace policies::detail

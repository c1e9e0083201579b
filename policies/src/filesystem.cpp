// filesystem: root, root_readonly, mounts, workdir.
#include <functional>
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
    case Mount::Kind::symlink:
      mount.readonly = mount.nosuid = mount.nodev = false;  // a link has no mount flags
      break;
  }
  return mount;
}

std::optional<std::string> target_path(Reader& reader, const YAML::Node& node,
                                       const std::string& path, bool is_symlink) {
  auto text = reader.string(node, path);
  if (!text) return std::nullopt;
  std::string normalized;
  if (auto problem = check_absolute_path(*text, normalized); !problem.empty()) {
    reader.error(node, path,
                 (is_symlink ? "symlink path '" : "mount target '") + *text + "' " + problem);
    return std::nullopt;
  }
  if (normalized == "/") {
    reader.error(node, path,
                 is_symlink ? "a symlink cannot replace '/': use filesystem.root to choose the root"
                            : "cannot mount over '/': use filesystem.root to choose the root");
    return std::nullopt;
  }
  return normalized;
}

// The link's content: kept as written (relative or absolute, never resolved on the host), since
// it is only followed inside the sandbox. The kernel takes at most PATH_MAX - 1 bytes.
std::optional<std::string> link_content(Reader& reader, const YAML::Node& node,
                                        const std::string& path) {
  auto text = reader.string(node, path);
  if (!text) return std::nullopt;
  if (text->empty() || text->size() > 4095) {
    reader.error(node, path,
                 text->empty() ? "a symlink's content must not be empty"
                               : "a symlink's content is longer than PATH_MAX");
    return std::nullopt;
  }
  return text;
}

// Reports `key` as "'key' MESSAGE" when the entry has it; false then.
bool refuse_option(Reader& reader, const std::map<std::string, Written>& written, const char* key,
                   const char* message) {
  auto found = written.find(key);
  if (found == written.end()) return true;
  reader.error(reader.location(found->second.path), found->second.path,
               std::string("'") + key + "' " + message);
  return false;
}

// {symlink: usr/bin, to: /bin}: the only keys are the content and the link's path.
std::optional<Mount> read_symlink(Reader& reader, const YAML::Node& node, const std::string& path,
                                  const std::map<std::string, Written>& written) {
  Mount mount = mount_of_kind(Mount::Kind::symlink);
  bool ok = true;
  for (const char* key : {"readonly", "optional", "size", "noexec", "nosuid", "nodev"}) {
    if (!refuse_option(reader, written, key,
                       "does not apply to a symlink: a link has no mount options")) {
      ok = false;
    }
  }
  const Written& content = written.at("symlink");
  if (auto text = link_content(reader, content.node, content.path)) {
    mount.source = *text;
  } else {
    ok = false;
  }
  auto to = written.find("to");
  if (to == written.end()) {
    // No default: the content is not a path in the sandbox, so it cannot name the link.
    reader.error(node, child_path(path, "to"),
                 "missing key 'to' (the path of the link inside the sandbox)");
    return std::nullopt;
  }
  if (auto target = target_path(reader, to->second.node, to->second.path, true)) {
    mount.target = *target;
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return mount;
}

// One entry of `mounts:`, e.g. {bind: /usr, readonly: true} or {tmpfs: /tmp, size: 64MiB}.
std::optional<Mount> read_mount(Reader& reader, const YAML::Node& node, const std::string& path) {
  static const std::vector<std::string_view> keys{"bind",    "tmpfs",  "proc",     "dev",
                                                  "symlink", "to",     "readonly", "optional",
                                                  "size",    "noexec", "nosuid",   "nodev"};
  static const std::map<std::string, Mount::Kind> kinds{{"bind", Mount::Kind::bind},
                                                        {"tmpfs", Mount::Kind::tmpfs},
                                                        {"proc", Mount::Kind::proc},
                                                        {"dev", Mount::Kind::dev},
                                                        {"symlink", Mount::Kind::symlink}};
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
    if (ok) reader.error(node, path, "a mount needs one of: bind, tmpfs, proc, dev, symlink");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;  // two kinds: no option can be judged against either
  Mount mount = mount_of_kind(kinds.at(*kind_key));
  if (mount.kind == Mount::Kind::symlink) return read_symlink(reader, node, path, written);
  const bool is_bind = mount.kind == Mount::Kind::bind;
  const auto refuse = [&](const char* key, bool allowed, const char* message) {
    if (!allowed && !refuse_option(reader, written, key, message)) ok = false;
  };
  refuse("to", is_bind, "applies to bind mounts and symlinks only");
  refuse("optional", is_bind, "applies to bind mounts only");
  refuse("size", mount.kind == Mount::Kind::tmpfs, "applies to tmpfs mounts only");

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
  auto normalized = target_path(reader, target.node, target.path, false);
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

bool lies_under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// A target below a symlink's path would have to go through the link, which the runtime refuses
// (a link may lead anywhere). Returns what is wrong with `mount` for the entries before it.
std::string symlink_conflict(const Mount& mount, const std::map<std::string, std::string>& targets,
                             const std::map<std::string, std::string>& links,
                             const std::function<std::string(const std::string&)>& where) {
  for (const auto& [link, at] : links) {
    if (lies_under(mount.target, link)) {
      return "'" + mount.target + "' lies under the symlink '" + link + "'" + where(at) +
             ": nothing can be placed through a symlink";
    }
  }
  if (mount.kind != Mount::Kind::symlink) return {};
  for (const auto& [target, at] : targets) {
    if (lies_under(target, mount.target)) {
      return "the symlink '" + mount.target + "' would replace the directory of '" + target + "'" +
             where(at);
    }
  }
  return {};
}

void apply_mounts(Reader& reader, const YAML::Node& node, const std::string& path,
                  std::vector<Mount>& mounts) {
  if (!reader.expect_list(node, path)) return;
  std::vector<Mount> chosen;
  std::map<std::string, std::string> targets;  // target -> path of the mount that has it
  std::map<std::string, std::string> links;    // the same for symlinks only
  reader.for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& at) {
    auto mount = read_mount(reader, item, at);
    if (!mount) return;
    const std::function<std::string(const std::string&)> where = [&](const std::string& other) {
      return " (" + other + ", " + reader.location(other).to_string() + ")";
    };
    if (auto first = targets.find(mount->target); first != targets.end()) {
      reader.error(item, at,
                   "'" + mount->target + "' is already a mount target" + where(first->second));
      return;
    }
    if (auto problem = symlink_conflict(*mount, targets, links, where); !problem.empty()) {
      reader.error(item, at, problem);
      return;
    }
    targets.emplace(mount->target, at);
    if (mount->kind == Mount::Kind::symlink) links.emplace(mount->target, at);
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

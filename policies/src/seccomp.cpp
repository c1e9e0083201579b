// seccomp: the default filter, syscalls allowed out of it or denied on top of it, the action.
#include <algorithm>

#include "names.hpp"
#include "settings.hpp"
#include "suggest.hpp"

namespace policies::detail {

void apply_seccomp(Reader& reader, const YAML::Node& node, const std::string& path,
                   Seccomp& seccomp) {
  auto syscall_list = [&](const YAML::Node& value, const std::string& at,
                          std::vector<std::string>& into) {
    auto names = reader.string_list(value, at);
    if (!names) return;
    std::vector<std::string> chosen;
    for (size_t i = 0; i < names->size(); ++i) {
      std::string item_at = item_path(at, i);
      const std::string& name = (*names)[i];
      if (auto problem = check_syscall_name(name); !problem.empty()) {
        reader.error(reader.location(item_at), item_at,
                     std::string("syscall '").append(name).append("' ").append(problem));
      } else if (std::find(chosen.begin(), chosen.end(), name) != chosen.end()) {
        reader.error(reader.location(item_at), item_at, "'" + name + "' is listed twice");
      } else {
        chosen.push_back(name);
      }
    }
    into = std::move(chosen);
  };
  reader.for_each_entry(
      node, path, {"default", "allow", "deny", "action"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "default") {
          if (auto flag = reader.boolean(value, at)) seccomp.enabled = *flag;
        } else if (key == "allow") {
          syscall_list(value, at, seccomp.allow);
        } else if (key == "deny") {
          syscall_list(value, at, seccomp.deny);
        } else if (key == "action") {
          auto action = reader.string(value, at);
          if (!action) return;
          if (*action == "errno") {
            seccomp.action = Seccomp::Action::errno_eperm;
          } else if (*action == "kill") {
            seccomp.action = Seccomp::Action::kill;
          } else {
            reader.error(value, at,
                         "expected errno or kill, got " + describe(value) +
                             did_you_mean(*action, {"errno", "kill"}));
          }
        }
      });
}

}  // namespace policies::detail

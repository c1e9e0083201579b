// libFuzzer target for the policy loader: any bytes must load or give diagnostics, never crash,
// hang, throw, or break the loader's promises below. Run by scripts/fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "guard.hpp"
#include "policies/loader.hpp"

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "policy loader broke a promise: %s\n", what.c_str());
  std::abort();
}

// Absolute, and no ".." component.
bool is_inside_root(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  return ("/" + path + "/").find("/../") == std::string::npos;
}

void check(const policies::LoadResult& result) {
  if (result.ok() == !result.diagnostics.empty()) broken("ok() disagrees with the diagnostics");
  for (const auto& d : result.diagnostics) {
    if (d.message.empty()) broken("a diagnostic without a message");
    if (d.where.file != "fuzz.yaml") broken("a diagnostic names another file: " + d.to_string());
    if (d.where.line < 0 || d.where.column < 0) broken("negative position: " + d.to_string());
    // The loader turns exceptions into this; for any input it is a bug (an unchecked .at(), a
    // conversion that throws) rather than a property of the input.
    if (d.message.rfind("cannot load:", 0) == 0) broken("an exception escaped: " + d.message);
  }
  if (!result.ok()) return;
  const policies::Policy& policy = *result.policy;
  if (policy.jobs.empty()) broken("a loaded policy without jobs");
  if (policy.command_from_cli && policy.jobs.size() != 1) broken("a CLI policy with several jobs");
  for (const auto& job : policy.jobs) {
    if (job.name.empty()) broken("a job without a name");
    if (!policy.command_from_cli && job.command.empty())
      broken("job " + job.name + " has no command");
    for (const auto& mount : job.settings.filesystem.mounts) {
      if (!is_inside_root(mount.target)) broken("mount target escapes the root: " + mount.target);
    }
  }
  (void)policy.location_of("jobs[0].limits.memory").to_string();
  (void)policy.setting_location(0, "limits.memory").to_string();
  if (policy.command_from_cli) {
    policies::Policy copy = policy;
    try {
      policies::set_cli_command(copy, {"/bin/true"});
    } catch (const std::invalid_argument& e) {
      broken(std::string("an absolute command was refused: ") + e.what());
    }
  }
}

// The loader skips its event parse when the text alone bounds a document (guard.hpp): that must
// never skip a document the event parse would stop for its values or nesting.
void check_text_bound(const std::string& yaml) {
  if (!policies::detail::bounded_by_its_text(yaml)) return;
  try {
    const auto problem = policies::detail::prescan_events(yaml);
    // A second document is the loader's to find (text_goes_on_after), not the bound's.
    if (problem && !problem->second_document) {
      broken("the text bound passed a document the event parse stops: " + problem->message);
    }
  } catch (const YAML::Exception&) {
    // Not YAML: the loader reports that the same way with or without the event parse.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  check(policies::load_policy_string(yaml, "fuzz.yaml"));
  check_text_bound(yaml);
  return 0;
}

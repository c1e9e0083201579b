// Reading the settings that `defaults:` and every job share (JobSettings). A section is applied
// onto settings that already hold the built-in defaults, or for a job the policy's defaults:
// maps merge key by key, lists and scalars replace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policies/policy.hpp"
#include "reader.hpp"

namespace policies::detail {

// The keys of JobSettings as written in a policy.
const std::vector<std::string_view>& setting_keys();

// Applies one key of `defaults:` or of a job (one of setting_keys()) to `settings`.
void apply_setting(Reader& reader, const std::string& key, const YAML::Node& value,
                   const std::string& path, JobSettings& settings);

// The sections, one file each.
void apply_filesystem(Reader& reader, const YAML::Node& node, const std::string& path,
                      Filesystem& filesystem);
void apply_limits(Reader& reader, const YAML::Node& node, const std::string& path, Limits& limits);
void apply_network(Reader& reader, const YAML::Node& node, const std::string& path,
                   Network& network);
void apply_seccomp(Reader& reader, const YAML::Node& node, const std::string& path,
                   Seccomp& seccomp);

}  // namespace policies::detail

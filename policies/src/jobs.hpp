// Reading `tenants:` and `jobs:` entries (the keys only a job or tenant has), on top of the
// shared settings in settings.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policies/policy.hpp"
#include "reader.hpp"

namespace policies::detail {

inline constexpr uint64_t max_share = 10000;  // the kernel's largest weight (v2 cpu.weight)

void apply_shares(Reader& reader, const YAML::Node& node, const std::string& path, Shares& shares);
// `output: inherit`, `output: prefix` or `output: {file: "logs/{name}.log"}`.
void apply_output(Reader& reader, const YAML::Node& node, const std::string& path, Output& output);

std::vector<Tenant> read_tenants(Reader& reader, const YAML::Node& node, const std::string& path);

// What a job starts from before its own keys are applied.
struct JobDefaults {
  const JobSettings& settings;
  const Output& output;
};

// One entry of `jobs:`. Reports and returns nullopt when the entry is not a map.
std::optional<Job> read_job(Reader& reader, const YAML::Node& node, const std::string& path,
                            const JobDefaults& defaults, const std::vector<Tenant>& tenants);

// Replaces "{name}" in an output path with the job's name.
std::string expand_output_path(const std::string& path, const std::string& job_name);

}  // namespace policies::detail

// The effective policy as JSON and as text, for `sandbox explain`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "policies/policy.hpp"

namespace sandbox::cli {

nlohmann::json shares_to_json(const policies::Shares& shares);
nlohmann::json job_to_json(const policies::Job& job);
std::string describe_shares(const nlohmann::json& shares);  // "cpu 75, net 75"
void print_job_text(const policies::Job& job, std::optional<double> cpu_share_requested);

// Human units, as a policy would write them: "512MiB", "1.5s", "100mbit".
std::string format_size(uint64_t bytes);
std::string format_duration(std::chrono::milliseconds duration);
std::string format_rate(uint64_t bits_per_second);

}  // namespace sandbox::cli

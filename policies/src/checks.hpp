// Checks that span several keys or jobs, run once every job is resolved: namespaces the other
// settings need, limits that contradict each other, commands that cannot be found, shares the
// kernel cannot represent, names and resources that two jobs would both claim.
#pragma once

#include "policies/policy.hpp"
#include "reader.hpp"

namespace policies::detail {

void check_policy(Reader& reader, const Policy& policy);

// The same command checks, for a command that comes from the command line. Empty when fine.
std::string check_command(const std::vector<std::string>& command, const JobSettings& settings);

}  // namespace policies::detail

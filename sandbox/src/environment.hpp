// The job's environment: only what the policy says, plus the caller's variables it names.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sandbox {

// "KEY=VALUE" strings, sorted by key. A name in `inherit` that the caller has overrides the
// policy's value (it was asked for explicitly); one the caller lacks is left out.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& env,
                                           const std::vector<std::string>& inherit,
                                           const char* const* caller_environ);

// The value of `name` in a "KEY=VALUE" list, or empty.
std::string environment_value(const std::vector<std::string>& environment, const std::string& name);

}  // namespace sandbox

#include "environment.hpp"

#include <cstring>

namespace sandbox {

std::vector<std::string> build_environment(const std::map<std::string, std::string>& env,
                                           const std::vector<std::string>& inherit,
                                           const char* const* caller_environ) {
  std::map<std::string, std::string> merged = env;
  for (const auto& name : inherit) {
    for (const char* const* entry = caller_environ; entry && *entry; ++entry) {
      const size_t length = name.size();
      if (std::strncmp(*entry, name.c_str(), length) == 0 && (*entry)[length] == '=') {
        merged[name] = *entry + length + 1;
        break;
      }
    }
  }
  std::vector<std::string> result;
  result.reserve(merged.size());
  for (const auto& [key, value] : merged) {
    result.push_back(std::string(key).append("=").append(value));
  }
  return result;
}

std::string environment_value(const std::vector<std::string>& environment,
                              const std::string& name) {
  for (const auto& entry : environment) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return {};
}

}  // namespace sandbox

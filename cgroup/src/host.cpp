#include "cgroup/cgroup.hpp"

namespace cgroup {

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::unified: return "unified";
    case Layout::hybrid: return "hybrid";
    case Layout::legacy: return "legacy";
  }
  return "?";
}

}  // namespace cgroup

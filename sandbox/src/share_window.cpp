#include "share_window.hpp"

namespace sandbox {

void ShareWindow::sample(const std::vector<uint64_t>& cpu) {
  if (closed_ || cpu.size() != first_.size()) return;
  if (samples_ == 0) first_ = cpu;
  last_ = cpu;
  ++samples_;
}

std::optional<double> ShareWindow::achieved(size_t member) const {
  if (samples_ < 2 || member >= first_.size()) return std::nullopt;
  uint64_t total = 0;
  for (size_t i = 0; i < first_.size(); ++i) {
    total += last_[i] >= first_[i] ? last_[i] - first_[i] : 0;
  }
  if (total == 0) return std::nullopt;
  const uint64_t own = last_[member] >= first_[member] ? last_[member] - first_[member] : 0;
  return static_cast<double>(own) / static_cast<double>(total);
}

}  // namespace sandbox

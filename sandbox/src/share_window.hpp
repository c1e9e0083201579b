// Achieved CPU shares of a set of siblings (jobs of one tenant, or the run's tenants and
// tenant-less jobs): each member's CPU time over the siblings' total, counted only over the
// window in which all of them were running (so a sibling that finished early or started late does
// not distort it). Pure logic; the supervisor feeds it cgroup CPU readings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sandbox {

class ShareWindow {
 public:
  explicit ShareWindow(size_t members) : first_(members), last_(members) {}

  // CPU usage (any unit, cumulative) of every member, taken while all of them were running. The
  // first sample opens the window, each later one extends it.
  void sample(const std::vector<uint64_t>& cpu);
  // Closes the window for good (a member stopped): later samples are ignored.
  void close() { closed_ = true; }
  bool closed() const { return closed_; }
  size_t members() const { return first_.size(); }

  // Member's share of the siblings' CPU time in the window; nullopt before two samples or when
  // nobody used any CPU.
  std::optional<double> achieved(size_t member) const;

 private:
  std::vector<uint64_t> first_, last_;
  size_t samples_ = 0;
  bool closed_ = false;
};

}  // namespace sandbox

// cgroup v2 subtree_control handling, and our own v2 cgroup lent to run groups: controllers are
// enabled in it for them (moving this process into a `supervisor` leaf when the "no internal
// processes" rule demands it) and, when the last run group is gone, it is restored as it was
// found. Supervisors sharing our cgroup hold a shared flock on it while they use it, so that what a
// killed one left can be told from what a live one needs. Internal.
#pragma once

#include <string>
#include <vector>

namespace cgroup {

// Enables `controllers` for the children of the v2 group `dir` (those not enabled yet). Returns 0
// or the errno of the write (EBUSY: the group has processes). Appends what it enabled to `enabled`.
int enable_controllers(int dir, const std::string& where,
                       const std::vector<std::string>& controllers,
                       std::vector<std::string>* enabled = nullptr);

// Throws Error for a failed enable_controllers, explaining EBUSY.
[[noreturn]] void throw_enable_failed(const std::string& where, int err);

// Enables `controllers` in our own v2 cgroup `where` for one more run group. Thread-safe.
void acquire_our_cgroup(const std::string& where, const std::vector<std::string>& controllers);
// One run group fewer; after the last one the controllers we enabled are disabled again, this
// process moves back from the supervisor leaf and the leaf is removed. Best effort: when another
// process still needs them, they are left. Never throws.
void release_our_cgroup() noexcept;

// Puts back the v2 cgroup `where` (absolute) that a killed supervisor left lent: when no live
// supervisor holds a lease on it (a flock taken by acquire_our_cgroup, dropped by the kernel at
// the owner's death) and nothing but the `supervisor` leaf lives below it, disables every
// controller in its subtree_control, moves the leaf's processes back into it and removes the
// leaf. Returns true when it removed the leaf. Throws Error when a step fails.
bool collect_abandoned_leaf(const std::string& where);

}  // namespace cgroup

// create_run's refusals on the real kernel: what each says and that it takes nothing that is not
// its own. create_run makes each run group by its path and opens its parent only when mkdir fails,
// to tell the causes apart.
#include <string>

#include "support.hpp"

namespace cgroup::testing {
namespace {

// The message of the Error `make` throws, or "" (with a failure) when it throws none.
template <typename Make>
std::string refusal(Make make) {
  try {
    make();
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

TEST(CgroupRefusal, SecondRunGroupOfTheSameNameExistsAlreadyAndLeavesTheFirst) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  // One process, one name: the same sb-<pid>-<starttime>-<name> directory.
  auto first = Group::create_run(host, "refusal-twice");
  const std::vector<std::string> dirs = directories(host, *first);
  const std::string message = refusal([&] { Group::create_run(host, "refusal-twice"); });
  EXPECT_NE(message.find("cgroup "), std::string::npos) << message;
  EXPECT_NE(message.find("/" + first->name() + " exists already"), std::string::npos) << message;
  for (const std::string& dir : dirs) {
    EXPECT_TRUE(exists(dir)) << dir << " was removed by the refused second group";
  }
  first.reset();
  for (const std::string& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir;
  }
}

TEST(CgroupRefusal, MissingParentIsNamedAsTheDirectoryThatCannotBeOpened) {
  SKIP_UNLESS_ROOT();
  const Host host = detect();
  const std::string message =
      refusal([&] { Group::create_run(host, "refusal-orphan", "no-such-parent"); });
  EXPECT_TRUE(message.starts_with("open /")) << message;
  EXPECT_NE(message.find("/no-such-parent: No such file or directory"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace cgroup::testing

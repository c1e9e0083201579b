#include "share_window.hpp"

#include <gtest/gtest.h>

namespace sandbox {
namespace {

TEST(ShareWindow, NothingBeforeTwoSamples) {
  ShareWindow window(2);
  EXPECT_FALSE(window.achieved(0));
  window.sample({100, 100});
  EXPECT_FALSE(window.achieved(0));
}

TEST(ShareWindow, CountsOnlyTheWindowNotTheTimeBefore) {
  ShareWindow window(2);
  // Before the window opened, member 0 ran alone for a long time: that must not count.
  window.sample({10000, 0});
  window.sample({10750, 250});
  window.sample({11500, 500});
  EXPECT_DOUBLE_EQ(*window.achieved(0), 0.75);
  EXPECT_DOUBLE_EQ(*window.achieved(1), 0.25);
}

TEST(ShareWindow, ClosedWindowIgnoresLaterSamples) {
  ShareWindow window(2);
  window.sample({0, 0});
  window.sample({50, 50});
  window.close();
  window.sample({1000, 50});  // one sibling alone: not a shared window any more
  EXPECT_TRUE(window.closed());
  EXPECT_DOUBLE_EQ(*window.achieved(0), 0.5);
}

TEST(ShareWindow, NoCpuUsedMeansNoShare) {
  ShareWindow window(3);
  window.sample({5, 5, 5});
  window.sample({5, 5, 5});
  EXPECT_FALSE(window.achieved(1));
}

TEST(ShareWindow, ThreeSiblings) {
  ShareWindow window(3);
  window.sample({0, 0, 0});
  window.sample({500, 300, 200});
  EXPECT_DOUBLE_EQ(*window.achieved(0), 0.5);
  EXPECT_DOUBLE_EQ(*window.achieved(1), 0.3);
  EXPECT_DOUBLE_EQ(*window.achieved(2), 0.2);
  EXPECT_FALSE(window.achieved(3));
}

TEST(ShareWindow, SamplesOfTheWrongSizeAreIgnored) {
  ShareWindow window(2);
  window.sample({0, 0});
  window.sample({1, 2, 3});
  EXPECT_FALSE(window.achieved(0));
}

}  // namespace
}  // namespace sandbox

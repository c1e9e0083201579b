#include "line_prefixer.hpp"

#include <gtest/gtest.h>

namespace sandbox {
namespace {

TEST(LinePrefixer, PrefixesEveryCompleteLine) {
  LinePrefixer lines("[a] ");
  EXPECT_EQ(lines.feed("one\ntwo\n"), "[a] one\n[a] two\n");
  EXPECT_EQ(lines.pending(), 0u);
}

TEST(LinePrefixer, HoldsAPartialLineUntilItsNewline) {
  LinePrefixer lines("[a] ");
  EXPECT_EQ(lines.feed("par"), "");
  EXPECT_EQ(lines.feed("tial"), "");
  EXPECT_EQ(lines.feed(" line\nnext"), "[a] partial line\n");
  EXPECT_EQ(lines.pending(), 4u);
}

TEST(LinePrefixer, FinishTerminatesThePendingLine) {
  LinePrefixer lines("[b] ");
  lines.feed("no newline at the end");
  EXPECT_EQ(lines.finish(), "[b] no newline at the end\n");
  EXPECT_EQ(lines.finish(), "");
}

TEST(LinePrefixer, EmptyLinesArePrefixedToo) {
  LinePrefixer lines("[c] ");
  EXPECT_EQ(lines.feed("\n\n"), "[c] \n[c] \n");
}

TEST(LinePrefixer, CutsOverlongLinesSoBuffersStayBounded) {
  LinePrefixer lines("> ", 4);
  EXPECT_EQ(lines.feed("abcdefghij"), "> abcd\n> efgh\n");
  EXPECT_EQ(lines.pending(), 2u);
  EXPECT_EQ(lines.feed("\n"), "> ij\n");
}

TEST(LinePrefixer, ALineOfExactlyTheLimitIsKeptWhole) {
  LinePrefixer lines("> ", 4);
  EXPECT_EQ(lines.feed("abc\n"), "> abc\n");
  EXPECT_EQ(lines.feed("abcd"), "> abcd\n");
}

}  // namespace
}  // namespace sandbox

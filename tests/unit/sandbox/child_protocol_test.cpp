#include "child_protocol.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace sandbox {
namespace {

TEST(ChildProtocol, FailureRoundTripsThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  send(fds[1], ChildMessage::failure(125, "mount /data: source /x does not exist"));
  rusage children{};
  children.ru_utime = {2, 500000};
  children.ru_stime = {0, 1234};
  children.ru_maxrss = 4096;
  send(fds[1], ChildMessage::job_exited(3 << 8, children));
  close(fds[1]);
  auto first = receive(fds[0]);
  ASSERT_TRUE(first.message);
  EXPECT_EQ(first.message->kind, ChildMessage::Kind::failure);
  EXPECT_EQ(first.message->exit_code, 125);
  EXPECT_EQ(first.message->message(), "mount /data: source /x does not exist");
  auto second = receive(fds[0]);
  ASSERT_TRUE(second.message);
  EXPECT_EQ(second.message->kind, ChildMessage::Kind::job_exited);
  EXPECT_EQ(second.message->wait_status, 3 << 8);
  EXPECT_EQ(second.message->children_user_us, 2500000);
  EXPECT_EQ(second.message->children_system_us, 1234);
  EXPECT_EQ(second.message->children_max_rss_kb, 4096);
  EXPECT_TRUE(receive(fds[0]).end);
  close(fds[0]);
}

TEST(ChildProtocol, NothingYetIsNotTheEnd) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  const auto received = receive(fds[0]);
  EXPECT_FALSE(received.message);
  EXPECT_FALSE(received.end);
  close(fds[0]);
  close(fds[1]);
}

TEST(ChildProtocol, LongTextIsCutNotOverflowed) {
  const auto message = ChildMessage::failure(125, std::string(2000, 'x'));
  EXPECT_EQ(message.message().size(), sizeof(message.text) - 1);
}

TEST(ChildProtocol, ReleaseCarriesTheJobLink) {
  EXPECT_FALSE(Release::with(std::nullopt).link());
  const auto release = Release::with(net::JobLink{"eth0", "10.203.0.2/24", "10.203.0.1"});
  const auto link = release.link();
  ASSERT_TRUE(link);
  EXPECT_EQ(link->ifname, "eth0");
  EXPECT_EQ(link->address_cidr, "10.203.0.2/24");
  EXPECT_EQ(link->gateway, "10.203.0.1");
}

}  // namespace
}  // namespace sandbox

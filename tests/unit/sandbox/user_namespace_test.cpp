#include "user_namespace.hpp"

#include <gtest/gtest.h>

#include "sandbox/sandbox.hpp"

namespace sandbox {
namespace {

policies::Identity identity(uint32_t uid, uint32_t gid, std::optional<uint32_t> host_uid = {},
                            std::optional<uint32_t> host_gid = {}) {
  policies::Identity id;
  id.uid = uid;
  id.gid = gid;
  id.host_uid = host_uid;
  id.host_gid = host_gid;
  return id;
}

TEST(UserMapping, RootCallerMapsToNobodyByDefault) {
  const auto mapping = plan_user_mapping(identity(1000, 1000), false, 0, 0);
  EXPECT_EQ(mapping.uid.line(), "1000 65534 1\n");
  EXPECT_EQ(mapping.gid.line(), "1000 65534 1\n");
  EXPECT_FALSE(mapping.deny_setgroups);  // root keeps setgroups to drop its groups
}

TEST(UserMapping, RootInsideIsNotRootOutside) {
  const auto mapping = plan_user_mapping(identity(0, 0), false, 0, 0);
  EXPECT_EQ(mapping.uid.line(), "0 65534 1\n");
}

TEST(UserMapping, RootCallerMayChooseTheHostIds) {
  const auto mapping = plan_user_mapping(identity(1000, 100, 5000, 5001), false, 0, 0);
  EXPECT_EQ(mapping.uid.line(), "1000 5000 1\n");
  EXPECT_EQ(mapping.gid.line(), "100 5001 1\n");
}

TEST(UserMapping, HostRootOnlyWithMapRoot) {
  EXPECT_THROW(plan_user_mapping(identity(0, 0, 0, 0), false, 0, 0), Error);
  const auto mapping = plan_user_mapping(identity(0, 0, 0, 0), true, 0, 0);
  EXPECT_EQ(mapping.uid.line(), "0 0 1\n");
}

TEST(UserMapping, NonRootCallerMapsItsOwnIdsAndDeniesSetgroups) {
  const auto mapping = plan_user_mapping(identity(0, 0), false, 1234, 567);
  EXPECT_EQ(mapping.uid.line(), "0 1234 1\n");
  EXPECT_EQ(mapping.gid.line(), "0 567 1\n");
  EXPECT_TRUE(mapping.deny_setgroups);
}

TEST(UserMapping, NonRootCallerCannotMapAnotherUser) {
  try {
    plan_user_mapping(identity(0, 0, 99), false, 1234, 567);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, exit_code::invalid_policy);
    EXPECT_NE(std::string(e.what()).find("identity.host_uid 99"), std::string::npos);
  }
}

}  // namespace
}  // namespace sandbox

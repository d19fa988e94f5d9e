// serve/api_key.h: which Authorization headers carry the key.
#include "serve/api_key.h"

#include <gtest/gtest.h>

namespace berth::serve {
namespace {

TEST(ApiKey, OnlyTheExactBearerTokenIsAdmitted) {
  const ApiKey key("k3y-value");
  EXPECT_TRUE(key.required());
  EXPECT_TRUE(key.admits("Bearer k3y-value"));
  EXPECT_TRUE(key.admits("bearer k3y-value"));  // the scheme is case-insensitive (RFC 7235)
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer k3y-valu", "Bearer k3y-value2",
                          "Basic k3y-value", "k3y-value", "Bearer K3Y-VALUE"})
    EXPECT_FALSE(key.admits(bad)) << bad;
  EXPECT_TRUE(ApiKey().admits(""));  // no key: open
  EXPECT_FALSE(ApiKey().required());
}

TEST(ApiKey, ConstantTimeEquality) {
  EXPECT_TRUE(equal_in_constant_time("", ""));
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "ab"));
  EXPECT_FALSE(equal_in_constant_time("", "a"));
  EXPECT_FALSE(equal_in_constant_time(std::string("a\0b", 3), "a"));
}

}  // namespace
}  // namespace berth::serve

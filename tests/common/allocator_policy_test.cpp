// The heap policy: with it a freed large block is reused without new page faults (the cost a
// training step paid for its large buffers), without it the same block faults in again; and a
// user's own malloc tunables are left alone.
#include "common/allocator_policy.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace berth {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizedHeap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizedHeap = true;
#else
constexpr bool kSanitizedHeap = false;
#endif
#else
constexpr bool kSanitizedHeap = false;
#endif

constexpr size_t kBlock = 64u << 20;  // over glibc's largest own mmap threshold (32 MiB)
constexpr long kPages = static_cast<long>(kBlock / 4096);

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Page faults of touching a fresh kBlock allocation after one was allocated, touched and freed.
long faults_of_second_block() {
  auto touch = [] {
    char* p = static_cast<char*>(std::malloc(kBlock));
    std::memset(p, 1, kBlock);
    // Keeps the compiler from removing the malloc/memset/free triple as dead code.
    asm volatile("" : : "r"(p) : "memory");
    std::free(p);
  };
  touch();
  const long before = minor_faults();
  touch();
  return minor_faults() - before;
}

class AllocatorPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kSanitizedHeap) GTEST_SKIP() << "a sanitizer's allocator replaces glibc malloc";
    // The environment's own malloc settings (or BERTH_MALLOC=default) win: nothing to test.
    if (const AllocatorPolicy p = apply_allocator_policy(); !p.applied) GTEST_SKIP() << p.reason;
  }
  void TearDown() override { apply_allocator_policy(); }  // as berth runs
};

TEST_F(AllocatorPolicyTest, FreedLargeBlocksAreReusedWithoutPageFaults) {
  // Control: glibc's behaviour for such a block (mmap'd, returned on free) faults it in again.
  ASSERT_EQ(mallopt(M_MMAP_THRESHOLD, 128 << 10), 1);
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 128 << 10), 1);
  EXPECT_GT(faults_of_second_block(), kPages / 2) << "the control should fault every page in";

  const AllocatorPolicy p = apply_allocator_policy();
  ASSERT_TRUE(p.applied) << p.reason;
  EXPECT_EQ(allocator_policy().reason, p.reason);
  EXPECT_LT(faults_of_second_block(), kPages / 20) << "the freed block was not reused";
}

TEST_F(AllocatorPolicyTest, KeepsTheUsersOwnTunables) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=1048576", 1), 0);
  const AllocatorPolicy p = apply_allocator_policy();
  unsetenv("GLIBC_TUNABLES");
  EXPECT_FALSE(p.applied);
  EXPECT_NE(p.reason.find("environment"), std::string::npos) << p.reason;
}

TEST_F(AllocatorPolicyTest, BerthMallocDefaultKeepsGlibcsDefaults) {
  ASSERT_EQ(setenv("BERTH_MALLOC", "default", 1), 0);
  const AllocatorPolicy p = apply_allocator_policy();
  unsetenv("BERTH_MALLOC");
  EXPECT_FALSE(p.applied);
  EXPECT_NE(p.reason.find("BERTH_MALLOC=default"), std::string::npos) << p.reason;
}

}  // namespace
}  // namespace berth

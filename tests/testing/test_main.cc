// main() of every test binary (samrad_add_test): OpenSSL's state is kept for
// the process lifetime, as in the Samråd binaries (crypto/process_lifetime.h),
// then GoogleTest runs.
#include "crypto/process_lifetime.h"
#include "gtest/gtest.h"

int main(int argc, char** argv) {
  samrad::crypto::KeepOpenSslForProcessLifetime();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

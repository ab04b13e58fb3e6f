// CertificateExpiry (server/certificate_expiry.h) with an injected clock.
#include "server/certificate_expiry.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace samrad::server {
namespace {

class CertificateExpiryTest : public ::testing::Test {
 protected:
  std::vector<std::string> Expired() {
    std::lock_guard lock(mu_);
    return expired_;
  }
  // Waits up to 5 s (the thread wakes at least every second) for `n` calls.
  bool WaitFor(size_t n) {
    for (int i = 0; i < 500 && Expired().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Expired().size() >= n;
  }
  CertificateExpiry::OnExpired Record() {
    return [this](const std::string& serial, int64_t) {
      std::lock_guard lock(mu_);
      expired_.push_back(serial);
    };
  }
  std::atomic<int64_t> now_{1'000'000};
  std::mutex mu_;
  std::vector<std::string> expired_;
};

TEST_F(CertificateExpiryTest, ACertificateExpiresOnceWhenTheClockReachesItsNotAfter) {
  CertificateExpiry expiry([this] { return now_.load(); }, Record());
  expiry.Watch("0A", now_ + 60'000);
  expiry.Watch("0A", now_ + 1);  // one deadline per serial
  expiry.Watch("0B", now_ - 1);  // already past: at once
  ASSERT_TRUE(WaitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Expired(), std::vector<std::string>{"0B"});
  now_ += 60'000;  // the clock jumps
  ASSERT_TRUE(WaitFor(2));
  EXPECT_EQ(Expired(), (std::vector<std::string>{"0B", "0A"}));
}

TEST_F(CertificateExpiryTest, NothingExpiresAfterStop) {
  CertificateExpiry expiry([this] { return now_.load(); }, Record());
  expiry.Watch("0A", now_ + 10);
  expiry.Stop();
  expiry.Watch("0B", now_ - 1);
  now_ += 100;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(Expired().empty());
}

}  // namespace
}  // namespace samrad::server

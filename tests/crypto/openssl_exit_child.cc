// Child of process_lifetime_test: a thread that used OpenSSL (its error
// queue and both random generators) ends while the process exits, after
// OpenSSL's own atexit handler would have run. With `--keep` the process
// first calls KeepOpenSslForProcessLifetime(), as every Samråd process does.
// Under LeakSanitizer the process exits non-zero when that thread's OpenSSL
// state leaked.
#include <openssl/err.h>
#include <openssl/rand.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "crypto/process_lifetime.h"

namespace {

std::mutex mu;
std::condition_variable cv;
bool worker_used_openssl = false;
bool worker_may_end = false;
std::thread worker;

// Registered before OpenSSL initialises, so it runs after OpenSSL's atexit
// handler (handlers run in reverse order of registration) and before
// LeakSanitizer's check (registered when the sanitizer starts).
void EndWorkerAtExit() {
  {
    std::lock_guard<std::mutex> lock(mu);
    worker_may_end = true;
  }
  cv.notify_all();
  if (worker.joinable()) worker.join();
}

}  // namespace

int main(int argc, char** argv) {
  const bool keep = argc > 1 && std::strcmp(argv[1], "--keep") == 0;
  std::atexit(EndWorkerAtExit);
  if (keep) samrad::crypto::KeepOpenSslForProcessLifetime();
  worker = std::thread([] {
    uint8_t bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1 || RAND_priv_bytes(bytes, sizeof bytes) != 1) {
      std::abort();
    }
    ERR_clear_error();
    std::unique_lock<std::mutex> lock(mu);
    worker_used_openssl = true;
    cv.notify_all();
    cv.wait(lock, [] { return worker_may_end; });
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [] { return worker_used_openssl; });
  return 0;
}

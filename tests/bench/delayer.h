// Runs closures after a delay on one background thread. Used to pause a call
// slot after an error without blocking a gRPC thread, and to break the
// recursion of a call that fails synchronously. Thread-safe; the destructor
// runs nothing that is still pending and joins the thread.
#ifndef SAMRAD_TESTS_BENCH_DELAYER_H_
#define SAMRAD_TESTS_BENCH_DELAYER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace samrad::bench {

class Delayer {
 public:
  Delayer();
  ~Delayer();
  Delayer(const Delayer&) = delete;
  Delayer& operator=(const Delayer&) = delete;

  void RunAfter(std::chrono::steady_clock::duration delay, std::function<void()> fn);

 private:
  struct Item {
    std::chrono::steady_clock::time_point at;
    uint64_t order;
    std::function<void()> fn;
    bool operator>(const Item& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> items_;
  uint64_t next_order_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_DELAYER_H_

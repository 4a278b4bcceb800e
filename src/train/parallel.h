// Shared by the training commands: a tiny thread pool loop. Internal to src/train.
#pragma once
#include <atomic>
#include <thread>
#include <vector>

namespace calcscope::train_detail {

/// Runs `fn(i)` for i in [0, n) on `threads` threads (the caller's thread is one of them).
template <typename F>
void parallel_for(int n, int threads, F&& fn) {
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace calcscope::train_detail

// Shared by the training commands: a tiny thread pool loop, and writing a text file. Internal to src/train.
#pragma once
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <functional>

#include <nlohmann/json.hpp>

#include "calcscope/core/error.h"
#include "calcscope/detect/speck_net.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/train/train.h"

namespace calcscope::train_detail {

/// Runs `fn(i)` for i in [0, n) on `threads` threads (the caller's thread is one of them). The first
/// exception thrown by any `fn(i)` stops the remaining work and is rethrown here, on the caller's
/// thread, once every thread has finished (an exception leaving a worker thread would abort).
template <typename F>
void parallel_for(int n, int threads, F&& fn) {
  std::atomic<int> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto worker = [&] {
    for (int i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// Writes `text` to `path`; Error(OutputFailed) naming the file when it cannot.
inline void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot write", path.string());
  out << text;
}

/// Candidate labels (1, 0, -1 = left out) counted over every item's `labels`.
struct LabelCounts {
  std::size_t positive = 0, negative = 0, left_out = 0;
  std::string text() const {
    return std::to_string(positive) + " positive, " + std::to_string(negative) + " negative, " +
           std::to_string(left_out) + " left out";
  }
};
template <typename Items>
LabelCounts count_labels(const Items& items) {
  LabelCounts c;
  for (const auto& it : items)
    for (const float l : it.labels) (l > 0.5f ? c.positive : l < 0 ? c.left_out : c.negative)++;
  return c;
}

/// The candidate-patch network fitted for `calcscope train` (src/train/train_speck_net.cpp): the
/// network, its model-card entry and a one-line summary for the log.
struct SpeckNetFitResult {
  SpeckNet net;
  nlohmann::json card;
  std::string summary;
};
/// Phantom i of the network's training set (seed given): 70/100 um in turn, varied imaging every second pair.
PhantomSpec speck_net_phantom_spec(int i, std::uint64_t seed);
/// Fits the network on TrainOptions::speck_net_phantoms phantoms (speck_net_seed...); `log` gets each epoch.
SpeckNetFitResult fit_training_speck_net(const TrainOptions& o, const std::function<void(const std::string&)>& log);

}  // namespace calcscope::train_detail

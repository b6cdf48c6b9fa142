// Runs independent chunks of work on threads and rethrows the first failure on the calling thread.
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sparsebolt {

// Calls task(chunk) for every chunk in [0, chunks), one thread per chunk; the caller runs chunk 0.
template <class Task>
void run_chunks(std::size_t chunks, Task&& task) {
  if (chunks <= 1) {
    if (chunks == 1) task(std::size_t{0});
    return;
  }
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto guarded = [&](std::size_t chunk) {
    try {
      task(chunk);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(chunks - 1);
  for (std::size_t chunk = 1; chunk < chunks; ++chunk) workers.emplace_back(guarded, chunk);
  guarded(0);
  for (std::thread& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
}

// Splits items into at most `parts` contiguous ranges of roughly equal total weight.
// Returns the boundaries: range k is [bounds[k], bounds[k + 1]).
template <class Weight>
std::vector<std::size_t> split_by_weight(std::size_t items, std::size_t parts, Weight&& weight) {
  std::vector<std::size_t> bounds{0};
  if (items == 0) return {0, 0};
  if (parts > items) parts = items;
  double total = 0;
  for (std::size_t i = 0; i < items; ++i) total += static_cast<double>(weight(i)) + 1.0;
  const double per_part = total / static_cast<double>(parts);
  double running = 0;
  for (std::size_t i = 0; i < items && bounds.size() < parts; ++i) {
    running += static_cast<double>(weight(i)) + 1.0;
    if (running >= per_part * static_cast<double>(bounds.size())) bounds.push_back(i + 1);
  }
  bounds.push_back(items);
  return bounds;
}

}  // namespace sparsebolt

#include "serve/batcher.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "common/log.h"

namespace berth::serve {

using Clock = std::chrono::steady_clock;

int64_t padded_tokens(const std::vector<data::Example>& examples) {
  size_t longest = 0;
  for (const auto& e : examples) longest = std::max(longest, e.input_ids.size());
  return static_cast<int64_t>(examples.size() * longest);
}

std::vector<std::vector<size_t>> split_by_length(const std::vector<data::Example>& examples,
                                                 double max_padding) {
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return examples[a].input_ids.size() > examples[b].input_ids.size();
  });
  std::vector<std::vector<size_t>> out;
  int64_t longest = 0;
  int64_t real = 0;
  for (size_t i : order) {
    const auto len = static_cast<int64_t>(examples[i].input_ids.size());
    if (!out.empty()) {
      // Sorted longest first, so the sub-batch pads to its first example.
      const auto count = static_cast<int64_t>(out.back().size()) + 1;
      if (static_cast<double>(count * longest) <=
          (1.0 + max_padding) * static_cast<double>(real + len)) {
        out.back().push_back(i);
        real += len;
        continue;
      }
    }
    out.push_back({i});
    longest = len;
    real = len;
  }
  return out;
}

Batcher::Batcher(model::Predictor& predictor, BatchOptions options, Metrics& metrics)
    : predictor_(predictor), options_(options), metrics_(metrics) {}

void Batcher::announce() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++announced_;
}

void Batcher::withdraw() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --announced_;
  }
  cv_.notify_all();
}

std::vector<model::Prediction> Batcher::submit(std::vector<data::Example> examples) {
  Job job;
  job.longest = 0;
  for (const auto& e : examples)
    job.longest = std::max<int64_t>(job.longest, static_cast<int64_t>(e.input_ids.size()));
  job.examples = std::move(examples);
  job.queued = Clock::now();
  auto done = job.result.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --announced_;
    if (stopping_) throw Error("serve", "the server is stopping", "retry once it is back");
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();
  return done.get();
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Batcher::run() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, nothing left
      // Take requests while they fit; the first always does (the server refuses requests
      // larger than the budget on their own).
      auto fill = [&] {
        while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch_requests) {
          const Job& next = queue_.front();
          int64_t longest = next.longest;
          size_t texts = next.examples.size();
          for (const auto& j : batch) {
            longest = std::max(longest, j.longest);
            texts += j.examples.size();
          }
          if (!batch.empty() && static_cast<int64_t>(texts) * longest > options_.max_batch_tokens)
            return false;  // full
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        return static_cast<int>(batch.size()) < options_.max_batch_requests;
      };
      const auto deadline = Clock::now() + options_.max_wait;
      while (fill() && announced_ > 0 && !stopping_) {
        // Others are tokenizing and will queue within microseconds: worth a short wait.
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
          fill();
          break;
        }
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void Batcher::run_batch(std::vector<Job>& jobs) {
  const auto start = Clock::now();
  std::vector<data::Example> all;
  std::vector<size_t> counts;
  for (auto& j : jobs) {
    counts.push_back(j.examples.size());
    metrics_.queue_seconds.observe(std::chrono::duration<double>(start - j.queued).count());
    for (auto& e : j.examples) all.push_back(std::move(e));
  }
  try {
    std::vector<model::Prediction> preds(all.size());
    int64_t tokens = 0;
    for (const auto& part : split_by_length(all, options_.max_padding)) {
      std::vector<data::Example> sub;
      sub.reserve(part.size());
      for (size_t i : part) sub.push_back(all[i]);
      tokens += padded_tokens(sub);
      auto got = predictor_.predict_examples(sub);
      for (size_t k = 0; k < part.size(); ++k) preds[part[k]] = std::move(got[k]);
    }
    metrics_.inference_seconds.observe(std::chrono::duration<double>(Clock::now() - start).count());
    metrics_.batch_texts.observe(static_cast<double>(all.size()));
    metrics_.batch_tokens.observe(static_cast<double>(tokens));
    metrics_.batches += 1;
    metrics_.texts += static_cast<int64_t>(all.size());
    size_t next = 0;
    for (size_t k = 0; k < jobs.size(); ++k) {
      const size_t n = counts[k];
      std::vector<model::Prediction> mine(std::make_move_iterator(preds.begin() + next),
                                          std::make_move_iterator(preds.begin() + next + n));
      next += n;
      jobs[k].result.set_value(std::move(mine));
    }
  } catch (...) {
    // One bad batch answers its requests with the error; the worker keeps serving.
    log::get("serve")->error("a batch of {} texts failed", all.size());
    for (auto& j : jobs) j.result.set_exception(std::current_exception());
  }
}

}  // namespace berth::serve

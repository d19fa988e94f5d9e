// Per-text prediction latency through model::Predictor (what `berth predict --batch-size 1` runs
// per record: tokenize, one forward pass, softmax), for bench/predict_throughput.sh.
//
// usage: predict_latency CHECKPOINT_DIR TEXTS.txt [THREADS=0] [COUNT=500] [WARMUP=20]
//                        [PRECISION=fp32|bf16|int8]
// Times predictor.predict({text}) for COUNT lines of TEXTS.txt after WARMUP untimed calls on the
// lines before them (lines WARMUP.. WARMUP+COUNT-1, wrapping: the texts bench/serve_load.py
// times) and prints JSON: {"n", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "load_s"}.
// Built only with -DBERTH_BENCH=ON (bench/CMakeLists.txt).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "common/allocator_policy.h"
#include "common/error.h"
#include "model/predictor.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: predict_latency CHECKPOINT_DIR TEXTS.txt [THREADS=0] [COUNT=500] "
                 "[WARMUP=20] [PRECISION=fp32|bf16|int8]\n";
    return 2;
  }
  berth::apply_allocator_policy();  // as berth's main: the two sides of serve_load's pairs
  try {
    berth::model::PredictorOptions o;
    o.model_dir = argv[1];
    o.threads = argc > 3 ? std::stoi(argv[3]) : 0;
    o.batch_size = 1;
    o.window_batches = 1;
    const size_t count = argc > 4 ? std::stoul(argv[4]) : 500;
    const size_t warmup = argc > 5 ? std::stoul(argv[5]) : 20;
    // As `berth predict --precision`: int8 is fp32 with int8 Linear weights, bf16 autocast.
    const std::string precision = argc > 6 ? argv[6] : "fp32";
    // BERTH_PACK_FP32=0: fp32 through at::linear, as before model/packed_gemm.h (A/B runs).
    const char* pack = std::getenv("BERTH_PACK_FP32");
    o.pack_fp32_weights = pack == nullptr || std::string(pack) != "0";
    if (precision == "int8") o.precision = berth::InferencePrecision::kInt8;
    if (precision == "bf16") o.precision = berth::InferencePrecision::kBf16;
    if (precision != "fp32" && precision != "bf16" && precision != "int8")
      throw std::runtime_error("PRECISION: use fp32, bf16 or int8, not " + precision);
    std::vector<std::string> texts;
    std::ifstream in(argv[2]);
    for (std::string line; std::getline(in, line);) texts.push_back(line);
    if (texts.empty()) throw std::runtime_error(std::string("no texts in ") + argv[2]);

    berth::model::Predictor predictor(o);
    std::vector<double> ms;
    auto timed = [&] {
      for (size_t i = 0; i < warmup; ++i) predictor.predict({texts[i % texts.size()]});
      for (size_t i = 0; i < count; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto p = predictor.predict({texts[(warmup + i) % texts.size()]});
        const auto t1 = std::chrono::steady_clock::now();
        if (p.size() != 1) throw std::runtime_error("expected one prediction");
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    };
    // BERTH_LATENCY_ON_THREAD=1 times the loop on a second thread, as berth serve's batch worker
    // runs it: isolates what the thread itself costs from what HTTP costs.
    const char* on_thread = std::getenv("BERTH_LATENCY_ON_THREAD");
    if (on_thread != nullptr && std::string(on_thread) == "1") {
      std::exception_ptr failed;
      std::thread worker([&] {
        try {
          timed();
        } catch (...) {
          failed = std::current_exception();
        }
      });
      worker.join();
      if (failed) std::rethrow_exception(failed);
    } else {
      timed();
    }
    double mean = 0;
    for (double m : ms) mean += m;
    mean /= static_cast<double>(ms.size());
    std::sort(ms.begin(), ms.end());
    auto pick = [&](double q) {
      return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
    };
    std::printf(
        "{\"n\": %zu, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"mean_ms\": %.3f, "
        "\"load_s\": %.3f}\n",
        ms.size(), pick(0.50), pick(0.90), pick(0.99), mean, predictor.stats().load_s);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "predict_latency: " << e.what() << "\n";
    return 1;
  }
}

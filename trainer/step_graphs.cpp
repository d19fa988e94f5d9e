#include "trainer/step_graphs.h"

#include <map>
#include <optional>

#include "common/error.h"
#include "common/log.h"

#ifdef BERTH_WITH_CUDA
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace berth::trainer {

#ifdef BERTH_WITH_CUDA

struct StepGraphs::Impl {
  at::Device device;
  int64_t warmup;
  c10::cuda::CUDAStream stream;
  std::optional<c10::cuda::CUDAStreamGuard> guard;
  struct Entry {
    at::Tensor input;
    int64_t seen = 0;
    std::unique_ptr<at::cuda::CUDAGraph> graph;
  };
  std::map<GraphShape, Entry> entries;
  bool enabled = true;
  std::string disabled_reason;
  int64_t graphs = 0, replays = 0;

  Impl(at::Device d, int64_t w)
      : device(d), warmup(w), stream(c10::cuda::getStreamFromPool(false, d.index())) {
    // Whatever set-up queued on the default stream (weights, optimizer state) is done before
    // the side stream touches it.
    c10::cuda::device_synchronize();
    guard.emplace(stream);
  }
  ~Impl() {
    // Queued steps finish before the stream is given up and the graphs' memory is released.
    try {
      stream.synchronize();
    } catch (...) {
    }
    entries.clear();
    guard.reset();
  }

  // Leaves no capture open on the stream after a failure inside one.
  void abort_capture() {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(stream.stream(), &status) == cudaSuccess &&
        status != cudaStreamCaptureStatusNone) {
      cudaGraph_t g = nullptr;
      if (cudaStreamEndCapture(stream.stream(), &g) == cudaSuccess && g) cudaGraphDestroy(g);
    }
    (void)cudaGetLastError();  // a failed capture leaves a (non-sticky) error behind
  }
};

StepGraphs::StepGraphs(at::Device device, int64_t warmup)
    : impl_(std::make_unique<Impl>(device, warmup)) {}

StepGraphs::~StepGraphs() = default;

bool StepGraphs::supported() {
  return true;
}

at::Tensor StepGraphs::input_buffer(const GraphShape& shape, int64_t numel) {
  auto& e = impl_->entries[shape];
  if (!e.input.defined() || e.input.numel() != numel)
    e.input = at::empty({numel}, at::TensorOptions().dtype(at::kLong).device(impl_->device));
  return e.input;
}

void StepGraphs::run(const GraphShape& shape, const std::function<void()>& step) {
  auto& s = *impl_;
  auto& e = s.entries[shape];
  e.seen += 1;
  if (!s.enabled || e.seen <= s.warmup) {
    step();
    return;
  }
  if (!e.graph) {
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    try {
      // Its own memory pool per graph: graphs of different shapes are replayed in any order,
      // which a shared pool only allows for graphs replayed in the order they were captured.
      graph->capture_begin();
      try {
        step();
      } catch (...) {
        s.abort_capture();
        throw;
      }
      graph->capture_end();
    } catch (const std::exception& ex) {
      s.abort_capture();
      graph.reset();
      s.enabled = false;
      s.disabled_reason = ex.what();
      auto nl = s.disabled_reason.find('\n');
      if (nl != std::string::npos) s.disabled_reason.resize(nl);
      log::get("trainer")->warn(
          "CUDA graph capture of a ({} x {}) step failed, training goes on without graphs: {} "
          "(set runtime.cuda_graphs = false to skip the attempt)",
          shape.batch, shape.seq, s.disabled_reason);
      step();  // nothing of the failed capture ran
      return;
    }
    e.graph = std::move(graph);
    s.graphs += 1;
    log::get("trainer")->debug("captured the step graph for batch {} x length {}{}", shape.batch,
                               shape.seq, shape.masked ? "" : " (no padding)");
  }
  e.graph->replay();
  s.replays += 1;
}

bool StepGraphs::enabled() const {
  return impl_->enabled;
}
int64_t StepGraphs::graphs() const {
  return impl_->graphs;
}
int64_t StepGraphs::replays() const {
  return impl_->replays;
}
const std::string& StepGraphs::disabled_reason() const {
  return impl_->disabled_reason;
}

#else  // no CUDA in this build: never constructed (supported() is false)

struct StepGraphs::Impl {};

StepGraphs::StepGraphs(at::Device, int64_t) {
  throw Error("trainer", "CUDA graphs need a build with CUDA", "set runtime.cuda_graphs = false");
}
StepGraphs::~StepGraphs() = default;
bool StepGraphs::supported() {
  return false;
}
at::Tensor StepGraphs::input_buffer(const GraphShape&, int64_t) {
  return {};
}
void StepGraphs::run(const GraphShape&, const std::function<void()>& step) {
  step();
}
bool StepGraphs::enabled() const {
  return false;
}
int64_t StepGraphs::graphs() const {
  return 0;
}
int64_t StepGraphs::replays() const {
  return 0;
}
const std::string& StepGraphs::disabled_reason() const {
  static const std::string none = "no CUDA in this build";
  return none;
}

#endif

}  // namespace berth::trainer

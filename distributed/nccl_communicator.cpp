#include "distributed/nccl_communicator.h"

#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"

namespace berth::distributed {

namespace {

Error comm_error(const std::string& message, const std::string& hint) {
  return Error("comm", message, hint, ExitCode::kDistributed);
}

ncclDataType_t nccl_type(at::ScalarType t, bool* ok) {
  *ok = true;
  switch (t) {
    case at::kFloat:
      return ncclFloat32;
    case at::kDouble:
      return ncclFloat64;
    case at::kHalf:
      return ncclFloat16;
    case at::kBFloat16:
      return ncclBfloat16;
    case at::kLong:
      return ncclInt64;
    case at::kInt:
      return ncclInt32;
    default:
      *ok = false;
      return ncclUint8;
  }
}

std::string describe(const at::Tensor& t) {
  return std::to_string(t.numel()) + " x " + std::string(c10::toString(t.scalar_type()));
}

void check_cuda(cudaError_t rc, const std::string& what) {
  if (rc != cudaSuccess) {
    throw comm_error(what + " failed: " + cudaGetErrorString(rc),
                     "the GPU or its driver failed; see the rank's log and nvidia-smi");
  }
}

}  // namespace

struct NcclCommunicator::Impl {
  std::unique_ptr<MpiCommunicator> mpi;
  int device = 0;
  ncclComm_t comm = nullptr;
  std::optional<c10::cuda::CUDAStream> stream;  // the communication stream
  std::mutex mu;       // NCCL calls may come from autograd's device thread and the main thread
  std::string broken;  // set once the communicator was aborted
  std::shared_ptr<spdlog::logger> log = log::get("comm");

  double timeout() const { return mpi->timeout(); }

  // Aborts the NCCL communicator (kernels waiting for a missing peer return) and remembers why.
  void abort_comm(const std::string& why) {
    if (!broken.empty()) return;
    broken = why;
    log->error("aborting the NCCL communicator: {}", why);
    if (comm) ncclCommAbort(comm);
    comm = nullptr;
  }

  void require_usable(const std::string& op) {
    if (!broken.empty()) {
      throw comm_error(op + " cannot start: the NCCL communicator was aborted (" + broken + ")",
                       "the job must be restarted (resume from the last checkpoint)");
    }
  }

  // Non-blocking communicators return ncclInProgress from calls that are still being
  // enqueued; wait until the communicator settles, with the deadline.
  void settle(ncclResult_t rc, const std::string& op) {
    const auto start = Clock::now();
    while (rc == ncclInProgress) {
      if (seconds_since(start) > timeout()) {
        std::string why = op + " was still being set up after " + std::to_string(timeout()) +
                          " s on rank " + std::to_string(mpi->rank());
        abort_comm(why);
        throw comm_error(why, "a rank did not join NCCL: see the other ranks' logs");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      ncclCommGetAsyncError(comm, &rc);
    }
    if (rc != ncclSuccess) {
      std::string why = op + " failed on rank " + std::to_string(mpi->rank()) + ": " +
                        ncclGetErrorString(rc) +
                        (ncclGetLastError(comm) ? std::string(" (") + ncclGetLastError(comm) + ")"
                                                : std::string());
      abort_comm(why);
      throw comm_error(why, "set NCCL_DEBUG=WARN for NCCL's own account; check the other ranks");
    }
  }

  // Waits on the host for `done` with the deadline, then orders the compute stream after it.
  void wait_event(cudaEvent_t done, const std::string& op, const std::string& detail) {
    const auto start = Clock::now();
    auto pause = std::chrono::microseconds(10);
    for (;;) {
      cudaError_t q = cudaEventQuery(done);
      if (q == cudaSuccess) break;
      if (q != cudaErrorNotReady) {
        cudaEventDestroy(done);
        check_cuda(q, op + " (cudaEventQuery)");
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!broken.empty()) {
        cudaEventDestroy(done);
        require_usable(op);
      }
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        std::string why = op + " (" + detail + ") failed asynchronously on rank " +
                          std::to_string(mpi->rank()) + ": " + ncclGetErrorString(async);
        abort_comm(why);
        throw comm_error(why, "set NCCL_DEBUG=WARN for NCCL's own account; check the other ranks");
      }
      double waited = seconds_since(start);
      if (waited > timeout()) {
        std::string why = op + " (" + detail + ") did not complete within " +
                          std::to_string(static_cast<int>(waited)) + " s on rank " +
                          std::to_string(mpi->rank()) + " of " + std::to_string(mpi->world_size()) +
                          " (NCCL cannot tell which rank is missing: the ranks whose logs show "
                          "no such timeout are the ones that stalled)";
        abort_comm(why);
        throw comm_error(why,
                         "raise runtime.comm_timeout_s only if a rank legitimately needs "
                         "longer between collectives");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(200));
    }
    auto compute = c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device));
    check_cuda(cudaStreamWaitEvent(compute.stream(), done, 0), "cudaStreamWaitEvent");
    cudaEventDestroy(done);
  }

  // Enqueues `launch` on the communication stream after the work already queued on the caller's
  // stream, and returns the event that marks its completion.
  template <typename Launch>
  cudaEvent_t enqueue(const at::Tensor& t, const std::string& op, Launch launch) {
    std::lock_guard<std::mutex> lock(mu);
    require_usable(op);
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    auto compute = c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device));
    cudaEvent_t ready = nullptr, done = nullptr;
    check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(ready, compute.stream()), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream->stream(), ready, 0), "cudaStreamWaitEvent");
    cudaEventDestroy(ready);  // the wait is already enqueued
    // The caching allocator must not hand this memory out again before the stream is done.
    c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), *stream);
    settle(launch(stream->stream()), op);
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(done, stream->stream()), "cudaEventRecord");
    return done;
  }

  void check_tensor(const at::Tensor& t, const std::string& op, ncclDataType_t* type) {
    bool ok = false;
    *type = nccl_type(t.scalar_type(), &ok);
    if (!ok || !t.is_contiguous() || t.device().index() != device) {
      throw Error("comm",
                  op + " over NCCL needs a contiguous floating or integer tensor on cuda:" +
                      std::to_string(device) + "; got " + describe(t) + " on " + t.device().str(),
                  "this is a bug in the caller");
    }
  }
};

namespace {
class NcclWork : public CommWork {
 public:
  NcclWork(NcclCommunicator::Impl* impl, cudaEvent_t done, std::string op, std::string detail,
           at::Tensor keep)
      : impl_(impl),
        done_(done),
        op_(std::move(op)),
        detail_(std::move(detail)),
        keep_(std::move(keep)) {}
  ~NcclWork() override {
    if (done_) cudaEventDestroy(done_);
  }
  void wait() override {
    if (!done_) return;
    cudaEvent_t e = done_;
    done_ = nullptr;
    impl_->wait_event(e, op_, detail_);
  }

 private:
  NcclCommunicator::Impl* impl_;
  cudaEvent_t done_;
  std::string op_, detail_;
  at::Tensor keep_;  // the buffer stays alive until the collective is done
};
}  // namespace

NcclCommunicator::NcclCommunicator(std::unique_ptr<MpiCommunicator> mpi, int device_index)
    : impl_(std::make_unique<Impl>()) {
  impl_->mpi = std::move(mpi);
  set_placement(impl_->mpi->placement());
  impl_->device = device_index;
  set_device(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device_index)));
  try {
    init();
  } catch (const std::exception& e) {
    // The MPI communicator dies with this half-built object, and the other ranks wait in NCCL's
    // bootstrap: say why here, then end the whole job.
    std::fprintf(stderr, "berth: error: %s\n", e.what());
    auto code = dynamic_cast<const Error*>(&e) ? dynamic_cast<const Error*>(&e)->code()
                                               : ExitCode::kDistributed;
    impl_->mpi->abort_job(static_cast<int>(code));
  }
}

void NcclCommunicator::init() {
  auto& s = *impl_;
  const int device_index = s.device;
  if (runtime_version() != header_version()) {
    s.log->warn("NCCL library {} differs from the headers Berth was built with ({})",
                runtime_version(), header_version());
  }
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device_index));
  s.stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/true,
                                          static_cast<c10::DeviceIndex>(device_index));
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  if (s.mpi->rank() == 0) {
    ncclResult_t rc = ncclGetUniqueId(&id);
    if (rc != ncclSuccess) {
      throw comm_error(std::string("ncclGetUniqueId failed: ") + ncclGetErrorString(rc),
                       "check the network interfaces NCCL may use (NCCL_SOCKET_IFNAME)");
    }
  }
  std::string bytes(reinterpret_cast<const char*>(&id), sizeof id);
  s.mpi->broadcast_string(bytes, 0);
  std::memcpy(&id, bytes.data(), sizeof id);

  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  std::lock_guard<std::mutex> lock(s.mu);
  ncclResult_t rc =
      ncclCommInitRankConfig(&s.comm, s.mpi->world_size(), id, s.mpi->rank(), &config);
  if (rc != ncclSuccess && rc != ncclInProgress) {
    throw comm_error(std::string("ncclCommInitRankConfig failed: ") + ncclGetErrorString(rc),
                     "set NCCL_DEBUG=WARN for NCCL's own account");
  }
  s.settle(rc, "ncclCommInitRankConfig");
  s.log->debug("NCCL {} communicator on cuda:{}, rank {} of {}", runtime_version(), device_index,
               s.mpi->rank(), s.mpi->world_size());
}

NcclCommunicator::~NcclCommunicator() {
  auto& s = *impl_;
  if (s.comm && s.broken.empty()) {
    // Finalize flushes outstanding work; a failure there only leaves abort.
    ncclResult_t rc = ncclCommFinalize(s.comm);
    try {
      s.settle(rc, "ncclCommFinalize");
      ncclCommDestroy(s.comm);
    } catch (const Error&) {
      // settle() aborted the communicator and logged why.
    }
  } else if (s.comm) {
    ncclCommAbort(s.comm);
  }
  s.comm = nullptr;
}

void NcclCommunicator::set_timeout(double seconds) {
  impl_->mpi->set_timeout(seconds);  // NCCL's deadline reads the MPI one
}
void NcclCommunicator::abort_job(int code) {
  impl_->mpi->abort_job(code);
  std::abort();  // not reached (MPI_Abort ends the process)
}
MpiCommunicator& NcclCommunicator::mpi() {
  return *impl_->mpi;
}
int NcclCommunicator::device_index() const {
  return impl_->device;
}

int NcclCommunicator::runtime_version() {
  int v = 0;
  ncclGetVersion(&v);
  return v;
}

int NcclCommunicator::header_version() {
  return NCCL_VERSION_CODE;
}

std::unique_ptr<CommWork> NcclCommunicator::all_reduce_sum(at::Tensor& t) {
  if (t.device().is_cpu()) return impl_->mpi->all_reduce_sum(t);
  ncclDataType_t type;
  impl_->check_tensor(t, "all_reduce_sum", &type);
  auto s = &*impl_;
  cudaEvent_t done = s->enqueue(t, "all_reduce_sum", [&](cudaStream_t stream) {
    return ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), type, ncclSum,
                         s->comm, stream);
  });
  return std::make_unique<NcclWork>(s, done, "all_reduce_sum", describe(t), t);
}

void NcclCommunicator::broadcast(at::Tensor& t, int root) {
  if (t.device().is_cpu()) return impl_->mpi->broadcast(t, root);
  ncclDataType_t type;
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  impl_->check_tensor(buf, "broadcast", &type);
  auto s = &*impl_;
  cudaEvent_t done = s->enqueue(buf, "broadcast", [&](cudaStream_t stream) {
    return ncclBroadcast(buf.data_ptr(), buf.data_ptr(), static_cast<size_t>(buf.numel()), type,
                         root, s->comm, stream);
  });
  NcclWork(s, done, "broadcast", describe(buf) + " from rank " + std::to_string(root), buf).wait();
  if (!buf.is_same(t)) t.copy_(buf);
}

void NcclCommunicator::broadcast_string(std::string& s, int root) {
  impl_->mpi->broadcast_string(s, root);
}

void NcclCommunicator::barrier() {
  // A one-element all-reduce waited on the host: every rank's GPU work before it is done too.
  auto one = at::ones({1}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, impl_->device));
  all_reduce_sum(one)->wait();
}

bool NcclCommunicator::any(bool flag) {
  return impl_->mpi->any(flag);
}

}  // namespace berth::distributed

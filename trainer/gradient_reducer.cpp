#include "trainer/gradient_reducer.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>
#include <mutex>

namespace berth::trainer {

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<size_t> members;  // indices into params
    at::Tensor flat;              // fp32 buffer, sum of member numels
    size_t pending = 0;
    std::unique_ptr<CommWork> work;
  };
  std::vector<at::Tensor> params;
  Communicator* comm;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;  // param index -> bucket
  std::vector<size_t> offset_of;  // param index -> offset in its bucket
  std::vector<bool> ready;
  bool sync = false;
  bool active = false;
  double wait_seconds = 0;
  std::mutex mu;  // autograd may run hooks from several threads

  void launch(Bucket& b) {
    for (size_t i : b.members) {
      auto g = params[i].grad();
      b.flat.narrow(0, offset_of[i], params[i].numel()).copy_(g.reshape(-1));
    }
    b.work = comm->all_reduce_sum(b.flat);
  }

  void on_grad_ready(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    if (!active || !sync || ready[i]) return;
    ready[i] = true;
    auto& b = buckets[bucket_of[i]];
    if (--b.pending == 0) launch(b);
  }
};

namespace {
class ReadyHook : public torch::autograd::PostAccumulateGradHook {
 public:
  ReadyHook(GradientReducer::Impl* impl, size_t index) : impl_(impl), index_(index) {}
  void operator()(const torch::autograd::Variable&) override;

 private:
  GradientReducer::Impl* impl_;
  size_t index_;
};
}  // namespace

GradientReducer::GradientReducer(std::vector<at::Tensor> params, Communicator& comm,
                                 double bucket_mb, double first_bucket_mb)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.params = std::move(params);
  s.comm = &comm;
  s.bucket_of.resize(s.params.size());
  s.offset_of.resize(s.params.size());
  s.ready.resize(s.params.size());
  // Backward produces gradients roughly in reverse registration order (classifier first).
  double limit = first_bucket_mb * 1e6;
  size_t bytes = 0;
  for (size_t k = s.params.size(); k-- > 0;) {
    size_t nbytes = s.params[k].numel() * sizeof(float);
    if (s.buckets.empty() || (bytes > 0 && bytes + nbytes > limit)) {
      if (!s.buckets.empty()) limit = bucket_mb * 1e6;
      s.buckets.emplace_back();
      bytes = 0;
    }
    s.bucket_of[k] = s.buckets.size() - 1;
    s.offset_of[k] = bytes / sizeof(float);
    s.buckets.back().members.push_back(k);
    bytes += nbytes;
  }
  for (auto& b : s.buckets) {
    int64_t n = 0;
    for (size_t i : b.members) n += s.params[i].numel();
    b.flat = at::zeros({n}, s.params[b.members[0]].options().dtype(at::kFloat));
  }
  if (comm.world_size() > 1) {
    for (size_t i = 0; i < s.params.size(); ++i) {
      // Post-accumulate hooks fire once the .grad of a leaf is final for this backward pass.
      torch::autograd::impl::set_post_acc_grad_hooks(
          s.params[i], std::make_unique<ReadyHook>(impl_.get(), i));
    }
  }
}

GradientReducer::~GradientReducer() {
  for (auto& p : impl_->params) {
    if (impl_->comm->world_size() > 1) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
  }
}

namespace {
void ReadyHook::operator()(const torch::autograd::Variable&) { impl_->on_grad_ready(index_); }
}  // namespace

void GradientReducer::prepare(bool sync) {
  auto& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.sync = sync;
  s.active = s.comm->world_size() > 1;
  std::fill(s.ready.begin(), s.ready.end(), false);
  for (auto& b : s.buckets) b.pending = b.members.size();
}

void GradientReducer::finish() {
  auto& s = *impl_;
  if (!s.active || !s.sync) return;
  auto t0 = std::chrono::steady_clock::now();
  for (auto& b : s.buckets) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (!b.work) {
        // A parameter got no gradient this step (unused): zero-fill so all ranks still reduce.
        for (size_t i : b.members)
          if (!s.params[i].grad().defined()) s.params[i].mutable_grad() = at::zeros_like(s.params[i]);
        b.pending = 0;
        s.launch(b);
      }
    }
    b.work->wait();
    b.work.reset();
    for (size_t i : b.members) {
      s.params[i].mutable_grad().copy_(
          b.flat.narrow(0, s.offset_of[i], s.params[i].numel()).view_as(s.params[i]));
    }
  }
  s.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.active = false;
}

double GradientReducer::take_wait_seconds() {
  double w = impl_->wait_seconds;
  impl_->wait_seconds = 0;
  return w;
}

size_t GradientReducer::num_buckets() const { return impl_->buckets.size(); }

}  // namespace berth::trainer

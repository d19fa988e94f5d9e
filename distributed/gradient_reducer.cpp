#include "distributed/gradient_reducer.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/error.h"
#include "common/log.h"
#include "distributed/row_sparse_reduction.h"

namespace berth::distributed {

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<size_t> members;  // indices into params
    at::Tensor flat;              // fp32 buffer, sum of member numels
    size_t pending = 0;
    std::unique_ptr<CommWork> work;
  };
  struct Sparse {
    std::unique_ptr<RowSparseReduction> reduction;
    bool ready = false;  // its gradient is final for this backward
  };
  std::vector<at::Tensor> params;
  Communicator* comm;
  std::vector<Bucket> buckets;
  std::map<size_t, Sparse> sparse;  // param index -> its reduction (distributed runs only)
  std::vector<size_t> bucket_of;    // param index -> bucket
  std::vector<size_t> offset_of;    // param index -> offset in its bucket
  std::vector<bool> ready;
  size_t buckets_launched = 0;
  bool sync = false;
  bool active = false;
  bool new_step = true;  // the next note_rows/prepare starts an optimizer step
  double wait_seconds = 0;
  int64_t sparse_rows = 0;
  std::mutex mu;  // autograd may run hooks from several threads
  // At debug level, when each collective started and was waited for (seconds since prepare()).
  std::shared_ptr<spdlog::logger> log = log::get("reducer");
  bool trace = false;
  std::string timeline;
  std::chrono::steady_clock::time_point prepared;
  void note(const std::string& what) {
    if (!trace) return;
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - prepared).count();
    timeline += fmt::format(" {}@{:.3f}", what, t);
  }

  void launch(Bucket& b) {
    for (size_t i : b.members) {
      auto g = params[i].grad();
      b.flat.narrow(0, offset_of[i], params[i].numel()).copy_(g.reshape(-1));
    }
    b.work = comm->all_reduce_sum(b.flat);
    if (trace) note(fmt::format("start{}({:.1f}MB)", buckets_launched, b.flat.numel() * 4e-6));
    ++buckets_launched;
    launch_sparse();
  }

  // Row-sparse reductions go after every bucket: ranks must post collectives in one order, and
  // the buckets' order is the one backward fixes.
  void launch_sparse() {
    if (buckets_launched < buckets.size()) return;
    for (auto& [i, s] : sparse)
      if (s.ready && !s.reduction->launched()) {
        s.reduction->launch(params[i].grad());
        if (trace) note(fmt::format("start-sparse#{}({}rows)", i, s.reduction->last_rows()));
      }
  }

  void on_grad_ready(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    if (!active || !sync || ready[i]) return;
    ready[i] = true;
    auto it = sparse.find(i);
    if (it != sparse.end()) {
      it->second.ready = true;
      launch_sparse();
      return;
    }
    auto& b = buckets[bucket_of[i]];
    if (--b.pending == 0) launch(b);
  }

  void start_step() {
    if (!new_step) return;
    new_step = false;
    for (auto& [i, s] : sparse) s.reduction->reset();
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
                                 GradientReducerOptions options)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.params = std::move(params);
  s.comm = &comm;
  s.bucket_of.resize(s.params.size());
  s.offset_of.resize(s.params.size());
  s.ready.resize(s.params.size());
  if (comm.world_size() > 1) {
    for (size_t i : options.row_sparse) {
      if (i >= s.params.size() || s.params[i].dim() < 1) {
        throw Error("reducer", "row-sparse parameter #" + std::to_string(i) + " does not exist",
                    "this is a bug in the caller: name an embedding table's weight");
      }
      s.sparse[i].reduction =
          std::make_unique<RowSparseReduction>(s.params[i].size(0), s.params[i].device(), comm);
    }
  }
  // Backward produces gradients roughly in reverse registration order (classifier first).
  double limit = options.first_bucket_mb * 1e6;
  size_t bytes = 0;
  for (size_t k = s.params.size(); k-- > 0;) {
    if (s.sparse.count(k)) continue;
    size_t nbytes = s.params[k].numel() * sizeof(float);
    if (s.buckets.empty() || (bytes > 0 && bytes + nbytes > limit)) {
      if (!s.buckets.empty()) limit = options.bucket_mb * 1e6;
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
      torch::autograd::impl::set_post_acc_grad_hooks(s.params[i],
                                                     std::make_unique<ReadyHook>(impl_.get(), i));
    }
  }
}

GradientReducer::~GradientReducer() {
  for (auto& p : impl_->params) {
    if (impl_->comm->world_size() > 1) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
  }
}

namespace {
void ReadyHook::operator()(const torch::autograd::Variable&) {
  impl_->on_grad_ready(index_);
}
}  // namespace

void GradientReducer::note_rows(size_t param, const at::Tensor& ids) {
  auto& s = *impl_;
  auto it = s.sparse.find(param);
  if (it == s.sparse.end()) return;  // a single process, or not a row-sparse parameter
  std::lock_guard<std::mutex> lock(s.mu);
  s.start_step();
  it->second.reduction->note_rows(ids);
}

void GradientReducer::prepare(bool sync) {
  auto& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.start_step();
  s.sync = sync;
  s.active = s.comm->world_size() > 1;
  std::fill(s.ready.begin(), s.ready.end(), false);
  for (auto& b : s.buckets) b.pending = b.members.size();
  s.buckets_launched = 0;
  s.trace = s.active && sync && s.log->should_log(spdlog::level::debug);
  s.timeline.clear();
  s.prepared = std::chrono::steady_clock::now();
  if (s.active && sync) {
    for (auto& [i, sp] : s.sparse) {
      if (!sp.reduction->noted()) {
        throw Error("reducer",
                    "no ids were noted for row-sparse parameter #" + std::to_string(i) +
                        " in this optimizer step",
                    "this is a bug in the caller: call note_rows() before prepare() on every "
                    "micro-step");
      }
      sp.ready = false;
      // The union of the rows is summed while forward and backward run.
      sp.reduction->start_union();
    }
  }
}

void GradientReducer::finish() {
  auto& s = *impl_;
  s.new_step = true;
  if (!s.active || !s.sync) return;
  auto t0 = std::chrono::steady_clock::now();
  s.note("backward-done");
  size_t k = 0;
  for (auto& b : s.buckets) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (!b.work) {
        // A parameter got no gradient this step (unused): zero-fill so all ranks still reduce.
        for (size_t i : b.members)
          if (!s.params[i].grad().defined())
            s.params[i].mutable_grad() = at::zeros_like(s.params[i]);
        b.pending = 0;
        s.launch(b);
      }
    }
    b.work->wait();
    if (s.trace) s.note("done" + std::to_string(k++));
    b.work.reset();
    for (size_t i : b.members) {
      auto sum = b.flat.narrow(0, s.offset_of[i], s.params[i].numel()).view_as(s.params[i]);
      if (s.params[i].scalar_type() == at::kFloat)
        s.params[i].mutable_grad() = sum;  // a view: the bucket holds the sum already
      else
        s.params[i].mutable_grad().copy_(sum);
    }
  }
  s.sparse_rows = 0;
  for (auto& [i, sp] : s.sparse) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (!s.params[i].grad().defined()) s.params[i].mutable_grad() = at::zeros_like(s.params[i]);
      sp.ready = true;
    }
    sp.reduction->finish(s.params[i].mutable_grad());
    if (s.trace) s.note("done-sparse#" + std::to_string(i));
    s.sparse_rows += sp.reduction->last_rows();
  }
  s.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.active = false;
  if (s.trace) s.log->debug("gradient collectives (s since forward):{}", s.timeline);
}

double GradientReducer::take_wait_seconds() {
  double w = impl_->wait_seconds;
  impl_->wait_seconds = 0;
  return w;
}

size_t GradientReducer::num_buckets() const {
  return impl_->buckets.size();
}

int64_t GradientReducer::last_sparse_rows() const {
  return impl_->sparse_rows;
}

}  // namespace berth::distributed

// One optimizer step on this rank's micro-batches: forward, backward, the gradient reduction
// over ranks, loss scaling and the AdamW update, with one body whether it runs eagerly or as a
// replayed CUDA graph (step_graphs.h). Its ways of running are chosen once, at set-up: the
// gradient reducer (dense buckets, plus row-sparse embedding rows on CPU), the fused or unfused
// optimizer, graphs or not (flashlight's reducer strategies). Nothing in a step reads a value
// back from the device: the loss, the gradient norm and the fp16 skip flag stay there
// (step_loss(), grad_norm()), so a GPU is never left waiting for the CPU to launch work.
#pragma once

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/choices.h"
#include "data/batch.h"
#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "model/batch_tensors.h"
#include "model/sequence_classifier.h"
#include "trainer/adamw.h"
#include "trainer/loss_scaler.h"
#include "trainer/step_graphs.h"
#include "trainer/step_meter.h"
#include "trainer/train_config.h"
#include "trainer/training_loss.h"
#include "trainer/weight_ema.h"

namespace berth::trainer {

class StepRunner {
 public:
  // `class_weights`: (labels) float on the host, or undefined for none; `teacher`: the
  // distillation teacher (load_teacher in training_loss.h), or null.
  StepRunner(const TrainConfig& cfg, model::SequenceClassifier& model, ProblemType problem,
             at::Tensor class_weights, distributed::Communicator& comm, at::Device device,
             std::optional<at::ScalarType> autocast,
             std::shared_ptr<model::SequenceClassifier> teacher = nullptr);
  ~StepRunner();

  // CUDA graphs of whole steps where they can work (see the .cpp); logs why not otherwise.
  // Returns the multiple that batch lengths must be rounded up to (1 without graphs).
  int enable_graphs(int64_t max_position_embeddings, spdlog::logger& log);

  // Runs one optimizer step over `batches` (this rank's micro-batches) with loss normaliser
  // `normaliser` (the global example count or class-weight sum) at learning rate `lr`; host
  // times go into `meter`.
  void run(const std::vector<data::Batch>& batches, double normaliser, double lr, StepMeter& meter);

  // (2,) double on the device: the last step's loss and fp16 skip flag.
  const at::Tensor& step_loss() const { return step_loss_; }
  double grad_norm() const;  // the last step's; reads back from the device
  AdamW& optimizer() { return *optim_; }
  LossScaler& scaler() { return *scaler_; }
  // The weight average of train.ema_decay, or null when it is off.
  WeightEma* ema() { return ema_.get(); }
  const StepGraphs* graphs() const { return graphs_.get(); }
  const at::Device& device() const { return device_; }
  std::optional<at::ScalarType> autocast() const { return amp_; }

 private:
  using Input = std::function<model::BatchTensors(size_t)>;
  // The step itself, the same eagerly and under a graph: `input(m)` is micro-batch m on the
  // device.
  void body(size_t micro_batches, const Input& input, double lr, StepMeter& meter);
  void zero_grads();
  void forward_backward(const model::BatchTensors& t, StepMeter& meter);
  void optimizer_update(double lr);

  const TrainConfig& cfg_;
  model::SequenceClassifier& model_;
  ProblemType problem_;
  distributed::Communicator& comm_;
  at::Device device_;
  std::optional<at::ScalarType> amp_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<AdamW> optim_;
  std::unique_ptr<LossScaler> scaler_;
  std::unique_ptr<TrainingLoss> loss_;
  std::unique_ptr<WeightEma> ema_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
  std::optional<size_t> word_embeddings_;  // index into params_
  // Device-side step values: loss sum and skip flag (2,) double; the last gradient norm and the
  // loss normaliser, 0-dim float.
  at::Tensor step_loss_, grad_norm_, normaliser_;
  bool persistent_grads_ = false;  // .grad allocated once and zeroed per step (CUDA graphs)
  // Last member: destroyed first, it finishes the queued steps and restores the stream.
  std::unique_ptr<StepGraphs> graphs_;
};

}  // namespace berth::trainer

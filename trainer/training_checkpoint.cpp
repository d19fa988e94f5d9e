#include "trainer/training_checkpoint.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/file_read.h"
#include "common/log.h"
#include "model/decision_thresholds.h"
#include "model/pretrained.h"
#include "model/safetensors.h"

namespace berth::trainer {

namespace fs = std::filesystem;

namespace {
constexpr const char* kRawWeightsFile = "weights_raw.safetensors";

std::string read_all(const std::string& path, const std::string& what) {
  auto text = read_file(path);
  if (!text) {
    throw model_error("checkpoint", "cannot read " + path + " (" + what + ")",
                      "the checkpoint is incomplete; 'berth checkpoint verify' says more");
  }
  return *std::move(text);
}

std::string generator_bytes(at::Generator g) {
  auto t = g.get_state().contiguous();  // uint8
  return std::string(reinterpret_cast<const char*>(t.data_ptr<uint8_t>()), t.numel());
}

void set_generator_bytes(at::Generator g, const std::string& bytes) {
  auto t = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  g.set_state(t);
}
}  // namespace

std::string rng_state_bytes(const at::Device& device) {
  // Length-prefixed blocks: CPU generator, then the device's when it is not the CPU.
  std::string out;
  auto add = [&](const std::string& s) {
    uint64_t n = s.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += s;
  };
  add(generator_bytes(at::detail::getDefaultCPUGenerator()));
  if (!device.is_cpu()) add(generator_bytes(at::globalContext().defaultGenerator(device)));
  return out;
}

void restore_rng_state(const std::string& bytes, const at::Device& device,
                       const std::string& source) {
  size_t pos = 0;
  auto next = [&]() -> std::string {
    uint64_t n = 0;
    if (pos + sizeof n > bytes.size())
      throw model_error("checkpoint", source + " is truncated", "");
    std::memcpy(&n, bytes.data() + pos, sizeof n);
    pos += sizeof n;
    if (pos + n > bytes.size()) throw model_error("checkpoint", source + " is truncated", "");
    std::string s = bytes.substr(pos, n);
    pos += n;
    return s;
  };
  set_generator_bytes(at::detail::getDefaultCPUGenerator(), next());
  if (!device.is_cpu()) {
    if (pos >= bytes.size()) {
      log::get("trainer")->warn(
          "{} has no {} generator state (written on CPU?): dropout on "
          "this rank will not replay exactly",
          source, device.str());
      return;
    }
    set_generator_bytes(at::globalContext().defaultGenerator(device), next());
  }
}

void write_training_checkpoint(const std::string& dir, const CheckpointContents& c,
                               distributed::Communicator& comm, const at::Device& device) {
  // Every rank's RNG state reaches rank 0, one broadcast per rank (small, rare).
  std::vector<std::string> rng(comm.world_size());
  for (int r = 0; r < comm.world_size(); ++r) {
    std::string s = comm.rank() == r ? rng_state_bytes(device) : std::string();
    comm.broadcast_string(s, r);
    rng[r] = std::move(s);
  }
  if (comm.rank() != 0) return;
  model::save_pretrained(dir, *c.model, *c.model_config, *c.label_names, c.tokenizer_dir);
  model::write_safetensors(dir + "/optimizer.safetensors", c.optimizer->state(),
                           {{"steps", std::to_string(c.optimizer->steps_taken())}});
  if (c.ema) model::write_safetensors(dir + "/" + kRawWeightsFile, c.ema->raw_weights(), {});
  for (int r = 0; r < comm.world_size(); ++r)
    durable::write_file_durably(dir + "/rng-rank-" + std::to_string(r) + ".bin", rng[r]);
  durable::write_file_durably(dir + "/trainer_state.json", c.state->to_json().dump(2) + "\n");
  durable::write_file_durably(dir + "/config.toml", c.config->to_toml());
  if (c.thresholds && !c.thresholds->empty())
    durable::write_file_durably(
        dir + "/" + model::kThresholdsFile,
        model::thresholds_json(*c.label_names, *c.thresholds, {{"tuned_on", "dev"}}));
}

TrainState read_training_state(const std::string& dir) {
  std::string path = dir + "/trainer_state.json";
  return TrainState::parse(read_all(path, "trainer state"), path);
}

TrainConfig read_saved_config(const std::string& dir) {
  std::string path = dir + "/config.toml";
  return TrainConfig::parse(read_all(path, "saved config"), path);
}

void load_optimizer_state(const std::string& dir, AdamW& optimizer, int64_t steps) {
  model::SafetensorsFile f(dir + "/optimizer.safetensors");
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (const auto& e : f.entries()) state.emplace_back(e.name, f.load(e.name));
  optimizer.load_state(state, steps);
}

void load_weight_average(const std::string& dir, WeightEma& ema) {
  const std::string path = dir + "/" + kRawWeightsFile;
  if (!fs::exists(path)) {
    throw model_error("checkpoint",
                      dir + " has no " + kRawWeightsFile +
                          " although train.ema_decay is set: it was written without the average",
                      "resume with the train.ema_decay the run was started with, or start a new "
                      "run (--resume never)");
  }
  model::SafetensorsFile f(path);
  std::vector<std::pair<std::string, at::Tensor>> raw;
  for (const auto& e : f.entries()) raw.emplace_back(e.name, f.load(e.name));
  ema.restore(raw, path);
}

void restore_rank_rng(const std::string& dir, int rank, const at::Device& device) {
  std::string path = dir + "/rng-rank-" + std::to_string(rank) + ".bin";
  if (!fs::exists(path)) {
    // Resuming with more ranks than wrote the checkpoint: new ranks start from their seed.
    log::get("trainer")->warn(
        "{} does not exist (the checkpoint was written by fewer ranks); "
        "rank {} keeps its seeded generator",
        path, rank);
    return;
  }
  restore_rng_state(read_all(path, "generator state"), device, path);
}

}  // namespace berth::trainer

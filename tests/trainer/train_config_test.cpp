#include "trainer/train_config.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::trainer {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

const char* kMinimal = R"(
[data]
train = "train.csv"
batch_size = 16
[optim]
lr = 3e-5
class_weights = [1.0, 2.5]
[train]
max_steps = 100
precision = "bf16"
)";

TEST(TrainConfig, ReadsValuesAndKeepsDefaults) {
  auto c = TrainConfig::parse(kMinimal, "run.toml");
  EXPECT_EQ(c.data.train, "train.csv");
  EXPECT_EQ(c.data.batch_size, 16);
  EXPECT_DOUBLE_EQ(c.optim.lr, 3e-5);
  EXPECT_EQ(c.optim.class_weights.text, "1,2.5");
  EXPECT_EQ(c.optim.class_weights.kind, ClassWeights::Kind::kGiven);
  EXPECT_EQ(c.optim.class_weights.given, (std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(c.train.max_steps, 100);
  EXPECT_EQ(c.train.precision, Precision::kBf16);
  EXPECT_EQ(c.data.max_length, 128);  // default
  EXPECT_EQ(c.checkpoint_dir(), "runs/default/checkpoints");
}

TEST(TrainConfig, OverridesFromCommandLine) {
  auto c = TrainConfig::parse(
      kMinimal, "run.toml",
      {"train.max_steps=7", "runtime.device=cuda", "optim.lr=1e-4", "data.dev=\"dev.csv\"",
       "train.deterministic=false", "runtime.cudnn_attention=true"});
  EXPECT_EQ(c.train.max_steps, 7);
  EXPECT_TRUE(c.runtime.cudnn_attention);
  EXPECT_FALSE(TrainConfig::parse(kMinimal, "run.toml").runtime.cudnn_attention);
  EXPECT_EQ(c.runtime.device.str(), "cuda");
  EXPECT_DOUBLE_EQ(c.optim.lr, 1e-4);
  EXPECT_EQ(c.data.dev, "dev.csv");
  EXPECT_FALSE(c.train.deterministic);
}

TEST(TrainConfig, RoundTripsThroughToml) {
  auto c = TrainConfig::parse(kMinimal, "run.toml", {"optim.lr=0.1"});
  auto text = c.to_toml();
  auto again = TrainConfig::parse(text, "saved.toml");
  EXPECT_EQ(again.to_toml(), text);
  EXPECT_EQ(again.hash(), c.hash());
  EXPECT_DOUBLE_EQ(again.optim.lr, 0.1);
  EXPECT_NE(text.find("[checkpoint]"), std::string::npos);
}

TEST(TrainConfig, UnknownKeyNamesKeyFileLineAndSuggests) {
  auto msg = error_of([] { TrainConfig::parse("[optim]\nlrr = 1e-5\n", "run.toml"); });
  EXPECT_NE(msg.find("run.toml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("optim.lrr"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'optim.lr'"), std::string::npos) << msg;
}

TEST(TrainConfig, UnknownSectionAndOverrideKey) {
  auto msg = error_of([] { TrainConfig::parse("[optimizer]\nlr = 1e-5\n", "run.toml"); });
  EXPECT_NE(msg.find("optimizer.lr"), std::string::npos) << msg;
  msg = error_of([] { TrainConfig::parse(kMinimal, "run.toml", {"train.max_step=5"}); });
  EXPECT_NE(msg.find("--set train.max_step=5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.max_steps"), std::string::npos) << msg;
  msg = error_of([] { TrainConfig::parse(kMinimal, "run.toml", {"novalue"}); });
  EXPECT_NE(msg.find("section.key=value"), std::string::npos) << msg;
}

TEST(TrainConfig, WrongTypeNamesKey) {
  auto msg =
      error_of([] { TrainConfig::parse("[data]\ntrain='x'\nbatch_size = \"32\"\n", "r.toml"); });
  EXPECT_NE(msg.find("r.toml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'data.batch_size' must be an integer"), std::string::npos) << msg;
  msg = error_of([] { TrainConfig::parse(kMinimal, "r.toml", {"data.batch_size=abc"}); });
  EXPECT_NE(msg.find("data.batch_size"), std::string::npos) << msg;
}

TEST(TrainConfig, ImpossibleValuesNameKey) {
  struct Case {
    const char* set;
    const char* key;
  } cases[] = {{"data.batch_size=0", "data.batch_size"},
               {"optim.lr=-1", "optim.lr"},
               {"optim.schedule=\"step\"", "optim.schedule"},
               {"train.precision=fp8", "train.precision"},
               {"optim.beta2=1.0", "optim.beta2"},
               {"optim.class_weights=\"1,x\"", "optim.class_weights"},
               {"runtime.stop_signal=KILL", "runtime.stop_signal"},
               {"train.max_steps=0", "train.max_steps"},
               {"optim.layer_decay=0", "optim.layer_decay"},
               {"optim.layer_decay=1.5", "optim.layer_decay"},
               {"train.ema_decay=1", "train.ema_decay"},
               {"train.label_smoothing=-0.1", "train.label_smoothing"},
               {"distill.temperature=0", "distill.temperature"},
               {"distill.alpha=1.5", "distill.alpha"}};
  for (const auto& c : cases) {
    auto msg = error_of([&] { TrainConfig::parse(kMinimal, "r.toml", {c.set}); });
    EXPECT_NE(msg.find(c.key), std::string::npos) << c.set << " -> " << msg;
  }
}

// A closed set of names is parsed once, when the config is read: a bad value is a usage error
// (exit 2) naming the key and the values it allows. "cuda:x" used to pass validation and fail
// later in std::stoi as an internal error (exit 1); "cuda:99999999999" as std::out_of_range.
TEST(TrainConfig, BadNamesNameKeyAndAllowedValues) {
  struct Case {
    const char* set;
    const char* key;
    const char* allowed;
  } cases[] = {{"runtime.device=\"cuda:x\"", "runtime.device", "cpu, cuda or cuda:N"},
               {"runtime.device=\"cuda:\"", "runtime.device", "cpu, cuda or cuda:N"},
               {"runtime.device=\"cuda:99999999999\"", "runtime.device", "cpu, cuda or cuda:N"},
               {"runtime.device=\"cuda:1x\"", "runtime.device", "cpu, cuda or cuda:N"},
               {"runtime.device=\"cuda:-1\"", "runtime.device", "cpu, cuda or cuda:N"},
               {"runtime.device=gpu", "runtime.device", "cpu, cuda or cuda:N"},
               {"train.precision=fp8", "train.precision", "fp32, bf16 or fp16"},
               {"train.metric=f1", "train.metric", "accuracy, macro_f1, loss or micro_f1"},
               {"optim.schedule=step", "optim.schedule", "linear, cosine or constant"},
               {"data.truncation=middle", "data.truncation", "head, tail or head_tail"}};
  for (const auto& c : cases) {
    auto msg = error_of([&] { TrainConfig::parse(kMinimal, "r.toml", {c.set}); });
    EXPECT_NE(msg.find(c.key), std::string::npos) << c.set << " -> " << msg;
    EXPECT_NE(msg.find(c.allowed), std::string::npos) << c.set << " -> " << msg;
  }
  // From the file, with its line.
  auto msg = error_of([] { TrainConfig::parse("[runtime]\ndevice = \"cuda:x\"\n", "d.toml"); });
  EXPECT_NE(msg.find("d.toml:2"), std::string::npos) << msg;
}

TEST(TrainConfig, DeviceIndexReadsBackAsWritten) {
  for (const char* text : {"cpu", "cuda", "cuda:0", "cuda:7", "cuda:2147483647"}) {
    auto c = TrainConfig::parse(kMinimal, "r.toml", {std::string("runtime.device=") + text});
    EXPECT_EQ(c.runtime.device.str(), text);
    EXPECT_NE(c.to_toml().find(std::string("device = \"") + text + "\""), std::string::npos);
    EXPECT_EQ(TrainConfig::parse(c.to_toml(), "saved").to_toml(), c.to_toml());
  }
}

TEST(TrainConfig, InvalidTomlNamesLine) {
  auto msg =
      error_of([] { TrainConfig::parse("[data]\ntrain = \"x\nbatch_size=3\n", "bad.toml"); });
  EXPECT_NE(msg.find("bad.toml:2"), std::string::npos) << msg;
}

TEST(TrainConfig, MissingFile) {
  auto msg = error_of([] { TrainConfig::load("/nonexistent/run.toml", {}); });
  EXPECT_NE(msg.find("/nonexistent/run.toml"), std::string::npos) << msg;
}

TEST(TrainConfig, CompareSplitsHarmlessFromIncompatible) {
  auto a = TrainConfig::parse(kMinimal, "a.toml");
  auto b = TrainConfig::parse(kMinimal, "b.toml",
                              {"train.max_steps=200", "train.eval_every=5", "data.batch_size=8"});
  auto d = compare(a, b);
  ASSERT_EQ(d.harmless.size(), 2u);
  EXPECT_EQ(d.harmless[0], "train.max_steps: 100 -> 200");
  ASSERT_EQ(d.incompatible.size(), 1u);
  EXPECT_EQ(d.incompatible[0], "data.batch_size: 16 -> 8");
  EXPECT_TRUE(compare(a, a).harmless.empty());
}

// data.truncation / data.head_tokens: read once, bounded by max_length, refused with pairs, and
// part of what a resume must keep.
// The recipe options (issue 28) read from TOML and --set, round-trip through the saved config,
// and may not change on resume (they change what the run optimises).
TEST(TrainConfig, RecipeOptions) {
  auto c = TrainConfig::parse(std::string(kMinimal) + "[distill]\nteacher = \"runs/big/best\"\n",
                              "r.toml",
                              {"optim.layer_decay=0.8", "train.ema_decay=0.999",
                               "train.label_smoothing=0.1", "distill.alpha=0.7"});
  EXPECT_DOUBLE_EQ(c.optim.layer_decay, 0.8);
  EXPECT_DOUBLE_EQ(c.train.ema_decay, 0.999);
  EXPECT_DOUBLE_EQ(c.train.label_smoothing, 0.1);
  EXPECT_EQ(c.distill.teacher, "runs/big/best");
  EXPECT_DOUBLE_EQ(c.distill.temperature, 2.0);
  EXPECT_DOUBLE_EQ(c.distill.alpha, 0.7);
  auto again = TrainConfig::parse(c.to_toml(), "saved.toml");
  EXPECT_EQ(again.to_toml(), c.to_toml());
  auto plain = TrainConfig::parse(kMinimal, "r.toml");
  EXPECT_DOUBLE_EQ(plain.optim.layer_decay, 1.0);
  EXPECT_DOUBLE_EQ(plain.train.ema_decay, 0.0);
  EXPECT_TRUE(plain.distill.teacher.empty());
  auto diff = compare(plain, c);
  EXPECT_TRUE(diff.harmless.empty());
  EXPECT_EQ(diff.incompatible.size(), 5u);
}

TEST(TrainConfig, TruncationKeys) {
  auto c =
      TrainConfig::parse(kMinimal, "r.toml", {"data.truncation=head_tail", "data.head_tokens=20"});
  EXPECT_EQ(c.data.truncation, Truncation::kHeadTail);
  EXPECT_EQ(c.data.head_tokens, 20);
  EXPECT_EQ(TrainConfig::parse(c.to_toml(), "saved").to_toml(), c.to_toml());
  EXPECT_NE(c.to_toml().find("truncation = \"head_tail\""), std::string::npos);
  EXPECT_EQ(TrainConfig::parse(kMinimal, "r.toml").data.truncation, Truncation::kHead);

  auto msg = error_of([] { TrainConfig::parse(kMinimal, "r.toml", {"data.head_tokens=127"}); });
  EXPECT_NE(msg.find("data.head_tokens"), std::string::npos) << msg;
  EXPECT_NE(msg.find("126"), std::string::npos) << msg;
  msg = error_of([] {
    TrainConfig::parse(kMinimal, "r.toml",
                       {"data.truncation=tail", "data.text_pair_column=\"hypothesis\""});
  });
  EXPECT_NE(msg.find("data.truncation"), std::string::npos) << msg;
  EXPECT_NE(msg.find("pairs"), std::string::npos) << msg;

  auto d = compare(TrainConfig::parse(kMinimal, "a.toml"), c);
  ASSERT_EQ(d.incompatible.size(), 2u);
  EXPECT_EQ(d.incompatible[0], "data.truncation: \"head\" -> \"head_tail\"");
}

}  // namespace
}  // namespace berth::trainer

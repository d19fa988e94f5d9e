// `berth serve` as real clients and hostile ones see it (issue 30), and the checkpoint rules it
// shares with predict and eval (issue 24). A tiny random model keeps each server start short.
//   - huggingface_hub's InferenceClient, requests and prometheus_client's parser, unchanged,
//     against a server with an API key (tests/python/serve_clients.py), plus slow senders, idle
//     connections, oversized and chunked bodies;
//   - the API key: 401 without it on every route but /health, and never in the log;
//   - the README's curl and huggingface_hub snippets, run as written;
//   - a port another server listens on is refused, and a bad --host is named;
//   - multi-label checkpoints answer sigmoid scores with their thresholds' decisions;
//   - texts are cut as the checkpoint was trained (config.toml's data.truncation), and a
//     checkpoint that fails its manifest is refused;
//   - the GPU path (CUDA, bf16) answers as the CPU does (skips without a GPU).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkpoint/manifest.h"
#include "tests/serve/server_process.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kKey = "s3cret-key-for-tests-0123456789";

class ServeClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + model_dir() + "' '" + default_model().string() + "' 3 0.0");
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model_dir() { return (*dir_ / "tiny").string(); }

  // A copy of the tiny model to change.
  static fs::path copy_model(const std::string& name) {
    const fs::path to = *dir_ / name;
    fs::remove_all(to);
    fs::copy(model_dir(), to, fs::copy_options::recursive);
    return to;
  }

  // berth predict's JSON line for one text on `model` (extra flags after).
  static json predict_one(const fs::path& model, const std::string& text,
                          const std::string& extra = "") {
    const fs::path in = *dir_ / "one.txt";
    write_file(in, text + "\n");
    auto r = run_command("'" + berth_binary() + "' predict --checkpoint '" + model.string() +
                         "' --input '" + in.string() + "' --threads 1 " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  static json post(const ServerProcess& s, const std::string& path, const json& body) {
    auto r = s.client()->Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << s.log();
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  }

  static TempDir* dir_;
};
TempDir* ServeClients::dir_ = nullptr;

TEST_F(ServeClients, HubRequestsAndPrometheusClientsWorkUnchanged) {
  TempDir tmp;
  // The key from the environment, as the README recommends (it stays out of `ps`).
  ServerProcess server(model_dir(), {}, tmp.path(), true, {std::string("BERTH_API_KEY=") + kKey});
  ASSERT_GT(server.port(), 0);
  auto r =
      run_python("serve_clients.py http://127.0.0.1:" + std::to_string(server.port()) + " " + kKey);
  auto got = json::parse(r.out);
  ASSERT_GE(got["checks"].size(), 20u) << r.out;
  for (const auto& [name, result] : got["checks"].items())
    EXPECT_TRUE(result[0].get<bool>()) << name << ": " << result[1].get<std::string>();
  EXPECT_EQ(server.log().find(kKey), std::string::npos) << "the key was logged";
}

TEST_F(ServeClients, AnApiKeyFlagGuardsEveryRouteButHealthAndIsNeverLogged) {
  TempDir tmp;
  ServerProcess server(model_dir(), {"--api-key", kKey}, tmp.path());
  auto c = server.client();
  auto no = c->Post("/predict", R"({"inputs": "x"})", "application/json");
  ASSERT_TRUE(no);
  EXPECT_EQ(no->status, 401);
  auto wrong = server.client();
  wrong->set_bearer_token_auth((std::string(kKey) + "x").c_str());
  EXPECT_EQ(wrong->Get("/info")->status, 401);
  auto prefix = server.client();
  prefix->set_bearer_token_auth(std::string(kKey).substr(0, 10).c_str());
  EXPECT_EQ(prefix->Get("/info")->status, 401);
  EXPECT_EQ(c->Get("/health")->status, 200);
  auto ok = server.client();
  ok->set_bearer_token_auth(kKey);
  auto yes = ok->Post("/predict", R"({"inputs": "x"})", "application/json");
  ASSERT_TRUE(yes);
  EXPECT_EQ(yes->status, 200) << yes->body;
  // A refused POST on a keep-alive connection does not leave its body to be read as the next
  // request: the next request on the same client is answered.
  c->set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    auto again = c->Post("/predict", R"({"inputs": "again"})", "application/json");
    ASSERT_TRUE(again) << i;
    EXPECT_EQ(again->status, 401);
  }
  EXPECT_EQ(server.log().find(kKey), std::string::npos);
}

// The README's client snippets ("Serve over HTTP") as written, only the port changed: the curl
// lines against a server without a key, the huggingface_hub lines against one started with
// BERTH_API_KEY=s3cret as their comment says.
TEST_F(ServeClients, TheReadmeSnippetsRunAsWritten) {
  TempDir a, b;
  ServerProcess open(model_dir(), {}, a.path());
  ServerProcess keyed(model_dir(), {}, b.path(), true, {"BERTH_API_KEY=s3cret"});
  ASSERT_GT(open.port(), 0);
  ASSERT_GT(keyed.port(), 0);
  const json got =
      json::parse(run_python("readme_serve_snippets.py '" +
                             (fs::path(BERTH_SOURCE_DIR) / "README.md").string() + "' " +
                             std::to_string(open.port()) + " " + std::to_string(keyed.port()))
                      .out);
  ASSERT_TRUE(got["error"].is_null()) << got.dump();
  const auto& curl = got["curl"];
  ASSERT_EQ(curl.size(), 5u) << got.dump();  // two predictions, /health, /info, /metrics
  const json one = json::parse(curl[0][1].get<std::string>());
  ASSERT_EQ(one.size(), 3u) << curl[0];
  double sum = 0;
  for (const auto& e : one) sum += e["score"].get<double>();
  EXPECT_NEAR(sum, 1, 1e-5) << curl[0];
  const json two = json::parse(curl[1][1].get<std::string>());
  ASSERT_EQ(two.size(), 2u) << curl[1];  // one answer per text
  EXPECT_EQ(two[0].size(), 3u) << curl[1];
  EXPECT_EQ(json::parse(curl[2][1].get<std::string>())["status"], "ok") << curl[2];
  EXPECT_TRUE(json::parse(curl[3][1].get<std::string>()).contains("model_type")) << curl[3];
  EXPECT_NE(
      curl[4][1].get<std::string>().find("berth_requests_total{route=\"/predict\",code=\"200\"} 2"),
      std::string::npos)
      << curl[4];
  const auto& py = got["python"];
  ASSERT_EQ(py.size(), 2u) << got.dump();
  // The same text through huggingface_hub as through curl: the same answer.
  ASSERT_EQ(py[0].size(), 3u) << py[0];
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(py[0][i]["label"], one[i]["label"]);
    EXPECT_NEAR(py[0][i]["score"].get<double>(), one[i]["score"].get<double>(), 1e-6);
  }
  ASSERT_EQ(py[1].size(), 1u) << py[1];  // top_k=1
  EXPECT_EQ(keyed.log().find("s3cret"), std::string::npos) << "the key was logged";
}

// SO_REUSEPORT let a second server share the port; the kernel then split requests between
// two models.
TEST_F(ServeClients, APortAnotherServerListensOnIsRefused) {
  TempDir a, b;
  ServerProcess first(model_dir(), {}, a.path());
  ASSERT_GT(first.port(), 0);
  ServerProcess second(model_dir(), {"--port", std::to_string(first.port())}, b.path(),
                       /*expect_start=*/false);
  EXPECT_EQ(second.exit_code(), 2) << second.log();
  EXPECT_NE(second.log().find("in use"), std::string::npos) << second.log();
  EXPECT_NE(second.log().find("--port"), std::string::npos) << second.log();
  EXPECT_EQ(first.client()->Get("/health")->status, 200);
}

TEST_F(ServeClients, ABadHostIsNamed) {
  for (const std::string host : {"999.1.1.1", "192.0.2.1"}) {  // no address; TEST-NET-1
    TempDir tmp;
    ServerProcess s(model_dir(), {"--host", host}, tmp.path(), /*expect_start=*/false);
    EXPECT_EQ(s.exit_code(), 2) << s.log();
    EXPECT_NE(s.log().find("--host " + host), std::string::npos) << s.log();
    EXPECT_EQ(s.log().find("in use"), std::string::npos) << s.log();
  }
}

TEST_F(ServeClients, MultiLabelAnswersSigmoidScoresAndTheThresholdsDecisions) {
  const fs::path model = copy_model("multi");
  auto config = json::parse(read_file(model / "config.json"));
  config["problem_type"] = "multi_label_classification";
  write_file(model / "config.json", config.dump(2));
  write_file(model / "thresholds.json",
             R"({"thresholds": {"c0": 0.01, "c1": 0.99, "c2": 0.5}, "tuned_on": "dev"})");
  TempDir tmp;
  ServerProcess server(model.string(), {}, tmp.path());
  const std::string text = "a gorgeous , witty , seductive movie";
  const json scores = post(server, "/predict", {{"inputs", text}});
  const json logits = post(server, "/predict", {{"inputs", text}, {"raw_scores", true}});
  const json want = predict_one(model, text);
  ASSERT_EQ(scores.size(), 3u);
  double sum = 0;
  for (const auto& e : scores) {
    const std::string label = e["label"];
    double logit = NAN;
    for (const auto& l : logits)
      if (l["label"] == label) logit = l["score"];
    const double score = e["score"];
    sum += score;
    EXPECT_NEAR(score, 1 / (1 + std::exp(-logit)), 1e-5) << label;  // sigmoid, not softmax
    EXPECT_NEAR(score, want["probs"][label].get<double>(), 1e-5) << label;
    ASSERT_TRUE(e.contains("predicted")) << e;
    const double threshold = label == "c0" ? 0.01 : label == "c1" ? 0.99 : 0.5;
    EXPECT_EQ(e["predicted"].get<bool>(), score >= threshold) << label;
  }
  EXPECT_GT(std::abs(sum - 1), 1e-3) << "sigmoid scores need not sum to 1: " << scores;
  // The Inference API route and softmax on request.
  const json soft =
      post(server, "/", {{"inputs", text}, {"parameters", {{"function_to_apply", "softmax"}}}});
  double soft_sum = 0;
  for (const auto& e : soft[0]) soft_sum += e["score"].get<double>();
  EXPECT_NEAR(soft_sum, 1, 1e-5);
}

// Issue 24: serve tokenized on its own (head truncation only). A checkpoint trained with
// data.truncation = "tail" at max_length 16 must be served cut from the tail, as predict does.
TEST_F(ServeClients, TextsAreCutAsTheCheckpointWasTrained) {
  // A pretrained encoder: a tiny random one answers nearly alike whatever part is kept.
  const fs::path model = *dir_ / "tail";
  run_python("make_head_model.py '" + model.string() + "' '" + default_model().string() + "' 3 60");
  // What `berth train` leaves there, reduced to the keys a checkpoint's config must have.
  write_file(model / "config.toml",
             "[model]\npath = '" + model_dir() +
                 "'\n[data]\ntrain = 'train.csv'\nmax_length = 16\ntruncation = 'tail'\n");
  std::string text = "the first words say one thing";
  for (int i = 0; i < 12; ++i) text += " then more and more";
  text += " but the ending is terrible awful bad";
  TempDir tmp;
  ServerProcess server(model.string(), {}, tmp.path());
  auto info = json::parse(server.client()->Get("/info")->body);
  EXPECT_EQ(info["max_input_length"], 16);
  EXPECT_NE(info["truncation"].get<std::string>().find("tail"), std::string::npos) << info;
  const json served = post(server, "/predict", {{"inputs", text}, {"truncate", true}});
  const json want = predict_one(model, text);
  const json head = predict_one(model, text, "--truncation head");
  ASSERT_EQ(served.size(), 3u);
  double head_gap = 0;
  for (const auto& e : served) {
    const std::string label = e["label"];
    EXPECT_NEAR(e["score"].get<double>(), want["probs"][label].get<double>(), 1e-5) << label;
    head_gap += std::abs(e["score"].get<double>() - head["probs"][label].get<double>());
  }
  EXPECT_GT(head_gap, 1e-4) << "head and tail must differ for the test to mean anything";
  // A request may name its direction, as TEI's truncation_direction: Right keeps the head.
  const json right =
      post(server, "/predict",
           {{"inputs", text}, {"truncate", true}, {"truncation_direction", "Right"}});
  for (const auto& e : right)
    EXPECT_NEAR(e["score"].get<double>(), head["probs"][e["label"].get<std::string>()], 1e-5);
  // Too long without truncate: 413 at the checkpoint's 16 tokens.
  auto r = server.client()->Post("/predict", json{{"inputs", text}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
}

TEST_F(ServeClients, ACheckpointThatFailsItsManifestIsRefused) {
  const fs::path model = copy_model("corrupt");
  checkpoint::Manifest m;
  m.files = checkpoint::hash_directory(model, false);
  write_file(model / "manifest.json", checkpoint::manifest_to_json(m));
  {
    std::fstream f(model / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-5, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-5, std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  TempDir tmp, xdg;
  const std::vector<std::string> env = {"XDG_CACHE_HOME=" + xdg.path().string()};
  ServerProcess bad(model.string(), {}, tmp.path(), /*expect_start=*/false, env);
  EXPECT_EQ(bad.exit_code(), 4) << bad.log();
  EXPECT_NE(bad.log().find("fails its manifest check"), std::string::npos) << bad.log();
  EXPECT_NE(bad.log().find("--verify never"), std::string::npos) << bad.log();
  ServerProcess forced(model.string(), {"--no-verify"}, tmp.path(), true, env);
  EXPECT_EQ(forced.client()->Get("/health")->status, 200);
}

// The checkpoint on CUDA under bf16 autocast answers as on the CPU, within bf16's rounding.
// Unmeasured for speed; skips where no CUDA device is available.
TEST_F(ServeClients, OnCudaWithBf16TheAnswersMatchTheCpu) {
  TempDir tmp, gpu_dir;
  write_file(tmp / "probe.txt", "probe\n");
  auto probe = run_command("'" + berth_binary() + "' predict --checkpoint '" + model_dir() +
                           "' --input '" + (tmp / "probe.txt").string() + "' --device cuda");
  if (probe.exit_code != 0 && probe.err.find("no CUDA device") != std::string::npos)
    GTEST_SKIP() << "no CUDA device";
  ServerProcess gpu(model_dir(), {"--device", "cuda", "--precision", "bf16"}, gpu_dir.path());
  ServerProcess cpu(model_dir(), {}, tmp.path());
  const json texts = {"a gorgeous movie", "a waste of two hours", "it is fine"};
  const json on_gpu = post(gpu, "/predict", {{"inputs", texts}, {"raw_scores", true}});
  const json on_cpu = post(cpu, "/predict", {{"inputs", texts}, {"raw_scores", true}});
  ASSERT_EQ(on_gpu.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    for (const auto& e : on_gpu[i])
      for (const auto& c : on_cpu[i])
        if (c["label"] == e["label"])
          EXPECT_NEAR(e["score"].get<double>(), c["score"].get<double>(), 0.05) << texts[i];
  auto info = json::parse(gpu.client()->Get("/info")->body);
  EXPECT_EQ(info["precision"], "bf16");
}

}  // namespace
}  // namespace berth::test

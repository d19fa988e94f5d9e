// `berth serve` end to end: the real binary on a loopback port, spoken to with cpp-httplib's
// client. Routes, answers equal to `berth predict`'s, concurrent requests sharing batches, the
// 4xx/429 answers, and draining on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "model/bert_model.h"
#include "model/pretrained.h"
#include "tests/support/test_support.h"

extern char** environ;

namespace berth::test {
namespace {

using nlohmann::json;

// A `berth serve` child process on a free port; SIGKILLed if still running at destruction.
class ServerProcess {
 public:
  ServerProcess(const std::string& model, const std::vector<std::string>& extra,
                const std::filesystem::path& dir) {
    const auto port_file = dir / "port";
    log_ = dir / "serve.log";
    std::filesystem::remove(port_file);
    std::vector<std::string> args = {berth_binary(), "serve", "--checkpoint", model,
                                     "--port",       "0",     "--port-file",  port_file.string(),
                                     "--threads",    "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "berth serve exited early:\n" << log();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream(port_file) >> port_;
    EXPECT_GT(port_, 0) << log();
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string log() const { return read_file(log_); }
  void signal(int sig) { kill(pid_, sig); }
  // Exit status after waiting, or -1 on a signal death or a timeout.
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(120, 0);
    return c;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

const std::vector<std::string> kTexts = {
    "a stirring , funny and finally transporting re-imagining",
    "apparently reassembled from the cutting-room floor .",
    "Quotes \"inside\", commas, and ÜNICODE façade — naïve",
    "short",
    "the movie is a disaster from start to finish",
    "an utterly charming and hilarious film that reaffirms your faith in humanity",
    "it 's not a bad film , just a dull one",
    "one of the year 's best",
};

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model::LoadOptions o;
    o.num_labels = 3;
    o.init_seed = 99;
    auto loaded = model::load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
    {
      at::NoGradGuard no_grad;
      dynamic_cast<model::BertClassifier&>(*loaded.model)
          .classifier->weight.mul_(60);  // far-from-uniform probabilities
    }
    model::save_pretrained(model_dir(), *loaded.model, loaded.config, {"a", "b", "c"},
                           default_model().string());
    // berth predict's answers: the reference every served answer must equal.
    std::string txt;
    for (const auto& t : kTexts) txt += t + "\n";
    write_file(*dir_ / "texts.txt", txt);
    auto r = run_command("'" + berth_binary() + "' predict --checkpoint '" + model_dir() +
                         "' --input '" + (*dir_ / "texts.txt").string() +
                         "' --max-length 512 --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) expected_->push_back(json::parse(l));
    ASSERT_EQ(expected_->size(), kTexts.size());
    std::filesystem::create_directories(*dir_ / "main");
    server_ = new ServerProcess(model_dir(),
                                {"--max-concurrent-requests", "64", "--max-client-batch-size", "4",
                                 "--max-wait-us", "20000"},
                                *dir_ / "main");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::string model_dir() { return (*dir_ / "model").string(); }

  // The served answer for one text (a list of {score, label}) against berth predict's line.
  static void expect_matches_predict(const json& answer, size_t i) {
    const json& want = (*expected_)[i];
    ASSERT_TRUE(answer.is_array()) << answer;
    ASSERT_EQ(answer.size(), 3u);
    EXPECT_EQ(answer[0]["label"], want["label"]) << kTexts[i];
    double previous = 2;
    for (const auto& entry : answer) {
      const double p = entry["score"].get<double>();
      EXPECT_NEAR(p, want["probs"][entry["label"].get<std::string>()].get<double>(), 1e-5);
      EXPECT_LE(p, previous);  // best first
      previous = p;
    }
  }
  static int64_t metric(const std::string& text, const std::string& name) {
    std::smatch m;
    const std::regex re("\n" + std::regex_replace(name, std::regex(R"([{}"+.])"), R"(\$&)") +
                        " ([0-9.e+-]+)\n");
    if (!std::regex_search(text, m, re)) return -1;
    return static_cast<int64_t>(std::stod(m[1]));
  }

  static TempDir* dir_;
  static std::vector<json>* expected_;
  static ServerProcess* server_;
};
TempDir* Serve::dir_ = nullptr;
std::vector<json>* Serve::expected_ = new std::vector<json>();
ServerProcess* Serve::server_ = nullptr;

TEST_F(Serve, HealthInfoMetricsAndUnknownRoutes) {
  auto c = server_->client();
  auto h = c->Get("/health");
  ASSERT_TRUE(h) << server_->log();
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto i = c->Get("/info");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->status, 200);
  auto info = json::parse(i->body);
  EXPECT_EQ(info["model_type"]["classifier"]["id2label"],
            json({{"0", "a"}, {"1", "b"}, {"2", "c"}}));
  EXPECT_EQ(info["max_input_length"], 512);
  EXPECT_EQ(info["max_concurrent_requests"], 64);
  EXPECT_EQ(info["max_client_batch_size"], 4);
  EXPECT_EQ(info["version"], "berth 0.1.0");
  auto m = c->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  for (const char* name : {"# TYPE berth_requests_total counter", "berth_batches_total",
                           "berth_batch_texts_bucket{le=\"+Inf\"}",
                           "berth_request_duration_seconds_count", "berth_queue_seconds_sum"})
    EXPECT_NE(m->body.find(name), std::string::npos) << name;
  auto nf = c->Get("/nope");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_NE(json::parse(nf->body)["error"].get<std::string>().find("/nope"), std::string::npos);
}

TEST_F(Serve, PredictSingleListPairsAndRawScoresMatchBerthPredict) {
  auto c = server_->client();
  auto one = c->Post("/predict", json{{"inputs", kTexts[0]}}.dump(), "application/json");
  ASSERT_TRUE(one) << server_->log();
  ASSERT_EQ(one->status, 200) << one->body;
  expect_matches_predict(json::parse(one->body), 0);

  auto list = c->Post("/predict", json{{"inputs", {kTexts[1], kTexts[2], kTexts[3]}}}.dump(),
                      "application/json");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  auto answers = json::parse(list->body);
  ASSERT_EQ(answers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) expect_matches_predict(answers[i], i + 1);

  // raw_scores: logits, whose softmax is the probabilities.
  auto raw = c->Post("/predict", json{{"inputs", kTexts[4]}, {"raw_scores", true}}.dump(),
                     "application/json");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  auto logits = json::parse(raw->body);
  double z = 0;
  for (const auto& e : logits) z += std::exp(e["score"].get<double>());
  for (const auto& e : logits)
    EXPECT_NEAR(std::exp(e["score"].get<double>()) / z,
                (*expected_)[4]["probs"][e["label"].get<std::string>()].get<double>(), 1e-5);

  // A text pair is answered (one prediction, three classes).
  json pairs = json::object();
  pairs["inputs"] = json::array({json::array({"is it good ?", "it is great"})});
  auto pair = c->Post("/predict", pairs.dump(), "application/json");
  ASSERT_TRUE(pair);
  ASSERT_EQ(pair->status, 200) << pair->body;
  auto p = json::parse(pair->body);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].size(), 3u);
}

// 16 clients at once: each gets its own right answer, and fewer forward passes than requests ran.
TEST_F(Serve, ConcurrentRequestsShareBatches) {
  auto c = server_->client();
  const std::string before = c->Get("/metrics")->body;
  const int64_t batches_before = metric(before, "berth_batches_total");
  constexpr int kClients = 16;
  std::vector<std::string> bodies(kClients);
  std::vector<int> statuses(kClients, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < kClients; ++k)
    threads.emplace_back([&, k] {
      auto cl = server_->client();
      auto r = cl->Post("/predict", json{{"inputs", kTexts[k % kTexts.size()]}}.dump(),
                        "application/json");
      if (r) statuses[k] = r->status, bodies[k] = r->body;
    });
  for (auto& t : threads) t.join();
  for (int k = 0; k < kClients; ++k) {
    ASSERT_EQ(statuses[k], 200) << bodies[k];
    expect_matches_predict(json::parse(bodies[k]), k % kTexts.size());
  }
  const std::string after = c->Get("/metrics")->body;
  const int64_t batches = metric(after, "berth_batches_total") - batches_before;
  std::cout << kClients << " concurrent requests answered in " << batches << " batches"
            << std::endl;
  EXPECT_GE(batches, 1);
  EXPECT_LT(batches, kClients);
  EXPECT_GT(metric(after, "berth_batch_texts_count"),
            metric(after, "berth_batch_texts_bucket{le=\"1\"}"));  // some batch had > 1 text
}

TEST_F(Serve, BadRequestsAnswer4xxAndTheServerStaysUp) {
  auto c = server_->client();
  struct Case {
    std::string body;
    int status;
    std::string says;
  };
  const std::string long_text = std::string("word ") + [] {
    std::string s;
    for (int i = 0; i < 600; ++i) s += "again ";
    return s;
  }();
  const std::vector<Case> cases = {
      {"{not json", 400, "not valid JSON"},
      {"[1, 2]", 422, "\"inputs\""},
      {R"({"text": "x"})", 422, "\"inputs\""},
      {R"({"inputs": []})", 422, "empty"},
      {R"({"inputs": ""})", 422, "empty"},
      {R"({"inputs": 5})", 422, "must be a string"},
      {R"({"inputs": ["a", 5]})", 422, "inputs[1]"},
      {R"({"inputs": "a", "truncate": "yes"})", 422, "truncate"},
      {R"({"inputs": ["a", "b", "c", "d", "e"]})", 413, "--max-client-batch-size"},
      {json{{"inputs", long_text}}.dump(), 413, "truncate"},
  };
  for (const auto& k : cases) {
    auto r = c->Post("/predict", k.body, "application/json");
    ASSERT_TRUE(r) << k.body;
    EXPECT_EQ(r->status, k.status) << k.body << " -> " << r->body;
    auto j = json::parse(r->body);
    EXPECT_NE(j["error"].get<std::string>().find(k.says), std::string::npos) << r->body;
    EXPECT_EQ(j["error_type"], "Validation");
  }
  // The same long text with truncate is answered.
  auto t = c->Post("/predict", json{{"inputs", long_text}, {"truncate", true}}.dump(),
                   "application/json");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 200) << t->body;
  // A body over the 1 MiB limit.
  auto big = c->Post("/predict", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto h = server_->client()->Get("/health");
  ASSERT_TRUE(h) << server_->log();
  EXPECT_EQ(h->status, 200);
}

// A request long enough to be in flight for a while: 4 texts of 512 tokens on one thread.
std::string slow_body() {
  std::string s;
  for (int i = 0; i < 700; ++i) s += "slow ";
  return json{{"inputs", {s, s, s, s}}, {"truncate", true}}.dump();
}

// Polls /metrics until `n` /predict requests are in flight.
bool wait_in_flight(const ServerProcess& server, int64_t n) {
  auto c = server.client();
  for (int i = 0; i < 3000; ++i) {
    auto m = c->Get("/metrics");
    if (m &&
        m->body.find("berth_requests_in_flight " + std::to_string(n) + "\n") != std::string::npos)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

TEST_F(Serve, BeyondMaxConcurrentRequestsAnswers429) {
  TempDir tmp;
  ServerProcess server(model_dir(), {"--max-concurrent-requests", "1"}, tmp.path());
  std::atomic<int> slow_status{0};
  std::thread slow([&] {
    auto r = server.client()->Post("/predict", slow_body(), "application/json");
    slow_status = r ? r->status : -1;
  });
  ASSERT_TRUE(wait_in_flight(server, 1)) << server.log();
  auto r = server.client()->Post("/predict", R"({"inputs": "hello"})", "application/json");
  slow.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(json::parse(r->body)["error_type"], "Overloaded");
  EXPECT_EQ(slow_status, 200);
  // Once the slow one is answered, the next is admitted.
  auto again = server.client()->Post("/predict", R"({"inputs": "hello"})", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(Serve, SigtermDrainsInFlightRequestsThenExits) {
  TempDir tmp;
  ServerProcess server(model_dir(), {}, tmp.path());
  // An idle keep-alive connection must not hold the exit up.
  auto idle = server.client();
  idle->set_keep_alive(true);
  ASSERT_TRUE(idle->Get("/health"));
  std::atomic<int> status{0};
  std::string body;
  std::thread slow([&] {
    auto r = server.client()->Post("/predict", slow_body(), "application/json");
    if (r)
      status = r->status, body = r->body;
    else
      status = -1;
  });
  ASSERT_TRUE(wait_in_flight(server, 1)) << server.log();
  server.signal(SIGTERM);
  slow.join();
  // Once the in-flight request is answered, the process must not linger.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status, 200) << server.log();
  if (status == 200) EXPECT_EQ(json::parse(body).size(), 4u);
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(30)), 0) << server.log();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
  EXPECT_NE(server.log().find("draining"), std::string::npos);
  auto after = server.client()->Get("/health");
  EXPECT_FALSE(after);  // nobody listens any more
}

}  // namespace
}  // namespace berth::test

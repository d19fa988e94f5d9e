#include "serve/server.h"

#include <httplib.h>
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/log.h"
#include "common/version.h"
#include "data/tokenizer.h"
#include "data/truncation.h"
#include "serve/api_key.h"
#include "serve/listen_address.h"
#include "serve/openapi.h"
#include "serve/tei.h"

namespace berth::serve {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Counts a classification request as in flight for its lifetime.
struct InFlight {
  explicit InFlight(std::atomic<int64_t>& n) : n_(n), value(++n) {}
  ~InFlight() { --n_; }
  std::atomic<int64_t>& n_;
  const int64_t value;
};

// The routes and the methods each answers; any other path is "other" in /metrics.
struct Route {
  const char* path;
  const char* method;
};
constexpr Route kRoutes[] = {
    {"/", "POST"},
    {"/predict", "POST"},
    {"/tokenize", "POST"},
    {"/health", "GET"},
    {"/info", "GET"},
    {"/metrics", "GET"},
    {"/openapi.json", "GET"},
    {"/api-doc/openapi.json", "GET"},
};

const Route* find_route(const std::string& path) {
  for (const auto& r : kRoutes)
    if (path == r.path) return &r;
  return nullptr;
}

// When the request now being handled on this connection's thread had its headers read (set by
// the pre-routing handler, read by the logger that every answer passes through).
thread_local std::optional<Clock::time_point> t_request_start;

// A refusal decided from the headers (the API key, the method) of a request that has a body:
// answered by whichever handler runs once the body has been read, so that the body is never
// left on a keep-alive connection to be parsed as the next request (httplib keeps the
// connection open whatever the response's Connection header says).
struct Refusal {
  HttpError error;
  std::string header, value;  // WWW-Authenticate or Allow
};
thread_local std::optional<Refusal> t_refusal;

// Whether httplib will read a body for the request: it reads none for GET and HEAD (a body
// sent with those is left on the connection, by httplib, whatever the server answers).
bool has_body(const httplib::Request& req) {
  if (req.method == "GET" || req.method == "HEAD") return false;
  if (req.has_header("Transfer-Encoding")) return true;
  const std::string length = req.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

class Service {
 public:
  Service(model::Predictor& predictor, const model::PredictorOptions& model_options,
          const ServeOptions& options)
      : predictor_(predictor),
        model_options_(model_options),
        options_(options),
        api_key_(options.api_key),
        batcher_(predictor, options.batch, metrics_) {}

  void install(httplib::Server& http) {
    http.Post("/", [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
      classify(req, res, reader, ApiShape::kInferenceApi);
    });
    http.Post("/predict", [this](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
      classify(req, res, reader, ApiShape::kTei);
    });
    http.Post("/tokenize", [this](const httplib::Request&, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
      if (t_refusal) return drain_and_refuse(reader, res);
      try {
        const std::string body = read_body(reader, res);
        const TokenizeRequest r = parse_tokenize_request(body, options_.max_client_batch_size);
        res.set_content(render_tokens(r, predictor_.tokenizer()), "application/json");
      } catch (const HttpError& e) {
        reply_error(res, e);
      }
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      if (t_refusal) return answer_refusal(res);
      if (draining_) {
        reply_error(res, HttpError{503, "Unhealthy", "the server is draining"});
        return;
      }
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    http.Get("/info", [this](const httplib::Request&, httplib::Response& res) {
      if (t_refusal) return answer_refusal(res);
      res.set_content(info().dump(), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      if (t_refusal) return answer_refusal(res);
      res.set_content(metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    const std::string openapi = openapi_document(berth::version(), api_key_.required());
    for (const char* path : {"/openapi.json", "/api-doc/openapi.json"})
      http.Get(path, [openapi](const httplib::Request&, httplib::Response& res) {
        if (t_refusal) return answer_refusal(res);
        res.set_content(openapi, "application/json");
      });
    // From the headers: the API key, then the method (405 names the one allowed). A request
    // without a body is answered at once; one with a body once it is read (see Refusal).
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      t_request_start = Clock::now();
      t_refusal.reset();
      const Route* route = find_route(req.path);
      if (req.path != "/health" && !api_key_.admits(req.get_header_value("Authorization"))) {
        t_refusal = Refusal{HttpError{401, "Unauthorized",
                                      "send the server's API key as \"Authorization: Bearer "
                                      "<key>\" (berth serve --api-key or BERTH_API_KEY)"},
                            "WWW-Authenticate", "Bearer"};
      } else if (route && req.method != route->method &&
                 !(req.method == "HEAD" && route->method == std::string("GET"))) {
        t_refusal =
            Refusal{HttpError{405, "Validation",
                              req.method + " " + req.path + " is not served; use " + route->method},
                    "Allow", route->method};
      }
      if (!t_refusal || has_body(req)) return httplib::Server::HandlerResponse::Unhandled;
      answer_refusal(res);
      return httplib::Server::HandlerResponse::Handled;
    });
    // Every answer passes here, those the HTTP library gave on its own (413, 400) included.
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double seconds =
          t_request_start ? std::chrono::duration<double>(Clock::now() - *t_request_start).count()
                          : 0.0;
      t_request_start.reset();
      t_refusal.reset();
      metrics_.count_answer(find_route(req.path) ? req.path : "other", res.status, seconds);
    });
    // Unknown routes and refusals answer JSON too, so that clients parse every error alike.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (t_refusal) return answer_refusal(res);  // e.g. a body sent to an unknown path
      if (!res.body.empty()) return;
      const std::string msg = res.status == 404 ? "no route " + req.method + " " + req.path
                              : res.status == 413
                                  ? "the body is larger than the server's limit (--max-body-bytes)"
                                  : "request refused (HTTP " + std::to_string(res.status) + ")";
      res.set_content(render_error(HttpError{res.status, "Validation", msg}), "application/json");
    });
    http.set_exception_handler(
        [this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          log::get("serve")->error("request failed: {}", what);
          reply_error(res, HttpError{500, "Backend", what});
        });
  }

  void start_draining() { draining_ = true; }
  void run_batches() { batcher_.run(); }
  void finish() { batcher_.stop(); }

 private:
  json info() const {
    const auto& names = predictor_.label_names();
    json id2label = json::object(), label2id = json::object();
    for (size_t i = 0; i < names.size(); ++i) {
      id2label[std::to_string(i)] = names[i];
      label2id[names[i]] = i;
    }
    return json{{"model_id", model_options_.model_dir},
                {"model_type", {{"classifier", {{"id2label", id2label}, {"label2id", label2id}}}}},
                {"problem_type", predictor_.multi_label() ? "multi_label_classification"
                                                          : "single_label_classification"},
                {"max_input_length", predictor_.max_length()},
                {"truncation", model_options_.truncation.describe(predictor_.max_length())},
                {"max_concurrent_requests", options_.max_concurrent_requests},
                {"max_batch_tokens", options_.batch.max_batch_tokens},
                {"max_batch_requests", options_.batch.max_batch_requests},
                {"max_client_batch_size", options_.max_client_batch_size},
                {"device", model_options_.device.str()},
                {"precision", to_string(model_options_.precision)},
                {"threads", model_options_.threads},
                {"version", berth::version()},
                {"sha", berth::commit()}};
  }

  static void reply_error(httplib::Response& res, const HttpError& e) {
    res.status = e.status;
    res.set_content(render_error(e), "application/json");
  }

  static void answer_refusal(httplib::Response& res) {
    // Once: the error handler may see a refusal the pre-routing handler already answered.
    if (!res.has_header(t_refusal->header.c_str()))
      res.set_header(t_refusal->header.c_str(), t_refusal->value);
    reply_error(res, t_refusal->error);
  }

  // Reads a body to its end without keeping it, so that the connection stays in step; a body
  // beyond 16 times the limit is given up on (its rest is then read as garbage and refused).
  bool drain(const httplib::ContentReader& reader) {
    size_t drained = 0;
    return reader([&](const char*, size_t n) {
      drained += n;
      return drained <= 16 * options_.max_body_bytes;
    });
  }

  void drain_and_refuse(const httplib::ContentReader& reader, httplib::Response& res) {
    drain(reader);
    answer_refusal(res);
  }

  // The whole body, whatever its content type (httplib alone caps form-encoded bodies at 8 KB),
  // up to max_body_bytes; a chunked body is held to the same limit (and drained, see drain()).
  std::string read_body(const httplib::ContentReader& reader, httplib::Response& res) {
    std::string body;
    size_t received = 0;
    const bool ok = reader([&](const char* data, size_t n) {
      received += n;
      if (received <= options_.max_body_bytes) body.append(data, n);
      return received <= 16 * options_.max_body_bytes;
    });
    if (received > options_.max_body_bytes || (!ok && res.status == 413))
      throw HttpError{413, "Validation",
                      "the body is larger than " + std::to_string(options_.max_body_bytes) +
                          " bytes (--max-body-bytes)"};
    if (!ok) throw HttpError{400, "Validation", "the body could not be read"};
    return body;
  }

  void classify(const httplib::Request&, httplib::Response& res,
                const httplib::ContentReader& reader, ApiShape shape) {
    if (t_refusal) return drain_and_refuse(reader, res);
    // The body first (a refusal must not leave it on the connection), then admission, as when
    // httplib read bodies before the handler ran.
    std::string body;
    try {
      body = read_body(reader, res);
    } catch (const HttpError& e) {
      return reply_error(res, e);
    }
    InFlight inflight(metrics_.inflight);
    if (draining_) return reply_error(res, HttpError{503, "Unhealthy", "the server is draining"});
    if (inflight.value > options_.max_concurrent_requests)
      return reply_error(res, HttpError{429, "Overloaded",
                                        "Model is overloaded: more than " +
                                            std::to_string(options_.max_concurrent_requests) +
                                            " requests in flight (--max-concurrent-requests)"});
    batcher_.announce();
    bool submitted = false;
    try {
      PredictRequest r = parse_predict_request(body, options_.max_client_batch_size, shape);
      std::vector<data::Example> examples = tokenize(r);
      submitted = true;
      auto predictions = batcher_.submit(std::move(examples));
      res.status = 200;
      res.set_content(
          render_predictions(r, predictions, predictor_.label_names(), predictor_.multi_label()),
          "application/json");
    } catch (const HttpError& e) {
      if (!submitted) batcher_.withdraw();
      reply_error(res, e);
    } catch (const std::exception& e) {
      if (!submitted) batcher_.withdraw();
      log::get("serve")->error("{} failed: {}", shape == ApiShape::kTei ? "/predict" : "/",
                               e.what());
      reply_error(res, HttpError{500, "Backend", e.what()});
    }
  }

  // On the request's own thread: tokenizing is parallel across requests, off the model's path.
  // Texts are cut as predict cuts them: the checkpoint's rule (data.truncation), unless the
  // request names its truncation_direction.
  std::vector<data::Example> tokenize(const PredictRequest& r) {
    const data::Tokenizer& tok = predictor_.tokenizer();
    const int max_len = predictor_.max_length();
    data::TruncationRule rule = model_options_.truncation;
    if (r.direction) rule = data::TruncationRule{*r.direction, -1};
    // One token more than allowed tells "too long" from "exactly at the limit".
    const int limit = r.truncate ? max_len : max_len + 1;
    std::vector<data::Example> examples(r.texts.size());
    for (size_t i = 0; i < r.texts.size(); ++i) {
      data::Encoding enc;
      if (!r.pairs.empty())
        enc = tok.encode_pair(r.texts[i], r.pairs[i], limit);  // longest_first, as predict
      else
        enc = r.truncate ? data::encode_truncated(tok, r.texts[i], max_len, rule)
                         : tok.encode(r.texts[i], limit);
      if (static_cast<int>(enc.ids.size()) > max_len)
        throw HttpError{413, "Validation",
                        "input " + std::to_string(i) + " is longer than " +
                            std::to_string(max_len) +
                            " tokens; send \"truncate\": true to cut it, or shorten it"};
      examples[i].input_ids = std::move(enc.ids);
      if (!r.pairs.empty()) examples[i].token_type_ids = std::move(enc.token_type_ids);
      examples[i].source_row = static_cast<int64_t>(i) + 1;
    }
    if (padded_tokens(examples) > options_.batch.max_batch_tokens)
      throw HttpError{413, "Validation",
                      "the request's " + std::to_string(padded_tokens(examples)) +
                          " padded tokens exceed --max-batch-tokens " +
                          std::to_string(options_.batch.max_batch_tokens) +
                          "; send fewer texts per request"};
    return examples;
  }

  model::Predictor& predictor_;
  const model::PredictorOptions& model_options_;
  const ServeOptions& options_;
  const ApiKey api_key_;
  Metrics metrics_;
  Batcher batcher_;
  std::atomic<bool> draining_{false};
};

}  // namespace

void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void run(model::Predictor& predictor, const model::PredictorOptions& model_options,
         const ServeOptions& options) {
  auto logger = log::get("serve");
  if (options.max_concurrent_requests < 1)
    throw usage_error("serve", "--max-concurrent-requests must be at least 1");
  if (options.batch.max_batch_requests < 1 || options.batch.max_batch_tokens < 1)
    throw usage_error("serve", "--max-batch-requests and --max-batch-tokens must be positive");
  Service service(predictor, model_options, options);
  httplib::Server http;
  // One thread per open connection (httplib serves a keep-alive connection on one thread):
  // enough for every admitted request plus some to answer 429 to the rest promptly.
  const size_t threads = static_cast<size_t>(options.max_concurrent_requests) + 16;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_keep_alive_max_count(100000);
  // httplib 0.11 ends an idle keep-alive connection only when its timeout passes, even on stop():
  // SIGTERM's drain waits for it. 2 s (gunicorn's default) bounds that wait; clients reconnect
  // after an idle gap as they do after any server's keep-alive timeout.
  http.set_keep_alive_timeout(2);
  http.set_tcp_nodelay(true);
  // No SO_REUSEPORT (listen_address.h). httplib tries each address of the host in turn and
  // returns with the one that bound: the last socket seen here.
  int listen_socket = -1;
  http.set_socket_options([&listen_socket](int sock) {
    set_listen_socket_options(sock);
    listen_socket = sock;
  });
  service.install(http);

  check_listen_host(options.host);
  int port = options.port;
  if (port == 0) {
    port = http.bind_to_any_port(options.host);
  } else if (!http.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port < 0) throw_bind_failure(options.host, options.port);
  raise_listen_backlog(listen_socket);
  if (!options.port_file.empty()) {
    // Written whole under another name, then renamed: a reader never sees half a number.
    durable::write_file_atomically(options.port_file, std::to_string(port) + "\n",
                                   {"serve", ExitCode::kUsage});
  }

  // The stop signals are blocked in every thread (block_stop_signals() ran before any thread
  // started); this one takes them synchronously, so no work happens in a signal handler.
  std::atomic<bool> done{false};
  std::thread signals([&] {
    const sigset_t set = stop_signals();
    const timespec tick{0, 100 * 1000 * 1000};
    while (!done) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig <= 0) continue;
      logger->info("{}: draining in-flight requests, then exiting",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      service.start_draining();
      // stop() is a no-op until listen has started; repeat it until listen has returned.
      while (!done) {
        http.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return;
    }
  });
  logger->info(
      "listening on http://{}:{} (POST / /predict /tokenize, GET /health /info /metrics "
      "/openapi.json){}",
      options.host, port,
      options.api_key.empty() ? "" : "; every route but /health needs the API key");
  // HTTP on its own thread, the forward passes on this one (the thread that loaded the model:
  // Batcher::run says why).
  std::exception_ptr listen_failed;
  std::thread listener([&] {
    try {
      http.listen_after_bind();  // returns after stop(), once every connection's thread finished
    } catch (...) {
      listen_failed = std::current_exception();
    }
    done = true;
    service.finish();  // in-flight requests have their answers; run_batches() returns
  });
  try {
    service.run_batches();
  } catch (...) {
    // Not expected (a failed batch answers its requests and the loop goes on); never leave the
    // listener running behind a dead batch loop.
    while (!done) {
      http.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    listener.join();
    signals.join();
    throw;
  }
  listener.join();
  signals.join();
  if (listen_failed) std::rethrow_exception(listen_failed);
  logger->info("stopped");
}

}  // namespace berth::serve

// berth serve --checkpoint DIR [--host 127.0.0.1] [--port 8080] [--port-file FILE]
//             [--max-concurrent-requests 512] [--max-batch-tokens 16384]
//             [--max-batch-requests 64] [--max-padding 0.25] [--max-wait-us 2000]
//             [--max-client-batch-size 32] [--max-body-bytes 1048576] [--api-key KEY]
//             [--max-length N] [--truncation head|tail|head_tail] [--head-tokens K]
//             [--no-verify] [--batch-size N] [--device cpu|cuda|cuda:N]
//             [--precision fp32|bf16|fp16|int8] [--threads N]
// Serves a fine-tuned checkpoint over HTTP (serve/server.h): POST /predict and /tokenize in the
// shapes of Hugging Face's text-embeddings-inference, POST / in the Inference API's, GET
// /health, /info, /metrics, /openapi.json. Concurrent requests share forward passes
// (serve/batcher.h). The checkpoint is used as predict uses it (launcher/checkpoint_use.h):
// verified against its manifest, and texts cut by its config.toml's data.max_length and
// data.truncation unless the flags say otherwise. Binds to 127.0.0.1 unless --host says
// otherwise; --api-key (or BERTH_API_KEY, which keeps the key out of `ps`) requires it as a
// bearer token on every route but /health. SIGTERM or SIGINT drains in-flight requests, then
// exits 0.
#include <cstdlib>
#include <memory>

#include "common/error.h"
#include "common/output_guard.h"
#include "launcher/checkpoint_use.h"
#include "launcher/commands.h"
#include "launcher/guarded_dirs.h"
#include "launcher/launch_env.h"
#include "launcher/predictor_options.h"
#include "launcher/truncation_options.h"
#include "model/predictor.h"
#include "serve/server.h"

namespace berth::launcher {
namespace {

struct ServeArgs {
  model::PredictorOptions model;
  serve::ServeOptions serve;
  int64_t max_wait_us = 2000;
};

void register_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  // Texts up to the model's own limit are accepted (longer ones: 413 unless "truncate").
  a->model.max_length = 512;
  auto* cmd = app.add_subcommand("serve", "Serve a fine-tuned model over HTTP (TEI-style API)");
  cmd->add_option("--checkpoint,--model", a->model.model_dir,
                  "Fine-tuned checkpoint or exported model directory")
      ->required();
  cmd->add_option("--host", a->serve.host, "Address to bind (0.0.0.0: every interface)")
      ->capture_default_str();
  cmd->add_option("--port", a->serve.port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_option("--port-file", a->serve.port_file,
                  "Write the bound port to this file once listening (for --port 0)");
  cmd->add_option("--max-concurrent-requests", a->serve.max_concurrent_requests,
                  "Requests in flight beyond this answer 429")
      ->capture_default_str();
  cmd->add_option("--max-batch-tokens", a->serve.batch.max_batch_tokens,
                  "Padded tokens per forward batch (texts x longest)")
      ->capture_default_str();
  cmd->add_option("--max-batch-requests", a->serve.batch.max_batch_requests,
                  "Requests per forward batch")
      ->capture_default_str();
  cmd->add_option("--max-padding", a->serve.batch.max_padding,
                  "Padding allowed per length-sorted sub-batch, as a fraction of its real tokens "
                  "(larger: fewer, wider forward passes)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-wait-us", a->max_wait_us,
                  "Longest wait for requests being parsed to join a batch (microseconds)")
      ->capture_default_str();
  cmd->add_option("--max-client-batch-size", a->serve.max_client_batch_size, "Texts per request")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", a->serve.max_body_bytes,
                  "Request bodies larger than this answer 413 (any content type)")
      ->capture_default_str();
  // Never given a default text or echoed: the key must not reach logs or --help.
  cmd->add_option("--api-key", a->serve.api_key,
                  "Require this bearer token on every route but /health (default: "
                  "$BERTH_API_KEY; unset: no authentication)");
  auto flags = add_truncation_options(cmd, a->model.truncation);
  flags.max_length =
      cmd->add_option("--max-length", a->model.max_length,
                      "Tokens per text (default: the checkpoint's data.max_length, else 512); "
                      "longer texts answer 413 unless the request sets truncate")
          ->capture_default_str();
  add_predictor_options(cmd, a->model);
  auto verify = add_verify_option(cmd);
  cmd->callback([a, verify, flags] {
    require_single_process("serve");
    OutputGuard guard("serve");
    guard_checkpoint(guard, a->model.model_dir, "--checkpoint");
    guard.check(a->serve.port_file, "--port-file");
    if (a->max_wait_us < 0) throw usage_error("serve", "--max-wait-us must be 0 or more");
    if (a->serve.api_key.empty())
      if (const char* key = std::getenv("BERTH_API_KEY")) a->serve.api_key = key;
    // The same checks and text settings as predict and eval: a corrupted checkpoint is refused,
    // and texts are cut the way the checkpoint was trained.
    check_checkpoint_for_use(a->model.model_dir, *verify);
    use_checkpoint_text_settings(a->model.model_dir, flags, a->model);
    a->serve.batch.max_wait = std::chrono::microseconds(a->max_wait_us);
    // Before the model's thread pool starts: only the server's signal thread takes SIGTERM.
    serve::block_stop_signals();
    model::Predictor predictor(a->model);
    serve::run(predictor, a->model, a->serve);
  });
}

const CommandRegistrar registrar(85, register_serve);

}  // namespace
}  // namespace berth::launcher

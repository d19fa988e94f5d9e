// `berth tokenize --model DIR [--max-length N] [--pairs]`: one JSON array of token ids per input
// line. Lines are split on '\n' only (a '\r' before it stays in the line); a last line without
// '\n' counts when it is not empty. Each output equals Hugging Face's
// AutoTokenizer(DIR)(line, truncation=True, max_length=N)["input_ids"] with the bytes decoded as
// errors="replace", for every tokenizer family Berth reads (docs/tokenizer.md). With --pairs a
// line is two texts separated by the first tab, encoded as tokenizer(a, b, ...) would.
// Used to check parity with Python and to inspect what the model will see.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "data/tokenizer.h"
#include "launcher/commands.h"

namespace berth::launcher {

namespace {

struct TokenizeOptions {
  std::string model;
  int max_length = 512;
  bool pairs = false;
};

void append_ids(std::string& out, const std::vector<int32_t>& ids) {
  out.push_back('[');
  char buf[16];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(',');
    int n = std::snprintf(buf, sizeof buf, "%d", ids[i]);
    out.append(buf, static_cast<size_t>(n));
  }
  out.append("]\n");
}

void write_all(const std::string& s) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) {
    throw data_error("tokenize", "cannot write to standard output",
                     "check the disk or the pipe reading berth's output");
  }
}

void run_tokenize(const TokenizeOptions& o) {
  if (o.max_length < 1) {
    throw usage_error("tokenize", "--max-length " + std::to_string(o.max_length) + " is too small",
                      "use --max-length 2 or more (typically 128 or 512)");
  }
  auto tok = data::Tokenizer::from_directory(o.model);
  if (const int k = tok.special_token_count(o.pairs); o.max_length < k) {
    throw usage_error("tokenize",
                      "--max-length " + std::to_string(o.max_length) + " is too small: the " +
                          std::to_string(k) + " special tokens of " + o.model + " alone take " +
                          std::to_string(k) + " tokens",
                      "use --max-length " + std::to_string(k) + " or more (typically 128 or 512)");
  }
  std::string pending;  // bytes of the current, incomplete line
  std::string out;
  out.reserve(1 << 20);
  std::vector<char> buf(1 << 20);
  auto emit = [&](std::string_view line) {
    const size_t tab = o.pairs ? line.find('\t') : std::string_view::npos;
    append_ids(out,
               tab == std::string_view::npos
                   ? tok.encode(line, o.max_length).ids
                   : tok.encode_pair(line.substr(0, tab), line.substr(tab + 1), o.max_length).ids);
    if (out.size() >= (1 << 20)) {
      write_all(out);
      out.clear();
    }
  };
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), stdin)) > 0) {
    std::string_view chunk(buf.data(), got);
    size_t pos = 0;
    for (size_t nl; (nl = chunk.find('\n', pos)) != std::string_view::npos; pos = nl + 1) {
      if (pending.empty()) {
        emit(chunk.substr(pos, nl - pos));
      } else {
        pending.append(chunk.substr(pos, nl - pos));
        emit(pending);
        pending.clear();
      }
    }
    pending.append(chunk.substr(pos));
  }
  if (std::ferror(stdin)) {
    throw data_error("tokenize", "cannot read standard input", "check the input file or pipe");
  }
  if (!pending.empty()) emit(pending);
  write_all(out);
  std::fflush(stdout);
}

void register_tokenize(CLI::App& app) {
  auto opts = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize",
                                 "Tokenize lines from stdin; print one JSON array of ids per line");
  cmd->add_option("--model", opts->model,
                  "Hugging Face model directory (tokenizer.json, or vocab.txt for BERT)")
      ->required();
  cmd->add_option("--max-length", opts->max_length,
                  "Truncate to this many ids, special tokens included")
      ->capture_default_str();
  cmd->add_flag("--pairs", opts->pairs,
                "Each line is a text pair separated by its first tab (a line without a tab is one "
                "text)");
  cmd->callback([opts] {
    run_tokenize(*opts);
    // Only memory is left to free; LibTorch's static teardown would still cost about 90 ms.
    request_fast_exit();
  });
}

const CommandRegistrar registrar(20, register_tokenize);

}  // namespace

}  // namespace berth::launcher

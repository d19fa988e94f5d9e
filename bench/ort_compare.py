"""The ONNX Runtime side of bench/ort_compare.sh, and the checkpoints both sides load.

usage: ort_compare.py COMMAND ARGS...
  finetune BASE_DIR OUT_DIR TRAIN_CSV STEPS SEED
      models/default (BASE_DIR) with a head for TRAIN_CSV's labels, fine-tuned briefly (STEPS
      AdamW steps of batch 32, lr 1e-4, max length 64, shuffled with SEED) by transformers and
      saved with save_pretrained, so that Berth and the exported graph load the same weights.
  export MODEL_DIR OUT_DIR THREADS
      OUT_DIR/fp32.onnx: torch.onnx.export of the classifier (input_ids, attention_mask,
      token_type_ids -> logits, dynamic batch and sequence), rewritten by ONNX Runtime's BERT
      graph optimizer (onnxruntime.transformers.optimizer, model_type bert: fused attention,
      SkipLayerNormalization, BiasGelu); OUT_DIR/int8.onnx: that graph after dynamic int8
      quantization (quantize_dynamic, per_channel, QInt8 weights).
  throughput ONNX MODEL_DIR TEXTS_TXT THREADS BATCH
      Tokenizes with the Rust tokenizer (tokenizers, MODEL_DIR/tokenizer.json, max length 128),
      sorts by length, runs batches of BATCH padded to their longest; prints JSON with the texts/s
      of the whole call (tokenizing included) and the seconds the session took to load.
  latency ONNX MODEL_DIR TEXTS_TXT THREADS COUNT WARMUP
      One text per call (tokenize + run), as bench/predict_latency.cpp times Berth: p50/p90 ms.
  accuracy ONNX MODEL_DIR TEST_CSV THREADS
      Accuracy on a labeled CSV (text,label), labels mapped by the model's config.json label2id.
  texts CSV OUT_TXT ROWS
      The CSV's texts, whitespace collapsed, cycled to ROWS lines.
"""

import csv
import itertools
import json
import sys
import time


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [(" ".join(r["text"].split()), r["label"]) for r in csv.DictReader(f)]


def finetune(base_dir, out_dir, train_csv, steps, seed):
    import random

    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    rows = read_csv(train_csv)
    labels = sorted({label for _, label in rows})
    label2id = {label: i for i, label in enumerate(labels)}
    torch.manual_seed(int(seed))
    random.Random(int(seed)).shuffle(rows)
    tok = AutoTokenizer.from_pretrained(base_dir)
    model = BertForSequenceClassification.from_pretrained(
        base_dir, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    batches = itertools.cycle(range(0, len(rows) - 31, 32))
    for step in range(int(steps)):
        chunk = rows[next(batches):][:32]
        enc = tok([t for t, _ in chunk], truncation=True, max_length=64, padding=True,
                  return_tensors="pt")
        out = model(**enc, labels=torch.tensor([label2id[label] for _, label in chunk]))
        out.loss.backward()
        opt.step()
        opt.zero_grad()
        if step % 50 == 0:
            print(f"step {step} loss {out.loss.item():.4f}", file=sys.stderr)
    model.save_pretrained(out_dir, safe_serialization=True)
    tok.save_pretrained(out_dir)


def export(model_dir, out_dir, threads):
    import os

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, BertForSequenceClassification

    torch.set_num_threads(int(threads))
    cfg = AutoConfig.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir).eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    raw = os.path.join(out_dir, "raw.onnx")
    dyn = {0: "batch", 1: "seq"}
    # The TorchScript exporter: its graph is the one ORT's BERT optimizer's fusions match.
    torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), raw,
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": dyn, "attention_mask": dyn,
                                    "token_type_ids": dyn, "logits": {0: "batch"}})
    opt = optimizer.optimize_model(raw, model_type="bert", num_heads=cfg.num_attention_heads,
                                   hidden_size=cfg.hidden_size, opt_level=1)
    fused = opt.get_fused_operator_statistics()
    print(json.dumps({k: v for k, v in fused.items() if v}), file=sys.stderr)
    fp32 = os.path.join(out_dir, "fp32.onnx")
    opt.save_model_to_file(fp32)
    # The fused graph's contrib ops (Attention, SkipLayerNormalization) defeat ONNX shape
    # inference; their float outputs are declared float for the quantizer.
    quantize_dynamic(fp32, os.path.join(out_dir, "int8.onnx"), per_channel=True,
                     weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def session(onnx_path, threads):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])


def tokenizer(model_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(model_dir + "/tokenizer.json")
    tok.enable_truncation(128)
    tok.no_padding()
    return tok


def run_batch(sess, encs):
    import numpy as np

    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), dtype=np.int64)  # (batch, seq)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids
        mask[i, :len(e.ids)] = 1
    return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask,
                                 "token_type_ids": np.zeros_like(ids)})[0]


def throughput(onnx_path, model_dir, txt, threads, batch):
    t0 = time.perf_counter()
    sess = session(onnx_path, threads)
    tok = tokenizer(model_dir)
    load_s = time.perf_counter() - t0
    with open(txt, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    t1 = time.perf_counter()
    encs = tok.encode_batch(texts)
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
    labels = [0] * len(texts)
    b = int(batch)
    for s in range(0, len(order), b):
        idx = order[s:s + b]
        for i, row in zip(idx, run_batch(sess, [encs[i] for i in idx])):
            labels[i] = int(row.argmax())
    dt = time.perf_counter() - t1
    print(json.dumps({"texts": len(texts), "texts_per_s": len(texts) / dt, "load_s": load_s}))


def latency(onnx_path, model_dir, txt, threads, count, warmup):
    sess = session(onnx_path, threads)
    tok = tokenizer(model_dir)
    with open(txt, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    for i in range(int(warmup)):
        run_batch(sess, [tok.encode(texts[i % len(texts)])])
    ms = []
    for i in range(int(count)):
        t0 = time.perf_counter()
        run_batch(sess, [tok.encode(texts[(int(warmup) + i) % len(texts)])])
        ms.append(1000 * (time.perf_counter() - t0))
    ms.sort()
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(json.dumps({"n": len(ms), "p50_ms": pick(0.5), "p90_ms": pick(0.9),
                      "mean_ms": sum(ms) / len(ms)}))


def accuracy(onnx_path, model_dir, test_csv, threads):
    with open(model_dir + "/config.json", encoding="utf-8") as f:
        label2id = json.load(f)["label2id"]
    sess = session(onnx_path, threads)
    tok = tokenizer(model_dir)
    rows = read_csv(test_csv)
    encs = tok.encode_batch([t for t, _ in rows])
    right = 0
    for s in range(0, len(rows), 32):
        logits = run_batch(sess, encs[s:s + 32])
        right += sum(int(row.argmax()) == label2id[label]
                     for row, (_, label) in zip(logits, rows[s:s + 32]))
    print(json.dumps({"accuracy": right / len(rows), "n": len(rows)}))


def texts(csv_path, out_txt, rows):
    base = [t for t, _ in read_csv(csv_path)]
    with open(out_txt, "w", encoding="utf-8") as f:
        for t in itertools.islice(itertools.cycle(base), int(rows)):
            f.write(t + "\n")


if __name__ == "__main__":
    commands = {f.__name__: f for f in (finetune, export, throughput, latency, accuracy, texts)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])

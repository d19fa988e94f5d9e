"""Hugging Face reference for Berth's BERT classifier (tests/model/*_test.cpp).

Subcommands:
  forward MODEL_DIR INPUT_JSON OUTPUT_SAFETENSORS
      Loads MODEL_DIR with transformers' BertForSequenceClassification (fp32, eval mode, the
      default attention implementation) and runs each batch of INPUT_JSON:
        {"batches": [{"input_ids": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]],
                      "labels": [...] (optional), "grads": ["param name", ...] (optional)}]}
      Writes b<i>.last_hidden, b<i>.pooled, b<i>.logits and, with labels, b<i>.loss and
      b<i>.grad.<name> (gradients of HF's own loss) to OUTPUT_SAFETENSORS. Prints JSON with the
      loading report (missing/unexpected/mismatched keys), the attention implementation and the
      tokenizer class AutoTokenizer picks for the directory.
  create BASE_DIR OUTPUT_DIR NUM_LABELS SEED
      A BertForSequenceClassification from BASE_DIR with a head seeded by SEED, saved with
      save_pretrained (safetensors) together with BASE_DIR's tokenizer.
  names CONFIG_DIR NUM_LABELS
      Prints the state_dict keys and shapes of BertForSequenceClassification(config) as JSON.
  predict MODEL_DIR CSV_FILE MAX_LENGTH
      Tokenizes the CSV's "text" column with AutoTokenizer (truncation to MAX_LENGTH, padding)
      and prints the softmax probabilities of AutoModelForSequenceClassification as JSON rows:
      the end-to-end reference for `berth predict`.

  predict_windows MODEL_DIR CSV_FILE MAX_LENGTH STRIDE AGGREGATE
      The reference for `--windows STRIDE`: each text's windows from AutoTokenizer with
      return_overflowing_tokens=True and stride=STRIDE, their logits from
      AutoModelForSequenceClassification, then the mean or max (AGGREGATE) over the text's
      windows, softmaxed: JSON rows of probabilities, one per text.

Token ids are passed as JSON so that the comparison does not depend on any tokenizer.
"""

import csv
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import (AutoConfig, AutoModelForSequenceClassification, AutoTokenizer,
                          BertForSequenceClassification)


def forward(model_dir, input_path, output_path):
    torch.manual_seed(0)
    model, info = BertForSequenceClassification.from_pretrained(
        model_dir, output_loading_info=True, torch_dtype=torch.float32)
    model.eval()
    with open(input_path) as f:
        spec = json.load(f)
    pooled = {}
    model.bert.pooler.register_forward_hook(lambda m, i, o: pooled.__setitem__("v", o))
    params = dict(model.named_parameters())
    out = {}
    for b, batch in enumerate(spec["batches"]):
        ids = torch.tensor(batch["input_ids"], dtype=torch.long)
        mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
        types = torch.tensor(batch["token_type_ids"], dtype=torch.long)
        # Multi-label heads take multi-hot float targets (BCEWithLogitsLoss), others class ids.
        multi = model.config.problem_type == "multi_label_classification"
        labels = (torch.tensor(batch["labels"], dtype=torch.float if multi else torch.long)
                  if "labels" in batch else None)
        model.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(labels is not None):
            r = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels,
                      output_hidden_states=True)
        p = f"b{b}."
        out[p + "last_hidden"] = r.hidden_states[-1].detach()
        out[p + "pooled"] = pooled["v"].detach()
        out[p + "logits"] = r.logits.detach()
        if labels is not None:
            r.loss.backward()
            out[p + "loss"] = r.loss.detach().reshape(1)
            for name in batch.get("grads", []):
                out[p + "grad." + name] = params[name].grad.detach()
    save_file({k: v.contiguous() for k, v in out.items()}, output_path)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    print(json.dumps({
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": [str(k) for k in info["mismatched_keys"]],
        "attn_implementation": model.config._attn_implementation,
        "num_labels": model.config.num_labels,
        "problem_type": model.config.problem_type,
        "id2label": {str(k): v for k, v in model.config.id2label.items()},
        "tokenizer": type(tokenizer).__name__,
    }))


def create(base_dir, output_dir, num_labels, seed):
    torch.manual_seed(int(seed))
    model = BertForSequenceClassification.from_pretrained(base_dir, num_labels=int(num_labels))
    model.save_pretrained(output_dir, safe_serialization=True)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(output_dir)


def names(config_dir, num_labels):
    config = AutoConfig.from_pretrained(config_dir, num_labels=int(num_labels))
    model = BertForSequenceClassification(config)
    print(json.dumps({k: list(v.shape) for k, v in model.state_dict().items()}))


def predict(model_dir, csv_path, max_length):
    with open(csv_path, newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    enc = tokenizer(texts, truncation=True, max_length=int(max_length), padding=True,
                    return_tensors="pt")
    with torch.no_grad():
        probs = torch.softmax(model(**enc).logits, dim=-1)
    print(json.dumps(probs.tolist()))


def predict_windows(model_dir, csv_path, max_length, stride, aggregate):
    with open(csv_path, newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    enc = tokenizer(texts, truncation=True, max_length=int(max_length), stride=int(stride),
                    return_overflowing_tokens=True, padding=True, return_tensors="pt")
    sample = enc.pop("overflow_to_sample_mapping")
    with torch.no_grad():
        logits = model(**enc).logits
    rows = []
    for i in range(len(texts)):
        mine = logits[sample == i]
        agg = mine.mean(0) if aggregate == "mean" else mine.max(0).values
        rows.append({"windows": int(mine.shape[0]), "probs": torch.softmax(agg, -1).tolist()})
    print(json.dumps(rows))


if __name__ == "__main__":
    commands = {"forward": forward, "create": create, "names": names, "predict": predict,
                "predict_windows": predict_windows}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])

"""Hugging Face reference for Berth's classifiers of every family
(tests/model/family_parity_test.cpp, tests/trainer/family_train_steps_test.cpp).

Subcommands:
  forward MODEL_DIR INPUT_JSON OUTPUT_SAFETENSORS MODE
      AutoModelForSequenceClassification.from_pretrained(MODEL_DIR) in fp32, MODE "eval" or
      "train", runs each batch of INPUT_JSON ({"batches": [{"input_ids", "attention_mask",
      "token_type_ids", "labels" (optional)}]}) and writes b<i>.last_hidden, b<i>.logits and, with
      labels, b<i>.loss (transformers' own loss) and b<i>.grad.<name> for every parameter.
      Prints JSON: the loading report, the class, model_type, num_labels, num_params,
      problem_type, id2label.
  train MODEL_DIR INPUT_JSON STEPS LR WEIGHT_DECAY
      STEPS updates of torch.optim.AdamW (no weight decay for biases and LayerNorm weights, as
      Hugging Face's Trainer), one batch each in turn, train mode; prints the losses as JSON.
  create FAMILY TOKENIZER_DIR OUT_DIR NUM_LABELS [PROBLEM_TYPE]
      A tiny random AutoModelForSequenceClassification of FAMILY (a model_type) sized to the
      fast tokenizer in TOKENIZER_DIR (its vocabulary, its pad/bos/eos/cls/sep ids), labels
      c0..c<N-1>, saved with save_pretrained beside a copy of the tokenizer files: what a user
      brings, for `berth train` end to end (tests/launcher/family_run_test.cpp).
  predict MODEL_DIR CSV_FILE MAX_LENGTH
      AutoTokenizer + AutoModelForSequenceClassification on the CSV's "text" column (truncation,
      padding), only the inputs the model's forward takes; prints probabilities (softmax, or
      sigmoid for multi-label) as JSON rows.
"""
import csv
import inspect
import os
import shutil
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer


def load(model_dir):
    model, info = AutoModelForSequenceClassification.from_pretrained(
        model_dir, output_loading_info=True, torch_dtype=torch.float32)
    return model, info


def tensors(batch, model):
    ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
    kwargs = dict(input_ids=ids, attention_mask=mask)
    # DistilBERT and ModernBERT take no token types; DeBERTa-v3 (type_vocab_size 0) ignores them.
    if "token_type_ids" in batch and model.config.model_type not in ("distilbert", "modernbert"):
        kwargs["token_type_ids"] = torch.tensor(batch["token_type_ids"], dtype=torch.long)
    if "labels" in batch:
        multi = model.config.problem_type == "multi_label_classification"
        kwargs["labels"] = torch.tensor(batch["labels"],
                                        dtype=torch.float if multi else torch.long)
    return kwargs


def forward(model_dir, input_path, output_path, mode):
    torch.manual_seed(0)
    model, info = load(model_dir)
    model.train(mode == "train")
    spec = json.load(open(input_path))
    out = {}
    for b, batch in enumerate(spec["batches"]):
        kwargs = tensors(batch, model)
        model.zero_grad(set_to_none=True)
        with torch.set_grad_enabled("labels" in kwargs):
            r = model(**kwargs, output_hidden_states=True)
        p = f"b{b}."
        out[p + "last_hidden"] = r.hidden_states[-1].detach()
        out[p + "logits"] = r.logits.detach()
        if "labels" in kwargs:
            r.loss.backward()
            out[p + "loss"] = r.loss.detach().reshape(1)
            for name, param in model.named_parameters():
                if param.grad is not None:
                    out[p + "grad." + name] = param.grad.detach()
    save_file({k: v.contiguous() for k, v in out.items()}, output_path)
    print(json.dumps({
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": [str(k) for k in info["mismatched_keys"]],
        "class": type(model).__name__,
        "model_type": model.config.model_type,
        "num_labels": model.config.num_labels,
        "num_params": len(list(model.named_parameters())),
        "problem_type": model.config.problem_type,
        "id2label": {str(k): v for k, v in model.config.id2label.items()},
    }))


def train(model_dir, input_path, steps, lr, weight_decay):
    torch.manual_seed(0)
    model, _ = load(model_dir)
    model.train()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        plain = name.endswith(".bias") or "LayerNorm" in name or "layer_norm" in name
        (no_decay if plain or p.dim() < 2 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": float(weight_decay)},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=float(lr), betas=(0.9, 0.999), eps=1e-8)
    batches = json.load(open(input_path))["batches"]
    losses = []
    for step in range(int(steps)):
        kwargs = tensors(batches[step % len(batches)], model)
        opt.zero_grad(set_to_none=True)
        loss = model(**kwargs).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(json.dumps(losses))


def create(family, tokenizer_dir, out, num_labels, problem_type=None):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_deberta_modernbert import VARIANTS

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    special = dict(vocab_size=len(tok), pad_token_id=tok.pad_token_id, num_labels=int(num_labels))
    for key, token in (("bos_token_id", tok.bos_token_id or tok.cls_token_id),
                       ("eos_token_id", tok.eos_token_id or tok.sep_token_id)):
        if token is not None:
            special[key] = token
    if family in ("deberta-v2", "modernbert"):
        settings = dict(VARIANTS["deberta-v3" if family == "deberta-v2" else family][1])
        if family == "modernbert":
            settings.update(cls_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id)
        settings.update(special)
        cfg = AutoConfig.for_model(family, **settings)
    elif family == "distilbert":
        cfg = AutoConfig.for_model(family, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                   max_position_embeddings=128, dropout=0.0,
                                   attention_dropout=0.0, seq_classif_dropout=0.0, **special)
    else:
        # RoBERTa and XLM-R number positions from pad + 1 and have one token type.
        roberta = family in ("roberta", "xlm-roberta")
        cfg = AutoConfig.for_model(
            family, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
            max_position_embeddings=130 if roberta else 128, type_vocab_size=1 if roberta else 2,
            **(dict(embedding_size=16) if family == "electra" else {}), **special)
    if problem_type:
        cfg.problem_type = problem_type
    cfg.id2label = {i: f"c{i}" for i in range(int(num_labels))}
    cfg.label2id = {v: k for k, v in cfg.id2label.items()}
    torch.manual_seed(1234)
    model = AutoModelForSequenceClassification.from_config(cfg)
    # HF's init leaves LayerNorms at exactly 1/0 and small weights: perturb every parameter so
    # that a swapped or unused one changes the outputs.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(out, safe_serialization=True)
    for name in os.listdir(tokenizer_dir):
        if name not in ("config.json", "model.safetensors"):
            shutil.copy(os.path.join(tokenizer_dir, name), os.path.join(out, name))


def predict(model_dir, csv_path, max_length):
    with open(csv_path, newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    enc = tokenizer(texts, truncation=True, max_length=int(max_length), padding=True,
                    return_tensors="pt")
    takes = inspect.signature(model.forward).parameters
    enc = {k: v for k, v in enc.items() if k in takes}
    with torch.no_grad():
        logits = model(**enc).logits
    multi = model.config.problem_type == "multi_label_classification"
    probs = torch.sigmoid(logits) if multi else torch.softmax(logits, dim=-1)
    print(json.dumps(probs.tolist()))


if __name__ == "__main__":
    commands = {"forward": forward, "train": train, "create": create, "predict": predict}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])

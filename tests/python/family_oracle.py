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
"""
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForSequenceClassification


def load(model_dir):
    model, info = AutoModelForSequenceClassification.from_pretrained(
        model_dir, output_loading_info=True, torch_dtype=torch.float32)
    return model, info


def tensors(batch, model):
    ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
    kwargs = dict(input_ids=ids, attention_mask=mask)
    if model.config.model_type != "distilbert":
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


if __name__ == "__main__":
    commands = {"forward": forward, "train": train}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])

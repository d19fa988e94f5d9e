"""Replays Berth's first training steps with transformers + torch.optim.AdamW.

Reads the tiny model directory, the corpus Berth trained on (HDF5, via h5py) and Berth's batch
trace (one JSON list of example indices per micro-batch), and does the same optimizer steps:
loss = sum of cross-entropy over the step's examples / their number (Berth's normalisation,
equal to the mean for full batches), AdamW with no decay on biases and LayerNorm weights,
transformers' linear warm-up schedule, clip_grad_norm_. Prints the per-step losses as JSON.
A multi-label corpus (label_set_ids/label_set_offsets) trains the model as
problem_type="multi_label_classification" with transformers' own loss (BCEWithLogitsLoss, the
mean over batch x labels), scaled by batch/count as Berth normalises by the step's examples.
Optional LABEL_SMOOTHING (cross_entropy's label_smoothing, single-label) and LAYER_DECAY (one
param group per depth, from the module tree: embeddings 0, encoder layer i i + 1, the rest L + 1,
at lr * LAYER_DECAY^(L + 1 - depth)) check the recipe options (tests/trainer/recipe_options_test.cpp).
Usage: training_oracle.py MODEL_DIR CORPUS TRACE STEPS ACCUM LR WARMUP TOTAL WD CLIP
                          [LABEL_SMOOTHING [LAYER_DECAY]]
"""
import json
import sys

import h5py
import torch
from transformers import BertForSequenceClassification, get_linear_schedule_with_warmup

model_dir, corpus, trace = sys.argv[1:4]
steps, accum = int(sys.argv[4]), int(sys.argv[5])
lr, warmup, total, wd, clip = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), float(
    sys.argv[9]), float(sys.argv[10])
smoothing = float(sys.argv[11]) if len(sys.argv) > 11 else 0.0
layer_decay = float(sys.argv[12]) if len(sys.argv) > 12 else 1.0
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)

with h5py.File(corpus, "r") as f:
    ids, offsets = f["input_ids"][:], f["offsets"][:]
    multi_label = "label_set_ids" in f
    if multi_label:
        set_ids, set_offsets = f["label_set_ids"][:], f["label_set_offsets"][:]
        num_labels = len(f["label_names"])
    else:
        labels = f["labels"][:]
batches = [json.loads(line) for line in open(trace)]

model = BertForSequenceClassification.from_pretrained(
    model_dir, attn_implementation="sdpa",
    **({"problem_type": "multi_label_classification"} if multi_label else {}))
model.train()
depth = {id(p): 0 for p in model.bert.embeddings.parameters()}
for i, layer in enumerate(model.bert.encoder.layer):
    depth.update({id(p): i + 1 for p in layer.parameters()})
n_layers = len(model.bert.encoder.layer)
groups = []
for name, p in model.named_parameters():
    rate = lr * layer_decay ** (n_layers + 1 - depth.get(id(p), n_layers + 1))
    no_wd = name.endswith(".bias") or "LayerNorm" in name or p.dim() < 2
    groups.append({"params": [p], "lr": rate, "weight_decay": 0.0 if no_wd else wd})
opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
sched = get_linear_schedule_with_warmup(opt, warmup, total)


def collate(idx):
    seqs = [ids[offsets[i]:offsets[i + 1]].astype("int64") for i in idx]
    n = max(len(s) for s in seqs)
    input_ids = torch.zeros(len(seqs), n, dtype=torch.long)
    mask = torch.zeros(len(seqs), n, dtype=torch.long)
    for r, s in enumerate(seqs):
        input_ids[r, :len(s)] = torch.from_numpy(s)
        mask[r, :len(s)] = 1
    if multi_label:
        y = torch.zeros(len(idx), num_labels)
        for r, i in enumerate(idx):
            y[r, set_ids[set_offsets[i]:set_offsets[i + 1]]] = 1.0
        return input_ids, mask, y
    return input_ids, mask, torch.tensor([int(labels[i]) for i in idx])


losses, k = [], 0
for step in range(steps):
    micro = batches[k:k + accum]
    k += accum
    count = sum(len(m) for m in micro)
    total_loss = 0.0
    for m in micro:
        input_ids, mask, y = collate(m)
        if multi_label:
            out = model(input_ids=input_ids, attention_mask=mask,
                        token_type_ids=torch.zeros_like(input_ids), labels=y)
            loss = out.loss * len(m) / count
        else:
            logits = model(input_ids=input_ids, attention_mask=mask,
                           token_type_ids=torch.zeros_like(input_ids)).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), y, reduction="sum",
                                                     label_smoothing=smoothing) / count
        loss.backward()
        total_loss += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    sched.step()
    opt.zero_grad()
    losses.append(total_loss)
print(json.dumps(losses))

"""References for the recipe options (tests/trainer/recipe_options_test.cpp).

Subcommands:
  layers DECAY LR FAMILY...
      For each FAMILY (one process: transformers is imported once), a tiny random AutoModelForSequenceClassification of model_type FAMILY (vocab 100, 2 layers,
      hidden 8). The depth of each parameter is taken from the module tree, not from its name:
      0 for the parameters of the embedding modules (base.embeddings, ELECTRA's
      embeddings_project, DeBERTa's encoder.rel_embeddings and encoder.LayerNorm), i + 1 for
      those of the i-th module of the encoder's layer list, L + 1 for everything else (the
      ELECTRA/DeBERTa recipes' layer-wise decay). torch.optim.AdamW then takes two steps with one
      param group per parameter at lr * DECAY^(L + 1 - depth) (weight decay 0.01 on matrices
      that are not LayerNorm weights), under transformers' linear schedule (warm-up 1 of 4
      steps). Parameters and gradients are made from arange/sin/cos, as the C++ side makes them.
      Prints JSON: names, shapes, depth, num_layers, the rate of each parameter at each step,
      and the parameters after the steps (flattened), keyed by family.
  loss
      torch's losses on fixed logits (made from arange/sin/cos as the C++ side makes them):
      F.cross_entropy(label_smoothing=), BCE with smoothed targets, and the distillation losses.
"""
import json
import sys

import torch
import torch.nn.functional as F
from transformers import (AutoConfig, AutoModelForSequenceClassification,
                          get_linear_schedule_with_warmup)

torch.set_num_threads(1)


def tiny(family):
    common = dict(vocab_size=100, num_labels=3)
    if family == "distilbert":
        return AutoConfig.for_model(family, dim=8, n_layers=2, n_heads=2, hidden_dim=16,
                                    max_position_embeddings=32, **common)
    if family == "modernbert":
        return AutoConfig.for_model(family, hidden_size=8, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=16,
                                    max_position_embeddings=32, pad_token_id=0, **common)
    extra = dict(max_position_embeddings=32)
    if family == "electra":
        extra["embedding_size"] = 4
    if family == "deberta-v2":
        extra.update(relative_attention=True, position_buckets=4, norm_rel_ebd="layer_norm",
                     share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False)
    return AutoConfig.for_model(family, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=16, **extra, **common)


def depths(model):
    base = model.base_model
    if hasattr(base, "layers"):  # ModernBERT
        layer_list = base.layers
    elif hasattr(base, "transformer"):  # DistilBERT
        layer_list = base.transformer.layer
    else:
        layer_list = base.encoder.layer
    embedding_modules = [base.embeddings]
    if hasattr(base, "embeddings_project"):
        embedding_modules.append(base.embeddings_project)
    encoder = getattr(base, "encoder", None)
    for attr in ("rel_embeddings", "LayerNorm"):
        if encoder is not None and hasattr(encoder, attr):
            embedding_modules.append(getattr(encoder, attr))
    where = {}
    for m in embedding_modules:
        for p in m.parameters():
            where[id(p)] = 0
    for i, layer in enumerate(layer_list):
        for p in layer.parameters():
            where[id(p)] = i + 1
    n = len(layer_list)
    return [(name, p, where.get(id(p), n + 1)) for name, p in model.named_parameters()], n


def layers(family, decay, lr):
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(tiny(family))
    named, n = depths(model)
    params, groups = [], []
    for k, (name, p, d) in enumerate(named):
        numel = p.numel()
        t = torch.nn.Parameter(
            torch.arange(numel, dtype=torch.float32).mul(0.37).add(0.1 * k).sin().reshape(p.shape))
        no_decay = "LayerNorm" in name or "layer_norm" in name or name.endswith(".bias") or p.dim() <= 1
        params.append(t)
        groups.append({"params": [t], "lr": lr * decay ** (n + 1 - d),
                       "weight_decay": 0.0 if no_decay else 0.01})
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, 1, 4)
    rates = []
    for s in range(2):
        sched_rates = [g["lr"] for g in opt.param_groups]
        rates.append(sched_rates)
        for k, t in enumerate(params):
            t.grad = torch.arange(t.numel(), dtype=torch.float32).add(s + k).mul(0.7).cos().reshape(
                t.shape)
        opt.step()
        sched.step()
    return {"names": [x[0] for x in named], "shapes": [list(x[1].shape) for x in named],
            "depth": [x[2] for x in named], "num_layers": n, "rates": rates,
            "after": [t.detach().flatten().tolist() for t in params]}


def loss():
    b, k = 6, 4
    logits = torch.arange(b * k, dtype=torch.float32).mul(0.9).sin().mul(3).reshape(b, k)
    teacher = torch.arange(b * k, dtype=torch.float32).mul(1.7).cos().mul(2.5).reshape(b, k)
    labels = torch.tensor([0, 3, 1, 2, 3, 1])
    multi = (torch.arange(b * k).reshape(b, k) % 3 == 0).float()
    weights = torch.tensor([1.0, 2.0, 0.5, 1.5])
    out = {}
    for eps in (0.0, 0.1, 0.3):
        out[f"ce_{eps}"] = F.cross_entropy(logits, labels, label_smoothing=eps, reduction="sum").item()
        out[f"ce_w_{eps}"] = F.cross_entropy(logits, labels, weight=weights, label_smoothing=eps,
                                             reduction="sum").item()
        y = multi * (1 - eps) + eps / 2
        out[f"bce_{eps}"] = F.binary_cross_entropy_with_logits(logits, y, reduction="sum").item() / k
    for t, alpha in ((2.0, 0.5), (1.0, 1.0), (4.0, 0.3)):
        kl = F.kl_div(F.log_softmax(logits / t, -1), F.log_softmax(teacher / t, -1),
                      reduction="batchmean", log_target=True) * b
        ce = F.cross_entropy(logits, labels, label_smoothing=0.1, reduction="sum")
        out[f"distill_{t}_{alpha}"] = ((1 - alpha) * ce + alpha * t * t * kl).item()
        soft = F.binary_cross_entropy_with_logits(logits / t, torch.sigmoid(teacher / t),
                                                  reduction="mean") * b
        bce = F.binary_cross_entropy_with_logits(logits, multi, reduction="mean") * b
        out[f"distill_multi_{t}_{alpha}"] = ((1 - alpha) * bce + alpha * t * t * soft).item()
    return out


if __name__ == "__main__":
    if sys.argv[1] == "layers":
        decay, lr = float(sys.argv[2]), float(sys.argv[3])
        print(json.dumps({f: layers(f, decay, lr) for f in sys.argv[4:]}))
    else:
        print(json.dumps(loss()))

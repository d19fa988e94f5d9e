"""Hugging Face reference for Berth's DeBERTa-v2/v3 and ModernBERT classifiers
(tests/model/deberta_v2_parity_test.cpp, tests/model/modernbert_parity_test.cpp).

Subcommands:
  create VARIANT OUTPUT_DIR NUM_LABELS SEED
      A tiny randomly initialised AutoModelForSequenceClassification (seeded) of one of the
      VARIANTS below, saved with save_pretrained (config.json + model.safetensors), and a
      word-level tokenizer.json over its 500 ids (what a Berth save copies along). All dropout
      probabilities are 0, so training-mode gradients are deterministic on both sides.
  forward MODEL_DIR INPUT_JSON OUTPUT_SAFETENSORS
      Loads MODEL_DIR with AutoModelForSequenceClassification (fp32, eval mode, the default
      attention implementation on this machine) and runs each batch of INPUT_JSON:
        {"batches": [{"input_ids": [[...]], "attention_mask": [[...]],
                      "token_type_ids": [[...]] (optional), "labels": [...] (optional)}]}
      Writes b<i>.last_hidden (the base model's last_hidden_state), b<i>.pooled (what the
      classifier's dropout reads: DeBERTa's ContextPooler output, ModernBERT's head output),
      b<i>.logits and, with labels, b<i>.loss and b<i>.grad.<name> for every parameter (gradients
      of transformers' own loss). Prints a JSON line with the loading report, the attention
      implementation, the class and the label count.

Token ids are passed as JSON so that the comparison does not depend on any tokenizer.
"""

import json
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import AutoConfig, AutoModelForSequenceClassification

_NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pooler_dropout=0.0)

VARIANTS = {
    # DeBERTa-v3's layout (microsoft/deberta-v3-*): shared attention keys, log-bucketed relative
    # positions, LayerNorm'd relative embeddings, no absolute positions, no token types.
    "deberta-v3": ("deberta-v2", dict(
        vocab_size=500, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, type_vocab_size=0,
        relative_attention=True, position_buckets=8, max_relative_positions=-1,
        norm_rel_ebd="layer_norm", share_att_key=True, pos_att_type=["p2c", "c2p"],
        position_biased_input=False, layer_norm_eps=1e-7, pad_token_id=0, hidden_act="gelu",
        pooler_hidden_act="gelu", **_NO_DROPOUT)),
    # DeBERTa-v2's other switches: separate position projections (pos_key_proj/pos_query_proj),
    # absolute positions added to the input, token types, relative positions without buckets and
    # without the LayerNorm, a tanh-approximated GELU in the pooler.
    "deberta-v2": ("deberta-v2", dict(
        vocab_size=500, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
        relative_attention=True, position_buckets=-1, max_relative_positions=12,
        norm_rel_ebd="none", share_att_key=False, pos_att_type=["c2p", "p2c"],
        position_biased_input=True, layer_norm_eps=1e-7, pad_token_id=0, hidden_act="gelu",
        pooler_hidden_act="gelu_new", **_NO_DROPOUT)),
    # ModernBERT with its defaults' shape: global attention every third layer (0 and 3), local
    # sliding windows of 8 tokens in between, no biases, [CLS] pooling.
    "modernbert": ("modernbert", dict(
        vocab_size=500, hidden_size=32, intermediate_size=48, num_hidden_layers=4,
        num_attention_heads=4, max_position_embeddings=128, global_attn_every_n_layers=3,
        local_attention=8, global_rope_theta=160000.0, local_rope_theta=10000.0,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
        norm_eps=1e-5, attention_dropout=0.0, embedding_dropout=0.0, mlp_dropout=0.0,
        classifier_dropout=0.0, classifier_pooling="cls")),
    # The switches ModernBERT's defaults leave off: biases everywhere, mean pooling, a SiLU head.
    "modernbert-mean": ("modernbert", dict(
        vocab_size=500, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
        num_attention_heads=2, max_position_embeddings=128, global_attn_every_n_layers=2,
        local_attention=6, global_rope_theta=80000.0, local_rope_theta=5000.0,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
        norm_eps=1e-5, norm_bias=True, attention_bias=True, mlp_bias=True,
        classifier_bias=True, classifier_activation="silu", attention_dropout=0.0,
        embedding_dropout=0.0, mlp_dropout=0.0, classifier_dropout=0.0,
        classifier_pooling="mean")),
}


def create(variant, output_dir, num_labels, seed):
    model_type, settings = VARIANTS[variant]
    config = AutoConfig.for_model(model_type, num_labels=int(num_labels), **settings)
    torch.manual_seed(int(seed))
    model = AutoModelForSequenceClassification.from_config(config)
    # Random weights around HF's init leave LayerNorms at exactly 1/0; perturb every parameter
    # a little so that a swapped or unused weight/bias changes the outputs.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(output_dir, safe_serialization=True)
    vocab = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3}
    vocab.update({f"w{i}": i for i in range(4, config.vocab_size)})
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(f"{output_dir}/tokenizer.json")


def forward(model_dir, input_path, output_path):
    torch.manual_seed(0)
    model, info = AutoModelForSequenceClassification.from_pretrained(
        model_dir, output_loading_info=True, torch_dtype=torch.float32)
    model.eval()
    base = model.deberta if hasattr(model, "deberta") else model.model
    head = model.pooler if hasattr(model, "deberta") else model.head
    seen = {}
    base.register_forward_hook(lambda m, i, o: seen.__setitem__("last_hidden", o[0]))
    head.register_forward_hook(lambda m, i, o: seen.__setitem__("pooled", o))
    params = dict(model.named_parameters())
    with open(input_path) as f:
        spec = json.load(f)
    out = {}
    for b, batch in enumerate(spec["batches"]):
        kwargs = {"input_ids": torch.tensor(batch["input_ids"], dtype=torch.long),
                  "attention_mask": torch.tensor(batch["attention_mask"], dtype=torch.long)}
        if "token_type_ids" in batch:
            kwargs["token_type_ids"] = torch.tensor(batch["token_type_ids"], dtype=torch.long)
        labels = torch.tensor(batch["labels"], dtype=torch.long) if "labels" in batch else None
        model.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(labels is not None):
            r = model(**kwargs, labels=labels)
        p = f"b{b}."
        out[p + "last_hidden"] = seen["last_hidden"].detach()
        out[p + "pooled"] = seen["pooled"].detach()
        out[p + "logits"] = r.logits.detach()
        if labels is not None:
            r.loss.backward()
            out[p + "loss"] = r.loss.detach().reshape(1)
            for name, param in params.items():
                if param.grad is not None:
                    out[p + "grad." + name] = param.grad.detach()
    save_file({k: v.contiguous() for k, v in out.items()}, output_path)
    print(json.dumps({
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": [str(k) for k in info["mismatched_keys"]],
        "attn_implementation": model.config._attn_implementation,
        "class": type(model).__name__,
        "num_labels": model.config.num_labels,
        "id2label": {str(k): v for k, v in model.config.id2label.items()},
        "parameters": len(params),
    }))


if __name__ == "__main__":
    commands = {"create": create, "forward": forward}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])

"""Writes a base model shaped and configured like BAAI/bge-small-en-v1.5 (BertModel, 12 layers,
hidden 384, 12 heads, intermediate 1536, 512 positions, one label LABEL_0 in its config, no
classifier head), with seeded random weights and the default model's tokenizer files: the
stand-in for models/bge-small where the real weights are not installed.
Usage: make_bge_shaped_model.py OUT_DIR TOKENIZER_DIR SEED
"""
import json
import shutil
import sys

import torch
from transformers import BertConfig, BertModel

out, tok_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(seed)
cfg = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2,
                 hidden_act="gelu", layer_norm_eps=1e-12, initializer_range=0.02,
                 hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
model = BertModel(cfg)
model.save_pretrained(out)  # model.safetensors
# bge-small-en-v1.5's config.json as published: BertModel, one label, use_cache, a transformers
# version string; Berth must read it as is.
with open(f"{out}/config.json") as f:
    c = json.load(f)
c.update({"architectures": ["BertModel"], "id2label": {"0": "LABEL_0"},
          "label2id": {"LABEL_0": 0}, "classifier_dropout": None, "use_cache": True,
          "position_embedding_type": "absolute", "torch_dtype": "float32",
          "_name_or_path": "/root/.cache/torch/sentence_transformers/BAAI_bge-small-en/"})
with open(f"{out}/config.json", "w") as f:
    json.dump(c, f, indent=2)
for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
    shutil.copy(f"{tok_dir}/{name}", f"{out}/{name}")

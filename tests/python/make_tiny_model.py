"""Writes a tiny random BERT classifier (2 layers, hidden 32) as a Hugging Face directory, with
the default model's uncased vocabulary and tokenizer files, for fast trainer tests.
Usage: make_tiny_model.py OUT_DIR TOKENIZER_DIR NUM_LABELS DROPOUT
"""
import shutil
import sys

import torch
from transformers import BertConfig, BertForSequenceClassification

out, tok_dir, num_labels, dropout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
torch.manual_seed(1234)
cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, max_position_embeddings=128, hidden_dropout_prob=dropout,
                 attention_probs_dropout_prob=dropout, num_labels=num_labels)
cfg.id2label = {i: f"c{i}" for i in range(num_labels)}
cfg.label2id = {v: k for k, v in cfg.id2label.items()}
model = BertForSequenceClassification(cfg)
model.save_pretrained(out)  # safetensors, the default of transformers >= 4.35
for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
    shutil.copy(f"{tok_dir}/{f}", f"{out}/{f}")

"""Writes a classifier on a pretrained encoder with a fresh head scaled by FACTOR, so that its
scores are far from uniform and follow the text (the encoder is pretrained; a random tiny one
answers nearly the same for every text). Tokenizer files are copied along.
Usage: make_head_model.py OUT_DIR BASE_DIR NUM_LABELS FACTOR
"""
import shutil
import sys

import torch
from transformers import BertForSequenceClassification

out, base, num_labels, factor = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
torch.manual_seed(99)
model = BertForSequenceClassification.from_pretrained(
    base, num_labels=num_labels, id2label={i: f"c{i}" for i in range(num_labels)},
    label2id={f"c{i}": i for i in range(num_labels)})
with torch.no_grad():
    model.classifier.weight.mul_(factor)
model.save_pretrained(out)
for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
    shutil.copy(f"{base}/{f}", f"{out}/{f}")

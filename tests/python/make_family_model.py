"""Writes a tiny random classifier of one encoder family as a Hugging Face directory, for the
family parity tests (tests/model/family_parity_test.cpp).

Usage: make_family_model.py FAMILY OUT_DIR TOKENIZER_DIR NUM_LABELS [PROBLEM_TYPE]
FAMILY is a model_type: bert, roberta, xlm-roberta, electra, distilbert. The model is built with
AutoConfig.for_model + AutoModelForSequenceClassification.from_config (seed 1234, dropout 0 so
that train mode is deterministic) and saved with save_pretrained (safetensors). The tokenizer
files of TOKENIZER_DIR (BERT's WordPiece files) are copied beside it: the model tests pass token
ids, not text.
"""
import shutil
import sys

import torch
from transformers import AutoConfig, AutoModelForSequenceClassification

family, out, tok_dir, num_labels = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
problem_type = sys.argv[5] if len(sys.argv) > 5 else None
torch.manual_seed(1234)

# Small enough to run in a second, large enough to hold the test batches (ids up to 30521,
# sequences of 128 tokens). Widths differ per head count so that a wrong head split shows.
common = dict(vocab_size=30522, num_labels=num_labels, initializer_range=0.2)
if family == "distilbert":
    cfg = AutoConfig.for_model(family, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                               max_position_embeddings=128, dropout=0.0, attention_dropout=0.0,
                               seq_classif_dropout=0.0, **common)
else:
    extra = {}
    if family in ("roberta", "xlm-roberta"):
        # RoBERTa's own layout: <pad> = 1, positions from 2, one token type.
        extra = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, type_vocab_size=1,
                     max_position_embeddings=130)
    else:
        extra = dict(max_position_embeddings=128, type_vocab_size=2)
    if family == "electra":
        extra["embedding_size"] = 16  # narrower than hidden: embeddings_project is exercised
    cfg = AutoConfig.for_model(family, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                               intermediate_size=64, hidden_dropout_prob=0.0,
                               attention_probs_dropout_prob=0.0, **extra, **common)
if problem_type:
    cfg.problem_type = problem_type
cfg.id2label = {i: f"c{i}" for i in range(num_labels)}
cfg.label2id = {v: k for k, v in cfg.id2label.items()}
model = AutoModelForSequenceClassification.from_config(cfg)
model.save_pretrained(out, safe_serialization=True)
for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
    shutil.copy(f"{tok_dir}/{f}", f"{out}/{f}")

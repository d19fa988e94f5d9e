#!/usr/bin/env bash
# CPU training speed per encoder family, fp32: Berth against the transformers loop
# (bench/hf_train.py with length-grouped batches and fused AdamW, the strongest baseline) in the
# same run, through bench/cpu_train_compare.sh (SYSTEMS="berth grouped", interleaved rounds).
#
# One shared size for every family, so that the rows differ by architecture only: hidden 256,
# 4 layers, 4 heads, intermediate 1024 (DistilBERT: dim/n_layers/n_heads/hidden_dim; ELECTRA keeps
# its default 128-wide embeddings, as ELECTRA-small has; ModernBERT's GeGLU input projection is
# 2 x 1024 wide). Each family's other settings are its config class's defaults (dropout 0.1 where
# the family has it; DeBERTa-v2 in DeBERTa-v3's layout; ModernBERT's sliding window of 128 is
# wider than max length 64, so its local layers see the whole text). Random weights (no
# pretrained checkpoint can be installed here): speed does not depend on them.
# Tokenizers: trained on the SST-2 train texts by tests/python/make_family_tokenizers.py (2000
# pieces; byte-level BPE for RoBERTa/ModernBERT, sentencepiece Unigram for XLM-R/DeBERTa,
# WordPiece for BERT/ELECTRA/DistilBERT), saved with save_pretrained. Models and tokenizers are
# made once and cached under runs/bench/families/<family>/ (delete it to remake).
#
# usage: bench/family_train.sh [ROUNDS=3] [ROWS=960] [THREADS=nproc]
#   FAMILIES="bert roberta ..." picks families (default: all seven); BERTH=binary and PY=python
#   as in bench/cpu_train_compare.sh; RESULTS=file.jsonl (default
#   bench/results/family_train.jsonl) gets one JSON line per run, labelled "<family> <stamp>".
# Prints each family's cpu_train_compare table as it goes (stderr: load and CPU flags), then one
# table: family, samples/s mean (min-max) per side, ratio of means (range over the rounds'
# pairings), CPU ms per step per side and other processes' CPU seconds per run.
set -euo pipefail
ROUNDS=${1:-3}
ROWS=${2:-960}
THREADS=${3:-$(nproc)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PY:-$ROOT/.venv/bin/python}
FAMILIES=${FAMILIES:-bert roberta xlm-roberta electra distilbert deberta-v2 modernbert}
RESULTS=${RESULTS:-$ROOT/bench/results/family_train.jsonl}
SRC=$ROOT/../shared/data/sst2/train.csv
CACHE=$ROOT/runs/bench/families
STAMP=$(date -u +%FT%TZ)
[[ -f $SRC ]] || { echo "needs $SRC" >&2; exit 2; }
mkdir -p "$CACHE"

make_model() {  # family
  local fam=$1 out=$CACHE/$1
  [[ -f $out/config.json ]] && return 0
  echo "# making $out" >&2
  nice -n 10 "$PY" - "$fam" "$out" "$SRC" "$ROOT/tests/python" <<'PYEOF'
import os, shutil, sys, tempfile
fam, out, src, tests = sys.argv[1:]
sys.path.insert(0, tests)
os.environ["USE_TORCH"] = "1"  # make_family_tokenizers turns torch off for its own speed
import torch
import make_family_tokenizers as mft
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, BertTokenizerFast

corpus = mft.texts([src])
tmp = tempfile.mkdtemp()
if fam == "bert":
    mft.wordpiece(corpus, tmp, BertTokenizerFast)
else:
    mft.FAMILIES[fam](corpus, tmp)
tok = AutoTokenizer.from_pretrained(tmp)
kw = dict(vocab_size=len(tok), pad_token_id=tok.pad_token_id, num_labels=2)
for key, token in (("bos_token_id", tok.bos_token_id or tok.cls_token_id),
                   ("eos_token_id", tok.eos_token_id or tok.sep_token_id)):
    if token is not None:
        kw[key] = token
size = dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
if fam == "distilbert":
    cfg = AutoConfig.for_model(fam, dim=256, n_layers=4, n_heads=4, hidden_dim=1024, **kw)
elif fam == "deberta-v2":
    # DeBERTa-v3's layout (microsoft/deberta-v3-base's config less its size).
    cfg = AutoConfig.for_model(fam, **size, **kw, max_position_embeddings=512, type_vocab_size=0,
                               relative_attention=True, position_buckets=256,
                               max_relative_positions=-1, norm_rel_ebd="layer_norm",
                               share_att_key=True, pos_att_type=["p2c", "c2p"],
                               position_biased_input=False, layer_norm_eps=1e-7)
elif fam == "modernbert":
    cfg = AutoConfig.for_model(fam, **size, **kw, cls_token_id=tok.cls_token_id,
                               sep_token_id=tok.sep_token_id)
elif fam in ("roberta", "xlm-roberta"):
    # Positions numbered from pad + 1 (514 rows) and one token type, as the released models.
    cfg = AutoConfig.for_model(fam, **size, **kw, max_position_embeddings=514, type_vocab_size=1)
else:  # bert, electra
    cfg = AutoConfig.for_model(fam, **size, **kw)
cfg.id2label = {0: "0", 1: "1"}
cfg.label2id = {"0": 0, "1": 1}
torch.manual_seed(1234)
model = AutoModelForSequenceClassification.from_config(cfg)
model.save_pretrained(out, safe_serialization=True)
tok.save_pretrained(out)
shutil.rmtree(tmp)
print(f"# {fam}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, "
      f"vocab {len(tok)}", file=sys.stderr)
PYEOF
}

uptime >&2
for fam in $FAMILIES; do
  make_model "$fam"
done
for fam in $FAMILIES; do
  echo "## $fam" >&2
  MODEL=$CACHE/$fam SYSTEMS="berth grouped" RESULTS=$RESULTS LABEL="$fam $STAMP" \
    bench/cpu_train_compare.sh "$ROUNDS" "$ROWS" "$THREADS" >&2
done
uptime >&2

"$PY" - "$RESULTS" "$STAMP" <<'PYEOF'
import json, sys
path, stamp = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
rows = [r for r in rows if r.get("label", "").endswith(" " + stamp)]
fams = []
for r in rows:
    f = r["label"].rsplit(" ", 1)[0]
    if f not in fams:
        fams.append(f)
print(f"| family | Berth samples/s mean (min-max) | transformers samples/s mean (min-max) | "
      f"ratio (range) | CPU ms/step Berth | CPU ms/step transformers | other CPU s per run |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
for f in fams:
    rs = [r for r in rows if r["label"].rsplit(" ", 1)[0] == f]
    b = [r for r in rs if r["system"] == "berth"]
    t = [r for r in rs if r["system"] == "transformers, length-grouped"]
    bv = [r["samples_per_s"] for r in b]
    tv = [r["samples_per_s"] for r in t]
    bm, tm = sum(bv) / len(bv), sum(tv) / len(tv)
    pair = [x / y for x, y in zip(bv, tv)]
    cpu = lambda rr: sum(1e3 * r["cpu_seconds"] / r["steps"] for r in rr) / len(rr)
    other = ", ".join(str(r["other_cpu_s"]) for r in rs)
    print(f"| {f} | {bm:.1f} ({min(bv):.1f}-{max(bv):.1f}) | {tm:.1f} ({min(tv):.1f}-{max(tv):.1f}) | "
          f"{bm / tm:.2f}x ({min(pair):.2f}-{max(pair):.2f}) | {cpu(b):.0f} | {cpu(t):.0f} | {other} |")
PYEOF

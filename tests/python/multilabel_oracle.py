"""References for the multi-label end-to-end test (tests/trainer/multilabel_run_test.cpp).

Subcommands (each prints one JSON object):
  corpus CORPUS_H5
      What h5py reads from a multi-label corpus: label names, the label sets of examples 0 and
      2, the number of examples, format_version, problem_type and whether 'labels' exists.
  metrics THRESHOLDS_JSON PREDICTIONS_JSONL TEST_CSV
      scikit-learn's micro/macro F1 and subset accuracy of predict's probabilities at the
      stored thresholds (p >= threshold) against the CSV's '|'-joined "tags"; and whether
      predict's "labels" are exactly those over their thresholds.
  hf CHECKPOINT PREDICTIONS_JSONL TEST_CSV
      transformers' problem_type for the checkpoint and the largest difference between its
      sigmoid probabilities and predict's.
"""
import csv
import json
import sys

import numpy as np


def corpus(path):
    import h5py
    with h5py.File(path, "r") as f:
        o, ids = f["label_set_offsets"][:], f["label_set_ids"][:]
        names = [s.decode() if isinstance(s, bytes) else s for s in f["label_names"][:]]
        problem = f.attrs["problem_type"]
        print(json.dumps({
            "names": names, "first": [int(x) for x in ids[o[0]:o[1]]],
            "third": [int(x) for x in ids[o[2]:o[3]]], "n": int(len(o) - 1),
            "version": int(f.attrs["format_version"]),
            "problem": problem.decode() if isinstance(problem, bytes) else problem,
            "labels": "labels" in f}))


def metrics(thresholds, predictions, test_csv):
    from sklearn.metrics import f1_score
    th = json.load(open(thresholds))["thresholds"]
    names = list(th)
    rows = [json.loads(l) for l in open(predictions)]
    P = np.array([[r["probs"][n] >= th[n] for n in names] for r in rows])
    L = np.array([[n in {x["label"] for x in r["labels"]} for n in names] for r in rows])
    Y = np.array([[n in row["tags"].split("|") for n in names]
                  for row in csv.DictReader(open(test_csv, newline=""))])
    print(json.dumps({"micro": f1_score(Y, P, average="micro", zero_division=0),
                      "macro": f1_score(Y, P, average="macro", zero_division=0),
                      "subset": float((Y == P).all(axis=1).mean()),
                      "listed": bool((L == P).all())}))


def hf(checkpoint, predictions, test_csv):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    tok = AutoTokenizer.from_pretrained(checkpoint)
    rows = [json.loads(l) for l in open(predictions)]
    texts = [r["text"] for r in csv.DictReader(open(test_csv, newline=""))]
    with torch.no_grad():
        p = torch.sigmoid(model(**tok(texts, truncation=True, max_length=128, padding=True,
                                      return_tensors="pt")).logits)
    diff = max(abs(p[i][k].item() - rows[i]["probs"][model.config.id2label[k]])
               for i in range(len(rows)) for k in range(p.shape[1]))
    print(json.dumps({"problem": model.config.problem_type, "diff": diff}))


if __name__ == "__main__":
    {"corpus": corpus, "metrics": metrics, "hf": hf}[sys.argv[1]](*sys.argv[2:])

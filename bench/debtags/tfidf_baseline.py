#!/usr/bin/env python3
"""The debtags baseline: one-vs-rest logistic regression on TF-IDF features (scikit-learn).

Word 1-2-grams plus character 2-5-grams within words (package names such as "python3-foo" or
"libbar-dev" carry much of the signal), sublinear tf. C is picked on dev by micro-F1 from a small
grid; per-label thresholds as Berth's --tune-thresholds does (the grid 0.01..0.99 per label,
maximising that label's F1 on dev, ties towards 0.5). Prints one JSON line per setting.

    .venv/bin/python bench/debtags/tfidf_baseline.py runs/debtags/data [DEV.jsonl TEST.jsonl] [C]

DEV/TEST default to DIR/dev.jsonl and DIR/test.jsonl; C (one value) skips the grid.
"""
import json
import sys
import time

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer


def load(path):
    rows = [json.loads(l) for l in open(path)]
    return [r["text"] for r in rows], [r["labels"] for r in rows]


def tune(probs, y):
    grid = np.arange(1, 100) / 100.0
    out = np.full(y.shape[1], 0.5)
    for c in range(y.shape[1]):
        best, best_f1 = 0.5, -1.0
        for t in sorted(grid, key=lambda t: abs(t - 0.5)):  # ties: nearest to 0.5
            f1 = f1_score(y[:, c], probs[:, c] >= t, zero_division=0)
            if f1 > best_f1 + 1e-12:
                best, best_f1 = t, f1
        out[c] = best
    return out


def scores(y, pred):
    return {"micro_f1": f1_score(y, pred, average="micro", zero_division=0),
            "macro_f1": f1_score(y, pred, average="macro", zero_division=0),
            "subset_accuracy": float((y == pred).all(axis=1).mean())}


def main():
    d = sys.argv[1]
    dev = sys.argv[2] if len(sys.argv) > 2 else f"{d}/dev.jsonl"
    test = sys.argv[3] if len(sys.argv) > 3 else f"{d}/test.jsonl"
    grid = (float(sys.argv[4]),) if len(sys.argv) > 4 else (1.0, 4.0, 16.0)
    (xt, yt), (xd, yd), (xs, ys) = (load(p) for p in (f"{d}/train.jsonl", dev, test))
    mlb = MultiLabelBinarizer()
    Yt = mlb.fit_transform(yt)
    Yd, Ys = mlb.transform(yd), mlb.transform(ys)
    t0 = time.time()
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    Xt = hstack([word.fit_transform(xt), char.fit_transform(xt)]).tocsr()
    Xd = hstack([word.transform(xd), char.transform(xd)]).tocsr()
    Xs = hstack([word.transform(xs), char.transform(xs)]).tocsr()
    best = None
    for C in grid:
        clf = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear", max_iter=1000), n_jobs=1)
        clf.fit(Xt, Yt)
        pd_ = clf.predict_proba(Xd)
        dev = scores(Yd, pd_ >= 0.5)
        print(json.dumps({"C": C, "dev_at_0.5": dev}), flush=True)
        if best is None or dev["micro_f1"] > best[0]:
            best = (dev["micro_f1"], C, clf, pd_)
    _, C, clf, pd_ = best
    ps = clf.predict_proba(Xs)
    th = tune(pd_, Yd)
    print(json.dumps({"model": "tfidf+ovr-logreg", "C": C, "labels": len(mlb.classes_),
                      "train": len(xt), "dev": f"{dev} ({len(xd)})", "test": f"{test} ({len(xs)})",
                      "dev_at_0.5": scores(Yd, pd_ >= 0.5), "test_at_0.5": scores(Ys, ps >= 0.5),
                      "dev_tuned": scores(Yd, pd_ >= th), "test_tuned": scores(Ys, ps >= th),
                      "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()

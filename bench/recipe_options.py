"""Helpers of bench/recipe_options.sh (issue 28): the reduced SST-2 subset, the 3-layer student,
one JSON line per training run or predict round, and the summary tables of BENCHMARKS.md.

  recipe_options.py subset TRAIN.csv N SEED OUT.csv      fixed random subset of N rows (csv module)
  recipe_options.py student MODEL_DIR LAYERS OUT_DIR      first LAYERS encoder layers of MODEL_DIR
  recipe_options.py record RUN_DIR key=value...           prints the run's JSON line
  recipe_options.py summary RESULTS.jsonl                 prints the Markdown tables
"""
import csv
import json
import random
import shutil
import statistics as st
import sys


def subset(src, n, seed, out):
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    # Sorted indices keep the file's order; only the choice depends on the seed.
    keep = sorted(random.Random(seed).sample(range(len(body)), n))
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body[i] for i in keep)


def student(model_dir, layers, out):
    from transformers import BertModel  # the venv's; only this subcommand needs it

    # from_pretrained keeps encoder layers 0..layers-1 and drops the rest (warned as unused).
    m = BertModel.from_pretrained(model_dir, num_hidden_layers=layers)
    m.save_pretrained(out, safe_serialization=True)
    # The teacher's own tokenizer files: distill.teacher requires the same tokenizer fingerprint.
    for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(f"{model_dir}/{name}", f"{out}/{name}")


def record(run_dir, extra):
    recs = [json.loads(l) for l in open(f"{run_dir}/metrics.jsonl") if l.strip()]
    split = lambda r: r.get("split", r["type"])
    test = [r for r in recs if split(r) == "test"][-1]
    dev = [r for r in recs if r["type"] == "eval" and split(r) == "dev"]
    done = [r for r in recs if r["type"] == "done"][-1]
    out = dict(extra)
    for k in ["seed", "subset"]:
        if k in out and out[k].isdigit():
            out[k] = int(out[k])
    out.update({
        "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
        "best_dev_accuracy": max(r["accuracy"] for r in dev) if dev else None,
        "best_dev_epoch": max(dev, key=lambda r: r["accuracy"])["epoch"] if dev else None,
        "train_seconds": done["train_seconds"], "steps": done.get("step"),
    })
    print(json.dumps(out))


def pct(x):
    return f"{100 * x:.2f}"


def summary(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    runs = [r for r in rows if r.get("kind") == "train"]
    for block in dict.fromkeys(r["block"] for r in runs):
        rs = [r for r in runs if r["block"] == block]
        ds, sub = rs[0]["dataset"], rs[0]["subset"]
        has_dev = any(r["best_dev_accuracy"] is not None for r in rs)
        print(f"\n### {block}: {ds}, train subset {sub}, seeds "
              f"{sorted({r['seed'] for r in rs})}\n")
        head = "| configuration | test acc (mean) | per seed | Δ vs plain | macro-F1 (mean) | Δ F1 |"
        if has_dev:
            head += " best dev acc (mean) |"
        head += " train s (mean) |"
        print(head)
        print("|" + " --- |" * 1 + " ---: |" * (head.count("|") - 2))
        configs = list(dict.fromkeys((r["option"], r["value"]) for r in rs))
        plain = [r for r in rs if r["option"] == "plain"]
        base = {r["seed"]: r for r in plain}
        for opt, val in configs:
            c = sorted((r for r in rs if (r["option"], r["value"]) == (opt, val)),
                       key=lambda r: r["seed"])
            acc = [r["test_accuracy"] for r in c]
            f1 = [r["test_macro_f1"] for r in c]
            name = opt if opt == "plain" else f"{opt}={val}"
            line = f"| {name} | {pct(st.mean(acc))} | " + " / ".join(pct(a) for a in acc)
            if opt == "plain" or not base:
                line += " | | " + f"{pct(st.mean(f1))} | |"
            else:
                d = [r["test_accuracy"] - base[r["seed"]]["test_accuracy"] for r in c
                     if r["seed"] in base]
                dF = [r["test_macro_f1"] - base[r["seed"]]["test_macro_f1"] for r in c
                      if r["seed"] in base]
                line += (f" | {100 * st.mean(d):+.2f} (per seed "
                         + " / ".join(f"{100 * x:+.2f}" for x in d) + ")"
                         + f" | {pct(st.mean(f1))} | {100 * st.mean(dF):+.2f} |")
            if has_dev:
                dv = [r["best_dev_accuracy"] for r in c if r["best_dev_accuracy"] is not None]
                line += f" {pct(st.mean(dv))} |" if dv else " |"
            line += f" {st.mean(r['train_seconds'] for r in c):.0f} |"
            print(line)
        if len(plain) > 1:
            print(f"\nplain recipe seed spread: test acc sd {100 * st.stdev(r['test_accuracy'] for r in plain):.2f}"
                  f" points, range {pct(min(r['test_accuracy'] for r in plain))}"
                  f"-{pct(max(r['test_accuracy'] for r in plain))}")
    pred = [r for r in rows if r.get("kind") == "predict"]
    if pred:
        print("\n### predict speed (texts/s; whole-process wall and the process's own counter)\n")
        print("| checkpoint | rounds | wall texts/s (median, min-max) | own texts/s (median, min-max) |")
        print("| --- | ---: | ---: | ---: |")
        for who in dict.fromkeys(r["model"] for r in pred):
            p = [r for r in pred if r["model"] == who]
            w = [r["texts"] / r["wall_s"] for r in p]
            o = [r["own_texts_per_s"] for r in p if r.get("own_texts_per_s")]
            own = f"{st.median(o):.1f} ({min(o):.1f}-{max(o):.1f})" if o else "n/a"
            print(f"| {who} | {len(p)} | {st.median(w):.1f} ({min(w):.1f}-{max(w):.1f}) | {own} |")
        models = list(dict.fromkeys(r["model"] for r in pred))
        if len(models) == 2:
            rounds = sorted({r["round"] for r in pred})
            ratio = []
            for rd in rounds:
                a = [r for r in pred if r["round"] == rd and r["model"] == models[0]]
                b = [r for r in pred if r["round"] == rd and r["model"] == models[1]]
                if a and b:
                    ratio.append(a[0]["wall_s"] / b[0]["wall_s"])
            print(f"\n{models[1]} / {models[0]} wall-clock speed-up per round: "
                  + ", ".join(f"{x:.2f}x" for x in ratio))
    for sw in (r for r in rows if r.get("kind") == "sweep"):
        keys = sw["keys"]
        print(f"\n### sweep ({sw.get('start', '')} to {sw.get('end', '')}), ranked by best dev "
              f"{sw['metric']}\n")
        print("| trial | " + " | ".join(keys) + " | status | best dev | best step | test | wall s |")
        print("| --- |" + " ---: |" * (len(keys) + 5))
        num = lambda x, f: f.format(100 * x) if isinstance(x, (int, float)) else "-"
        for t in sw["trials"]:
            print(f"| {t['trial']} | " + " | ".join(str(t["values"].get(k, "")) for k in keys)
                  + f" | {t['status']} | {num(t.get('best_dev'), '{:.2f}')} | {t.get('best_step', '-')}"
                  + f" | {num(t.get('test'), '{:.2f}')} | {t.get('wall_s') or 0:.0f} |")
        best = sw.get("best") or {}
        print(f"\nbest: {best.get('trial')} ({best.get('checkpoint')})")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "subset":
        subset(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "student":
        student(args[0], int(args[1]), args[2])
    elif cmd == "record":
        record(args[0], dict(a.split("=", 1) for a in args[1:]))
    elif cmd == "summary":
        summary(args[0])
    else:
        sys.exit(f"unknown subcommand {cmd}")

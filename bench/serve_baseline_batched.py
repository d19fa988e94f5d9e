"""The stronger baseline for bench/serve_load.sh: what a skilled Python user puts in front of a
transformers model when many clients call it at once. Request threads (ThreadingHTTPServer with
a listen backlog of 1024) hand their texts to one model thread, which gathers every text that is
waiting, up to MAX_BATCH, waiting at most MAX_WAIT_MS after the first for more, sorts them by
length, runs the fast tokenizer and the model under torch.inference_mode on sub-batches of 32 with
dynamic padding, and answers each request. This is dynamic batching as TorchServe, Triton and
text-embeddings-inference do it, in plain Python.

usage: serve_baseline_batched.py MODEL_DIR PORT THREADS [MAX_BATCH=64] [MAX_WAIT_MS=2]
Routes and answers: bench/serve_baseline.py's `serve` (TEI's shape). Prints "ready" once listening.
"""

import queue
import sys
import threading
import time

import torch
from serve_baseline import serve  # the same HTTP side as the pipeline baseline
from transformers import AutoModelForSequenceClassification, AutoTokenizer


class Batcher:
    def __init__(self, model_dir, max_batch, max_wait_s):
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.max_batch, self.max_wait_s = max_batch, max_wait_s
        self.jobs = queue.Queue()
        threading.Thread(target=self.run, daemon=True).start()

    def classify(self, texts):
        """Called from a request thread: blocks until the model thread has answered."""
        job = {"texts": texts, "done": threading.Event()}
        self.jobs.put(job)
        job["done"].wait()
        if "error" in job:
            raise RuntimeError(job["error"])
        return job["out"]

    def run(self):
        while True:
            jobs = [self.jobs.get()]
            n = len(jobs[0]["texts"])
            deadline = time.monotonic() + self.max_wait_s
            while n < self.max_batch:
                try:
                    jobs.append(self.jobs.get(timeout=max(0.0, deadline - time.monotonic())))
                    n += len(jobs[-1]["texts"])
                except queue.Empty:
                    break
            try:
                self.answer(jobs)
            except Exception as e:  # noqa: BLE001 - every waiting request gets the error
                for j in jobs:
                    j["error"] = str(e)
            for j in jobs:
                j["done"].set()

    def answer(self, jobs):
        items = [(j, k, t) for j in jobs for k, t in enumerate(j["texts"])]
        for j in jobs:
            j["out"] = [None] * len(j["texts"])
        items.sort(key=lambda it: len(it[2]))  # similar lengths share a sub-batch: less padding
        with torch.inference_mode():
            for s in range(0, len(items), 32):
                part = items[s:s + 32]
                enc = self.tok([t for _, _, t in part], padding=True, truncation=True,
                               max_length=512, return_tensors="pt")
                probs = torch.softmax(self.model(**enc).logits.float(), dim=-1).tolist()
                for (j, k, _), p in zip(part, probs):
                    order = sorted(range(len(p)), key=lambda i: -p[i])
                    j["out"][k] = [{"label": self.labels[i], "score": p[i]} for i in order]


def main(model_dir, port, threads, max_batch="64", max_wait_ms="2"):
    torch.set_num_threads(int(threads))
    batcher = Batcher(model_dir, int(max_batch), float(max_wait_ms) / 1000.0)
    serve(port, batcher.classify, backlog=1024)


if __name__ == "__main__":
    main(*sys.argv[1:6])

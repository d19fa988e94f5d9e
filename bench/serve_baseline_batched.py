"""The stronger baseline for bench/serve_load.sh: what a skilled Python user puts in front of a
transformers model when many clients call it at once. Request threads (ThreadingHTTPServer with
a listen backlog of 1024) hand their texts to one model thread, which gathers every text that is
waiting, up to MAX_BATCH, waiting at most MAX_WAIT_MS after the first for more, sorts them by
length, runs the fast tokenizer and the model under torch.inference_mode on sub-batches of 32 with
dynamic padding, and answers each request. This is dynamic batching as TorchServe, Triton and
text-embeddings-inference do it, in plain Python.

usage: serve_baseline_batched.py MODEL_DIR PORT THREADS [MAX_BATCH=64] [MAX_WAIT_MS=2]
Routes and answers as bench/serve_baseline.py (TEI's shape). Prints "ready" once listening.
"""

import json
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
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

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the load client uses
        # Headers and body leave in two writes: with Nagle's algorithm on, the body waits for
        # the client's delayed ACK (~40 ms a request). Any real server sets TCP_NODELAY.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/health":
                self.reply(200, {"status": "ok"})
            else:
                self.reply(404, {"error": "no route"})

        def do_POST(self):
            try:
                n = int(self.headers.get("Content-Length", 0))
                inputs = json.loads(self.rfile.read(n))["inputs"]
                texts = [inputs] if isinstance(inputs, str) else list(inputs)
            except Exception as e:  # noqa: BLE001 - any bad body is the client's error
                self.reply(400, {"error": str(e)})
                return
            try:
                out = batcher.classify(texts)
            except RuntimeError as e:
                self.reply(500, {"error": str(e)})
                return
            self.reply(200, out[0] if isinstance(inputs, str) else out)

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # socketserver's 5 refuses connections at 64 clients
        daemon_threads = True

    server = Server(("127.0.0.1", int(port)), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:6])

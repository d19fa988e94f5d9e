"""The baseline for bench/serve_load.sh: the server a Python user would write around the
transformers pipeline, with the standard library's ThreadingHTTPServer (one thread per
connection) and one pipeline call per request (no batching across requests).

usage: serve_baseline.py MODEL_DIR PORT THREADS
Routes: POST /predict with {"inputs": "text"} or {"inputs": ["text", ...]} answers TEI's shape
([{"score", "label"}, ...] best first; a list of those for a list); GET /health. Binds 127.0.0.1.
Prints "ready" on stdout once listening. `serve` is also the HTTP side of
bench/serve_baseline_batched.py.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import pipeline


def serve(port, classify, backlog=5):
    """Serves POST /predict with classify(texts) -> one answer per text, on 127.0.0.1:PORT.
    backlog: the listen queue (socketserver's default 5 refuses connections at 64 clients)."""

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
                out = classify(texts)
            except RuntimeError as e:
                self.reply(500, {"error": str(e)})
                return
            self.reply(200, out[0] if isinstance(inputs, str) else out)

    class Server(ThreadingHTTPServer):
        request_queue_size = backlog
        daemon_threads = True

    server = Server(("127.0.0.1", int(port)), Handler)
    print("ready", flush=True)
    server.serve_forever()


def main(model_dir, port, threads):
    torch.set_num_threads(int(threads))
    clf = pipeline("text-classification", model=model_dir, tokenizer=model_dir, device=-1,
                   truncation=True, max_length=512, top_k=None)

    def classify(texts):
        with torch.inference_mode():
            return clf(texts)

    serve(port, classify)


if __name__ == "__main__":
    main(*sys.argv[1:4])

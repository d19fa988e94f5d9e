"""The baseline for bench/serve_load.sh: the server a Python user would write around the
transformers pipeline, with the standard library's ThreadingHTTPServer (one thread per
connection) and one pipeline call per request (no batching across requests).

usage: serve_baseline.py MODEL_DIR PORT THREADS
Routes: POST /predict with {"inputs": "text"} or {"inputs": ["text", ...]} answers TEI's shape
([{"score", "label"}, ...] best first; a list of those for a list); GET /health. Binds 127.0.0.1.
Prints "ready" on stdout once listening.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import pipeline


def main(model_dir, port, threads):
    torch.set_num_threads(int(threads))
    clf = pipeline("text-classification", model=model_dir, tokenizer=model_dir, device=-1,
                   truncation=True, max_length=512, top_k=None)

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
                req = json.loads(self.rfile.read(n))
                inputs = req["inputs"]
            except Exception as e:  # noqa: BLE001 - any bad body is the client's error
                self.reply(400, {"error": str(e)})
                return
            with torch.inference_mode():
                out = clf(inputs)
            if isinstance(inputs, str):
                out = out[0] if out and isinstance(out[0], list) else out
            self.reply(200, out)

    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])

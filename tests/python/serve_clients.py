"""Real clients against a running `berth serve` started with an API key: huggingface_hub's
InferenceClient, requests, and prometheus_client's text-format parser, plus hostile clients
(slow senders, idle connections, a burst of connections, oversized and chunked bodies). Prints
one JSON object:
  {"checks": {name: [passed, detail]}, "labels": [...]} and exits 0 either way, so that the
  calling test reports every failed check by name.
Usage: serve_clients.py URL API_KEY
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

# The tests run offline (HF_HUB_OFFLINE=1), which would stop huggingface_hub from calling even a
# loopback URL; the client is given the server's URL, so it needs no Hub.
os.environ["HF_HUB_OFFLINE"] = "0"

import requests  # noqa: E402
from huggingface_hub import InferenceClient  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families

url, key = sys.argv[1].rstrip("/"), sys.argv[2]
auth = {"Authorization": f"Bearer {key}"}
host, port = url.split("//")[1].split(":")
port = int(port)
checks = {}


def check(name, passed, detail=""):
    checks[name] = [bool(passed), str(detail)[:500]]


def guarded(name, fn):
    try:
        fn()
    except Exception as e:  # a client raising is a failed check, with its message
        check(name, False, f"{type(e).__name__}: {e}")


labels = [l for l in requests.get(f"{url}/info", headers=auth, timeout=30).json()
          ["model_type"]["classifier"]["id2label"].values()]
text = "a gorgeous, witty, seductive movie"


def inference_client():
    client = InferenceClient(model=url, token=key, timeout=60)
    out = client.text_classification(text)
    check("hub: text_classification answers every label",
          sorted(o.label for o in out) == sorted(labels), out)
    check("hub: scores are probabilities that sum to 1",
          abs(sum(o.score for o in out) - 1) < 1e-4, out)
    check("hub: best first", all(a.score >= b.score for a, b in zip(out, out[1:])), out)
    top = client.text_classification(text, top_k=2)
    check("hub: top_k=2 answers two labels", len(top) == 2 and top[0].label == out[0].label, top)
    sig = client.text_classification(text, function_to_apply="sigmoid")
    raw = client.text_classification(text, function_to_apply="none")
    logit = {o.label: o.score for o in raw}
    import math
    check("hub: function_to_apply sigmoid is the sigmoid of the logits",
          all(abs(o.score - 1 / (1 + math.exp(-logit[o.label]))) < 1e-5 for o in sig), [sig, raw])
    # The same answer through /predict (TEI's shape) as through / (the Inference API's).
    tei = requests.post(f"{url}/predict", json={"inputs": text}, headers=auth, timeout=60).json()
    check("hub and TEI's /predict agree",
          [(e["label"], round(e["score"], 5)) for e in tei] ==
          [(o.label, round(o.score, 5)) for o in out], [tei, out])


def unauthorized():
    try:
        InferenceClient(model=url, token="wrong-key", timeout=30).text_classification(text)
        check("hub: a wrong key is refused with 401", False, "answered")
    except Exception as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        check("hub: a wrong key is refused with 401", status == 401, f"{type(e).__name__} {status}")
    for path, method in [("/predict", "post"), ("/", "post"), ("/tokenize", "post"),
                         ("/metrics", "get"), ("/info", "get"), ("/openapi.json", "get")]:
        body = {"json": {"inputs": "x"}} if method == "post" else {}
        r = getattr(requests, method)(f"{url}{path}", timeout=30, **body)
        check(f"no key: {method.upper()} {path} is 401",
              r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Bearer")
              and "error" in r.json(), f"{r.status_code} {r.text}")
    r = requests.get(f"{url}/health", timeout=30)
    check("no key: /health is 200", r.status_code == 200, r.status_code)


def requests_client():
    # What `curl -d` sends: a JSON body labelled application/x-www-form-urlencoded, 21 KB.
    long = " ".join(["fine"] * 4200)
    body = json.dumps({"inputs": long, "truncate": True})
    r = requests.post(f"{url}/predict", data=body, timeout=60,
                      headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
    check("a 21 KB form-encoded JSON body is read", r.status_code == 200 and len(body) > 20000,
          f"{r.status_code} {r.text[:200]}")
    # Up to the documented limit (--max-body-bytes, 1 MiB by default) whatever the content type:
    # a form-encoded JSON body of exactly 1 MiB (padded with JSON's whitespace) is read, one
    # byte more is 413.
    limit = 1 << 20
    head = json.dumps({"inputs": "fine", "truncate": True})
    for size, want in [(limit, 200), (limit + 1, 413)]:
        body = head + " " * (size - len(head))
        r = requests.post(f"{url}/predict", data=body, timeout=60,
                          headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
        check(f"a form-encoded body of {size} bytes is {want}",
              r.status_code == want and len(body.encode()) == size,
              f"{r.status_code} {r.text[:200]}")
    r = requests.get(f"{url}/predict", headers=auth, timeout=30)
    check("GET /predict is 405 with Allow: POST",
          r.status_code == 405 and r.headers.get("Allow") == "POST", f"{r.status_code} {r.headers}")
    r = requests.post(f"{url}/tokenize", json={"inputs": ["hello world", "a b"]}, headers=auth,
                      timeout=30)
    toks = r.json()
    check("/tokenize answers TEI's tokens",
          r.status_code == 200 and len(toks) == 2 and toks[0][0]["text"] == "[CLS]"
          and toks[0][0]["special"] and toks[0][1]["text"] == "hello"
          and not toks[0][1]["special"] and toks[0][-1]["text"] == "[SEP]", toks)
    r = requests.post(f"{url}/tokenize", json={"inputs": "hello", "add_special_tokens": False},
                      headers=auth, timeout=30)
    check("/tokenize without special tokens", [t["text"] for t in r.json()[0]] == ["hello"], r.text)
    doc = requests.get(f"{url}/openapi.json", headers=auth, timeout=30).json()
    check("/openapi.json is an OpenAPI 3 document of the routes",
          doc.get("openapi", "").startswith("3.") and
          {"/", "/predict", "/tokenize", "/health", "/metrics"} <= set(doc.get("paths", {})),
          list(doc.get("paths", {})))
    big = b"x" * (5 << 20)
    r = requests.post(f"{url}/predict", data=big, headers={**auth, "Content-Type": "application/json"},
                      timeout=60)
    check("a 5 MB body is 413", r.status_code == 413, r.status_code)

    def chunks():
        for _ in range(40):
            yield b"y" * 65536  # 2.5 MB without a Content-Length

    r = requests.post(f"{url}/predict", data=chunks(), headers=auth, timeout=60)
    check("a 2.5 MB chunked body is 413", r.status_code == 413, f"{r.status_code} {r.text[:200]}")


def hostile():
    # Idle connections and a slow sender must not stop others from being answered promptly.
    idle = [socket.create_connection((host, port), timeout=10) for _ in range(8)]
    slow = socket.create_connection((host, port), timeout=30)
    body = json.dumps({"inputs": "slowly sent"}).encode()
    head = (f"POST /predict HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer = {}

    def send_slowly():
        try:
            for b in head + body:
                slow.sendall(bytes([b]))
                time.sleep(0.01)
            answer["slow"] = slow.recv(65536).decode(errors="replace")
        except OSError as e:
            answer["slow"] = f"error {e}"

    t = threading.Thread(target=send_slowly)
    t.start()
    start = time.time()
    r = requests.post(f"{url}/predict", json={"inputs": "quick"}, headers=auth, timeout=30)
    quick = time.time() - start
    check("answered promptly beside idle connections and a slow sender",
          r.status_code == 200 and quick < 5, f"{r.status_code} in {quick:.2f} s")
    t.join(timeout=60)
    check("the slow sender is answered too", answer.get("slow", "").startswith("HTTP/1.1 200"),
          answer.get("slow", "")[:200])
    for s in idle + [slow]:
        s.close()


def burst():
    # 64 clients connecting at once: httplib's accept queue of 5 overflowed at 16, the kernel
    # dropped handshakes, and a client got no answer at all (or one a 1 s SYN retry late).
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
    backlog = int(out.split()[2]) if out.split() else 0
    check("the accept queue holds a burst of 64 connections", backlog >= 64, out)
    barrier = threading.Barrier(64)
    statuses = [None] * 64

    def one(k):
        try:
            barrier.wait(timeout=30)
            s = requests.post(f"{url}/predict", json={"inputs": f"burst {k}"}, headers=auth,
                              timeout=60)
            statuses[k] = s.status_code
        except Exception as e:
            statuses[k] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=one, args=(k,)) for k in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    check("64 clients connecting at once are all answered", statuses == [200] * 64,
          [s for s in statuses if s != 200])


def metrics():
    r = requests.get(f"{url}/metrics", headers=auth, timeout=30)
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    hist = families.get("berth_request_duration_seconds")
    check("/metrics parses, with a latency histogram",
          hist is not None and hist.type == "histogram", sorted(families))
    if hist is None:
        return
    seen = {(s.labels.get("route"), s.labels.get("code")) for s in hist.samples}
    for route, code in [("/predict", "200"), ("/", "200"), ("/predict", "413"),
                        ("/predict", "405"), ("/predict", "401"), ("/health", "200"),
                        ("/tokenize", "200")]:
        check(f"/metrics counts {route} {code}", (route, code) in seen, sorted(seen))
    counts = {(s.labels["route"], s.labels["code"]): s.value
              for s in families["berth_requests"].samples if s.name == "berth_requests_total"}
    check("/metrics counts every 413 (1 MiB + 1, 5 MB, chunked)",
          counts.get(("/predict", "413"), 0) >= 3, counts)
    # A refused body is not left on the connection to be parsed as a next request.
    check("no request was parsed out of a refused body",
          not any(route == "other" for route, _ in counts), counts)


for name, fn in [("inference client", inference_client), ("unauthorized", unauthorized),
                 ("requests", requests_client), ("hostile", hostile), ("burst", burst),
                 ("metrics", metrics)]:
    guarded(name, fn)
print(json.dumps({"checks": checks, "labels": labels}))

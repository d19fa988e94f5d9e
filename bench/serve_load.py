"""Closed-loop HTTP load for bench/serve_load.sh: CLIENTS threads, each with its own keep-alive
connection, send {"inputs": text} to POST /predict one after another (a new request when the
previous answer arrived), texts taken in turn from a file. Bounded: stops after REQUESTS answers
in all or SECONDS of wall time, whichever comes first; the first WARMUP answers (in all) are not
timed.

usage: serve_load.py PORT TEXTS.txt CLIENTS REQUESTS SECONDS [WARMUP=20]
Prints JSON: clients, requests (timed), errors, seconds, throughput (requests/s), p50/p99/mean ms.
Every answer must be HTTP 200 with a JSON list; anything else counts as an error.
"""

import http.client
import itertools
import json
import sys
import threading
import time


def main(port, texts_path, clients, requests, seconds, warmup=20):
    clients, requests, seconds, warmup = int(clients), int(requests), float(seconds), int(warmup)
    with open(texts_path, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    bodies = [json.dumps({"inputs": t}).encode() for t in texts]
    lock = threading.Lock()
    counter = itertools.count()
    latencies, errors = [], [0]
    timed_start = [None]
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
        while True:
            i = next(counter)
            if i >= requests + warmup or time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            ok = False
            try:
                conn.request("POST", "/predict", bodies[i % len(bodies)],
                             {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200 and isinstance(json.loads(data), list)
            except Exception:  # noqa: BLE001 - a broken connection is an error, then reconnect
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
            t1 = time.perf_counter()
            with lock:
                if i == warmup:
                    timed_start[0] = t0
                if i >= warmup:
                    if ok:
                        latencies.append(t1 - t0)
                    else:
                        errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.perf_counter()
    lat = sorted(latencies)
    elapsed = end - (timed_start[0] or end)

    def pct(q):
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None

    print(json.dumps({
        "clients": clients, "requests": len(lat), "errors": errors[0],
        "seconds": round(elapsed, 3),
        "throughput": round(len(lat) / elapsed, 2) if elapsed > 0 else None,
        "p50_ms": round(pct(0.50), 2) if lat else None,
        "p99_ms": round(pct(0.99), 2) if lat else None,
        "mean_ms": round(1000 * sum(lat) / len(lat), 2) if lat else None,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:7])

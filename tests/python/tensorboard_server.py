"""Asks TensorBoard's default loader what it shows for a log directory: starts `tensorboard`
(the venv's, with its default fast loader, i.e. the Rust tensorboard-data-server) on a free
loopback port, waits (bounded) until /data/plugin/scalars/tags lists `--expect` for a run, and
prints JSON:
  {"tags": <the /tags answer>, "scalars": {run: {tag: [[step, value], ...]}}, "loader": "fast"}
A run that never lists its tags prints what the server answered last, so the caller's assertion
fails with it. Usage: tensorboard_server.py LOGDIR EXPECTED_TAG [--timeout 90]
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def main():
    logdir, expected = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 90
    port = free_port()
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    # No --load_fast flag: the default ("auto") is what users get; it picks the data server.
    proc = subprocess.Popen([tensorboard, "--logdir", logdir, "--host", "127.0.0.1", "--port",
                             str(port), "--reload_interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tags, out = {}, {}
    try:
        deadline = time.time() + timeout
        while time.time() < deadline and proc.poll() is None:
            try:
                tags = get(port, "/data/plugin/scalars/tags")
                if any(expected in run_tags for run_tags in tags.values()):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        for run, run_tags in tags.items():
            out[run] = {}
            for tag in run_tags:
                q = urllib.parse.urlencode({"run": run, "tag": tag})
                out[run][tag] = [[p[1], p[2]] for p in get(port, f"/data/plugin/scalars/scalars?{q}")]
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    fast = "fast data loading" in (err or "")
    print(json.dumps({"tags": tags, "scalars": out, "loader": "fast" if fast else "python",
                      "stderr_tail": (err or "")[-2000:]}))


if __name__ == "__main__":
    main()

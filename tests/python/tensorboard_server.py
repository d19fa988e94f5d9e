"""Asks TensorBoard's default loader what it shows for a log directory: starts `tensorboard`
(the venv's, with its default fast loader, i.e. the Rust tensorboard-data-server) on a free
loopback port, waits (bounded) until /data/plugin/scalars/tags lists `--expect` for a run, and
prints JSON:
  {"tags": <the /tags answer>, "scalars": {run: {tag: [[step, value], ...]}}, "loader": "fast"}
A run that never lists its tags prints what the server answered last, so the caller's assertion
fails with it. With --chromium BROWSER --screenshot PNG, headless Chromium (the network off but
loopback) opens the dashboard as a user would: its default Time Series page to PNG, then that
page filtered to each tag group; the JSON gains "shown": the tags whose cards (a card's title)
those pages hold.
Usage: tensorboard_server.py LOGDIR EXPECTED_TAG [--timeout 90] [--chromium B --screenshot PNG]
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
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


def option(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def browse(chromium, port, png, tags):
    """The dashboard rendered: the card titles in its DOM, and a screenshot."""
    # The proxy turns the network off; loopback bypasses it (Chromium's default). The virtual
    # time budget lets the page's scripts fetch the tags and draw before the DOM is taken.
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--hide-scrollbars", "--proxy-server=127.0.0.1:9", "--window-size=1360,3000",
              "--virtual-time-budget=20000"]
    page = f"http://127.0.0.1:{port}/"

    def chrome(*args, **kw):
        # A fresh profile each time: the default one is shared with every other Chromium on the
        # machine, and TensorBoard keeps settings in the page's storage between visits.
        with tempfile.TemporaryDirectory() as profile:
            return subprocess.run(common + [f"--user-data-dir={profile}", *args],
                                  capture_output=True, text=True, timeout=180, **kw).stdout

    chrome(f"--screenshot={png}", page)
    # The Time Series page opens the first groups (train/, dev/, ...) and shows the others
    # collapsed; a user filtering by a group's name sees its cards. One page per group, as the
    # filter box leaves it in the URL (a filter matching every group pages the cards instead).
    shown = set()
    for group in sorted({t.split("/")[0] for t in tags}):
        q = urllib.parse.urlencode({"tagFilter": f"^{group}/"})
        want = {t for t in tags if t.startswith(group + "/")}
        # Headless Chromium sometimes takes the DOM before the page has drawn its cards (a page
        # with none, on a loaded machine): a few tries, two seconds apart.
        for attempt in range(4):
            dom = chrome("--dump-dom", f"{page}?{q}#timeseries")
            # Each card's heading: <tb-truncated-path class="tag" ... title="train/loss">.
            cards = set(re.findall(r'<tb-truncated-path[^>]*title="([^"]+)"', dom))
            if want <= cards:
                break
            time.sleep(2)
        shown |= cards
    return sorted(shown)


def main():
    logdir, expected = sys.argv[1], sys.argv[2]
    timeout = float(option("--timeout", 90))
    port = free_port()
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    # No --load_fast flag: the default ("auto") is what users get; it picks the data server.
    # Its log to a file, not a pipe nobody reads while the browser runs (a full pipe would stall
    # the server).
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([tensorboard, "--logdir", logdir, "--host", "127.0.0.1", "--port",
                             str(port), "--reload_interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    tags, out, shown = {}, {}, None
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
        if "--chromium" in sys.argv:
            listed = [t for run_tags in tags.values() for t in run_tags]
            shown = browse(option("--chromium"), port, option("--screenshot"), listed)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        err = log.read()
    fast = "fast data loading" in (err or "")
    print(json.dumps({"tags": tags, "scalars": out, "loader": "fast" if fast else "python",
                      "shown": shown,
                      "stderr_tail": (err or "")[-2000:]}))


if __name__ == "__main__":
    main()

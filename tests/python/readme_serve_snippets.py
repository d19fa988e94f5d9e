"""Runs the README's client snippets ("Serve over HTTP") as written against running servers: the
sh block's curl commands (the server started without a key) and the Python block (the server
started with BERTH_API_KEY=s3cret, as its comment says). Only the address changes: the README's
port 8080 becomes the test server's. Prints JSON {"curl": [[command, output], ...],
"python": [repr of each expression's value], "error": null | text}.
Usage: readme_serve_snippets.py README.md PORT_WITHOUT_KEY PORT_WITH_KEY
"""
import ast
import json
import os
import re
import subprocess
import sys

# The tests run offline (HF_HUB_OFFLINE=1); the snippet's client is given a URL and needs no Hub.
os.environ["HF_HUB_OFFLINE"] = "0"


def section(readme, title):
    text = open(readme).read()
    start = text.index(f"### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def blocks(text, lang):
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def main():
    readme, open_port, key_port = sys.argv[1], sys.argv[2], sys.argv[3]
    serve = section(readme, "Serve over HTTP")
    out = {"curl": [], "python": [], "error": None}
    try:
        sh = blocks(serve, "sh")[0].replace("\\\n", " ")
        for line in sh.splitlines():
            line = line.split(" #")[0].strip()
            if not line.startswith("curl"):
                continue  # the server start and the answers shown as comments
            line = line.replace("localhost:8080", f"127.0.0.1:{open_port}")
            for command in line.split(";"):
                r = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
                out["curl"].append([command.strip(), r.stdout if r.returncode == 0 else
                                    f"exit {r.returncode}: {r.stderr}"])
        py = blocks(serve, "python")[0].replace("127.0.0.1:8080", f"127.0.0.1:{key_port}")
        # Each statement run in turn; the value of each bare expression (what an interactive
        # session would print) kept for the caller to check.
        scope = {}
        for node in ast.parse(py).body:
            if isinstance(node, ast.Expr):
                value = eval(compile(ast.Expression(node.value), "README", "eval"), scope)
                out["python"].append(
                    [{"label": e.label, "score": e.score} for e in value])
            else:
                exec(compile(ast.Module([node], []), "README", "exec"), scope)
    except Exception as e:  # the snippet failing is the finding: reported, not raised
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Walks the README: runs its ```sh blocks, in order, in one shell, against a fresh demo server
# on a random port, and checks each answer the README shows.
#
# - A ```sh block runs unless the line before it is `<!-- readme-walk: skip (reason) -->`
#   (blocks that start the server, run the tests, or need a browser).
# - `localhost:8080` and `127.0.0.1:8080` in commands are the walk's server.
# - A command followed directly by comment lines holding JSON (`# {"access_token":"t-…"}`,
#   possibly continued on further `#` lines) must print JSON of that shape: every key shown
#   is there (more may be), strings without `…` are equal, numbers are numbers, and lists have
#   the length shown. Every command must exit 0 and write nothing to standard error (so a
#   failing `export X=$(...)` is caught too).
# - TESSERA_SERVER is the walk's server, for the `tessera` commands.
#
# Usage: scripts/readme-walk.sh [README] (default: the repository's README.md). Uses the
# `tessera` binary of TESSERA_BIN, else target/debug/tessera (built if missing). Needs
# python3, curl, jq and openssl. Exits 1 at the first drift, naming the README line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
readme="$(cd "$(dirname "${1:-$repo/README.md}")" && pwd)/$(basename "${1:-$repo/README.md}")"
bin="${TESSERA_BIN:-$repo/target/debug/tessera}"
if [ ! -x "$bin" ]; then
    (cd "$repo" && cargo build -q -p tessera)
fi
for tool in python3 curl jq openssl; do
    command -v "$tool" >/dev/null || { echo "readme-walk: $tool is required" >&2; exit 1; }
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The demo server as the README starts it, on a free port, in a fresh data directory.
mkdir -p "$work/bin" "$work/data"
ln -s "$bin" "$work/bin/tessera"
openssl rand -hex 16 >"$work/data/operator-token"
cd "$work"
env -u TESSERA_DATABASE_URL -u TESSERA_TOKEN -u TESSERA_SERVER -u TESSERA_OPERATOR_TOKEN \
    TESSERA_LOG=warn "$bin" serve --listen 127.0.0.1:0 --data-dir data \
    --fixture "$repo/demo/fixture.toml" --routes "$repo/demo/routes.toml" \
    --operator-token-file data/operator-token >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=""
for _ in $(seq 1 300); do
    addr="$(sed -n 's|^tessera listening on http://||p' "$work/server.out")"
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; echo "readme-walk: the server did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$addr" ] || { echo "readme-walk: the server did not start listening" >&2; exit 1; }
echo "readme-walk: demo server on $addr"

export PATH="$work/bin:$PATH" HOME="$work" XDG_DATA_HOME="$work/xdg" TESSERA_SERVER="http://$addr"
unset TESSERA_TOKEN TESSERA_CLIENT_ID TESSERA_DATABASE_URL TESSERA_DATA_DIR
python3 - "$readme" "$addr" <<'PY'
import json, re, subprocess, sys

readme, addr = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")

def blocks():
    """(line number of the block's first line, [lines]) of each ```sh block to run."""
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            before = next((l.strip() for l in reversed(lines[:i]) if l.strip()), "")
            start, i = i + 1, i + 1
            while i < len(lines) and lines[i].strip() != "```":
                i += 1
            if not before.startswith("<!-- readme-walk: skip"):
                yield start + 1, lines[start:i]
        i += 1

def steps(first, body):
    """(line, command, expected JSON text or None) of each command of a block."""
    i = 0
    while i < len(body):
        line = body[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        at, cmd = first + i, line
        while cmd.rstrip().endswith("\\") and i + 1 < len(body):
            i += 1
            cmd = cmd.rstrip() + "\n" + body[i]
        i += 1
        expected = []
        if i < len(body) and re.match(r"^#\s*[\[{]", body[i]):
            # Comment lines until they form one JSON value.
            while i < len(body) and body[i].startswith("#") and body[i].strip() != "#":
                expected.append(body[i][1:].strip())
                i += 1
                try:
                    json.loads(" ".join(expected))
                    break
                except ValueError:
                    pass
        yield at, cmd, (" ".join(expected) if expected else None)

def shape(want, got, path="$"):
    """The first difference between the README's example and the answer, or None."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path}: an object was shown, got {json.dumps(got)[:200]}"
        for k, v in want.items():
            if k not in got:
                return f"{path}: no key {k!r} in the answer (it has {sorted(got)})"
            d = shape(v, got[k], f"{path}.{k}")
            if d:
                return d
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: a list of {len(want)} was shown, got {json.dumps(got)[:200]}"
        for n, (w, g) in enumerate(zip(want, got)):
            d = shape(w, g, f"{path}[{n}]")
            if d:
                return d
    elif isinstance(want, str):
        if not isinstance(got, str):
            return f"{path}: a string was shown, got {json.dumps(got)}"
        if "…" in want:
            pattern = ".*".join(re.escape(p) for p in want.split("…"))
            if not re.fullmatch(pattern, got, re.S):
                return f"{path}: {want!r} was shown, got {got!r}"
        elif want != got:
            return f"{path}: {want!r} was shown, got {got!r}"
    elif isinstance(want, bool) or want is None:
        if want != got:
            return f"{path}: {json.dumps(want)} was shown, got {json.dumps(got)}"
    elif isinstance(want, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"{path}: a number was shown, got {json.dumps(got)}"
    return None

shell = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, bufsize=1)
marker = "__readme_walk_done__"
count = 0

def run(cmd):
    with open("step.sh", "w", encoding="utf-8") as f:
        f.write(cmd + "\n")
    shell.stdin.write(f"source step.sh >step.out 2>step.err </dev/null; echo {marker} $?\n")
    shell.stdin.flush()
    while True:
        line = shell.stdout.readline()
        if not line:
            sys.exit("readme-walk: the shell ended")
        if line.startswith(marker):
            status = int(line.split()[1])
            break
    return status, open("step.out", encoding="utf-8", errors="replace").read(), \
        open("step.err", encoding="utf-8", errors="replace").read()

for first, body in blocks():
    for at, cmd, expected in steps(first, body):
        real = cmd.replace("localhost:8080", addr).replace("127.0.0.1:8080", addr)
        status, out, err = run(real)
        count += 1
        where = f"{readme}:{at}"
        if status != 0 or err.strip():
            sys.exit(f"readme-walk: DRIFT at {where}: exit status {status}\n$ {cmd}\n{out}{err}")
        if expected is not None:
            try:
                want = json.loads(expected)
            except ValueError as e:
                sys.exit(f"readme-walk: {where}: the example answer is not JSON ({e}): {expected}")
            try:
                got = json.loads(out)
            except ValueError:
                sys.exit(f"readme-walk: DRIFT at {where}: the answer is not JSON\n$ {cmd}\n{out}{err}")
            diff = shape(want, got)
            if diff:
                sys.exit(f"readme-walk: DRIFT at {where}: {diff}\n$ {cmd}\n{out}")
        print(f"ok {where}: {cmd.splitlines()[0][:100]}")
if count == 0:
    sys.exit("readme-walk: no ```sh command found")
print(f"readme-walk: {count} commands, every answer as the README shows it")
PY

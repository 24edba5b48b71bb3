#!/usr/bin/env bash
# Memory under sustained token minting: starts a release `tessera serve` on SQLite with
# reuse off (--reuse-margin equal to --token-ttl, so every request mints a new app token),
# mints MINT_TOKENS tokens and prints the server's resident set size (VmRSS) and its peak
# (VmHWM) from /proc/<pid>/status after start-up and after every quarter of the run.
# See bench/README.md ("Memory under minting").
#
#   bench/mint-rss.sh                          # 200,000 tokens, default --cache-capacity
#   MINT_TOKENS=50000 bench/mint-rss.sh
#   MINT_CACHE_CAPACITY=1000 bench/mint-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TOKENS=${MINT_TOKENS:-200000}
CONNECTIONS=${MINT_CONNECTIONS:-8}
CAPACITY=${MINT_CACHE_CAPACITY:-}

die() { echo "mint-rss: $*" >&2; exit 1; }
for tool in curl python3; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

echo "mint-rss: building target/release/tessera" >&2
cargo build --release -p tessera
TESSERA=target/release/tessera

DIR=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ARGS=(serve --listen "127.0.0.1:$PORT" --data-dir "$DIR" --fixture demo/fixture.toml
      --token-ttl 7200 --reuse-margin 7200)
[[ -n $CAPACITY ]] && ARGS+=(--cache-capacity "$CAPACITY")
TESSERA_LOG=warn "$TESSERA" "${ARGS[@]}" >"$DIR/server.log" 2>&1 &
SERVER_PID=$!

FORM='grant_type=client_credentials&client_id=dingdemoapp&client_secret=demo-secret'
for _ in $(seq 1 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DIR/server.log" >&2; die "the server exited"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' -d "$FORM" "http://127.0.0.1:$PORT/oauth2/token" || true)
    [[ $code == 200 ]] && break
    sleep 0.1
done
[[ $code == 200 ]] || die "POST /oauth2/token did not answer 200"

status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
row() { printf '| %s | %s | %.1f | %.1f |\n' "$1" "$2" "$(bc -l <<<"$(status VmRSS)/1024")" "$(bc -l <<<"$(status VmHWM)/1024")"; }

echo "| point | tokens minted | VmRSS MiB | VmHWM MiB |"
echo "|---|---|---|---|"
row "after start-up (argon2id fixture hashing included in VmHWM)" 0
# From here on VmHWM is the peak of the minting alone.
echo 5 >"/proc/$SERVER_PID/clear_refs"

# The load generator: CONNECTIONS keep-alive connections, each minting its share.
mint() {
    python3 - "$PORT" "$1" "$CONNECTIONS" "$FORM" <<'PY'
import http.client, sys, threading
port, total, conns, form = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
errors = []
def worker(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("POST", "/oauth2/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            errors.append(r.status)
threads = [threading.Thread(target=worker, args=(total // conns + (i < total % conns),)) for i in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit(f"{len(errors)} requests did not answer 200: {sorted(set(errors))}")
PY
}

quarter=$((TOKENS / 4))
done_so_far=0
started=$(date +%s)
for q in 1 2 3 4; do
    n=$quarter
    [[ $q == 4 ]] && n=$((TOKENS - done_so_far))
    mint "$n"
    done_so_far=$((done_so_far + n))
    row "after minting" "$done_so_far"
done
echo
echo "mint-rss: $TOKENS tokens in $(( $(date +%s) - started )) s; --cache-capacity ${CAPACITY:-default}" >&2

#!/usr/bin/env bash
# Gateway benchmark (issue 14's goals): with wrk at c=64 on the same machine,
#   (g1) the forward-auth decision for an allowed app token   goal >= 80,000 req/s, p99 <= 5 ms
#   (g2) a proxied call to a trivial upstream vs calling it directly, in the same run
#                                                              goal >= 50% of direct
#   Tessera's RSS throughout                                   goal <= 40 MB
# beside the bare-axum ceiling (crates/tessera-http/examples/ceiling.rs), which is also the
# trivial upstream. SQLite store, release build. See bench/README.md.
#
#   bench/gateway.sh                    # 10 s per measurement
#   BENCH_SECONDS=3 bench/gateway.sh    # quick smoke run
#   BENCH_TESSERA=path/to/tessera bench/gateway.sh   # measure that binary (no build)
#   BENCH_PERF=1 bench/gateway.sh       # also profile Tessera during the forward-auth run
#                                       # (perf record; the top entries in perf-top.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP_SECONDS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
OUT=bench/results/gateway-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

die() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
for tool in curl python3; do command -v "$tool" >/dev/null || die "$tool is required"; done

# BENCH_TESSERA=PATH measures another tessera binary (e.g. one built from an older commit).
if [[ -z ${BENCH_TESSERA:-} ]]; then
    echo "bench: building release binaries" >&2
    cargo build --release -p tessera
fi
cargo build --release -p tessera-http --example ceiling
TESSERA=${BENCH_TESSERA:-target/release/tessera}
CEILING=target/release/examples/ceiling

PIDS=()
TMP=$(mktemp -d)
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_status() {  # wait_status WANT URL [curl args...]
    local want=$1 url=$2; shift 2
    for _ in $(seq 1 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true) == "$want" ]] && return 0
        sleep 0.1
    done
    die "$url did not answer $want within 60 s"
}

# rss_sampler PID FILE : the largest VmRSS (kB) seen every 100 ms, written to FILE.
rss_sampler() {
    local pid=$1 file=$2 max=0 kb
    while kill -0 "$pid" 2>/dev/null; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        (( kb > max )) && max=$kb && echo "$max" >"$file"
        sleep 0.1
    done
}

# run NAME URL [wrk args...] : warm-up, then one measured wrk run; appends a row.
ROWS=$OUT/rows.tsv
: >"$ROWS"
run() {
    local name=$1 url=$2 load_before perf_pid=; shift 2
    echo "bench: $name warm-up (${WARMUP}s)" >&2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
    echo "bench: $name (${DURATION}s, c=$CONNECTIONS)" >&2
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    if [[ ${BENCH_PERF:-0} == 1 && $name == forward-auth ]]; then
        perf record -F 499 -g -p "$TESSERA_PID" -o "$OUT/$name.perf.data" -- sleep "$DURATION" 2>"$OUT/perf.log" &
        perf_pid=$!
    fi
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" >"$OUT/$name.txt"
    if [[ -n $perf_pid ]]; then
        wait "$perf_pid" || true
        perf report -i "$OUT/$name.perf.data" --no-children --sort symbol --percent-limit 0.7 --stdio 2>/dev/null |
            grep -E '^ +[0-9.]+%' >"$OUT/perf-top.txt" || true
    fi
    printf '%s\t%s\t%s\n' "$name" "$OUT/$name.txt" "$load_before/$(cut -d' ' -f1 /proc/loadavg)" >>"$ROWS"
}

# --- the upstream (also the ceiling) and Tessera ----------------------------------------
UP_PORT=$(free_port)
"$CEILING" "127.0.0.1:$UP_PORT" >"$OUT/ceiling.log" 2>&1 &
PIDS+=($!)
wait_status 200 "http://127.0.0.1:$UP_PORT/"

ROUTES=$TMP/routes.toml
{ cat demo/routes.toml
  printf '\n[upstreams.trivial]\nurl = "http://127.0.0.1:%s"\n' "$UP_PORT"
  printf '\n[[routes]]\nmethod = "GET"\npath = "/"\ndialect = "dingtalk"\nscopes = ["qyapi_get_member"]\ntoken_kinds = ["app", "corp"]\nupstream = "trivial"\n'
} >"$ROUTES"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
TESSERA_LOG=warn "$TESSERA" serve --listen "127.0.0.1:$PORT" --data-dir "$TMP/data" \
    --fixture demo/fixture.toml --routes "$ROUTES" >"$OUT/tessera.log" 2>&1 &
TESSERA_PID=$!
PIDS+=("$TESSERA_PID")
FORM='grant_type=client_credentials&client_id=dingdemoapp&client_secret=demo-secret'
wait_status 200 "$BASE/oauth2/token" -H 'content-type: application/x-www-form-urlencoded' -d "$FORM"
TOKEN=$(curl -sf -H 'content-type: application/x-www-form-urlencoded' -d "$FORM" "$BASE/oauth2/token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
AUTH=(-H "x-acs-dingtalk-access-token: $TOKEN")
FWD=(-H "x-forwarded-method: GET" -H "x-forwarded-uri: /v1.0/contact/users/alice" -H "x-forwarded-host: api.example.com")
wait_status 200 "$BASE/gateway/auth/forward" "${AUTH[@]}" "${FWD[@]}"
wait_status 200 "$BASE/" "${AUTH[@]}"
STARTUP_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TESSERA_PID/status")
echo 5 >"/proc/$TESSERA_PID/clear_refs"
rss_sampler "$TESSERA_PID" "$OUT/rss-max-kb" &
PIDS+=($!)

run "ceiling" "http://127.0.0.1:$UP_PORT/"
run "forward-auth" "$BASE/gateway/auth/forward" "${AUTH[@]}" "${FWD[@]}"
run "direct" "http://127.0.0.1:$UP_PORT/"
run "proxied" "$BASE/" "${AUTH[@]}"
run "direct-again" "http://127.0.0.1:$UP_PORT/"
PEAK_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TESSERA_PID/status")

# --- summary ---------------------------------------------------------------------------
python3 - "$ROWS" "$DURATION" "$CONNECTIONS" "$STARTUP_KB" "$PEAK_KB" "$(cat "$OUT/rss-max-kb" 2>/dev/null || echo 0)" \
    >"$OUT/table.md" <<'PY'
import re, sys

rows_path, duration, conns, startup_kb, peak_kb, sampled_kb = sys.argv[1:7]
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
def ms(text):
    v, u = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(v) * unit[u]
res = {}
for line in open(rows_path):
    name, path, load = line.rstrip("\n").split("\t")
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: (.*)", text)
    res[name] = dict(rps=rps, p50=p50, p99=p99, load=load,
                     errors=int(errors.group(1)) if errors else 0, sock=sock.group(1) if sock else "")
print(f"wrk, {duration} s per run, c={conns}; load = 1-min load average before/after the run.\n")
print("| run | req/s | p50 ms | p99 ms | non-2xx | load |")
print("|---|---:|---:|---:|---:|---:|")
for name, r in res.items():
    print(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {r['load']} |")
direct = (res["direct"]["rps"] + res["direct-again"]["rps"]) / 2
fa, px = res["forward-auth"], res["proxied"]
mb = lambda kb: int(kb) / 1024
print()
print(f"- forward-auth decision: {fa['rps']:,.0f} req/s (goal >= 80,000), p99 {fa['p99']:.2f} ms (goal <= 5 ms)")
print(f"- proxied / direct: {px['rps']:,.0f} / {direct:,.0f} = {100 * px['rps'] / direct:.1f}% (goal >= 50%)")
print(f"- Tessera RSS: start-up peak {mb(startup_kb):.1f} MB; during the runs peak {mb(peak_kb):.1f} MB "
      f"(VmHWM reset after start-up), largest sampled VmRSS {mb(sampled_kb):.1f} MB (goal <= 40 MB)")
print(f"- bare-axum ceiling: {res['ceiling']['rps']:,.0f} req/s; forward-auth / ceiling = "
      f"{100 * fa['rps'] / res['ceiling']['rps']:.1f}% (the figure that holds under load)")
PY
cat "$OUT/table.md"
echo "bench: wrk outputs and logs are in $OUT" >&2

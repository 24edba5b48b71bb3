#!/usr/bin/env bash
# Tessera benchmark: token reuse (a), gateway (b) on SQLite and PostgreSQL,
# against a bare axum ceiling (c). See bench/README.md.
#
#   bench/run.sh                    # 10 s per measurement
#   BENCH_SECONDS=2 bench/run.sh    # quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_SECONDS:-10}           # seconds per measured run
WARMUP=${BENCH_WARMUP_SECONDS:-2}       # seconds of warm-up per server
CONCURRENCIES=(16 64)
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PG_ADMIN=(psql -h 127.0.0.1 -U postgres -d test -q -v ON_ERROR_STOP=1)

OUT=bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
ROWS=$OUT/rows.tsv      # scenario, store, concurrency, oha json, peak RSS kB
: >"$ROWS"

die() { echo "bench: $*" >&2; exit 1; }

# --- tools and binaries ------------------------------------------------------
PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v oha >/dev/null || cargo install oha --locked
for tool in curl python3 psql; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

echo "bench: building release binaries (this can take a few minutes)" >&2
# Two commands: a target flag like --example applies to every -p given.
cargo build --release -p tessera
cargo build --release -p tessera-http --example ceiling
TESSERA=target/release/tessera
CEILING=target/release/examples/ceiling

# --- server lifecycle ----------------------------------------------------------
SERVER_PID=""
PG_DB=""        # PostgreSQL database of the running server, if any
TMP_DIRS=()

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

drop_db() {
    if [[ -n $PG_DB ]]; then
        "${PG_ADMIN[@]}" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
        PG_DB=""
    fi
}

cleanup() {
    stop_server
    drop_db || true
    for dir in "${TMP_DIRS[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME CMD... : runs CMD in the background (so $! is the server
# itself, not a shell), logs stderr to $OUT/NAME.log.
start_server() {
    local name=$1; shift
    "$@" >"$OUT/$name.log" 2>&1 &
    SERVER_PID=$!
}

# http_status METHOD URL [curl args...] : prints the HTTP status code (000 if no answer).
http_status() {
    local method=$1 url=$2; shift 2
    curl -s -o /dev/null -w '%{http_code}' -X "$method" "$@" "$url" || true
}

# wait_ready NAME METHOD URL [curl args...] : waits up to 60 s for a 200.
wait_ready() {
    local name=$1; shift
    local code
    for _ in $(seq 1 600); do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$OUT/$name.log" >&2; die "$name: server exited before answering"; }
        code=$(http_status "$@")
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    tail -n 20 "$OUT/$name.log" >&2
    die "$name: $1 $2 did not answer 200 within 60 s (last status $code)"
}

# peak_rss_kb : the server's VmHWM (peak resident set size) in kB.
peak_rss_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"
}

# reset_peak_rss : start VmHWM again from the current RSS (Linux clear_refs 5), so the
# figure after a run is that run's peak, not the start-up peak (argon2id hashing of the
# fixture's passwords allocates about 19 MiB per hash).
reset_peak_rss() {
    echo 5 >"/proc/$SERVER_PID/clear_refs"
}

# measure NAME SCENARIO STORE URL [oha args...] : warm-up, then one run per
# concurrency; records a row per run.
measure() {
    local name=$1 scenario=$2 store=$3 url=$4; shift 4
    local max_c=${CONCURRENCIES[-1]} startup_kb
    startup_kb=$(peak_rss_kb)
    echo "bench: $name warm-up (${WARMUP}s, c=$max_c)" >&2
    oha --no-tui --output-format quiet -z "${WARMUP}s" -c "$max_c" "$@" "$url"
    for c in "${CONCURRENCIES[@]}"; do
        echo "bench: $name c=$c (${DURATION}s)" >&2
        reset_peak_rss
        oha --no-tui --output-format json -o "$OUT/$name-c$c.json" -z "${DURATION}s" -c "$c" "$@" "$url"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$store" "$c" "$OUT/$name-c$c.json" "$(peak_rss_kb)" "$startup_kb" >>"$ROWS"
    done
}

TOKEN_FORM='grant_type=client_credentials&client_id=dingdemoapp&client_secret=demo-secret'
FORM_TYPE='application/x-www-form-urlencoded'
DENY_FORM='grant_type=client_credentials&client_id=dingbasic&client_secret=basic-secret'

# bench_tessera SCENARIO STORE : one fresh server (fresh database) per scenario and store.
bench_tessera() {
    local scenario=$1 store=$2
    local name=$scenario-$store port data_dir db_args=()
    port=$(free_port)
    data_dir=$(mktemp -d)
    TMP_DIRS+=("$data_dir")
    if [[ $store == postgres ]]; then
        PG_DB=bench_$$_${scenario}
        "${PG_ADMIN[@]}" -c "CREATE DATABASE $PG_DB"
        db_args=(--database-url "$PG_SERVER/$PG_DB")
    fi

    local base=http://127.0.0.1:$port
    # env(1) execs the binary, so $! in start_server is still the server's own PID.
    start_server "$name" env TESSERA_LOG=warn "$TESSERA" serve --listen "127.0.0.1:$port" \
        --data-dir "$data_dir" --fixture demo/fixture.toml "${db_args[@]}"
    wait_ready "$name" POST "$base/oauth2/token" -H "content-type: $FORM_TYPE" -d "$TOKEN_FORM"

    case $scenario in
        token)
            measure "$name" "(a) token reuse" "$store" "$base/oauth2/token" \
                -m POST -T "$FORM_TYPE" -d "$TOKEN_FORM"
            ;;
        gateway)
            local token code
            token=$(curl -sf -H "content-type: $FORM_TYPE" -d "$TOKEN_FORM" "$base/oauth2/token" |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') ||
                die "$name: could not get an access token"
            code=$(http_status GET "$base/v1.0/contact/users/alice" -H "x-acs-dingtalk-access-token: $token")
            [[ $code == 200 ]] || die "$name: GET /v1.0/contact/users/alice answered $code, not 200"
            measure "$name" "(b) gateway" "$store" "$base/v1.0/contact/users/alice" \
                -H "x-acs-dingtalk-access-token: $token"
            ;;
        deny)
            # The same route with a token of an app that lacks qyapi_get_member: token check
            # and decision only, answered 403 by the gateway layer without reading the store.
            local token code
            token=$(curl -sf -H "content-type: $FORM_TYPE" -d "$DENY_FORM" "$base/oauth2/token" |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') ||
                die "$name: could not get an access token"
            code=$(http_status GET "$base/v1.0/contact/users/alice" -H "x-acs-dingtalk-access-token: $token")
            [[ $code == 403 ]] || die "$name: GET /v1.0/contact/users/alice answered $code, not 403"
            measure "$name" "(b') gateway deny" "$store" "$base/v1.0/contact/users/alice" \
                -H "x-acs-dingtalk-access-token: $token"
            ;;
    esac
    stop_server
    drop_db
}

# --- runs -------------------------------------------------------------------
port=$(free_port)
start_server ceiling "$CEILING" "127.0.0.1:$port"
wait_ready ceiling GET "http://127.0.0.1:$port/"
measure ceiling "(c) ceiling" "-" "http://127.0.0.1:$port/"
stop_server

for store in sqlite postgres; do
    bench_tessera token "$store"
    bench_tessera gateway "$store"
    bench_tessera deny "$store"
done

# --- summary ------------------------------------------------------------------
python3 - "$ROWS" "$DURATION" >"$OUT/table.md" <<'EOF'
import json, sys

rows_path, duration = sys.argv[1], sys.argv[2]
rows = []
for line in open(rows_path):
    scenario, store, c, path, rss_kb, startup_kb = line.rstrip("\n").split("\t")
    with open(path) as f:
        r = json.load(f)
    rows.append(dict(scenario=scenario, store=store, c=int(c), r=r, rss_mb=int(rss_kb) / 1024,
                     startup_mb=int(startup_kb) / 1024))

ceiling = {row["c"]: row["r"]["summary"]["requestsPerSec"] for row in rows if row["store"] == "-"}
store_order = {"sqlite": 0, "postgres": 1, "-": 2}
rows.sort(key=lambda row: (row["scenario"], store_order[row["store"]], row["c"]))

print(f"{duration} s per run; latencies in ms; peak RSS = the server's VmHWM during the run "
      "(reset before it); start-up peak = VmHWM from start to the first run.\n")
print("| scenario | store | concurrency | req/s | p50 ms | p99 ms | peak RSS MB | start-up peak MB | % of ceiling |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
warnings = []
for row in rows:
    r = row["r"]
    rps = r["summary"]["requestsPerSec"]
    p = r["latencyPercentiles"]
    ms = lambda v: f"{v * 1000:.2f}" if v is not None else "n/a"
    pct = f"{100 * rps / ceiling[row['c']]:.1f}%" if ceiling.get(row["c"]) else "n/a"
    print(f"| {row['scenario']} | {row['store']} | {row['c']} | {rps:,.0f} | {ms(p['p50'])} | "
          f"{ms(p['p99'])} | {row['rss_mb']:.1f} | {row['startup_mb']:.1f} | {pct} |")
    expected = "403" if "deny" in row["scenario"] else "200"
    codes = {k: v for k, v in r.get("statusCodeDistribution", {}).items() if k != expected}
    errors = {k: v for k, v in r.get("errorDistribution", {}).items() if "deadline" not in k}
    if codes or errors:
        warnings.append(f"- {row['scenario']} / {row['store']} / c={row['c']}: "
                        f"non-200 {codes or '{}'}, errors {errors or '{}'}")
if warnings:
    print("\nWARNING: some responses did not have the expected status (req/s counts them too):")
    print("\n".join(warnings))
EOF

cat "$OUT/table.md"
echo >&2
echo "bench: raw oha JSON, server logs and table.md are in $OUT" >&2

#!/usr/bin/env bash
# Tessera benchmark: token reuse (a), gateway (b), refresh grant (d), user-token
# gateway (e) and corp-token issuance for 1,000 orgs (f) on SQLite and PostgreSQL, against
# a bare axum ceiling (c).
# See bench/README.md.
#
#   bench/run.sh                    # 10 s per measurement
#   BENCH_SECONDS=2 bench/run.sh    # quick smoke run
#   BENCH_SCENARIOS="corpreuse corpmint" BENCH_STORES=sqlite bench/run.sh   # a subset
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_SECONDS:-10}           # seconds per measured run
WARMUP=${BENCH_WARMUP_SECONDS:-2}       # seconds of warm-up per server
CONCURRENCIES=(16 64)
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PG_ADMIN=(psql -h 127.0.0.1 -U postgres -d test -q -v ON_ERROR_STOP=1)
# (d) refresh grant: the most refresh tokens minted for one measured run; when the rate
# measured in the warm-up would need more, (d)'s runs are shortened (the table says so).
REFRESH_MAX_TOKENS=${BENCH_REFRESH_MAX_TOKENS:-100000}
REFRESH_SAFETY=1.5      # tokens minted per run = rate seen so far x run length x this
REFRESH_CALIBRATION=1000

OUT=bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
ROWS=$OUT/rows.tsv      # scenario, store, concurrency, oha json, peak RSS kB
: >"$ROWS"

die() { echo "bench: $*" >&2; exit 1; }

# --- tools and binaries ------------------------------------------------------
PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v oha >/dev/null || cargo install oha --locked
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || die "wrk is required (Debian package wrk)"
for tool in curl python3 psql wrk; do
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

# --- user tokens: (d) refresh grant, (e) user-token gateway, (x) code exchange ------
# bench/bench.py signs in, authorizes and mints user tokens and codes; wrk with
# bench/single_use.lua is the load generator of (d) and (x): oha's -Z picks a random line per
# request (with repetition), and refresh tokens and codes are single-use.
BENCH_PY=bench/bench.py

source bench/perf.sh
source bench/peers/peers.sh

NOTES=$OUT/notes.md     # lines printed under the table
: >"$NOTES"

# json_rps FILE : requestsPerSec of an oha (or single_use.lua) JSON file.
json_rps() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"])' "$1"
}

# single_use_load URL FILE CURSOR CONCURRENCY SECONDS JSON [-H 'name: value']... : POSTs
# the unused lines of FILE (from the index in CURSOR on, each line once) with wrk and
# bench/single_use.lua; writes oha-shaped figures to JSON and moves CURSOR past the lines sent.
single_use_load() {
    local url=$1 file=$2 cursor=$3 c=$4 secs=$5 json=$6; shift 6
    local threads=$(( c < 2 ? c : 2 ))
    wrk -t "$threads" -c "$c" -d "${secs}s" "$@" -s bench/single_use.lua "$url" -- \
        "$file" "$(cat "$cursor")" "$threads" "$json" "$cursor" >/dev/null
}

# refresh_load NAME CONCURRENCY SECONDS JSON : one load run of (d), taking unused lines of
# $SUPPLY from $CURSOR on.
refresh_load() {
    local name=$1 c=$2 secs=$3 json=$4
    single_use_load "$REFRESH_URL" "$SUPPLY" "$CURSOR" "$c" "$secs" "$json" \
        -H "content-type: $FORM_TYPE" -H "authorization: Basic $CLIENT_BASIC" ||
        die "$name: the load generator failed"
    RATE=$(awk -v a="$RATE" -v b="$(json_rps "$json")" 'BEGIN { print (b > a ? b : a) }')
}

# refresh_top_up NAME COUNT : mints refresh tokens until $SUPPLY holds COUNT unused ones.
refresh_top_up() {
    local name=$1 want=$2 left result minted secs
    left=$(( $(wc -l <"$SUPPLY") - $(cat "$CURSOR") ))
    (( want > left )) || return 0
    result=$(python3 "$BENCH_PY" mint "$REFRESH_BASE" "$((want - left))" "$SUPPLY") ||
        die "$name: minting refresh tokens failed"
    read -r minted secs <<<"$result"
    MINTED=$((MINTED + minted))
    MINT_SECONDS=$(awk -v a="$MINT_SECONDS" -v b="$secs" 'BEGIN { print a + b }')
    echo "bench: $name minted $minted refresh tokens in ${secs}s" >&2
}

# tokens_for SECONDS : refresh tokens for SECONDS at the highest rate seen, with margin.
tokens_for() {
    awk -v r="$RATE" -v s="$1" -v f="$REFRESH_SAFETY" 'BEGIN { n = r * s * f + 100; printf "%d", n == int(n) ? n : int(n) + 1 }'
}

# measure_refresh NAME SCENARIO STORE BASE : scenario (d). Like measure, but each request
# presents a refresh token never used before, minted before each run (not while measuring)
# into a temporary refresh-supply.txt, one form body per line, by the authorization-code flow.
measure_refresh() {
    local name=$1 scenario=$2 store=$3 base=$4 dir
    dir=$(mktemp -d)
    TMP_DIRS+=("$dir")
    local max_c=${CONCURRENCIES[-1]} startup_kb secs=$DURATION label=$2 code
    REFRESH_BASE=$base REFRESH_URL=$base/oauth2/token SUPPLY=$dir/refresh-supply.txt CURSOR=$dir/refresh-cursor
    CLIENT_BASIC=$(printf %s dingdemoapp:demo-secret | base64)
    RATE=0 MINTED=0 MINT_SECONDS=0
    : >"$SUPPLY"
    echo 0 >"$CURSOR"
    startup_kb=$(peak_rss_kb)

    refresh_top_up "$name" "$REFRESH_CALIBRATION"
    code=$(http_status POST "$REFRESH_URL" -H "content-type: $FORM_TYPE" -u dingdemoapp:demo-secret -d "$(head -n 1 "$SUPPLY")")
    [[ $code == 200 ]] || die "$name: POST /oauth2/token (refresh_token) answered $code, not 200"
    echo 1 >"$CURSOR"

    # Warm-up: the calibration tokens at c=max give a first rate, then a full warm-up.
    echo "bench: $name warm-up (calibration on $((REFRESH_CALIBRATION - 1)) tokens, then ${WARMUP}s, c=$max_c)" >&2
    refresh_load "$name" "$max_c" "$WARMUP" "$dir/calibration.json"
    refresh_top_up "$name" "$(tokens_for "$WARMUP")"
    refresh_load "$name" "$max_c" "$WARMUP" "$dir/warm-up.json"

    if (( $(tokens_for "$DURATION") > REFRESH_MAX_TOKENS )); then
        secs=$(awk -v m="$REFRESH_MAX_TOKENS" -v r="$RATE" -v f="$REFRESH_SAFETY" \
            'BEGIN { s = int((m - 100) / (r * f)); print s < 1 ? 1 : s }')
        label="$scenario (${secs} s runs)"
        echo "bench: $name: ${DURATION}s at $(printf %.0f "$RATE") req/s needs more than $REFRESH_MAX_TOKENS" \
            "tokens (BENCH_REFRESH_MAX_TOKENS); measuring ${secs}s per run" >&2
    fi
    for c in "${CONCURRENCIES[@]}"; do
        refresh_top_up "$name" "$(tokens_for "$secs")"
        echo "bench: $name c=$c (${secs}s, $(( $(wc -l <"$SUPPLY") - $(cat "$CURSOR") )) unused refresh tokens)" >&2
        reset_peak_rss
        refresh_load "$name" "$c" "$secs" "$OUT/$name-c$c.json"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$store" "$c" "$OUT/$name-c$c.json" "$(peak_rss_kb)" "$startup_kb" >>"$ROWS"
    done
    printf -- '- %s / %s: minted %d refresh tokens in %.1f s (%.0f/s; authorization request + code exchange each, 16 connections), %d used, %s s per measured run\n' \
        "$scenario" "$store" "$MINTED" "$MINT_SECONDS" "$(awk -v n="$MINTED" -v s="$MINT_SECONDS" 'BEGIN { print (s > 0 ? n / s : 0) }')" \
        "$(cat "$CURSOR")" "$secs" >>"$NOTES"
}

# bench_tessera SCENARIO STORE : one fresh server (fresh database) per scenario and store.
bench_tessera() {
    local scenario=$1 store=$2
    local name=$scenario-$store port data_dir db_args=()
    port=$(free_port)
    data_dir=$(mktemp -d)
    TMP_DIRS+=("$data_dir")
    if [[ $store == postgres ]]; then
        PG_DB=bench_$$_${scenario//-/_}
        "${PG_ADMIN[@]}" -c "CREATE DATABASE $PG_DB"
        db_args=(--database-url "$PG_SERVER/$PG_DB")
    fi

    local base=http://127.0.0.1:$port fixture=demo/fixture.toml extra=()
    if [[ $scenario == corp* ]]; then
        # (f): the demo plus 1,000 orgs that activated the ISV app suitedemo.
        fixture=$data_dir/fixture.toml
        { cat demo/fixture.toml
          for i in $(seq -w 1 1000); do
              printf '\n[[orgs]]\ncorp_id = "benchorg%s"\nname = "Bench org %s"\n' "$i" "$i"
              printf '\n[[installations]]\nclient_id = "suitedemo"\ncorp_id = "benchorg%s"\n' "$i"
          done
        } >"$fixture"
        # corpmint: a reuse margin equal to the lifetime hands no token out twice, so every
        # request mints (and stores) a new corp token.
        [[ $scenario == corpmint ]] && extra=(--reuse-margin 7200)
    fi
    read -r -a perf_extra <<<"$(perf_server_args "$scenario")"
    extra+=("${perf_extra[@]}")
    # env(1) execs the binary, so $! in start_server is still the server's own PID.
    start_server "$name" env TESSERA_LOG=warn "$TESSERA" serve --listen "127.0.0.1:$port" \
        --data-dir "$data_dir" --fixture "$fixture" --routes demo/routes.toml "${db_args[@]}" "${extra[@]}"
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
        refresh)
            measure_refresh "$name" "(d) refresh grant" "$store" "$base"
            ;;
        corpmint|corpreuse)
            # A suite asks for corp tokens of random orgs among 1,000 (oha -Z: a random body
            # line per request), with its current suite ticket.
            local ticket bodies=$data_dir/corp-bodies.jsonl label
            wait_ready "$name" POST "$base/v1.0/oauth2/suiteTicket" -H 'content-type: application/json' \
                -d '{"suiteKey":"suitedemo","suiteSecret":"suite-secret"}'
            ticket=$(curl -sf -H 'content-type: application/json' -d '{"suiteKey":"suitedemo","suiteSecret":"suite-secret"}' \
                "$base/v1.0/oauth2/suiteTicket" | python3 -c 'import json, sys; print(json.load(sys.stdin)["suiteTicket"])') ||
                die "$name: could not read the suite ticket"
            for i in $(seq -w 1 1000); do
                printf '{"authCorpId":"benchorg%s","suiteKey":"suitedemo","suiteSecret":"suite-secret","suiteTicket":"%s"}\n' "$i" "$ticket"
            done >"$bodies"
            [[ $(http_status POST "$base/v1.0/oauth2/corpAccessToken" -H 'content-type: application/json' -d "$(head -n 1 "$bodies")") == 200 ]] ||
                die "$name: corpAccessToken did not answer 200"
            label="(f) corp token, 1,000 orgs, reused"
            [[ $scenario == corpmint ]] && label="(f') corp token, 1,000 orgs, minted"
            measure "$name" "$label" "$store" "$base/v1.0/oauth2/corpAccessToken" \
                -m POST -T application/json -Z "$bodies"
            ;;
        usertoken)
            # A user token (authorization-code flow as alice): checked against the store on
            # every call, never cached, then the sample API's documents query.
            local token code
            token=$(python3 "$BENCH_PY" access "$base") || die "$name: could not get a user access token"
            code=$(http_status GET "$base/v1.0/doc/documents" -H "x-acs-dingtalk-access-token: $token")
            [[ $code == 200 ]] || die "$name: GET /v1.0/doc/documents answered $code, not 200"
            measure "$name" "(e) user-token gateway" "$store" "$base/v1.0/doc/documents" \
                -H "x-acs-dingtalk-access-token: $token"
            ;;
        mint|introspect|exchange|exchange-oauth|flood)
            perf_scenario "$scenario" "$name" "$store" "$base"
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

for store in ${BENCH_STORES:-sqlite postgres}; do
    for scenario in ${BENCH_SCENARIOS:-token gateway deny refresh usertoken corpreuse corpmint mint exchange exchange-oauth introspect flood}; do
        bench_tessera "$scenario" "$store"
    done
done
[[ ${BENCH_PEERS:-1} == 1 ]] && bench_peers

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
rows.sort(key=lambda row: (row["scenario"], store_order.get(row["store"], 3), row["c"]))

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
# Each Tessera figure against the best peer in the same scenario and concurrency.
peer_rows = [row for row in rows if row["store"] not in store_order]
compared = []
for row in rows:
    if row["store"] not in ("sqlite", "postgres"):
        continue
    peers = [p for p in peer_rows if p["scenario"] == row["scenario"] and p["c"] == row["c"]]
    if not peers:
        continue
    best = max(peers, key=lambda p: p["r"]["summary"]["requestsPerSec"])
    rps, best_rps = row["r"]["summary"]["requestsPerSec"], best["r"]["summary"]["requestsPerSec"]
    ceil = ceiling.get(row["c"])
    compared.append(f"| {row['scenario']} | {row['store']} | {row['c']} | {rps:,.0f} | {best['store']} {best_rps:,.0f} | "
                    f"{rps / best_rps:.1f}x | {f'{rps / ceil:.2f}' if ceil else 'n/a'} |")
if compared:
    print("\nTessera against the best peer (same scenario, same concurrency) and the ceiling:\n")
    print("| scenario | store | concurrency | Tessera req/s | best peer req/s | Tessera / best peer | Tessera / ceiling |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(compared))
if warnings:
    print("\nWARNING: some responses did not have the expected status (req/s counts them too):")
    print("\n".join(warnings))
EOF

if [[ -s $NOTES ]]; then
    { echo; echo "Refresh-token supply of (d) (measured with wrk and bench/single_use.lua, not oha):"; cat "$NOTES"; } >>"$OUT/table.md"
fi
cat "$OUT/table.md"
echo >&2
echo "bench: raw oha JSON, server logs and table.md are in $OUT" >&2

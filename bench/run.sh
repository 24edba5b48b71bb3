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

# --- user tokens: (d) refresh grant and (e) user-token gateway ----------------------
# bench.py signs in, authorizes and mints user tokens, and is the load generator of (d):
# oha's -Z picks a random line per request (with repetition), and a refresh token is
# single-use. Written to a temporary directory; documented in its docstring.
HELPER_DIR=$(mktemp -d)
TMP_DIRS+=("$HELPER_DIR")
BENCH_PY=$HELPER_DIR/bench.py
cat >"$BENCH_PY" <<'PYEOF'
"""Helpers of bench/run.sh for the user-token scenarios (d) and (e); Python standard
library only. One HTTP/1.1 keep-alive client on asyncio streams serves both.

  bench.py access BASE            prints a user access token of alice for dingdemoapp
  bench.py mint BASE N FILE       appends N refresh-grant form bodies to FILE, one a line,
                                  each with a refresh token of its own; prints "N SECONDS"
  bench.py load URL FILE CURSOR C SECONDS OUT.json [-H 'name: value']...
                                  POSTs line after line of FILE (never one twice) over C
                                  connections for SECONDS; writes oha-style JSON to OUT.json

Minting: sign in as alice (GET /login for the login cookie and CSRF token, POST /login),
authorize dingdemoapp once on the consent page, then per token GET /oauth2/authorize with
the session cookie (302 with a code straight away: consent was given) and exchange the
code at POST /oauth2/token. Every token is the head of a family of its own, so a stray
reuse would revoke one family only.

Load: oha's -Z picks a random line for each request (with repetition), which would
present consumed refresh tokens again (400 invalid_grant, and the family revoked), hence
this loader. CURSOR holds the index of the first unused line of FILE; it is moved past
every line handed out. Counted as oha -z counts: responses received by the deadline, over
the run's length. Unlike oha, requests in flight at the deadline are not aborted but
awaited (and left out of the figures): dropping the connection mid-request cancels the
server's handler, and on PostgreSQL a handler cancelled inside sqlx's Pool::begin leaves
the pooled connection in an open transaction (sqlx 0.8, transact-rs/sqlx#4393), which
would change the server under test. Running out of lines ends the run early; the JSON
then has an errorDistribution entry saying so, which the summary reports.
"""
import asyncio, base64, html, json, re, sys, time
from urllib.parse import parse_qs, quote, urlencode, urlsplit

CLIENT, SECRET = "dingdemoapp", "demo-secret"
REDIRECT = "http://127.0.0.1:8900/callback"
SCOPE = "openid Contact.User.Read doc:readonly"
AUTHORIZE = "/oauth2/authorize?" + urlencode(
    {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "scope": SCOPE, "state": "x"},
    quote_via=quote)
BASIC = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
FORM = "application/x-www-form-urlencoded"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
MINT_CONNECTIONS = 16


def fail(msg):
    sys.exit(f"bench.py: {msg}")


class Conn:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, url):
        u = urlsplit(url)
        self.host, self.port, self.netloc = u.hostname, u.port or 80, u.netloc
        self.reader = self.writer = None

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, target, headers=(), body=b""):
        """(status, [(lower-case name, value)], body)"""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {target} HTTP/1.1\r\nhost: {self.netloc}\r\n"
        head += "".join(f"{h}\r\n" for h in headers)
        if body or method == "POST":
            head += f"content-length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)[1]
        fields = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
        get = lambda name: next((v for k, v in fields if k == name), "")
        if "chunked" in get("transfer-encoding").lower():
            out = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                out += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            out = await self.reader.readexactly(int(get("content-length") or 0))
        if get("connection").lower() == "close":
            self.close()
        return status, fields, out


def header(fields, name):
    return [v for k, v in fields if k == name]


def cookie(fields, name):
    for value in header(fields, "set-cookie"):
        k, _, v = value.split(";", 1)[0].partition("=")
        if k.strip() == name:
            return v
    fail(f"the response set no {name} cookie")


def hidden(page):
    return [(html.unescape(k), html.unescape(v)) for k, v in HIDDEN.findall(page.decode())]


def code_of(status, fields, body):
    if status != "302":
        fail(f"GET /oauth2/authorize: expected a 302 with a code, got {status}: {body[:300]!r}")
    location = header(fields, "location")[0]
    q = parse_qs(urlsplit(location).query)
    if "code" not in q:
        fail(f"no code in {location}")
    return q["code"][0]


async def sign_in(conn):
    status, fields, page = await conn.request("GET", "/login?next=/account")
    login = cookie(fields, "tessera_login")
    form = dict(hidden(page))
    body = urlencode({"account": "alice-union", "password": "alice-password",
                      "csrf": form["csrf"], "next": form["next"]}).encode()
    status, fields, page = await conn.request(
        "POST", "/login", [f"content-type: {FORM}", f"cookie: tessera_login={login}"], body)
    if status != "303":
        fail(f"POST /login answered {status}: {page[:300]!r}")
    return f"cookie: tessera_session={cookie(fields, 'tessera_session')}"


async def authorize(conn, session):
    status, fields, page = await conn.request("GET", AUTHORIZE, [session])
    if status == "200":  # the consent page, the first time only: approve it
        body = urlencode(hidden(page) + [("decision", "approve")]).encode()
        status, fields, page = await conn.request(
            "POST", "/oauth2/authorize", [f"content-type: {FORM}", session], body)
    return code_of(status, fields, page)


async def exchange(conn, code):
    body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}).encode()
    status, _, out = await conn.request(
        "POST", "/oauth2/token", [f"content-type: {FORM}", f"authorization: {BASIC}"], body)
    if status != "200":
        fail(f"code exchange answered {status}: {out[:300]!r}")
    return json.loads(out)


async def access(base):
    conn = Conn(base)
    pair = await exchange(conn, await authorize(conn, await sign_in(conn)))
    print(pair["access_token"])


async def mint(base, n, path):
    conn = Conn(base)
    session = await sign_in(conn)
    await exchange(conn, await authorize(conn, session))  # consent, once
    lines, left = [], [n]

    async def worker():
        c = Conn(base)
        while left[0] > 0:
            left[0] -= 1
            token = (await exchange(c, await authorize(c, session)))["refresh_token"]
            lines.append(urlencode({"grant_type": "refresh_token", "refresh_token": token}) + "\n")
        c.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(MINT_CONNECTIONS)))
    elapsed = time.monotonic() - start
    with open(path, "a") as f:
        f.writelines(lines)
    print(len(lines), f"{elapsed:.2f}")


async def load(url, path, cursor_path, conc, seconds, out, headers):
    with open(path, "rb") as f:
        bodies = f.read().splitlines()
    try:
        with open(cursor_path) as f:
            cursor = int(f.read().strip() or 0)
    except FileNotFoundError:
        cursor = 0
    first, target = cursor, urlsplit(url).path
    latencies, statuses, errors, late = [], {}, {}, {}
    exhausted_at = deadline = None

    def count(d, k):
        d[k] = d.get(k, 0) + 1

    async def worker():
        nonlocal cursor, exhausted_at
        conn = Conn(url)
        while deadline is None:
            if cursor >= len(bodies):
                exhausted_at = exhausted_at or time.monotonic()
                return
            body = bodies[cursor]
            cursor += 1
            try:
                t0 = time.perf_counter()
                status, _, _ = await conn.request("POST", target, headers, body)
                if deadline is None:
                    latencies.append(time.perf_counter() - t0)
                    count(statuses, status)
                else:
                    count(late, status)
            except asyncio.CancelledError:
                count(errors, "aborted due to deadline")
                conn.close()
                raise
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
                count(errors, f"{type(e).__name__}: {e}")
                conn.close()
        conn.close()

    tasks = [asyncio.create_task(worker()) for _ in range(conc)]
    start = time.monotonic()
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    deadline = time.monotonic()
    if pending:  # let the requests in flight finish (see above), within reason
        _, pending = await asyncio.wait(pending, timeout=30)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    total = deadline - start
    served = len(latencies) + sum(v for k, v in errors.items() if k != "aborted due to deadline")
    if exhausted_at is not None:
        errors[f"refresh-token supply exhausted after {exhausted_at - start:.2f} s of {seconds:g} s"] = 1
    for status, n in late.items():
        if not status.startswith("2"):
            errors[f"status {status} after the deadline"] = n
    latencies.sort()
    pct = {f"p{p:g}": latencies[int(p / 100 * len(latencies))] if latencies else None
           for p in (10, 25, 50, 75, 90, 95, 99, 99.9, 99.99)}
    with open(out, "w") as f:
        json.dump({"loader": "bench.py load", "summary": {"total": total, "requestsPerSec": served / total},
                   "latencyPercentiles": pct, "statusCodeDistribution": statuses, "errorDistribution": errors,
                   "afterDeadline": late, "linesUsed": cursor - first, "linesLeft": len(bodies) - cursor},
                  f, indent=1)
    with open(cursor_path, "w") as f:
        f.write(f"{cursor}\n")


def main(argv):
    match argv:
        case ["access", base]:
            asyncio.run(access(base))
        case ["mint", base, n, path]:
            asyncio.run(mint(base, int(n), path))
        case ["load", url, path, cursor, conc, seconds, out, *rest]:
            headers = []
            while rest:
                if len(rest) < 2 or rest[0] != "-H":
                    fail(f"unexpected arguments {rest}")
                headers.append(rest[1])
                rest = rest[2:]
            asyncio.run(load(url, path, cursor, int(conc), float(seconds), out, headers))
        case _:
            fail(__doc__)


main(sys.argv[1:])
PYEOF

NOTES=$OUT/notes.md     # lines printed under the table
: >"$NOTES"

# json_rps FILE : requestsPerSec of an oha (or bench.py load) JSON file.
json_rps() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"])' "$1"
}

# refresh_load NAME CONCURRENCY SECONDS JSON : one bench.py load run of (d), taking
# unused lines of $SUPPLY from $CURSOR on.
refresh_load() {
    local name=$1 c=$2 secs=$3 json=$4
    python3 "$BENCH_PY" load "$REFRESH_URL" "$SUPPLY" "$CURSOR" "$c" "$secs" "$json" \
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
        PG_DB=bench_$$_${scenario}
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
    for scenario in ${BENCH_SCENARIOS:-token gateway deny refresh usertoken corpreuse corpmint}; do
        bench_tessera "$scenario" "$store"
    done
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

if [[ -s $NOTES ]]; then
    { echo; echo "Refresh-token supply of (d) (measured with bench.py load, not oha):"; cat "$NOTES"; } >>"$OUT/table.md"
fi
cat "$OUT/table.md"
echo >&2
echo "bench: raw oha JSON, server logs and table.md are in $OUT" >&2

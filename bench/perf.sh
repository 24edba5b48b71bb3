# Sourced by bench/run.sh: the scenarios of the write path and of the caches (see
# bench/README.md): (m) minting with reuse off, (x) code exchange, (i) introspection and
# (g) the user-token gateway with and without a flood of garbage tokens. Uses run.sh's
# measure, peak_rss_kb, reset_peak_rss, json_rps and bench.py.

DINGDEMO_BASIC=$(printf %s dingdemoapp:demo-secret | base64)
# (x): authorization codes minted before the measured run (each is single-use).
EXCHANGE_CODES=${BENCH_EXCHANGE_CODES:-60000}

# perf_server_args SCENARIO : extra `tessera serve` arguments of a scenario.
perf_server_args() {
    case $1 in
        mint) echo --reuse-margin 7200 ;;   # equal to the lifetime: every request mints
    esac
}

# perf_scenario SCENARIO NAME STORE BASE : runs one of this file's scenarios.
perf_scenario() {
    local scenario=$1 name=$2 store=$3 base=$4 token
    case $scenario in
        mint)
            measure "$name" "(m) client_credentials, new token each request" "$store" "$base/oauth2/token" \
                -m POST -T "$FORM_TYPE" -d "$TOKEN_FORM"
            ;;
        introspect)
            token=$(python3 "$BENCH_PY" access "$base") || die "$name: could not get a user access token"
            [[ $(http_status POST "$base/oauth2/introspect" -H "authorization: Basic $DINGDEMO_BASIC" -d "token=$token") == 200 ]] ||
                die "$name: introspection did not answer 200"
            measure "$name" "(i) introspection" "$store" "$base/oauth2/introspect" \
                -m POST -T "$FORM_TYPE" -H "authorization: Basic $DINGDEMO_BASIC" -d "token=$token"
            ;;
        exchange) measure_exchange "$name" "$store" "$base" "(x) code exchange, RS256 ID token" ;;
        exchange-oauth)
            BENCH_CODE_SCOPE="Contact.User.Read doc:readonly" \
                measure_exchange "$name" "$store" "$base" "(x') code exchange, no openid (no ID token)" ;;
        flood) measure_flood "$name" "$store" "$base" ;;
    esac
}

# measure_exchange NAME STORE BASE LABEL : (x) at the highest concurrency, one unused code per
# request (bench.py codes, then wrk with bench/single_use.lua; BENCH_CODE_SCOPE passes through to bench.py).
measure_exchange() {
    local name=$1 store=$2 base=$3 label=$4 dir c=${CONCURRENCIES[-1]} startup_kb result
    dir=$(mktemp -d)
    TMP_DIRS+=("$dir")
    startup_kb=$(peak_rss_kb)
    result=$(python3 "$BENCH_PY" codes "$base" "$EXCHANGE_CODES" "$dir/codes.txt") || die "$name: minting codes failed"
    echo "bench: $name minted codes: $result (count, seconds)" >&2
    echo 0 >"$dir/cursor"
    echo "bench: $name warm-up (1,000 codes, c=$c)" >&2
    head -n 1000 "$dir/codes.txt" >"$dir/warm.txt"
    echo 0 >"$dir/warm-cursor"
    single_use_load "$base/oauth2/token" "$dir/warm.txt" "$dir/warm-cursor" "$c" "$WARMUP" "$dir/warm.json" \
        -H "content-type: $FORM_TYPE" -H "authorization: Basic $DINGDEMO_BASIC" || die "$name: the load generator failed"
    echo 1000 >"$dir/cursor"
    echo "bench: $name c=$c (${DURATION}s)" >&2
    reset_peak_rss
    single_use_load "$base/oauth2/token" "$dir/codes.txt" "$dir/cursor" "$c" "$DURATION" "$OUT/$name-c$c.json" \
        -H "content-type: $FORM_TYPE" -H "authorization: Basic $DINGDEMO_BASIC" || die "$name: the load generator failed"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$store" "$c" "$OUT/$name-c$c.json" "$(peak_rss_kb)" "$startup_kb" >>"$ROWS"
    printf -- '- %s / %s: %s codes minted before the run (count, seconds); %s used\n' "${label%% *}" "$store" "$result" "$(cat "$dir/cursor")" >>"$NOTES"
}

# measure_flood NAME STORE BASE : (g) the user-token gateway at the highest concurrency
# alone, then (g') the same while a second load generator sends garbage tokens at the same
# concurrency; the note gives the slowdown and the flood's own rate.
measure_flood() {
    local name=$1 store=$2 base=$3 c=${CONCURRENCIES[-1]} token startup_kb flood_pid url=$base/v1.0/doc/documents
    token=$(python3 "$BENCH_PY" access "$base") || die "$name: could not get a user access token"
    [[ $(http_status GET "$url" -H "x-acs-dingtalk-access-token: $token") == 200 ]] || die "$name: $url did not answer 200"
    [[ $(http_status GET "$url" -H "x-acs-dingtalk-access-token: u-garbage") == 400 ]] || die "$name: garbage was not refused"
    startup_kb=$(peak_rss_kb)
    oha --no-tui --output-format quiet -z "${WARMUP}s" -c "$c" -H "x-acs-dingtalk-access-token: $token" "$url"
    echo "bench: $name alone c=$c (${DURATION}s)" >&2
    reset_peak_rss
    oha --no-tui --output-format json -o "$OUT/$name-alone.json" -z "${DURATION}s" -c "$c" \
        -H "x-acs-dingtalk-access-token: $token" "$url"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "(g) user-token gateway, no flood" "$store" "$c" "$OUT/$name-alone.json" "$(peak_rss_kb)" "$startup_kb" >>"$ROWS"
    echo "bench: $name during a garbage flood c=$c+$c (${DURATION}s)" >&2
    reset_peak_rss
    # A well-formed token the store does not have (a made-up one).
    oha --no-tui --output-format json -o "$OUT/$name-flood.json" -z "$((DURATION + 1))s" -c "$c" \
        -H "x-acs-dingtalk-access-token: u-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" "$url" &
    flood_pid=$!
    sleep 0.5
    oha --no-tui --output-format json -o "$OUT/$name-during.json" -z "${DURATION}s" -c "$c" \
        -H "x-acs-dingtalk-access-token: $token" "$url"
    wait "$flood_pid"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "(g') user-token gateway during a garbage flood" "$store" "$c" "$OUT/$name-during.json" "$(peak_rss_kb)" "$startup_kb" >>"$ROWS"
    printf -- '- (g) / %s: valid calls %.0f/s alone, %.0f/s during a flood of garbage tokens (%.0f/s refused, 400 expected): %.1f%% slower\n' \
        "$store" "$(json_rps "$OUT/$name-alone.json")" "$(json_rps "$OUT/$name-during.json")" "$(json_rps "$OUT/$name-flood.json")" \
        "$(awk -v a="$(json_rps "$OUT/$name-alone.json")" -v b="$(json_rps "$OUT/$name-during.json")" 'BEGIN { print 100 * (a - b) / a }')" >>"$NOTES"
}

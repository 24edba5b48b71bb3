#!/usr/bin/env bash
# OpenID Connect hot paths with wrk at c=64 (BENCH_SECONDS each, default 10), on SQLite:
#   jwt-eddsa / jwt-es256: JWT access tokens (RFC 9068) by client credentials, reuse off;
#   code-es256: authorization-code exchanges answered with an ES256 ID token (codes minted
#               beforehand through the authorization endpoint, one per request).
# Prints requests/s and latency per scenario, with the machine's load (`uptime`) beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-10}
CODES=${BENCH_CODES:-60000}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
cargo build --release -p tessera >/dev/null
BIN=target/release/tessera
DIR=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
cat demo/fixture.toml - > "$DIR/fixture.toml" <<'TOML'

[[users]]
union_id = "bench-union"
name = "Bench User"
password = "bench-password"
memberships = [{ corp_id = "dingdemo", user_id = "bench" }]

[[apps]]
client_id = "benchjwted"
client_secret = "bench-secret"
name = "Bench JWT EdDSA"
kind = "internal"
owner_corp_id = "dingdemo"
access_token_format = "jwt"
id_token_signed_response_alg = "EdDSA"

[[apps]]
client_id = "benchjwtes"
client_secret = "bench-secret"
name = "Bench JWT ES256"
kind = "internal"
owner_corp_id = "dingdemo"
redirect_uris = ["http://127.0.0.1:8900/cb"]
access_token_format = "jwt"
id_token_signed_response_alg = "ES256"

[[installations]]
client_id = "benchjwted"
corp_id = "dingdemo"

[[installations]]
client_id = "benchjwtes"
corp_id = "dingdemo"
TOML
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DIR" --fixture "$DIR/fixture.toml" \
  --token-ttl 7200 --reuse-margin 7200 >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done

cc_script() { # client id -> wrk script posting client credentials
  cat > "$DIR/cc-$1.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf '%s:bench-secret' "$1" | base64 -w0)"
LUA
}
run() { # name script
  local out; out=$(wrk -t2 -c64 -d"${SECS}s" --latency -s "$2" "$BASE/oauth2/token")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p50 p99; p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}" "$(uptime | sed 's/.*load average: //')"
}
echo "| scenario (c=64, ${SECS}s) | req/s | p50 | p99 | non-2xx | load (1, 5, 15 min) |"
echo "|---|---|---|---|---|---|"
for app in benchjwted benchjwtes; do
  cc_script "$app"
  r=$(curl -s -u "$app:bench-secret" -d grant_type=client_credentials "$BASE/oauth2/token")
  grep -q '"access_token":"ey' <<<"$r" || { echo "no JWT from $app: $r"; exit 1; }
  wrk -t2 -c64 -d2s -s "$DIR/cc-$app.lua" "$BASE/oauth2/token" >/dev/null # warm-up
  run "jwt-$app" "$DIR/cc-$app.lua"
done

# Code exchange: mint codes (consent given once, then each authorization request answers a code).
python3 - "$BASE" "$CODES" "$DIR/codes.txt" <<'PY'
import http.cookiejar, sys, urllib.parse, urllib.request, concurrent.futures
base, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
jar = http.cookiejar.CookieJar()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
def get(url):
    try: return opener.open(url)
    except urllib.error.HTTPError as e: return e
import re
def hidden(html): return dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', html))
q = urllib.parse.urlencode({"response_type": "code", "client_id": "benchjwtes", "redirect_uri": "http://127.0.0.1:8900/cb", "scope": "openid", "nonce": "bench"})
auth = f"{base}/oauth2/authorize?{q}"
r = get(auth); nxt = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)["next"][0]
login = get(f"{base}/login?next={urllib.parse.quote(nxt)}").read().decode()
form = hidden(login); form.update({"account": "bench-union", "password": "bench-password"})
try: opener.open(f"{base}/login", urllib.parse.urlencode(form).encode())
except urllib.error.HTTPError: pass
page = get(auth).read().decode()
form = hidden(page); form["decision"] = "approve"
try: opener.open(f"{base}/oauth2/authorize", urllib.parse.urlencode(form).encode())
except urllib.error.HTTPError: pass
def one(_):
    loc = get(auth).headers["Location"]
    return urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)["code"][0]
with concurrent.futures.ThreadPoolExecutor(16) as ex: codes = list(ex.map(one, range(n)))
open(path, "w").write("\n".join(codes) + "\n")
PY
cat > "$DIR/code.lua" <<LUA
local codes = {}
for line in io.lines("$DIR/codes.txt") do codes[#codes + 1] = line end
-- Thread n of N presents codes n, n+N, n+2N, ...: every code once. start and step are
-- globals set in each thread's own Lua state by setup(); a chunk-level local step would
-- shadow them (each thread then walked every code, and half the requests were replays).
local counter = 0
function setup(thread) counter = counter + 1; thread:set("start", counter); thread:set("step", 2) end
function init(args) i = start end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf 'benchjwtes:bench-secret' | base64 -w0)"
function request()
  local code = codes[i] or "exhausted"
  i = i + step
  return wrk.format(nil, nil, nil, "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8900%2Fcb&code=" .. code)
end
LUA
run "code-es256-id-token" "$DIR/code.lua"
echo "(codes minted: $CODES; a non-2xx count above 0 means the run outlasted them)"

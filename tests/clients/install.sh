#!/usr/bin/env bash
# Installs the pinned client libraries and tools of this folder (package-lock.json) with `npm ci`.
# Idempotent and fast when nothing changed: skipped while node_modules still matches the lock (a
# stamp holds the lock's SHA-256), as web/graphiql/install.sh does. tests/test_clients.py runs it.
#
# Usage: tests/clients/install.sh   (from any directory)
set -euo pipefail

HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
LOCK="$HERE/package-lock.json"
STAMP="$HERE/node_modules/.gql-portal-lock.sha256"

die() {
    echo "tests/clients/install.sh: error: $*" >&2
    exit 1
}

[[ -f "$LOCK" ]] || die "missing $LOCK"
want="$(sha256sum -- "$LOCK" | cut -d' ' -f1)"
have=""
if [[ -f "$STAMP" ]]; then
    have="$(cat -- "$STAMP")"
fi
if [[ "$want" == "$have" ]]; then
    echo "clients: node_modules up to date"
    exit 0
fi

command -v npm >/dev/null 2>&1 \
    || die "npm not found on PATH. Install Node.js 20+ with npm (e.g. 'apt-get install -y nodejs npm')."
echo "clients: npm ci (tests/clients) ..."
# --ignore-scripts: none of these packages needs an install script (relay-compiler ships its
# binaries in the package), so none may run. --loglevel=error hides the engine warnings of
# graphql-codegen's fetch helpers, which ask for Node 22 but run on Node 20 (the tests prove it).
npm ci --prefix "$HERE" --no-audit --no-fund --ignore-scripts \
    --no-update-notifier --loglevel=error >/dev/null \
    || die "'npm ci' failed in $HERE"
printf '%s\n' "$want" >"$STAMP"
echo "clients: installed"

#!/usr/bin/env bash
# Installs the pinned GraphiQL browser bundles from the npm registry and copies
# the few files the page needs into gql_portal/graphiql/static/ (build output,
# not committed). GraphiQL is then served entirely from our own origin: no CDN.
#
# Idempotent and fast when nothing changed: `npm ci` is skipped while
# node_modules still matches package-lock.json (see the stamp below), and files
# are only copied when they differ.
#
# Usage: web/graphiql/install.sh   (from any directory)
set -euo pipefail

HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd -- "$HERE/../.." && pwd)"
STATIC_DIR="$ROOT/gql_portal/graphiql/static"
LOCK="$HERE/package-lock.json"
STAMP="$HERE/node_modules/.gql-portal-lock.sha256"

# source (relative to node_modules) -> file name in $STATIC_DIR.
# Keep in sync with _STATIC_FILES in gql_portal/graphiql/__init__.py.
FILES=(
    "react/umd/react.production.min.js=react.production.min.js"
    "react-dom/umd/react-dom.production.min.js=react-dom.production.min.js"
    "graphiql/graphiql.min.js=graphiql.min.js"
    "graphiql/graphiql.min.css=graphiql.min.css"
    "@graphiql/plugin-explorer/dist/index.umd.js=plugin-explorer.umd.js"
    "@graphiql/plugin-explorer/dist/style.css=plugin-explorer.css"
)

die() {
    echo "graphiql/install.sh: error: $*" >&2
    exit 1
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum -- "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 -- "$1" | cut -d' ' -f1
    else
        cksum -- "$1" | cut -d' ' -f1,2
    fi
}

[[ -f "$LOCK" ]] || die "missing $LOCK"

all_sources_present() {
    local entry
    for entry in "${FILES[@]}"; do
        [[ -f "$HERE/node_modules/${entry%%=*}" ]] || return 1
    done
}

want="$(sha256_of "$LOCK")"
have=""
if [[ -f "$STAMP" ]]; then
    have="$(cat -- "$STAMP")"
fi

if [[ "$want" != "$have" ]] || ! all_sources_present; then
    command -v npm >/dev/null 2>&1 \
        || die "npm not found on PATH. Install Node.js with npm (e.g. 'apt-get install -y nodejs npm') and re-run."
    echo "graphiql: npm ci (web/graphiql) ..."
    # --ignore-scripts: none of these packages needs an install script, so none may run.
    # --loglevel=error hides the known, harmless ERESOLVE peer warnings of
    # graphiql-explorer (nested in @graphiql/plugin-explorer).
    npm ci --prefix "$HERE" --no-audit --no-fund --ignore-scripts \
        --no-update-notifier --loglevel=error >/dev/null \
        || die "'npm ci' failed in $HERE"
    all_sources_present || die "npm ci finished but expected bundle files are missing in $HERE/node_modules"
    printf '%s\n' "$want" >"$STAMP"
fi

mkdir -p -- "$STATIC_DIR"
changed=0
declare -A keep=()
for entry in "${FILES[@]}"; do
    src="$HERE/node_modules/${entry%%=*}"
    dst="$STATIC_DIR/${entry#*=}"
    keep["${entry#*=}"]=1
    if ! cmp -s -- "$src" "$dst"; then
        cp -- "$src" "$dst.tmp.$$"
        mv -f -- "$dst.tmp.$$" "$dst"
        changed=$((changed + 1))
    fi
done

# The folder is pure build output: drop files no longer in the list.
for path in "$STATIC_DIR"/* "$STATIC_DIR"/.[!.]*; do
    [[ -e "$path" || -L "$path" ]] || continue
    name="${path##*/}"
    if [[ -z "${keep[$name]:-}" ]]; then
        rm -rf -- "$path"
        changed=$((changed + 1))
    fi
done

if ((changed)); then
    echo "graphiql: assets updated in ${STATIC_DIR#"$ROOT"/}"
else
    echo "graphiql: assets up to date"
fi

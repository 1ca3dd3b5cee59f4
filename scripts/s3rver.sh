#!/bin/sh
# Install s3rver (npm; an independent S3-compatible store the upstream tests run against)
# into build/s3rver/, once.  Called by scripts/deps.sh and by tests/e2e/t_upstream.sh.
# Prints the path of the s3rver entry point on success.
set -eu
cd "$(dirname "$0")/.."
DIR=build/s3rver
BIN=$DIR/node_modules/s3rver/bin/s3rver.js
VERSION=3.7.1
if [ ! -f "$BIN" ]; then
    command -v npm >/dev/null 2>&1 || { echo "s3rver: npm is not installed (scripts/deps.sh)" >&2; exit 1; }
    mkdir -p "$DIR"
    [ -f "$DIR/package.json" ] || printf '{ "name": "pluck-test-s3rver", "private": true }\n' >"$DIR/package.json"
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "s3rver@$VERSION" >&2
fi
[ -f "$BIN" ] || { echo "s3rver: installation failed" >&2; exit 1; }
echo "$(pwd)/$BIN"

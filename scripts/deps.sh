#!/bin/sh
# Install every Debian package pluck's build, tests and demo need (Debian 12).
# Run as root on a fresh machine; as another user it prints the exact command instead.
set -eu
PKGS="build-essential pkg-config clang zlib1g-dev libzstd-dev libarchive-dev libbz2-dev \
liblzma-dev libcsv-dev libcriterion-dev libisal-dev zstd bzip2 xz-utils gzip mandoc man-db"
if [ "$(id -u)" != 0 ]; then
    echo "run as root:  apt-get update && apt-get install -y --no-install-recommends $PKGS" >&2
    exit 1
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "deps: all packages present"

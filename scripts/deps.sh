#!/bin/sh
# Install every Debian package pluck's build, tests and demo need (Debian 12).
# Run as root on a fresh machine; as another user it prints the exact command instead.
set -eu
# build: compiler, codecs (zlib, zstd, bzip2, xz, ISA-L igzip), the server's HTTP/XML/crypto
# fuzz:  clang with libFuzzer and the sanitizer runtimes (libclang-rt-dev: clang only
#        recommends it, and recommends are not installed here)
# tests: criterion, libcsv (scanner oracle), sqlite3 (SQL oracle), python3 + boto3 + awscli
#        (server clients), the codec command-line tools (test data), mandoc (man page lint),
#        tabix (its bgzip writes the BGZF test files),
#        unicode-data (UnicodeData.txt: UPPER/LOWER's table is regenerated and compared)
# bench: isal (igzip), mawk; strace: the server test of fsync before a 200 (t_server_attack.sh)
# python: the extension (python3-dev, setuptools), the offline venv install (python3-venv),
#         pluck.dask (python3-distributed, python3-pandas)
# cli:  libarchive (zip and tar members); tests: tmux (a real terminal), zip and lz4 (test data)
# tests: lbzip2 and pbzip2 (multi-stream bzip2 for the bzip2 split tests)
# s3:   libcurl4-openssl-dev (s3:// sources, pluck serve --upstream); nodejs + npm for the
#       s3rver store of the tests (scripts/s3rver.sh), unless a node with npm is already there
PKGS="build-essential pkg-config clang libclang-rt-dev zlib1g-dev libzstd-dev libbz2-dev liblzma-dev \
libisal-dev libmicrohttpd-dev libexpat1-dev libssl-dev libcsv-dev libcriterion-dev \
sqlite3 python3 python3-boto3 awscli wrk curl zstd bzip2 xz-utils gzip isal mawk mandoc man-db \
libcurl4-openssl-dev tabix unicode-data strace libarchive-dev tmux zip lz4 python3-dev \
python3-setuptools python3-venv python3-distributed python3-pandas lbzip2 pbzip2"
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
if ! command -v npm >/dev/null 2>&1; then
    echo "deps: installing: nodejs npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "deps: all packages present"
sh "$(dirname "$0")/s3rver.sh" >/dev/null

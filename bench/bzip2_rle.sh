#!/bin/sh
# bench/bzip2_rle.sh — memory of the bzip2 split decoder on run-length data (issue 16): a
# 900 kB bzip2 block can decode to ~46 MB (runs of one byte), and the split decoder must not
# hold it whole.  CSV rows of 1000 'a's and a number (120,000 rows, 120 MB, 3 blocks of
# bzip2 -9, 300 kB compressed), COUNT and SUM with --threads 1 and 2 (one split a block:
# PLUCK_SPLIT_BYTES=16384), against bzip2 -dc > /dev/null.
#
#   sh bench/bzip2_rle.sh [PLUCK [PLUCK_OLD]]   PLUCK defaults to build/rel/pluck; PLUCK_OLD,
#                                               when given, is measured alike (before/after)
#
# RUNS (default 5) interleaved rounds.  Prints per command the median wall time, the median
# CPU time (user + system) and the largest peak RSS (VmHWM, from GNU time's %M) of the runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/rounds.sh"
PLUCK=${1:-$root/build/rel/pluck}
OLD=${2:-}
W=${TMPDIR:-/tmp}/pluck-bench-bzip2rle
RUNS=${RUNS:-5}
mkdir -p "$W"
[ -f "$W/rle.bz2" ] || python3 -c '
import sys
w = sys.stdout.write
w("fill,n\n")
for i in range(120000):
    w("a" * 1000 + ",%d\n" % i)' | bzip2 -9 >"$W/rle.bz2"
Q="SELECT COUNT(*), SUM(CAST(n AS INT)) FROM S3Object"
export PLUCK_SPLIT_BYTES=16384
set -- bzip2 "bzip2 -dc '$W/rle.bz2' >/dev/null" \
    pluck1 "'$PLUCK' --threads 1 -H '$Q' '$W/rle.bz2' >'$W/out1'" \
    pluck2 "'$PLUCK' --threads 2 -H '$Q' '$W/rle.bz2' >'$W/out2'"
[ -z "$OLD" ] || set -- "$@" \
    old1 "'$OLD' --threads 1 -H '$Q' '$W/rle.bz2' >'$W/old1'" \
    old2 "'$OLD' --threads 2 -H '$Q' '$W/rle.bz2' >'$W/old2'"
rounds "$W" "$RUNS" "$@"
for f in "$W"/out* "$W"/old*; do
    [ -f "$f" ] || continue
    [ "$(cat "$f")" = "120000,7199940000" ] || { echo "wrong answer in $f: $(cat "$f")" >&2; exit 1; }
done
printf '%-8s %10s %10s %14s\n' command wall_s cpu_s peak_rss_MiB
i=1
while [ $i -lt $# ]; do
    eval "key=\${$i}"
    rss=$(sort -n -k3 "$W/times.$key" | tail -n 1 | awk '{ printf "%.1f", $3 / 1024 }')
    printf '%-8s %10s %10s %14s\n' "$key" "$(med "$W" "$key" 1)" "$(med "$W" "$key" 2)" "$rss"
    i=$((i + 2))
done
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"

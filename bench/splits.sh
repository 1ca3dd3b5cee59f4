#!/bin/sh
# bench/splits.sh — splittable compressed input (issue 16): Q6 over TPC-H lineitem as BGZF
# (bgzip) and as multi-frame zstd (pzstd), pluck with 1 and 2 threads against the one-thread
# decompressor alone on the same file (igzip -dc / zstd -dc > /dev/null); and over its first
# 64 MiB (bzip2 and xz decode ten times slower) as bzip2 -9 (900 kB blocks) and as xz -3 with
# 4 MiB blocks (xz -T2 --block-size), against bzip2 -dc / xz -dc.
#
#   sh bench/splits.sh [PLUCK] [DIR]     PLUCK defaults to build/rel/pluck; DIR holds
#                                        lineitem.tbl (bench/gen.c lineitem 1) or gets it
#
# RUNS (default 5) rounds; in each round every command runs once, in turn (interleaved, so a
# burst of load from other processes hits all of them alike).  Prints, per command, the
# median wall time, the median CPU time (user + system) and the ratio of wall times to the
# decompressor's, plus the model for N cores from the 2-thread run's CPU time per split.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/rounds.sh"
PLUCK=${1:-$root/build/rel/pluck}
W=${2:-${TMPDIR:-/tmp}/pluck-bench-splits}
RUNS=${RUNS:-5}
mkdir -p "$W"
[ -f "$W/lineitem.tbl" ] || { cc -O2 -o "$W/gen" "$here/gen.c"; "$W/gen" lineitem 1 >"$W/lineitem.tbl"; }
[ -f "$W/lineitem.bgz" ] || bgzip -@2 -c "$W/lineitem.tbl" >"$W/lineitem.bgz"
[ -f "$W/lineitem.pzst" ] || pzstd -q -3 -p 2 -c "$W/lineitem.tbl" >"$W/lineitem.pzst"
[ -f "$W/head.bz2" ] || head -c 67108864 "$W/lineitem.tbl" | sed '$d' | lbzip2 -9 -n 2 >"$W/head.bz2"
[ -f "$W/head.xz" ] || bzip2 -dc "$W/head.bz2" | xz -3 -T2 --block-size=4MiB >"$W/head.xz"
Q6="SELECT SUM(CAST(s._6 AS DECIMAL) * CAST(s._7 AS DECIMAL)) FROM S3Object s WHERE s._11 >= '1994-01-01' AND s._11 < '1995-01-01' AND CAST(s._7 AS DECIMAL) BETWEEN 0.05 AND 0.07 AND CAST(s._5 AS INT) < 24"

# the commands: KEY and command line
set -- \
    bgz_igzip "igzip -dc '$W/lineitem.bgz' >/dev/null" \
    bgz_pluck1 "'$PLUCK' --threads 1 -d '|' \"$Q6\" '$W/lineitem.bgz' >'$W/out.bgz1'" \
    bgz_pluck2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/lineitem.bgz' >'$W/out.bgz2'" \
    zst_zstd "zstd -dc '$W/lineitem.pzst' >/dev/null" \
    zst_pluck1 "'$PLUCK' --threads 1 -d '|' \"$Q6\" '$W/lineitem.pzst' >'$W/out.zst1'" \
    zst_pluck2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/lineitem.pzst' >'$W/out.zst2'" \
    bz2_bzip2 "bzip2 -dc '$W/head.bz2' >/dev/null" \
    bz2_pluck1 "'$PLUCK' --threads 1 -d '|' \"$Q6\" '$W/head.bz2' >'$W/out.bz21'" \
    bz2_pluck2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/head.bz2' >'$W/out.bz22'" \
    xz_xz "xz -dc '$W/head.xz' >/dev/null" \
    xz_pluck1 "'$PLUCK' --threads 1 -d '|' \"$Q6\" '$W/head.xz' >'$W/out.xz1'" \
    xz_pluck2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/head.xz' >'$W/out.xz2'"
rounds "$W" "$RUNS" "$@"
for f in bgz1 bgz2 zst1 zst2; do
    [ "$(cat "$W/out.$f")" = "$(cat "$W/out.bgz1")" ] || { echo "ANSWER MISMATCH $f" >&2; exit 1; }
done
for f in bz21 bz22 xz1 xz2; do
    [ "$(cat "$W/out.$f")" = "$(cat "$W/out.bz21")" ] || { echo "ANSWER MISMATCH $f" >&2; exit 1; }
done
echo "| command | wall median (s) | CPU median (s) | wall / decompressor |"
echo "|---|---|---|---|"
for key in bgz_igzip bgz_pluck1 bgz_pluck2 zst_zstd zst_pluck1 zst_pluck2 \
    bz2_bzip2 bz2_pluck1 bz2_pluck2 xz_xz xz_pluck1 xz_pluck2; do
    lim=bgz_igzip
    case $key in zst_*) lim=zst_zstd ;; bz2_*) lim=bz2_bzip2 ;; xz_*) lim=xz_xz ;; esac
    awk -v k="$key" -v w="$(med "$W" $key 1)" -v c="$(med "$W" $key 2)" -v l="$(med "$W" $lim 1)" \
        'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", k, w, c, w / l }'
done
# the model: the first split runs alone (header, first bytes), the rest spread over N cores
for key in bgz_pluck2 zst_pluck2 bz2_pluck2 xz_pluck2; do
    f=$W/lineitem.bgz
    [ $key = zst_pluck2 ] && f=$W/lineitem.pzst
    [ $key = bz2_pluck2 ] && f=$W/head.bz2
    [ $key = xz_pluck2 ] && f=$W/head.xz
    n=$(( ($(wc -c <"$f") + 4194303) / 4194304 ))
    awk -v k="$key" -v c="$(med "$W" $key 2)" -v n="$n" 'BEGIN {
        s = c / n
        printf "model %s: %d splits, %.4f s CPU each:", k, n, s
        split("1 2 8 16 64", N, " ")
        for (i = 1; i <= 5; i++) printf " %d cores %.3f s;", N[i], s + (c - s) / N[i]
        printf "\n" }'
done

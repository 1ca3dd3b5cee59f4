#!/bin/sh
# bench/gzindex.sh — indexed single-member gzip (issue 16, pluck-index(5)): Q6 over TPC-H
# lineitem as one gzip member (gzip -6) with a checkpoint index (pluck index), pluck with 1
# and 2 threads against the one-thread decompressor alone on the same file
# (igzip -dc > /dev/null), plus the index's build time and size per GB, and the query on the
# same file without its index (noidx2) and with --write-index (write2: the query's own decode
# records the index, which must equal pluck index's).
#
#   sh bench/gzindex.sh [PLUCK] [DIR]    PLUCK defaults to build/rel/pluck; DIR holds
#                                        lineitem.tbl (bench/gen.c lineitem 1) or gets it
#
# RUNS (default 5) rounds; in each round every command runs once, in turn (interleaved, so a
# burst of load from other processes hits all of them alike).  Prints, per command, the
# median wall time, the median CPU time (user + system) and the ratio of wall times to the
# decompressor's.  Making the data (gen, gzip -6: about a minute) happens once per DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/rounds.sh"
PLUCK=${1:-$root/build/rel/pluck}
W=${2:-${TMPDIR:-/tmp}/pluck-bench-splits}
RUNS=${RUNS:-5}
mkdir -p "$W"
[ -f "$W/lineitem.tbl" ] || { cc -O2 -o "$W/gen" "$here/gen.c"; "$W/gen" lineitem 1 >"$W/lineitem.tbl"; }
[ -f "$W/lineitem.gz" ] || gzip -6 -c "$W/lineitem.tbl" >"$W/lineitem.gz"
Q6="SELECT SUM(CAST(s._6 AS DECIMAL) * CAST(s._7 AS DECIMAL)) FROM S3Object s WHERE s._11 >= '1994-01-01' AND s._11 < '1995-01-01' AND CAST(s._7 AS DECIMAL) BETWEEN 0.05 AND 0.07 AND CAST(s._5 AS INT) < 24"

# the index: build time (median of 3), size
rounds "$W" 3 index "rm -f '$W/lineitem.gz.pluckidx'; '$PLUCK' index '$W/lineitem.gz'"

# the same file without an index beside it (a symlink), and --write-index beside another
ln -sf lineitem.gz "$W/noidx.gz"
ln -sf lineitem.gz "$W/widx.gz"
set -- \
    igzip "igzip -dc '$W/lineitem.gz' >/dev/null" \
    pluck1 "'$PLUCK' --threads 1 -d '|' \"$Q6\" '$W/lineitem.gz' >'$W/out.gz1'" \
    pluck2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/lineitem.gz' >'$W/out.gz2'" \
    noidx2 "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$W/noidx.gz' >'$W/out.gzn'" \
    write2 "rm -f '$W/widx.gz.pluckidx'; '$PLUCK' --threads 2 --write-index -d '|' \"$Q6\" '$W/widx.gz' >'$W/out.gzw'"
rounds "$W" "$RUNS" "$@"
for o in gz2 gzn gzw; do
    [ "$(cat "$W/out.gz1")" = "$(cat "$W/out.$o")" ] || { echo "ANSWER MISMATCH ($o)" >&2; exit 1; }
done
cmp -s "$W/lineitem.gz.pluckidx" "$W/widx.gz.pluckidx" || { echo "--write-index: INDEX DIFFERS" >&2; exit 1; }
gz=$(wc -c <"$W/lineitem.gz")
plain=$(wc -c <"$W/lineitem.tbl")
ix=$(wc -c <"$W/lineitem.gz.pluckidx")
awk -v w="$(med "$W" index 1)" -v c="$(med "$W" index 2)" -v gz="$gz" -v plain="$plain" -v ix="$ix" 'BEGIN {
    printf "index: %.1f MB gzip (%.1f MB plain): built in %.2f s wall, %.2f s CPU (%.2f s per GB plain, %.2f s per GB gzip); %d bytes (%.2f MB per GB gzip, %.3f %%)\n",
        gz / 1e6, plain / 1e6, w, c, w / (plain / 1e9), w / (gz / 1e9), ix, ix / 1e6 / (gz / 1e9), 100 * ix / gz }'
echo "| command | wall median (s) | CPU median (s) | wall / igzip -dc |"
echo "|---|---|---|---|"
for key in igzip pluck1 pluck2 noidx2 write2; do
    awk -v k="$key" -v w="$(med "$W" $key 1)" -v c="$(med "$W" $key 2)" -v l="$(med "$W" igzip 1)" \
        'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", k, w, c, w / l }'
done
# the model: the first split runs alone (header, first bytes), the rest spread over N cores
n=$(( ($(wc -c <"$W/lineitem.gz") + 4194303) / 4194304 ))
awk -v c="$(med "$W" pluck2 2)" -v n="$n" -v l="$(med "$W" igzip 2)" 'BEGIN {
    s = c / n
    printf "model pluck2: %d splits, %.4f s CPU each:", n, s
    split("1 2 8 16 64", N, " ")
    for (i = 1; i <= 5; i++) printf " %d cores %.3f s (%.2f x igzip CPU);", N[i], s + (c - s) / N[i], (s + (c - s) / N[i]) / l
    printf "\n" }'

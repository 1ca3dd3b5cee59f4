#!/bin/sh
# bench/quoted_like.sh — the literal prefilter over quoted CSV (issue 16, §2 last bullet):
# SELECT * ... WHERE s.status LIKE '%FAIL%' over a sensor log whose first and last fields are
# quoted in every record (bench/gen.c sensorq; SF 2.5 is 25,000,000 records, 1.03 GB, 1 % of
# them FAIL), against grep -c FAIL on the same file.  Rows: pluck with 2 threads (the
# default here) and 1 thread; the scalar kernel (PLUCK_FORCE_IMPL=scalar), which has no
# block-mask skipper and checks each quoted line on its own (what every kernel did before);
# and OLD, a pluck binary to compare with, when given.
#
#   sh bench/quoted_like.sh [PLUCK] [DIR]     PLUCK defaults to build/rel/pluck
#   SF=2.5 RUNS=5 OLD=/path/to/old/pluck
#
# RUNS rounds, every command once per round in turn; medians of wall and CPU (user + system)
# time.  Every pluck answer must be the same rows, as many as grep counts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/rounds.sh"
PLUCK=${1:-$root/build/rel/pluck}
W=${2:-${TMPDIR:-/tmp}/pluck-bench-quoted}
RUNS=${RUNS:-5}
SF=${SF:-2.5}
OLD=${OLD:-}
mkdir -p "$W"
[ -f "$W/sensorq-$SF.csv" ] || { cc -O2 -o "$W/gen" "$here/gen.c"; "$W/gen" sensorq "$SF" >"$W/sensorq-$SF.csv"; }
F=$W/sensorq-$SF.csv
Q="SELECT * FROM S3Object s WHERE s.status LIKE '%FAIL%'"
set -- \
    grep "grep -c FAIL '$F' >'$W/out.grep'" \
    pluck2 "'$PLUCK' -H --threads 2 \"$Q\" '$F' >'$W/out.pluck2'" \
    pluck1 "'$PLUCK' -H --threads 1 \"$Q\" '$F' >'$W/out.pluck1'" \
    scalar1 "PLUCK_FORCE_IMPL=scalar '$PLUCK' -H --threads 1 \"$Q\" '$F' >'$W/out.scalar1'"
[ -n "$OLD" ] && set -- "$@" old2 "'$OLD' -H --threads 2 \"$Q\" '$F' >'$W/out.old2'"
rounds "$W" "$RUNS" "$@"
for f in pluck1 scalar1 ${OLD:+old2}; do
    cmp -s "$W/out.$f" "$W/out.pluck2" || { echo "ANSWER MISMATCH $f" >&2; exit 1; }
done
[ "$(wc -l <"$W/out.pluck2")" -eq "$(cat "$W/out.grep")" ] || { echo "COUNT MISMATCH" >&2; exit 1; }
echo "$(wc -c <"$F") bytes, $(cat "$W/out.grep") matching records, medians of $RUNS"
echo "| command | wall median (s) | CPU median (s) | wall / grep |"
echo "|---|---|---|---|"
for key in grep pluck2 pluck1 scalar1 ${OLD:+old2}; do
    awk -v k="$key" -v w="$(med "$W" $key 1)" -v c="$(med "$W" $key 2)" -v l="$(med "$W" grep 1)" \
        'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", k, w, c, w / l }'
done

#!/bin/sh
# bench/run.sh — pluck against the limits and its peers, one table (what `make bench` runs).
#
#   sh bench/run.sh [PLUCK]          PLUCK defaults to build/rel/pluck
#
# Environment: SF (scale factor, default 1; SF=0.1 for a quick run), RUNS (runs per
# measurement, default 3, the median is reported), BENCH_DIR (scratch directory, default
# $TMPDIR/pluck-bench-sfSF; the generated data is kept there and reused while gen.c is
# unchanged), NO_DUCKDB=1 (skip DuckDB).
#
# Builds bench/gen.c, generates TPC-H lineitem and a sensor log (plain, gzip -6, zstd -3),
# runs the queries through pluck, the limits (cat, igzip -dc where installed, gzip -dc,
# zstd -dc) and the peers that install from Debian or npm (DuckDB through @duckdb/node-api,
# installed into bench/node_modules on first use; mawk; grep), checks that every answer
# agrees, and prints one Markdown table: median wall time, MB/s of uncompressed input,
# ratio to the limit (time / the limit's time), pluck's speedup over each peer (peer time /
# pluck time) and peak RSS.  Exits non-zero when an answer disagrees.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PLUCK=${1:-$root/build/rel/pluck}
case $PLUCK in /*) ;; *) PLUCK=$(pwd)/$PLUCK ;; esac
SF=${SF:-1}
RUNS=${RUNS:-3}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/pluck-bench-sf$SF}
mkdir -p "$W"
[ -x "$PLUCK" ] || { echo "bench: no pluck binary at $PLUCK (run make first)" >&2; exit 2; }

say() { echo "bench: $*" >&2; }

# ---- tools -----------------------------------------------------------------------------------
cc -O2 -o "$W/gen" "$here/gen.c"
RSSOF=$root/build/rel/tools/rssof
if ! (cd "$root" && make --no-print-directory -s BUILD=build/rel build/rel/tools/rssof) >/dev/null 2>&1; then
    RSSOF=""
    say "rssof could not be built: no peak RSS"
fi
have() { command -v "$1" >/dev/null 2>&1; }
DUCKDB=""
if [ "${NO_DUCKDB:-0}" != 1 ] && have node && have npm; then
    if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
        say "installing @duckdb/node-api into bench/node_modules"
        (cd "$here" && npm install --no-audit --no-fund --loglevel=error >&2) || true
    fi
    if [ -d "$here/node_modules/@duckdb/node-api" ]; then
        DUCKDB="node $here/duckdb.mjs"
    else
        say "DuckDB could not be installed: skipped"
    fi
fi

# ---- the scanner alone -------------------------------------------------------------------------
lib=$(dirname "$PLUCK")/libpluck.a
if [ -f "$lib" ] && cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$root/include" \
        -I"$root/src" "$here/scan_speed.c" "$lib" -lm -o "$W/scan_speed" 2>/dev/null; then
    say "scan kernels alone (bench/scan_speed.c, 200 MB in memory)"
    "$W/scan_speed" 200 > "$W/scan_speed.txt"
    cat "$W/scan_speed.txt" >&2
else
    say "scan_speed not built (no $lib)"
    : > "$W/scan_speed.txt"
fi

# ---- data ------------------------------------------------------------------------------------
stamp=$(cksum < "$here/gen.c" | cut -d' ' -f1)-$SF
if [ "$(cat "$W/stamp" 2>/dev/null)" != "$stamp" ]; then
    say "generating SF $SF into $W"
    rm -f "$W"/lineitem.* "$W"/sensor.* "$W/stamp"
    "$W/gen" lineitem "$SF" > "$W/lineitem.tbl"
    "$W/gen" sensor "$SF" > "$W/sensor.csv"
    for f in lineitem.tbl sensor.csv; do
        gzip -6 -c "$W/$f" > "$W/$f.gz"
        zstd -3 -q -c "$W/$f" > "$W/$f.zst"
    done
    echo "$stamp" > "$W/stamp"
fi
size() { wc -c < "$1" | tr -d ' '; }
LI_BYTES=$(size "$W/lineitem.tbl")
SE_BYTES=$(size "$W/sensor.csv")

# ---- measuring ---------------------------------------------------------------------------------
# measure KEY CMD: runs CMD (a shell command line, stdout to $W/out.KEY) RUNS times; keeps
# the median wall time in $W/t.KEY and the largest peak RSS (KiB) in $W/rss.KEY.
now_ns() { date +%s%N; }
measure() {
    key=$1
    cmd=$2
    : > "$W/times"
    rss=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        t0=$(now_ns)
        if [ -n "$RSSOF" ]; then
            "$RSSOF" sh -c "$cmd" > "$W/out.$key" 2> "$W/err.$key" || { say "$key failed: $(tail -n 3 "$W/err.$key")"; return 1; }
        else
            sh -c "$cmd" > "$W/out.$key" 2> "$W/err.$key" || { say "$key failed: $(tail -n 3 "$W/err.$key")"; return 1; }
        fi
        t1=$(now_ns)
        echo $(( (t1 - t0) / 1000 )) >> "$W/times"
        r=$(sed -n 's/^maxrss_kib //p' "$W/err.$key" | tail -n 1)
        [ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
    done
    sort -n "$W/times" | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] / 1e6 }' > "$W/t.$key"
    echo "$rss" > "$W/rss.$key"
    say "$key: $(cat "$W/t.$key") s"
}

# row QUERY INPUT TOOL KEY BYTES LIMITKEY PLUCKKEY: one table row from a measurement.
: > "$W/rows"
row() {
    t=$(cat "$W/t.$4")
    tl=$(cat "$W/t.$6" 2>/dev/null || echo "")
    tp=$(cat "$W/t.$7" 2>/dev/null || echo "")
    rss=$(cat "$W/rss.$4")
    awk -v q="$1" -v inp="$2" -v tool="$3" -v t="$t" -v b="$5" -v tl="$tl" -v tp="$tp" \
        -v rss="$rss" -v self="$4" -v lim="$6" -v pk="$7" 'BEGIN {
        mbs = b / t / 1e6
        xl = (tl == "" || self == lim) ? "" : sprintf("%.2f", t / tl)
        if (self == lim) xl = "1.00 (limit)"
        sp = (tp == "" || self == pk) ? "" : sprintf("%.2f", t / tp)
        r = rss > 0 ? sprintf("%.0f", rss / 1024) : "?"
        printf "| %s | %s | %s | %.3f | %.0f | %s | %s | %s |\n", q, inp, tool, t, mbs, xl, sp, r
    }' >> "$W/rows"
}

fail=0
check_eq() { # WHAT A B: exact
    if [ "$2" != "$3" ]; then say "ANSWER MISMATCH $1: '$2' vs '$3'"; fail=1; fi
}
check_num() { # WHAT A B: relative difference below 1e-9 (floating-point peers)
    if ! awk -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
                                          exit !(d <= 1e-9 * m) }'; then
        say "ANSWER MISMATCH $1: '$2' vs '$3'"
        fail=1
    fi
}

gzlimit=gzip
have igzip && gzlimit=igzip
has_threads=0
"$PLUCK" --help 2>&1 | grep -q -- '--threads' && has_threads=1
ONE_THREAD=""
[ "$has_threads" = 1 ] && ONE_THREAD="--threads 1"

Q6="SELECT SUM(CAST(s._6 AS DECIMAL) * CAST(s._7 AS DECIMAL)) FROM S3Object s WHERE s._11 >= '1994-01-01' AND s._11 < '1995-01-01' AND CAST(s._7 AS DECIMAL) BETWEEN 0.05 AND 0.07 AND CAST(s._5 AS INT) < 24"
MAWK_Q6='$11 >= "1994-01-01" && $11 < "1995-01-01" && $7 >= 0.05 && $7 <= 0.07 && $5 < 24 { s += $6 * $7 } END { printf "%.4f\n", s }'
LIKE="SELECT * FROM S3Object s WHERE s.status LIKE '%FAIL%'"
STAR="SELECT * FROM S3Object s WHERE s._15 = 'MAIL' AND s._14 = 'TAKE BACK RETURN' AND s._5 = '50'"
MAWK_STAR='$15 == "MAIL" && $14 == "TAKE BACK RETURN" && $5 == 50 { n++ } END { print n + 0 }'

# ---- Q6 over plain, gzip and zstd ------------------------------------------------------------
for fmt in tbl gz zst; do
    case $fmt in
    tbl) f=$W/lineitem.tbl; lim=cat; limcmd="cat '$f' > /dev/null"; zc="cat"; label=plain ;;
    gz) f=$W/lineitem.tbl.gz; lim=$gzlimit; limcmd="$gzlimit -dc '$f' > /dev/null"; zc="gzip -dc"; label=.gz ;;
    zst) f=$W/lineitem.tbl.zst; lim=zstd; limcmd="zstd -dc '$f' > /dev/null"; zc="zstd -dc"; label=.zst ;;
    esac
    k=q6_$fmt
    measure "${k}_limit" "$limcmd"
    if [ "$fmt" = gz ] && [ "$gzlimit" != gzip ]; then measure "${k}_gzip" "gzip -dc '$f' > /dev/null"; fi
    # one thread for the main row (the CLI's default is 2: decompression on its own thread)
    measure "${k}_pluck" "'$PLUCK' $ONE_THREAD -d '|' \"$Q6\" '$f'"
    [ "$has_threads" = 1 ] && measure "${k}_pluck2" "'$PLUCK' --threads 2 -d '|' \"$Q6\" '$f'"
    [ "$fmt" = tbl ] && measure "${k}_scalar" "PLUCK_FORCE_IMPL=scalar '$PLUCK' -d '|' \"$Q6\" '$f'"
    if [ "$fmt" = tbl ]; then
        measure "${k}_mawk" "mawk -F'|' '$MAWK_Q6' '$f'"
    else
        measure "${k}_mawk" "$zc '$f' | mawk -F'|' '$MAWK_Q6'"
    fi
    if [ -n "$DUCKDB" ]; then
        measure "${k}_duck2" "$DUCKDB q6 '$f' 2"
        measure "${k}_duck1" "$DUCKDB q6 '$f' 1"
    fi
    a=$(cat "$W/out.${k}_pluck")
    check_num "Q6 $label pluck vs mawk" "$a" "$(cat "$W/out.${k}_mawk")"
    [ -n "$DUCKDB" ] && check_num "Q6 $label pluck vs DuckDB" "$a" "$(cat "$W/out.${k}_duck2")"
    [ -n "$DUCKDB" ] && check_num "Q6 $label pluck vs DuckDB 1 thread" "$a" "$(cat "$W/out.${k}_duck1")"
    [ "$has_threads" = 1 ] && check_eq "Q6 $label pluck 1 vs 2 threads" "$a" "$(cat "$W/out.${k}_pluck2")"
    [ "$fmt" = tbl ] && check_eq "Q6 scalar vs SIMD kernel" "$a" "$(cat "$W/out.${k}_scalar")"
    [ "$fmt" != tbl ] && check_eq "Q6 $label vs plain" "$a" "$(cat "$W/out.q6_tbl_pluck")"
    row Q6 "$label" "$lim -dc (limit)" "${k}_limit" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    [ "$fmt" = tbl ] && sed -i '$ s/cat -dc (limit)/cat (limit)/' "$W/rows"
    [ -f "$W/t.${k}_gzip" ] && row Q6 "$label" "gzip -dc" "${k}_gzip" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    row Q6 "$label" "**pluck** (1 thread)" "${k}_pluck" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    [ "$has_threads" = 1 ] && row Q6 "$label" "pluck --threads 2" "${k}_pluck2" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    [ "$fmt" = tbl ] && row Q6 "$label" "pluck, scalar scan kernel" "${k}_scalar" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    if [ -n "$DUCKDB" ]; then
        row Q6 "$label" "DuckDB 2 threads" "${k}_duck2" "$LI_BYTES" "${k}_limit" "${k}_pluck"
        row Q6 "$label" "DuckDB 1 thread" "${k}_duck1" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    fi
    if [ "$fmt" = tbl ]; then
        row Q6 "$label" "mawk" "${k}_mawk" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    else
        row Q6 "$label" "$zc \\| mawk" "${k}_mawk" "$LI_BYTES" "${k}_limit" "${k}_pluck"
    fi
    rm -f "$W/times"
done

# ---- selective LIKE over the sensor log (plain) ----------------------------------------------
f=$W/sensor.csv
measure like_limit "cat '$f' > /dev/null"
measure like_pluck "'$PLUCK' -H \"$LIKE\" '$f'"
[ "$has_threads" = 1 ] && measure like_pluck1 "'$PLUCK' $ONE_THREAD -H \"$LIKE\" '$f'"
measure like_grep "grep -c FAIL '$f'"
measure like_mawk "mawk -F, 'NR > 1 && \$4 ~ /FAIL/ { n++ } END { print n + 0 }' '$f'"
[ -n "$DUCKDB" ] && measure like_duck2 "$DUCKDB like '$f' 2"
n=$(wc -l < "$W/out.like_pluck" | tr -d ' ')
check_eq "LIKE pluck rows vs grep -c" "$n" "$(cat "$W/out.like_grep")"
check_eq "LIKE pluck rows vs mawk" "$n" "$(cat "$W/out.like_mawk")"
if [ "$has_threads" = 1 ] && ! cmp -s "$W/out.like_pluck" "$W/out.like_pluck1"; then
    say "ANSWER MISMATCH LIKE: one and two threads' output differ"
    fail=1
fi
[ -n "$DUCKDB" ] && check_eq "LIKE pluck rows vs DuckDB" "$n" "$(cat "$W/out.like_duck2")"
row "LIKE '%FAIL%'" plain "cat (limit)" like_limit "$SE_BYTES" like_limit like_pluck
row "LIKE '%FAIL%'" plain "**pluck** (2 threads, the default)" like_pluck "$SE_BYTES" like_limit like_pluck
[ "$has_threads" = 1 ] && row "LIKE '%FAIL%'" plain "pluck --threads 1" like_pluck1 "$SE_BYTES" like_limit like_pluck
row "LIKE '%FAIL%'" plain "grep -c FAIL" like_grep "$SE_BYTES" like_limit like_pluck
row "LIKE '%FAIL%'" plain "mawk" like_mawk "$SE_BYTES" like_limit like_pluck
[ -n "$DUCKDB" ] && row "LIKE '%FAIL%'" plain "DuckDB 2 threads (COUNT)" like_duck2 "$SE_BYTES" like_limit like_pluck

# ---- SELECT * with a rare predicate (plain) ---------------------------------------------------
f=$W/lineitem.tbl
measure star_limit "cat '$f' > /dev/null"
measure star_pluck "'$PLUCK' -d '|' \"$STAR\" '$f'"
measure star_scalar "PLUCK_FORCE_IMPL=scalar '$PLUCK' -d '|' \"$STAR\" '$f'"
measure star_mawk "mawk -F'|' '$MAWK_STAR' '$f'"
[ -n "$DUCKDB" ] && measure star_duck2 "$DUCKDB star '$f' 2"
if cmp -s "$W/out.star_pluck" "$W/out.star_scalar"; then :; else
    say "ANSWER MISMATCH SELECT *: SIMD and scalar kernels' output differ"
    fail=1
fi
n=$(wc -l < "$W/out.star_pluck" | tr -d ' ')
check_eq "SELECT * rows vs mawk" "$n" "$(cat "$W/out.star_mawk")"
[ -n "$DUCKDB" ] && check_eq "SELECT * rows vs DuckDB" "$n" "$(cat "$W/out.star_duck2")"
row "SELECT * rare" plain "cat (limit)" star_limit "$LI_BYTES" star_limit star_pluck
row "SELECT * rare" plain "**pluck** (2 threads)" star_pluck "$LI_BYTES" star_limit star_pluck
row "SELECT * rare" plain "pluck, scalar scan kernel" star_scalar "$LI_BYTES" star_limit star_pluck
row "SELECT * rare" plain "mawk" star_mawk "$LI_BYTES" star_limit star_pluck
[ -n "$DUCKDB" ] && row "SELECT * rare" plain "DuckDB 2 threads (COUNT)" star_duck2 "$LI_BYTES" star_limit star_pluck

# ---- the table -------------------------------------------------------------------------------
kernel=$("$PLUCK" --stats -d '|' "SELECT COUNT(*) FROM S3Object" "$W/lineitem.tbl.gz" 2>&1 >/dev/null | tr '\n' ' ')
model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
{
    echo "SF $SF: lineitem $(awk -v b="$LI_BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB" \
         "($(wc -l < "$W/lineitem.tbl" | tr -d ' ') rows; .gz $(size "$W/lineitem.tbl.gz" | awk '{ printf "%.0f", $1 / 1e6 }') MB," \
         ".zst $(size "$W/lineitem.tbl.zst" | awk '{ printf "%.0f", $1 / 1e6 }') MB)," \
         "sensor log $(awk -v b="$SE_BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB." \
         "Median of $RUNS runs; machine: ${model:-unknown}, $(nproc) cores."
    echo "pluck --stats: $kernel"
    echo
    echo "| query | input | tool | median s | MB/s | × limit | × pluck | peak RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|"
    cat "$W/rows"
    echo
    echo "MB/s: uncompressed input bytes / wall time.  × limit: wall time / the limit's (cat,"
    echo "$gzlimit -dc, zstd -dc into /dev/null).  × pluck: wall time / pluck's on the same query"
    echo "and input (above 1: pluck is faster)."
    if [ -s "$W/scan_speed.txt" ]; then
        echo
        echo "The scanner alone (bench/scan_speed.c: pl_scan over lineitem-like text in memory, 1 MiB"
        echo "windows; max_fields=N cuts the first N fields and skips to the record's end):"
        echo
        echo '```'
        cat "$W/scan_speed.txt"
        echo '```'
    fi
} | tee "$W/RESULTS.md"
[ "$fail" = 0 ] || { say "some answers disagree (see above)"; exit 1; }
say "all answers agree; table in $W/RESULTS.md"

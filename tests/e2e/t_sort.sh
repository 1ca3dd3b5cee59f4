# t_sort.sh — ORDER BY of any size (src/exec/sort.c): a generated 24 MiB stream sorted with
# --max-memory 4M must spill several sorted runs and merge them into exactly the order of
# `LC_ALL=C sort -s` (on the text key) and of `sort -s -g` (numeric key), within a peak RSS
# far below the input; a temp dir that cannot be written proves the runs go to disk (the
# same query fails there with InternalError, and succeeds in memory with a big budget).
# --explain names the strategy.  RSS is skipped under SANITIZE=1 (ASan's shadow memory).
G="$TOOLS/gencsv"
"$G" 24M >"$E2E_TMP/sort.csv"
tail -n +2 "$E2E_TMP/sort.csv" | cut -d, -f1,2 >"$E2E_TMP/sort.cols"
# text key: sensor ids repeat, so stability decides the order of equal keys
LC_ALL=C sort -s -t, -k1,1 "$E2E_TMP/sort.cols" >"$E2E_TMP/sort.want"
"$TOOLS/rssof" "$PLUCK" -X -H --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING)" "$E2E_TMP/sort.csv" \
    >"$E2E_TMP/sort.got" 2>"$E2E_TMP/sort.err"
rc=$?
cond "sort: spilled text sort exits 0" [ "$rc" = 0 ]
file_eq "sort: spilled sort equals LC_ALL=C sort -s" "$E2E_TMP/sort.got" "$E2E_TMP/sort.want"
kib=$(sed -n 's/^maxrss_kib //p' "$E2E_TMP/sort.err")
# the same scan without ORDER BY: the executors' own buffers (blocks in flight, scanner);
# ORDER BY adds its budget and the encoded rows of the blocks in flight (two per thread,
# about 2 MiB each here) that wait to be committed to the sorter in input order
"$TOOLS/rssof" "$PLUCK" -X -H "SELECT sensor_id, ts FROM S3Object" "$E2E_TMP/sort.csv" \
    >/dev/null 2>"$E2E_TMP/sort.err0"
kib0=$(sed -n 's/^maxrss_kib //p' "$E2E_TMP/sort.err0")
echo "  peak RSS ${kib:-?} KiB sorting 24 MiB with --max-memory 4M (${kib0:-?} KiB unsorted)"
if [ "${SANITIZE:-}" != 1 ]; then
    cond "sort: peak RSS ${kib:-?} KiB <= unsorted ${kib0:-?} KiB + 4 MiB + 8 MiB" \
        [ "${kib:-999999}" -le $((${kib0:-0} + 12288)) ]
fi
# one thread: the same bytes (the parallel executors hand rows to the sorter in input order)
"$PLUCK" -X -H --threads 1 --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING)" "$E2E_TMP/sort.csv" \
    >"$E2E_TMP/sort.got1"
file_eq "sort: one thread, same order" "$E2E_TMP/sort.got1" "$E2E_TMP/sort.want"
# a BGZF file: its splits decode on all threads and reach the sorter in input order
if command -v bgzip >/dev/null 2>&1; then
    bgzip -c "$E2E_TMP/sort.csv" >"$E2E_TMP/sort.csv.gz"
    PLUCK_SPLIT_BYTES=1000000 "$PLUCK" -X -H --threads 2 --max-memory 4M --temp-dir "$E2E_TMP" \
        "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING)" \
        "$E2E_TMP/sort.csv.gz" >"$E2E_TMP/sort.gotz"
    file_eq "sort: BGZF splits on two threads" "$E2E_TMP/sort.gotz" "$E2E_TMP/sort.want"
fi
# a top-n over the parallel executors (each block's own heap, merged in input order)
head -n 10 "$E2E_TMP/sort.want" >"$E2E_TMP/sort.want6"
"$PLUCK" -X -H "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING) LIMIT 10" \
    "$E2E_TMP/sort.csv" >"$E2E_TMP/sort.got6"
file_eq "sort: top-n LIMIT 10" "$E2E_TMP/sort.got6" "$E2E_TMP/sort.want6"
# an error in a late block: the same error, record and exit as one thread
BADQ="SELECT ts FROM S3Object ORDER BY CAST(CASE WHEN ts = '1700900000' THEN 'x' ELSE ts END AS INT)"
"$PLUCK" -X -H --threads 1 "$BADQ" "$E2E_TMP/sort.csv" >/dev/null 2>"$E2E_TMP/sort.bad1"
rc1=$?
"$PLUCK" -X -H --threads 2 "$BADQ" "$E2E_TMP/sort.csv" >/dev/null 2>"$E2E_TMP/sort.bad2"
rc2=$?
cond "sort: a late error exits 1 on both paths" [ "$rc1$rc2" = 11 ]
grep -q 'record 900002' "$E2E_TMP/sort.bad1" && bad_at=yes || bad_at=no
cond "sort: the late error names its record" [ "$bad_at" = yes ]
file_eq "sort: a late error is the same with two threads" "$E2E_TMP/sort.bad2" "$E2E_TMP/sort.bad1"
# SELECT * as JSON, a LIMIT past the heap (sorted batches cut to it): two threads = one
"$PLUCK" -X -H --json --threads 1 --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT * FROM S3Object ORDER BY status DESC, ts LIMIT 70000" "$E2E_TMP/sort.csv" \
    >"$E2E_TMP/sort.j1"
"$PLUCK" -X -H --json --threads 2 --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT * FROM S3Object ORDER BY status DESC, ts LIMIT 70000" "$E2E_TMP/sort.csv" \
    >"$E2E_TMP/sort.j2"
file_eq "sort: JSON SELECT * ... LIMIT 70000, two threads as one" "$E2E_TMP/sort.j2" "$E2E_TMP/sort.j1"
cond "sort: LIMIT 70000 gives 70000 records" [ "$(wc -l <"$E2E_TMP/sort.j1")" = 70000 ]
# a top-n whose kept rows outgrow --max-memory: the heap becomes the first run of the
# external sort (it used to fail)
head -n 60000 "$E2E_TMP/sort.want" >"$E2E_TMP/sort.want5"
"$PLUCK" -X -H --max-memory 1M --temp-dir "$E2E_TMP" \
    "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING) LIMIT 60000" \
    "$E2E_TMP/sort.csv" >"$E2E_TMP/sort.got5"
file_eq "sort: top-n heap over --max-memory goes on as an external sort" \
    "$E2E_TMP/sort.got5" "$E2E_TMP/sort.want5"
# numeric key, descending (ts is unique and increasing: the exact reverse of the input)
tail -n +2 "$E2E_TMP/sort.csv" | cut -d, -f2 | sort -s -t, -k1,1gr >"$E2E_TMP/sort.want2"
"$PLUCK" -X -H --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT ts FROM S3Object ORDER BY ts DESC" "$E2E_TMP/sort.csv" >"$E2E_TMP/sort.got2"
file_eq "sort: spilled numeric descending sort" "$E2E_TMP/sort.got2" "$E2E_TMP/sort.want2"
# a LIMIT above the heap's 65536 rows: batches cut to the limit
head -n 100000 "$E2E_TMP/sort.want" >"$E2E_TMP/sort.want3"
"$PLUCK" -X -H --max-memory 4M --temp-dir "$E2E_TMP" \
    "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING) LIMIT 100000" \
    "$E2E_TMP/sort.csv" >"$E2E_TMP/sort.got3"
file_eq "sort: LIMIT 100000 over spilled runs" "$E2E_TMP/sort.got3" "$E2E_TMP/sort.want3"
# the runs really go to --temp-dir: an unwritable one fails the small budget only
err "sort: runs need --temp-dir" 1 "InternalError" \
    "$PLUCK" -X -H --max-memory 4M --temp-dir "$E2E_TMP/no/such/dir" \
    "SELECT sensor_id FROM S3Object ORDER BY sensor_id" "$E2E_TMP/sort.csv"
"$PLUCK" -X -H --max-memory 1G --temp-dir "$E2E_TMP/no/such/dir" \
    "SELECT sensor_id, ts FROM S3Object ORDER BY CAST(sensor_id AS STRING)" "$E2E_TMP/sort.csv" \
    >"$E2E_TMP/sort.got4"
file_eq "sort: in memory with a big budget" "$E2E_TMP/sort.got4" "$E2E_TMP/sort.want"
ls -A "$E2E_TMP" | grep -q pluck-sort && leftover=yes || leftover=no
cond "sort: no run file left behind" [ "$leftover" = no ]
# --explain
W=$(printf '%s\n' \
    "columns read: _1 (the scanner cuts only the first 1 fields of each record)" \
    "filter: none" \
    "literal prefilter: none" \
    "ORDER BY: external merge sort (stable); 4 MiB in memory (--max-memory), then sorted runs spill to /x and are merged" \
    "  key 1: _1 DESC NULLS LAST; NULL, MISSING and empty CSV fields go last" \
    "  order of values: NULL/MISSING < BOOL < numbers < timestamps < strings (bytewise, as LC_ALL=C sort); CSV text that reads as a number (12, 1.5, 1E2) sorts as that number; CAST(x AS STRING) sorts it as text; equal keys keep input order" \
    "threads: 1")
ok "explain: full sort" 0 "$W
" "$PLUCK" -X --threads 1 --max-memory 4M --temp-dir /x --explain \
    "SELECT _1 FROM S3Object ORDER BY _1 DESC NULLS LAST"
W=$(printf '%s\n' \
    "columns read: _2, _1 (the scanner cuts only the first 2 fields of each record)" \
    "filter (WHERE, an AND chain evaluated a batch of records at a time):" \
    "  - _2 = 'FAIL'   [in the scan, on the raw field bytes]" \
    "literal prefilter: 'FAIL' (lines without these bytes are skipped before they are parsed)" \
    "DISTINCT (as GROUP BY of the SELECT list): hash table on _1; at most 1000000 groups (--max-groups) and 256 MiB (--max-memory), else TooManyGroups; groups come out in order of first appearance" \
    "ORDER BY: top-n heap (LIMIT rows kept); 256 MiB (--max-memory) for the kept rows, past that they become the first sorted run of the external merge sort (spilling to \$TMPDIR (else /tmp))" \
    "  key 1: _1 ASC; NULL and MISSING go first, an empty CSV field is text (after every number)" \
    "  order of values: NULL/MISSING < BOOL < numbers < timestamps < strings (bytewise, as LC_ALL=C sort); CSV text that reads as a number (12, 1.5, 1E2) sorts as that number; CAST(x AS STRING) sorts it as text; equal keys keep input order" \
    "LIMIT 5" \
    "threads: 1")
ok "explain: prefilter, distinct, top-n" 0 "$W
" "$PLUCK" -X --threads 1 --explain "SELECT DISTINCT _1 FROM S3Object WHERE _2 = 'FAIL' ORDER BY 1 LIMIT 5"
rm -f "$E2E_TMP"/sort.*

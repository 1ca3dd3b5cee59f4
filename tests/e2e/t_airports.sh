# t_airports.sh — queries over the airports sample, checked against golden outputs computed
# independently by tests/e2e/oracle.py (Python's csv and decimal modules, never pluck).
#
#   tests/e2e/data/airports_queries.tsv   NAME<TAB>KIND<TAB>OPTIONS<TAB>SQL, one query a line
#   tests/e2e/data/airports_NAME.out      the exact bytes pluck must print
#
# Every query runs over the plain file; a representative subset (a LIMIT query, full scans with
# quoting and aggregates, JSON) runs again over every compressed form, through standard input
# and with a forced --compression-type, and must print the same bytes.  --stats is checked
# against the file sizes.

AQ="$EDATA/airports_queries.tsv"
PLAIN="$DATA/airports.csv"
_tab=$(printf '\t')

# golden NAME KIND GOLDEN CMD... — exit 0, empty stderr, and stdout equal to GOLDEN byte for
# byte (KIND exact) or starting with GOLDEN's text (KIND prefix).
golden() {
    _gn=$1 _gk=$2 _gf=$3
    shift 3
    "$@" >"$E2E_TMP/g.out" 2>"$E2E_TMP/g.err"
    _grc=$?
    _gok=1
    if [ "$_gk" = prefix ]; then
        case "$(cat "$E2E_TMP/g.out")" in "$(cat "$_gf")"?*) ;; *) _gok=0 ;; esac
    else
        cmp -s "$E2E_TMP/g.out" "$_gf" || _gok=0
    fi
    if [ "$_grc" = 0 ] && [ "$_gok" = 1 ] && [ ! -s "$E2E_TMP/g.err" ]; then
        _count pass
    else
        _count fail
        echo "FAIL $_gn: exit $_grc (want 0)"
        if [ "$_gk" = prefix ]; then
            printf '  want prefix: %s\n  got: %s\n' "$(cat "$_gf")" "$(head -c 300 "$E2E_TMP/g.out")"
        else
            diff "$_gf" "$E2E_TMP/g.out" | head -n 8 | sed 's/^/  /'
        fi
        sed 's/^/  stderr: /' "$E2E_TMP/g.err" | head -n 5
    fi
}

# query NAME -> sets q_kind, q_opts, q_sql from the manifest (q_sql empty when not found)
query() {
    q_sql=
    while IFS="$_tab" read -r _qn _qk _qo _qs; do
        if [ "$_qn" = "$1" ]; then
            q_kind=$_qk q_opts=$_qo q_sql=$_qs
            return 0
        fi
    done <"$AQ"
    echo "FAIL t_airports: query $1 not in $AQ"
    _count fail
    return 1
}

cond "airports: manifest and derived sample exist" [ -s "$AQ" -a -s "$PLAIN" ]
cond "airports: manifest lists 71 queries" [ "$(wc -l <"$AQ")" -eq 71 ]

# ---- 1. every query over the plain file ------------------------------------------------------
# OPTIONS are split on spaces (no globbing): option values in the manifest never hold spaces.
set -f
while IFS="$_tab" read -r name kind opts sql; do
    golden "airports[$name]" "$kind" "$EDATA/airports_$name.out" \
        "$PLUCK" $opts "$sql" "$PLAIN" </dev/null
done <"$AQ"
set +f

# ---- 2. the same bytes from every compressed form and from standard input -------------------
FORMATS="airports.csv airports.csv.gz airports.csv.zst airports.csv.bz2 airports.csv.xz
         airports-multi.csv.gz airports-multi.csv.zst"
set -f
for name in launch star_quotes json_star; do
    query "$name" || continue
    for f in $FORMATS; do
        golden "airports[$name] $f" "$q_kind" "$EDATA/airports_$name.out" \
            "$PLUCK" $q_opts "$q_sql" "$DATA/$f"
    done
done

# standard input: redirected (a regular file), piped (no seeking, short reads), and '-'
query star_quotes
for f in $FORMATS; do
    golden "airports[star_quotes] < $f" "$q_kind" "$EDATA/airports_star_quotes.out" \
        sh -c '"$@" <"$0"' "$DATA/$f" "$PLUCK" $q_opts "$q_sql"
done
query agg_elevation
for f in $FORMATS; do
    golden "airports[agg_elevation] cat $f |" "$q_kind" "$EDATA/airports_agg_elevation.out" \
        sh -c 'cat "$0" | "$@"' "$DATA/$f" "$PLUCK" $q_opts "$q_sql"
done
query launch
for f in airports.csv.gz airports.csv.bz2; do
    golden "airports[launch] cat $f | pluck ... -" "$q_kind" "$EDATA/airports_launch.out" \
        sh -c 'cat "$0" | "$@" -' "$DATA/$f" "$PLUCK" $q_opts "$q_sql"
done

# a forced codec reads the same data as detection does
for pair in airports.csv:NONE airports.csv.gz:GZIP airports.csv.zst:zstd airports.csv.bz2:BZIP2 \
            airports.csv.xz:Xz airports-multi.csv.gz:gzip airports-multi.csv.zst:ZSTD; do
    f=${pair%%:*} c=${pair#*:}
    golden "airports[launch] --compression-type $c $f" "$q_kind" "$EDATA/airports_launch.out" \
        "$PLUCK" --compression-type "$c" $q_opts "$q_sql" "$DATA/$f"
done
set +f

# ---- 3. --stats: S3's byte counters ----------------------------------------------------------
# stat_of NAME: the value of "NAME: value" in $E2E_TMP/st.err
stat_of() { sed -n "s/^$1: //p" "$E2E_TMP/st.err"; }
plain_size=$(wc -c <"$PLAIN")
query agg_elevation
set -f
for f in $FORMATS; do
    size=$(wc -c <"$DATA/$f")
    "$PLUCK" --stats $q_opts "$q_sql" "$DATA/$f" >"$E2E_TMP/st.out" 2>"$E2E_TMP/st.err"
    rc=$?
    cond "stats $f: exit 0" [ "$rc" = 0 ]
    file_eq "stats $f: stdout unchanged by --stats" "$EDATA/airports_agg_elevation.out" "$E2E_TMP/st.out"
    cond "stats $f: BytesScanned $(stat_of BytesScanned) = file size $size" [ "$(stat_of BytesScanned)" = "$size" ]
    cond "stats $f: BytesProcessed $(stat_of BytesProcessed) = plain size $plain_size" \
        [ "$(stat_of BytesProcessed)" = "$plain_size" ]
    cond "stats $f: BytesReturned $(stat_of BytesReturned) = output size" \
        [ "$(stat_of BytesReturned)" = "$(wc -c <"$E2E_TMP/st.out")" ]
    cond "stats $f: RecordsScanned $(stat_of RecordsScanned) = 46479 (header not counted)" \
        [ "$(stat_of RecordsScanned)" = 46479 ]
    cond "stats $f: RecordsReturned 1" [ "$(stat_of RecordsReturned)" = 1 ]
done
set +f
# through a pipe the scanned bytes are the bytes read from the pipe
cat "$DATA/airports.csv.zst" | "$PLUCK" --stats "SELECT COUNT(*) FROM S3Object" \
    >"$E2E_TMP/st.out" 2>"$E2E_TMP/st.err"
cond "stats stdin zst: BytesScanned = compressed size" \
    [ "$(stat_of BytesScanned)" = "$(wc -c <"$DATA/airports.csv.zst")" ]
cond "stats stdin zst: BytesProcessed = plain size" [ "$(stat_of BytesProcessed)" = "$plain_size" ]
cond "stats without header: RecordsScanned 46480" [ "$(stat_of RecordsScanned)" = 46480 ]
cond "stats stdin zst: codec named" grep -q '^Codec: zstd' "$E2E_TMP/st.err"
ok "stats stdin zst: count without header" 0 "46480
" cat "$E2E_TMP/st.out"
# LIMIT stops reading: a LIMIT 2 query does not scan the whole 2 MB compressed file (how far a
# read-ahead thread gets varies; with --threads 1 it is at most a few buffers)
for f in airports.csv.gz airports.csv.xz airports.csv.bz2; do
    size=$(wc -c <"$DATA/$f")
    "$PLUCK" --stats -H "SELECT s.ident FROM S3Object s LIMIT 2" "$DATA/$f" \
        >"$E2E_TMP/st.out" 2>"$E2E_TMP/st.err"
    cond "stats LIMIT 2 $f: BytesScanned $(stat_of BytesScanned) < file size $size" [ "$(stat_of BytesScanned)" -lt "$size" ]
    cond "stats LIMIT 2 $f: RecordsReturned 2" [ "$(stat_of RecordsReturned)" = 2 ]
    "$PLUCK" --threads 1 --stats -H "SELECT s.ident FROM S3Object s LIMIT 2" "$DATA/$f" \
        >"$E2E_TMP/st.out" 2>"$E2E_TMP/st.err"
    cond "stats LIMIT 2 --threads 1 $f: BytesScanned $(stat_of BytesScanned) < 1 MB" [ "$(stat_of BytesScanned)" -lt 1048576 ]
done

# ---- 4. --threads: the decompression thread never changes the bytes ---------------------------
set -f
for n in 1 2; do   # (more threads than cores are cut to the cores, with a note)
    for name in star_quotes agg_elevation; do
        query "$name" || continue
        golden "airports[$name] --threads $n gz" "$q_kind" "$EDATA/airports_$name.out" \
            "$PLUCK" --threads "$n" $q_opts "$q_sql" "$DATA/airports-multi.csv.gz"
    done
done
set +f

# t_pipes.sh — pluck in pipelines: `| head` ends it at once and quietly, LIMIT stops reading a
# generator that never ends (within the test's patience), several FILE arguments run one after
# another, and '-' is standard input.  The only big streams of the e2e suite live here; each
# must end in well under a second, so the timeouts only guard against a hang.
w() { WANT=$(printf "$@"; printf _); WANT=${WANT%_}; }
T="$E2E_TMP/pipes"
mkdir -p "$T"
GEN="$TOOLS/gencsv"
HEADER='sensor_id,ts,temperature,status'
FIRST='s659,1700000000,15.8,OK'              # gencsv's first record (deterministic)
FIRST_FAIL='s491,1700000018,318.0,FAIL'      # its first FAIL record
cond "pipes: gencsv's stream starts as expected" [ "$("$GEN" 1K | head -n 2 | tr '\n' ' ')" = "$HEADER $FIRST " ]

# piped NAME SECONDS WANT_STDOUT WANT_PLUCK_RC SIZE FILTER CONSUMER PLUCK_ARGS...
#   runs  gencsv SIZE | FILTER pluck PLUCK_ARGS | CONSUMER  under `timeout SECONDS` (FILTER is
#   empty or e.g. "gzip -1 |"; CONSUMER is split on spaces), then checks: the pipeline ended in
#   time, its stdout, pluck's exit status, and that pluck wrote nothing on stderr.  The
#   generator's exit status is left in $T/gen.rc.
piped() {
    _pn=$1 _ps=$2 _pw=$3 _prc=$4 _pg=$5 _pf=$6 _pc=$7
    shift 7
    rm -f "$T/gen.rc" "$T/pluck.rc" "$T/pluck.err"
    _t0=$(date +%s)
    timeout "$_ps" sh -c 'g=$1 s=$2 t=$3 c=$4; shift 4
        { "$g" "$s"; echo $? >"$t/gen.rc"; } | '"$_pf"' { "$@" 2>"$t/pluck.err"; echo $? >"$t/pluck.rc"; } | $c' \
        sh "$GEN" "$_pg" "$T" "$_pc" "$PLUCK" "$@" >"$T/piped.out"
    _pt=$?
    _t1=$(date +%s)
    cond "$_pn: finished within ${_ps}s (took $((_t1 - _t0))s, timeout status $_pt)" [ "$_pt" != 124 ]
    _pgot=$(cat "$T/piped.out"; printf _)
    if [ "${_pgot%_}" = "$_pw" ]; then _count pass; else
        _count fail
        echo "FAIL $_pn: stdout"
        printf '  want: %s\n  got:  %s\n' "$_pw" "$(head -c 300 "$T/piped.out")"
    fi
    cond "$_pn: pluck exit status $(cat "$T/pluck.rc" 2>/dev/null) (want $_prc)" [ "$(cat "$T/pluck.rc" 2>/dev/null)" = "$_prc" ]
    cond "$_pn: nothing on pluck's stderr" [ ! -s "$T/pluck.err" ]
}

# ---- | head: the reader goes away -----------------------------------------------------------------
w '%s\n' "$HEADER"
# pluck restores SIGPIPE's default, so like other filters it ends with SIGPIPE (141), quietly
piped "gencsv 2G | pluck SELECT * | head -1" 20 "$WANT" 141 2G "" "head -n 1" 'SELECT * FROM S3Object'
w '%s\n%s\n' "$FIRST_FAIL" 's392,1700000032,389.6,FAIL'
piped "gencsv 2G | pluck -H WHERE | head -2" 20 "$WANT" 141 2G "" "head -n 2" \
    -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'"
cond "gencsv 2G | pluck | head: the generator was stopped by SIGPIPE" [ "$(cat "$T/gen.rc")" -gt 128 ]
w '{"sensor_id":"s659","ts":"1700000000","temperature":"15.8","status":"OK"}\n'
piped "gencsv 1G | gzip | pluck --json | head -1" 20 "$WANT" 141 1G "gzip -1 |" "head -n 1" \
    -H --json 'SELECT * FROM S3Object'
# a compressed file on disk, not a generator
w 'id,ident,type,name,latitude_deg,longitude_deg,elevation_ft,continent,iso_country,iso_region,municipality,scheduled_service,gps_code,iata_code,local_code,home_link,wikipedia_link,keywords\n'
for f in airports.csv.bz2 airports.csv.xz; do
    sh -c '{ "$1" "SELECT * FROM S3Object" "$2" 2>"$3/h.err"; echo $? >"$3/h.rc"; } | head -n 1' \
        sh "$PLUCK" "$DATA/$f" "$T" >"$T/h.out"
    ok "pluck $f | head -1: the header line" 0 "$WANT" cat "$T/h.out"
    cond "pluck $f | head -1: ended by SIGPIPE or exit 0 (got $(cat "$T/h.rc"))" \
        [ "$(cat "$T/h.rc")" = 141 -o "$(cat "$T/h.rc")" = 0 ]
    cond "pluck $f | head -1: quiet" [ ! -s "$T/h.err" ]
done

# ---- LIMIT stops reading ---------------------------------------------------------------------------
w '%s\n' "$FIRST"
piped "gencsv 10G | pluck LIMIT 1" 10 "$WANT" 0 10G "" cat -H 'SELECT * FROM S3Object LIMIT 1'
cond "LIMIT 1: the generator died of SIGPIPE (status $(cat "$T/gen.rc"))" [ "$(cat "$T/gen.rc")" -gt 128 ]
w '%s\n' "$FIRST_FAIL"
piped "gencsv 10G | pluck WHERE ... LIMIT 1" 10 "$WANT" 0 10G "" cat \
    -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL' LIMIT 1"
w '{"id":"s659","t":15.8}\n{"id":"s549","t":6.8}\n'
piped "gencsv 10G | pluck JSON LIMIT 2" 10 "$WANT" 0 10G "" cat \
    -H --json 'SELECT s.sensor_id AS id, CAST(s.temperature AS FLOAT) AS t FROM S3Object s LIMIT 2'
piped "gencsv 10G | pluck LIMIT 0" 10 "" 0 10G "" cat -H 'SELECT * FROM S3Object LIMIT 0'
ok "LIMIT 0 over a file: nothing" 0 "" "$PLUCK" 'SELECT * FROM S3Object LIMIT 0' "$DATA/airports.csv.gz"
w '%s\n' "$FIRST"
piped "gencsv 10G | zstd | pluck LIMIT 1" 10 "$WANT" 0 10G "zstd -q -1 |" cat -H 'SELECT * FROM S3Object LIMIT 1'
"$PLUCK" --stats -H 'SELECT * FROM S3Object LIMIT 1' "$DATA/airports.csv.bz2" >/dev/null 2>"$T/st.err"
n=$(sed -n 's/^BytesScanned: //p' "$T/st.err")
cond "LIMIT 1 over a bzip2 file does not read all of it (BytesScanned $n)" \
    [ "${n:-9999999}" -lt "$(wc -c <"$DATA/airports.csv.bz2")" ]

# ---- several FILE arguments, '-' ----------------------------------------------------------------
printf 'a,b\n1,x\n2,y\n' >"$T/f1.csv"
printf 'b,a\nz,3\n' | gzip -c >"$T/f2.csv.gz"
printf 'a,b\n4,w\n5,v\n6,u\n' | zstd -q -c >"$T/f3.csv.zst"
w '1\n2\n3\n4\n5\n6\n'
ok "files: queried one after another, each with its own header and codec" 0 "$WANT" \
    "$PLUCK" -H 'SELECT s.a FROM S3Object s' "$T/f1.csv" "$T/f2.csv.gz" "$T/f3.csv.zst"
w '2\n1\n3\n'
ok "files: an aggregate per file" 0 "$WANT" \
    "$PLUCK" -H 'SELECT COUNT(*) FROM S3Object' "$T/f1.csv" "$T/f2.csv.gz" "$T/f3.csv.zst"
w '1\n3\n4\n'
ok "files: LIMIT per file" 0 "$WANT" "$PLUCK" -H 'SELECT s.a FROM S3Object s LIMIT 1' "$T/f1.csv" "$T/f2.csv.gz" "$T/f3.csv.zst"
w '1\n2\n9\n4\n5\n6\n'
ok "files: '-' is standard input, in its place" 0 "$WANT" \
    sh -c 'printf "a\n9\n" | "$@"' sh "$PLUCK" -H 'SELECT s.a FROM S3Object s' "$T/f1.csv" - "$T/f3.csv.zst"
ok "files: compressed standard input as '-'" 0 "$WANT" \
    sh -c 'printf "a\n9\n" | gzip -c | "$@"' sh "$PLUCK" -H 'SELECT s.a FROM S3Object s' "$T/f1.csv" - "$T/f3.csv.zst"
w '9\n'
ok "no FILE: standard input" 0 "$WANT" sh -c 'printf "a\n9\n" | "$@"' sh "$PLUCK" -H 'SELECT s.a FROM S3Object s'
ok "empty standard input: nothing" 0 "" sh -c '"$@" </dev/null' sh "$PLUCK" 'SELECT * FROM S3Object'
w '0\n'
ok "empty standard input: COUNT 0" 0 "$WANT" sh -c '"$@" </dev/null' sh "$PLUCK" 'SELECT COUNT(*) FROM S3Object'
w '1,x\n2,y\n1,x\n2,y\n'
ok "files: the same file twice" 0 "$WANT" "$PLUCK" -H 'SELECT * FROM S3Object' "$T/f1.csv" "$T/f1.csv"
"$PLUCK" --stats -H 'SELECT COUNT(*) FROM S3Object' "$T/f1.csv" "$T/f2.csv.gz" "$T/f3.csv.zst" >/dev/null 2>"$T/st.err"
cond "files: --stats after each file" [ "$(grep -c '^BytesScanned: ' "$T/st.err")" = 3 ]
cond "files: --stats of the gzip file" grep -qx "BytesScanned: $(wc -c <"$T/f2.csv.gz")" "$T/st.err"

# ---- no progress bar when standard error is not a terminal ----------------------------------------
"$PLUCK" --progress 'SELECT COUNT(*) FROM S3Object' "$DATA/airports.csv.gz" >/dev/null 2>"$T/prog.err"
cond "--progress draws nothing when stderr is not a terminal" [ ! -s "$T/prog.err" ]

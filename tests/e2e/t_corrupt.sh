# t_corrupt.sh — corrupt and hostile input through the real binary (tests/HARDENING.md).
#
# 1. The corrupt-input matrix: a generated CSV ($TOOLS/gencsv 2M) compressed with gzip, zstd,
#    bzip2 and xz, each truncated at 20 offsets and damaged by 20 single-bit flips at fixed
#    pseudo-random positions (some in the first 64 bytes, where the headers are).  Every case
#    runs under `timeout 10` with the matching --compression-type (as an S3 request names
#    it), alternating a filter query and a projection, and single- and two-threaded decoding.
#    A case passes when pluck
#      - ends in time (no hang) and without a signal or a sanitizer report (no crash),
#      - and either fails with exit 1 and an S3 error code on stderr (TruncatedInput,
#        InvalidCompressionFormat, or a CSV* / OverMaxRecordSize / InvalidTextEncoding code
#        when the damage decodes to bad CSV), or succeeds with exactly the output of the
#        undamaged file (a flip in a field nothing checks, such as gzip's MTIME, is harmless;
#        a success with other output would be a silent partial success),
#      - and leaves standard output empty or ending with a complete record (a newline).
#    One assertion per case (160), plus per codec: the undamaged file gives the reference
#    output, and a damaged magic number is InvalidCompressionFormat.
# 2. Hostile SQL: 10,000 nested parentheses, NOTs, minus signs and function calls (and
#    5,000 CASEs), refused with MaxOperatorsExceeded; the deepest nesting allowed evaluated
#    right; a 50,000-term left-associative chain; a ~120 KB IN list (the longest argv allows); a
#    300 KB expression through `pluck serve` (ExpressionTooLong); LIKE '%a%a%a%a%a%a%a%a%a%a%a%ab'
#    against 100 KB fields.  Each ends within its timeout with a result or a clean error.
# About 10 s in a release build; the timeouts leave room for ASan builds (~3x slower).

C="$E2E_TMP/corrupt"
mkdir -p "$C"
CODE_RE='pluck: (TruncatedInput|InvalidCompressionFormat|CSV[A-Za-z]*|OverMaxRecordSize|InvalidTextEncoding): '
SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault'
no_san() { ! grep -Eq "$SAN_RE" "$1"; }
Q1="SELECT _1, _4 FROM S3Object WHERE _4 = 'FAIL'"  # literal prefilter on
Q2="SELECT _2, _3 FROM S3Object WHERE _3 > '45'"   # every record parsed

"$TOOLS/gencsv" 2M >"$C/plain.csv"
for q in 1 2; do
    eval "sql=\$Q$q"
    "$PLUCK" --compression-type NONE "$sql" "$C/plain.csv" >"$C/ref$q.out" 2>"$C/ref$q.err"
    cond "corrupt: reference query $q over the plain file" [ $? = 0 -a -s "$C/ref$q.out" ]
done

# ends_complete FILE: empty, or its last byte is a newline
ends_complete() {
    [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]
}

# flip FILE POS BIT: invert one bit in place
flip() {
    _b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
    _nb=$((_b ^ (1 << $3)))
    # shellcheck disable=SC2059
    printf "\\$(printf '%03o' "$_nb")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# corrupt_case NAME FILE CTYPE N: run case N (query and threads alternate) and check it
corrupt_case() {
    _q=$(($4 % 2 + 1))
    _t=$(($4 / 2 % 2 + 1))
    eval "_sql=\$Q$_q"
    timeout 10 "$PLUCK" --compression-type "$3" --threads "$_t" "$_sql" "$2" \
        >"$W/case.out" 2>"$W/case.err"
    _rc=$?
    _why=
    if [ "$_rc" = 124 ]; then
        _why="hung (timeout 10 s)"
    elif [ "$_rc" -ge 125 ]; then
        _why="crashed (exit $_rc)"
    elif grep -Eq "$SAN_RE" "$W/case.err"; then
        _why="sanitizer report: $(grep -Em 1 "$SAN_RE" "$W/case.err")"
    elif [ "$_rc" = 0 ]; then
        cmp -s "$W/case.out" "$C/ref$_q.out" || _why="exit 0 with output differing from the undamaged file's"
    elif [ "$_rc" != 1 ]; then
        _why="exit $_rc (want 1): $(head -c 200 "$W/case.err")"
    elif ! grep -Eq "$CODE_RE" "$W/case.err"; then
        _why="no S3 error code on stderr: $(head -c 200 "$W/case.err")"
    fi
    if [ -z "$_why" ] && ! ends_complete "$W/case.out"; then
        _why="standard output does not end on a complete record"
    fi
    _code=ok
    [ "$_rc" = 0 ] || _code=$(sed -n 's/^pluck: \([A-Za-z]*\): .*/\1/p' "$W/case.err" | head -n 1)
    echo "$z ${_code:-none}" >>"$W/codes"
    cond "corrupt: $1 (query $_q, threads $_t, exit $_rc)${_why:+: $_why}" [ -z "$_why" ]
}

# same_both NAME FILE CTYPE: one thread and two end exactly alike on the damaged file: the same
# output, the same message (F13: ISA-L's output before an error once depended on how the
# input was cut, and so did the error)
same_both() {
    timeout 10 "$PLUCK" --compression-type "$3" --threads 1 "$Q2" "$2" >"$W/t1.out" 2>"$W/t1.err"
    _r1=$?
    timeout 10 "$PLUCK" --compression-type "$3" --threads 2 "$Q2" "$2" >"$W/t2.out" 2>"$W/t2.err"
    _r2=$?
    cond "corrupt: $1: threads 1 and 2 end alike (exit $_r1 / $_r2: $(head -c 150 "$W/t1.err") / $(head -c 150 "$W/t2.err"))" \
        sh -c '[ "$1" = "$2" ] && cmp -s "$3/t1.out" "$3/t2.out" && cmp -s "$3/t1.err" "$3/t2.err"' \
        - "$_r1" "$_r2" "$W"
}

# corrupt_codec Z: the matrix for one codec, in its own directory $C/Z (two codecs run at once,
# one per core; each one's report goes to $C/Z.log, printed below in the fixed codec order)
corrupt_codec() {
    z=$1
    W="$C/$z"
    mkdir -p "$W"
    : >"$W/codes"
    case $z in
    gzip) gzip -6 -c "$C/plain.csv" >"$W/in.$z"; ct=GZIP ;;
    zstd) zstd -q -3 -c "$C/plain.csv" >"$W/in.$z"; ct=ZSTD ;;
    bzip2) bzip2 -9 -c "$C/plain.csv" >"$W/in.$z"; ct=BZIP2 ;;
    xz) xz -3 -c "$C/plain.csv" >"$W/in.$z"; ct=XZ ;;
    esac
    size=$(wc -c <"$W/in.$z")
    "$PLUCK" --compression-type "$ct" "$Q1" "$W/in.$z" >"$W/whole.out" 2>"$W/whole.err"
    cond "corrupt: $z: the undamaged file gives the reference output" \
        cmp -s "$W/whole.out" "$C/ref1.out"

    # a damaged magic number: not this format at all
    cp "$W/in.$z" "$W/flip.$z"
    flip "$W/flip.$z" 0 0
    E2E_TMP=$W err "corrupt: $z with its magic number damaged" 1 "InvalidCompressionFormat" \
        timeout 10 "$PLUCK" --compression-type "$ct" "$Q1" "$W/flip.$z"

    # truncations: inside the headers, then spread over the stream, then in the trailer
    n=0
    for off in 1 2 3 5 8 13 21 40 100 \
        $((size / 10)) $((size / 4)) $((size / 3)) $((size / 2)) $((size * 2 / 3)) \
        $((size * 9 / 10)) $((size - 100)) $((size - 9)) $((size - 4)) $((size - 2)) \
        $((size - 1)); do
        head -c "$off" "$W/in.$z" >"$W/cut.$z"
        corrupt_case "$z truncated to $off of $size bytes" "$W/cut.$z" "$ct" "$n"
        same_both "$z truncated to $off of $size bytes" "$W/cut.$z" "$ct"
        n=$((n + 1))
    done

    # bit flips: 4 in the first 64 bytes, 16 anywhere; positions from a fixed LCG
    x=12345
    for i in $(seq 1 20); do
        x=$(((x * 1103515245 + 12345) % 2147483648))
        if [ "$i" -le 4 ]; then pos=$((x % 64)); else pos=$((x % size)); fi
        bit=$((x / 7 % 8))
        cp "$W/in.$z" "$W/flip.$z"
        flip "$W/flip.$z" "$pos" "$bit"
        corrupt_case "$z with bit $bit of byte $pos flipped" "$W/flip.$z" "$ct" "$n"
        same_both "$z with bit $bit of byte $pos flipped" "$W/flip.$z" "$ct"
        n=$((n + 1))
    done
    rm -f "$W/in."* "$W/cut."* "$W/flip."* "$W/case.out" "$W/whole.out" "$W/t1."* "$W/t2."*
}

# gzip and xz in one worker, zstd and bzip2 in the other (about even halves)
(corrupt_codec gzip >"$C/gzip.log"; corrupt_codec xz >"$C/xz.log") &
_cw=$!
(corrupt_codec zstd >"$C/zstd.log"; corrupt_codec bzip2 >"$C/bzip2.log")
wait "$_cw"
for z in gzip zstd bzip2 xz; do
    cat "$C/$z.log"
done
cat "$C"/gzip/codes "$C"/zstd/codes "$C"/bzip2/codes "$C"/xz/codes >"$C/codes"
CORRUPT_HARMLESS=$(grep -c ' ok$' "$C/codes")
for z in gzip zstd bzip2 xz; do
    echo "  corrupt matrix, $z: $(grep "^$z " "$C/codes" | sort | uniq -c | awk '{ s = s (NR > 1 ? ", " : "") $3 " x" $1 } END { print s }')"
done
echo "  (ok = exit 0 with the undamaged output: $CORRUPT_HARMLESS harmless flips)"

# ---- hostile SQL -------------------------------------------------------------------------------
printf 'a,b\n1,2\n' >"$C/small.csv"

# hostile NAME SECONDS WANT SQL [FILE]: ends in time; WANT is "ok" (exit 0) or an error code
# that must be on stderr with exit 3 (query errors) or 1 (data errors)
hostile() {
    _n=$1 _s=$2 _w=$3 _sql=$4 _f=${5:-$C/small.csv}
    timeout "$_s" "$PLUCK" "$_sql" "$_f" >"$C/h.out" 2>"$C/h.err"
    _rc=$?
    _why=
    if [ "$_rc" = 124 ]; then
        _why="did not finish within $_s s"
    elif [ "$_rc" -ge 125 ] || grep -Eq "$SAN_RE" "$C/h.err"; then
        _why="crashed (exit $_rc): $(grep -Em 1 "$SAN_RE" "$C/h.err")"
    elif [ "$_w" = ok ]; then
        [ "$_rc" = 0 ] || _why="exit $_rc: $(head -c 200 "$C/h.err")"
    elif [ "$_rc" != 3 ] && [ "$_rc" != 1 ]; then
        _why="exit $_rc (want 3 or 1)"
    elif ! grep -q "pluck: $_w: " "$C/h.err"; then
        _why="stderr lacks $_w: $(head -c 200 "$C/h.err")"
    fi
    cond "hostile SQL: $_n (exit $_rc)${_why:+: $_why}" [ -z "$_why" ]
}

# repeat S N: S written N times
repeat() { awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

hostile "10,000 nested NOT" 10 MaxOperatorsExceeded \
    "SELECT * FROM S3Object WHERE $(repeat 'NOT ' 10000)TRUE"
hostile "10,000 unary minus signs" 10 MaxOperatorsExceeded \
    "SELECT $(repeat '- ' 10000)1 FROM S3Object"
hostile "10,000 nested function calls" 10 MaxOperatorsExceeded \
    "SELECT $(repeat 'LOWER(' 10000)_1$(repeat ')' 10000) FROM S3Object"
hostile "5,000 nested CASE" 10 MaxOperatorsExceeded \
    "SELECT $(repeat 'CASE WHEN TRUE THEN ' 5000)1$(repeat ' END' 5000) FROM S3Object"
hostile "10,000 nested parentheses" 10 MaxOperatorsExceeded \
    "SELECT $(repeat '(' 10000)1$(repeat ')' 10000) FROM S3Object"
# just under the nesting limit (read from the message above) everything still evaluates,
# also in an ASan build's bigger stack frames
lim=$(sed -n 's/.*deeper than \([0-9]*\) levels.*/\1/p' "$C/h.err" | head -n 1)
lim=${lim:-256}
d=$((lim - 2 - (lim % 2)))  # even: NOT applied d+1 times to FALSE is TRUE
hostile "$d nested calls, parentheses and NOTs (the limit is $lim)" 10 ok \
    "SELECT $(repeat 'LOWER(' "$d")_1$(repeat ')' "$d"), $(repeat '(' "$d")2$(repeat ')' "$d") FROM S3Object WHERE $(repeat 'NOT ' "$((d + 1))")FALSE"
cond "hostile SQL: $d nested levels give the right records" [ "$(tr '\n' ' ' <"$C/h.out")" = "a,2 1,2 " ]
# a left-associative chain parses without recursion but is a deep tree: refused or computed
timeout 20 "$PLUCK" "SELECT 1$(repeat '+1' 50000) FROM S3Object" "$C/small.csv" \
    >"$C/h.out" 2>"$C/h.err"
rc=$?
sum_ok() { { [ "$rc" = 0 ] && [ "$(cat "$C/h.out")" = 50001 ]; } || { [ "$rc" = 3 ] && no_san "$C/h.err"; }; }
cond "hostile SQL: a 50,000-term sum is computed or refused cleanly (exit $rc: $(head -c 120 "$C/h.err"))" sum_ok
# the longest SQL one argv string can carry (Linux: 128 KiB): a big IN list
hostile "a 120 KB IN list" 10 ok \
    "SELECT _1 FROM S3Object WHERE _1 IN ($(repeat "'x'," 30000)'1')"
cond "hostile SQL: the 120 KB IN list finds its record" [ "$(cat "$C/h.out")" = 1 ]

# LIKE with many wildcards against 100 KB fields that almost match
awk 'BEGIN { s = ""; for (i = 0; i < 100000; i++) s = s "a"; for (r = 0; r < 3; r++) print s "," r; print s "b,3" }' >"$C/like.csv"
hostile "LIKE '%a%a%a%a%a%a%a%a%a%a%a%ab' over 100 KB fields" 10 ok \
    "SELECT _2 FROM S3Object WHERE _1 LIKE '%a%a%a%a%a%a%a%a%a%a%a%ab'" "$C/like.csv"
cond "hostile SQL: the LIKE finds only the field ending in b" [ "$(cat "$C/h.out")" = 3 ]
hostile "LIKE '%_a%_a%_a%_a%_a%_a%_a%_a%_b' over 100 KB fields" 10 ok \
    "SELECT _2 FROM S3Object WHERE _1 LIKE '%_a%_a%_a%_a%_a%_a%_a%_a%_b'" "$C/like.csv"
hostile "NOT LIKE '%a%a%a%a%a%a%a%a%a%a%a%ac' over 100 KB fields" 10 ok \
    "SELECT COUNT(*) FROM S3Object WHERE _1 NOT LIKE '%a%a%a%a%a%a%a%a%a%a%a%ac'" "$C/like.csv"
cond "hostile SQL: NOT LIKE counts every record" [ "$(cat "$C/h.out")" = 4 ]

# a 300 KB expression can only arrive in a request body: through pluck serve
if command -v curl >/dev/null 2>&1; then
    mkdir -p "$C/root/bkt"
    cp "$C/small.csv" "$C/root/bkt/small.csv"
    "$PLUCK" serve --root "$C/root" --listen 127.0.0.1:0 --anonymous >"$C/srv.out" 2>"$C/srv.err" &
    CSRV=$!
    CURL_URL=
    for _i in $(seq 1 100); do
        CURL_URL=$(head -n 1 "$C/srv.out" 2>/dev/null)
        [ -n "$CURL_URL" ] && break
        sleep 0.05
    done
    {
        printf '<SelectObjectContentRequest><Expression>SELECT _1 FROM S3Object WHERE _1 IN ('
        repeat "'x'," 75000
        printf "'1')</Expression><ExpressionType>SQL</ExpressionType><InputSerialization><CSV/>"
        printf '</InputSerialization><OutputSerialization><CSV/></OutputSerialization>'
        printf '</SelectObjectContentRequest>'
    } >"$C/big.xml"
    code=$(timeout 10 curl -s -o "$C/big.resp" -w '%{http_code}' -X POST --data-binary @"$C/big.xml" \
        "${CURL_URL%/}/bkt/small.csv?select&select-type=2")
    too_long() { [ "$code" = 400 ] && grep -q '<Code>ExpressionTooLong</Code>' "$C/big.resp"; }
    cond "hostile SQL: a 300 KB expression through pluck serve is ExpressionTooLong (HTTP $code, $(wc -c <"$C/big.xml") bytes)" too_long
    # the server keeps serving
    printf '<SelectObjectContentRequest><Expression>SELECT COUNT(*) FROM S3Object</Expression><ExpressionType>SQL</ExpressionType><InputSerialization><CSV/></InputSerialization><OutputSerialization><CSV/></OutputSerialization></SelectObjectContentRequest>' >"$C/ok.xml"
    code=$(timeout 10 curl -s -o "$C/ok.resp" -w '%{http_code}' -X POST --data-binary @"$C/ok.xml" \
        "${CURL_URL%/}/bkt/small.csv?select&select-type=2")
    cond "hostile SQL: the server still answers after it (HTTP $code)" [ "$code" = 200 ]
    kill -TERM "$CSRV" 2>/dev/null
    wait "$CSRV" 2>/dev/null
    cond "hostile SQL: no sanitizer report from the server" no_san "$C/srv.err"
else
    echo "FAIL hostile SQL: curl is needed for the 300 KB expression (scripts/deps.sh)"
    _count fail
fi
rm -rf "$C"

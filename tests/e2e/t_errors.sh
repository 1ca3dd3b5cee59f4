# t_errors.sh — every kind of bad input: exit status (1 data, 2 usage, 3 query), the S3 error
# code name on standard error, SQL positions, and the promise that records written before a
# mid-stream error are complete (stdout ends on a record boundary and is a prefix of the
# output the intact input gives).
w() { WANT=$(printf "$@"; printf _); WANT=${WANT%_}; }
SEL='SELECT * FROM S3Object'
T="$E2E_TMP/err"
mkdir -p "$T"
echo 'x,1' >"$T/one.csv"

# sqlerr NAME CODE "line L, column C" SQL — exit 3, no output, code and position on stderr
sqlerr() {
    err "$1: $2" 3 "$2" "$PLUCK" "$4" "$T/one.csv"
    err "$1: $3" 3 "$3" "$PLUCK" "$4" "$T/one.csv"
}

# ---- malformed SQL (exit 3, "line L, column C") ---------------------------------------------------
sqlerr "SELEC" ParseExpectedKeyword "line 1, column 1" 'SELEC * FROM S3Object'
sqlerr "empty select list" ParseEmptySelect "line 1, column 8" 'SELECT FROM S3Object'
sqlerr "FROM without table" ParseUnexpectedToken "line 1, column 14" 'SELECT * FROM'
sqlerr "WHERE without condition" ParseExpectedExpression "line 1, column 29" 'SELECT * FROM S3Object WHERE'
sqlerr "double comma" ParseExpectedExpression "line 1, column 11" 'SELECT _1,, _2 FROM S3Object'
sqlerr "= =" ParseUnexpectedOperator "line 1, column 39" 'SELECT * FROM S3Object s WHERE s._1 = = 1'
sqlerr "unterminated string" LexerInvalidLiteral "line 1, column 35" "SELECT * FROM S3Object WHERE _1 = 'abc"
sqlerr "invalid character" LexerInvalidChar "line 1, column 34" 'SELECT _1 FROM S3Object WHERE _1 # 2'
sqlerr "LIMIT not a number" ParseExpectedNumber "line 1, column 31" 'SELECT _1 FROM S3Object LIMIT x'
sqlerr "negative LIMIT" EvaluatorNegativeLimit "line 1, column 31" 'SELECT _1 FROM S3Object LIMIT -1'
sqlerr "unclosed parenthesis" ParseExpectedTokenType "line 1, column 12" 'SELECT (_1 FROM S3Object'
sqlerr "second line" ParseUnexpectedOperator "line 2, column 12" 'SELECT _1 FROM S3Object
WHERE _1 = = 2'
sqlerr "star with other items" ParseAsteriskIsNotAloneInSelectList "line 1, column 8" 'SELECT *, _1 FROM S3Object'
sqlerr "unknown function" UnsupportedFunction "line 1, column 8" 'SELECT FOO(_1) FROM S3Object'
sqlerr "bad CAST type" ParseExpectedTypeName "line 1, column 19" 'SELECT CAST(_1 AS BLOB) FROM S3Object'
sqlerr "undeclared alias" InvalidTableAlias "line 1, column 33" 'SELECT _1 FROM S3Object x WHERE y._1 = 1'
sqlerr "join" ParseMalformedJoin "line 1, column 24" 'SELECT _1 FROM S3Object, S3Object'
sqlerr "two semicolons" ParseUnexpectedToken "line 1, column 25" 'SELECT _1 FROM S3Object;;'
sqlerr "trailing words" ParseUnexpectedToken "line 1, column 29" 'SELECT * FROM S3Object blah blah'
sqlerr "_0" InvalidColumnIndex "line 1, column 8" 'SELECT _0 FROM S3Object'
sqlerr "aggregate mixed with a column" UnsupportedSqlStructure "line 1, column 17" 'SELECT SUM(_1), _2 FROM S3Object'
sqlerr "aggregate in WHERE" UnsupportedSqlStructure "line 1, column 31" 'SELECT _1 FROM S3Object WHERE SUM(_1) > 1'
sqlerr "nested aggregates" UnsupportedSqlStructure "line 1, column 14" 'SELECT COUNT(SUM(_1)) FROM S3Object'
# the message shows the SQL line and a caret under column 8
"$PLUCK" 'SELECT FROM S3Object' "$T/one.csv" >/dev/null 2>"$T/caret"
cond "parse error: message starts with 'pluck: ParseEmptySelect:'" grep -q '^pluck: ParseEmptySelect: ' "$T/caret"
cond "parse error: the SQL line is quoted" grep -qx '  SELECT FROM S3Object' "$T/caret"
cond "parse error: caret under column 8" grep -qx '         ^' "$T/caret"
# S3 Select has no DISTINCT, GROUP BY, HAVING, ORDER BY, OFFSET, UNION: rejected, never ignored
for q in 'SELECT DISTINCT _1 FROM S3Object' 'SELECT * FROM S3Object GROUP BY _1' \
         "SELECT * FROM S3Object WHERE _1 = 'x' GROUP BY _1" 'SELECT * FROM S3Object ORDER BY _1' \
         'SELECT * FROM S3Object s ORDER BY _1 DESC' 'SELECT * FROM S3Object HAVING 1 = 1' \
         'SELECT * FROM S3Object LIMIT 1 OFFSET 2' 'SELECT * FROM S3Object UNION SELECT * FROM S3Object'; do
    ok "unsupported clause rejected (exit 3, no output): $q" 3 "" "$PLUCK" "$q" "$T/one.csv"
done
err "GROUP BY without -X: ParseExpectedIdentForGroupName, as S3" 3 ParseExpectedIdentForGroupName \
    "$PLUCK" 'SELECT * FROM S3Object GROUP BY _1' "$T/one.csv"

# ---- name resolution against the data (exit 3) -----------------------------------------------------
err "unknown column with -H: MissingHeaders" 3 MissingHeaders \
    "$PLUCK" -H 'SELECT s.nosuch FROM S3Object s' "$DATA/airports.csv.gz"
err "name without a header row: InvalidColumnIndex" 3 InvalidColumnIndex \
    "$PLUCK" 'SELECT s.name FROM S3Object s' "$DATA/airports.csv.gz"
ok "name without a header row: nothing written" 3 "" "$PLUCK" 'SELECT s.name FROM S3Object s' "$DATA/airports.csv.gz"

# ---- evaluation errors (exit 1) -------------------------------------------------------------------
Q='SELECT CAST(s.elevation_ft AS FLOAT) FROM S3Object s'
"$PLUCK" -H "$Q" "$DATA/airports.csv" >"$T/cast.out" 2>"$T/cast.err"
rc=$?
cond "CastFailed mid-stream: exit 1" [ "$rc" = 1 ]
cond "CastFailed: code name first" grep -q '^pluck: CastFailed: ' "$T/cast.err"
cond "CastFailed: position is record 86, byte 12406 (first empty elevation_ft)" grep -q 'record 86, byte 12406' "$T/cast.err"
cond "CastFailed: the 84 records before it were written" [ "$(wc -l <"$T/cast.out")" -eq 84 ]
"$PLUCK" -H "$Q LIMIT 84" "$DATA/airports.csv" >"$T/cast.want" 2>/dev/null
file_eq "CastFailed: output so far equals LIMIT 84" "$T/cast.want" "$T/cast.out"
ok "CastFailed in WHERE: nothing written" 1 "" \
    "$PLUCK" -H 'SELECT s.ident FROM S3Object s WHERE CAST(s.iata_code AS INT) = 1' "$DATA/airports.csv"
err "CastFailed in WHERE: code" 1 CastFailed \
    "$PLUCK" -H 'SELECT s.ident FROM S3Object s WHERE CAST(s.iata_code AS INT) = 1' "$DATA/airports.csv"
err "CAST of the header text without -H" 1 CastFailed "$PLUCK" 'SELECT CAST(_7 AS INT) FROM S3Object' "$DATA/airports.csv"
err "CAST to BOOL of a non-boolean" 1 CastFailed "$PLUCK" 'SELECT CAST(_1 AS BOOL) FROM S3Object' "$T/one.csv"
err "IntegerOverflow" 1 IntegerOverflow "$PLUCK" 'SELECT 9223372036854775807 + 1 FROM S3Object' "$T/one.csv"
err "IntegerOverflow in SUM" 1 IntegerOverflow "$PLUCK" 'SELECT SUM(_1) FROM S3Object' "$EDATA/err_overflow.csv"
err "DivisionByZero" 1 DivisionByZero "$PLUCK" 'SELECT CAST(_2 AS INT) / 0 FROM S3Object' "$T/one.csv"
err "DivisionByZero by %" 1 DivisionByZero "$PLUCK" 'SELECT CAST(_2 AS INT) % 0 FROM S3Object' "$T/one.csv"
err "LIKE ESCAPE of two characters" 1 EvaluatorLikePatternInvalidEscapeSequence \
    "$PLUCK" "SELECT _1 FROM S3Object WHERE _1 LIKE 'a' ESCAPE 'xy'" "$T/one.csv"

# ---- malformed CSV (exit 1) ------------------------------------------------------------------------
printf 'id,v\n1,ok\n2,"open' >"$T/unterminated.csv"
w '1,ok\n'
ok "unterminated quote at end of input: earlier records, exit 1" 1 "$WANT" "$PLUCK" -H "$SEL" "$T/unterminated.csv"
err "unterminated quote at end of input: CSVParsingError" 1 CSVParsingError "$PLUCK" -H "$SEL" "$T/unterminated.csv"
err "CSVParsingError gives the record number" 1 "record 3" "$PLUCK" -H "$SEL" "$T/unterminated.csv"
err "unterminated quote through stdin" 1 CSVParsingError sh -c 'printf "a,\"b" | "$@"' sh "$PLUCK" "$SEL"
{ printf 'a,b\n'; head -c 2000 /dev/zero | tr '\0' z; printf '\nc,d\n'; } >"$T/long.csv"
w 'b\n'
ok "over-long record: earlier records, exit 1" 1 "$WANT" "$PLUCK" --max-record-size 1K 'SELECT _2 FROM S3Object' "$T/long.csv"
err "over-long record: OverMaxRecordSize" 1 OverMaxRecordSize \
    sh -c 'cat "$0" | "$@"' "$T/long.csv" "$PLUCK" --max-record-size 1K 'SELECT _2 FROM S3Object'

# ---- truncated and corrupt compressed data (exit 1, TruncatedInput) --------------------------------
"$PLUCK" "$SEL" "$DATA/airports.csv" >"$T/full.out"
# partial NAME FILE: exit 1 with TruncatedInput; stdout non-empty, ends with a newline, and is a
# prefix of the intact output
partial() {
    "$PLUCK" "$SEL" "$2" >"$T/part.out" 2>"$T/part.err"
    rc=$?
    n=$(wc -c <"$T/part.out")
    cond "$1: exit 1" [ "$rc" = 1 ]
    cond "$1: TruncatedInput" grep -q '^pluck: TruncatedInput: ' "$T/part.err"
    cond "$1: some records were written ($n bytes)" [ "$n" -gt 0 ]
    cond "$1: output ends with a complete record" [ "$(tail -c 1 "$T/part.out" | od -An -c | tr -d ' ')" = '\n' ]
    cond "$1: output is a prefix of the intact output" cmp -s -n "$n" "$T/part.out" "$T/full.out"
}
for f in airports.csv.gz airports.csv.zst airports.csv.bz2 airports.csv.xz airports-multi.csv.gz airports-multi.csv.zst; do
    head -c 1000000 "$DATA/$f" >"$T/trunc.$f"
    partial "truncated $f" "$T/trunc.$f"
done
err "truncated gzip: message says where" 1 "compressed offset 1000000" "$PLUCK" "$SEL" "$T/trunc.airports.csv.gz"
head -c 5 "$DATA/airports.csv.gz" >"$T/tiny.gz"
ok "gzip cut inside its header: no output, exit 1" 1 "" "$PLUCK" "$SEL" "$T/tiny.gz"
err "gzip cut inside its header: TruncatedInput" 1 TruncatedInput "$PLUCK" "$SEL" "$T/tiny.gz"
head -c 1000000 "$DATA/airports.csv.zst" >"$T/trunc.zst"
err "truncated zstd through a pipe" 1 TruncatedInput sh -c 'cat "$0" | "$@"' "$T/trunc.zst" "$PLUCK" "$SEL"

# corrupt: 8 bytes overwritten in the middle.  Garbage may be decoded before a check catches it
# (gzip's CRC is at the end, bzip2's per 900 kB block), so the error is either TruncatedInput or
# the CSV error the garbage causes; either way exit 1 and whole records only.
for f in airports.csv.gz airports.csv.zst airports.csv.bz2 airports.csv.xz; do
    cp "$DATA/$f" "$T/bad.$f"
    printf '\377\000\377\000\125\252\125\252' | dd of="$T/bad.$f" bs=1 seek=700000 conv=notrunc 2>/dev/null
    "$PLUCK" "$SEL" "$T/bad.$f" >"$T/part.out" 2>"$T/part.err"
    rc=$?
    cond "corrupt $f: exit 1" [ "$rc" = 1 ]
    cond "corrupt $f: TruncatedInput or a CSV error" grep -Eq '^pluck: (TruncatedInput|CSV[A-Za-z]+): ' "$T/part.err"
    cond "corrupt $f: output ends with a complete record" \
        [ "$(tail -c 1 "$T/part.out" | od -An -c | tr -d ' ')" = '\n' ]
    cond "corrupt $f: the first 1.5 MB of output are intact" cmp -s -n 1500000 "$T/part.out" "$T/full.out"
done
# corrupt check values at the very end (gzip CRC32/ISIZE, zstd checksum, bzip2 stream CRC, xz
# check): the data decompresses, the integrity check must still fail
for f in airports.csv.gz airports.csv.zst airports.csv.bz2 airports.csv.xz; do
    cp "$DATA/$f" "$T/crc.$f"
    size=$(wc -c <"$T/crc.$f")
    printf '\125\252\125' | dd of="$T/crc.$f" bs=1 seek=$((size - 6)) conv=notrunc 2>/dev/null
    err "bad check value at the end of $f" 1 TruncatedInput "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$T/crc.$f"
done
{ cat "$DATA/airports.csv.gz"; printf 'garbage!'; } >"$T/garbage.gz"
err "trailing garbage after the last gzip member" 1 TruncatedInput "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$T/garbage.gz"
{ cat "$DATA/airports.csv.zst"; printf 'garbage!'; } >"$T/garbage.zst"
err "trailing garbage after the last zstd frame" 1 TruncatedInput "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$T/garbage.zst"

# ---- forced codec on other data (exit 1, InvalidCompressionFormat) ---------------------------------
for c in GZIP zstd Bzip2 XZ; do
    ok "--compression-type $c on plain text: no output, exit 1" 1 "" "$PLUCK" --compression-type "$c" "$SEL" "$T/one.csv"
    err "--compression-type $c on plain text: InvalidCompressionFormat" 1 InvalidCompressionFormat \
        "$PLUCK" --compression-type "$c" "$SEL" "$T/one.csv"
done
err "--compression-type GZIP on zstd data" 1 InvalidCompressionFormat \
    "$PLUCK" --compression-type GZIP "$SEL" "$DATA/airports.csv.zst"
err "--compression-type GZIP on a pipe of plain text" 1 InvalidCompressionFormat \
    sh -c 'cat "$0" | "$@"' "$T/one.csv" "$PLUCK" --compression-type GZIP "$SEL"

# ---- files that cannot be read (exit 1) ------------------------------------------------------------
ok "nonexistent file: no output, exit 1" 1 "" "$PLUCK" "$SEL" "$T/no/such/file.csv"
err "nonexistent file: named in the message" 1 "$T/no/such/file.csv" "$PLUCK" "$SEL" "$T/no/such/file.csv"
err "a directory instead of a file" 1 "$T" "$PLUCK" "$SEL" "$T"
w 'x,1\n'
ok "nonexistent second file: the first file's records are written, exit 1" 1 "$WANT" \
    "$PLUCK" "$SEL" "$T/one.csv" "$T/nonexistent.csv"
err "write error (/dev/full): exit 1" 1 WriteError sh -c '"$@" >/dev/full' sh "$PLUCK" "$SEL" "$DATA/airports.csv"

# ---- usage errors (exit 2, nothing on stdout) -------------------------------------------------------
# usage NAME SUBSTRING ARGS... — exit 2, empty stdout, stderr contains SUBSTRING
usage() {
    _un=$1 _us=$2
    shift 2
    ok "usage $_un: exit 2, no output" 2 "" "$PLUCK" "$@"
    err "usage $_un: message" 2 "$_us" "$PLUCK" "$@"
}
usage "--file-header-info MAYBE" InvalidFileHeaderInfo --file-header-info MAYBE "$SEL" "$T/one.csv"
usage "--quote-fields SOMETIMES" InvalidQuoteFields --quote-fields SOMETIMES "$SEL" "$T/one.csv"
usage "--field-delimiter ab" InvalidRequestParameter --field-delimiter ab "$SEL" "$T/one.csv"
usage "-d ''" InvalidRequestParameter -d '' "$SEL" "$T/one.csv"
usage "--record-delimiter ''" InvalidRequestParameter --record-delimiter '' "$SEL" "$T/one.csv"
usage "--record-delimiter of 9 bytes" InvalidRequestParameter --record-delimiter 123456789 "$SEL" "$T/one.csv"
usage "--quote-character ab" InvalidRequestParameter --quote-character ab "$SEL" "$T/one.csv"
usage "--comments ab" InvalidRequestParameter --comments ab "$SEL" "$T/one.csv"
usage "--compression-type LZ4" InvalidCompressionFormat --compression-type LZ4 "$SEL" "$T/one.csv"
usage "--output-format XML" InvalidRequestParameter --output-format XML "$SEL" "$T/one.csv"
usage "--allow-quoted-record-delimiter maybe" InvalidRequestParameter --allow-quoted-record-delimiter maybe "$SEL" "$T/one.csv"
usage "--output-quote-character ''" InvalidRequestParameter --output-quote-character '' "$SEL" "$T/one.csv"
usage "--output-record-delimiter ''" InvalidRequestParameter --output-record-delimiter '' "$SEL" "$T/one.csv"
usage "--max-record-size 0" InvalidRequestParameter --max-record-size 0 "$SEL" "$T/one.csv"
usage "--max-record-size abc" InvalidRequestParameter --max-record-size abc "$SEL" "$T/one.csv"
usage "--max-record-size 1T" InvalidRequestParameter --max-record-size 1T "$SEL" "$T/one.csv"
usage "--threads 0" InvalidRequestParameter --threads 0 "$SEL" "$T/one.csv"
usage "--threads abc" InvalidRequestParameter --threads abc "$SEL" "$T/one.csv"
usage "--extensions maybe" InvalidRequestParameter --extensions maybe "$SEL" "$T/one.csv"
usage "unknown escape" 'escape' --field-delimiter '\q' "$SEL" "$T/one.csv"
usage "\\x without digits" 'escape' --field-delimiter '\x' "$SEL" "$T/one.csv"
usage "unknown long option" "'--bogus'" --bogus "$SEL" "$T/one.csv"
usage "unknown short option" "'-Z'" -Z "$SEL" "$T/one.csv"
usage "no arguments" "missing SQL" 
usage "options but no SQL" "missing SQL" -H --json
usage "option value missing" "file-header-info" --file-header-info
usage "option value missing (-d)" "'-d'" -d
err "usage errors point to --help" 2 "pluck --help" "$PLUCK" --bogus "$SEL"

# ---- --help and --version --------------------------------------------------------------------------
"$PLUCK" --help >"$T/help.out" 2>"$T/help.err"
rc=$?
cond "--help: exit 0" [ "$rc" = 0 ]
cond "--help: on stdout, nothing on stderr" [ -s "$T/help.out" -a ! -s "$T/help.err" ]
if [ -s "$T/help.out" ]; then
    for o in --compression-type --file-header-info --field-delimiter --record-delimiter --quote-character \
             --quote-escape-character --comments --allow-quoted-record-delimiter --max-record-size \
             --output-format --quote-fields --output-field-delimiter --output-record-delimiter \
             --output-quote-character --output-quote-escape-character --stats --progress --no-progress \
             --json --help --version --threads --extensions --max-groups ' -H ' ' -d ' ' -h' ' -V' ' -X'; do
        cond "--help mentions '$o'" grep -qF -- "$o" "$T/help.out"
    done
else
    cond "--help printed something (the option checks need it)" false
fi
"$PLUCK" -h >"$T/h.out" 2>&1
file_eq "-h prints the same as --help" "$T/help.out" "$T/h.out"
"$PLUCK" --version >"$T/version.out" 2>"$T/version.err"
rc=$?
cond "--version: exit 0" [ "$rc" = 0 ]
if [ -s "$T/version.out" ]; then
    cond "--version: names pluck and 0.1.0" grep -q '^pluck 0\.1\.0' "$T/version.out"
    for c in gzip zstd bzip2 xz; do
        cond "--version lists the $c codec" grep -q "codecs:.*$c" "$T/version.out"
    done
else
    cond "--version printed something (the codec checks need it)" false
fi
"$PLUCK" -V >"$T/V.out" 2>&1
file_eq "-V prints the same as --version" "$T/version.out" "$T/V.out"
ok "--help wins over a missing SQL" 0 "$(cat "$T/help.out")
" "$PLUCK" -H --help

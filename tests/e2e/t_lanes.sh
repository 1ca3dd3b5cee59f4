# t_lanes.sh — plain files split across two threads (src/exec/lanes.c), read in ranges with
# pread() and (PLUCK_PREAD=0) through the read callback, give exactly what one thread gives:
# the same output bytes, statistics, exit status and error message (with the same record
# number and byte offset), whatever the query, the dialect, or where in the file an error or
# the LIMIT falls.  The files are a few MiB, so they span several 1 MiB blocks; each case
# also checks a figure computed without pluck, so a bug both paths share cannot pass.
T="$E2E_TMP/lanes"
mkdir -p "$T"
"$TOOLS/gencsv" 6M >"$T/s.csv"
ROWS=$(($(wc -l <"$T/s.csv") - 1))

same() { threads_same "$MODE" "$@"; } # lib.sh

cases() {
# ---- results ------------------------------------------------------------------------------
same "aggregates" 0 -H "SELECT COUNT(*), SUM(s.temperature), MIN(s.temperature), MAX(s.temperature), AVG(s.temperature), MIN(s.status), MAX(s.sensor_id), COUNT(s.status) FROM S3Object s" "$T/s.csv"
want=$(awk -F, 'NR > 1 { n++; s += $3 } END { printf "%d,%.1f\n", n, s }' "$T/s.csv")
cond "aggregates: COUNT and SUM as awk computes them ($want)" [ "$(cut -d, -f1,2 "$T/out")" = "$want" ]
cond "aggregates: RecordsScanned is every data row" grep -qx "RecordsScanned: $ROWS" "$T/err"

same "filter with the literal prefilter" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/s.csv"
awk -F, 'NR > 1 && $4 == "FAIL"' "$T/s.csv" >"$T/want"
file_eq "filter: the rows awk selects" "$T/want" "$T/out"

same "projection, JSON" 0 -H --json "SELECT s.ts, s.temperature FROM S3Object s WHERE CAST(s.temperature AS FLOAT) > 490" "$T/s.csv"
cond "projection, JSON: as many rows as awk finds" [ "$(wc -l <"$T/out")" = "$(awk -F, 'NR > 1 && $3 > 490' "$T/s.csv" | wc -l)" ]

# LIMIT met in a later block than the first: output cut at exactly the limit
EARLY=1
same "LIMIT across blocks" 0 -H "SELECT s.ts FROM S3Object s WHERE s.status <> 'OK' LIMIT 40000" "$T/s.csv"
EARLY=0
awk -F, 'NR > 1 && $4 != "OK" { print $2 }' "$T/s.csv" | head -n 40000 >"$T/want"
file_eq "LIMIT across blocks: the first 40000 rows" "$T/want" "$T/out"
same "LIMIT of a count" 0 "SELECT COUNT(*) FROM S3Object LIMIT 1" "$T/s.csv"
cond "LIMIT of a count: header counted as data" [ "$(cat "$T/out")" = "$((ROWS + 1))" ]

# ---- dialects -------------------------------------------------------------------------------
# CRLF records, comment lines, empty lines, no newline at the end
awk 'NR % 1000 == 7 { print "# a comment" } NR % 777 == 5 { print "" } { printf "%s\r\n", $0 }' "$T/s.csv" >"$T/crlf.csv"
printf 's999,1,2.0,LAST' >>"$T/crlf.csv"
same "CRLF, comments, empty lines, no final newline" 0 -H --comments '#' "SELECT s.sensor_id, s.status FROM S3Object s WHERE s.temperature = '2.0' OR s.ts = '1700000005'" "$T/crlf.csv"
cond "CRLF: the last record without newline is read" grep -q '^s999,LAST$' "$T/out"
same "CRLF count" 0 -H --comments '#' "SELECT COUNT(*) FROM S3Object" "$T/crlf.csv"
cond "CRLF count: comments and empty lines are not records" [ "$(cat "$T/out")" = "$((ROWS + 1))" ]

# a one-byte record delimiter other than newline
tr '\n' ';' <"$T/s.csv" >"$T/semi.csv"
same "record delimiter ';'" 0 -H --record-delimiter ';' "SELECT COUNT(*), MAX(s.ts) FROM S3Object s" "$T/semi.csv"
cond "record delimiter ';': every row" [ "$(cut -d, -f1 "$T/out")" = "$ROWS" ]

# quoted fields (no quoted record delimiters: those keep one thread)
sed 's/,OK$/,"O,K"/' "$T/s.csv" >"$T/q.csv"
same "quoted fields" 0 -H "SELECT COUNT(*) FROM S3Object s WHERE s.status = 'O,K'" "$T/q.csv"
cond "quoted fields: the OK rows" [ "$(cat "$T/out")" = "$(grep -c ',OK$' "$T/s.csv")" ]

# ---- errors in a later block: same code, record number and offset -------------------------
inject 150001 's001,notanumber,1.0,OK'
EARLY=1
same "CastFailed mid-file" 1 -H "SELECT SUM(CAST(s.ts AS INT)) FROM S3Object s" "$T/bad.csv"
cond "CastFailed mid-file: code" grep -q 'CastFailed' "$T/err"
same "CastFailed mid-file, projection" 1 -H "SELECT CAST(s.ts AS INT) FROM S3Object s" "$T/bad.csv"
cond "CastFailed mid-file, projection: the 149999 rows before it are output" [ "$(wc -l <"$T/out")" = 149999 ]
inject 120001 's001,"a"b,1.0,OK'
same "unescaped quote mid-file" 1 -H "SELECT s.ts FROM S3Object s" "$T/bad.csv"
cond "unescaped quote mid-file: record 120001" grep -q 'CSVUnescapedQuote.*record 120001' "$T/err"
same "unescaped quote mid-file, prefilter" 1 -H "SELECT s.ts FROM S3Object s WHERE s.status = 'FAIL'" "$T/bad.csv"
inject 200001 "s001,$(printf '%0300d' 0),1.0,OK"
same "OverMaxRecordSize mid-file" 1 -H --max-record-size 200 "SELECT COUNT(*) FROM S3Object" "$T/bad.csv"
cond "OverMaxRecordSize mid-file: record 200001" grep -q 'OverMaxRecordSize.*record 200001' "$T/err"
inject 180001 's001,1,9223372036854775807,OK'
same "IntegerOverflow mid-file" 1 -H "SELECT CAST(s.temperature AS INT) * 10 FROM S3Object s WHERE s.sensor_id = 's001'" "$T/bad.csv"
cond "IntegerOverflow mid-file: code" grep -q 'IntegerOverflow' "$T/err"
EARLY=0
}

MODE=ranges
cases
MODE=read
PLUCK_PREAD=0
export PLUCK_PREAD
cases
unset PLUCK_PREAD

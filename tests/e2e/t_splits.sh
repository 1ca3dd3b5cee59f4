# t_splits.sh — compressed files cut at their split points (src/source/splits.c): BGZF
# members (bgzip), zstd frames (pzstd; zstd frames concatenated; the seekable format's seek
# table) run on two threads give exactly what one thread gives: the same output bytes,
# statistics, exit status and error message (record number, byte offset, compressed offset),
# whatever the query or where an error or the LIMIT falls.  PLUCK_SPLIT_BYTES makes the
# splits small (64 KiB compressed), so the few-MiB files have dozens.  A multi-member gzip
# that is not BGZF is split at member starts found by searching for their headers, checked
# by the split before each (t_gzindex.sh has the adversarial case).
# Each format also checks a figure computed without pluck (awk over the plain file).
T="$E2E_TMP/splits"
mkdir -p "$T"
"$TOOLS/gencsv" 3M >"$T/s.csv"
ROWS=$(($(wc -l <"$T/s.csv") - 1))
PLUCK_SPLIT_BYTES=65536
export PLUCK_SPLIT_BYTES

# pack FMT PLAIN: PLAIN compressed in format FMT into $T/c
pack() {
    case $1 in
    bgzf) bgzip -c "$2" >"$T/c" ;;
    pzstd) pzstd -q -p 2 -c "$2" >"$T/c" ;;
    zstd-frames) rm -f "$T/part."*; split -b 200000 "$2" "$T/part."
        for p in "$T/part."*; do zstd -q -c "$p"; done >"$T/c" ;;
    zstd-seekable) rm -f "$T/part."*; split -b 200000 "$2" "$T/part."
        for p in "$T/part."*; do zstd -q -c "$p" >"$p.zst"; done
        python3 - "$T/c" "$T/part."*.zst <<'PY'
import struct, sys, os
out = open(sys.argv[1], "wb")
entries = b""
for f in sys.argv[2:]:
    data = open(f, "rb").read()
    out.write(data)
    plain = os.path.getsize(f[:-4])
    entries += struct.pack("<II", len(data), plain)
n = len(sys.argv) - 2
table = entries + struct.pack("<IBI", n, 0, 0x8F92EAB1)
out.write(struct.pack("<II", 0x184D2A5E, len(table)) + table)
PY
        ;;
    gzip-members) rm -f "$T/part."*; split -b 200000 "$2" "$T/part."
        for p in "$T/part."*; do gzip -c "$p"; done >"$T/c" ;;
    esac
}

same() { threads_same "$FMT" "$@"; } # lib.sh


for FMT in bgzf pzstd zstd-frames zstd-seekable gzip-members; do
    pack $FMT "$T/s.csv"
    same "aggregates" 0 -H "SELECT COUNT(*), SUM(s.temperature), MIN(s.status), MAX(s.sensor_id) FROM S3Object s" "$T/c"
    want=$(awk -F, 'NR > 1 { n++; s += $3 } END { printf "%d,%.1f\n", n, s }' "$T/s.csv")
    cond "$FMT: COUNT and SUM as awk computes them ($want)" [ "$(cut -d, -f1,2 "$T/out")" = "$want" ]
    cond "$FMT: RecordsScanned is every data row" grep -qx "RecordsScanned: $ROWS" "$T/err"
    same "filter" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
    awk -F, 'NR > 1 && $4 == "FAIL"' "$T/s.csv" >"$T/want"
    file_eq "$FMT: filter: the rows awk selects" "$T/want" "$T/out"
    same "JSON projection, no header" 0 --json "SELECT _2, _3 FROM S3Object WHERE _4 <> 'OK'" "$T/c"
    EARLY=1
    same "LIMIT" 0 -H "SELECT s.ts FROM S3Object s WHERE s.status <> 'OK' LIMIT 30000" "$T/c"
    awk -F, 'NR > 1 && $4 != "OK" { print $2 }' "$T/s.csv" | head -n 30000 >"$T/want"
    file_eq "$FMT: LIMIT: the first 30000 rows" "$T/want" "$T/out"
    inject 90001 's001,notanumber,1.0,OK'
    pack $FMT "$T/bad.csv"
    same "CastFailed mid-file" 1 -H "SELECT CAST(s.ts AS INT) FROM S3Object s" "$T/c"
    cond "$FMT: CastFailed mid-file: the 89999 rows before it" [ "$(wc -l <"$T/out")" = 89999 ]
    cond "$FMT: CastFailed mid-file: record 90001" grep -q 'CastFailed.*record 90001' "$T/err"
    inject 70001 's001,"a"b,1.0,OK'
    pack $FMT "$T/bad.csv"
    same "unescaped quote mid-file" 1 -H "SELECT s.ts FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
    cond "$FMT: unescaped quote mid-file: record 70001" grep -q 'CSVUnescapedQuote.*record 70001' "$T/err"
    # damaged compressed data in the middle, and a file cut short
    pack $FMT "$T/s.csv"
    size=$(wc -c <"$T/c")
    cp "$T/c" "$T/d"
    printf '\377\377\377\377\377\377\377\377' | dd of="$T/d" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    same "damaged mid-file" 1 -H "SELECT s.sensor_id, s.ts FROM S3Object s" "$T/d"
    head -c $((size * 2 / 3)) "$T/c" >"$T/d"
    same "truncated" 1 -H "SELECT s.sensor_id FROM S3Object s WHERE s.status <> 'OK'" "$T/d"
    cond "$FMT: truncated: TruncatedInput" grep -q 'TruncatedInput' "$T/err"
    EARLY=0
done
unset PLUCK_SPLIT_BYTES

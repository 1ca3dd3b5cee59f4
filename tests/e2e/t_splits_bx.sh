# t_splits_bx.sh — bzip2 and xz files cut at their blocks (src/codec/bzip2_blocks.c,
# xz_blocks.c): bzip2 -1 (100 kB blocks), pbzip2 (concatenated streams), lbzip2, xz with
# small blocks (xz -T2 --block-size) and concatenated xz streams.  Against oracles pluck does
# not share: `bzip2 -dc` / `xz -dc` for every byte of SELECT *, awk over the plain file for
# counts, sums and selected rows.  --threads 1, 2 and 4 give the same stdout, the same stderr
# (--stats minus Elapsed) and the same exit status, also for LIMIT, a CastFailed in the
# middle of the file and damaged compressed data (a damaged bzip2 or xz block gives none of
# its bytes: the output is the rows before it, a prefix of the undamaged output).
# Crafted bzip2 data whose compressed form holds false block and end-of-stream magics (each
# block's symbol bitmap spells one) decodes exactly.  PLUCK_SPLIT_BYTES makes splits small.
# Crafted damage no block check sees (bzip2 blocks swapped, repeated or dropped; an xz index
# that lies with valid CRCs) is TruncatedInput as bzip2 -t / xz -t say; input that begins
# past offset 0 of stdin; run-length bzip2 blocks of ~40 MB decode in bounded memory.
T="$E2E_TMP/splits_bx"
mkdir -p "$T"
"$TOOLS/gencsv" 1M >"$T/s.csv"
PLUCK_SPLIT_BYTES=65536
export PLUCK_SPLIT_BYTES

# crafted CSV: every block uses exactly the byte values of three consecutive 16-byte ranges
# whose bitmap words spell the 48-bit magic (0x3141 0x5926 0x5359: the block magic,
# 0x1772 0x4538 0x5090: the end-of-stream magic)
python3 - "$T" <<'PY'
import random, sys
t = sys.argv[1]
def used(word, base):
    return "".join(chr(base + i) for i in range(16) if word >> (15 - i) & 1)
def make(name, head, a, b, c, free, seed):
    rnd = random.Random(seed)
    must = a + b + c
    with open(f"{t}/{name}.csv", "w") as f:
        f.write(head + "\n")
        for i in range(60000):
            w = "".join(rnd.choice(must + free) for _ in range(8))
            f.write(f"{rnd.choice(a)}{rnd.choice(a)},{w},{must[i % len(must)]}\n")
# the header uses no byte of the spelling ranges either
make("fakeblock", "id,word,tag", used(0x3141, 0x30), used(0x5926, 0x40), used(0x5359, 0x50), "pqrstxyz", 7)
make("fakeend", "ka,ch,ac", used(0x1772, 0x40), used(0x4538, 0x50), used(0x5090, 0x60), "pqrstxyz", 8)
PY

# magics FILE: the bit offsets of 48-bit block or end magics (true and false) in FILE
magics() {
    python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
d, n = int.from_bytes(b, "big"), len(b)
pats = [m.to_bytes(6, "big") for m in (0x314159265359, 0x177245385090)]
total = 0
for s in range(8):  # a magic at bit 8k + s is byte-aligned in the data shifted left by s
    sh = ((d << s) & ((1 << (8 * n)) - 1)).to_bytes(n, "big")
    total += sum(sh.count(p) for p in pats)
print(total)
PY
}

# pack FMT PLAIN: PLAIN compressed as FMT into $T/c
pack() {
    case $1 in
    bzip2-1) bzip2 -1 -c "$2" >"$T/c" ;;
    pbzip2) pbzip2 -1 -p2 -c "$2" >"$T/c" ;;
    lbzip2) lbzip2 -1 -n 2 -c "$2" >"$T/c" ;;
    xz-blocks) xz -T2 --block-size=100000 -c "$2" >"$T/c" ;;
    xz-streams) rm -f "$T/part."*; split -b 300000 "$2" "$T/part."
        for p in "$T/part."*; do xz -2 --block-size=120000 -c "$p"; done >"$T/c" ;;
    esac
}
unpack() { case $FMT in xz*) xz -dc "$1" ;; *) bzip2 -dc "$1" ;; esac; }

# alike NAME WANT_RC PLUCK_ARGS...: threads 1 and each of $MORE (default 2) agree (stdout,
# stderr minus Elapsed and the cores notice, exit status WANT_RC); stdout in $T/out, stderr in
# $T/err
alike() {
    _n="$FMT: $1" _w=$2 _more=${MORE:-2}
    shift 2
    for _t in 1 $_more; do
        "$PLUCK" --threads $_t --stats "$@" >"$T/out$_t" 2>"$T/raw$_t"
        echo "exit $?" >>"$T/raw$_t"
        grep -v '^Elapsed\|this machine has' "$T/raw$_t" >"$T/err$_t"
    done
    cond "$_n: exit status $_w" grep -qx "exit $_w" "$T/err1"
    for _t in $_more; do
        file_eq "$_n: stdout, 1 vs $_t threads" "$T/out1" "$T/out$_t"
        file_eq "$_n: stderr and stats, 1 vs $_t threads" "$T/err1" "$T/err$_t"
    done
    cp "$T/out1" "$T/out"
    cp "$T/err1" "$T/err"
}

for FMT in bzip2-1 pbzip2 lbzip2 xz-blocks xz-streams; do
    pack $FMT "$T/s.csv"
    cp "$T/c" "$T/good"
    MORE="2 4"
    alike "SELECT *" 0 "SELECT * FROM S3Object" "$T/c"
    MORE=2
    unpack "$T/c" >"$T/want"
    file_eq "$FMT: SELECT * is what the codec's own tool decompresses" "$T/want" "$T/out"
    alike "aggregates" 0 -H "SELECT COUNT(*), SUM(s.temperature) FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
    want=$(awk -F, 'NR > 1 && $4 == "FAIL" { n++; s += $3 } END { printf "%d,%.1f\n", n, s }' "$T/s.csv")
    cond "$FMT: COUNT and SUM as awk computes them ($want)" [ "$(cat "$T/out")" = "$want" ]
    alike "filter and projection" 0 -H --json "SELECT s.sensor_id, s.ts FROM S3Object s WHERE s.status <> 'OK'" "$T/c"
    cond "$FMT: filter: as many rows as awk selects" \
        [ "$(wc -l <"$T/out")" = "$(awk -F, 'NR > 1 && $4 != "OK"' "$T/s.csv" | wc -l)" ]
    alike "LIMIT" 0 -H "SELECT s.ts FROM S3Object s WHERE s.status <> 'OK' LIMIT 7000" "$T/c"
    awk -F, 'NR > 1 && $4 != "OK" { print $2 }' "$T/s.csv" | head -n 7000 >"$T/want"
    file_eq "$FMT: LIMIT: the first 7000 rows awk selects" "$T/want" "$T/out"
    awk 'NR == 30001 { print "s001,notanumber,1.0,OK" } { print }' "$T/s.csv" >"$T/bad.csv"
    pack $FMT "$T/bad.csv"
    MORE="2 4"
    alike "CastFailed mid-file" 1 -H "SELECT CAST(s.ts AS INT) FROM S3Object s" "$T/c"
    MORE=2
    cond "$FMT: CastFailed mid-file: record 30001, after its 29999 rows" \
        sh -c 'grep -q "CastFailed.*record 30001" "$1/err" && [ "$(wc -l <"$1/out")" = 29999 ]' - "$T"
    # damaged compressed data in the middle: an error after the rows before the damage (bzip2:
    # exactly the blocks before it, a prefix of the data; xz hands a block's bytes over as they
    # decode, so a damaged block's first bytes may come before its check fails)
    cp "$T/good" "$T/c"
    size=$(wc -c <"$T/c")
    printf '\377\377\377\377\377\377' | dd of="$T/c" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    MORE="2 4"
    alike "damaged mid-file" 1 "SELECT * FROM S3Object" "$T/c"
    MORE=2
    case $FMT in xz*) _pre=$(($(wc -l <"$T/out") / 2)) ;; *) _pre=$(wc -l <"$T/out") ;; esac
    cond "$FMT: damaged mid-file: TruncatedInput after the rows before the damage" \
        sh -c 'grep -q TruncatedInput "$1/err" && [ "$2" -gt 0 ] && head -n "$2" "$1/out" | cmp -s - "$1/s.csv" -n "$(head -n "$2" "$1/out" | wc -c)"' - "$T" "$_pre"
    head -c $((size * 2 / 3)) "$T/good" >"$T/d"
    alike "truncated" 1 "SELECT s._1 FROM S3Object s WHERE s._4 <> 'OK'" "$T/d"
    cond "$FMT: truncated: TruncatedInput" grep -q TruncatedInput "$T/err"
done

# false magics: more magics in the compressed bytes than blocks and stream ends
for f in fakeblock fakeend; do
    FMT="bzip2 with false magics ($f)"
    bzip2 -1 -c "$T/$f.csv" >"$T/c"
    blocks=$(bzip2 -dc "$T/c" | wc -c | awk '{ print int(($1 + 99999) / 100000) }')
    cond "$FMT: the compressed file holds false magics ($(magics "$T/c") magics, about $blocks blocks)" \
        [ "$(magics "$T/c")" -gt $((blocks + 1 + blocks / 2)) ]
    alike "SELECT *" 0 "SELECT * FROM S3Object" "$T/c"
    file_eq "$FMT: SELECT * is what bzip2 -dc gives" "$T/$f.csv" "$T/out"
    alike "COUNT" 0 "SELECT COUNT(*) FROM S3Object s WHERE s._2 LIKE '%x%'" "$T/c"
    cond "$FMT: COUNT as awk counts" [ "$(cat "$T/out")" = "$(awk -F, '$2 ~ /x/' "$T/$f.csv" | wc -l)" ]
done
# bzip2: blocks swapped, repeated or left out (each intact: only the stream's combined CRC,
# checked across splits, tells).  The verdict is bzip2 -t's; the rows are those of the same
# blocks in a stream whose combined CRC matches them (bzip2 -dc of it: libbz2 hands a block's
# data out before the end check), then TruncatedInput at the stream's end; the one-thread
# stream decoder (a pipe) fails too.  A damaged stream before an intact one ends the output
# at its end.
FMT="bzip2 blocks out of order"
bzip2 -1 -c "$T/s.csv" >"$T/good"
nb=$(python3 "$ROOT/tests/e2e/bz2blocks.py" "$T/good" count)
cond "$FMT: the tool finds as many blocks as the data makes ($nb)" \
    [ "$nb" = "$(awk -v n="$(wc -c <"$T/s.csv")" 'BEGIN { print int((n + 99999) / 100000) }')" ]
seq_to() { seq -s, 0 $(($1 - 1)); }
for kind in swap dup drop; do
    case $kind in
    swap) order=$(seq_to "$nb" | awk -F, -v OFS=, '{ t = $3; $3 = $9; $9 = t; print }') ;;
    dup) order=$(seq_to "$nb" | sed 's/,5,/,5,5,/') ;;
    drop) order=$(seq_to "$nb" | sed 's/,4,/,/') ;;
    esac
    python3 "$ROOT/tests/e2e/bz2blocks.py" "$T/good" "$T/c" "$order"
    python3 "$ROOT/tests/e2e/bz2blocks.py" "$T/good" "$T/fix" "$order" fix
    bzip2 -dc "$T/fix" >"$T/want"
    cond "$FMT ($kind): bzip2 -t rejects it and accepts the same blocks with their CRC" \
        sh -c '! bzip2 -t "$1" 2>/dev/null && bzip2 -t "$2"' - "$T/c" "$T/fix"
    MORE="2 4"
    alike "$kind: SELECT *" 1 "SELECT * FROM S3Object" "$T/c"
    MORE=2
    cond "$FMT ($kind): TruncatedInput naming the combined CRC" grep -q "TruncatedInput.*combined CRC" "$T/err"
    file_eq "$FMT ($kind): the rows of its blocks, as bzip2 -dc gives them" "$T/want" "$T/out"
    err "$FMT ($kind): the stream decoder (a pipe) fails too" 1 TruncatedInput \
        sh -c '"$1" "SELECT COUNT(*) FROM S3Object" <"$2"' - "$PLUCK" "$T/c"
    alike "$kind, its CRC matching: COUNT" 0 "SELECT COUNT(*) FROM S3Object" "$T/fix"
    cond "$FMT ($kind, CRC matching): COUNT as wc counts" [ "$(cat "$T/out")" = "$(wc -l <"$T/want" | tr -d ' ')" ]
done
cat "$T/c" "$T/good" >"$T/d" # the dropped-block stream, then an intact one
alike "damaged stream, then an intact one" 1 "SELECT * FROM S3Object" "$T/d"
file_eq "$FMT: output ends where the damaged stream ends" "$T/want" "$T/out"

# xz: an index that lies (records rewritten, their CRC32s and the footer fixed so liblzma's
# own index check passes): xz -t rejects it, and so does every split run and the stream
# decoder (a pipe), with TruncatedInput.  xz -T2 writes sizes in block headers (checked before
# a block's bytes), xz -2 --block-size does not (checked at the block's end).
for FMT in xz-blocks xz-streams; do
    pack $FMT "$T/s.csv"
    cp "$T/c" "$T/good"
    for lie in "usize 0 1 5" "unpadded 0 1" "merge 0"; do
        python3 "$ROOT/tests/e2e/xzindex.py" "$T/good" "$T/c" $lie
        cond "$FMT ($lie): xz -t rejects it" sh -c '! xz -t "$1" 2>/dev/null' - "$T/c"
        MORE="2 4"
        alike "index lies ($lie)" 1 "SELECT COUNT(*) FROM S3Object" "$T/c"
        MORE=2
        cond "$FMT ($lie): TruncatedInput, the index named" grep -q "TruncatedInput.*index" "$T/err"
        err "$FMT ($lie): the stream decoder (a pipe) fails too" 1 TruncatedInput \
            sh -c '"$1" "SELECT COUNT(*) FROM S3Object" <"$2"' - "$PLUCK" "$T/c"
    done
done

# input that begins past offset 0 of the descriptor (stdin opened at an offset): split
# offsets are the file's, the compressed stream starts where the descriptor stands, and
# what comes before it (other bytes, another xz stream of another check type) is never read
head -c 300000 "$T/s.csv" | xz -C sha256 >"$T/pre"
printf 'not compressed data\n' >>"$T/pre"
for FMT in bzip2-1 xz-blocks; do
    pack $FMT "$T/s.csv"
    cat "$T/pre" "$T/c" >"$T/d"
    skip=$(wc -c <"$T/pre")
    for t in 1 2; do
        ( dd bs=1 skip="$skip" count=0 2>/dev/null
          "$PLUCK" --threads $t "SELECT * FROM S3Object" ) <"$T/d" >"$T/out$t" 2>"$T/err$t"
        cond "$FMT: stdin at offset $skip, --threads $t: exit 0" [ $? = 0 ]
        file_eq "$FMT: stdin at offset $skip, --threads $t: SELECT * is the data" "$T/s.csv" "$T/out$t"
    done
done

# a bzip2 block of run-length data (one block of 900 kB makes ~40 MB): decoded twice (once to
# check it, once handed out in pieces), never held whole; the answer is Python's
python3 -c '
import sys
w = sys.stdout.write
w("fill,n\n")
for i in range(50000):
    w("a" * 1000 + ",%d\n" % i)' | bzip2 -9 >"$T/c"
FMT="bzip2 run-length blocks"
PLUCK_SPLIT_BYTES=16384 # a split a block
alike "SUM" 0 -H "SELECT COUNT(*), SUM(CAST(n AS INT)), MAX(CHAR_LENGTH(fill)) FROM S3Object" "$T/c"
cond "$FMT: COUNT, SUM and MAX as Python computes them" [ "$(cat "$T/out")" = "50000,1249975000,1000" ]
if [ "${SANITIZE:-}" != 1 ]; then
    "$TOOLS/rssof" "$PLUCK" --threads 1 -H "SELECT COUNT(*) FROM S3Object" "$T/c" >/dev/null 2>"$T/err"
    kib=$(sed -n 's/^maxrss_kib //p' "$T/err")
    echo "  peak RSS ${kib:-?} KiB over ~40 MB bzip2 blocks"
    cond "$FMT: peak RSS ${kib:-?} KiB < 32768 KiB (a block is not held whole)" [ "${kib:-999999}" -lt 32768 ]
fi

unset PLUCK_SPLIT_BYTES
rm -f "$T/c" "$T/d" "$T/good" "$T/part."* "$T/fix" "$T/pre"

# t_gzindex.sh — single-member gzip files split at the checkpoints of their index
# (pluck index, FILE.pluckidx, pluck-index(5); src/source/gzindex.c): with the index, two
# threads give exactly what one thread gives (stdout, --stats, exit status, error message
# with its record and byte), whatever the query or where an error or the LIMIT falls.  An
# index that is stale, damaged, truncated or not an index is ignored with a warning and the
# answer is still right; an index that lies about the data (checkpoint CRC-32 or offset
# rewritten, its checksum made good again) is an error, never a wrong answer.  Oracles:
# gzip -dc / zcat, awk over the plain file, and the one-thread run.  --spacing 64K and
# PLUCK_SPLIT_BYTES make the few-MiB files have about ten splits.
T="$E2E_TMP/gzindex"
mkdir -p "$T"
"$TOOLS/gencsv" 3M >"$T/s.csv"
ROWS=$(($(wc -l <"$T/s.csv") - 1))
PLUCK_SPLIT_BYTES=65536
export PLUCK_SPLIT_BYTES

# pack PLAIN: PLAIN as one gzip member into $T/c, and its index $T/c.pluckidx
pack() {
    gzip -6 -c "$1" >"$T/c"
    rm -f "$T/c.pluckidx"
    "$PLUCK" index --spacing 64K "$T/c" || echo "FAIL: pluck index $1"
}

same() { threads_same "gzindex" "$@"; } # lib.sh


# patch FIELD CHECKPOINT DELTA: add DELTA to a checkpoint's field of $T/c.pluckidx (crc or
# uoff) and make the index's checksum good again: an index that lies about the data.
patch() {
    python3 - "$T/c.pluckidx" "$1" "$2" "$3" <<'PY'
import struct, sys, zlib
path, field, k, delta = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d = bytearray(open(path, "rb").read())
e = 56 + 32 * k
if field == "crc":
    struct.pack_into("<I", d, e + 16, (struct.unpack_from("<I", d, e + 16)[0] + delta) & 0xffffffff)
else:
    struct.pack_into("<Q", d, e + 8, struct.unpack_from("<Q", d, e + 8)[0] + delta)
struct.pack_into("<I", d, len(d) - 4, zlib.crc32(bytes(d[:-4])))
open(path, "wb").write(bytes(d))
PY
}

pack "$T/s.csv"
cond "gzindex: pluck index writes c.pluckidx" [ -s "$T/c.pluckidx" ]
npts=$(python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(), 48)[0])" "$T/c.pluckidx")
cond "gzindex: the index has several checkpoints ($npts)" [ "$npts" -ge 6 ]
want="$T/c.pluckidx: $npts checkpoints (1 members), $(wc -c <"$T/c") compressed bytes, $(wc -c <"$T/s.csv") decompressed; index $(wc -c <"$T/c.pluckidx") bytes"
got=$("$PLUCK" index -v --spacing 64K "$T/c" | sed 's/; [0-9.]* s$//')
cond "gzindex: pluck index -v names what it wrote" [ "$got" = "$want" ]

same "aggregates" 0 -H "SELECT COUNT(*), SUM(s.temperature), MIN(s.status), MAX(s.sensor_id) FROM S3Object s" "$T/c"
want=$(awk -F, 'NR > 1 { n++; s += $3 } END { printf "%d,%.1f\n", n, s }' "$T/s.csv")
cond "gzindex: COUNT and SUM as awk computes them ($want)" [ "$(cut -d, -f1,2 "$T/out")" = "$want" ]
cond "gzindex: RecordsScanned is every data row" grep -qx "RecordsScanned: $ROWS" "$T/err"
same "filter" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
awk -F, 'NR > 1 && $4 == "FAIL"' "$T/s.csv" >"$T/want"
file_eq "gzindex: filter: the rows awk selects" "$T/want" "$T/out"
same "SELECT * is the file (zcat)" 0 "SELECT * FROM S3Object" "$T/c"
zcat "$T/c" >"$T/want"
file_eq "gzindex: SELECT *: what zcat gives" "$T/want" "$T/out"
same "JSON projection, no header" 0 --json "SELECT _2, _3 FROM S3Object WHERE _4 <> 'OK'" "$T/c"
EARLY=1
same "LIMIT" 0 -H "SELECT s.ts FROM S3Object s WHERE s.status <> 'OK' LIMIT 30000" "$T/c"
awk -F, 'NR > 1 && $4 != "OK" { print $2 }' "$T/s.csv" | head -n 30000 >"$T/want"
file_eq "gzindex: LIMIT: the first 30000 rows" "$T/want" "$T/out"

# other encoders' block structures: stored blocks (level 0), igzip's empty last block after
# the data, sync and full flushes; every checkpoint its own split
PLUCK_SPLIT_BYTES=1
for enc in "gzip -1" "gzip -9" "igzip -0" "igzip -3" stored flushes; do
    case $enc in
    stored) python3 -c "import gzip, sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1], 'rb').read(), 0, mtime=0))" "$T/s.csv" >"$T/e.gz" ;;
    flushes) python3 - "$T/s.csv" "$T/e.gz" <<'PY'
import sys, zlib
d = open(sys.argv[1], "rb").read()
c = zlib.compressobj(1, zlib.DEFLATED, 31)
out = b""
for i in range(0, len(d), 50000):
    out += c.compress(d[i:i + 50000]) + c.flush(zlib.Z_FULL_FLUSH if i % 100000 else zlib.Z_SYNC_FLUSH)
open(sys.argv[2], "wb").write(out + c.flush())
PY
        ;;
    *) $enc -c "$T/s.csv" >"$T/e.gz" ;;
    esac
    rm -f "$T/e.gz.pluckidx"
    "$PLUCK" index --spacing 16K "$T/e.gz"
    same "$enc, SELECT *" 0 "SELECT * FROM S3Object" "$T/e.gz"
    file_eq "gzindex: $enc: SELECT * is the file" "$T/s.csv" "$T/out"
done
PLUCK_SPLIT_BYTES=65536

# zlib alone (PLUCK_INFLATE=zlib, as in a build without ISA-L) resumes inside the member
# too (raw inflate, inflatePrime, inflateSetDictionary): the same answers, and damage that
# only the CRC-32 sees is caught at a checkpoint
pack "$T/s.csv"
PLUCK_INFLATE=zlib
export PLUCK_INFLATE
same "zlib, SELECT *" 0 "SELECT * FROM S3Object" "$T/c"
file_eq "gzindex: zlib: SELECT * is the file" "$T/s.csv" "$T/out"
cond "gzindex: zlib: the codec named" grep -q 'Codec: gzip (zlib)' "$T/err"
size=$(wc -c <"$T/c")
cp "$T/c.pluckidx" "$T/d.pluckidx"
cp "$T/c" "$T/d"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/d" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
err "gzindex: zlib: damage only a CRC-32 sees: an error at a checkpoint" 1 "does not match its index" \
    "$PLUCK" --threads 2 -H "SELECT s.sensor_id FROM S3Object s" "$T/d"
unset PLUCK_INFLATE

# errors mid-file: the index of the bad file, the same error at the same record
inject 90001 's001,notanumber,1.0,OK'
pack "$T/bad.csv"
same "CastFailed mid-file" 1 -H "SELECT CAST(s.ts AS INT) FROM S3Object s" "$T/c"
cond "gzindex: CastFailed mid-file: the 89999 rows before it" [ "$(wc -l <"$T/out")" = 89999 ]
cond "gzindex: CastFailed mid-file: record 90001" grep -q 'CastFailed.*record 90001' "$T/err"
inject 70001 's001,"a"b,1.0,OK'
pack "$T/bad.csv"
same "unescaped quote mid-file" 1 -H "SELECT s.ts FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
cond "gzindex: unescaped quote mid-file: record 70001" grep -q 'CSVUnescapedQuote.*record 70001' "$T/err"

# damaged deflate data after the index was built (same size, head and tail): the split
# holding the damage fails as the one-thread run does, at the same place (here the damage
# makes an invalid block)
pack "$T/s.csv"
size=$(wc -c <"$T/c")
cp "$T/c.pluckidx" "$T/d.pluckidx"
cp "$T/c" "$T/d"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/d" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
same "damaged mid-file, index still matching" 1 -H "SELECT s.sensor_id, s.ts FROM S3Object s" "$T/d"
cond "gzindex: damaged mid-file: TruncatedInput, invalid block" grep -q 'TruncatedInput.*invalid block' "$T/err"
cond "gzindex: damaged mid-file: the index was not called stale" sh -c "! grep -q warning '$T/err'"
# damage that still decodes (only a CRC-32 sees it): one thread finds it at the member's
# end, after the rows decoded from it; with the index the split holding it fails at its
# checkpoint, so its output is the same rows cut shorter
cp "$T/c" "$T/d"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/d" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$PLUCK" --threads 1 -H "SELECT s.sensor_id, s.ts FROM S3Object s" "$T/d" >"$T/out1" 2>"$T/err1"
r1=$?
"$PLUCK" --threads 2 -H "SELECT s.sensor_id, s.ts FROM S3Object s" "$T/d" >"$T/out" 2>"$T/err"
r2=$?
cond "gzindex: damage only a CRC-32 sees: both fail ($r1, $r2)" [ $r1 = 1 -a $r2 = 1 ]
# (ISA-L reads the whole trailer before it checks; zlib, in a build without ISA-L, the CRC-32)
cond "gzindex: damage only a CRC-32 sees: one thread, at the trailer" grep -Eq 'TruncatedInput.*incorrect data check\) at compressed offset ('"$size|$((size - 4))"')\.' "$T/err1"
cond "gzindex: damage only a CRC-32 sees: two threads, at a checkpoint" grep -q 'TruncatedInput.*corrupt or does not match its index' "$T/err"
head -c "$(wc -c <"$T/out")" "$T/out1" >"$T/want"
file_eq "gzindex: damage only a CRC-32 sees: two threads' rows begin one thread's" "$T/want" "$T/out"
cond "gzindex: damage only a CRC-32 sees: two threads stop sooner" [ "$(wc -l <"$T/out")" -lt "$(wc -l <"$T/out1")" ]
EARLY=0

# stale, damaged, truncated, foreign indexes: a warning, and the right answer
Q="SELECT COUNT(*), SUM(s.temperature) FROM S3Object s WHERE s.status <> 'OK'"
"$PLUCK" --threads 1 -H "$Q" "$T/c" >"$T/want1"
stale() {
    "$PLUCK" --threads 2 -H "$Q" "$T/d" >"$T/out" 2>"$T/err"
    cond "gzindex: $1: exit 0" [ $? = 0 ]
    file_eq "gzindex: $1: the right answer" "$T/want1" "$T/out"
    cond "gzindex: $1: a warning naming the index ($2)" grep -q "warning: $T/d.pluckidx: .*$2.*Ignoring it" "$T/err"
}
cp "$T/c" "$T/d"
cp "$T/c.pluckidx" "$T/d.pluckidx"
cat "$T/c" >>"$T/d"
"$PLUCK" --threads 1 -H "$Q" "$T/d" >"$T/want1"
stale "the file grew" "stale.*built for a file of $size bytes"
"$PLUCK" --threads 1 -H "$Q" "$T/c" >"$T/want1"
cp "$T/c" "$T/d"
printf 'X' | dd of="$T/d" bs=1 seek=5 conv=notrunc 2>/dev/null # MTIME: still valid gzip
stale "the file's head changed" "stale.*first or last bytes"
cp "$T/c" "$T/d"
isz=$(wc -c <"$T/c.pluckidx")
printf 'X' | dd of="$T/d.pluckidx" bs=1 seek=$((isz / 2)) conv=notrunc 2>/dev/null
stale "a byte of the index changed" "checksum"
head -c $((isz - 100)) "$T/c.pluckidx" >"$T/d.pluckidx"
stale "the index cut short" "checksum"
head -c 5000 "$T/s.csv" >"$T/d.pluckidx"
stale "not an index" "not a pluck index"
: >"$T/d.pluckidx"
stale "an empty index" "not a pluck index"

# an index that lies about the data, its checksum good: an error, never a wrong answer
for lie in "crc 3 1" "uoff 3 1" "uoff 3 -100"; do
    cp "$T/c.pluckidx" "$T/keep.pluckidx"
    # shellcheck disable=SC2086
    patch $lie
    "$PLUCK" --threads 2 -H "$Q" "$T/c" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc = 0 ]; then
        file_eq "gzindex: a lying index ($lie): when it succeeds the answer is right" "$T/want1" "$T/out"
    else
        cond "gzindex: a lying index ($lie): TruncatedInput naming the index" grep -q 'TruncatedInput.*does not match its index' "$T/err"
    fi
    cond "gzindex: a lying index ($lie) fails (exit $rc)" [ $rc = 1 ]
    mv "$T/keep.pluckidx" "$T/c.pluckidx"
done

# --write-index writes what pluck index writes, recorded by the query's own decode (one or
# two threads, ISA-L or zlib), or after a query that stopped at its LIMIT
mv "$T/c.pluckidx" "$T/ref.pluckidx"
"$PLUCK" index "$T/c"
mv "$T/c.pluckidx" "$T/ref.pluckidx"
for inflate in isal zlib; do
    for th in 1 2; do
        rm -f "$T/c.pluckidx"
        PLUCK_INFLATE=$inflate "$PLUCK" --threads $th --write-index -H "$Q" "$T/c" >"$T/out"
        cond "gzindex: --write-index ($inflate, $th threads): exit 0" [ $? = 0 ]
        file_eq "gzindex: --write-index ($inflate, $th threads): the query's answer" "$T/want1" "$T/out"
        file_eq "gzindex: --write-index ($inflate, $th threads): the index pluck index writes" "$T/ref.pluckidx" "$T/c.pluckidx"
    done
done
rm -f "$T/c.pluckidx"
"$PLUCK" --threads 1 --write-index -H "SELECT s.ts FROM S3Object s LIMIT 3" "$T/c" >"$T/out"
cond "gzindex: --write-index after a LIMIT: exit 0, 3 rows" [ $? = 0 -a "$(wc -l <"$T/out")" = 3 ]
file_eq "gzindex: --write-index after a LIMIT: the index pluck index writes" "$T/ref.pluckidx" "$T/c.pluckidx"
head -c $((size / 2)) "$T/c" >"$T/d"
rm -f "$T/d.pluckidx"
err "gzindex: --write-index on a truncated gzip: says why, exit 1" 1 "--write-index: $T/d: TruncatedInput" \
    "$PLUCK" --write-index -H "$Q" "$T/d"
cond "gzindex: --write-index on a truncated gzip: no index" [ ! -e "$T/d.pluckidx" ]
# the index is written through a new, randomly named temporary file created exclusively: a
# symlink planted in the directory at the name pluck once used (FILE.pluckidx.tmpPID: the
# shell's $$ is pluck's pid after exec) or at guessable names is never followed, and a
# symlink at FILE.pluckidx itself is replaced, not written through
echo "not to be touched" >"$T/victim"
cp "$T/victim" "$T/victim.want"
rm -f "$T/c.pluckidx"
for g in .tmp .tmp. .tmp.0 .tmp.0000000000000000 .tmp.ffffffffffffffff .tmp1 .tmp.1; do
    ln -s "$T/victim" "$T/c.pluckidx$g"
done
sh -c 'ln -s "$2" "$1.pluckidx.tmp$$" && exec "$3" index "$1"' sh "$T/c" "$T/victim" "$PLUCK"
cond "gzindex: planted symlinks: pluck index exit 0" [ $? = 0 ]
file_eq "gzindex: planted symlinks: their target is intact" "$T/victim.want" "$T/victim"
file_eq "gzindex: planted symlinks: the index is pluck index's" "$T/ref.pluckidx" "$T/c.pluckidx"
cond "gzindex: planted symlinks: left as they were" [ "$(find "$T" -name 'c.pluckidx.tmp*' -type l | wc -l)" = 8 ]
rm -f "$T/c.pluckidx.tmp"*
ln -sf "$T/victim" "$T/c.pluckidx"
"$PLUCK" index "$T/c"
file_eq "gzindex: a symlink at FILE.pluckidx: its target is intact" "$T/victim.want" "$T/victim"
cond "gzindex: a symlink at FILE.pluckidx: replaced by the index" [ -f "$T/c.pluckidx" -a ! -L "$T/c.pluckidx" ]
rm -f "$T/c.pluckidx"
mkdir "$T/c.pluckidx"
err "gzindex: FILE.pluckidx cannot be replaced: says so, exit 1" 1 "cannot write '$T/c.pluckidx'" \
    "$PLUCK" index "$T/c"
cond "gzindex: FILE.pluckidx cannot be replaced: no temporary file left" [ -z "$(find "$T" -name 'c.pluckidx.tmp*')" ]
rmdir "$T/c.pluckidx"
err "gzindex: pluck index of a plain file: InvalidCompressionFormat" 1 "InvalidCompressionFormat" \
    "$PLUCK" index "$T/s.csv"
cond "gzindex: no index left beside the plain file" [ ! -e "$T/s.csv.pluckidx" ]
err "gzindex: pluck index --spacing 0: usage error" 2 "not a size" "$PLUCK" index --spacing 0 "$T/c"
err "gzindex: pluck index without FILE: usage error" 2 "missing FILE" "$PLUCK" index

# members of a multi-member file are checkpoints too (with zlib as with ISA-L)
rm -f "$T/part."*
split -b 700000 "$T/s.csv" "$T/part."
for p in "$T/part."*; do gzip -c "$p"; done >"$T/c"
"$PLUCK" index --spacing 64K "$T/c"
same "multi-member with an index" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
awk -F, 'NR > 1 && $4 == "FAIL"' "$T/s.csv" >"$T/want"
file_eq "gzindex: multi-member: the rows awk selects" "$T/want" "$T/out"
PLUCK_INFLATE=zlib
export PLUCK_INFLATE
same "multi-member with an index, zlib" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/c"
file_eq "gzindex: multi-member, zlib: the rows awk selects" "$T/want" "$T/out"
unset PLUCK_INFLATE
rm -f "$T/c.pluckidx"

# multi-member gzip without an index: members found by searching for headers are split
# points (src/source/splits.c), the same answers
same "multi-member, no index" 0 -H "SELECT COUNT(*), SUM(s.temperature) FROM S3Object s" "$T/c"
cond "gzindex: multi-member, no index: COUNT and SUM as awk computes them" [ "$(cut -d, -f1,2 "$T/out")" = "$want" ]
# ... also when a member's data holds another gzip member verbatim (a stored block): that
# false member start passes every check of its header and data; the split before it finds
# its bytes do not end at a member's end and decodes on to the end of the file
python3 - "$T/s.csv" "$T/adv.gz" <<'PY'
import gzip, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
part = lambda a, b: b"\n".join(lines[a:b]) + b"\n"
inner = gzip.compress(part(60000, 62000), compresslevel=0, mtime=0)
middle = part(30000, 60000) + inner + b"\n" + part(62000, 90000)
data = (gzip.compress(part(0, 30000), 6, mtime=0) + gzip.compress(middle, 0, mtime=0) +
        gzip.compress(b"\n".join(lines[90000:]), 6, mtime=0))
open(sys.argv[2], "wb").write(data)
PY
same "a gzip member stored inside another" 0 --quote-character '' "SELECT COUNT(*), MAX(_2) FROM S3Object" "$T/adv.gz"
cond "gzindex: a member stored inside another: COUNT(*) is zcat's line count" [ "$(cut -d, -f1 "$T/out")" = "$(zcat "$T/adv.gz" | wc -l)" ]
same "a gzip member stored inside another, SELECT *" 0 --quote-character '' "SELECT _1, _2 FROM S3Object WHERE _4 = 'FAIL'" "$T/adv.gz"

# BGZF with bgzip's index (bgzip -i: FILE.gzi): the members it lists are split points
bgzip -i -I "$T/g.gz.gzi" -c "$T/s.csv" >"$T/g.gz"
same "BGZF with a .gzi" 0 -H "SELECT * FROM S3Object s WHERE s.status = 'FAIL'" "$T/g.gz"
awk -F, 'NR > 1 && $4 == "FAIL"' "$T/s.csv" >"$T/want"
file_eq "gzindex: BGZF with a .gzi: the rows awk selects" "$T/want" "$T/out"
cond "gzindex: BGZF with a .gzi: no warning" sh -c "! grep -q warning '$T/err'"
"$PLUCK" --threads 1 -H "$Q" "$T/g.gz" >"$T/want1"
gzi_bad() {
    "$PLUCK" --threads 2 -H "$Q" "$T/g.gz" >"$T/out" 2>"$T/err"
    cond "gzindex: $1: exit 0" [ $? = 0 ]
    file_eq "gzindex: $1: the right answer" "$T/want1" "$T/out"
    cond "gzindex: $1: a warning naming the .gzi" grep -q "warning: $T/g.gz.gzi: .*$2.*Ignoring it" "$T/err"
}
cp "$T/g.gz.gzi" "$T/keep.gzi"
python3 - "$T/g.gz.gzi" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack_from("<Q", d)[0]
for i in range(n):  # every compressed offset moved 5 bytes on: no member starts there
    struct.pack_into("<Q", d, 8 + 16 * i, struct.unpack_from("<Q", d, 8 + 16 * i)[0] + 5)
open(sys.argv[1], "wb").write(bytes(d))
PY
gzi_bad "a .gzi whose offsets are not member starts" "no BGZF member starts"
head -c 100 "$T/keep.gzi" >"$T/g.gz.gzi"
gzi_bad "a .gzi cut short" "not a bgzip index"
mv "$T/keep.gzi" "$T/g.gz.gzi"
unset PLUCK_SPLIT_BYTES

# t_manners.sh — the filter's manners (issue 14): several files like grep, --union,
# --with-filename, zip and tar members, formats named by their magic bytes, --output-header,
# messages that point at the fix (each asserted by its text), comment records in --stats,
# --help within 80 columns.  Oracles: the codec and archive command-line tools (gzip, zip,
# tar, lz4, xz --format=lzma, python3's zlib) make the inputs; expected rows are counted
# from the plain CSV with grep/wc or taken from single-file runs.
T="$E2E_TMP/manners"
mkdir -p "$T"
A="$DATA/airports.csv"
head -n 4 "$A" >"$T/a.csv"                          # header + 3 rows
{ head -n 1 "$A"; sed -n '5,6p' "$A"; } | gzip -c >"$T/b.csv.gz"   # header + 2 rows
Q="SELECT ident FROM S3Object"
want_a=$(sed -n '2,4p' "$A" | cut -d, -f2 | tr -d '"')
want_b=$(sed -n '5,6p' "$A" | cut -d, -f2 | tr -d '"')

# ---- several files: go on after a missing one, name it, exit 1 at the end -------------------
ok "multi: a missing file in the middle: the others are read, exit 1" 1 "$want_a
$want_b
" "$PLUCK" -H "$Q" "$T/a.csv" "$T/missing.csv" "$T/b.csv.gz"
err "multi: the missing file is named" 1 "cannot open '$T/missing.csv'" \
    "$PLUCK" -H "$Q" "$T/a.csv" "$T/missing.csv" "$T/b.csv.gz"
ok "multi: counts per file (each FILE its own result)" 0 "3
2
" "$PLUCK" -H "SELECT COUNT(*) FROM S3Object" "$T/a.csv" "$T/b.csv.gz"
printf 'ident\nx\n' >"$T/c.csv"
"$PLUCK" -H "SELECT nosuch FROM S3Object" "$T/a.csv" "$T/c.csv" >/dev/null 2>"$T/err"
cond "multi: a binding error names each file (a.csv)" grep -q "(\S*a\.csv)" "$T/err"
cond "multi: a binding error names each file (c.csv)" grep -q "(\S*c\.csv)" "$T/err"
printf 'id,n\n1,x\n2,y\n' >"$T/cast.csv"
"$PLUCK" -H "SELECT CAST(n AS INT) FROM S3Object" "$T/a.csv" "$T/cast.csv" "$T/c.csv" >/dev/null 2>"$T/err"
cond "multi: a data error names its file, record and byte" \
    grep -q "CastFailed: .*($T/cast.csv, record 2, byte 5)" "$T/err"
"$PLUCK" -H "SELECT CAST(n AS INT) FROM S3Object" "$T/cast.csv" "$T/c.csv" >/dev/null 2>&1
cond "multi: exit status is the highest of the files' (3: a column missing in c.csv)" [ $? = 3 ]

# ---- --with-filename -----------------------------------------------------------------------------
ok "with-filename: CSV prefix field" 0 "$(printf '%s\n' $want_a | sed "s|^|$T/a.csv,|")
$(printf '%s\n' $want_b | sed "s|^|$T/b.csv.gz,|")
" "$PLUCK" -H --with-filename "$Q" "$T/a.csv" "$T/b.csv.gz"
cp "$T/a.csv" "$T/we,ird.csv"
ok "with-filename: a name with the delimiter is quoted" 0 "\"$T/we,ird.csv\",00A
" "$PLUCK" -H --with-filename "$Q LIMIT 1" "$T/we,ird.csv"
ok "with-filename: JSON member" 0 "{\"file\":\"$T/a.csv\",\"ident\":\"00A\"}
" "$PLUCK" -H --json --with-filename "$Q LIMIT 1" "$T/a.csv"
printf 'a,b\n"x\ny",1\nz,2\n' >"$T/nl.csv"
ok "with-filename: a quoted newline inside a record is not a record start" 0 "$T/nl.csv,\"x
y\",1
$T/nl.csv,z,2
" "$PLUCK" -H --with-filename --allow-quoted-record-delimiter TRUE "SELECT * FROM S3Object" "$T/nl.csv"
ok "with-filename: per-file counts" 0 "$T/a.csv,3
$T/b.csv.gz,2
" "$PLUCK" -H --with-filename "SELECT COUNT(*) FROM S3Object" "$T/a.csv" "$T/b.csv.gz"

# ---- --union ----------------------------------------------------------------------------------------
ok "union: one table, one header each file, aggregates across files" 0 "5
" "$PLUCK" -H --union "SELECT COUNT(*) FROM S3Object" "$T/a.csv" "$T/b.csv.gz"
ok "union: rows of all files in order" 0 "$want_a
$want_b
" "$PLUCK" -H --union "$Q" "$T/a.csv" "$T/b.csv.gz"
ok "union: LIMIT across files" 0 "$(printf '%s\n' $want_a $want_b | head -n 4)
" "$PLUCK" -H --union "$Q LIMIT 4" "$T/a.csv" "$T/b.csv.gz"
ok "union: a missing file is skipped with exit 1" 1 "5
" "$PLUCK" -H --union "SELECT COUNT(*) FROM S3Object" "$T/a.csv" "$T/nope.csv" "$T/b.csv.gz"
printf 'name,ident\nq,X1\n' >"$T/swapped.csv"
ok "union: columns are bound by each file's own header" 0 "00A
X1
" "$PLUCK" -H --union "SELECT ident FROM S3Object WHERE ident IN ('00A', 'X1')" "$T/a.csv" "$T/swapped.csv"
ok "union: ... and a later header does not count as data" 0 "4
" "$PLUCK" -H --union "SELECT COUNT(*) FROM S3Object" "$T/a.csv" "$T/swapped.csv"
err "union: SELECT * over different headers is refused" 3 "differs from the first input" \
    "$PLUCK" -H --union "SELECT * FROM S3Object" "$T/a.csv" "$T/swapped.csv"
ok "union: --output-header once" 0 "ident
$want_a
$want_b
" "$PLUCK" -H --union --output-header "$Q" "$T/a.csv" "$T/b.csv.gz"
err "union: with --with-filename is a usage error" 2 "do not go together" \
    "$PLUCK" -H --union --with-filename "$Q" "$T/a.csv"

# ---- archives --------------------------------------------------------------------------------------
(cd "$T" && zip -q arch.zip a.csv b.csv.gz && tar cf arch.tar a.csv b.csv.gz && tar czf arch.tar.gz a.csv b.csv.gz &&
 tar cf - a.csv b.csv.gz | zstd -q -c >arch.tar.zst && cp arch.tar.gz arch.tgz)
for f in arch.zip arch.tar arch.tar.gz arch.tgz arch.tar.zst; do
    ok "archive $f: all members one table" 0 "5
" "$PLUCK" -H "SELECT COUNT(*) FROM S3Object" "$T/$f"
    ok "archive $f: --member b.csv.gz (a compressed member)" 0 "$want_b
" "$PLUCK" -H --member b.csv.gz "$Q" "$T/$f"
done
ok "archive: members in archive order" 0 "$want_a
$want_b
" "$PLUCK" -H "$Q" "$T/arch.zip"
err "archive: a missing member is named with the members there are" 1 "no member 'x.csv' in the archive (members: 'a.csv', 'b.csv.gz')" \
    "$PLUCK" -H --member x.csv "$Q" "$T/arch.zip"
ok "archive: zip from standard input with --member" 0 "$want_a
" sh -c '"$1" -H --member a.csv "$2" <"$3"' sh "$PLUCK" "$Q" "$T/arch.zip"
rows=$(sed -n '2,$p' "$A" | grep -c ',"NO",')
(cd "$DATA" && rm -f "$T/big.zip" && zip -q "$T/big.zip" airports.csv)
ok "archive: the airports sample zipped (deflate), a filter" 0 "$rows
" "$PLUCK" -H "SELECT COUNT(*) FROM S3Object WHERE iso_country = 'NO'" "$T/big.zip"
mkdir -p "$T/__MACOSX"; cp "$T/a.csv" "$T/__MACOSX/._a.csv"
(cd "$T" && rm -f mac.zip && zip -q mac.zip a.csv __MACOSX/._a.csv)
ok "archive: macOS resource forks are skipped" 0 "3
" "$PLUCK" -H "SELECT COUNT(*) FROM S3Object" "$T/mac.zip"

# ---- formats pluck does not read are named, never blamed on UTF-8 ---------------------------------
lz4 -q -c "$T/a.csv" >"$T/a.csv.lz4"
err "format: lz4 named" 1 "InvalidCompressionFormat: The input is lz4 (frame format) data" "$PLUCK" "SELECT _1 FROM S3Object" "$T/a.csv.lz4"
xz --format=lzma -c "$T/a.csv" >"$T/a.csv.lzma"
err "format: lzma-alone named" 1 "lzma-alone (.lzma)" "$PLUCK" "SELECT _1 FROM S3Object" "$T/a.csv.lzma"
python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1],"rb").read()))' "$T/a.csv" >"$T/a.csv.zz"
err "format: zlib named" 1 "zlib (deflate with a zlib header)" "$PLUCK" "SELECT _1 FROM S3Object" "$T/a.csv.zz"
err "format: a zip through a pipe is named" 1 "zip archive" sh -c 'cat "$3" | "$1" "$2"' sh "$PLUCK" "SELECT _1 FROM S3Object" "$T/arch.zip"
ok "archive: a zip file as standard input is read as an archive" 0 "5
" sh -c '"$1" -H "SELECT COUNT(*) FROM S3Object" <"$2"' sh "$PLUCK" "$T/arch.zip"
printf 'x^y\n' >"$T/xcaret.csv"
ok "format: text starting like a zlib header stays text" 0 "x^y
" "$PLUCK" "SELECT * FROM S3Object" "$T/xcaret.csv"

# ---- --output-header -------------------------------------------------------------------------------
ok "output-header: names as JSON keys (header spelling, alias, _N)" 0 "ident,n,_3
00A,Total Rf Heliport,HELIPORT
" "$PLUCK" -H --output-header "SELECT IDENT, name AS n, UPPER(type) FROM S3Object LIMIT 1" "$T/a.csv"
json=$("$PLUCK" -H --json "SELECT IDENT, name AS n, UPPER(type) FROM S3Object LIMIT 1" "$T/a.csv")
cond "output-header: the JSON keys are the same" [ "$json" = '{"ident":"00A","n":"Total Rf Heliport","_3":"HELIPORT"}' ]
ok "output-header: SELECT * without a header row: _1.._n" 0 "_1,_2
a,b
" sh -c 'printf "a,b\n" | "$1" --output-header "SELECT * FROM S3Object"' sh "$PLUCK"
ok "output-header: an empty result still has its header" 0 "ident
" "$PLUCK" -H --output-header=TRUE "$Q WHERE ident = 'none'" "$T/a.csv"
ok "output-header: aggregates" 0 "_1,m
3,00AL
" "$PLUCK" -H --output-header "SELECT COUNT(*), MAX(ident) AS m FROM S3Object" "$T/a.csv"
ok "output-header: =FALSE" 0 "00A
" "$PLUCK" -H --output-header=FALSE "$Q LIMIT 1" "$T/a.csv"

# ---- messages that point at the fix ---------------------------------------------------------------
err "msg: misspelled column: did you mean" 3 "no column 'nmae' at line 1, column 8. Did you mean 'name'?" \
    "$PLUCK" -H "SELECT nmae FROM S3Object" "$T/a.csv"
err "msg: few header names are listed" 3 "The header has 2 columns: 'id', 'n'." \
    "$PLUCK" -H "SELECT x FROM S3Object" "$T/cast.csv"
for w in date value key user year timestamp first count order group; do
    err "msg: '$w' is a reserved word, quote it" 3 "'$w' is a reserved word: to use it as a column name, quote it: \"$w\"." \
        "$PLUCK" -H "SELECT $w FROM S3Object" "$T/a.csv"
done
err "msg: s.value is a reserved word" 3 "'value' is a reserved word" "$PLUCK" -H "SELECT s.value FROM S3Object s" "$T/a.csv"
printf 'date,v\n2024-01-01,1\n' >"$T/date.csv"
ok "msg: ... and the quoted form works" 0 "2024-01-01
" "$PLUCK" -H 'SELECT "date" FROM S3Object' "$T/date.csv"
err "msg: \"NO\" is a column name: string literals take single quotes" 3 \
    "no column \"NO\" at line 1, column 42. \"NO\" is a column name here: string literals take single quotes, 'NO'." \
    "$PLUCK" -H 'SELECT ident FROM S3Object WHERE ident = "NO"' "$T/a.csv"
printf 'a\tb\n1\t2\n' >"$T/tabs.csv"
err "msg: a header with tabs read with ',' suggests -d '\\t'" 3 "The header holds tabs: is the file tab-separated? (FieldDelimiter '\\t', pluck -d '\\t')" \
    "$PLUCK" -H "SELECT b FROM S3Object" "$T/tabs.csv"
printf 'a;b\n1;2\n' >"$T/semi.csv"
err "msg: a header with semicolons suggests -d ';'" 3 "(FieldDelimiter ';', pluck -d ';')" \
    "$PLUCK" -H "SELECT b FROM S3Object" "$T/semi.csv"
printf 'a,b\n"1\n2",3\n' >"$T/qnl.csv"
"$PLUCK" -H "SELECT b FROM S3Object" "$T/qnl.csv" >/dev/null 2>"$T/err"
cond "msg: quoted newline names the flag" grep -qF "use --allow-quoted-record-delimiter TRUE" "$T/err"
cond "msg: quoted newline: the position is printed once" [ "$(grep -o 'record 2' "$T/err" | wc -l)" = 1 ]
cond "msg: quoted newline: no S3 field name" sh -c "! grep -q AllowQuotedRecordDelimiter '$T/err'"
err "msg: swapped arguments" 2 "the arguments look swapped: the SQL query comes first" \
    "$PLUCK" -H "$T/a.csv" "SELECT * FROM S3Object"
err "msg: -d tab echoes the value and suggests '\\t'" 2 "hint: got 'tab': for a tab write '\\t'" \
    "$PLUCK" -d tab "$Q" "$T/a.csv"
ncpu=$(nproc)
err "msg: --threads above the cores says how many are used" 0 "--threads 64: this machine has $ncpu cores; using $ncpu" \
    "$PLUCK" --threads 64 -H "SELECT COUNT(*) FROM S3Object" "$T/a.csv"
printf '# a comment\nx,1\n#another\ny,2\n' >"$T/comments.csv"
"$PLUCK" --stats "SELECT COUNT(*) FROM S3Object" "$T/comments.csv" >/dev/null 2>"$T/err"
cond "msg: --stats counts comment records" grep -qx "CommentRecords: 2" "$T/err"
cond "msg: --stats: records scanned exclude comments" grep -qx "RecordsScanned: 2" "$T/err"

# ---- --help fits 80 columns ---------------------------------------------------------------------------
"$PLUCK" --help >"$T/help"
cond "help: no line wider than 80 columns" [ "$(awk 'length > 80' "$T/help" | wc -l)" = 0 ]
for o in --line-buffered --union --with-filename --member --output-header --progress; do
    cond "help: $o documented" grep -q -- "$o" "$T/help"
done

# ---- libpluck(3) documents every public function and callback type of pluck.h ---------------------
for f in $(sed -n 's/^PLUCK_API[^(]*[ *]\(pluck_[a-z_]*\)(.*/\1/p' "$ROOT/include/pluck.h") \
         pluck_write_fn pluck_read_fn pluck_progress_fn; do
    cond "libpluck.3 documents $f" grep -q "$f" "$ROOT/man/libpluck.3"
done
cond "libpluck.3 has an EXAMPLES section" grep -qx '.SH EXAMPLES' "$ROOT/man/libpluck.3"
cond "libpluck.3 has a THREAD SAFETY section" grep -qx '.SH THREAD SAFETY' "$ROOT/man/libpluck.3"

# t_gzip_header.sh — gzip members whose headers carry the optional fields (FEXTRA, FNAME,
# FCOMMENT, FHCRC), through both inflaters and both read paths.  ISA-L 2.30's own header
# reader gave nondeterministic results on these (F3 in tests/HARDENING.md): a valid FHCRC
# member was "incorrect data check" with --threads 1, records went missing.
G="$E2E_TMP/gzhdr"
mkdir -p "$G"
printf 'id,name\n1,alpha\n2,bravo\n3,"char,lie"\n' >"$G/a.csv"
printf '4,delta\n5,echo\n' >"$G/b.csv"
cat "$G/a.csv" "$G/b.csv" >"$G/want.csv"
# member 1: FLG = FTEXT|FHCRC|FEXTRA|FNAME|FCOMMENT, MTIME 0, OS 3, XLEN 6 ("XY", 2, "hi"),
# name "name.csv", comment "a comment", header CRC16 0xcaee (low half of the CRC-32 of the
# bytes before it); then the deflate data and trailer that gzip -n writes after its 10 bytes
{
    printf '\037\213\010\037\000\000\000\000\000\003\006\000XY\002\000hiname.csv\000a comment\000'
    printf '\356\312'
    gzip -n -c "$G/a.csv" | tail -c +11
} >"$G/member1.gz"
# member 2: what `gzip FILE` writes (FNAME, MTIME)
(cd "$G" && gzip -k b.csv)
cat "$G/member1.gz" "$G/b.csv.gz" >"$G/fields.csv.gz"
# the same with a wrong header CRC
{
    printf '\037\213\010\037\000\000\000\000\000\003\006\000XY\002\000hiname.csv\000a comment\000'
    printf '\357\312'
    gzip -n -c "$G/a.csv" | tail -c +11
} >"$G/badhcrc.csv.gz"

cond "gzip -t accepts the hand-made member" gzip -t "$G/fields.csv.gz"
for inflate in isal zlib; do
    for t in 1 2; do
        PLUCK_INFLATE=$inflate "$PLUCK" --threads $t 'SELECT * FROM S3Object' \
            "$G/fields.csv.gz" >"$G/got-$inflate-$t" 2>"$G/err-$inflate-$t"
        rc=$?
        cond "gzip header fields ($inflate, --threads $t): exit 0" [ "$rc" = 0 ]
        file_eq "gzip header fields ($inflate, --threads $t): exact output" "$G/want.csv" \
            "$G/got-$inflate-$t"
        ok "gzip header fields ($inflate, --threads $t): COUNT" 0 "5
" \
            env PLUCK_INFLATE=$inflate "$PLUCK" --threads $t -H \
            'SELECT COUNT(*) FROM S3Object' "$G/fields.csv.gz"
        err "gzip header CRC mismatch ($inflate, --threads $t)" 1 \
            "TruncatedInput: Object decompression failed: gzip data is corrupt (header crc mismatch)" \
            env PLUCK_INFLATE=$inflate "$PLUCK" --threads $t 'SELECT * FROM S3Object' \
            "$G/badhcrc.csv.gz"
    done
done
# the same bytes on standard input, read in small pieces by a pipe
ok "gzip header fields from a pipe (isal)" 0 "$(cat "$G/want.csv")
" \
    sh -c 'cat "$1" | PLUCK_INFLATE=isal "$2" "SELECT * FROM S3Object"' sh "$G/fields.csv.gz" "$PLUCK"

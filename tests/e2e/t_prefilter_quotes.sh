# t_prefilter_quotes.sh — the literal prefilter over quoted CSV (src/exec/prefilter.c): a line
# with quotes but without the literal is skipped unparsed when its quoting is valid, and
# handed to the scanner when it is not, so the answers, the record counts and the errors (code,
# record number in the message and the location, byte offset) are those of the same query
# without the prefilter (an OR that keeps it off), and the rows are those awk selects.
T="$E2E_TMP/pfq"
mkdir -p "$T"
"$TOOLS/gencsv" 2M | awk -F, 'NR == 1 { print; next }
    { printf "%s,%s,\"%s\",\"%s, \"\"q\"\"\"\n", $1, $2, $3, $4 }' >"$T/q.csv"
# the same query with and without the prefilter
pf() {
    _n=$1 _rc=$2 _f=$3
    "$PLUCK" --threads 1 --stats -H "SELECT * FROM S3Object s WHERE s.status LIKE '%FAIL%'" "$_f" >"$T/o1" 2>"$T/e1"
    _r1=$?
    "$PLUCK" --threads 1 --stats -H "SELECT * FROM S3Object s WHERE s.status LIKE '%FAIL%' OR 1 = 0" "$_f" >"$T/o2" 2>"$T/e2"
    _r2=$?
    cond "$_n: exit status $_r1 and $_r2, want $_rc" [ "$_r1" = "$_rc" -a "$_r2" = "$_rc" ]
    file_eq "$_n: output with and without the prefilter" "$T/o2" "$T/o1"
    grep -v '^Elapsed\|^Bytes' "$T/e1" >"$T/s1"
    grep -v '^Elapsed\|^Bytes' "$T/e2" >"$T/s2"
    file_eq "$_n: errors and record counts with and without the prefilter" "$T/s2" "$T/s1"
}
pf "quoted fields" 0 "$T/q.csv"
awk -F, 'NR > 1 && $4 ~ /FAIL/ { print $1 "," $2 }' "$T/q.csv" >"$T/want"
cut -d, -f1,2 "$T/o1" >"$T/got"
file_eq "quoted fields: the rows awk selects" "$T/want" "$T/got"
# bad quoting in a line without the literal: an unescaped quote, a quote left open, an
# escape at the end; and one with the literal
for bad in 's1,17,"1.0"x,"st OK"' 's1,17,"1.0,"st OK"' 's1,17,"1.0",st OK"x"' 's1,17,"1.0"x,"FAIL"'; do
    awk -v l="$bad" 'NR == 30001 { print l } { print }' "$T/q.csv" >"$T/bad.csv"
    pf "bad line $bad" "$(case $bad in *'st OK"x"') echo 0 ;; *) echo 1 ;; esac)" "$T/bad.csv"
done
cond "the error names record 30001 in its message" grep -q 'error at record 30001,' "$T/e1"
# lines skipped unparsed still count in the record number of the scanner's own message
"$TOOLS/gencsv" 1M | awk 'NR == 20001 { print "s1,17,\"1.0\"x,OK" } { print }' >"$T/u.csv"
pf "unquoted lines, then a bad one" 1 "$T/u.csv"
cond "unquoted lines: the error names record 20001 in its message" grep -q 'error at record 20001,' "$T/e1"

# t_partial.sh — partial aggregates: `pluck --partial` and `pluck merge` (pluck-partial(5)).
# The generated part (tests/partial/merge_diff.py, seeded) cuts random tables into random
# pieces and checks that merging their partials gives the single run's bytes; here also the
# error paths and the documented format's first lines.
PY=/usr/bin/python3
PT="$E2E_TMP/partial"
mkdir -p "$PT"
"$PY" "$ROOT/tests/partial/merge_diff.py" "$PLUCK" "$PT/gen" --seed "${PARTIAL_SEED:-20261206}" \
    --cases "${PARTIAL_CASES:-150}" >"$PT/gen.out" 2>&1
sed 's/^/  /' "$PT/gen.out" | tail -n 20
gp=$(sed -n 's/^partial: \([0-9]*\) passed, \([0-9]*\) failed/\1/p' "$PT/gen.out")
gf=$(sed -n 's/^partial: \([0-9]*\) passed, \([0-9]*\) failed/\2/p' "$PT/gen.out")
for _i in $(seq 1 "${gp:-0}"); do _count pass; done
for _i in $(seq 1 "${gf:-1}"); do _count fail; done

Q="SELECT COUNT(*), SUM(s.latitude_deg), MIN(s.name) FROM S3Object s"
"$PLUCK" -H --partial "$Q" "$DATA/airports.csv.gz" >"$PT/a.part"
cond "partial: begins with its version line" [ "$(head -n 1 "$PT/a.part")" = "pluck-partial 2" ]
cond "partial: ends with its end line" [ "$(tail -n 1 "$PT/a.part")" = "end 1" ]
ok "partial: merge of one partial is the single run" 0 "$("$PLUCK" -H "$Q" "$DATA/airports.csv")
" \
    "$PLUCK" merge "$PT/a.part"
# several files on one command line: their partials follow one another and merge as one table
tail -n +2 "$DATA/airports.csv" >"$PT/nohdr.csv"
head -n 1000 "$PT/nohdr.csv" >"$PT/h1.csv"
tail -n +1001 "$PT/nohdr.csv" | gzip -c >"$PT/h2.csv.gz"
Q2="SELECT COUNT(*), SUM(CAST(s._7 AS INT)), MAX(s._3) FROM S3Object s WHERE s._7 <> ''"
"$PLUCK" --partial "$Q2" "$PT/h1.csv" "$PT/h2.csv.gz" >"$PT/two.part"
ok "partial: two files' partials merge into the run over both" 0 \
    "$("$PLUCK" "$Q2" "$PT/nohdr.csv")
" "$PLUCK" merge - <"$PT/two.part"

err "partial: a query without aggregates or ORDER BY has no partial" 3 "UnsupportedSqlOperation" \
    "$PLUCK" -H --partial "SELECT s.name FROM S3Object s" "$DATA/airports.csv"
head -n 5 "$PT/a.part" >"$PT/cut.part"
err "partial: a partial cut short is TruncatedInput" 1 "TruncatedInput" "$PLUCK" merge "$PT/cut.part"
grep -v '^g ' "$PT/a.part" >"$PT/lost.part"
err "partial: a partial that lost lines is TruncatedInput" 1 "lost lines" "$PLUCK" merge "$PT/lost.part"
"$PLUCK" -H --partial "SELECT COUNT(*) FROM S3Object s" "$DATA/airports.csv" >"$PT/other.part"
err "partial: partials of another query are refused" 2 "InvalidRequestParameter" \
    "$PLUCK" merge "$PT/a.part" "$PT/other.part"
sed 's/^pluck-partial 2$/pluck-partial 1/' "$PT/a.part" >"$PT/v1.part"
err "partial: another format version is refused" 2 "unsupported partial format version" \
    "$PLUCK" merge "$PT/v1.part"
err "partial: COUNT(DISTINCT) has no partial (the sets would have to travel)" 3 \
    "DISTINCT has no partial form" "$PLUCK" -X -H --partial \
    "SELECT COUNT(DISTINCT s.type) FROM S3Object s" "$DATA/airports.csv"
err "partial: SELECT DISTINCT ... ORDER BY has no partial" 3 "DISTINCT has no partial form" \
    "$PLUCK" -X -H --partial "SELECT DISTINCT * FROM S3Object s ORDER BY s.type" "$DATA/airports.csv"
err "partial: --output-header has no partial" 3 "OUTPUT_HEADER" "$PLUCK" -X -H --output-header \
    --partial "SELECT s.type, COUNT(*) FROM S3Object s GROUP BY s.type" "$DATA/airports.csv"
# ORDER BY ... LIMIT: top-n candidates, two files (one gzip) as one table, ties in input order
Q3="SELECT s._2, s._9 FROM S3Object s ORDER BY s._9, s._3 DESC LIMIT 300"
"$PLUCK" -X --partial "$Q3" "$PT/h1.csv" "$PT/h2.csv.gz" >"$PT/top.part"
cond "partial: ORDER BY's partial is its shape and 2 x 300 rows" \
    [ "$(grep -c '^r ' "$PT/top.part")" = 600 ] && grep -q '^shape sorted 2$' "$PT/top.part"
"$PLUCK" -X "$Q3" "$PT/nohdr.csv" >"$PT/top.want"
"$PLUCK" merge "$PT/top.part" >"$PT/top.got"
file_eq "partial: ORDER BY LIMIT merged is the single run" "$PT/top.got" "$PT/top.want"
sed 's/^g \(.*\) u.*$/g \1 x/' "$PT/a.part" >"$PT/bad.part"
err "partial: a damaged state line is InvalidDataSource" 2 "InvalidDataSource" \
    "$PLUCK" merge "$PT/bad.part"
err "partial: CSV is not a partial" 2 "not a pluck partial" "$PLUCK" merge "$DATA/airports.csv"
err "partial: nothing to merge" 2 "no partial given" "$PLUCK" merge </dev/null
err "partial: merge of a missing file" 1 "cannot open" "$PLUCK" merge "$PT/nope.part"
ok "partial: merge --help" 0 "Usage: pluck merge [PARTIAL ...]
" sh -c "'$PLUCK' merge --help | head -n 1"
cond "partial: pluck --help lists --partial" sh -c "'$PLUCK' --help | grep -q -- '--partial'"

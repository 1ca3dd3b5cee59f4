# t_examples.sh — examples/select.c (pull: pluck_run_fd) and examples/feed.c (push:
# pluck_run_feed, several inputs with pluck_run_end_input), built by `make test` against
# the library, give the counts grep finds in the plain sample.
X="$ROOT/$(dirname "$PLUCK" | sed "s|^$ROOT/||")/examples"
T="$E2E_TMP/examples"
mkdir -p "$T"
us=$(grep -c ',"US",' "$DATA/airports.csv")
Q="SELECT COUNT(*) FROM S3Object s WHERE s.iso_country = 'US'"
ok "examples: select over standard input" 0 "$us
" sh -c '"$1" "$2" <"$3" 2>/dev/null' sh "$X/select" "$Q" "$DATA/airports.csv"
ok "examples: feed over standard input (gzip, pushed in 4 KiB pieces)" 0 "$us
" sh -c '"$1" "$2" <"$3"' sh "$X/feed" "$Q" "$DATA/airports.csv.gz"
ok "examples: feed over two inputs as one table (plain + zstd)" 0 "$((us * 2))
" "$X/feed" "$Q" "$DATA/airports.csv" "$DATA/airports.csv.zst"
head -n 3 "$DATA/airports.csv" | bzip2 -c >"$T/two.csv.bz2"
first2=$(sed -n '2,3p' "$DATA/airports.csv" | cut -d, -f2 | tr -d '"')
ok "examples: feed, LIMIT across inputs" 0 "$first2
$(echo "$first2" | head -n 1)
" "$X/feed" "SELECT ident FROM S3Object LIMIT 3" "$T/two.csv.bz2" "$DATA/airports.csv"
err "examples: feed reports a bad column by its S3 code" 1 "MissingHeaders" \
    "$X/feed" "SELECT nosuch FROM S3Object" "$DATA/airports.csv"

#!/bin/sh
# derive.sh SRC.csv.gz DIR — makes every form of the sample the tests use from the one
# compressed copy in testdata/: plain, zstd (also multi-frame), bzip2, xz, multi-member gzip.
set -eu
src=$1 dir=$2
mkdir -p "$dir"
gzip -dc "$src" >"$dir/airports.csv"
cp "$src" "$dir/airports.csv.gz"
zstd -q -3 -c "$dir/airports.csv" >"$dir/airports.csv.zst"
bzip2 -c "$dir/airports.csv" >"$dir/airports.csv.bz2"
xz -c -0 "$dir/airports.csv" >"$dir/airports.csv.xz"
# multi-member gzip and multi-frame zstd: the file cut into three pieces, each compressed alone
n=$(wc -l <"$dir/airports.csv")
head -n 10000 "$dir/airports.csv" >"$dir/p1"
sed -n "10001,30000p" "$dir/airports.csv" >"$dir/p2"
tail -n $((n - 30000)) "$dir/airports.csv" >"$dir/p3"
for p in p1 p2 p3; do gzip -c "$dir/$p"; done >"$dir/airports-multi.csv.gz"
for p in p1 p2 p3; do zstd -q -c "$dir/$p"; done >"$dir/airports-multi.csv.zst"
rm -f "$dir/p1" "$dir/p2" "$dir/p3"

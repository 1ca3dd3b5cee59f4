#!/bin/sh
# demo.sh [PLUCK] — the README's quick-start query: large US airports from the bundled,
# gzip-compressed OurAirports sample, with S3's byte counts.
set -eu
PLUCK=${1:-build/pluck}
cd "$(dirname "$0")/.."
echo "\$ pluck -H --stats \"SELECT s.ident, s.name, s.municipality FROM S3Object s WHERE s.iso_country = 'US' AND s.type = 'large_airport' LIMIT 10\" testdata/airports.csv.gz"
"$PLUCK" -H --stats "SELECT s.ident, s.name, s.municipality FROM S3Object s WHERE s.iso_country = 'US' AND s.type = 'large_airport' LIMIT 10" testdata/airports.csv.gz

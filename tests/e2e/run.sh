#!/bin/sh
# End-to-end tests of the real pluck binary.  Usage: tests/e2e/run.sh BUILD_DIR
# Runs every tests/e2e/t_*.sh with PLUCK, TOOLS, DATA (derived sample files) and prints
# "e2e: N passed, N failed".  E2E_ONLY="t_splits t_sql" runs only the named scripts (while
# developing; `make test` runs them all).
set -u
B=${1:-build/test}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PLUCK="$ROOT/$B/pluck"
TOOLS="$ROOT/$B/tools"
E2E_TMP=$(mktemp -d)
E2E_COUNTS="$E2E_TMP/counts"
DATA="$E2E_TMP/data"
EDATA="$ROOT/tests/e2e/data"
export PLUCK TOOLS E2E_TMP E2E_COUNTS DATA EDATA ROOT
trap 'rm -rf "$E2E_TMP"' EXIT INT TERM
: >"$E2E_COUNTS"
sh "$ROOT/tests/e2e/derive.sh" "$ROOT/testdata/airports.csv.gz" "$DATA" || {
    echo "e2e: 0 passed, 1 failed (could not derive test data)"
    exit 1
}
for t in "$ROOT"/tests/e2e/t_*.sh; do
    [ -f "$t" ] || { echo "FAIL no test scripts"; echo fail >>"$E2E_COUNTS"; continue; }
    if [ -n "${E2E_ONLY:-}" ]; then
        case " $E2E_ONLY " in *" $(basename "$t" .sh) "*) ;; *) continue ;; esac
    fi
    echo "-- $(basename "$t")"
    t0=$(date +%s)
    ( . "$ROOT/tests/e2e/lib.sh"; . "$t" )
    echo "-- $(basename "$t"): $(($(date +%s) - t0)) s"   # where the CI minutes go
done
p=$(grep -c '^pass$' "$E2E_COUNTS")
f=$(grep -c '^fail$' "$E2E_COUNTS")
echo "e2e: $p passed, $f failed"
[ "$f" = 0 ]

#!/bin/sh
# Runs every suite against the build in $PLUCK_BUILD (set by `make test`) and ends with one
# summary line, "tests: N passed, N failed".  Exit status is non-zero when anything failed.
set -u
B=${PLUCK_BUILD:-build/test}
passed=0
failed=0
if [ "${SANITIZE:-}" = 1 ]; then
    LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
    export LSAN_OPTIONS
fi

echo "== unit tests (criterion)"
out=$("$B/unit-tests" -j2 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 25
syn=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
up=$(printf '%s\n' "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
uf=$(printf '%s\n' "$syn" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p')
passed=$((passed + ${up:-0}))
for n in $uf; do failed=$((failed + n)); done
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=$((failed + 1)); fi

echo "== end-to-end tests of the pluck binary"
e2e=$(mktemp)
sh tests/e2e/run.sh "$B" >"$e2e" 2>&1
rc=$?
cat "$e2e"
ep=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$e2e" | tail -n 1)
ef=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$e2e" | tail -n 1)
rm -f "$e2e"
passed=$((passed + ${ep:-0}))
failed=$((failed + ${ef:-0}))
if [ "$rc" != 0 ] && [ "${ef:-0}" = 0 ]; then failed=$((failed + 1)); fi

echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]

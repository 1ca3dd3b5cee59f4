# t_regex.sh — REGEXP_MATCHES (src/exec/regex.c) against Python's re on generated patterns,
# ROUND/FLOOR/CEIL/ABS against Python's decimal (tests/sql/round_diff.py),
# and texts (tests/sql/regex_diff.py; REGEX_DIFF_SEED picks another seed), and linear time:
# patterns that make a backtracking engine run for ages answer at once over a long text
# (bounded by a generous timeout, never timed).
if command -v python3 >/dev/null 2>&1; then
    python3 "$ROOT/tests/sql/regex_diff.py" "$PLUCK" --patterns 60 >"$E2E_TMP/regex.out" 2>&1
    rc=$?
    tail -n 1 "$E2E_TMP/regex.out" | sed 's/^/  /'
    grep '^not ok' "$E2E_TMP/regex.out" | head -n 5
    cond "regex: REGEXP_MATCHES agrees with Python's re" [ "$rc" = 0 ]
fi
awk 'BEGIN { s = ""; for (i = 0; i < 20000; i++) s = s "a"; print s }' >"$E2E_TMP/regex.long"
for pat in '^(a|a)*(a|aa)*(a*)*b$' '(a*)*(a*)*(a*)*c' '^(a+)+$X'; do
    ok "regex: linear time for $pat" 0 "false
" timeout 120 "$PLUCK" -X "SELECT REGEXP_MATCHES(_1, '$pat') FROM S3Object" "$E2E_TMP/regex.long"
done
ok "regex: a long text that matches" 0 "true
" timeout 120 "$PLUCK" -X "SELECT REGEXP_MATCHES(_1, '^(a|aa)+\$') FROM S3Object" "$E2E_TMP/regex.long"
rm -f "$E2E_TMP"/regex.*
# ROUND / FLOOR / CEIL / ABS (src/exec/func_num.c) against Python's decimal module
if command -v python3 >/dev/null 2>&1; then
    python3 "$ROOT/tests/sql/round_diff.py" "$PLUCK" >"$E2E_TMP/round.out" 2>&1
    rc=$?
    tail -n 1 "$E2E_TMP/round.out" | sed 's/^/  /'
    grep '^not ok' "$E2E_TMP/round.out" | head -n 5
    cond "round: ROUND/FLOOR/CEIL/ABS agree with Python's decimal" [ "$rc" = 0 ]
    rm -f "$E2E_TMP/round.out"
fi

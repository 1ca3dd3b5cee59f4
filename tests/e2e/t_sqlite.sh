# t_sqlite.sh — differential test against SQLite: tests/sql/sqlite_diff.py generates small
# random tables and 300 random queries in the subset both engines understand (filters with
# = <> < > BETWEEN IN LIKE AND OR NOT, arithmetic, string functions, CASE, COUNT / SUM / AVG /
# MIN / MAX, GROUP BY and ORDER BY ... LIMIT with -X) and checks that pluck's answers equal
# sqlite3's up to the documented normalizations (see the script's header).  The seed is fixed
# so a failure reproduces; SQLITE_DIFF_SEED picks another.  One count per query.
# Needs python3 and sqlite3 (Debian packages python3 and sqlite3).

if ! command -v python3 >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1; then
    cond "sqlite: python3 and sqlite3 are installed (scripts/deps.sh)" false
else
    _sqd_out="$E2E_TMP/sqlite_diff.out"
    python3 "$ROOT/tests/sql/sqlite_diff.py" "$PLUCK" --seed "${SQLITE_DIFF_SEED:-20261125}" \
        --queries 300 >"$_sqd_out" 2>&1
    _sqd_rc=$?
    _sqd_n=0
    while IFS= read -r _sqd_line; do
        case $_sqd_line in
        "ok "*)
            _sqd_n=$((_sqd_n + 1))
            cond "sqlite: ${_sqd_line#ok }" true
            ;;
        "not ok "*)
            _sqd_n=$((_sqd_n + 1))
            cond "sqlite: ${_sqd_line#not ok }" false
            ;;
        "    "*) echo "$_sqd_line" ;;
        esac
    done <"$_sqd_out"
    tail -n 1 "$_sqd_out"
    cond "sqlite: sqlite_diff.py ran all 300 queries (exit $_sqd_rc)" \
        [ "$_sqd_n" -eq 300 -a "$_sqd_rc" -le 1 ]
fi

# t_sql.sh — the SQL conformance suite (tests/sql/*.test, format in tests/sql/README.md) through
# the pluck binary: each case's input in a temporary file, its options as command-line
# arguments; stdout must be the expected bytes (or the run must fail with the expected S3 error
# code, exit status and SQL position).  One count per case; skipped cases are listed and not
# counted.  The same files run through the library in tests/unit/test_conformance.c.

SQL_DIR="$ROOT/tests/sql"
SQL_RUN_LIB=1
. "$SQL_DIR/run.sh"
SQL_RUN_LIB=0

_sqlt="$E2E_TMP/sql"
mkdir -p "$_sqlt"
if sql_split "$_sqlt" "$SQL_DIR"/*.test; then
    _sql_n=0 _sql_skip=0 _sql_xpass=0
    for _sqlm in "$_sqlt"/*.meta; do
        [ -f "$_sqlm" ] || continue
        _sqlp=${_sqlm%.meta}
        _sql_n=$((_sql_n + 1))
        if [ -f "$_sqlp.skip" ]; then
            _sql_skip=$((_sql_skip + 1))
            if sql_check "$_sqlp" 1; then
                _sql_xpass=$((_sql_xpass + 1))
                echo "XPASS sql[$(sql_case_name "$_sqlp")] now passes: remove its --skip"
            fi
            continue
        fi
        cond "sql[$(sql_case_name "$_sqlp")]" sql_check "$_sqlp"
    done
    cond "sql: the suite has at least 300 cases" [ "$_sql_n" -ge 300 ]
    echo "sql: $_sql_n cases, $_sql_skip skipped ($_sql_xpass of them pass now)"
else
    cond "sql: tests/sql/*.test parse" false
fi
rm -rf "$_sqlt"

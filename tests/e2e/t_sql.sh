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
# Two workers (CI machines have 2 cores) each run every other case, leaving PREFIX.st (sql_check's
# status) and PREFIX.why (what it printed); the counting and reporting below then go through the
# cases in file order, so the output and the counts are the same as a one-by-one run.
_sql_worker() {
    _k=0
    for _sqlm in "$_sqlt"/*.meta; do
        [ -f "$_sqlm" ] || continue
        _k=$((_k + 1))
        [ $((_k % 2)) = "$1" ] || continue
        _sqlp=${_sqlm%.meta}
        if [ -f "$_sqlp.skip" ]; then
            sql_check "$_sqlp" 1 >"$_sqlp.why"
        else
            sql_check "$_sqlp" >"$_sqlp.why"
        fi
        echo $? >"$_sqlp.st"
    done
}

# The status of a case run by a worker, with what sql_check printed when it failed.
_sql_done() {
    read -r _st <"$1.st" || _st=1
    [ -s "$1.why" ] && cat "$1.why"
    return "$_st"
}

if sql_split "$_sqlt" "$SQL_DIR"/*.test; then
    _sql_worker 0 &
    _sqlw=$!
    _sql_worker 1
    wait "$_sqlw"
    _sql_n=0 _sql_skip=0 _sql_xpass=0
    for _sqlm in "$_sqlt"/*.meta; do
        [ -f "$_sqlm" ] || continue
        _sqlp=${_sqlm%.meta}
        _sql_n=$((_sql_n + 1))
        _sql_name_of "$_sqlp"
        if [ -f "$_sqlp.skip" ]; then
            _sql_skip=$((_sql_skip + 1))
            if _sql_done "$_sqlp"; then
                _sql_xpass=$((_sql_xpass + 1))
                echo "XPASS sql[$_sql_name] now passes: remove its --skip"
            fi
            continue
        fi
        cond "sql[$_sql_name]" _sql_done "$_sqlp"
    done
    cond "sql: the suite has at least 300 cases" [ "$_sql_n" -ge 300 ]
    echo "sql: $_sql_n cases, $_sql_skip skipped ($_sql_xpass of them pass now)"
else
    cond "sql: tests/sql/*.test parse" false
fi
rm -rf "$_sqlt"

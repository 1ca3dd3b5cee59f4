#!/bin/sh
# run.sh — run the SQL conformance cases (tests/sql/*.test, format in README.md) through the
# pluck binary.
#
#   sh tests/sql/run.sh [-v] [PLUCK] [FILE.test ...]
#
# PLUCK defaults to build/rel/pluck, the files to every tests/sql/*.test.  Prints one FAIL
# block per failing case, SKIP/XPASS lines for skipped cases, and a summary line
# "sql: N passed, N failed, N skipped"; exit status 1 when a case failed.
#
# tests/e2e/t_sql.sh sources this file with SQL_RUN_LIB=1 to get the functions only:
#   sql_split DIR FILE...  parse the files into DIR (tests/sql/cases.awk)
#   sql_check PREFIX       run one case and compare; prints what differs, returns 0 or 1
#   sql_case_name PREFIX   "file.test:LINE: name"
# Both need $PLUCK (the binary) and $SQL_DIR (this directory).

sql_split() {
    _sd=$1
    shift
    # C locale: \xHH escapes must make single bytes even when awk is gawk
    LC_ALL=C awk -v out="$_sd" -f "$SQL_DIR/cases.awk" "$@"
}

sql_case_name() {
    { IFS= read -r _f; IFS= read -r _l; IFS= read -r _n; } <"$1.meta"
    printf '%s:%s: %s' "$_f" "$_l" "$_n"
}

# Exit status pluck must end with for an error code (see README.md).
sql_exit_for() {
    case $1 in
    CastFailed | IntegerOverflow | DivisionByZero | LikeInvalidInputs | \
        EvaluatorLikePatternInvalidEscapeSequence | IncorrectSqlFunctionArgumentType | \
        IllegalSqlFunctionArgument | UnsupportedTypeForQuerying | Evaluator*TimestampFormat* | \
        ValueParseFailure | TooManyGroups | CSV* | OverMax* | InvalidTextEncoding | \
        TruncatedInput | ColumnTooLong | InvalidCompressionFormat) echo 1 ;;
    InvalidRequestParameter | InvalidFileHeaderInfo | InvalidQuoteFields) echo 2 ;;
    *) echo 3 ;;
    esac
}

# Show a file's bytes with escapes visible (sed's l command), at most 12 lines.
_sql_show() {
    if [ -s "$2" ]; then
        sed -n l "$2" | head -n 12 | sed "s/^/    $1 /"
    else
        echo "    $1 (nothing)"
    fi
}

# Run the case's query with its options over its input; leaves PREFIX.out, .err, .rc.
sql_run() {
    _p=$1
    set --
    if [ -f "$_p.args" ]; then
        while IFS= read -r _w; do set -- "$@" "$_w"; done <"$_p.args"
    fi
    _sql=$(cat "$_p.sql"; echo x)
    _sql=${_sql%x}
    "$PLUCK" "$@" "$_sql" "$_p.input" >"$_p.out" 2>"$_p.err" </dev/null
    echo $? >"$_p.rc"
}

# Run one case and check it; quiet=1 suppresses the report of what differs.
sql_check() {
    _p=$1
    _quiet=${2:-0}
    sql_run "$_p"
    _rc=$(cat "$_p.rc")
    _why=
    if [ -f "$_p.error" ]; then
        _code=$(cat "$_p.error")
        _wrc=$(sql_exit_for "$_code")
        [ "$_rc" = "$_wrc" ] || _why="$_why exit $_rc (want $_wrc);"
        # "pluck: CODE: ..." (query and data errors) or "pluck: --option: CODE: ..." (bad values)
        grep -qE "^pluck: (--[a-z-]+: )?$_code: " "$_p.err" ||
            _why="$_why no 'pluck: $_code: ' on stderr;"
        if [ -f "$_p.pos" ]; then
            _pos=$(cat "$_p.pos")
            grep -qF "line ${_pos%%:*}, column ${_pos#*:}" "$_p.err" ||
                _why="$_why position is not line ${_pos%%:*}, column ${_pos#*:};"
        fi
        if [ -f "$_p.message" ] && ! grep -qF -- "$(cat "$_p.message")" "$_p.err"; then
            _why="$_why message lacks '$(cat "$_p.message")';"
        fi
        if [ -f "$_p.expect" ] && ! cmp -s "$_p.out" "$_p.expect"; then
            _why="$_why output before the error differs;"
        fi
    else
        [ "$_rc" = 0 ] || _why="$_why exit $_rc (want 0);"
        cmp -s "$_p.out" "$_p.expect" || _why="$_why output differs;"
        [ -s "$_p.err" ] && _why="$_why stderr not empty;"
    fi
    [ -z "$_why" ] && return 0
    if [ "$_quiet" = 0 ]; then
        echo "FAIL $(sql_case_name "$_p"):$_why"
        sed -n l "$_p.sql" | head -n 6 | sed 's/^/    sql  /'
        [ -f "$_p.args" ] && echo "    opts $(tr '\n' ' ' <"$_p.args")"
        if [ -f "$_p.expect" ]; then
            _sql_show want "$_p.expect"
            _sql_show got "$_p.out"
        fi
        [ -f "$_p.error" ] && echo "    want error $(cat "$_p.error") $(cat "$_p.pos" 2>/dev/null)"
        [ -s "$_p.err" ] && head -n 3 "$_p.err" | sed 's/^/    stderr /'
    fi
    return 1
}

if [ "${SQL_RUN_LIB:-0}" != 1 ]; then
    set -u
    verbose=0
    if [ "${1:-}" = -v ]; then
        verbose=1
        shift
    fi
    SQL_DIR=$(cd "$(dirname "$0")" && pwd)
    ROOT=$(cd "$SQL_DIR/../.." && pwd)
    PLUCK="$ROOT/build/rel/pluck"
    case ${1:-} in
    *.test | "") ;;
    *) PLUCK=$1; shift ;;
    esac
    case $PLUCK in /*) ;; *) PLUCK="$(pwd)/$PLUCK" ;; esac
    [ -x "$PLUCK" ] || { echo "run.sh: no pluck binary at $PLUCK" >&2; exit 2; }
    [ $# -gt 0 ] || set -- "$SQL_DIR"/*.test
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT INT TERM
    sql_split "$tmp" "$@" || exit 2
    pass=0 fail=0 skip=0 xpass=0
    for m in "$tmp"/*.meta; do
        [ -f "$m" ] || continue
        p=${m%.meta}
        if [ -f "$p.skip" ]; then
            skip=$((skip + 1))
            if sql_check "$p" 1; then
                xpass=$((xpass + 1))
                echo "XPASS $(sql_case_name "$p") (skipped: $(cat "$p.skip")) now passes"
            else
                echo "SKIP $(sql_case_name "$p"): $(cat "$p.skip")"
            fi
        elif sql_check "$p"; then
            pass=$((pass + 1))
            [ $verbose = 1 ] && echo "ok   $(sql_case_name "$p")"
        else
            fail=$((fail + 1))
        fi
    done
    echo "sql: $pass passed, $fail failed, $skip skipped ($xpass of them pass now)"
    [ $fail = 0 ]
fi

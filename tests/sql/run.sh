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
    _sql_name_of "$1"
    printf '%s' "$_sql_name"
}

# The same name into $_sql_name, without a subshell (called once per case).
_sql_name_of() {
    { IFS= read -r _f; IFS= read -r _l; IFS= read -r _n; } <"$1.meta"
    _sql_name="$_f:$_l: $_n"
}

# A file's whole text into $_sql_text with shell builtins only (no fork per case): every line
# with its newline, the last one with or without.  For the small text files of a case (.sql,
# .error, .pos, .message, .err); bytes are kept exactly except NUL, as with $(cat FILE).
_sql_slurp() {
    _sql_text=
    while IFS= read -r _w; do _sql_text="$_sql_text$_w
"; done <"$1"
    _sql_text="$_sql_text$_w"
}

# Exit status pluck must end with for an error code (see README.md).
sql_exit_for() {
    _sql_exit_of "$1"
    echo "$_sql_wrc"
}

# The same into $_sql_wrc, without a subshell.
_sql_exit_of() {
    _sql_wrc=3
    case $1 in
    CastFailed | IntegerOverflow | DivisionByZero | LikeInvalidInputs | \
        EvaluatorLikePatternInvalidEscapeSequence | IncorrectSqlFunctionArgumentType | \
        IllegalSqlFunctionArgument | UnsupportedTypeForQuerying | Evaluator*TimestampFormat* | \
        ValueParseFailure | TooManyGroups | CSV* | OverMax* | InvalidTextEncoding | \
        TruncatedInput | ColumnTooLong | InvalidCompressionFormat) _sql_wrc=1 ;;
    InvalidRequestParameter | InvalidFileHeaderInfo | InvalidQuoteFields) _sql_wrc=2 ;;
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
    _sql_slurp "$_p.sql"
    "$PLUCK" "$@" "$_sql_text" "$_p.input" >"$_p.out" 2>"$_p.err" </dev/null
    _sql_rc=$?
    echo $_sql_rc >"$_p.rc"
}

# Run one case and check it; quiet=1 suppresses the report of what differs.
sql_check() {
    _p=$1
    _quiet=${2:-0}
    sql_run "$_p"
    _rc=$_sql_rc
    _why=
    if [ -f "$_p.error" ]; then
        # shell builtins only below (once per case): the files are small, one line each
        _sql_slurp "$_p.error"
        _code=$_sql_text
        _sql_exit_of "$_code"
        _wrc=$_sql_wrc
        [ "$_rc" = "$_wrc" ] || _why="$_why exit $_rc (want $_wrc);"
        # "pluck: CODE: ..." (query and data errors) or "pluck: --option: CODE: ..." (bad values),
        # at the start of a line: what grep -qE "^pluck: (--[a-z-]+: )?$_code: " finds
        _sql_hit=0
        while IFS= read -r _w || [ -n "$_w" ]; do
            case $_w in
            "pluck: $_code: "*) _sql_hit=1 ;;
            "pluck: --"*)
                _w=${_w#pluck: --}
                case ${_w%%: *} in *[!a-z-]* | "") ;; *)
                    case ${_w#*: } in "$_code: "*) _sql_hit=1 ;; esac ;;
                esac ;;
            esac
            _w=
        done <"$_p.err"
        [ $_sql_hit = 1 ] || _why="$_why no 'pluck: $_code: ' on stderr;"
        _sql_slurp "$_p.err"
        _errtext=$_sql_text
        if [ -f "$_p.pos" ]; then
            _sql_slurp "$_p.pos"
            _pos=$_sql_text
            case $_errtext in *"line ${_pos%%:*}, column ${_pos#*:}"*) ;; *)
                _why="$_why position is not line ${_pos%%:*}, column ${_pos#*:};" ;;
            esac
        fi
        if [ -f "$_p.message" ]; then
            _sql_slurp "$_p.message"
            case $_errtext in *"$_sql_text"*) ;; *)
                _why="$_why message lacks '$_sql_text';" ;;
            esac
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
        _sql_name_of "$_p"
        echo "FAIL $_sql_name:$_why"
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

# lib.sh — helpers for the end-to-end tests, sourced by tests/e2e/*.sh.
#   ok NAME EXIT EXPECTED_STDOUT CMD...      exact stdout and exit status
#   err NAME EXIT CODE_SUBSTRING CMD...      exit status, empty-or-any stdout, stderr contains
# Counters live in $E2E_COUNTS (a file) so sub-shells can add to them.

_count() { echo "$1" >>"$E2E_COUNTS"; }

ok() {
    name=$1 want_rc=$2 want=$3
    shift 3
    got=$("$@" 2>"$E2E_TMP/stderr"; echo "rc=$?")
    rc=${got##*rc=}
    got=${got%rc=*}
    want_full="$want"
    if [ "$rc" = "$want_rc" ] && [ "$got" = "$want_full" ]; then
        _count pass
    else
        _count fail
        echo "FAIL $name: exit $rc (want $want_rc)"
        printf '  want: %s\n' "$(printf '%s' "$want_full" | head -c 600)"
        printf '  got:  %s\n' "$(printf '%s' "$got" | head -c 600)"
        sed 's/^/  stderr: /' "$E2E_TMP/stderr" | head -n 5
    fi
}

err() {
    name=$1 want_rc=$2 want_err=$3
    shift 3
    "$@" >"$E2E_TMP/stdout" 2>"$E2E_TMP/stderr"
    rc=$?
    if [ "$rc" = "$want_rc" ] && grep -qF -- "$want_err" "$E2E_TMP/stderr"; then
        _count pass
    else
        _count fail
        echo "FAIL $name: exit $rc (want $want_rc), stderr should contain: $want_err"
        sed 's/^/  stderr: /' "$E2E_TMP/stderr" | head -n 5
    fi
}

# file_eq NAME FILE_A FILE_B: byte-identical files
file_eq() {
    if cmp -s "$2" "$3"; then _count pass; else
        _count fail
        echo "FAIL $1: $2 and $3 differ"
        diff "$2" "$3" | head -n 10
    fi
}

# cond NAME TEST...: a shell condition that must hold
cond() {
    name=$1
    shift
    if "$@"; then _count pass; else _count fail; echo "FAIL $name: $*"; fi
}

# threads_same TAG NAME WANT_RC PLUCK_ARGS...: threads 1 and 2 agree on stdout, stderr (the
# --stats lines minus Elapsed) and exit status, which is WANT_RC; stdout in $T/out, stderr in
# $T/err.  With EARLY=1 (the run stops before the end: an error or the LIMIT) BytesScanned
# and BytesProcessed are left out: two threads have read ahead further.  (t_lanes, t_splits,
# t_gzindex: each wraps it as `same` with its own TAG.)
threads_same() {
    _sn="$1: $2" _src=$3
    shift 3
    "$PLUCK" --threads 1 --stats "$@" >"$T/out1" 2>"$T/err1"
    _r1=$?
    "$PLUCK" --threads 2 --stats "$@" >"$T/out" 2>"$T/err"
    _r2=$?
    _skip='^Elapsed'
    [ "${EARLY:-0}" = 1 ] && _skip='^Elapsed\|^BytesScanned\|^BytesProcessed'
    grep -v "$_skip" "$T/err1" >"$T/e1"
    grep -v "$_skip" "$T/err" >"$T/e2"
    cond "$_sn: exit status (1 thread $_r1, 2 threads $_r2, want $_src)" [ "$_r1" = "$_src" -a "$_r2" = "$_src" ]
    file_eq "$_sn: stdout, 1 vs 2 threads" "$T/out1" "$T/out"
    file_eq "$_sn: stderr and stats, 1 vs 2 threads" "$T/e1" "$T/e2"
}

# inject NTH LINE: $T/s.csv with LINE inserted as line NTH, into $T/bad.csv
inject() { awk -v n="$1" -v l="$2" 'NR == n { print l } { print }' "$T/s.csv" >"$T/bad.csv"; }

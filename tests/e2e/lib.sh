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

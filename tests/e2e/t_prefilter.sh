# t_prefilter.sh — the literal prefilter (src/exec/prefilter.c) against Python's csv module:
# tests/e2e/prefilter_diff.py generates seeded CSV files (quotes, doubled and escaped quotes,
# quotes inside unquoted fields, CRLF, blank and comment lines, ragged rows, multi-byte text,
# the literal in and out of quotes and near-misses of it; a third of them malformed: an
# unescaped quote, a quote left open, a quoted newline, a record over MaxRecordSize, invalid
# UTF-8) in random dialects, and queries whose WHERE binds a prefilter (LIKE '%lit%', 'lit%',
# '%lit', 'lit', = 'lit', AND chains with NOT LIKE, BETWEEN, IN, IS NOT MISSING, OR inside;
# `--explain` must name the literal).  pluck's stdout, exit status, error (code and record)
# and --stats counts must equal the oracle's (csv.reader / csv.writer / json.dumps; the
# record of the first malformed line where csv.reader is strict) and those of the same query
# without a prefilter (its WHERE written `(...) OR 1 = 0`, for which --explain says none).
# Two cases are past 1.4 MB, so that --threads 2 runs them on lanes.  A failure prints the
# smallest failing input and the command.  Every check is strict (F22, F23, F24 of
# tests/HARDENING.md, found here and by fuzz_prefilter, are fixed).
# Seed PREFILTER_SEED (default 20261206); PREFILTER_LONG=1 runs 2,000 cases and 20 large ones
# instead of 80 and 2 (`make prefilter-long`; under SANITIZE=1: 30 and 1).  Needs python3.

if ! command -v python3 >/dev/null 2>&1; then
    cond "prefilter: python3 is installed (scripts/deps.sh)" false
else
    _pf_out="$E2E_TMP/prefilter_diff.out"
    if [ "${PREFILTER_LONG:-0}" = 1 ]; then
        _pf_cases=2000 _pf_big=20
    elif [ "${SANITIZE:-0}" = 1 ]; then
        _pf_cases=30 _pf_big=1 # every pluck run pays for ASan's start-up
    else
        _pf_cases=80 _pf_big=2
    fi
    python3 "$ROOT/tests/e2e/prefilter_diff.py" "$PLUCK" --seed "${PREFILTER_SEED:-20261206}" \
        --cases "$_pf_cases" --big "$_pf_big" >"$_pf_out" 2>&1
    _pf_rc=$?
    _pf_groups=0
    while IFS= read -r _pf_line; do
        case $_pf_line in
        "ok "*)
            _pf_groups=$((_pf_groups + 1))
            cond "prefilter: ${_pf_line#ok }" true
            ;;
        "not ok "*" case "*) echo "$_pf_line" ;;
        "not ok "*)
            _pf_groups=$((_pf_groups + 1))
            cond "prefilter: ${_pf_line#not ok }" false
            ;;
        "    "*) echo "$_pf_line" ;;
        esac
    done <"$_pf_out"
    tail -n 1 "$_pf_out"
    cond "prefilter: prefilter_diff.py ran its case groups (exit $_pf_rc)" \
        [ "$_pf_groups" -ge 4 -a "$_pf_rc" -le 1 ]
    _pf_q=$(tail -n 1 "$_pf_out" | sed -n 's/.* cases, \([0-9]*\) queries (\([0-9]*\) bound.*/\1 \2/p')
    cond "prefilter: every query bound a prefilter (queries, bound: $_pf_q)" \
        [ -n "$_pf_q" -a "${_pf_q% *}" = "${_pf_q#* }" ]
fi

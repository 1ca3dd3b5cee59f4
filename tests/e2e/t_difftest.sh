# t_difftest.sh — the generative differential test (tests/diff/difftest.py): about 40,000
# random expressions x records over arithmetic, comparisons, casts, string functions, LIKE,
# GROUP BY / ORDER BY and aggregates, each checked against tests/diff/oracle.py, an
# independent Python model of pluck(1)'s rules.  Fixed seed (DIFFTEST_SEED picks another);
# one count per family.
# `make difftest SEED=N SCALE=K` runs more.  Needs python3 (Debian package python3).

if ! command -v python3 >/dev/null 2>&1; then
    cond "difftest: python3 is installed (scripts/deps.sh)" false
else
    _dt_out="$E2E_TMP/difftest.out"
    python3 "$ROOT/tests/diff/difftest.py" "$PLUCK" --seed "${DIFFTEST_SEED:-12}" --scale 1 \
        >"$_dt_out" 2>&1
    _dt_rc=$?
    _dt_n=0
    while IFS= read -r _dt_line; do
        case $_dt_line in
        "ok "*)
            _dt_n=$((_dt_n + 1))
            cond "difftest: ${_dt_line#ok }" true
            ;;
        "not ok "*)
            _dt_n=$((_dt_n + 1))
            cond "difftest: ${_dt_line#not ok }" false
            ;;
        "    "*) echo "$_dt_line" ;;
        esac
    done <"$_dt_out"
    tail -n 1 "$_dt_out"
    cond "difftest: difftest.py ran every family (exit $_dt_rc)" [ "$_dt_n" -eq 7 -a "$_dt_rc" -le 1 ]
fi

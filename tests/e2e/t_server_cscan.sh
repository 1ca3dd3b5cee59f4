# t_server_cscan.sh — ScanRange over compressed objects in `pluck serve` (issue 16 §3, a
# pluck extension; AWS answers UnsupportedScanRangeInput): seeded random fan-outs of
# adjacent ranges over BGZF, pzstd and multi-frame zstd objects add up to the whole-object
# select byte for byte, for CSV and JSON output (tests/e2e/server_cscan.py, boto3).

CS_PY=/usr/bin/python3
CS_ROOT="$E2E_TMP/cscanroot"
CS_OUT="$E2E_TMP/cscan.out"
CS_ERR="$E2E_TMP/cscan.err"
mkdir -p "$CS_ROOT"
if [ ! -x "$CS_PY" ] || ! "$CS_PY" -c 'import boto3' 2>/dev/null ||
    ! command -v bgzip >/dev/null || ! command -v pzstd >/dev/null; then
    echo "FAIL cscan: python3-boto3, bgzip (tabix) and pzstd (zstd) are needed (scripts/deps.sh)"
    _count fail
elif ! SERVER_ROOT=$CS_ROOT PLUCK=$PLUCK RESULTS=/dev/null SERVER_URL=http://127.0.0.1:9 AK=x SK=x \
    "$CS_PY" "$ROOT/tests/e2e/server_cscan.py" plant; then
    echo "FAIL cscan: could not plant the index files a restart finds"
    _count fail
else
    "$PLUCK" serve --root "$CS_ROOT" --listen 127.0.0.1:0 --access-key-id AKCSCAN \
        --secret-access-key "cscan/secret" >"$CS_OUT" 2>"$CS_ERR" &
    CS_PID=$!
    CS_URL=
    for _i in $(seq 1 100); do
        CS_URL=$(head -n 1 "$CS_OUT" 2>/dev/null)
        [ -n "$CS_URL" ] && break
        sleep 0.05
    done
    cond "cscan: the server started" [ -n "$CS_URL" ]
    if [ -n "$CS_URL" ]; then
        : >"$E2E_TMP/cscan.results"
        SERVER_URL=$CS_URL SERVER_ROOT=$CS_ROOT SERVER_PID=$CS_PID AK=AKCSCAN SK="cscan/secret" \
            RESULTS="$E2E_TMP/cscan.results" PYTHONDONTWRITEBYTECODE=1 \
            timeout 300 "$CS_PY" "$ROOT/tests/e2e/server_cscan.py" 2>&1 | sed 's/^/  /'
        _tab=$(printf '\t')
        while IFS="$_tab" read -r _st _name _rest; do
            cond "cscan: $_name" [ "$_st" = ok ]
        done <"$E2E_TMP/cscan.results"
        cond "cscan: the python tests reported assertions" [ -s "$E2E_TMP/cscan.results" ]
    fi
    kill -TERM "$CS_PID" 2>/dev/null
    wait "$CS_PID"
    cs_rc=$?
    cond "cscan: the server exits 0 after SIGTERM (got $cs_rc)" [ "$cs_rc" = 0 ]
    cond "cscan: nothing unexpected on the server's standard error" \
        sh -c "! grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' '$CS_ERR'"
    rm -rf "$CS_ROOT"
fi

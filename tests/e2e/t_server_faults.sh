# t_server_faults.sh — `pluck serve` against hostile and broken clients (tests/HARDENING.md,
# "The server under load and faults"): disconnects mid-stream, a slow reader, requests sent
# byte by byte, oversized headers and bodies, malformed XML, bad signatures, uploads aborted
# mid-body and multipart uploads aborted.  The assertions are in tests/e2e/server_faults.py
# (standard library only); each is counted here.  The server is then stopped with SIGTERM:
# it must exit 0 with nothing on standard error but its two log lines, which under
# `make test SANITIZE=1` means AddressSanitizer, UBSan and LeakSanitizer found nothing, and
# no temporary file or upload directory may be left under the root.

FLT_PY=/usr/bin/python3
FLT_ROOT="$E2E_TMP/faultroot"
FLT_OUT="$E2E_TMP/faults.out"
FLT_ERR="$E2E_TMP/faults.err"
FLT_MAX_XML=65536
FLT_MAX_OBJECT=8388608
mkdir -p "$FLT_ROOT/faults"

if [ ! -x "$FLT_PY" ]; then
    echo "FAIL faults: /usr/bin/python3 is needed"
    _count fail
else
    # 64 MiB of CSV: the answer of SELECT * is far larger than any buffer on the way
    "$TOOLS/gencsv" 64M >"$FLT_ROOT/faults/big.csv"
    flt_records=$(wc -l <"$FLT_ROOT/faults/big.csv")
    : >"$FLT_OUT"
    "$PLUCK" serve --root "$FLT_ROOT" --listen 127.0.0.1:0 --access-key-id AKFAULTS \
        --secret-access-key "faults/secret" --max-xml-size $FLT_MAX_XML \
        --max-object-size $FLT_MAX_OBJECT --idle-timeout 2 >"$FLT_OUT" 2>"$FLT_ERR" &
    FLT_PID=$!
    FLT_URL=
    for _i in $(seq 1 100); do
        FLT_URL=$(head -n 1 "$FLT_OUT" 2>/dev/null)
        [ -n "$FLT_URL" ] && break
        sleep 0.05
    done
    cond "faults: the server started" [ -n "$FLT_URL" ]
    if [ -n "$FLT_URL" ]; then
        : >"$E2E_TMP/faults.results"
        SERVER_URL=$FLT_URL SERVER_ROOT=$FLT_ROOT SERVER_PID=$FLT_PID AK=AKFAULTS \
            SK="faults/secret" BUCKET=faults BIG_RECORDS=$flt_records SANITIZE=${SANITIZE:-} \
            MAX_XML=$FLT_MAX_XML MAX_OBJECT=$FLT_MAX_OBJECT RESULTS="$E2E_TMP/faults.results" \
            PYTHONDONTWRITEBYTECODE=1 timeout 240 "$FLT_PY" "$ROOT/tests/e2e/server_faults.py" 2>&1 |
            sed 's/^/  /'
        _tab=$(printf '\t')
        while IFS="$_tab" read -r _st _name _rest; do
            cond "faults: $_name" [ "$_st" = ok ]
        done <"$E2E_TMP/faults.results"
        cond "faults: the python tests reported assertions" [ -s "$E2E_TMP/faults.results" ]
    fi
    kill -TERM "$FLT_PID" 2>/dev/null
    wait "$FLT_PID"
    flt_rc=$?
    cond "faults: SIGTERM stops the server with exit 0 (LeakSanitizer clean under SANITIZE=1; got $flt_rc)" \
        [ "$flt_rc" = 0 ]
    if grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$FLT_ERR" >/dev/null; then
        _count fail
        echo "FAIL faults: the server wrote to standard error:"
        grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$FLT_ERR" | head -n 40 |
            sed 's/^/  /'
    else
        _count pass
    fi
    flt_left=$(find "$FLT_ROOT" -name '.pluck-tmp-*' | wc -l)
    flt_up=$(find "$FLT_ROOT/.pluck-uploads" -mindepth 1 2>/dev/null | wc -l)
    cond "faults: no temporary files ($flt_left) or upload directories ($flt_up) left" \
        [ "$flt_left" = 0 -a "$flt_up" = 0 ]
    rm -rf "$FLT_ROOT"
fi

# t_server_attack.sh — the attacks of issue 13 against `pluck serve` (tests/HARDENING.md,
# "Threat model"): each finding is one test in tests/e2e/server_attack.py, the attack first,
# then the proof of no harm (status, object unchanged, VmHWM under the bound stated in
# pluck-serve(1), CPU time that stops growing after a disconnect, a signed client served
# during a slowloris).  The server runs with small limits so that the attacks stay cheap;
# PLUCK_SERVE_OLD=path runs the same tests against another binary (to show they fail there).
# Every loop is bounded in count and time; everything listens on 127.0.0.1.

ATK_PY=/usr/bin/python3
ATK_ROOT="$E2E_TMP/attackroot"
ATK_OUT="$E2E_TMP/attack.out"
ATK_ERR="$E2E_TMP/attack.err"
ATK_BIN=${PLUCK_SERVE_OLD:-$PLUCK}
mkdir -p "$ATK_ROOT/atk"
printf 'a\nb\n' >"$ATK_ROOT/atk/big.csv"

if [ ! -x "$ATK_PY" ]; then
    echo "FAIL attack: /usr/bin/python3 is needed"
    _count fail
else
    : >"$ATK_OUT"
    # the limits the fixed server has (an older binary, PLUCK_SERVE_OLD, runs without them)
    ATK_OPTS=
    for _o in "--shutdown-grace 1" "--max-connections-per-ip 24" "--header-timeout 3" \
        "--max-window 8M"; do
        "$ATK_BIN" serve --help | grep -q -e "${_o%% *}" && ATK_OPTS="$ATK_OPTS $_o"
    done
    # ASan's quarantine would hold freed blocks and hide what the server keeps
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
    "$ATK_BIN" serve --root "$ATK_ROOT" --listen 127.0.0.1:0 --access-key-id AKATTACK \
        --secret-access-key "attack/secret" --idle-timeout 30 --keepalive 200 --max-connections 48 \
        $ATK_OPTS >"$ATK_OUT" 2>"$ATK_ERR" &
    ATK_PID=$!
    ATK_URL=
    for _i in $(seq 1 100); do
        ATK_URL=$(head -n 1 "$ATK_OUT" 2>/dev/null)
        [ -n "$ATK_URL" ] && break
        sleep 0.05
    done
    cond "attack: the server started" [ -n "$ATK_URL" ]
    if [ -n "$ATK_URL" ]; then
        : >"$E2E_TMP/attack.results"
        ATK_BIN=$ATK_BIN SERVER_URL=$ATK_URL SERVER_ROOT=$ATK_ROOT SERVER_PID=$ATK_PID AK=AKATTACK \
            SK="attack/secret" BUCKET=atk BIG_RECORDS=2 SANITIZE=${SANITIZE:-} \
            MAX_XML=2097152 MAX_OBJECT=5368709120 RESULTS="$E2E_TMP/attack.results" \
            PYTHONDONTWRITEBYTECODE=1 timeout 300 "$ATK_PY" "$ROOT/tests/e2e/server_attack.py" 2>&1 |
            sed 's/^/  /'
        _tab=$(printf '\t')
        while IFS="$_tab" read -r _st _name _rest; do
            cond "attack: $_name" [ "$_st" = ok ]
        done <"$E2E_TMP/attack.results"
        cond "attack: the python tests reported assertions" [ -s "$E2E_TMP/attack.results" ]
    fi
    kill -TERM "$ATK_PID" 2>/dev/null
    wait "$ATK_PID"
    atk_rc=$?
    cond "attack: the server exits 0 after SIGTERM (got $atk_rc)" [ "$atk_rc" = 0 ]
    if grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$ATK_ERR" >/dev/null; then
        _count fail
        echo "FAIL attack: the server wrote to standard error:"
        grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$ATK_ERR" | head -n 40 |
            sed 's/^/  /'
    else
        _count pass
    fi
    rm -rf "$ATK_ROOT" "$E2E_TMP/attack2"
fi

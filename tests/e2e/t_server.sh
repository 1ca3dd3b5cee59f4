# t_server.sh — `pluck serve` end to end: starts the server on 127.0.0.1 with a free port,
# runs tests/server/test_server.py (boto3, the AWS CLI and raw HTTP with an independent
# event-stream decoder), counts each of its assertions here, and stops the server.
# Needs Debian's python3-boto3 and awscli (scripts/deps.sh); the Debian interpreter is used
# explicitly so that another python3 earlier in PATH cannot hide them.

SRV_PY=/usr/bin/python3
SRV_AWS=/usr/bin/aws
SRV_ROOT="$E2E_TMP/s3root"
SRV_OUT="$E2E_TMP/serve.out"
SRV_ERR="$E2E_TMP/serve.err"
mkdir -p "$SRV_ROOT"

# ---- command line ------------------------------------------------------------------------
"$PLUCK" serve --help >"$E2E_TMP/serve.help" 2>&1
cond "serve: --help exits 0" [ $? = 0 ]
cond "serve: --help shows the usage" grep -q "Usage: pluck serve --root DIR" "$E2E_TMP/serve.help"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PLUCK" serve --root "$SRV_ROOT" \
    --listen 127.0.0.1:0 >/dev/null 2>"$E2E_TMP/serve.nocred"
cond "serve: refuses to start without credentials or --anonymous (exit 2)" [ $? = 2 ]
cond "serve: says why" grep -q "no credentials" "$E2E_TMP/serve.nocred"
err "serve: --root is required" 2 "--root DIR is required" "$PLUCK" serve --anonymous
err "serve: bad --listen" 2 "invalid --listen" "$PLUCK" serve --anonymous --root "$SRV_ROOT" \
    --listen nonsense

# ---- start ---------------------------------------------------------------------------------
srv_start() { # extra options...
    : >"$SRV_OUT"
    "$PLUCK" serve --root "$SRV_ROOT" --listen 127.0.0.1:0 --access-key-id AKPLUCKTEST \
        --secret-access-key "pluck/secret+key" "$@" >"$SRV_OUT" 2>"$SRV_ERR" &
    SRV_PID=$!
    SRV_URL=
    for _i in $(seq 1 100); do
        SRV_URL=$(head -n 1 "$SRV_OUT" 2>/dev/null)
        [ -n "$SRV_URL" ] && break
        sleep 0.05
    done
}
srv_stop() {
    kill -TERM "$SRV_PID" 2>/dev/null
    wait "$SRV_PID"
    SRV_RC=$?
}

if [ ! -x "$SRV_PY" ] || ! "$SRV_PY" -c 'import boto3' 2>/dev/null || [ ! -x "$SRV_AWS" ]; then
    echo "FAIL server: Debian's python3-boto3 and awscli are needed (run scripts/deps.sh)"
    _count fail
else
    srv_start --keepalive 5 --progress-interval 0 --max-xml-size 64K --max-object-size 64M \
        --idle-timeout 5
    cond "serve: prints its URL with the chosen port" \
        sh -c "echo '$SRV_URL' | grep -Eq '^http://127\.0\.0\.1:[0-9]+$'"
    cond "serve: listens on 127.0.0.1 only" sh -c "! echo '$SRV_URL' | grep -q ':9000$'"
    if [ -n "$SRV_URL" ]; then
        : >"$E2E_TMP/server.results"
        SERVER_URL=$SRV_URL SERVER_ROOT=$SRV_ROOT SERVER_PID=$SRV_PID AK=AKPLUCKTEST \
            SK="pluck/secret+key" AWS=$SRV_AWS RESULTS="$E2E_TMP/server.results" \
            PYTHONDONTWRITEBYTECODE=1 timeout 300 "$SRV_PY" "$ROOT/tests/server/test_server.py" 2>&1 | sed 's/^/  /'
        _tab=$(printf '\t')
        while IFS="$_tab" read -r _st _name _rest; do
            cond "server: $_name" [ "$_st" = ok ]
        done <"$E2E_TMP/server.results"
        cond "server: the python tests reported assertions" [ -s "$E2E_TMP/server.results" ]
    fi
    srv_stop
    cond "serve: SIGTERM stops it with exit 0" [ "$SRV_RC" = 0 ]
    cond "serve: nothing unexpected on its standard error" \
        sh -c "! grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' '$SRV_ERR'"

    # anonymous mode: unsigned requests are served
    mkdir -p "$SRV_ROOT/anon" && printf 'a,b\n1,2\n' >"$SRV_ROOT/anon/t.csv"
    srv_start --anonymous
    if [ -n "$SRV_URL" ]; then
        anon=$("$SRV_PY" - "$SRV_URL" <<'EOF'
import sys, boto3
from botocore import UNSIGNED
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                  config=Config(signature_version=UNSIGNED))
r = s3.select_object_content(Bucket='anon', Key='t.csv', ExpressionType='SQL',
                             Expression='SELECT s.b FROM S3Object s',
                             InputSerialization={'CSV': {'FileHeaderInfo': 'USE'}},
                             OutputSerialization={'CSV': {}})
print(b''.join(e['Records']['Payload'] for e in r['Payload'] if 'Records' in e).decode(), end='')
EOF
)
        cond "serve --anonymous: unsigned select works" [ "$anon" = 2 ]
        code=$(curl -s -o /dev/null -w '%{http_code}' "$SRV_URL/anon/t.csv" 2>/dev/null || echo curl-missing)
        cond "serve --anonymous: unsigned GET (curl) works" [ "$code" = 200 -o "$code" = curl-missing ]
    fi
    srv_stop
fi

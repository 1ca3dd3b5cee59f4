# t_upstream.sh — objects in other S3 stores: `pluck SQL s3://bucket/key` and
# `pluck serve --upstream URL`, against two independent stores on 127.0.0.1: s3rver (npm,
# installed by scripts/s3rver.sh; it does not check signatures) and a second `pluck serve
# --root` (it does); never skipped: without node or s3rver every run fails loudly.  s3rver
# 3.7.1 verified on Debian 12's nodejs 18.20.4 (what scripts/deps.sh installs) and on node 20.
# The gateway tests are tests/server/test_upstream.py (boto3); the memory
# test streams a generated object of UP_BIG through a gateway and through the CLI and reads
# each process's peak RSS (VmHWM).  Every wait is bounded.

UP_PY=/usr/bin/python3
UP_AWS=/usr/bin/aws
UP="$E2E_TMP/upstream"
mkdir -p "$UP/stage/dir" "$UP/rootB/data" "$UP/s3rver"
UP_PIDS=""
UP_BIG=${UP_BIG:-300M}

# up_url FILE SED_EXPR: the first line of FILE that SED_EXPR prints, waiting up to 10 s
up_url() {
    for _i in $(seq 1 200); do
        _u=$(sed -n "$2" "$1" 2>/dev/null | head -n 1)
        [ -n "$_u" ] && { echo "$_u"; return 0; }
        sleep 0.05
    done
    return 1
}
# up_gateway NAME UPSTREAM_URL [env assignments...]: starts a gateway, sets GW_URL
up_gateway() {
    _n=$1 _u=$2
    shift 2
    env -u PLUCK_UPSTREAM_ACCESS_KEY_ID -u PLUCK_UPSTREAM_SECRET_ACCESS_KEY \
        -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN "$@" \
        "$PLUCK" serve --upstream "$_u" --listen 127.0.0.1:0 --access-key-id AKGATEWAY \
        --secret-access-key "gateway/secret" >"$UP/$_n.out" 2>"$UP/$_n.err" &
    UP_PIDS="$UP_PIDS $!"
    GW_PID=$!
    GW_URL=$(up_url "$UP/$_n.out" '/^http/p')
}
up_stop_all() {
    for _p in $UP_PIDS; do kill -TERM "$_p" 2>/dev/null; done
    for _p in $UP_PIDS; do wait "$_p" 2>/dev/null; done
    UP_PIDS=""
}
# up_whole FILE: non-empty, every line "N,N", ending with a newline
up_whole() {
    [ -s "$1" ] && ! grep -Evq '^[0-9]+,[0-9]+$' "$1" &&
        [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]
}
# VmHWM of a running process, in KiB
up_hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

S3RVER_JS=$(sh "$ROOT/scripts/s3rver.sh" 2>"$UP/npm.err")
if [ -z "$S3RVER_JS" ] || ! command -v node >/dev/null 2>&1 || [ ! -x "$UP_PY" ] ||
    [ ! -x "$UP_AWS" ]; then
    echo "FAIL upstream: node + s3rver (scripts/s3rver.sh), python3-boto3 and awscli are needed"
    sed 's/^/  /' "$UP/npm.err" | head -n 5
    _count fail
else
    # ---- the two stores, holding the same objects ----------------------------------------
    for ext in csv csv.gz csv.zst csv.bz2; do cp "$DATA/airports.$ext" "$UP/stage/"; done
    cp "$DATA/airports.csv" "$UP/stage/dir/odd key+name=%é.csv"
    node "$S3RVER_JS" -d "$UP/s3rver" -a 127.0.0.1 -p 0 -s >"$UP/a.out" 2>&1 &
    UP_PIDS="$UP_PIDS $!"
    A=$(up_url "$UP/a.out" 's/^S3rver listening on \([0-9.]*:[0-9]*\).*/http:\/\/\1/p')
    cp -r "$UP/stage/." "$UP/rootB/data/"
    "$PLUCK" serve --root "$UP/rootB" --listen 127.0.0.1:0 --access-key-id AKSTOREB \
        --secret-access-key "storeB/secret" >"$UP/b.out" 2>"$UP/b.err" &
    UP_PIDS="$UP_PIDS $!"
    B=$(up_url "$UP/b.out" '/^http/p')
    cond "upstream: s3rver started ($A)" [ -n "$A" ]
    [ -n "$A" ] || { echo "  s3rver ($(node --version 2>&1)) said:"; head -n 5 "$UP/a.out" | sed 's/^/  /'; }
    cond "upstream: the second pluck serve started ($B)" [ -n "$B" ]
    AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
        timeout 120 "$UP_AWS" --endpoint-url "$A" s3 mb s3://data >/dev/null 2>"$UP/aws.err" &&
        AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
            timeout 120 "$UP_AWS" --endpoint-url "$A" s3 cp --recursive --only-show-errors \
            "$UP/stage" s3://data/ >/dev/null 2>>"$UP/aws.err"
    cond "upstream: objects uploaded to s3rver with the AWS CLI" [ $? = 0 ]

    # ---- the CLI reads s3://bucket/key ---------------------------------------------------
    # the same CLI, configured for each store: A from the environment, B with --endpoint-url
    cliA() {
        env AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL="$A" \
            AWS_REGION=us-east-1 "$PLUCK" "$@"
    }
    cliB() {
        env -u AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=AKSTOREB AWS_SECRET_ACCESS_KEY="storeB/secret" \
            AWS_REGION=us-east-1 "$PLUCK" --endpoint-url "$B" "$@"
    }
    SQL="SELECT s.ident, s.name, s.iso_country FROM S3Object s WHERE s.type = 'large_airport'"
    for store in A B; do
        for ext in csv csv.gz csv.zst csv.bz2; do
            cli$store -H "$SQL" "s3://data/airports.$ext" >"$UP/s3.out" 2>"$UP/s3.err"
            "$PLUCK" -H "$SQL" "$DATA/airports.$ext" >"$UP/local.out"
            file_eq "cli s3:// ($store): airports.$ext equals the local file" "$UP/s3.out" \
                "$UP/local.out"
        done
        cli$store --json -H "SELECT * FROM S3Object s LIMIT 3" "s3://data/dir/odd key+name=%é.csv" \
            >"$UP/s3.out" 2>"$UP/s3.err"
        "$PLUCK" --json -H "SELECT * FROM S3Object s LIMIT 3" "$DATA/airports.csv" >"$UP/local.out"
        file_eq "cli s3:// ($store): an escaped key, JSON, LIMIT" "$UP/s3.out" "$UP/local.out"
        err "cli s3:// ($store): missing key" 1 "NoSuchKey" cli$store "SELECT * FROM S3Object" s3://data/nosuch.csv
        err "cli s3:// ($store): missing bucket" 1 "NoSuchBucket" cli$store "SELECT * FROM S3Object" s3://nob/k.csv
        # a prefix: every object under it, in key order, each queried on its own
        cli$store -H "SELECT COUNT(*) FROM S3Object" s3://data/ >"$UP/s3.out" 2>"$UP/s3.err"
        for f in airports.csv airports.csv.bz2 airports.csv.gz airports.csv.zst \
            "dir/odd key+name=%é.csv"; do
            "$PLUCK" -H "SELECT COUNT(*) FROM S3Object" "$UP/stage/$f"
        done >"$UP/local.out"
        file_eq "cli s3:// ($store): s3://data/ is every object, in key order" "$UP/s3.out" \
            "$UP/local.out"
        # --union: every object under the prefix is one table (aggregates, GROUP BY and a
        # LIMIT span the objects), as the CLI's --union over the local copies in key order
        for q in "SELECT COUNT(*), SUM(s.latitude_deg), AVG(s.elevation_ft), MIN(s.ident), \
MAX(s.name) FROM S3Object s" \
            "SELECT s.continent, COUNT(*), SUM(s.longitude_deg) FROM S3Object s GROUP BY \
s.continent ORDER BY s.continent" \
            "SELECT s.ident FROM S3Object s WHERE s.iso_country = 'NZ' LIMIT 700"; do
            cli$store --union -H -X "$q" s3://data/ >"$UP/s3.out" 2>"$UP/s3.err"
            (cd "$UP/stage" && "$PLUCK" --union -H -X "$q" airports.csv airports.csv.bz2 \
                airports.csv.gz airports.csv.zst "dir/odd key+name=%é.csv") >"$UP/local.out"
            file_eq "cli s3:// ($store): --union over s3://data/: ${q%% FROM*}" "$UP/s3.out" \
                "$UP/local.out"
            cond "cli s3:// ($store): --union: the local answer is not empty" [ -s "$UP/local.out" ]
        done
        cond "cli s3:// ($store): s3://data/dir/ is the one object under dir/" \
            [ "$(cli$store -H "SELECT COUNT(*) FROM S3Object" s3://data/dir/)" = 46479 ]
        err "cli s3:// ($store): an empty prefix" 1 "no objects under this prefix" \
            cli$store "SELECT * FROM S3Object" s3://data/nothing/
        # progress: standard error on a terminal (script(1)'s pty), the output held up by a slow
        # reader so that the run lasts past the bar's first half second
        if [ $store = A ]; then ep="AWS_ENDPOINT_URL=$A AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER"
        else ep="AWS_ENDPOINT_URL=$B AWS_ACCESS_KEY_ID=AKSTOREB AWS_SECRET_ACCESS_KEY=storeB/secret"; fi
        timeout 60 script -qec "env $ep '$PLUCK' --progress 'SELECT * FROM S3Object' \
            s3://data/airports.csv | (sleep 1; cat >/dev/null)" /dev/null >"$UP/prog.out" 2>&1
        cond "cli s3:// ($store): --progress shows the share of the Content-Length done" \
            grep -q "] *[0-9]*% " "$UP/prog.out"
    done
    err "cli s3://: a wrong secret is refused by a store that checks signatures" 1 \
        "SignatureDoesNotMatch" env AWS_ACCESS_KEY_ID=AKSTOREB AWS_SECRET_ACCESS_KEY=wrong \
        "$PLUCK" --endpoint-url "$B" "SELECT * FROM S3Object" s3://data/airports.csv
    err "cli s3://: an unknown key id" 1 "InvalidAccessKeyId" env AWS_ACCESS_KEY_ID=NOPE \
        AWS_SECRET_ACCESS_KEY=x "$PLUCK" --endpoint-url "$A" "SELECT * FROM S3Object" s3://data/airports.csv
    err "cli s3://: no store answering" 1 "cannot reach" env AWS_ACCESS_KEY_ID=a \
        AWS_SECRET_ACCESS_KEY=b "$PLUCK" --endpoint-url http://127.0.0.1:1 "SELECT * FROM S3Object" s3://b/k
    err "cli s3://: a bad endpoint URL" 1 "must start with http" "$PLUCK" --endpoint-url \
        ftp://x "SELECT * FROM S3Object" s3://b/k
    err "cli s3://: no key" 1 "expected s3://BUCKET/KEY" "$PLUCK" "SELECT * FROM S3Object" s3://bucket

    # ---- a store that misbehaves (tests/server/fake_s3.py) ---------------------------------
    "$UP_PY" "$ROOT/tests/server/fake_s3.py" >"$UP/f.out" 2>"$UP/f.err" &
    UP_PIDS="$UP_PIDS $!"
    F=$(up_url "$UP/f.out" '/^http/p')
    cond "upstream: the misbehaving store started ($F)" [ -n "$F" ]
    cliF() {
        env AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s "$PLUCK" --endpoint-url "$F" "$@"
    }
    err "cli s3://: an object cut short fails (exit 1)" 1 "ended the object early" \
        cliF -H "SELECT COUNT(*) FROM S3Object" s3://data/short.csv
    cliF -H "SELECT * FROM S3Object" s3://data/short.csv >"$UP/short.out" 2>/dev/null
    cond "cli s3://: ... and the records written before stay whole" up_whole "$UP/short.out"
    cond "cli s3://: a chunked answer without Content-Length is read whole" \
        [ "$(cliF -H "SELECT COUNT(*) FROM S3Object" s3://data/chunked.csv)" = 40000 ]
    err "cli s3://: a store's error that is not XML" 1 "InternalError" \
        cliF "SELECT * FROM S3Object" s3://data/notxml

    # ---- the gateway ---------------------------------------------------------------------
    up_gateway gwA "$A" PLUCK_UPSTREAM_ACCESS_KEY_ID=S3RVER PLUCK_UPSTREAM_SECRET_ACCESS_KEY=S3RVER
    GWA=$GW_URL
    # AWS_* as the fallback for the upstream keys
    up_gateway gwB "$B" AWS_ACCESS_KEY_ID=AKSTOREB AWS_SECRET_ACCESS_KEY="storeB/secret"
    GWB=$GW_URL GWB_PID=$GW_PID
    up_gateway gwBad "$B" PLUCK_UPSTREAM_ACCESS_KEY_ID=AKSTOREB PLUCK_UPSTREAM_SECRET_ACCESS_KEY=wrong
    GWBAD=$GW_URL
    up_gateway gwDown "http://127.0.0.1:1" PLUCK_UPSTREAM_ACCESS_KEY_ID=a PLUCK_UPSTREAM_SECRET_ACCESS_KEY=b
    GWDOWN=$GW_URL
    up_gateway gwFake "$F" PLUCK_UPSTREAM_ACCESS_KEY_ID=k PLUCK_UPSTREAM_SECRET_ACCESS_KEY=s
    GWFAKE=$GW_URL
    cond "upstream: the gateways started" [ -n "$GWA" ] && [ -n "$GWB" ] && [ -n "$GWBAD" ] && [ -n "$GWDOWN" ]
    cond "upstream: the gateway says what it serves" grep -q "upstream $B" "$UP/gwB.err"
    err "serve: --root and --upstream together" 2 "cannot be used together" \
        "$PLUCK" serve --root "$UP" --upstream "$A" --anonymous
    err "serve: a bad --upstream URL" 2 "must start with http" \
        "$PLUCK" serve --upstream "s3.example.com" --anonymous
    if [ -n "$GWA" ] && [ -n "$GWB" ]; then
        : >"$UP/results"
        GATEWAYS="s3rver=$GWA pluck-serve=$GWB" BAD_GATEWAY=$GWBAD DOWN_GATEWAY=$GWDOWN \
            FAKE_GATEWAY=$GWFAKE \
            GW_AK=AKGATEWAY GW_SK="gateway/secret" RESULTS="$UP/results" \
            PYTHONDONTWRITEBYTECODE=1 timeout 300 "$UP_PY" "$ROOT/tests/server/test_upstream.py" 2>&1 |
            sed 's/^/  /'
        _tab=$(printf '\t')
        while IFS="$_tab" read -r _st _name _rest; do
            cond "upstream: $_name" [ "$_st" = ok ]
        done <"$UP/results"
        cond "upstream: the python tests reported assertions" [ -s "$UP/results" ]
    fi

    # ---- memory stays flat while streaming a large upstream object -----------------------
    if [ "${SANITIZE:-}" = 1 ]; then
        echo "  (upstream memory test skipped under sanitizers)"
    elif [ -n "$GWB" ]; then
        "$TOOLS/gencsv" "$UP_BIG" >"$UP/rootB/data/big.csv"
        big=$(stat -c %s "$UP/rootB/data/big.csv")
        hwm0=$(up_hwm "$GWB_PID")
        n=$(timeout 300 "$UP_PY" - "$GWB" <<'EOF'
import sys, boto3
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='AKGATEWAY',
                  aws_secret_access_key='gateway/secret', region_name='us-east-1',
                  config=Config(retries={'max_attempts': 1}, read_timeout=300))
r = s3.select_object_content(Bucket='data', Key='big.csv', ExpressionType='SQL',
                             Expression="SELECT COUNT(*) FROM S3Object s WHERE s.status = 'FAIL'",
                             InputSerialization={'CSV': {'FileHeaderInfo': 'USE'}},
                             OutputSerialization={'CSV': {}})
print(b''.join(e['Records']['Payload'] for e in r['Payload'] if 'Records' in e).decode().strip())
EOF
)
        hwm1=$(up_hwm "$GWB_PID")
        want=$("$PLUCK" -H "SELECT COUNT(*) FROM S3Object s WHERE s.status = 'FAIL'" "$UP/rootB/data/big.csv")
        echo "  gateway VmHWM ${hwm0:-?} KiB before, ${hwm1:-?} KiB after a select over $big bytes"
        cond "upstream memory: the gateway's count over $big bytes equals the CLI's ($want)" \
            [ "$n" = "$want" ]
        cond "upstream memory: gateway peak RSS ${hwm1:-?} KiB < 65536 KiB" [ "${hwm1:-999999}" -lt 65536 ]
        env AWS_ACCESS_KEY_ID=AKSTOREB AWS_SECRET_ACCESS_KEY="storeB/secret" \
            timeout 300 "$TOOLS/rssof" "$PLUCK" --endpoint-url "$B" -H \
            "SELECT COUNT(*) FROM S3Object s WHERE s.status = 'FAIL'" s3://data/big.csv \
            >"$UP/big.out" 2>"$UP/big.err"
        kib=$(sed -n 's/^maxrss_kib //p' "$UP/big.err")
        echo "  CLI peak RSS ${kib:-?} KiB streaming s3://data/big.csv ($big bytes)"
        cond "upstream memory: the CLI's s3:// count equals the local one" [ "$(cat "$UP/big.out")" = "$want" ]
        cond "upstream memory: CLI peak RSS ${kib:-?} KiB < 65536 KiB" [ "${kib:-999999}" -lt 65536 ]
        rm -f "$UP/rootB/data/big.csv"
    fi
    up_stop_all
    cond "upstream: the gateways logged nothing unexpected" \
        sh -c "! cat '$UP'/gw*.err | grep -v -e '^pluck serve: listening' -e '^pluck serve: signal'"
fi

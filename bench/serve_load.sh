#!/bin/sh
# serve_load.sh — load test of `pluck serve` on 127.0.0.1 (tests/HARDENING.md, "The server
# under load and faults").
#
#   sh bench/serve_load.sh [PLUCK] [SECONDS] [CONCURRENCY...]
#       PLUCK        server binary (default build/rel/pluck)
#       SECONDS      length of each run (default 10)
#       CONCURRENCY  connection counts, one wrk run each (default 32 64 128)
#   LOAD_OBJECT=big  select over a 4 MiB gzip object instead of the small CSV
#   WRK_THREADS=2    wrk threads (default 2)
#   LOAD_DEBUG=DIR   keep the first bad answers (up to 3 per wrk thread) in DIR
#   LOAD_PUTS=N      then PutObject throughput with --fsync=always vs never: N signed 64 KiB
#                    PUTs per run, 1 and 8 clients, interleaved, median of 3 rounds
#                    (bench/serve_fsync.py; default 200; 0 skips it)
#
# Starts a fresh server (its own temporary root, a free port, SigV4 credentials), puts one
# object in it, presigns a SelectObjectContent POST for an hour (so wrk can repeat the very
# same signed request), checks the answer once with curl, then for each concurrency runs
#   wrk -t2 -cN -dSECONDSs --latency -s post.lua URL
# (the server runs with --keepalive 600000 so that no Cont event appears in a slow answer, and
# --max-connections-per-ip 512: every wrk connection comes from 127.0.0.1)
# where post.lua sends the select body and decodes every response: its Records must add up
# to the reference answer's, with Stats and End and no error event.  Prints, per run: requests/s,
# p50 and p99 latency, errors (non-2xx, socket errors, wrong bodies), and the server's VmRSS,
# VmHWM, threads and open descriptors before and after.  The server is stopped with SIGTERM
# at the end and its exit status shown (an ASan build reports leaks there: run with
# build/san/pluck for the sanitizer check).  Run it with `nice` on a shared machine.
set -u
PLUCK=${1:-build/rel/pluck}
SECS=${2:-10}
shift 2 2>/dev/null || shift $#
CONCS=${*:-32 64 128}
WRK=$(command -v wrk) || { echo "serve_load: wrk is not installed" >&2; exit 2; }
PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $PLUCK in /*) ;; *) PLUCK="$ROOT/$PLUCK" ;; esac
T=$(mktemp -d /tmp/pluck-load.XXXXXX)
SRV=
cleanup() {
    [ -n "$SRV" ] && kill -TERM "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
[ -n "${LOAD_DEBUG:-}" ] && mkdir -p "$LOAD_DEBUG"

AK=AKLOAD
SK=load-secret
mkdir -p "$T/root/load"
QUERY="SELECT * FROM S3Object s WHERE s.status = 'FAIL' AND s.temperature > 450"
if [ "${LOAD_OBJECT:-small}" = big ]; then
    KEY=sensors.csv.gz
    GEN=$(dirname "$PLUCK")/tools/gencsv
    [ -x "$GEN" ] || GEN=$ROOT/build/test/tools/gencsv
    "$GEN" 4M | gzip -6 >"$T/root/load/$KEY"
else
    KEY=small.csv
    # the bench/serve_bench.py object: 2,000 rows, 250 of them FAIL, 0 above 450 => 125
    "$PY" - "$T/root/load/$KEY" <<'EOF'
import sys
rows = ''.join('%d,2026-01-01T00:00:%02dZ,%d.5,%s\n' % (i, i % 60, i % 500,
               'FAIL' if i % 8 == 7 else 'OK') for i in range(2000))
open(sys.argv[1], 'w').write('sensor_id,ts,temperature,status\n' + rows)
EOF
fi

"$PLUCK" serve --root "$T/root" --listen 127.0.0.1:0 --access-key-id $AK \
    --secret-access-key $SK --max-connections 512 --max-connections-per-ip 512 --keepalive 600000 >"$T/url" 2>"$T/err" &
SRV=$!
URL=
for _i in $(seq 1 100); do
    URL=$(head -n 1 "$T/url" 2>/dev/null)
    [ -n "$URL" ] && break
    sleep 0.05
done
[ -n "$URL" ] || { echo "serve_load: the server did not start" >&2; cat "$T/err" >&2; exit 1; }

XML="<SelectObjectContentRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Expression>$QUERY</Expression><ExpressionType>SQL</ExpressionType><InputSerialization><CSV><FileHeaderInfo>USE</FileHeaderInfo></CSV><CompressionType>NONE</CompressionType></InputSerialization><OutputSerialization><CSV/></OutputSerialization></SelectObjectContentRequest>"
[ "$KEY" = small.csv ] || XML=$(printf '%s' "$XML" | sed 's|<CompressionType>NONE</CompressionType>|<CompressionType>GZIP</CompressionType>|')
printf '%s' "$XML" >"$T/body.xml"

# presigned POST (UNSIGNED-PAYLOAD, host signed), valid one hour
PURL=$("$PY" - "$URL" "/load/$KEY" $AK $SK <<'EOF'
import datetime, hashlib, hmac, sys, urllib.parse
url, path, ak, sk = sys.argv[1:]
host = url.split('//', 1)[1]
t = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
scope = t[:8] + '/us-east-1/s3/aws4_request'
q = [('select', ''), ('select-type', '2'), ('X-Amz-Algorithm', 'AWS4-HMAC-SHA256'),
     ('X-Amz-Credential', ak + '/' + scope), ('X-Amz-Date', t), ('X-Amz-Expires', '3600'),
     ('X-Amz-SignedHeaders', 'host')]
enc = lambda s: urllib.parse.quote(s, safe='-_.~')
cq = '&'.join('%s=%s' % kv for kv in sorted((enc(k), enc(v)) for k, v in q))
cr = '\n'.join(['POST', path, cq, 'host:%s\n' % host, 'host', 'UNSIGNED-PAYLOAD'])
sts = 'AWS4-HMAC-SHA256\n%s\n%s\n%s' % (t, scope, hashlib.sha256(cr.encode()).hexdigest())
k = ('AWS4' + sk).encode()
for part in (t[:8], 'us-east-1', 's3', 'aws4_request'):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
print('%s%s?%s&X-Amz-Signature=%s' % (url, path, cq, hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()))
EOF
)
code=$(curl -s -o "$T/ref.bin" -w '%{http_code}' -X POST --data-binary @"$T/body.xml" "$PURL")
[ "$code" = 200 ] || { echo "serve_load: reference request answered $code" >&2; cat "$T/ref.bin" >&2; exit 1; }
# the reference answer: its records (the framing into Records events depends on timing)
RECS=$("$PY" - "$T/ref.bin" "$T/ref.records" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(); pos = 0; out = []
while pos < len(d):
    tot, hl = struct.unpack('>II', d[pos:pos + 8])
    if b'Records' in d[pos + 12:pos + 12 + hl]:
        out.append(d[pos + 12 + hl:pos + tot - 4])
    pos += tot
open(sys.argv[2], 'wb').write(b''.join(out))
print(b''.join(out).count(b'\n'))
EOF
)
REFLEN=$(wc -c <"$T/ref.bin")

# every response is decoded: HTTP 200, Records payloads that concatenate to the reference,
# a Stats event, End last, no error event; anything else counts as a bad body
cat >"$T/post.lua" <<EOF
wrk.method = "POST"
local f = io.open("$T/body.xml", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/xml"
f = io.open("$T/ref.records", "rb"); local ref = f:read("*a"); f:close()
local dbg = "${LOAD_DEBUG:-}"
local threads = {}
function setup(t) table.insert(threads, t) end
function init(args) bad = 0 end
local function u32(s, i)
    local a, b, c, d = s:byte(i, i + 3)
    return ((a * 256 + b) * 256 + c) * 256 + d
end
local function event_type(s, i, j) -- the :event-type (or "error") in the headers s[i..j]
    while i <= j do
        local nl = s:byte(i)
        local name = s:sub(i + 1, i + nl)
        local vl = s:byte(i + nl + 2) * 256 + s:byte(i + nl + 3)
        local v = s:sub(i + nl + 4, i + nl + 3 + vl)
        if name == ":event-type" then return v end
        if name == ":message-type" and v == "error" then return "error" end
        i = i + nl + 4 + vl
    end
    return "?"
end
local function check(body)
    local pos, recs, last, stats = 1, {}, nil, false
    while pos <= #body do
        if #body - pos + 1 < 16 then return false end
        local total, hl = u32(body, pos), u32(body, pos + 4)
        if total < 16 or pos + total - 1 > #body then return false end
        local et = event_type(body, pos + 12, pos + 11 + hl)
        if et == "Records" then recs[#recs + 1] = body:sub(pos + 12 + hl, pos + total - 5) end
        if et == "error" then return false end
        if et == "Stats" then stats = true end
        last = et
        pos = pos + total
    end
    return stats and last == "End" and table.concat(recs) == ref
end
function response(status, headers, body)
    if status ~= 200 or not check(body) then
        bad = bad + 1
        if dbg ~= "" and bad <= 3 then
            local f = io.open(dbg .. "/bad." .. tostring(math.random(1e9)), "wb"); f:write(body); f:close()
        end
    end
end
function done(summary, latency, requests)
    local b = 0
    for _, t in ipairs(threads) do b = b + t:get("bad") end
    io.write(string.format("BADBODIES %d\\n", b))
end
EOF

st() { # field: from /proc/PID/status
    sed -n "s/^$1:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$SRV/status
}
fds() { ls /proc/$SRV/fd | wc -l; }

echo "pluck serve load test: $("$PLUCK" --version 2>/dev/null | head -n 1)"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "object: $KEY ($(wc -c <"$T/root/load/$KEY") bytes); answer: $RECS records, $REFLEN bytes of event stream (curl)"
echo "query: $QUERY"
echo "wrk: ${WRK_THREADS:-2} threads, ${SECS} s per run, presigned POST; every answer decoded and compared with the reference"
printf '%-6s %10s %9s %9s %9s %8s %8s %6s %12s %12s %8s %8s\n' conns req/s p50 p99 max requests errors bad \
    'RSS KiB' 'HWM KiB' threads fds
printf '%-6s %10s %9s %9s %9s %8s %8s %6s %12s %12s %8s %8s\n' before - - - - - - - "$(st VmRSS)" \
    "$(st VmHWM)" "$(st Threads)" "$(fds)"
for c in $CONCS; do
    "$WRK" -t"${WRK_THREADS:-2}" -c"$c" -d"${SECS}s" --timeout 10s --latency -s "$T/post.lua" \
        "$PURL" >"$T/wrk.$c" 2>&1
    sleep 1 # connections closed, threads gone
    rps=$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$T/wrk.$c")
    p50=$(awk '$1 == "50%" {print $2}' "$T/wrk.$c")
    p99=$(awk '$1 == "99%" {print $2}' "$T/wrk.$c")
    max=$(awk '$1 == "Latency" && NF >= 4 {print $4; exit}' "$T/wrk.$c")
    nreq=$(sed -n 's/^[[:space:]]*\([0-9]*\) requests in.*/\1/p' "$T/wrk.$c")
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$T/wrk.$c")
    sock=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$T/wrk.$c")
    errs=${non2xx:-0}
    for n in $sock; do errs=$((errs + n)); done
    bad=$(sed -n 's/^BADBODIES //p' "$T/wrk.$c")
    printf '%-6s %10s %9s %9s %9s %8s %8s %6s %12s %12s %8s %8s\n' "$c" "${rps:-?}" "${p50:-?}" \
        "${p99:-?}" "${max:-?}" "${nreq:-?}" "$errs" "${bad:-?}" "$(st VmRSS)" "$(st VmHWM)" \
        "$(st Threads)" "$(fds)"
    if [ -z "$rps" ]; then sed 's/^/  wrk: /' "$T/wrk.$c"; fi
done
kill -TERM "$SRV"
wait "$SRV"
rc=$?
SRV=
echo "server stopped by SIGTERM: exit $rc"
if grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$T/err" >/dev/null; then
    echo "server standard error:"
    grep -v -e '^pluck serve: listening' -e '^pluck serve: signal' "$T/err" | head -n 40
    exit 1
fi
[ "$rc" = 0 ] || exit 1
# the cost of durability (issue 13, finding 7): PUT/s with --fsync=always and never
if [ "${LOAD_PUTS:-200}" != 0 ]; then
    echo "PutObject throughput, --fsync=always vs never (bench/serve_fsync.py, load average" \
        "$(cut -d' ' -f1-3 /proc/loadavg)):"
    "$PY" "$ROOT/bench/serve_fsync.py" "$PLUCK" "${LOAD_PUTS:-200}" 3 | sed 's/^/  /'
fi

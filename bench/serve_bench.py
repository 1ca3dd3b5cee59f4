#!/usr/bin/python3
"""serve_bench.py — how much selecting in place saves, measured against `pluck serve`.

  /usr/bin/python3 bench/serve_bench.py [--pluck build/rel/pluck] [--size 512M]
                                        [--codec gzip|zstd|bzip2] [--concurrency 32]
                                        [--seconds 10]

1. Generates a sensor-log CSV of --size (tests/tools/gencsv when built, else Python),
   compresses it, uploads it to a fresh `pluck serve` on 127.0.0.1 (random port), then for
   the same answer times
     a) boto3 select_object_content (the server decompresses, filters and streams matches),
     b) boto3 get_object + decompression + filtering with Python's csv module (the
        "fetch the whole object" way the launch material compares against),
   and reports wall time and bytes transferred over HTTP for each (and checks the answers
   match).
2. Runs --concurrency concurrent small selects for --seconds (with wrk and a presigned
   POST when wrk is installed, else Python threads) and reports requests per second and the
   server's peak RSS (VmHWM).

The server, its root and the data live in a temporary directory removed at the end.
Only loopback traffic; every loop is bounded in time.
"""

import argparse
import bz2
import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK, SK = 'AKBENCH', 'bench-secret'
QUERY = "SELECT * FROM S3Object s WHERE s.status = 'FAIL' AND s.temperature > 450"


def parse_size(s):
    m = re.fullmatch(r'(\d+)([KMG]?)', s)
    if not m:
        raise SystemExit('bad size ' + s)
    return int(m.group(1)) << {'': 0, 'K': 10, 'M': 20, 'G': 30}[m.group(2)]


def find_gencsv():
    for b in ('build/rel', 'build/test', 'build/srv'):
        p = os.path.join(ROOT, b, 'tools/gencsv')
        if os.access(p, os.X_OK):
            return p
    return None


def generate(path, size, codec):
    t0 = time.time()
    comp = {'gzip': ['gzip', '-c', '-6'], 'zstd': ['zstd', '-q', '-c', '-3'],
            'bzip2': ['bzip2', '-c']}[codec]
    gen = find_gencsv()
    with open(path, 'wb') as out:
        if gen:
            g = subprocess.Popen([gen, str(size)], stdout=subprocess.PIPE)
            c = subprocess.Popen(comp, stdin=g.stdout, stdout=out)
            g.stdout.close()
            c.wait()
            g.wait()
        else:  # same shape as gencsv, slower
            c = subprocess.Popen(comp, stdin=subprocess.PIPE, stdout=out)
            c.stdin.write(b'sensor_id,ts,temperature,status\n')
            done, row, x = 0, 0, 2463534242
            st = ['OK', 'OK', 'OK', 'OK', 'WARN', 'OK', 'OK', 'FAIL']
            while done < size:
                lines = []
                for _ in range(10000):
                    x ^= (x << 13) & 0xFFFFFFFF
                    x ^= x >> 17
                    x ^= (x << 5) & 0xFFFFFFFF
                    lines.append('%d,2026-01-01T00:%02d:%02dZ,%d.%d,%s\n' % (
                        x % 5000, row // 60 % 60, row % 60, x % 500, x % 10, st[x % 8]))
                    row += 1
                b = ''.join(lines).encode()
                c.stdin.write(b)
                done += len(b)
            c.stdin.close()
            c.wait()
    print('generated %s: %.1f MiB compressed (%s) from %.0f MiB of CSV in %.1f s'
          % (os.path.basename(path), os.path.getsize(path) / 2**20, codec, size / 2**20,
             time.time() - t0))


def start_server(pluck, root):
    p = subprocess.Popen([pluck, 'serve', '--root', root, '--listen', '127.0.0.1:0',
                          '--access-key-id', AK, '--secret-access-key', SK],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = p.stdout.readline().decode().strip()
    if not url.startswith('http://'):
        raise SystemExit('server did not start')
    return p, url


def presign(url, method, path, query, expires):
    """SigV4 query-string signing (botocore's CRT signer cannot presign XML-bodied calls)."""
    import datetime
    import hmac
    import urllib.parse
    host = url.split('//', 1)[1]
    t = datetime.datetime.utcnow().strftime('%Y%m%dT%H%M%SZ')
    scope = t[:8] + '/us-east-1/s3/aws4_request'
    q = [tuple(p.partition('=')[::2]) for p in query.split('&')]
    q += [('X-Amz-Algorithm', 'AWS4-HMAC-SHA256'), ('X-Amz-Credential', AK + '/' + scope),
          ('X-Amz-Date', t), ('X-Amz-Expires', str(expires)), ('X-Amz-SignedHeaders', 'host')]
    enc = lambda s: urllib.parse.quote(s, safe='-_.~')
    cq = '&'.join('%s=%s' % kv for kv in sorted((enc(k), enc(v)) for k, v in q))
    cr = '\n'.join([method, path, cq, 'host:%s\n' % host, 'host', 'UNSIGNED-PAYLOAD'])
    sts = 'AWS4-HMAC-SHA256\n%s\n%s\n%s' % (t, scope, hashlib.sha256(cr.encode()).hexdigest())
    k = ('AWS4' + SK).encode()
    for part in (t[:8], 'us-east-1', 's3', 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return '%s%s?%s&X-Amz-Signature=%s' % (url, path, cq, sig)


def rss_peak_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'VmHWM:\s+(\d+)', f.read()).group(1))


def select_in_place(s3, key):
    t0 = time.time()
    r = s3.select_object_content(
        Bucket='bench', Key=key, ExpressionType='SQL', Expression=QUERY,
        InputSerialization={'CSV': {'FileHeaderInfo': 'USE'}}, OutputSerialization={'CSV': {}})
    raw = r['Payload']._raw_stream

    class Counting:  # botocore pulls the body through raw.stream(); count what it gets
        n = 0

        def stream(self):
            for chunk in raw.stream():
                Counting.n += len(chunk)
                yield chunk
    r['Payload']._raw_stream = Counting()
    h = hashlib.sha256()
    n = rows = 0
    stats = None
    for ev in r['Payload']:
        if 'Records' in ev:
            p = ev['Records']['Payload']
            h.update(p)
            n += len(p)
            rows += p.count(b'\n')
        elif 'Stats' in ev:
            stats = ev['Stats']['Details']
    wire = Counting.n  # body bytes received (event-stream framing included)
    return time.time() - t0, wire, rows, h.hexdigest(), stats


def fetch_and_filter(s3, key, codec):
    t0 = time.time()
    r = s3.get_object(Bucket='bench', Key=key)
    body = r['Body']
    wire = r['ContentLength']
    if codec == 'gzip':
        stream = gzip.GzipFile(fileobj=body)
    elif codec == 'bzip2':
        stream = bz2.BZ2File(body)
    else:  # no zstd in Python's standard library: decompress with the zstd tool
        z = subprocess.Popen(['zstd', '-dc'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

        def feed():
            for chunk in iter(lambda: body.read(1 << 20), b''):
                z.stdin.write(chunk)
            z.stdin.close()
        threading.Thread(target=feed, daemon=True).start()
        stream = z.stdout
    text = io.TextIOWrapper(stream, encoding='utf-8', newline='')
    rd = csv.reader(text)
    hdr = next(rd)
    ti, si = hdr.index('temperature'), hdr.index('status')
    out = io.StringIO()
    w = csv.writer(out, lineterminator='\n')
    h = hashlib.sha256()
    rows = 0
    for rec in rd:
        if rec[si] == 'FAIL':
            try:
                ok = float(rec[ti]) > 450
            except ValueError:
                ok = False
            if ok:
                w.writerow(rec)
                rows += 1
                if out.tell() > 1 << 20:
                    h.update(out.getvalue().encode())
                    out = io.StringIO()
                    w = csv.writer(out, lineterminator='\n')
    h.update(out.getvalue().encode())
    return time.time() - t0, wire, rows, h.hexdigest()


def concurrent_selects(s3, url, pid, conc, seconds):
    small = ''.join('%d,2026-01-01T00:00:%02dZ,%d.5,%s\n' % (i, i % 60, i % 500,
                    'FAIL' if i % 8 == 7 else 'OK') for i in range(2000))
    s3.put_object(Bucket='bench', Key='small.csv',
                  Body=('sensor_id,ts,temperature,status\n' + small).encode())
    xml = ('<SelectObjectContentRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           '<Expression>%s</Expression><ExpressionType>SQL</ExpressionType>'
           '<InputSerialization><CSV><FileHeaderInfo>USE</FileHeaderInfo></CSV>'
           '</InputSerialization><OutputSerialization><CSV/></OutputSerialization>'
           '</SelectObjectContentRequest>' % QUERY)
    wrk = shutil.which('wrk')
    if wrk:
        # presigned for an hour: wrk repeats the very same signed request
        purl = presign(url, 'POST', '/bench/small.csv', 'select&select-type=2', 3600)
        lua = os.path.join(os.path.dirname(s3._bench_tmp), 'post.lua')
        with open(lua, 'w') as f:
            f.write('wrk.method = "POST"\nwrk.body = [[%s]]\n' % xml)
        p = subprocess.run([wrk, '-t2', '-c%d' % conc, '-d%ds' % seconds, '-s', lua, purl],
                           capture_output=True, text=True, timeout=seconds + 30)
        m = re.search(r'Requests/sec:\s+([\d.]+)', p.stdout)
        non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', p.stdout)
        lat = re.search(r'Latency\s+(\S+)\s+(\S+)\s+(\S+)', p.stdout)
        print(p.stdout if not m else '', end='')
        rps = float(m.group(1)) if m else 0.0
        return rps, rss_peak_kib(pid), 'wrk -t2 -c%d, presigned POST' % conc, \
            (non2xx.group(1) if non2xx else '0'), (lat.group(1) if lat else '?')
    done = [0]
    stop = time.time() + seconds
    lock = threading.Lock()

    def worker():
        c = boto3.client('s3', endpoint_url=url, aws_access_key_id=AK, aws_secret_access_key=SK,
                         region_name='us-east-1')
        while time.time() < stop:
            r = c.select_object_content(
                Bucket='bench', Key='small.csv', ExpressionType='SQL', Expression=QUERY,
                InputSerialization={'CSV': {'FileHeaderInfo': 'USE'}},
                OutputSerialization={'CSV': {}})
            for _ in r['Payload']:
                pass
            with lock:
                done[0] += 1
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done[0] / (time.time() - t0), rss_peak_kib(pid), '%d Python threads' % conc, '0', '?'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pluck', default=os.path.join(ROOT, 'build/rel/pluck'))
    ap.add_argument('--size', default='512M', help='uncompressed CSV size (K/M/G)')
    ap.add_argument('--codec', default='gzip', choices=['gzip', 'zstd', 'bzip2'])
    ap.add_argument('--concurrency', type=int, default=32)
    ap.add_argument('--seconds', type=int, default=10)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='pluck-bench-')
    root = os.path.join(tmp, 'root')
    os.makedirs(os.path.join(root, 'bench'))
    srv = None
    try:
        ext = {'gzip': 'gz', 'zstd': 'zst', 'bzip2': 'bz2'}[a.codec]
        key = 'sensors.csv.' + ext
        generate(os.path.join(root, 'bench', key), parse_size(a.size), a.codec)
        srv, url = start_server(a.pluck, root)
        s3 = boto3.client('s3', endpoint_url=url, aws_access_key_id=AK, aws_secret_access_key=SK,
                          region_name='us-east-1', config=Config(read_timeout=600))
        s3._bench_tmp = os.path.join(tmp, 'x')
        size = os.path.getsize(os.path.join(root, 'bench', key))
        print('query: %s' % QUERY)
        st, sw, srows, sh, stats = select_in_place(s3, key)
        print('select_object_content : %7.2f s  %12d bytes over HTTP  %d rows  (server: '
              'BytesScanned %d, BytesProcessed %d, BytesReturned %d)'
              % (st, sw, srows, stats['BytesScanned'], stats['BytesProcessed'],
                 stats['BytesReturned']))
        ft, fw, frows, fh = fetch_and_filter(s3, key, a.codec)
        print('get_object + csv      : %7.2f s  %12d bytes over HTTP  %d rows' % (ft, fw, frows))
        print('same answer: %s' % ('yes' if (srows, sh) == (frows, fh) else
                                   'NO (%d vs %d rows)' % (srows, frows)))
        print('select in place: %.1fx faster, %.1f%% of the bytes transferred (%.1f%% fewer)'
              % (ft / st, 100.0 * sw / fw, 100.0 - 100.0 * sw / fw))
        rss0 = rss_peak_kib(srv.pid)
        rps, rss, how, non2xx, lat = concurrent_selects(s3, url, srv.pid, a.concurrency, a.seconds)
        print('%d concurrent small selects (%s, %d s): %.0f requests/s, avg latency %s, '
              'non-2xx %s, server peak RSS %d KiB (%d KiB before)'
              % (a.concurrency, how, a.seconds, rps, lat, non2xx, rss, rss0))
        del size
    finally:
        if srv:
            srv.terminate()
            srv.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

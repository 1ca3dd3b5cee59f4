"""test_server.py — end-to-end tests of `pluck serve` through boto3, the AWS CLI and raw
HTTP, run by tests/e2e/t_server.sh against a server it started on 127.0.0.1.

Environment: SERVER_URL, SERVER_ROOT (the server's --root), SERVER_PID, PLUCK (the binary,
whose CLI output is the reference), DATA (derived airports files), AK / SK (credentials),
AWS (the aws CLI), RESULTS (file receiving one "ok|fail<TAB>name<TAB>detail" line per
assertion; tests/e2e/t_server.sh counts them).

Uses only Debian's python3 with python3-boto3 (botocore) and the standard library.
"""

import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evstream  # noqa: E402

URL = os.environ['SERVER_URL']
ROOT = os.environ['SERVER_ROOT']
PID = int(os.environ['SERVER_PID'])
PLUCK = os.environ['PLUCK']
DATA = os.environ['DATA']
AK = os.environ['AK']
SK = os.environ['SK']
AWS = os.environ.get('AWS', '/usr/bin/aws')
RESULTS = open(os.environ['RESULTS'], 'a')
TMP = os.environ.get('E2E_TMP', '/tmp')
HOSTPORT = URL.split('//', 1)[1]
HOST, PORT = HOSTPORT.rsplit(':', 1)
EMPTY = hashlib.sha256(b'').hexdigest()

failures = 0


def check(name, ok, detail=''):
    global failures
    if not ok:
        failures += 1
        print('FAIL server: %s: %s' % (name, str(detail)[:600]))
    RESULTS.write('%s\t%s\t%s\n' % ('ok' if ok else 'fail', name, ''))
    RESULTS.flush()
    return ok


def client(ak=AK, sk=SK, **kw):
    return boto3.client('s3', endpoint_url=URL, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name='us-east-1',
                        config=Config(retries={'max_attempts': 1}, **kw))


s3 = client()


def cli(sql, path, *opts, stats=False):
    args = [PLUCK] + list(opts) + (['--stats'] if stats else []) + [sql, path]
    p = subprocess.run(args, capture_output=True)
    st = {}
    for line in p.stderr.decode().splitlines():
        m = re.match(r'(\w+): (\d+)$', line)
        if m:
            st[m.group(1)] = int(m.group(2))
    return p.stdout, st


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.EventStreamError as e:
        return 'stream', e.response['Error']['Code']
    except botocore.exceptions.ClientError as e:
        return e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Code']
    return 200, None


# ---- SigV4 for raw requests: tests/server/sigv4sign.py (independent of botocore's) ----------
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4sign  # noqa: E402

enc = sigv4sign.enc


def signing_key(date, secret=SK):
    return sigv4sign.signing_key(date, secret)


def sign(method, target, headers=None, payload_hash=EMPTY, when=None, ak=AK, sk=SK):
    h, (key, scope, amzdate, sig) = sigv4sign.sign(method, target, HOSTPORT, ak, sk, headers,
                                                   payload_hash, when)
    return h, key, scope, amzdate, sig


def raw(method, target, body=b'', headers=None, signed=True, payload_hash=None, when=None,
        sk=SK):
    if signed:
        ph = payload_hash or hashlib.sha256(body).hexdigest()
        headers, *_ = sign(method, target, headers, ph, when=when, sk=sk)
    c = http.client.HTTPConnection(HOST, int(PORT), timeout=30)
    c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    c.putheader('Host', HOSTPORT)
    for k, v in (headers or {}).items():
        if k != 'host':
            c.putheader(k, v)
    if body or method in ('PUT', 'POST'):
        c.putheader('Content-Length', str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def s3_code(data):
    m = re.search(rb'<Code>([^<]*)</Code>', data)
    return m.group(1).decode() if m else None


def select_xml(sql, header='USE', out='<CSV/>', extra='', progress=False):
    return ('<SelectObjectContentRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            '<Expression>%s</Expression><ExpressionType>SQL</ExpressionType>%s'
            '<InputSerialization><CSV><FileHeaderInfo>%s</FileHeaderInfo></CSV>'
            '</InputSerialization><OutputSerialization>%s</OutputSerialization>%s'
            '</SelectObjectContentRequest>'
            % (sql.replace('&', '&amp;').replace('<', '&lt;'),
               '<RequestProgress><Enabled>TRUE</Enabled></RequestProgress>' if progress else '',
               header, out, extra)).encode()


def raw_select(bucket, key, body):
    return raw('POST', '/%s/%s?select&select-type=2' % (bucket, urllib.parse.quote(key)), body)


def boto_select(key, sql, out=None, bucket='sample-data', scan=None, progress=False, inp=None):
    kw = dict(Bucket=bucket, Key=key, ExpressionType='SQL', Expression=sql,
              InputSerialization=inp or {'CSV': {'FileHeaderInfo': 'Use'}},
              OutputSerialization=out or {'CSV': {}})
    if scan:
        kw['ScanRange'] = scan
    if progress:
        kw['RequestProgress'] = {'Enabled': True}
    r = s3.select_object_content(**kw)
    recs, stats, events = b'', None, []
    for event in r['Payload']:
        events.append(next(iter(event)))
        if 'Records' in event:
            recs += event['Records']['Payload']
        elif 'Stats' in event:
            stats = event['Stats']['Details']
        elif 'Progress' in event:
            events[-1] = ('Progress', event['Progress']['Details'])
    return recs, stats, events


# ---- 1. the launch snippet over every compression -------------------------------------------

SNIPPET_SQL = "select * from s3object s where s.\"iso_country\" like '%US%'"


def test_snippet():
    s3.create_bucket(Bucket='sample-data')
    for ext in ('csv', 'csv.gz', 'csv.bz2', 'csv.zst'):
        path = os.path.join(DATA, 'airports.' + ext)
        key = 'airportCodes.' + ext
        with open(path, 'rb') as f:
            s3.put_object(Bucket='sample-data', Key=key, Body=f)
        # the snippet, verbatim apart from the key, printing into a buffer
        buf = io.StringIO()
        r = s3.select_object_content(
            Bucket='sample-data', Key=key,
            ExpressionType='SQL',
            Expression="select * from s3object s where s.\"iso_country\" like '%US%'",
            InputSerialization={'CSV': {'FileHeaderInfo': 'Use'}},
            OutputSerialization={'CSV': {}})
        details = None
        for event in r['Payload']:
            if 'Records' in event:
                print(event['Records']['Payload'].decode('utf-8'), end='', file=buf)
            elif 'Stats' in event:
                details = event['Stats']['Details']
        want, st = cli(SNIPPET_SQL, path, '--file-header-info', 'USE', stats=True)
        check('snippet %s: records equal the CLI output (%d bytes)' % (ext, len(want)),
              buf.getvalue().encode() == want and len(want) > 1000000,
              '%d vs %d bytes' % (len(buf.getvalue()), len(want)))
        check('snippet %s: Stats equal pluck --stats' % ext,
              details == {'BytesScanned': st.get('BytesScanned'),
                          'BytesProcessed': st.get('BytesProcessed'),
                          'BytesReturned': st.get('BytesReturned')},
              '%r vs %r' % (details, st))
        check('snippet %s: BytesScanned is the object size' % ext,
              details and details['BytesScanned'] == os.path.getsize(path), details)


def test_json_and_queries():
    path = os.path.join(DATA, 'airports.csv.gz')
    sql = "SELECT s.ident, s.name, s.elevation_ft FROM S3Object s WHERE s.type = 'large_airport'"
    recs, stats, _ = boto_select('airportCodes.csv.gz', sql, out={'JSON': {}})
    want, _ = cli(sql, path, '--file-header-info', 'USE', '--output-format', 'JSON')
    check('JSON output equals pluck --json', recs == want and len(want) > 1000, recs[:200])
    check('JSON output parses as JSON lines',
          all(json.loads(l) for l in recs.decode().splitlines()))
    sql = "SELECT COUNT(*), SUM(CAST(s.id AS INT)) FROM S3Object s WHERE s.iso_country = 'FR'"
    recs, _, _ = boto_select('airportCodes.csv.bz2', sql)
    want, _ = cli(sql, path, '--file-header-info', 'USE')
    check('aggregate over bzip2 equals the CLI', recs == want, (recs, want))
    # output serialization options through the XML table
    sql = "SELECT s.ident, s.name FROM S3Object s WHERE s.iso_country = 'NZ' LIMIT 20"
    recs, _, _ = boto_select('airportCodes.csv.zst', sql,
                             out={'CSV': {'FieldDelimiter': '|', 'QuoteFields': 'ALWAYS',
                                          'RecordDelimiter': '\r\n'}})
    want, _ = cli(sql, path, '--file-header-info', 'USE', '--output-field-delimiter', '|',
                  '--quote-fields', 'ALWAYS', '--output-record-delimiter', '\\n')
    # botocore sends the CR literally, XML normalises CRLF to LF (s3select-notes §1.3)
    check('output CSV options are applied (FieldDelimiter, QuoteFields)', recs == want,
          (recs[:100], want[:100]))
    recs, _, _ = boto_select('airportCodes.csv', sql, inp={'CSV': {'FileHeaderInfo': 'USE'},
                                                          'CompressionType': 'NONE'})
    want, _ = cli(sql, path, '--file-header-info', 'USE')
    check('CompressionType NONE on a plain object', recs == want)
    code = error_code(lambda: boto_select('airportCodes.csv', sql,
                                          inp={'CSV': {'FileHeaderInfo': 'USE'},
                                               'CompressionType': 'GZIP'}))
    check('CompressionType GZIP on a plain object: 400 InvalidCompressionFormat',
          code == (400, 'InvalidCompressionFormat'), code)


def test_progress_and_frames():
    sql = "SELECT s.ident FROM S3Object s WHERE s.iso_country = 'US'"
    recs, stats, events = boto_select('airportCodes.csv.gz', sql, progress=True)
    prog = [e[1] for e in events if isinstance(e, tuple)]
    check('RequestProgress: Progress events are sent', len(prog) >= 2, events[:10])
    check('RequestProgress: BytesScanned never decreases',
          all(a['BytesScanned'] <= b['BytesScanned'] for a, b in zip(prog, prog[1:])), prog)
    check('RequestProgress: the last Progress equals Stats', prog and prog[-1] == stats,
          (prog[-1:], stats))
    recs2, _, events2 = boto_select('airportCodes.csv.gz', sql)
    check('without RequestProgress no Progress event', not any(isinstance(e, tuple) for e in events2)
          and recs2 == recs)
    # raw bytes through the independent decoder
    st, body, resp = raw_select('sample-data', 'airportCodes.csv.bz2',
                                select_xml(sql, progress=True))
    check('raw select: 200 and application/vnd.amazon.eventstream',
          st == 200 and resp.getheader('Content-Type') == 'application/vnd.amazon.eventstream',
          (st, resp.getheaders()))
    try:
        frames = evstream.decode(body)
        got, kinds, stats_xml, err = evstream.check_select_stream(frames)
        ok = True
    except evstream.FrameError as e:
        ok, frames, got, kinds, stats_xml, err = False, [], b'', [], '', str(e)
    want, cst = cli(sql, os.path.join(DATA, 'airports.csv.bz2'), '--file-header-info', 'USE',
                    stats=True)
    check('decoder: every prelude and message CRC and header is valid', ok, err)
    check('decoder: Records payloads concatenate to the CLI output', got == want)
    check('decoder: Progress events present', 'Progress' in kinds, kinds[:8])
    check('decoder: the End frame is byte-for-byte the reference frame',
          frames and frames[-1][2] == evstream.encode([(':message-type', 'event'),
                                                       (':event-type', 'End')])
          and frames[-1][2][:12].hex() == '000000380000002' '8c1c684d4')
    check('decoder: Stats XML carries the CLI numbers',
          stats_xml and '<BytesScanned>%d</BytesScanned>' % cst['BytesScanned'] in stats_xml
          and '<BytesReturned>%d</BytesReturned>' % cst['BytesReturned'] in stats_xml,
          stats_xml)
    # Cont: a long scan that returns nothing (server started with --keepalive 5)
    st, body, _ = raw_select('sample-data', 'airportCodes.csv.bz2',
                             select_xml("SELECT * FROM S3Object s WHERE s.ident = 'nope'"))
    frames = evstream.decode(body)
    _, kinds, _, _ = evstream.check_select_stream(frames)
    check('Cont keep-alive events during a scan that returns nothing',
          kinds.count('Cont') >= 1 and 'Records' not in kinds, kinds)
    check('Cont frames are byte-for-byte the reference frame',
          all(f[2] == evstream.encode([(':message-type', 'event'), (':event-type', 'Cont')])
              for f in frames if f[0].get(':event-type') == 'Cont'))


def test_reference_frames():
    # s3select-notes §2.7: the worked Records and Stats frames, byte for byte
    s3.put_object(Bucket='sample-data', Key='tiny.csv', Body=b'1,2\n3,4\n')
    st, body, _ = raw_select('sample-data', 'tiny.csv',
                             select_xml("SELECT * FROM S3Object WHERE _1 = '1'", header='NONE'))
    frames = evstream.decode(body)
    rec = bytes.fromhex('000000690000005 5ea016f2e0d3a6d657373616765 2d74797065070005657665'
                        '6e740d3a636f6e74656e742d747970650700186170706c69636174696f6e2f6f'
                        '637465742d73747265616d0b3a6576656e742d74797065070007 5265636f7264'
                        '73312c320a144d8080'.replace(' ', ''))
    check('Records frame equals the reference bytes (total 105, CRCs ea016f2e/144d8080)',
          len(frames) == 3 and frames[0][2] == rec, [f[2].hex() for f in frames[:1]])
    stats = frames[1][2] if len(frames) > 1 else b''
    check('Stats frame: total 232, headers 67, CRCs 9253435d/776c4ffc as the reference',
          stats[:12].hex() == '000000e8000000439253435d' and stats[-4:].hex() == '776c4ffc',
          stats.hex())
    check('End frame closes the stream', len(frames) == 3 and frames[2][0].get(':event-type') == 'End')


def test_limits():
    # headers beyond the connection's 64 KiB buffer are refused by microhttpd
    c = socket.create_connection((HOST, int(PORT)), timeout=10)
    c.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 100000 + b'\r\n\r\n')
    try:
        resp = c.recv(200)
    except OSError:
        resp = b''
    c.close()
    check('100 KB of request headers: refused (431/413/400 or closed)',
          resp == b'' or re.match(rb'HTTP/1\.[01] (431|413|400)', resp), resp[:80])
    # an idle connection is closed by the server after --idle-timeout (the test server uses
    # 5 s): not before it, and by the server, not by this client giving up after 120 s (a
    # loaded machine may take longer than 5 s to get round to it: no tighter upper bound)
    c = socket.create_connection((HOST, int(PORT)), timeout=120)
    t0 = time.time()
    try:
        got = c.recv(100)
    except socket.timeout:
        got = None
    except OSError:
        got = b''
    idle = time.time() - t0
    c.close()
    check('idle connection closed after --idle-timeout (%.1f s)' % idle, got == b'' and idle > 3,
          (got, idle))


def test_mid_scan_error():
    # a value deep in the data fails a CAST after records have been streamed
    rows = b''.join(b'%d\n' % i for i in range(300000)) + b'oops\n'
    s3.put_object(Bucket='sample-data', Key='numbers.csv', Body=rows)
    st, body, _ = raw_select('sample-data', 'numbers.csv',
                             select_xml('SELECT CAST(_1 AS INT) FROM S3Object', header='NONE'))
    frames = evstream.decode(body)
    got, kinds, _, err = evstream.check_select_stream(frames)
    check('mid-scan error: HTTP 200 with records, then an error event',
          st == 200 and got.startswith(b'0\n1\n2\n') and err and err[0] == 'CastFailed', (st, err, kinds[-3:]))
    code = error_code(lambda: boto_select('numbers.csv', 'SELECT CAST(_1 AS INT) FROM S3Object',
                                          inp={'CSV': {}}))
    check('mid-scan error: boto3 raises EventStreamError CastFailed', code == ('stream', 'CastFailed'),
          code)


def test_scan_range():
    path = os.path.join(DATA, 'airports.csv')
    size = os.path.getsize(path)
    sql = 'SELECT s.ident, s.iso_country FROM S3Object s'
    want, _ = cli(sql, path, '--file-header-info', 'USE')
    for parts in (7, 40):
        step = size // parts + 1
        got, scanned = b'', 0
        for i in range(parts):
            a = i * step
            b = min(size - 1, a + step - 1)
            if a > b:
                break
            recs, stats, _ = boto_select('airportCodes.csv', sql, scan={'Start': a, 'End': b})
            got += recs
            scanned += stats['BytesScanned']
        check('ScanRange: %d adjacent ranges concatenate to the whole result' % parts,
              got == want, '%d vs %d bytes' % (len(got), len(want)))
        check('ScanRange: BytesScanned of the %d ranges add up to the object size' % parts,
              scanned == size, (scanned, size))
    s3.put_object(Bucket='sample-data', Key='doc.csv', Body=b'A,B\nC,D\nD,E\nE,F\nG,H\nI,J\n')
    inp = {'CSV': {}}
    r, _, _ = boto_select('doc.csv', 'SELECT * FROM S3Object', inp=inp, scan={'Start': 1, 'End': 4})
    check('ScanRange documentation example: Start 1 End 4 returns C,D', r == b'C,D\n', r)
    r, _, _ = boto_select('doc.csv', 'SELECT * FROM S3Object', inp=inp, scan={'Start': 8})
    check('ScanRange Start only: records from byte 8 on', r == b'D,E\nE,F\nG,H\nI,J\n', r)
    r, _, _ = boto_select('doc.csv', 'SELECT * FROM S3Object', inp=inp, scan={'End': 8})
    check('ScanRange End only: the records in the last 8 bytes', r == b'G,H\nI,J\n', r)
    r, _, _ = boto_select('doc.csv', 'SELECT * FROM S3Object', inp=inp,
                          scan={'Start': 100, 'End': 200})
    check('ScanRange past the end: no records', r == b'', r)
    code = error_code(lambda: boto_select('doc.csv', 'SELECT * FROM S3Object', inp=inp,
                                          scan={'Start': 5, 'End': 2}))
    check('ScanRange Start > End: 400 InvalidScanRange', code == (400, 'InvalidScanRange'), code)
    # ScanRange on compressed objects is a pluck extension (tests/e2e/t_server_cscan.sh);
    # with AllowQuotedRecordDelimiter TRUE it is refused as by AWS
    code = error_code(lambda: boto_select(
        'airportCodes.csv.gz', sql, scan={'Start': 0, 'End': 9},
        inp={'CSV': {'FileHeaderInfo': 'Use', 'AllowQuotedRecordDelimiter': True}}))
    check('ScanRange on gzip with AllowQuotedRecordDelimiter TRUE: 400 UnsupportedScanRangeInput',
          code == (400, 'UnsupportedScanRangeInput'), code)


def test_aws_cli():
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK,
               AWS_DEFAULT_REGION='us-east-1', AWS_CONFIG_FILE='/dev/null',
               AWS_SHARED_CREDENTIALS_FILE='/dev/null', AWS_PAGER='')
    base = [AWS, '--endpoint-url', URL]

    def run(*a):
        return subprocess.run(base + list(a), capture_output=True, env=env, timeout=120)

    p = run('s3', 'mb', 's3://cli-bucket')
    check('aws s3 mb', p.returncode == 0, p.stderr)
    gz = os.path.join(DATA, 'airports.csv.gz')
    p = run('s3', 'cp', '--only-show-errors', gz, 's3://cli-bucket/in/airports.csv.gz')
    check('aws s3 cp upload', p.returncode == 0 and open(os.path.join(
        ROOT, 'cli-bucket/in/airports.csv.gz'), 'rb').read() == open(gz, 'rb').read(), p.stderr)
    plain = os.path.join(DATA, 'airports.csv')
    p = run('s3', 'cp', '--only-show-errors', plain, 's3://cli-bucket/in/sub/airports.csv')
    check('aws s3 cp upload (plain)', p.returncode == 0, p.stderr)
    p = run('s3', 'ls', '--recursive', 's3://cli-bucket/')
    out = p.stdout.decode()
    check('aws s3 ls --recursive lists both keys',
          p.returncode == 0 and 'in/airports.csv.gz' in out and 'in/sub/airports.csv' in out
          and str(os.path.getsize(gz)) in out, out)
    p = run('s3', 'ls', 's3://cli-bucket/in/')
    check('aws s3 ls with a delimiter shows the sub-prefix',
          p.returncode == 0 and 'PRE sub/' in p.stdout.decode(), p.stdout)
    outfile = os.path.join(TMP, 'cli-select.out')
    sql = "SELECT s.name, s.municipality FROM S3Object s WHERE s.iso_country = 'US' AND s.type = 'large_airport'"
    p = run('s3api', 'select-object-content', '--bucket', 'cli-bucket',
            '--key', 'in/airports.csv.gz', '--expression', sql, '--expression-type', 'SQL',
            '--input-serialization', '{"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": "GZIP"}',
            '--output-serialization', '{"CSV": {}}', outfile)
    want, _ = cli(sql, gz, '--file-header-info', 'USE')
    check('aws s3api select-object-content writes the CLI result',
          p.returncode == 0 and open(outfile, 'rb').read() == want and len(want) > 100, p.stderr)
    dl = os.path.join(TMP, 'cli-dl.gz')
    p = run('s3', 'cp', '--only-show-errors', 's3://cli-bucket/in/airports.csv.gz', dl)
    check('aws s3 cp download', p.returncode == 0 and open(dl, 'rb').read() == open(gz, 'rb').read())
    p = run('s3', 'rb', 's3://cli-bucket')
    check('aws s3 rb on a non-empty bucket fails (BucketNotEmpty)',
          p.returncode != 0 and b'BucketNotEmpty' in p.stderr, p.stderr)
    p = run('s3', 'rm', '--recursive', 's3://cli-bucket/')
    check('aws s3 rm --recursive', p.returncode == 0 and p.stdout.count(b'delete:') == 2, p.stdout)
    p = run('s3', 'rb', 's3://cli-bucket')
    check('aws s3 rb', p.returncode == 0 and not os.path.exists(os.path.join(ROOT, 'cli-bucket')),
          p.stderr)


def test_object_api():
    check('CreateBucket on a bucket you own answers 200',
          s3.create_bucket(Bucket='sample-data')['ResponseMetadata']['HTTPStatusCode'] == 200)
    s3.create_bucket(Bucket='objs')
    keys = ['a.csv', 'b/1.csv', 'b/2.csv', 'b/c/3.csv', 'b-x.csv', 'c d+e.csv']
    for k in keys:
        s3.put_object(Bucket='objs', Key=k, Body=k.encode() * 3)
    lst = s3.list_objects_v2(Bucket='objs')
    check('ListObjectsV2 returns every key in byte order',
          [o['Key'] for o in lst['Contents']] == sorted(keys), lst.get('Contents'))
    got, token, pages = [], None, 0
    while True:
        kw = dict(Bucket='objs', MaxKeys=2, Delimiter='/')
        if token:
            kw['ContinuationToken'] = token
        r = s3.list_objects_v2(**kw)
        pages += 1
        got += [o['Key'] for o in r.get('Contents', [])] + [p['Prefix'] for p in r.get('CommonPrefixes', [])]
        if not r['IsTruncated']:
            break
        token = r['NextContinuationToken']
    check('ListObjectsV2 delimiter + continuation pages',
          sorted(got) == sorted(['a.csv', 'b-x.csv', 'c d+e.csv', 'b/']) and pages == 2, (got, pages))
    r = s3.list_objects_v2(Bucket='objs', Prefix='b/', Delimiter='/')
    check('ListObjectsV2 prefix + delimiter',
          [o['Key'] for o in r['Contents']] == ['b/1.csv', 'b/2.csv']
          and [p['Prefix'] for p in r['CommonPrefixes']] == ['b/c/'], r)
    h = s3.head_object(Bucket='objs', Key='b/c/3.csv')
    body = b'b/c/3.csv' * 3
    check('HeadObject: length and MD5 ETag', h['ContentLength'] == len(body)
          and h['ETag'] == '"%s"' % hashlib.md5(body).hexdigest(), h)
    g = s3.get_object(Bucket='objs', Key='b/c/3.csv', Range='bytes=2-5')
    check('GetObject Range bytes=2-5: 206 and the bytes',
          g['ResponseMetadata']['HTTPStatusCode'] == 206 and g['Body'].read() == body[2:6])
    g = s3.get_object(Bucket='objs', Key='b/c/3.csv', Range='bytes=-4')
    check('GetObject suffix Range', g['Body'].read() == body[-4:])
    code = error_code(lambda: s3.get_object(Bucket='objs', Key='a.csv', Range='bytes=100-'))
    check('GetObject unsatisfiable Range: 416 InvalidRange', code == (416, 'InvalidRange'), code)
    c = s3.copy_object(Bucket='objs', Key='copy/x.csv', CopySource={'Bucket': 'objs', 'Key': 'a.csv'})
    check('CopyObject', s3.get_object(Bucket='objs', Key='copy/x.csv')['Body'].read() == b'a.csv' * 3, c)
    r = s3.delete_objects(Bucket='objs', Delete={'Objects': [{'Key': k} for k in keys + ['copy/x.csv', 'missing']]})
    check('DeleteObjects batch', len(r.get('Deleted', [])) == len(keys) + 2 and not r.get('Errors'), r)
    check('DeleteObjects leaves no empty directories',
          os.listdir(os.path.join(ROOT, 'objs')) == [], os.listdir(os.path.join(ROOT, 'objs')))
    # multipart through boto3's transfer manager
    big = os.path.join(TMP, 'mpu.bin')
    with open(big, 'wb') as f:
        for i in range(3):
            f.write(open(os.path.join(DATA, 'airports.csv'), 'rb').read())
    from boto3.s3.transfer import TransferConfig
    s3.upload_file(big, 'objs', 'mpu/big.csv', Config=TransferConfig(multipart_threshold=8 << 20,
                                                                       multipart_chunksize=8 << 20))
    check('multipart upload (boto3 upload_file)',
          open(os.path.join(ROOT, 'objs/mpu/big.csv'), 'rb').read() == open(big, 'rb').read())
    check('multipart ETag has the -N suffix',
          s3.head_object(Bucket='objs', Key='mpu/big.csv')['ETag'].endswith('-3"'))
    s3.delete_object(Bucket='objs', Key='mpu/big.csv')
    s3.delete_bucket(Bucket='objs')
    check('DeleteBucket', not os.path.exists(os.path.join(ROOT, 'objs')))


def test_uploads_raw():
    data = open(os.path.join(DATA, 'airports.csv.zst'), 'rb').read()[:300000]
    # aws-chunked with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)
    def chunked(corrupt=False):
        target = '/sample-data/chunked.zst'
        hdrs = {'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data))}
        h, key, scope, amzdate, seed = sign('PUT', target, hdrs, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')
        body, prev = b'', seed
        chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)] + [b'']
        for n, c in enumerate(chunks):
            sts = 'AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s' % (
                amzdate, scope, prev, EMPTY, hashlib.sha256(c).hexdigest())
            sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            if corrupt and n == 2:
                sig = sig[::-1]
            body += b'%x;chunk-signature=%s\r\n' % (len(c), sig.encode()) + c + b'\r\n'
            prev = sig
        return raw('PUT', target, body, h, signed=False)
    st, resp, _ = chunked(corrupt=True)
    check('aws-chunked upload with a bad chunk signature: 403 SignatureDoesNotMatch, nothing stored',
          st == 403 and s3_code(resp) == 'SignatureDoesNotMatch'
          and not os.path.exists(os.path.join(ROOT, 'sample-data/chunked.zst')), (st, resp))
    st, resp, r = chunked()
    check('aws-chunked signed upload stores the decoded bytes',
          st == 200 and open(os.path.join(ROOT, 'sample-data/chunked.zst'), 'rb').read() == data
          and r.getheader('ETag') == '"%s"' % hashlib.md5(data).hexdigest(), (st, resp))
    # declared payload hash that does not match the body: refused and not published
    st, resp, _ = raw('PUT', '/sample-data/hash.csv', b'hello', payload_hash=hashlib.sha256(b'other').hexdigest())
    check('payload hash mismatch: 400 XAmzContentSHA256Mismatch, object absent',
          st == 400 and s3_code(resp) == 'XAmzContentSHA256Mismatch'
          and not os.path.exists(os.path.join(ROOT, 'sample-data/hash.csv')), (st, resp))
    leftovers = [f for d, _, fs in os.walk(ROOT) for f in fs if f.startswith('.pluck-tmp-')]
    check('no temporary upload files left behind', leftovers == [], leftovers)


def test_rejections():
    st, body, _ = raw('GET', '/sample-data?list-type=2', signed=False)
    check('unsigned request: 403 AccessDenied', (st, s3_code(body)) == (403, 'AccessDenied'), body)
    code = error_code(lambda: client(sk='wrong').list_buckets())
    check('wrong secret: 403 SignatureDoesNotMatch', code == (403, 'SignatureDoesNotMatch'), code)
    code = error_code(lambda: client(ak='nobody').list_buckets())
    check('unknown access key: 403 InvalidAccessKeyId', code == (403, 'InvalidAccessKeyId'), code)
    st, body, _ = raw('GET', '/', when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
    check('request signed 20 minutes ago: 403 RequestTimeTooSkewed',
          (st, s3_code(body)) == (403, 'RequestTimeTooSkewed'), body)
    st, body, _ = raw('GET', '/', when=datetime.datetime.utcnow() - datetime.timedelta(minutes=10))
    check('request signed 10 minutes ago: accepted (15-minute skew)', st == 200, body)
    v4 = client(signature_version='s3v4')
    url = v4.generate_presigned_url('get_object', Params={'Bucket': 'sample-data', 'Key': 'doc.csv'},
                                    ExpiresIn=60)
    st, body, _ = raw('GET', url.split(HOSTPORT, 1)[1], signed=False)
    check('presigned URL: 200', st == 200 and body.startswith(b'A,B'), (st, body))
    tampered = url.replace('doc.csv', 'numbers.csv')
    st, body, _ = raw('GET', tampered.split(HOSTPORT, 1)[1], signed=False)
    check('presigned URL for another key: 403 SignatureDoesNotMatch',
          (st, s3_code(body)) == (403, 'SignatureDoesNotMatch'), body)
    url2 = s3.generate_presigned_url('get_object', Params={'Bucket': 'sample-data', 'Key': 'doc.csv'})
    st, body, _ = raw('GET', url2.split(HOSTPORT, 1)[1], signed=False)
    check('presigned URL with Signature Version 2: 400 InvalidRequest',
          'X-Amz-Signature' in url2 or (st, s3_code(body)) == (400, 'InvalidRequest'), (url2, body))
    url = v4.generate_presigned_url('get_object', Params={'Bucket': 'sample-data', 'Key': 'doc.csv'},
                                    ExpiresIn=1)
    time.sleep(2.1)
    st, body, _ = raw('GET', url.split(HOSTPORT, 1)[1], signed=False)
    check('expired presigned URL: 403 AccessDenied (Request has expired)',
          (st, s3_code(body)) == (403, 'AccessDenied') and b'expired' in body, body)
    code = error_code(lambda: boto_select('nope.csv', 'SELECT * FROM S3Object'))
    check('select on an unknown key: 404 NoSuchKey', code == (404, 'NoSuchKey'), code)
    code = error_code(lambda: boto_select('x.csv', 'SELECT * FROM S3Object', bucket='no-such-bucket'))
    check('select in an unknown bucket: 404 NoSuchBucket', code == (404, 'NoSuchBucket'), code)
    code = error_code(lambda: s3.get_object(Bucket='sample-data', Key='nope'))
    check('GetObject unknown key: 404 NoSuchKey', code == (404, 'NoSuchKey'), code)
    # path escapes (the raw target reaches the server as written)
    for target, want in [('/sample-data/..%2F..%2F..%2Fetc%2Fpasswd', (400, 'InvalidArgument')),
                         ('/sample-data/../../etc/passwd', (400, 'InvalidArgument')),
                         ('/sample-data/a/./b', (400, 'InvalidArgument')),
                         ('/sample-data//etc/passwd', (400, 'InvalidArgument')),
                         ('/sample-data/%2Fetc%2Fpasswd', (400, 'InvalidArgument')),
                         ('/sample-data/doc.csv%00.txt', (400, 'InvalidURI')),
                         ('/..%2F..%2Fetc/passwd', (400, 'InvalidBucketName')),
                         ('/%2E%2E/etc/passwd', (400, 'InvalidBucketName'))]:
        st, body, _ = raw('GET', target)
        check('path escape %s: %d %s' % (target, want[0], want[1]), (st, s3_code(body)) == want,
              (st, body))
    os.symlink('/etc/passwd', os.path.join(ROOT, 'sample-data', 'link.csv'))
    os.symlink('/etc', os.path.join(ROOT, 'sample-data', 'linkdir'))
    os.symlink('/etc', os.path.join(ROOT, 'etc-bucket'))
    st, body, _ = raw('GET', '/sample-data/link.csv')
    check('symlinked object: 403 AccessDenied', (st, s3_code(body)) == (403, 'AccessDenied'), body)
    st, body, _ = raw('GET', '/sample-data/linkdir/passwd')
    check('symlinked directory: 403 AccessDenied', (st, s3_code(body)) == (403, 'AccessDenied'), body)
    st, body, _ = raw_select('sample-data', 'link.csv', select_xml('SELECT * FROM S3Object'))
    check('select through a symlink: 403 AccessDenied', (st, s3_code(body)) == (403, 'AccessDenied'), body)
    st, body, _ = raw('GET', '/etc-bucket/passwd')
    check('symlinked bucket: 404 NoSuchBucket', (st, s3_code(body)) == (404, 'NoSuchBucket'), body)
    st, body, _ = raw('PUT', '/sample-data/linkdir/evil', b'x')
    check('PutObject through a symlinked directory: 403', st == 403 and not os.path.exists('/etc/evil'), body)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    check('ListBuckets shows no symlinked or hidden directories', 'etc-bucket' not in names
          and not any(n.startswith('.') for n in names), names)
    lst = [o['Key'] for o in s3.list_objects_v2(Bucket='sample-data').get('Contents', [])]
    check('ListObjects skips symlinks', 'link.csv' not in lst and not any(k.startswith('linkdir') for k in lst), lst)
    # malformed requests
    st, body, _ = raw_select('sample-data', 'doc.csv', b'<SelectObjectContentRequest><Expression>')
    check('bad XML: 400 MalformedXML', (st, s3_code(body)) == (400, 'MalformedXML'), body)
    st, body, _ = raw_select('sample-data', 'doc.csv', b'<!DOCTYPE x [<!ENTITY a "b">]><SelectRequest/>')
    check('XML with a DOCTYPE: 400 MalformedXML', (st, s3_code(body)) == (400, 'MalformedXML'), body)
    st, body, _ = raw_select('sample-data', 'doc.csv', b'')
    check('empty select body: 400 EmptyRequestBody', (st, s3_code(body)) == (400, 'EmptyRequestBody'), body)
    st, body, _ = raw_select('sample-data', 'doc.csv', select_xml('SELECT * FROM S3Object')
                             .replace(b'<ExpressionType>SQL', b'<ExpressionType>XQUERY'))
    check('ExpressionType not SQL: 400 InvalidExpressionType',
          (st, s3_code(body)) == (400, 'InvalidExpressionType'), body)
    st, body, _ = raw_select('sample-data', 'doc.csv', select_xml('SELECT * FROM S3Object', header='MAYBE'))
    check('bad FileHeaderInfo: 400 InvalidFileHeaderInfo', (st, s3_code(body)) == (400, 'InvalidFileHeaderInfo'), body)
    # namespace-less SelectRequest root with entities in the SQL
    body_x = (b'<SelectRequest><Expression>SELECT _1 FROM S3Object WHERE _1 &lt;&gt; &apos;A&apos;'
              b'</Expression><ExpressionType>SQL</ExpressionType><InputSerialization><CSV>'
              b'<FileHeaderInfo>NONE</FileHeaderInfo></CSV></InputSerialization>'
              b'<OutputSerialization><JSON><RecordDelimiter>&#10;</RecordDelimiter></JSON>'
              b'</OutputSerialization></SelectRequest>')
    st, body, _ = raw_select('sample-data', 'doc.csv', body_x)
    recs = evstream.check_select_stream(evstream.decode(body))[0] if st == 200 else body
    check('SelectRequest root without namespace, XML entities in the SQL',
          recs == b'{"_1":"C"}\n{"_1":"D"}\n{"_1":"E"}\n{"_1":"G"}\n{"_1":"I"}\n', recs)
    path = os.path.join(DATA, 'airports.csv')
    for sql in ['SELECT * FROM S3Object WHERE', "SELECT s.nosuch FROM S3Object s",
                'SELECT FROM S3Object']:
        code = error_code(lambda: boto_select('airportCodes.csv', sql))
        p = subprocess.run([PLUCK, '--file-header-info', 'USE', sql, path], capture_output=True)
        want = p.stderr.decode().split(':')[1].strip() if b':' in p.stderr else '?'
        check('bad SQL %r: 400 %s as the CLI says' % (sql, want),
              code == (400, want), (code, p.stderr[:200]))
    big = select_xml('SELECT * FROM S3Object WHERE _1 = \'%s\'' % ('x' * 70000))
    st, body, _ = raw_select('sample-data', 'doc.csv', big)
    check('oversized XML body (> --max-xml-size): 400 MaxMessageLengthExceeded',
          (st, s3_code(body)) == (400, 'MaxMessageLengthExceeded'), body)
    # declared body larger than --max-object-size: answered before any body byte is sent
    h, *_ = sign('PUT', '/sample-data/huge.bin', {'Content-Length': str(100 << 20)}, 'UNSIGNED-PAYLOAD')
    c = http.client.HTTPConnection(HOST, int(PORT), timeout=10)
    c.putrequest('PUT', '/sample-data/huge.bin', skip_host=True, skip_accept_encoding=True)
    for k, v in h.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    check('oversized object body (> --max-object-size): 400 EntityTooLarge',
          (r.status, s3_code(body)) == (400, 'EntityTooLarge'), body)
    st, body, _ = raw('GET', '/sample-data/' + 'k' * 9000)
    check('URL longer than 8 KiB: 414', st == 414, (st, body[:200]))
    st, body, _ = raw('GET', '/sample-data/doc.csv?acl')
    check('unsupported sub-resource: 501 NotImplemented', (st, s3_code(body)) == (501, 'NotImplemented'), body)
    code = error_code(lambda: s3.delete_bucket(Bucket='sample-data'))
    check('DeleteBucket on a non-empty bucket: 409 BucketNotEmpty', code == (409, 'BucketNotEmpty'), code)
    code = error_code(lambda: s3.create_bucket(Bucket='Bad_Name'))
    check('CreateBucket with an invalid name: 400 InvalidBucketName', code == (400, 'InvalidBucketName'), code)


def threads():
    with open('/proc/%d/status' % PID) as f:
        return int(re.search(r'Threads:\s+(\d+)', f.read()).group(1))


def test_concurrency_and_disconnect():
    path = os.path.join(DATA, 'airports.csv.zst')
    sql = "SELECT s.ident FROM S3Object s WHERE s.iso_country = 'BR'"
    want, _ = cli(sql, path, '--file-header-info', 'USE')
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        res = list(ex.map(lambda i: boto_select('airportCodes.csv.zst', sql)[0], range(16)))
    check('16 concurrent selects (8 at a time) all return the CLI result',
          all(r == want for r in res), [len(r) for r in res])
    time.sleep(0.3)
    base = threads()
    # a client that reads a little of a long result, then disconnects
    big = b''.join(open(os.path.join(DATA, 'airports.csv'), 'rb').read() for _ in range(4))
    s3.put_object(Bucket='sample-data', Key='big.csv', Body=big)
    body = select_xml('SELECT * FROM S3Object s')
    h, *_ = sign('POST', '/sample-data/big.csv?select&select-type=2', None, hashlib.sha256(body).hexdigest())
    sock = socket.create_connection((HOST, int(PORT)))
    req = 'POST /sample-data/big.csv?select&select-type=2 HTTP/1.1\r\n'
    req += ''.join('%s: %s\r\n' % kv for kv in h.items()) + 'Content-Length: %d\r\n\r\n' % len(body)
    sock.sendall(req.encode() + body)
    got = sock.recv(65536)
    during = threads()
    sock.close()
    deadline = time.time() + 5
    while time.time() < deadline and threads() > base:
        time.sleep(0.05)
    after = threads()
    check('disconnect mid-stream: the select had started', got.startswith(b'HTTP/1.1 200'), got[:100])
    check('disconnect mid-stream: its thread ends promptly (threads %d -> %d -> %d)' % (base, during, after),
          after <= base and during > base)
    check('server still answers after the disconnect',
          s3.head_object(Bucket='sample-data', Key='doc.csv')['ContentLength'] == 24)


def main():
    tests = [test_snippet, test_json_and_queries, test_progress_and_frames, test_reference_frames,
             test_limits, test_mid_scan_error,
             test_scan_range, test_aws_cli, test_object_api, test_uploads_raw, test_rejections,
             test_concurrency_and_disconnect]
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.time()
        try:
            t()
        except Exception as e:  # a crash counts as one failed assertion, the rest still run
            import traceback
            traceback.print_exc()
            check('%s completes' % t.__name__, False, repr(e))
        print('  %s: %.1f s' % (t.__name__, time.time() - t0))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

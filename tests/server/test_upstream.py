"""test_upstream.py — `pluck serve --upstream` through boto3, run by tests/e2e/t_upstream.sh.

Two independent stores hold the same objects: s3rver (npm; does not check signatures) and
a second `pluck serve --root` (checks them).  A gateway is started in front of each; every
answer through a gateway is compared with the pluck CLI over the local copy of the object.

Environment: GATEWAYS ("name=url ..."), BAD_GATEWAY (a gateway whose upstream keys are
wrong), DOWN_GATEWAY (a gateway whose upstream does not answer), PLUCK, DATA, GW_AK / GW_SK
(the gateways' own client keys), STORE_KEYS (name=ak:sk of each store, to compare GetObject),
RESULTS (one "ok|fail<TAB>name" line per assertion).
"""

import os
import subprocess
import sys

import boto3
import botocore
from botocore.config import Config

PLUCK = os.environ['PLUCK']
DATA = os.environ['DATA']
GW_AK = os.environ['GW_AK']
GW_SK = os.environ['GW_SK']
RESULTS = open(os.environ['RESULTS'], 'a')
GATEWAYS = dict(kv.split('=', 1) for kv in os.environ['GATEWAYS'].split())

failures = 0


def check(name, ok, detail=''):
    global failures
    if not ok:
        failures += 1
        print('FAIL upstream: %s: %s' % (name, str(detail)[:600]))
    RESULTS.write('%s\t%s\t\n' % ('ok' if ok else 'fail', name))
    RESULTS.flush()
    return ok


def client(url, ak=GW_AK, sk=GW_SK):
    return boto3.client('s3', endpoint_url=url, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name='us-east-1', config=Config(retries={'max_attempts': 1}))


def cli(sql, path, *opts):
    p = subprocess.run([PLUCK] + list(opts) + [sql, path], capture_output=True, timeout=120)
    return p.stdout


def select(s3, key, sql, scan=None, out=None, header='Use', compression=None):
    inp = {'CSV': {'FileHeaderInfo': header}}
    if compression:
        inp['CompressionType'] = compression
    kw = dict(Bucket='data', Key=key, ExpressionType='SQL', Expression=sql,
              InputSerialization=inp, OutputSerialization=out or {'CSV': {}})
    if scan:
        kw['ScanRange'] = scan
    r = s3.select_object_content(**kw)
    recs, stats = b'', None
    for event in r['Payload']:
        if 'Records' in event:
            recs += event['Records']['Payload']
        elif 'Stats' in event:
            stats = event['Stats']['Details']
    return recs, stats


def error_of(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return (e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Code'],
                e.response['Error'].get('Message', ''))
    return 200, None, ''


SNIPPET_SQL = "select * from s3object s where s.\"iso_country\" like '%US%'"
QUERIES = [
    SNIPPET_SQL,
    "SELECT COUNT(*) FROM S3Object s WHERE s.type = 'heliport'",
    "SELECT s.ident, s.name FROM S3Object s WHERE s.municipality = 'Paris' LIMIT 5",
]


def test_gateway(name, url):
    s3 = client(url)
    # 1. the seed's snippet and other queries, every compression, equal to the CLI
    for ext in ('csv', 'csv.gz', 'csv.zst', 'csv.bz2'):
        path = os.path.join(DATA, 'airports.' + ext)
        for i, sql in enumerate(QUERIES):
            if ext != 'csv' and i:
                continue
            recs, stats = select(s3, 'airports.' + ext, sql)
            want = cli(sql, path, '--file-header-info', 'USE')
            check('%s: select %d over airports.%s equals the CLI (%d bytes)'
                  % (name, i, ext, len(want)), recs == want and len(want) > 0,
                  '%d vs %d bytes' % (len(recs), len(want)))
            if i == 0:
                check('%s: airports.%s BytesScanned is the object size' % (name, ext),
                      stats and stats['BytesScanned'] == os.path.getsize(path), stats)
    sql = "SELECT s.ident, s.elevation_ft FROM S3Object s WHERE s.type = 'large_airport'"
    recs, _ = select(s3, 'airports.csv.gz', sql, out={'JSON': {}})
    want = cli(sql, os.path.join(DATA, 'airports.csv.gz'), '-H', '--json')
    check('%s: JSON output equals the CLI' % name, recs == want and len(want) > 100,
          recs[:200])
    # a key that needs escaping in the URL and in the canonical request
    odd = 'dir/odd key+name=%é.csv'
    recs, _ = select(s3, odd, 'SELECT COUNT(*) FROM S3Object')
    want = cli('SELECT COUNT(*) FROM S3Object', os.path.join(DATA, 'airports.csv'), '-H')
    check('%s: a key with space, +, =, %%, é works' % name, recs == want, recs)

    # 2. ScanRange fan-out adds up to the whole (records and counts)
    path = os.path.join(DATA, 'airports.csv')
    size = os.path.getsize(path)
    whole = cli('SELECT * FROM S3Object s', path, '-H')
    for parts in (3, 7):
        step = size // parts + 1
        got, count = b'', 0
        for k in range(parts):
            scan = {'Start': k * step, 'End': min(size, (k + 1) * step) - 1}
            recs, _ = select(s3, 'airports.csv', 'SELECT * FROM S3Object s', scan=scan)
            got += recs
            c, _ = select(s3, 'airports.csv', 'SELECT COUNT(*) FROM S3Object s', scan=scan)
            count += int(c)
        check('%s: %d ScanRange splits concatenate to the whole output' % (name, parts),
              got == whole, '%d vs %d bytes' % (len(got), len(whole)))
        check('%s: %d ScanRange split counts add up to the total' % (name, parts),
              count == whole.count(b'\n'), '%d vs %d' % (count, whole.count(b'\n')))
    e = error_of(lambda: select(s3, 'airports.csv.gz', 'SELECT * FROM S3Object',
                                scan={'Start': 0, 'End': 100}))
    check('%s: ScanRange on a compressed object: UnsupportedScanRangeInput' % name,
          e[:2] == (400, 'UnsupportedScanRangeInput'), e)

    # 3. errors: the store's for missing objects, pluck's own for its clients' keys
    e = error_of(lambda: select(s3, 'nosuch.csv', 'SELECT * FROM S3Object'))
    check('%s: a missing key: 404 NoSuchKey' % name, e[:2] == (404, 'NoSuchKey'), e)
    e = error_of(lambda: client(url).select_object_content(
        Bucket='nosuchbucket', Key='k.csv', ExpressionType='SQL', Expression='SELECT * FROM S3Object',
        InputSerialization={'CSV': {}}, OutputSerialization={'CSV': {}}))
    check('%s: a missing bucket: 404 NoSuchBucket' % name, e[:2] == (404, 'NoSuchBucket'), e)
    e = error_of(lambda: select(client(url, sk='wrong'), 'airports.csv', 'SELECT * FROM S3Object'))
    check('%s: a client with a wrong secret: 403 SignatureDoesNotMatch' % name,
          e[:2] == (403, 'SignatureDoesNotMatch'), e)
    e = error_of(lambda: select(s3, 'airports.csv', 'SELECT FROM'))
    check('%s: bad SQL: 400 ParseUnexpectedToken or similar, before any GET' % name,
          e[0] == 400 and e[1].startswith('Parse'), e)

    # 4. forwarded operations
    body = s3.get_object(Bucket='data', Key='airports.csv.gz')['Body'].read()
    check('%s: GetObject is forwarded (bytes equal the file)' % name,
          body == open(os.path.join(DATA, 'airports.csv.gz'), 'rb').read(), len(body))
    part = s3.get_object(Bucket='data', Key='airports.csv', Range='bytes=100-199')
    check('%s: GetObject with Range is forwarded (206 and the bytes)' % name,
          part['ResponseMetadata']['HTTPStatusCode'] == 206 and
          part['Body'].read() == open(path, 'rb').read()[100:200], part['ResponseMetadata'])
    h = s3.head_object(Bucket='data', Key='airports.csv')
    check('%s: HeadObject is forwarded (ContentLength)' % name, h['ContentLength'] == size, h)
    keys = sorted(o['Key'] for o in
                  s3.list_objects_v2(Bucket='data').get('Contents', []))
    check('%s: ListObjectsV2 is forwarded' % name,
          'airports.csv' in keys and odd in keys, keys)
    e = error_of(lambda: s3.get_object(Bucket='data', Key='nosuch'))
    check('%s: a forwarded GetObject error keeps its status and code' % name,
          e[:2] == (404, 'NoSuchKey'), e)
    e = error_of(lambda: s3.put_object(Bucket='data', Key='new.csv', Body=b'a\n'))
    check('%s: PutObject answers 501 NotImplemented' % name, e[:2] == (501, 'NotImplemented'), e)
    e = error_of(lambda: s3.delete_object(Bucket='data', Key='airports.csv'))
    check('%s: DeleteObject answers 501 NotImplemented' % name,
          e[:2] == (501, 'NotImplemented'), e)
    h = s3.head_object(Bucket='data', Key='airports.csv')
    check('%s: ... and the object is still there' % name, h['ContentLength'] == size, h)


def main():
    for name, url in sorted(GATEWAYS.items()):
        test_gateway(name, url)
    bad = client(os.environ['BAD_GATEWAY'])
    e = error_of(lambda: select(bad, 'airports.csv', 'SELECT COUNT(*) FROM S3Object'))
    check('wrong upstream keys: 403 AccessDenied naming the upstream credentials',
          e[:2] == (403, 'AccessDenied') and 'PLUCK_UPSTREAM_SECRET_ACCESS_KEY' in e[2]
          and 'SignatureDoesNotMatch' in e[2], e)
    down = client(os.environ['DOWN_GATEWAY'])
    e = error_of(lambda: select(down, 'airports.csv', 'SELECT COUNT(*) FROM S3Object'))
    check('upstream not answering: 503 ServiceUnavailable', e[:2] == (503, 'ServiceUnavailable'),
          e)
    fake = os.environ.get('FAKE_GATEWAY')
    if fake:
        test_fake(client(fake))
    return 1 if failures else 0


def stream_error(fn):
    """(code, message) of a select that fails before or while its events stream."""
    try:
        fn()
    except botocore.exceptions.EventStreamError as e:
        return e.response['Error']['Code'], e.response['Error'].get('Message', '')
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'], e.response['Error'].get('Message', '')
    return None, ''


def test_fake(s3):
    """A store that misbehaves (tests/server/fake_s3.py)."""
    code, msg = stream_error(lambda: select(s3, 'short.csv', 'SELECT COUNT(*) FROM S3Object',
                                            header='USE'))
    check('misbehaving store: an object cut short is an error, not a short answer',
          code is not None and 'ended' in msg, (code, msg))
    e = error_of(lambda: select(s3, 'chunked.csv', 'SELECT COUNT(*) FROM S3Object'))
    check('misbehaving store: no Content-Length: 502 InternalError saying so',
          e[:2] == (502, 'InternalError') and 'size' in e[2], e)
    e = error_of(lambda: s3.get_object(Bucket='data', Key='notxml'))
    check('misbehaving store: a forwarded 500 keeps its status', e[0] == 500, e)


if __name__ == '__main__':
    sys.exit(main())

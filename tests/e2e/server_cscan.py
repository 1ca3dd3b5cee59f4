"""server_cscan.py — ScanRange over compressed objects (issue 16 §3, a pluck extension),
driven by tests/e2e/t_server_cscan.sh through boto3.

Objects: one seeded CSV (quoted fields with commas, a header) compressed by the codec tools:
bgzip (BGZF: a member per 64 KiB), pzstd (frames of about 2 MiB), zstd frames of 50 KB
chunks cut at arbitrary bytes and concatenated, and a single gzip member (no split points).
For each, seeded random cut points split [0, size) into adjacent ScanRanges
(End + 1 = next Start); the Records of the ranges, concatenated in order, must equal the
whole-object select byte for byte, for CSV and for JSON output, and the BytesScanned of the
ranges must add up to the object's size.  Then the single-member object: the range at 0 owns
everything, the others nothing.  The expected whole answer is itself checked against the CSV
read by Python's csv module (an oracle that is not pluck)."""

import csv
import gzip
import io
import json
import os
import random
import subprocess
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

URL, ROOT, AK, SK = (os.environ[k] for k in ('SERVER_URL', 'SERVER_ROOT', 'AK', 'SK'))
RESULTS = open(os.environ['RESULTS'], 'a')
BUCKET = 'cscan'
SEED = int(os.environ.get('CSCAN_SEED', '16'))


def check(name, ok, detail=''):
    if not ok:
        print('FAIL cscan: %s: %s' % (name, str(detail)[:600]))
    RESULTS.write('%s\t%s\t\n' % ('ok' if ok else 'fail', name))
    RESULTS.flush()


s3 = boto3.client('s3', endpoint_url=URL, aws_access_key_id=AK, aws_secret_access_key=SK,
                  region_name='us-east-1', config=Config(retries={'max_attempts': 0}))
# a client as an SDK user has it: 503 SlowDown is retried (the gzip index being built)
s3r = boto3.client('s3', endpoint_url=URL, aws_access_key_id=AK, aws_secret_access_key=SK,
                   region_name='us-east-1',
                   config=Config(retries={'mode': 'standard', 'max_attempts': 10}))


def select(key, sql, out='CSV', rng=None, header='USE', client=None):
    kw = {}
    if rng is not None:
        kw['ScanRange'] = rng
    r = (client or s3).select_object_content(
        Bucket=BUCKET, Key=key, ExpressionType='SQL', Expression=sql,
        InputSerialization={'CSV': {'FileHeaderInfo': header}},  # compression detected
        OutputSerialization={'CSV': {}} if out == 'CSV' else {'JSON': {}}, **kw)
    recs, scanned = [], None
    for ev in r['Payload']:
        if 'Records' in ev:
            recs.append(ev['Records']['Payload'])
        if 'Stats' in ev:
            scanned = ev['Stats']['Details']['BytesScanned']
    return b''.join(recs), scanned


def make_objects():
    rnd = random.Random(SEED)
    rows = [['id', 'name', 'amount', 'note']]
    for i in range(60000):
        rows.append([str(i), 'n,%d' % rnd.randint(0, 999), '%d.%02d' % (rnd.randint(0, 9999),
                     rnd.randint(0, 99)), 'x' * rnd.randint(0, 40)])
    buf = io.StringIO()
    csv.writer(buf, lineterminator='\n').writerows(rows)
    data = buf.getvalue().encode()
    d = os.path.join(ROOT, BUCKET)
    os.makedirs(d, exist_ok=True)
    tool = lambda cmd: subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout
    chunks = [data[i:i + 50000] for i in range(0, len(data), 50000)]
    objs = {
        'bgzf.csv.gz': tool(['bgzip', '-c']),
        'pzstd.csv.zst': tool(['pzstd', '-q', '-p', '2', '-1', '-c']),
        'frames.csv.zst': b''.join(subprocess.run(['zstd', '-q', '-c'], input=c,
                                                  stdout=subprocess.PIPE, check=True).stdout
                                   for c in chunks),
        'single.csv.zst': tool(['zstd', '-q', '-c']),
    }
    for k, v in objs.items():
        s3.put_object(Bucket=BUCKET, Key=k, Body=v)
    # not in objs (no fan-out): its ScanRange is refused
    s3.put_object(Bucket=BUCKET, Key='single.csv.bz2', Body=tool(['bzip2', '-c']))
    return rows, objs


def cuts(size, rnd, k):
    pts = sorted(set(rnd.randrange(1, size) for _ in range(k)))
    bounds = [0] + pts + [size]
    return [(bounds[j], bounds[j + 1] - 1) for j in range(len(bounds) - 1)]


def oracle_of(rows):
    o = io.StringIO()
    csv.writer(o, lineterminator='\n').writerows([r[:3] for r in rows[1:] if float(r[2]) < 5000])
    return o.getvalue().encode()


def fan_out(key, sql, size, rnd, k, client=None):
    parts, scanned = [], 0
    for a, b in cuts(size, rnd, k):
        p, sc = select(key, sql, 'CSV', {'Start': a, 'End': b}, client=client)
        parts.append(p)
        scanned += sc or 0
    return parts, scanned


def gzip_index(rows, sql, oracle_csv, rnd):
    """A single-member gzip object: the first ScanRange starts building its checkpoint index
    (pluck-index(5)) in the background; once it is there, ranges split at its checkpoints and
    add up to the whole.  Overwritten, the object's old index is stale and never used."""
    import time
    data = ''.join(','.join('"%s"' % f if ',' in f else f for f in r) + '\n'
                   for r in rows).encode()
    key = 'member.csv.gz'
    body = subprocess.run(['gzip', '-c'], input=data, stdout=subprocess.PIPE, check=True).stdout
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    idx = os.path.join(ROOT, '.pluck-indexes', BUCKET, key + '.pluckidx')
    import botocore
    try:
        select(key, sql, 'CSV', {'Start': 0, 'End': len(body) - 1})
        code = None
    except botocore.exceptions.ClientError as e:
        code = (e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Code'])
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(idx):
        time.sleep(0.05)
    check('gzip index: the first ScanRange over a single gzip member is 503 SlowDown (%s) '
          'while its index is built beside the object, out of the buckets' % (code,),
          code == (503, 'SlowDown') and os.path.exists(idx), (code, os.path.exists(idx)))
    listed = [o['Key'] for o in s3.list_objects_v2(Bucket=BUCKET).get('Contents', [])]
    check('gzip index: not listed as an object', not any('pluckidx' in k for k in listed), listed)
    for trial in range(2):
        parts, scanned = fan_out(key, sql, len(body), rnd, rnd.choice([3, 7, 12]))
        nonempty = sum(1 for p in parts if p)
        check('gzip index: %d adjacent ranges over a single gzip member (trial %d) add up to the '
              'whole byte for byte, %d of them with records, BytesScanned %d = %d'
              % (len(parts), trial, nonempty, scanned, len(body)),
              b''.join(parts) == oracle_csv and nonempty >= 2 and scanned == len(body),
              (len(b''.join(parts)), nonempty, scanned))
    # overwrite: fewer rows, so the stale index is refused and the answer is the new object's
    rows2 = rows[:len(rows) // 2]
    data2 = data[:data.index(b'\n%d,' % (len(rows2) - 1)) + 1]
    body2 = subprocess.run(['gzip', '-c'], input=data2, stdout=subprocess.PIPE,
                           check=True).stdout
    s3.put_object(Bucket=BUCKET, Key=key, Body=body2)
    parts, _ = fan_out(key, sql, len(body2), rnd, 5, client=s3r)  # 503s retried
    check('gzip index: after an overwrite the stale index is not used: ranges add up to the '
          'new object\'s answer', b''.join(parts) == oracle_of(rows2),
          (len(b''.join(parts)), len(oracle_of(rows2))))


def main():
    s3.create_bucket(Bucket=BUCKET)
    rows, objs = make_objects()
    rnd = random.Random(SEED)
    sql = "SELECT s.id, s.name, s.amount FROM S3Object s WHERE CAST(s.amount AS FLOAT) < 5000"
    # the oracle: Python's csv module over the same rows
    want_rows = [r[:3] for r in rows[1:] if float(r[2]) < 5000]
    o = io.StringIO()
    csv.writer(o, lineterminator='\n').writerows(want_rows)
    oracle_csv = o.getvalue().encode()
    oracle_json = ''.join(json.dumps({'id': a, 'name': b, 'amount': c}, separators=(',', ':'))
                          + '\n' for a, b, c in want_rows).encode()
    for key, body in objs.items():
        size = len(body)
        for out, oracle in (('CSV', oracle_csv), ('JSON', oracle_json)):
            whole, wscanned = select(key, sql, out)
            check('%s %s: the whole-object select equals Python csv\'s answer (%d bytes)'
                  % (key, out, len(oracle)), whole == oracle, (len(whole), whole[:120]))
            for trial in range(2):
                ranges = cuts(size, rnd, rnd.choice([1, 3, 7, 15]))
                parts, scanned = [], 0
                for a, b in ranges:
                    p, sc = select(key, sql, out, {'Start': a, 'End': b})
                    parts.append(p)
                    scanned += sc or 0
                joined = b''.join(parts)
                nonempty = sum(1 for p in parts if p)
                check('%s %s: %d adjacent ScanRanges (seed %d, trial %d) add up to the whole '
                      'byte for byte (%d ranges with records), BytesScanned %d = size %d'
                      % (key, out, len(ranges), SEED, trial, nonempty, scanned, size),
                      joined == whole and scanned == size,
                      (len(joined), len(whole), scanned, size, ranges[:4]))
    # no split points: the range at 0 owns everything, the others nothing
    size = len(objs['single.csv.zst'])
    p0, _ = select('single.csv.zst', sql, 'CSV', {'Start': 0, 'End': 10})
    p1, _ = select('single.csv.zst', sql, 'CSV', {'Start': 11, 'End': size - 1})
    p2, _ = select('single.csv.zst', sql, 'CSV', {'Start': 5})
    check('one zstd frame (no split points): [0, 10] owns every record, [11, end] and '
          'Start 5 none', p0 == oracle_csv and p1 == b'' and p2 == b'',
          (len(p0), len(p1), len(p2)))
    # bzip2: finding its blocks decodes every one (a bomb's CPU before the first byte)
    try:
        select('single.csv.bz2', sql, 'CSV', {'Start': 0, 'End': 10})
        code = None
    except botocore.exceptions.ClientError as e:
        code = e.response['Error']['Code']
    check('bzip2: ScanRange refused with UnsupportedScanRangeInput (%s)' % code,
          code == 'UnsupportedScanRangeInput', code)
    gzip_index(rows, sql, oracle_csv, rnd)
    # End alone is the last End bytes; a suffix past the start is the whole object
    pe, _ = select('bgzf.csv.gz', sql, 'CSV', {'End': size * 10})
    check('End alone larger than the object: the whole answer', pe == oracle_csv, len(pe))
    # COUNT over ranges adds up too (aggregates per range)
    key = 'frames.csv.zst'
    total = 0
    for a, b in cuts(len(objs[key]), rnd, 5):
        c, _ = select(key, 'SELECT COUNT(*) FROM S3Object', 'CSV', {'Start': a, 'End': b})
        total += int(c.decode().strip())
    check('COUNT(*) over 6 adjacent ranges of %s adds up to %d (got %d)'
          % (key, len(rows) - 1, total), total == len(rows) - 1)
    # a client that leaves after the first event: the range's thread ends, nothing is kept
    import time
    pid = int(os.environ['SERVER_PID'])

    def threads():
        with open('/proc/%d/status' % pid) as f:
            return int([l for l in f if l.startswith('Threads:')][0].split()[1])
    base = threads()
    for k in ('bgzf.csv.gz', 'frames.csv.zst'):
        r = s3.select_object_content(
            Bucket=BUCKET, Key=k, ExpressionType='SQL', Expression='SELECT * FROM S3Object',
            InputSerialization={'CSV': {}}, OutputSerialization={'CSV': {}},
            ScanRange={'Start': 0, 'End': len(objs[k]) - 1})
        next(iter(r['Payload']))
        r['Payload'].close()
    deadline = time.time() + 10
    while time.time() < deadline and threads() > base:
        time.sleep(0.1)
    check('two ScanRange selects left after their first event: the server is back to %d '
          'threads (%d)' % (base, threads()), threads() <= base)


if __name__ == '__main__':
    main()

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
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import zlib

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


INDEX_DIR = os.path.join(ROOT, '.pluck-indexes', BUCKET)


def index_path(key):
    """Where the server keeps a key's checkpoint index or "none" marker (gzidx.c)."""
    return os.path.join(INDEX_DIR, hashlib.sha256(key.encode()).hexdigest() + '.pluckidx')


def index_kind(key):
    """'index', 'none' (one split for good) or None, from the file's stamp line."""
    try:
        with open(index_path(key), 'rb') as f:
            head = f.readline().split()
        return head[2].decode() if head[:2] == [b'pluck-serve-gzidx', b'1'] else 'bad'
    except FileNotFoundError:
        return None


BUILDERS_SEEN = [0]


def builders():
    """The server's index build threads alive now (named pluck-gzidx)."""
    n = 0
    task = '/proc/%s/task' % os.environ['SERVER_PID']
    for t in os.listdir(task):
        try:
            with open(os.path.join(task, t, 'comm')) as f:
                n += f.read().strip() == 'pluck-gzidx'
        except OSError:
            pass
    return n


def wait_kind(key, want, secs):
    """Poll (every 50 ms, at most secs) until the key's file is of kind want; counts the
    build threads meanwhile (the most seen in BUILDERS_SEEN)."""
    t0 = time.time()
    while time.time() - t0 < secs and index_kind(key) != want:
        BUILDERS_SEEN[0] = max(BUILDERS_SEEN[0], builders())
        time.sleep(0.05)
    return index_kind(key) == want, time.time() - t0


def index_files():
    return sorted(os.listdir(INDEX_DIR)) if os.path.isdir(INDEX_DIR) else []


def error_of(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return (e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Code'])


def gzip_csv(rows):
    data = ''.join(','.join('"%s"' % f if ',' in f else f for f in r) + '\n'
                   for r in rows).encode()
    return data, subprocess.run(['gzip', '-c'], input=data, stdout=subprocess.PIPE,
                                check=True).stdout


def gzip_index(rows, sql, oracle_csv, rnd):
    """A single-member gzip object: PutObject queues the build of its checkpoint index
    (pluck-index(5)) in the background; once it is there, ranges split at its checkpoints
    and add up to the whole, with no 503 at all.  Overwritten, the answer is the new
    object's; deleted, no index file remains."""
    key = 'member.csv.gz'
    data, body = gzip_csv(rows)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)  # no ScanRange before the poll
    ok, secs = wait_kind(key, 'index', 30)
    check('gzip index: PutObject of a single gzip member builds its index in the background, '
          'beside the object, out of the buckets (there after %.2f s, no ScanRange asked)'
          % secs, ok, (index_kind(key), index_files()))
    listed = [o['Key'] for o in s3.list_objects_v2(Bucket=BUCKET).get('Contents', [])]
    check('gzip index: not listed as an object', not any('pluckidx' in k for k in listed), listed)
    for trial in range(2):
        k = rnd.choice([3, 7, 12])
        try:  # s3: no retries, so a 503 fails the check
            parts, scanned = fan_out(key, sql, len(body), rnd, k)
            err = None
        except botocore.exceptions.ClientError as e:
            parts, scanned, err = [], 0, e.response['Error']['Code']
        nonempty = sum(1 for p in parts if p)
        check('gzip index: %d adjacent ranges over a single gzip member (trial %d) are served '
              'without a 503 (%s) and add up to the whole byte for byte, %d of them with '
              'records, BytesScanned %d = %d'
              % (k + 1, trial, err, nonempty, scanned, len(body)),
              err is None and b''.join(parts) == oracle_csv and nonempty >= 2 and
              scanned == len(body), (err, len(b''.join(parts)), nonempty, scanned))
    # overwrite: fewer rows; the old index is removed by the PUT itself, the new one is built
    rows2 = rows[:len(rows) // 2]
    data2 = data[:data.index(b'\n%d,' % (len(rows2) - 1)) + 1]
    body2 = subprocess.run(['gzip', '-c'], input=data2, stdout=subprocess.PIPE,
                           check=True).stdout
    with open(index_path(key), 'rb') as f:
        old_stamp = f.readline()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body2)
    parts, _ = fan_out(key, sql, len(body2), rnd, 5, client=s3r)  # 503s retried
    check('gzip index: after an overwrite the ranges add up to the new object\'s answer '
          'exactly', b''.join(parts) == oracle_of(rows2),
          (len(b''.join(parts)), len(oracle_of(rows2))))
    with open(index_path(key), 'rb') as f:
        new_stamp = f.readline()
    check('gzip index: the index in use is stamped for the new object (size %d)' % len(body2),
          new_stamp != old_stamp and new_stamp.split()[4] == b'%d' % len(body2),
          (old_stamp, new_stamp))
    # a race: overwritten while its build may still run, then deleted at once
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body2)
    parts, _ = fan_out(key, sql, len(body2), rnd, 4, client=s3r)
    ok, _ = wait_kind(key, 'index', 30)
    with open(index_path(key), 'rb') as f:
        stamp = f.readline()
    check('gzip index: two PUTs in a row: the ranges give the second object\'s answer and the '
          'index is the second\'s', ok and b''.join(parts) == oracle_of(rows2) and
          stamp.split()[4] == b'%d' % len(body2), (ok, stamp))
    # CopyObject and CompleteMultipartUpload build in the background too
    s3.copy_object(Bucket=BUCKET, Key='copy.csv.gz', CopySource={'Bucket': BUCKET, 'Key': key})
    up = s3.create_multipart_upload(Bucket=BUCKET, Key='mpu.csv.gz')['UploadId']
    etag = s3.upload_part(Bucket=BUCKET, Key='mpu.csv.gz', UploadId=up, PartNumber=1,
                          Body=body)['ETag']
    s3.complete_multipart_upload(Bucket=BUCKET, Key='mpu.csv.gz', UploadId=up,
                                 MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    built = [wait_kind(k, 'index', 30) for k in ('copy.csv.gz', 'mpu.csv.gz')]
    parts, _ = fan_out('mpu.csv.gz', sql, len(body), rnd, 4)  # no retries
    check('gzip index: CopyObject and CompleteMultipartUpload build the index in the '
          'background (%s s), ranges served at once and add up'
          % ', '.join('%.2f' % t for _, t in built),
          all(ok for ok, _ in built) and b''.join(parts) == oracle_csv, built)
    s3.delete_object(Bucket=BUCKET, Key=key)
    s3.delete_objects(Bucket=BUCKET, Delete={'Objects': [{'Key': 'copy.csv.gz'},
                                                         {'Key': 'mpu.csv.gz'}]})
    check('gzip index: DeleteObject and DeleteObjects remove the indexes: no file under '
          '.pluck-indexes/%s' % BUCKET, index_files() == [], index_files())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.delete_object(Bucket=BUCKET, Key=key)  # while its build is queued or running
    time.sleep(0.5)
    check('gzip index: deleted right after its PUT: no index file appears later',
          index_files() == [], index_files())
    # first use: an object put in ROOT by hand has no index until a ScanRange asks
    hand = 'hand/made.csv.gz'
    os.makedirs(os.path.join(ROOT, BUCKET, 'hand'), exist_ok=True)
    with open(os.path.join(ROOT, BUCKET, hand), 'wb') as f:
        f.write(body2)
    code = error_of(lambda: select(hand, sql, 'CSV', {'Start': 0, 'End': len(body2) - 1}))
    ok, _ = wait_kind(hand, 'index', 30)
    parts, _ = fan_out(hand, sql, len(body2), rnd, 6)
    check('gzip index: an object put in ROOT by hand: its first ScanRange is 503 SlowDown '
          '(%s) and builds the index, then ranges add up' % (code,),
          code == (503, 'SlowDown') and ok and b''.join(parts) == oracle_of(rows2),
          (code, ok))
    os.remove(os.path.join(ROOT, BUCKET, hand))  # by hand too: its index stays an orphan


def bomb_body(gib):
    """A gzip member that decompresses to gib GiB of '1,2' records (about 1 KiB per MiB):
    a byte-aligned deflate piece (full flush) repeated; its CRC and ISIZE are not right, so
    it is an error to decode it to the end."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = co.compress(b'1,2\n' * (1 << 18)) + co.flush(zlib.Z_FULL_FLUSH)
    return (b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff' + piece * (1024 * gib) +
            co.flush() + b'\x00' * 8)


def gzip_bombs(rows, sql, rnd):
    """Two gzip bombs (4 GiB each from 4 MiB) uploaded before a normal object: the bombs'
    builds stop at the bound (100 x the compressed size) and mark them one split, and the
    normal object's index is built meanwhile: its fan-out is served."""
    bomb = bomb_body(4)
    BUILDERS_SEEN[0] = 0
    for i in range(2):
        s3.put_object(Bucket=BUCKET, Key='bomb%d.csv.gz' % i, Body=bomb)
        BUILDERS_SEEN[0] = max(BUILDERS_SEEN[0], builders())
    key = 'after-bombs.csv.gz'
    rows3 = rows[:len(rows) // 3]
    _, body = gzip_csv(rows3)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    ok, secs = wait_kind(key, 'index', 60)
    parts, _ = fan_out(key, sql, len(body), rnd, 5)  # no retries: no 503 allowed
    check('gzip bombs: after two 4 GiB bombs a normal object\'s index is built (%.2f s) and '
          'its ranges are served and add up' % secs,
          ok and b''.join(parts) == oracle_of(rows3), (ok, secs))
    marks = [wait_kind('bomb%d.csv.gz' % i, 'none', 60) for i in range(2)]
    with open(index_path('bomb0.csv.gz'), 'rb') as f:
        why = f.read()[:600]
    check('gzip bombs: each is marked one split (%s s) because it decompresses to more than '
          '100 times its size' % ', '.join('%.2f' % s for _, s in marks),
          all(ok for ok, _ in marks) and b'compression bomb' in why, why)
    t0 = time.time()
    while time.time() - t0 < 10 and builders():
        time.sleep(0.05)
    check('gzip bombs: at most 2 build threads at once (%d seen while 3 builds were queued), '
          'none left %.2f s after the last build' % (BUILDERS_SEEN[0], time.time() - t0),
          1 <= BUILDERS_SEEN[0] <= 2 and builders() == 0, (BUILDERS_SEEN[0], builders()))
    p1, _ = select('bomb0.csv.gz', 'SELECT * FROM S3Object s LIMIT 2', 'CSV',
                   {'Start': 1000, 'End': 5000}, header='NONE')
    p0, _ = select('bomb0.csv.gz', 'SELECT * FROM S3Object s LIMIT 2', 'CSV',
                   {'Start': 0, 'End': 999}, header='NONE')
    check('gzip bombs: a bomb is one split: [0, 999] owns its records (LIMIT 2), '
          '[1000, 5000] none', p0 == b'1,2\n1,2\n' and p1 == b'', (p0, p1))
    for i in range(2):
        s3.delete_object(Bucket=BUCKET, Key='bomb%d.csv.gz' % i)
    s3.delete_object(Bucket=BUCKET, Key=key)


def delete_bucket():
    """DeleteBucket with index files left (an object removed by hand keeps its index):
    it succeeds and removes them all."""
    left = index_files()
    for o in s3.list_objects_v2(Bucket=BUCKET).get('Contents', []):
        s3.delete_object(Bucket=BUCKET, Key=o['Key'])
    code = error_of(lambda: s3.delete_bucket(Bucket=BUCKET))
    check('DeleteBucket with %d index file(s) left succeeds (%s) and removes .pluck-indexes/%s'
          % (len(left), code, BUCKET),
          len(left) >= 1 and code is None and not os.path.exists(INDEX_DIR), (left, code))


def stamp_of(key, path, kind='index'):
    st = os.stat(path)
    return (b'pluck-serve-gzidx 1 %s %d %d %d.%09d %d\n' % (
        kind.encode(), st.st_ino, st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9,
        len(key.encode())) + key.encode())


def plant():
    """Before the server starts: what a crash or a change by hand leaves under
    ROOT/.pluck-indexes.  Bucket 'keep' holds obj.csv.gz with a valid index (made by
    `pluck index`, stamped), and stale files: one of a key that is gone, one whose object
    changed since; 'nobucket' has no bucket.  The start keeps only the valid one."""
    rows = [['id', 'v']] + [[str(i), 'v%d' % (i * 7919 % 1000)] for i in range(60000)]
    data, body = gzip_csv(rows)
    os.makedirs(os.path.join(ROOT, 'keep'))
    obj = os.path.join(ROOT, 'keep', 'obj.csv.gz')
    with open(obj, 'wb') as f:
        f.write(body)
    other = os.path.join(ROOT, 'keep', 'other.csv.gz')
    with open(other, 'wb') as f:
        f.write(body)
    tmp = os.path.join(ROOT, 'obj.csv.gz')  # not in a bucket
    with open(tmp, 'wb') as f:
        f.write(body)
    subprocess.run([os.environ['PLUCK'], 'index', '--spacing', '64K', tmp], check=True)
    with open(tmp + '.pluckidx', 'rb') as f:
        ix = f.read()
    os.remove(tmp)
    os.remove(tmp + '.pluckidx')
    d = os.path.join(ROOT, '.pluck-indexes', 'keep')
    os.makedirs(d)
    name = lambda k: os.path.join(d, hashlib.sha256(k.encode()).hexdigest() + '.pluckidx')
    with open(name('obj.csv.gz'), 'wb') as f:
        f.write(stamp_of('obj.csv.gz', obj) + ix)
    with open(name('gone.csv.gz'), 'wb') as f:
        f.write(stamp_of('gone.csv.gz', obj) + ix)
    with open(name('other.csv.gz'), 'wb') as f:
        f.write(stamp_of('other.csv.gz', other) + ix)
    os.utime(other, ns=(10**9, 10**9))  # changed since its index was made
    os.makedirs(os.path.join(ROOT, '.pluck-indexes', 'nobucket'))
    with open(os.path.join(ROOT, '.pluck-indexes', 'nobucket', 'x.pluckidx'), 'wb') as f:
        f.write(b'x')
    with open(os.path.join(ROOT, 'keep.oracle'), 'wb') as f:
        f.write(data)


def planted():
    """After the start: only the valid index is left, and it is used (no 503)."""
    d = os.path.join(ROOT, '.pluck-indexes')
    left = sorted(os.listdir(os.path.join(d, 'keep')))
    want = [hashlib.sha256(b'obj.csv.gz').hexdigest() + '.pluckidx']
    size = os.path.getsize(os.path.join(ROOT, 'keep', 'obj.csv.gz'))
    with open(os.path.join(ROOT, 'keep.oracle'), 'rb') as f:
        data = f.read()
    os.remove(os.path.join(ROOT, 'keep.oracle'))
    parts = []
    try:
        for a, b in cuts(size, random.Random(SEED), 5):
            r = s3.select_object_content(
                Bucket='keep', Key='obj.csv.gz', ExpressionType='SQL',
                Expression='SELECT * FROM S3Object', ScanRange={'Start': a, 'End': b},
                InputSerialization={'CSV': {}}, OutputSerialization={'CSV': {}})
            parts.append(b''.join(ev['Records']['Payload'] for ev in r['Payload']
                                  if 'Records' in ev))
        err = None
    except botocore.exceptions.ClientError as e:
        err = e.response['Error']['Code']
    check('restart: the start removed the index files of a key that is gone, of an object '
          'changed since and of a bucket that is gone, kept the valid one (%d left)'
          % len(left), left == want and not os.path.exists(os.path.join(d, 'nobucket')),
          (left, os.listdir(d)))
    check('restart: the kept index is used at once: 6 ranges without a 503 (%s) add up to the '
          'object, %d of them with records' % (err, sum(1 for p in parts if p)),
          err is None and b''.join(parts) == data and sum(1 for p in parts if p) >= 2,
          (err, len(b''.join(parts)), len(data)))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'plant':
        plant()
        return
    planted()
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
    gzip_bombs(rows, sql, rnd)
    delete_bucket()


if __name__ == '__main__':
    main()

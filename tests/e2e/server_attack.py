"""server_attack.py — the findings of issue 13 as attacks on a running `pluck serve`, driven by
tests/e2e/t_server_attack.sh (which starts the server with small limits, counts the
assertions written to RESULTS and stops the server).  Each test makes the attack, then checks
that it did no harm: the S3 status, the object unchanged, the server's VmHWM under the bound
pluck-serve(1) states, CPU time that stops growing after a disconnect, a signed client served
while the attack goes on.

The helpers (raw sockets, the independent SigV4 signer, the event-stream decoder) are those of
tests/e2e/server_faults.py.  Every wait is bounded; timing assertions have wide margins (a
loaded two-core machine): "within 5 s" where the fixed server needs milliseconds and the old
one minutes.
"""

import bz2
import datetime
import hashlib
import hmac
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_faults as F  # noqa: E402

check, req, send_raw, Resp, Reader, connect = F.check, F.req, F.send_raw, F.Resp, F.Reader, F.connect
BUCKET, BDIR, HOSTPORT, AK, SK, PID = F.BUCKET, F.BDIR, F.HOSTPORT, F.AK, F.SK, F.PID
EMPTY = F.EMPTY
MiB = 1 << 20
# per select connection, at the default 1 MiB MaxRecordSize (pluck-serve(1), LIMITS)
CONN_BOUND = 16 * MiB
if F.SANITIZE:
    CONN_BOUND *= 2  # redzones and the (4 MiB) quarantine


def sha(b):
    return hashlib.sha256(b).hexdigest()


def content(key):
    try:
        with open(os.path.join(BDIR, key), 'rb') as f:
            return f.read()
    except OSError as e:
        return repr(e)


def s3(r):
    return (r.status, r.code()) if isinstance(r, Resp) else r


def cpu_seconds():
    with open('/proc/%d/stat' % PID) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def sign_with(method, target, send, signed_names, payload_hash):
    """Authorization over only `signed_names` of the headers `send` (lower-case names)."""
    path, _, query = target.partition('?')
    h = {k.lower(): v for k, v in send.items()}
    canon = ''.join('%s:%s\n' % (k, ' '.join(str(h[k]).split())) for k in signed_names)
    pairs = sorted((F.enc(urllib.parse.unquote(k)), F.enc(urllib.parse.unquote(v)))
                   for k, _, v in (p.partition('=') for p in query.split('&') if query))
    cq = '&'.join('%s=%s' % kv for kv in pairs)
    cr = '\n'.join([method, urllib.parse.quote(urllib.parse.unquote(path), safe='/-_.~'), cq,
                    canon, ';'.join(signed_names), payload_hash])
    amzdate = h['x-amz-date']
    scope = amzdate[:8] + '/us-east-1/s3/aws4_request'
    sts = 'AWS4-HMAC-SHA256\n%s\n%s\n%s' % (amzdate, scope, sha(cr.encode()))
    sig = hmac.new(F.signing_key(amzdate[:8], SK), sts.encode(), hashlib.sha256).hexdigest()
    return 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        AK, scope, ';'.join(signed_names), sig)


def presign(method, path, expires=300):
    """A presigned URL (query form, SignedHeaders=host), as `aws s3 presign` makes."""
    amzdate = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    scope = amzdate[:8] + '/us-east-1/s3/aws4_request'
    q = {'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': '%s/%s' % (AK, scope),
         'X-Amz-Date': amzdate, 'X-Amz-Expires': str(expires), 'X-Amz-SignedHeaders': 'host'}
    cq = '&'.join('%s=%s' % (F.enc(k), F.enc(v)) for k, v in sorted(q.items()))
    cr = '\n'.join([method, urllib.parse.quote(path, safe='/-_.~'), cq, 'host:%s\n' % HOSTPORT,
                    'host', 'UNSIGNED-PAYLOAD'])
    sts = 'AWS4-HMAC-SHA256\n%s\n%s\n%s' % (amzdate, scope, sha(cr.encode()))
    sig = hmac.new(F.signing_key(amzdate[:8], SK), sts.encode(), hashlib.sha256).hexdigest()
    return '%s?%s&X-Amz-Signature=%s' % (urllib.parse.quote(path, safe='/-_.~'), cq, sig)


def raw_put(target, body, headers):
    head = 'PUT %s HTTP/1.1\r\nHost: %s\r\n' % (target, HOSTPORT)
    head += ''.join('%s: %s\r\n' % kv for kv in headers)
    head += 'Content-Length: %d\r\n\r\n' % len(body)
    return send_raw(head.encode() + body, 'PUT')


# ---- finding 1: an unsigned header never chooses the operation -----------------------------

def test_f1_unsigned_headers():
    B = '/%s/' % BUCKET
    req('PUT', B + 'creds.txt', b'SECRET-CREDENTIALS')
    req('PUT', B + 'upload.txt', b'original')
    url = presign('PUT', B + 'upload.txt')
    r = raw_put(url, b'new', [('x-amz-copy-source', '/%s/creds.txt' % BUCKET)])
    check('F1 presigned PUT + unsigned x-amz-copy-source: 403 AccessDenied, object unchanged',
          s3(r) == (403, 'AccessDenied') and content('upload.txt') == b'original',
          (s3(r), content('upload.txt')))
    # a replayed header-signed PUT with an unsigned copy source added
    h, _ = F.sign('PUT', B + 'upload.txt', None, sha(b'new'))
    h['x-amz-copy-source'] = '/%s/creds.txt' % BUCKET
    r = req('PUT', B + 'upload.txt', b'new', headers=h, signed=False)
    check('F1 signed PUT replayed + unsigned x-amz-copy-source: 403, object unchanged',
          s3(r) == (403, 'AccessDenied') and content('upload.txt') == b'original',
          (s3(r), content('upload.txt')))
    # SignedHeaders=host alone, with x-amz-date and x-amz-content-sha256 sent
    amzdate = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    send = {'host': HOSTPORT, 'x-amz-date': amzdate, 'x-amz-content-sha256': sha(b'new')}
    send['authorization'] = sign_with('PUT', B + 'upload.txt', send, ['host'], sha(b'new'))
    r = req('PUT', B + 'upload.txt', b'new', headers=send, signed=False)
    check('F1 SignedHeaders=host alone with x-amz-* headers sent: 403, object unchanged',
          s3(r) == (403, 'AccessDenied') and content('upload.txt') == b'original',
          (s3(r), content('upload.txt')))
    # an unsigned Content-MD5 / x-amz-meta on a header-signed request
    for extra in (('content-md5', '1B2M2Y8AsgTpgAmY7PhCfg=='), ('x-amz-meta-a', 'b'),
                  ('x-amz-metadata-directive', 'REPLACE')):
        h, _ = F.sign('PUT', B + 'upload.txt', None, sha(b'new'))
        h[extra[0]] = extra[1]
        r = req('PUT', B + 'upload.txt', b'new', headers=h, signed=False)
        check('F1 header-signed PUT + unsigned %s: 403, object unchanged' % extra[0],
              s3(r) == (403, 'AccessDenied') and content('upload.txt') == b'original',
              (s3(r), content('upload.txt')))
    # duplicate Authorization headers, duplicate X-Amz-Signature
    h, _ = F.sign('GET', B + 'creds.txt')
    head = 'GET %s HTTP/1.1\r\n' % (B + 'creds.txt') + ''.join(
        '%s: %s\r\n' % kv for kv in h.items()) + 'Authorization: %s\r\n\r\n' % h['authorization']
    r = send_raw(head.encode())
    check('Low: two Authorization headers: 400 InvalidArgument', s3(r) == (400, 'InvalidArgument'),
          s3(r))
    url = presign('GET', B + 'creds.txt')
    r = send_raw(('GET %s&X-Amz-Signature=%s HTTP/1.1\r\nHost: %s\r\n\r\n'
                  % (url, '0' * 64, HOSTPORT)).encode())
    check('Low: two X-Amz-Signature parameters: 400 AuthorizationQueryParametersError',
          s3(r) == (400, 'AuthorizationQueryParametersError'), s3(r))
    # what must still work: a presigned PUT, a signed copy (every x-amz-* header signed)
    r = raw_put(presign('PUT', B + 'upload.txt'), b'via-presigned', [])
    check('F1 presigned PUT without extra headers: 200, body stored',
          s3(r) == (200, None) and content('upload.txt') == b'via-presigned',
          (s3(r), content('upload.txt')))
    r = req('PUT', B + 'copy.txt', b'', headers={'x-amz-copy-source': '/%s/upload.txt' % BUCKET})
    check('F1 signed copy (x-amz-copy-source signed): 200, copied',
          isinstance(r, Resp) and r.status == 200 and content('copy.txt') == b'via-presigned',
          (s3(r), content('copy.txt')))


# ---- finding 2: ScanRange reads nothing past the maximum record size -------------------------

def select_range_xml(sql, start):
    return ('<SelectObjectContentRequest><Expression>%s</Expression>'
            '<ExpressionType>SQL</ExpressionType><InputSerialization><CSV>'
            '<FileHeaderInfo>USE</FileHeaderInfo></CSV></InputSerialization>'
            '<OutputSerialization><CSV/></OutputSerialization>'
            '<ScanRange><Start>%d</Start></ScanRange></SelectObjectContentRequest>'
            % (sql, start)).encode()


def test_f2_scanrange_header():
    path = os.path.join(BDIR, 'longhdr.csv')
    hdr = 96 * MiB  # a sparse run of NUL bytes: no disk, but a 96 MiB first record
    with open(path, 'wb') as f:
        f.truncate(hdr)
        f.seek(hdr)
        f.write(b',c2\n1,2\n')
    size = os.path.getsize(path)
    base = F.proc_status('VmHWM') * 1024
    out = [None] * 4

    def one(i):
        out[i] = req('POST', '/%s/longhdr.csv?select&select-type=2' % BUCKET,
                     select_range_xml('SELECT c2 FROM S3Object', size - 4))
    ths = [threading.Thread(target=one, args=(i,)) for i in range(len(out))]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    grow = F.proc_status('VmHWM') * 1024 - base
    check('F2 ScanRange after a 96 MiB header record: 400 OverMaxRecordSize (x4)',
          all(s3(r) == (400, 'OverMaxRecordSize') for r in out), [s3(r) for r in out])
    check('F2 ScanRange after a 96 MiB header record: VmHWM grew %.1f MiB (< 16 MiB)'
          % (grow / MiB), grow < 16 * MiB, grow)
    os.unlink(path)


# ---- event streams read as they arrive -----------------------------------------------------

class Stream:
    """A select whose answer is read frame by frame as it arrives."""

    def __init__(self, key, sql, rcvbuf=None, fmt='CSV'):
        body = F.select_xml(sql).replace(b'<OutputSerialization><CSV/>',
                                         b'<OutputSerialization><%s/>' % fmt.encode())
        head, body = F.request_bytes('POST', '/%s/%s?select&select-type=2' % (BUCKET, key), body)
        self.s = connect(30, rcvbuf)
        self.s.sendall(head + body)
        self.rd = Reader(self.s)
        self.buf = bytearray()
        self.events = []
        self.eof = False

    def head(self, timeout):
        self.s.settimeout(timeout)
        try:
            return self.rd.head()[0]
        except (socket.timeout, EOFError, ConnectionResetError) as e:
            return type(e).__name__

    def pump(self, until, timeout=10):
        """Read chunks until until(self) or timeout; False on timeout."""
        deadline = time.time() + timeout
        self.s.settimeout(0.5)
        while time.time() < deadline:
            if until(self):
                return True
            try:
                size = int(self.rd.line().split(b';')[0], 16)
                if size == 0:
                    self.eof = True
                    return until(self)
                self.buf += self.rd.exact(size)
                self.rd.exact(2)
            except socket.timeout:
                continue
            except (EOFError, ConnectionResetError, ValueError):
                self.eof = True
                return until(self)
            while len(self.buf) >= 12:
                total, hlen = struct.unpack('>II', self.buf[:8])
                if len(self.buf) < total:
                    break
                fr = bytes(self.buf[:total])
                del self.buf[:total]
                h, hp = {}, 12
                while hp < 12 + hlen:
                    nl = fr[hp]
                    name = fr[hp + 1:hp + 1 + nl].decode()
                    hp += 1 + nl
                    (vl,) = struct.unpack('>H', fr[hp + 1:hp + 3])
                    h[name] = fr[hp + 3:hp + 3 + vl].decode()
                    hp += 3 + vl
                self.events.append(h.get(':event-type') or 'error:' + h.get(':error-code', '?'))
        return until(self)

    def close(self):
        self.s.close()


def make_bombs():
    line = b'a' * 250 + b'\n'
    one = bz2.compress(line * 140000)  # 35 MB in about 50 bytes
    with open(os.path.join(BDIR, 'bomb.csv.bz2'), 'wb') as f:
        f.write(one * 300)  # 10.5 GB from about 16 KB
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = c.compress(line * 267000) + c.flush()  # 67 MB in 260 KB
    with open(os.path.join(BDIR, 'bomb.csv.gz'), 'wb') as f:
        f.write(member * 16)  # 1 GiB


# ---- finding 3: a bomb stalls nothing, and a disconnect stops the scan -----------------------

def test_f3_bomb_disconnect():
    base_threads, base_fds = F.proc_status('Threads'), F.nfds()
    t0 = time.time()
    st = Stream('bomb.csv.bz2', 'SELECT COUNT(*) FROM S3Object')
    status = st.head(20)
    took = time.time() - t0
    check('F3 bzip2 bomb: the status line within 5 s (%.2f s): 200' % took,
          status == 200 and took < 5, (status, took))
    ok = status == 200 and st.pump(lambda s: s.events.count('Cont') >= 2, 10)
    check('F3 bzip2 bomb: keep-alive Cont events while nothing else is sent', ok, st.events[:5])
    st.close()
    time.sleep(1.5)  # the next keep-alive finds the connection gone
    c1 = cpu_seconds()
    time.sleep(3)
    c2 = cpu_seconds()
    check('F3 bzip2 bomb: CPU time stops growing after the client left (%.2f s in 3 s)'
          % (c2 - c1), c2 - c1 < 0.3, c2 - c1)
    F.settle(base_threads, base_fds, 'F3 after the abandoned bomb')


# ---- finding 4: memory per connection is bounded -------------------------------------------

def test_f4_memory_bound():
    base = F.proc_status('VmHWM') * 1024
    base_threads, base_fds = F.proc_status('Threads'), F.nfds()
    slow = []
    for _ in range(8):  # slow readers: a few KB read, then nothing
        st = Stream('bomb.csv.gz', 'SELECT * FROM S3Object', rcvbuf=4096)
        slow.append(st)
    for st in slow:
        st.head(20)
        st.pump(lambda s: len(s.events) >= 1, 5)
    fast = Stream('bomb.csv.bz2', 'SELECT * FROM S3Object')
    fast.head(20)
    n = [0]

    def count(s):
        n[0] = len(s.events)
        return s.eof or any(e.startswith('error') for e in s.events) or len(s.events) > 3000
    fast.pump(count, 3)
    time.sleep(1)
    grow = F.proc_status('VmHWM') * 1024 - base
    errs = [e for e in fast.events if e.startswith('error')]
    check('F4 a bzip2 bomb SELECT * streams Records, no error (%d events)' % len(fast.events),
          not errs and fast.events.count('Records') > 10, (errs, fast.events[:5]))
    check('F4 8 stalled readers + 1 fast reader of bombs: VmHWM grew %.1f MiB (< 9 x %d MiB)'
          % (grow / MiB, CONN_BOUND // MiB), grow < 9 * CONN_BOUND, grow)
    for st in slow + [fast]:
        st.close()
    F.settle(base_threads, base_fds, 'F4 after the readers left')


# ---- the decompressor's window is part of the bound ------------------------------------------

WINDOW = 8 * MiB  # t_server_attack.sh: --max-window 8M


def codec_tool(cmd, data):
    """Compress data with a codec's command-line tool (the oracle for the stream format)."""
    import subprocess
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def xz_declare_dict(xz, code):
    """The same xz stream with its block header declaring another LZMA2 dictionary size
    (property byte `code`: (2 | code & 1) << (code / 2 + 11) bytes), CRC32 recomputed.  A
    decoder may be given a larger dictionary than the encoder used, so the data still decodes
    (xz -t agrees); it is how a 1 GiB-dictionary object is made without a 1 GiB encoder."""
    b = bytearray(xz)
    hs = (b[12] + 1) * 4
    flags, pos = b[13], 14

    def varint(pos):
        v, sh = 0, 0
        while True:
            v |= (b[pos] & 0x7f) << sh
            sh += 7
            pos += 1
            if not b[pos - 1] & 0x80:
                return v, pos
    for bit in (0x40, 0x80):  # compressed, uncompressed size present
        if flags & bit:
            _, pos = varint(pos)
    fid, pos = varint(pos)
    psize, pos = varint(pos)
    assert fid == 0x21 and psize == 1 and flags & 3 == 0, (fid, psize, flags)
    b[pos] = code
    b[12 + hs - 4:12 + hs] = struct.pack('<I', zlib.crc32(bytes(b[12:12 + hs - 4])))
    return bytes(b)


def test_window_bound():
    """A zstd frame may ask for a window of up to 2 GiB (--long=31) and an xz stream for a
    dictionary of up to 4 GiB; libzstd's default limit is 128 MiB and the xz reader's was
    1 GiB, all of it per connection.  With --max-window 8M: larger is refused before the
    decoder allocates it (400 InvalidCompressionFormat), up to it decodes exactly, and VmHWM
    stays under CONN_BOUND + the window per connection."""
    import subprocess
    tool_ok = all(subprocess.run(['sh', '-c', 'command -v %s' % t], stdout=subprocess.DEVNULL)
                  .returncode == 0 for t in ('zstd', 'xz'))
    check('window: the zstd and xz command-line tools are installed', tool_ok)
    if not tool_ok:
        return
    small = b'k,v\n' + b''.join(b'%d,%d\n' % (i, i * 7) for i in range(1000))
    fill = b'0\n' * (36 * MiB)  # 72 MiB: fills a 64 MiB window
    objs = {
        # the styles of the issue: small data, a frame/stream header asking for the most
        'long31.csv.zst': codec_tool(['zstd', '-q', '--long=31', '-c'], small),
        'dict1g.csv.xz': xz_declare_dict(codec_tool(['xz', '-q', '-T1', '-c',
                                                     '--lzma2=preset=0,dict=1MiB'], small), 36),
        # window-filling: 72 MiB through a 64 MiB window / dictionary (what the old limits let
        # one connection hold), and the same at the bound (8 MiB), which must decode
        'w64.csv.zst': codec_tool(['zstd', '-q', '-1', '--zstd=wlog=26', '-c'], fill),
        'd64.csv.xz': xz_declare_dict(codec_tool(['xz', '-q', '-T1', '-c',
                                                  '--lzma2=preset=0,dict=1MiB'], fill), 28),
        'w8.csv.zst': codec_tool(['zstd', '-q', '-1', '--zstd=wlog=23', '-c'], fill[:24 * MiB]),
        'd8.csv.xz': codec_tool(['xz', '-q', '-T1', '-c', '--lzma2=preset=0,dict=8MiB'],
                                fill[:24 * MiB]),
    }
    for k, v in objs.items():
        with open(os.path.join(BDIR, k), 'wb') as f:
            f.write(v)
    # the codec tools agree that the patched streams are valid and what they need
    t = subprocess.run(['xz', '-lvv', '--robot', os.path.join(BDIR, 'dict1g.csv.xz')],
                       stdout=subprocess.PIPE, universal_newlines=True).stdout
    need = [int(l.split('\t')[1]) for l in t.splitlines() if l.startswith('summary')]
    check('window: xz -lvv says the patched object has a 1 GiB dictionary and needs 1 GiB + '
          'a little to decode', need and 1 << 30 < need[0] < (1 << 30) + MiB and
          '--lzma2=dict=1GiB' in t, t[-300:])
    # the earlier tests' peak would hide this one's: reset VmHWM to the current RSS
    # (proc(5), clear_refs "5"; as root or the server's owner)
    with open('/proc/%d/clear_refs' % PID, 'w') as f:
        f.write('5')
    base = F.proc_status('VmHWM') * 1024
    for key, what in (('long31.csv.zst', 'a 2 GiB zstd window (--long=31)'),
                      ('dict1g.csv.xz', 'a 1 GiB xz dictionary'),
                      ('w64.csv.zst', 'a 64 MiB zstd window'),
                      ('d64.csv.xz', 'a 64 MiB xz dictionary')):
        r = F.select(key, 'SELECT COUNT(*) FROM S3Object')
        check('window: %s over --max-window 8M: 400 InvalidCompressionFormat' % what,
              s3(r) == (400, 'InvalidCompressionFormat'), s3(r) if not isinstance(r, Resp)
              else (r.status, r.body[:300]))
    for key, n in (('w8.csv.zst', 12 * MiB), ('d8.csv.xz', 12 * MiB)):
        r = F.select(key, 'SELECT COUNT(*) FROM S3Object')
        got = F.summary(r.body) if isinstance(r, Resp) and r.status == 200 else s3(r)
        check('window: %s (8 MiB window, 24 MiB of CSV) decodes exactly' % key,
              got == (b'%d\n' % n, ['Records', 'Stats', 'End'], None), got)
    grow = F.proc_status('VmHWM') * 1024 - base
    bound = CONN_BOUND + WINDOW + MiB
    print('  window: VmHWM +%.1f MiB' % (grow / MiB))
    check('window: VmHWM grew %.1f MiB over the six selects (< %d MiB: one connection, '
          'CONN_BOUND + --max-window + 1 MiB)' % (grow / MiB, bound // MiB), grow < bound, grow)
    for k in objs:
        os.unlink(os.path.join(BDIR, k))


# ---- S3's codes for long keys and for a racing DeleteBucket (Low) ----------------------------

def test_key_too_long():
    """Keys over 1024 bytes, or with a path component over 255 (NAME_MAX), are S3's 400
    KeyTooLongError for every operation; 1024 bytes in components of 255 are stored."""
    B = '/%s/' % BUCKET
    q = urllib.parse.quote
    long_key = 'k' * 1025
    long_comp = 'c' * 256
    ok_key = '/'.join(['a' * 255] * 3 + ['a' * 253, 'bb'])  # 1024 bytes
    assert len(ok_key) == 1024
    r = req('PUT', B + q(ok_key), b'fits')
    check('keys: a 1024-byte key with 255-byte components is stored (200)',
          s3(r)[0] == 200 and content(ok_key) == b'fits', s3(r))
    cases = []
    for key, what in ((long_key, '1025-byte key'), ('d/' + long_comp, '256-byte component'),
                      ('x' * 700 + '/' + 'y' * 330, '1031 bytes in two components')):
        k = q(key)
        cases.append(('PUT ' + what, req('PUT', B + k, b'x')))
        cases.append(('GET ' + what, req('GET', B + k)))
        cases.append(('HEAD ' + what, req('HEAD', B + k)))
        cases.append(('DELETE ' + what, req('DELETE', B + k)))
        cases.append(('Copy to ' + what, req('PUT', B + k, b'', {
            'x-amz-copy-source': '/%s/small.csv' % BUCKET})))
        cases.append(('Copy from ' + what, req('PUT', B + 'copy-dest.txt', b'', {
            'x-amz-copy-source': '/%s/%s' % (BUCKET, k)})))
        cases.append(('CreateMultipartUpload ' + what, req('POST', B + k + '?uploads')))
        cases.append(('select ' + what, F.select(key, 'SELECT * FROM S3Object')))
    bad = [(n, s3(r)) for n, r in cases
           if s3(r) != (400, 'KeyTooLongError') and not (n.startswith('HEAD') and s3(r)[0] == 400)]
    check('keys: PUT, GET, HEAD, DELETE, Copy (to and from), CreateMultipartUpload and select '
          'of %d over-long keys: 400 KeyTooLongError' % (len(cases) // 8), not bad, bad)
    check('keys: nothing was stored for them',
          not os.path.exists(os.path.join(BDIR, 'copy-dest.txt')) and
          not os.path.exists(os.path.join(BDIR, 'd')) and
          not os.path.exists(os.path.join(BDIR, long_key[:255])))


def test_delete_bucket_race():
    """A PUT (flat and nested keys) racing a DeleteBucket, and a GET during it: either the
    PUT wins (200, the object is there, DeleteBucket 409 BucketNotEmpty) or the delete does
    (204, PUT 404 NoSuchBucket, the bucket gone); never a 500, a NoSuchKey for a PUT, or a
    200 whose object is lost.  Bounded: 60 rounds."""
    import random
    rnd = random.Random(13)
    seen, bad = {}, []
    for i in range(60):
        b = 'race-%d' % (i % 3)
        r = req('PUT', '/' + b)
        if s3(r)[0] != 200:
            bad.append(('create', i, s3(r)))
            continue
        key = rnd.choice(['k%d' % i, 'd%d/e/k' % i])
        res = {}

        def put():
            res['put'] = req('PUT', '/%s/%s' % (b, key), b'v%d' % i)

        def get():
            res['get'] = req('GET', '/%s/%s' % (b, 'missing'))
        ts = [threading.Thread(target=put), threading.Thread(target=get)]
        for t in ts:
            t.start()
        if rnd.random() < 0.5:
            time.sleep(rnd.random() * 0.004)
        rd = req('DELETE', '/' + b)
        for t in ts:
            t.join(30)
        p, d, g = s3(res.get('put')), s3(rd), s3(res.get('get'))
        seen[(p, d)] = seen.get((p, d), 0) + 1
        exists = os.path.isdir(os.path.join(F.ROOT, b))
        if p[0] == 200:
            good = d == (409, 'BucketNotEmpty') and exists and content(
                os.path.join('..', b, key)) == b'v%d' % i
        else:
            good = p == (404, 'NoSuchBucket') and d[0] == 204 and not exists
        if g not in ((404, 'NoSuchKey'), (404, 'NoSuchBucket')):
            good = False
        if not good:
            bad.append((i, key, p, d, g, exists))
        if exists:  # clean up for the next round
            req('DELETE', '/%s/%s' % (b, key))
            req('DELETE', '/' + b)
    print('  race outcomes (PUT, DeleteBucket): %s' % sorted(seen.items()))
    check('DeleteBucket race: 60 rounds of PUT + GET racing DeleteBucket end as S3 would '
          '(PUT 200 + 409 BucketNotEmpty, or 204 + PUT 404 NoSuchBucket)', not bad, bad[:6])


# ---- finding 5: nobody takes every connection slot ------------------------------------------

MAX_CONNS = 48   # t_server_attack.sh: --max-connections 48 --max-connections-per-ip 24
PER_IP = 24      # --header-timeout 3


def open_from(ip, first=b'G'):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.bind((ip, 0))
        s.connect((F.HOST, F.PORT))
        s.sendall(first)
        return s
    except OSError:
        s.close()
        return None


def is_closed(s):
    """The server closed (or reset) this connection."""
    s.settimeout(0.05)
    try:
        return s.recv(4096) == b''
    except socket.timeout:
        return False
    except OSError:
        return True


def test_f5_slowloris():
    base_threads, base_fds = F.proc_status('Threads'), F.nfds()
    # 200 idle connections from one address: at most PER_IP are kept
    idle = [s for s in (open_from('127.0.0.6', b'') for _ in range(200)) if s]
    time.sleep(1)
    held = [s for s in idle if not is_closed(s)]
    check('F5 200 idle connections from one address: at most %d held (%d)' % (PER_IP, len(held)),
          len(held) <= PER_IP, len(held))
    for s in idle:
        s.close()
    # slowloris from four addresses (4 x 40 > MAX_CONNS): one header byte every second
    lor = [s for ip in ('127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5')
           for s in (open_from(ip) for _ in range(40)) if s]
    stop = [False]

    def dribble():
        n = 0
        while not stop[0] and n < 20:
            time.sleep(1)
            n += 1
            for s in lor:
                try:
                    s.send(b'E' if n == 1 else b'a')
                except OSError:
                    pass
    th = threading.Thread(target=dribble)
    th.start()
    time.sleep(1.5)
    # the reserve, not the header deadline (3 s), must let it in: the first attempt, while
    # the slowloris connections that were not needed for the reserve are still open
    t0 = time.time()
    r = F.select('small.csv', 'SELECT UPPER(_1) FROM S3Object')
    first = time.time() - t0
    still = sum(not is_closed(s) for s in lor)
    check('F5 reserve: a signed select is served at its first attempt during the slowloris '
          '(%.2f s, %d of %d slowloris connections still open)' % (first, still, len(lor)),
          isinstance(r, Resp) and r.status == 200 and first < 2 and still >= MAX_CONNS // 2,
          (s3(r), first, still))
    t0 = time.time()
    got = None
    while time.time() - t0 < 8 and got is None:
        r = F.select('small.csv', 'SELECT UPPER(_1) FROM S3Object')
        if isinstance(r, Resp) and r.status == 200:
            got = time.time() - t0
        else:
            time.sleep(0.3)
    check('F5 during a slowloris of %d connections a signed select is served within 8 s (%s s)'
          % (len(lor), got if got is None else '%.2f' % got), got is not None)
    # the header deadline: every slowloris connection is closed within 3 s + margin
    deadline = time.time() + 8
    while time.time() < deadline and not all(is_closed(s) for s in lor):
        time.sleep(0.2)
    closed = sum(is_closed(s) for s in lor)
    check('F5 the slowloris connections are closed by the header deadline (%d of %d)'
          % (closed, len(lor)), closed == len(lor), closed)
    stop[0] = True
    th.join(30)
    for s in lor:
        s.close()
    F.settle(base_threads, base_fds, 'F5 after the slowloris')
    # unsigned requests sent whole, again and again on kept-alive connections (each resets
    # the header wait the reserve goes by): the 403 closes the connection, so they hold
    # nothing and a signed client is served at once
    fast = [s for ip in ('127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5')
            for s in (open_from(ip, b'') for _ in range(PER_IP)) if s]
    unsigned = ('GET /%s/small.csv HTTP/1.1\r\nHost: %s\r\n\r\n' % (BUCKET, HOSTPORT)).encode()
    for _ in range(3):
        for s in fast:
            try:
                s.send(unsigned)
            except OSError:
                pass
        time.sleep(0.3)
    t0 = time.time()
    r = F.select('small.csv', 'SELECT UPPER(_1) FROM S3Object')
    took = time.time() - t0
    def gone(s):  # the 403s first, then the end of the stream
        while True:
            s.settimeout(0.05)
            try:
                if s.recv(65536) == b'':
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True
    deadline = time.time() + 3
    left = list(fast)
    while time.time() < deadline and left:
        left = [s for s in left if not gone(s)]
        time.sleep(0.1)
    closed = len(fast) - len(left)
    check('F5 %d connections repeating unsigned requests: each closed after its 403 (%d), a '
          'signed select served at once (%.2f s)' % (len(fast), closed, took),
          closed == len(fast) and isinstance(r, Resp) and r.status == 200 and took < 2,
          (closed, s3(r), took))
    for s in fast:
        s.close()
    F.settle(base_threads, base_fds, 'F5 after the unsigned keep-alive requests')


# ---- finding 6: descriptors ----------------------------------------------------------------

def set_nofile(n):
    import resource
    soft, hard = resource.prlimit(PID, resource.RLIMIT_NOFILE)
    resource.prlimit(PID, resource.RLIMIT_NOFILE, (n, hard))  # the soft limit only


def test_f6_descriptors():
    import resource
    saved = resource.prlimit(PID, resource.RLIMIT_NOFILE)
    try:
        key = 'mpu.bin'
        r = req('POST', '/%s/%s?uploads' % (BUCKET, key))
        uid = re.search(rb'<UploadId>([^<]+)</UploadId>', r.body).group(1).decode()
        parts, want = [], b''
        for i in range(1, 201):
            body = b'part %05d\n' % i
            r = req('PUT', '/%s/%s?partNumber=%d&uploadId=%s' % (BUCKET, key, i, uid), body)
            parts.append((i, r.headers.get('etag')))
            want += body
        xml = ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(
            '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' % p for p in parts)).encode()
        set_nofile(F.nfds() + 40)  # far fewer descriptors than parts
        r = req('POST', '/%s/%s?uploadId=%s' % (BUCKET, key, uid), xml)
        check('F6 CompleteMultipartUpload of 200 parts with 40 spare descriptors: 200, '
              'the parts in order', isinstance(r, Resp) and r.status == 200 and
              content(key) == want, (s3(r), len(content(key))))
        # no descriptor left for the object: 503 SlowDown + Retry-After, never a 404
        # RLIMIT_NOFILE bounds descriptor numbers: leave exactly one free number below it,
        # which the accepted connection takes
        used = set(int(x) for x in os.listdir('/proc/%d/fd' % PID))
        holes = [i for i in range(max(used) + 3) if i not in used]
        set_nofile(holes[1])
        got = []
        for target in ('/%s/small.csv' % BUCKET, '/%s?list-type=2' % BUCKET):
            r = req('GET', target)
            got.append((s3(r), r.headers.get('retry-after') if isinstance(r, Resp) else None))
        r = F.select('small.csv', 'SELECT * FROM S3Object')
        got.append((s3(r), r.headers.get('retry-after') if isinstance(r, Resp) else None))
        check('F6 out of descriptors: GET, ListObjectsV2, select answer 503 SlowDown with '
              'Retry-After (never 404)',
              all(g == ((503, 'SlowDown'), '1') for g in got), got)
    finally:
        resource.prlimit(PID, resource.RLIMIT_NOFILE, saved)
    F.small_ok('F6 after the descriptors came back')
    # a listing holds a bounded number of descriptors however deep the keys go
    deep = 'deep/' + 'd/' * 300 + 'k.txt'
    others = ['deep/' + 'd/' * 20 + 'a.txt', 'deep/' + 'd/' * 299 + 'e/b.txt']
    rs = [req('PUT', '/%s/%s' % (BUCKET, k), k.encode()[-40:]) for k in [deep] + others]
    try:
        set_nofile(F.nfds() + 24)  # far fewer than the 301 levels
        r = req('GET', '/%s?list-type=2&prefix=deep/' % BUCKET)
        keys = re.findall(rb'<Key>([^<]+)</Key>', r.body) if isinstance(r, Resp) else []
        g = req('GET', '/%s/%s' % (BUCKET, deep))
    finally:
        resource.prlimit(PID, resource.RLIMIT_NOFILE, saved)
    check('F6 ListObjectsV2 over keys 302 directories deep with 24 spare descriptors: 200 '
          'and every key in order; the deepest GET 200',
          all(s3(x)[0] == 200 for x in rs) and s3(r)[0] == 200 and
          keys == sorted(k.encode() for k in [deep] + others) and s3(g)[0] == 200 and
          g.body == deep.encode()[-40:], (s3(r), [k[-12:] for k in keys], s3(g)))
    for k in [deep] + others:
        req('DELETE', '/%s/%s' % (BUCKET, k))


# ---- finding 7: a 200 is durable -------------------------------------------------------------

def test_f7_fsync():
    """strace shows, per write request, the file and its directory synced before the 200."""
    import subprocess
    log = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'pluck-attack-strace.%d' % os.getpid())
    try:
        st = subprocess.Popen(['strace', '-f', '-qq', '-e', 'trace=fsync,fdatasync,sendto,sendmsg,writev',
                               '-p', str(PID), '-o', log], stderr=subprocess.PIPE)
    except OSError as e:
        check('F7 strace is installed (scripts/deps.sh)', False, e)
        return
    time.sleep(1.5)  # attached to every thread
    B = '/%s/' % BUCKET
    r1 = req('PUT', B + 'durable/new/dir/obj.txt', b'durable')
    r = req('POST', B + 'durable/mpu.txt?uploads')
    uid = re.search(rb'<UploadId>([^<]+)</UploadId>', r.body).group(1).decode()
    r2 = req('PUT', B + 'durable/mpu.txt?partNumber=1&uploadId=' + uid, b'p1')
    xml = ('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>'
           '</CompleteMultipartUpload>' % r2.headers.get('etag')).encode()
    r3 = req('POST', B + 'durable/mpu.txt?uploadId=' + uid, xml)
    time.sleep(0.5)
    st.terminate()
    st.wait(10)
    try:
        with open(log) as f:
            lines = f.read().splitlines()
        os.unlink(log)
    except OSError:
        lines = []
    # fsync calls between one answer and the next 200 (per thread, in order)
    runs, n = [], 0
    for ln in lines:
        if re.search(r'fsync\(\d+\)\s+= 0', ln):
            n += 1
        elif 'HTTP/1.1 200' in ln:
            runs.append(n)
            n = 0
    ok = all(isinstance(x, Resp) and x.status == 200 for x in (r1, r, r2, r3))
    # PutObject: 3 new directories + file + directory; Create: meta + directory; the part:
    # file + directory; Complete: file + directory
    check('F7 PutObject, CreateMultipartUpload, UploadPart, Complete each fsync before their '
          '200 (fsyncs per answer: %s)' % runs,
          ok and len(runs) >= 4 and runs[0] >= 5 and all(x >= 2 for x in runs[1:4]), (ok, runs))
    with open(os.path.join(BDIR, 'durable/mpu.txt'), 'rb') as f:
        check('F7 the completed upload holds its part', f.read() == b'p1')


# ---- the Low items -----------------------------------------------------------------------------

def range_xml(sql, ranges):
    return ('<SelectObjectContentRequest><Expression>%s</Expression>'
            '<ExpressionType>SQL</ExpressionType><InputSerialization><CSV/></InputSerialization>'
            '<OutputSerialization><CSV/></OutputSerialization>%s</SelectObjectContentRequest>'
            % (sql, ''.join('<ScanRange>%s</ScanRange>' % x for x in ranges))).encode()


def crc32_b64(b):
    import base64
    return base64.b64encode(struct.pack('>I', zlib.crc32(b))).decode()


def test_low_items():
    B = '/%s/' % BUCKET
    t = B + 'small.csv?select&select-type=2'
    r = req('POST', t, range_xml('SELECT * FROM S3Object', ['<Start>100000</Start>']))
    check('Low: ScanRange Start alone past the end: 200, no records (as pluck-serve(1) says)',
          isinstance(r, Resp) and r.status == 200 and F.summary(r.body) == (b'', ['Stats', 'End'], None),
          s3(r))
    r = req('POST', t, range_xml('SELECT * FROM S3Object', ['<Start>0</Start><End>1</End>',
                                                            '<Start>2</Start>']))
    check('Low: two ScanRange elements: 400 MalformedXML', s3(r) == (400, 'MalformedXML'), s3(r))
    bad = ['xn--abc', 'sthree-abc', 'abc-s3alias', 'abc--ol-s3', 'abc.mrap', 'abc--x-s3']
    got = [s3(req('PUT', '/' + b)) for b in bad]
    check('Low: reserved bucket names refused with 400 InvalidBucketName (%s)' % ' '.join(bad),
          all(g == (400, 'InvalidBucketName') for g in got) and
          not any(os.path.exists(os.path.join(F.ROOT, b)) for b in bad), got)
    # ListMultipartUploads finds an upload a client lost; AbortMultipartUpload drops it
    r = req('POST', B + 'lost/upload.bin?uploads')
    uid = re.search(rb'<UploadId>([^<]+)</UploadId>', r.body).group(1).decode()
    r = req('GET', B + '?uploads')
    listed = isinstance(r, Resp) and r.status == 200 and (
        b'<Key>lost/upload.bin</Key><UploadId>%s</UploadId>' % uid.encode()) in r.body
    r2 = req('DELETE', B + 'lost/upload.bin?uploadId=' + uid)
    r3 = req('GET', B + '?uploads')
    check('Low: ListMultipartUploads lists an upload in progress; after Abort it is gone',
          listed and s3(r2) == (204, None) and isinstance(r3, Resp) and r3.status == 200 and
          uid.encode() not in r3.body, (s3(r), s3(r2), getattr(r3, 'body', r3)))
    # STREAMING-UNSIGNED-PAYLOAD-TRAILER: the trailing CRC32 is checked, and required
    data = b'hello trailer'
    for name, trailer, want in (
            ('a correct trailer: 200', 'x-amz-checksum-crc32:%s\r\n' % crc32_b64(data), (200, None)),
            ('a wrong trailer: 400 BadDigest', 'x-amz-checksum-crc32:AAAAAA==\r\n', (400, 'BadDigest')),
            ('no trailer: 400 MalformedTrailerError', '', (400, 'MalformedTrailerError'))):
        body = b'%x\r\n%s\r\n0\r\n%s\r\n' % (len(data), data, trailer.encode())
        h = {'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data)),
             'x-amz-trailer': 'x-amz-checksum-crc32'}
        r = req('PUT', B + 'trailer.txt', body, headers=h,
                payload_hash='STREAMING-UNSIGNED-PAYLOAD-TRAILER')
        check('Low: STREAMING-UNSIGNED-PAYLOAD-TRAILER with %s' % name, s3(r) == want, s3(r))
    # Content-MD5: malformed is InvalidDigest, well-formed but wrong BadDigest (as S3)
    r1 = req('PUT', B + 'md5.txt', b'x', headers={'content-md5': 'not-base64'})
    r2 = req('PUT', B + 'md5.txt', b'x', headers={'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg=='})
    check('Low: Content-MD5 malformed: 400 InvalidDigest; wrong: 400 BadDigest',
          (s3(r1), s3(r2)) == ((400, 'InvalidDigest'), (400, 'BadDigest')), (s3(r1), s3(r2)))
    # ListBuckets' CreationDate stays put when a top-level key is written
    req('PUT', '/datebucket')

    def created():
        r = req('GET', '/')
        m = re.search(rb'<Name>datebucket</Name><CreationDate>([^<]+)<', r.body)
        return m.group(1) if m else None
    d1 = created()
    time.sleep(1.2)
    req('PUT', '/datebucket/top.txt', b'x')
    d2 = created()
    check('issue 14: ListBuckets CreationDate unchanged by a top-level PutObject (%s, %s)'
          % (d1, d2), d1 is not None and d1 == d2)


def test_low_second_server():
    """A server of its own: -v logging, a 400-character secret, crash leftovers, ps name."""
    import subprocess
    binary = os.environ.get('ATK_BIN')
    root = os.path.join(F.ROOT, '..', 'attack2')
    os.makedirs(os.path.join(root, 'bkt', 'sub'), exist_ok=True)
    left = [os.path.join(root, 'bkt', '.pluck-tmp-crash1'),
            os.path.join(root, 'bkt', 'sub', '.pluck-tmp-crash2')]
    for p in left:
        with open(p, 'wb') as f:
            f.write(b'partial')
    secret = 'S' * 400
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=secret)
    p = subprocess.Popen([binary, 'serve', '--root', root, '--listen', '127.0.0.1:0', '-v'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        url = p.stdout.readline().decode().strip()
        hostport = url.split('//', 1)[1]
        host, port = hostport.rsplit(':', 1)
        with open('/proc/%d/cmdline' % p.pid, 'rb') as f:
            argv0 = f.read().split(b'\0')[0]
        check('issue 14: ps shows the server as "pluck serve" (argv[0] %r)' % argv0,
              argv0 == b'pluck serve')
        check('Low: temporary files a crash left are removed at start',
              not any(os.path.exists(x) for x in left), [os.path.exists(x) for x in left])

        def send(data):
            s = socket.create_connection((host, int(port)), 10)
            s.sendall(data)
            rd = Reader(s)
            st, h = rd.head()
            body = rd.body(h)
            s.close()
            return st, body
        target = '/bkt/obj.txt'
        h, _ = F.sigv4sign.sign('PUT', target, hostport, AK, secret, None, sha(b'long secret'))
        head = 'PUT %s HTTP/1.1\r\n' % target + ''.join('%s: %s\r\n' % kv for kv in h.items())
        st, _ = send((head + 'Content-Length: 11\r\n\r\n').encode() + b'long secret')
        check('Low: a 400-character secret signs correctly (200, got %s)' % st, st == 200)
        # a target with control bytes and a presigned signature, for the log
        st, _ = send(b'GET /bkt/x\x1b[31mFAKE?X-Amz-Algorithm=AWS4-HMAC-SHA256&'
                     b'X-Amz-Signature=deadbeefcafe HTTP/1.1\r\nHost: %s\r\n\r\n' % hostport.encode())
    finally:
        p.terminate()
        try:
            _, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
    check('Low: -v escapes control bytes and redacts X-Amz-Signature in the log',
          b'\x1b' not in err and b'deadbeefcafe' not in err and b'\\x1b[31mFAKE' in err
          and b'X-Amz-Signature=REDACTED' in err, err[-600:])


def send_to(hostport, method, target, body=b''):
    """A signed request to another server (hostport), one response: Resp or the error."""
    h, _ = F.sigv4sign.sign(method, target, hostport, AK, SK, None, sha(body))
    head = '%s %s HTTP/1.1\r\n' % (method, target) + ''.join('%s: %s\r\n' % kv for kv in h.items())
    host, port = hostport.rsplit(':', 1)
    s = socket.create_connection((host, int(port)), 10)
    try:
        s.sendall((head + 'Content-Length: %d\r\n\r\n' % len(body)).encode() + body)
        rd = Reader(s)
        st, hd = rd.head()
        return Resp(st, hd, rd.body(hd, method))
    except (OSError, EOFError) as e:
        return type(e).__name__
    finally:
        s.close()


def test_low_full_disk():
    """CreateMultipartUpload, PutObject and UploadPart on a full file system (a 256 KiB tmpfs
    filled to the last page): 507 InsufficientStorage, and nothing left behind: no upload
    with an empty meta, no temporary file."""
    import subprocess
    binary = os.environ.get('ATK_BIN') or 'pluck'
    mnt = os.path.join(F.ROOT, '..', 'fullfs')
    os.makedirs(mnt, exist_ok=True)
    if subprocess.call(['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt],
                       stderr=subprocess.DEVNULL) != 0:
        print('  SKIP full disk: cannot mount a tmpfs here (needs root)')
        return
    p = None
    try:
        os.makedirs(os.path.join(mnt, 'bkt'))
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
        p = subprocess.Popen([binary, 'serve', '--root', mnt, '--listen', '127.0.0.1:0'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        hostport = p.stdout.readline().decode().strip().split('//', 1)[1]
        # an upload begun while there was room, for UploadPart
        r0 = send_to(hostport, 'POST', '/bkt/part.bin?uploads')
        m = re.search(rb'<UploadId>([^<]+)</UploadId>', r0.body) if isinstance(r0, Resp) else None
        fd = os.open(os.path.join(mnt, 'filler'), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b'\0' * 4096) > 0:
                pass
        except OSError:
            pass
        os.close(fd)
        r1 = send_to(hostport, 'POST', '/bkt/mpu.bin?uploads')
        r2 = send_to(hostport, 'PUT', '/bkt/obj.bin', b'x' * 20000)
        r3 = (send_to(hostport, 'PUT', '/bkt/part.bin?partNumber=1&uploadId=%s'
                        % m.group(1).decode(), b'y' * 20000) if m else None)
        ups = os.path.join(mnt, '.pluck-uploads')
        left = sorted(os.listdir(ups)) if os.path.isdir(ups) else []
        tmp = [f for d, _, fs in os.walk(mnt) for f in fs if f.startswith('.pluck-tmp-')]
        got = [s3(r1), s3(r2), s3(r3)]
        check('Low: full disk: CreateMultipartUpload, PutObject, UploadPart answer 507 '
              'InsufficientStorage; only the upload begun before is left, no temporary file',
              got == [(507, 'InsufficientStorage')] * 3 and m is not None and
              left == [m.group(1).decode()] and not tmp, (got, left, tmp))
    finally:
        if p:
            p.terminate()
            p.wait(15)
        subprocess.call(['umount', mnt])
        os.rmdir(mnt)


# ---- shutdown: a running select ends cleanly ------------------------------------------------

def test_sigterm_drain():
    """Last: SIGTERM while two bomb selects run.  After --shutdown-grace (1 s) each ends with
    an error event and the chunked terminator; the server exits (checked by the shell)."""
    sts = [Stream('bomb.csv.bz2', 'SELECT COUNT(*) FROM S3Object') for _ in range(2)]
    for st in sts:
        st.head(20)
    t0 = time.time()
    os.kill(PID, signal.SIGTERM)
    ends = [st.pump(lambda s: s.eof, 15) for st in sts]
    took = time.time() - t0
    check('SIGTERM: running selects end with an error event and the terminator within '
          '8 s (%.1f s)' % took,
          all(ends) and took < 8 and all(s.events and s.events[-1] == 'error:ServiceUnavailable'
                                         for s in sts), [s.events[-3:] for s in sts])
    for st in sts:
        st.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with open('/proc/%d/stat' % PID) as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    break
        except OSError:
            break
        time.sleep(0.1)
    check('SIGTERM: the server exits within 10 s of the selects ending', time.time() < deadline)


def main():
    req('PUT', '/%s/small.csv' % BUCKET, F.SMALL)
    make_bombs()
    only = os.environ.get('ATTACK_ONLY', '').split()
    tests = [test_f1_unsigned_headers, test_f2_scanrange_header, test_f3_bomb_disconnect,
             test_f4_memory_bound, test_window_bound, test_key_too_long,
             test_delete_bucket_race, test_f5_slowloris, test_f6_descriptors, test_f7_fsync,
             test_low_items, test_low_second_server, test_low_full_disk]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.time()
        try:
            t()
        except Exception as e:  # a test that crashes is one failure, the others still run
            import traceback
            traceback.print_exc()
            check('%s ran to completion' % t.__name__, False, repr(e))
        print('  %s: %.1f s' % (t.__name__, time.time() - t0))
    F.small_ok('at the end')
    if not only or 'test_sigterm_drain' in only:
        test_sigterm_drain()


if __name__ == '__main__':
    main()

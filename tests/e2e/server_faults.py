"""server_faults.py — hostile and broken clients against a running `pluck serve`, driven by
tests/e2e/t_server_faults.sh (which starts the server, counts the assertions written to
RESULTS, stops the server with SIGTERM and checks its exit status and standard error: under
SANITIZE=1 that is where AddressSanitizer and LeakSanitizer report).

Environment: SERVER_URL, SERVER_ROOT, SERVER_PID, AK, SK, RESULTS, BUCKET (an existing
bucket holding big.csv, whose record count is BIG_RECORDS), SANITIZE (1 under ASan),
MAX_XML, MAX_OBJECT (the server's --max-xml-size and --max-object-size in bytes).

Only the standard library: raw sockets (so a client can stop, stall or dribble at any byte)
and a SigV4 signer written here.  Every wait is bounded; nothing asserts on timing except
"the connection is eventually closed".
"""

import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import threading
import time
import zlib

URL = os.environ['SERVER_URL']
ROOT = os.environ['SERVER_ROOT']
PID = int(os.environ['SERVER_PID'])
AK = os.environ['AK']
SK = os.environ['SK']
BUCKET = os.environ['BUCKET']
BIG_RECORDS = int(os.environ['BIG_RECORDS'])
BIG_SIZE = os.path.getsize(os.path.join(ROOT, BUCKET, 'big.csv'))
SANITIZE = os.environ.get('SANITIZE') == '1'
MAX_XML = int(os.environ['MAX_XML'])
MAX_OBJECT = int(os.environ['MAX_OBJECT'])
RESULTS = open(os.environ['RESULTS'], 'a')
HOSTPORT = URL.split('//', 1)[1]
HOST, PORT = HOSTPORT.rsplit(':', 1)
PORT = int(PORT)
EMPTY = hashlib.sha256(b'').hexdigest()
BDIR = os.path.join(ROOT, BUCKET)


def check(name, ok, detail=''):
    if not ok:
        print('FAIL faults: %s: %s' % (name, str(detail)[:600]))
    RESULTS.write('%s\t%s\t\n' % ('ok' if ok else 'fail', name))
    RESULTS.flush()
    return ok


# ---- SigV4 ----------------------------------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'server'))
import sigv4sign  # noqa: E402  (the same independent signer as tests/server/test_server.py)

enc = sigv4sign.enc
signing_key = sigv4sign.signing_key


def sign(method, target, headers=None, payload_hash=EMPTY, ak=AK, sk=SK):
    """Headers (lower-case names) for a header-signed request, plus (key, scope, date, sig)."""
    return sigv4sign.sign(method, target, HOSTPORT, ak, sk, headers, payload_hash)


def request_bytes(method, target, body=b'', headers=None, signed=True, payload_hash=None,
                  ak=AK, sk=SK, length=True):
    """The raw request (head + body) as bytes."""
    h = dict(headers or {})
    if signed:
        h, _ = sign(method, target, h, payload_hash or hashlib.sha256(body).hexdigest(), ak, sk)
    else:
        h.setdefault('host', HOSTPORT)
    head = '%s %s HTTP/1.1\r\n' % (method, target)
    head += ''.join('%s: %s\r\n' % kv for kv in h.items())
    if length and (body or method in ('PUT', 'POST')):
        head += 'Content-Length: %d\r\n' % len(body)
    return head.encode() + b'\r\n', body


# ---- a small HTTP/1.1 response reader -------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def code(self):
        m = re.search(rb'<Code>([^<]*)</Code>', self.body)
        return m.group(1).decode() if m else None


class Reader:
    """Buffered reads from a socket (a bytearray, so long answers stay linear)."""

    def __init__(self, sock):
        self.s, self.buf = sock, bytearray()

    def fill(self, n=1 << 18):
        d = self.s.recv(n)
        if not d:
            raise EOFError('connection closed')
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b'\r\n')
            if i >= 0:
                ln = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return ln
            self.fill()

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        d = bytes(self.buf[:n])
        del self.buf[:n]
        return d

    def head(self):
        st = self.line()
        self.status = int(st.split()[1])
        hdrs = {}
        while True:
            ln = self.line()
            if not ln:
                break
            k, _, v = ln.decode().partition(':')
            hdrs[k.strip().lower()] = v.strip()
        return self.status, hdrs

    def chunks(self):
        """Yield the pieces of a chunked body as they arrive."""
        while True:
            size = int(self.line().split(b';')[0], 16)
            if size == 0:
                while self.line():
                    pass
                return
            yield self.exact(size)
            self.exact(2)

    def body(self, hdrs, method='GET'):
        if method == 'HEAD' or self.status in (204, 304):
            return b''
        if hdrs.get('transfer-encoding', '').lower() == 'chunked':
            return b''.join(self.chunks())
        if 'content-length' in hdrs:
            return self.exact(int(hdrs['content-length']))
        out = [bytes(self.buf)]
        self.buf = bytearray()
        while True:
            d = self.s.recv(1 << 18)
            if not d:
                return b''.join(out)
            out.append(d)


def connect(timeout=30, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, PORT))
    return s


def send_raw(data, method='GET', timeout=30):
    """Send bytes, read one response; Resp, or the exception's name if the server closed."""
    s = connect(timeout)
    try:
        s.sendall(data)
        rd = Reader(s)
        st, h = rd.head()
        return Resp(st, h, rd.body(h, method))
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        return type(e).__name__
    finally:
        s.close()


def req(method, target, body=b'', headers=None, **kw):
    head, body = request_bytes(method, target, body, headers, **kw)
    return send_raw(head + body, method)


# ---- event stream ---------------------------------------------------------------------------

def frames(data):
    """[(headers, payload)] of an event-stream body; raises ValueError on a bad frame."""
    out, pos = [], 0
    while pos < len(data):
        total, hlen, pcrc = struct.unpack('>III', data[pos:pos + 12])
        if zlib.crc32(data[pos:pos + 8]) != pcrc or pos + total > len(data):
            raise ValueError('bad prelude at %d' % pos)
        fr = data[pos:pos + total]
        if zlib.crc32(fr[:-4]) != struct.unpack('>I', fr[-4:])[0]:
            raise ValueError('bad message CRC at %d' % pos)
        h, hp = {}, 12
        while hp < 12 + hlen:
            nl = fr[hp]
            name = fr[hp + 1:hp + 1 + nl].decode()
            hp += 1 + nl
            (vl,) = struct.unpack('>H', fr[hp + 1:hp + 3])
            h[name] = fr[hp + 3:hp + 3 + vl].decode()
            hp += 3 + vl
        out.append((h, fr[12 + hlen:-4]))
        pos += total
    return out


def summary(data):
    """(records bytes, event kinds without Cont/Progress, error code or None)."""
    recs, kinds, err = [], [], None
    for h, p in frames(data):
        if h.get(':message-type') == 'error':
            kinds.append('error')
            err = h[':error-code']
            continue
        et = h[':event-type']
        if et == 'Records':
            recs.append(p)
        if et not in ('Cont', 'Progress') and not (kinds and kinds[-1] == et == 'Records'):
            kinds.append(et)
    return b''.join(recs), kinds, err


def select_xml(sql, header='NONE'):
    return ('<SelectObjectContentRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            '<Expression>%s</Expression><ExpressionType>SQL</ExpressionType>'
            '<InputSerialization><CSV><FileHeaderInfo>%s</FileHeaderInfo></CSV>'
            '</InputSerialization><OutputSerialization><CSV/></OutputSerialization>'
            '</SelectObjectContentRequest>'
            % (sql.replace('&', '&amp;').replace('<', '&lt;'), header)).encode()


def select(key, sql, header='NONE'):
    return req('POST', '/%s/%s?select&select-type=2' % (BUCKET, key), select_xml(sql, header))


# ---- server state ---------------------------------------------------------------------------

def proc_status(field):
    with open('/proc/%d/status' % PID) as f:
        return int(re.search(r'%s:\s+(\d+)' % field, f.read()).group(1))


def rchar():
    """Bytes the server has read (read/pread/recv) so far: /proc/PID/io."""
    with open('/proc/%d/io' % PID) as f:
        return int(re.search(r'rchar:\s+(\d+)', f.read()).group(1))


def nfds():
    return len(os.listdir('/proc/%d/fd' % PID))


def settle(base_threads, base_fds, what):
    """Wait (at most 10 s) until the server's threads and descriptors are back to the
    baseline: every connection of the test has been torn down and its request freed."""
    deadline = time.time() + 10
    while time.time() < deadline:
        t, f = proc_status('Threads'), nfds()
        if t <= base_threads and f <= base_fds:
            break
        time.sleep(0.05)
    t, f = proc_status('Threads'), nfds()
    check('%s: connection threads and descriptors back to the baseline '
          '(threads %d -> %d, fds %d -> %d)' % (what, base_threads, t, base_fds, f),
          t <= base_threads and f <= base_fds)


def leftovers():
    """Temporary upload files and multipart upload directories under the root."""
    tmp = [os.path.join(d, f) for d, _, fs in os.walk(ROOT) for f in fs
           if f.startswith('.pluck-tmp-')]
    up = os.path.join(ROOT, '.pluck-uploads')
    ups = os.listdir(up) if os.path.isdir(up) else []
    return tmp + ['.pluck-uploads/' + u for u in ups]


SMALL = b'a\nb\nc\n'


def small_ok(what):
    """A normal select answered correctly (the server keeps serving others)."""
    r = select('small.csv', 'SELECT UPPER(_1) FROM S3Object')
    ok = isinstance(r, Resp) and r.status == 200 and summary(r.body) == (b'A\nB\nC\n',
                                                                         ['Records', 'Stats', 'End'], None)
    check('%s: a normal select is answered correctly' % what, ok,
          r if not isinstance(r, Resp) else (r.status, r.body[:200]))


# ---- the tests ------------------------------------------------------------------------------

def test_f1_records_before_error():
    # F1: records produced in the same block before an evaluation error are delivered
    for key, data, want in (
            ('o.csv', b'1\n2\n3\n9223372036854775807\n4\n', b'10\n20\n30\n'),
            ('o400k.csv', b'1\n' * 400000 + b'9223372036854775807\n4\n', b'10\n' * 400000)):
        r = req('PUT', '/%s/%s' % (BUCKET, key), data)
        check('F1 setup: PUT %s' % key, isinstance(r, Resp) and r.status == 200, r)
        r = select(key, 'SELECT _1 * 10 FROM S3Object')
        got = summary(r.body) if isinstance(r, Resp) and r.status == 200 else r
        check('F1: %s: HTTP 200, every record before the overflow (%d), then IntegerOverflow'
              % (key, want.count(b'\n')),
              got == (want, ['Records', 'error'], 'IntegerOverflow'),
              got if not isinstance(got, tuple) else (len(got[0]), got[1:]))
    # the error on the first record, nothing before it: an HTTP error as S3 answers
    req('PUT', '/%s/o1.csv' % BUCKET, b'9223372036854775807\n1\n')
    r = select('o1.csv', 'SELECT _1 * 10 FROM S3Object')
    check('F1: error on the first record: HTTP 400 IntegerOverflow',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'IntegerOverflow'), r)
    # a cast failure after 2 records, through the priming path
    req('PUT', '/%s/c.csv' % BUCKET, b'5\n6\nx\n7\n')
    r = select('c.csv', 'SELECT CAST(_1 AS INT) FROM S3Object')
    got = summary(r.body) if isinstance(r, Resp) and r.status == 200 else r
    check('F1: CAST failure on record 3: Records "5\\n6\\n" then CastFailed',
          got == (b'5\n6\n', ['Records', 'error'], 'CastFailed'), got)


def complete_xml(num, etag):
    return ('<CompleteMultipartUpload><Part><PartNumber>%s</PartNumber><ETag>"%s"</ETag>'
            '</Part></CompleteMultipartUpload>' % (num, etag)).encode()


def mpu_create(key):
    r = req('POST', '/%s/%s?uploads' % (BUCKET, key))
    m = re.search(rb'<UploadId>([0-9a-f]{32})</UploadId>', r.body) if isinstance(r, Resp) else None
    return m.group(1).decode() if m else None


def test_f6_partnumber():
    key = 'mpu-f6.csv'
    uid = mpu_create(key)
    check('F6 setup: CreateMultipartUpload', uid is not None)
    part = b'x,y\n1,2\n'
    r = req('PUT', '/%s/%s?partNumber=1&uploadId=%s' % (BUCKET, key, uid), part)
    check('F6 setup: UploadPart 1', isinstance(r, Resp) and r.status == 200, r)
    etag = hashlib.md5(part).hexdigest()
    target = '/%s/%s?uploadId=%s' % (BUCKET, key, uid)
    for num, want in (('1%', 'MalformedXML'), ('1-', 'MalformedXML'), ('1,', 'MalformedXML'),
                      (' 1', 'MalformedXML'), ('+1', 'MalformedXML'), ('0x1', 'MalformedXML'),
                      ('', 'MalformedXML'), ('4294967297', 'InvalidPart'), ('0', 'InvalidPart'),
                      ('10001', 'InvalidPart'), ('99999999999999999999', 'InvalidPart')):
        r = req('POST', target, complete_xml(num, etag))
        check('F6: PartNumber %r: 400 %s' % (num, want),
              isinstance(r, Resp) and (r.status, r.code()) == (400, want), r)
    check('F6: nothing was published by the refused completions',
          not os.path.exists(os.path.join(BDIR, key)))
    for num in ('+1', ' 1', '1x', '0', '10001'):
        r = req('PUT', '/%s/%s?partNumber=%s&uploadId=%s' % (BUCKET, key, enc(num), uid), part)
        check('UploadPart ?partNumber=%r: 400 InvalidArgument' % num,
              isinstance(r, Resp) and (r.status, r.code()) == (400, 'InvalidArgument'), r)
    r = req('POST', target, complete_xml('00001', etag))
    check('F6: PartNumber 00001 is part 1: 200',
          isinstance(r, Resp) and r.status == 200 and b'<ETag>' in r.body, r)
    r = req('GET', '/%s/%s' % (BUCKET, key))
    check('F6: the completed object holds the part', isinstance(r, Resp) and r.body == part, r)


def test_disconnect_mid_stream():
    base_t, base_f = proc_status('Threads'), nfds()
    body = select_xml('SELECT * FROM S3Object')
    head, _ = request_bytes('POST', '/%s/big.csv?select&select-type=2' % BUCKET, body)
    started = 0
    for i in range(12):
        s = connect()
        s.sendall(head + body)
        if i % 3 == 0:
            s.close()  # gone before the answer (during priming)
            continue
        rd = Reader(s)
        st, _ = rd.head()
        started += st == 200
        got = 0
        for c in rd.chunks():
            got += len(c)
            if got >= (64 << 10) * i:
                break
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()  # reset (odd) or orderly close (even) in the middle of the stream
    check('disconnect mid-stream: the 8 selects that were read had started (HTTP 200)',
          started == 8, started)
    small_ok('after 12 disconnects')
    settle(base_t, base_f, 'disconnect mid-stream')


def test_slow_reader():
    base_t, base_f = proc_status('Threads'), nfds()
    rss0 = proc_status('VmRSS')
    rchar0 = rchar()
    body = select_xml('SELECT * FROM S3Object')
    head, _ = request_bytes('POST', '/%s/big.csv?select&select-type=2' % BUCKET, body)
    s = connect(rcvbuf=32 << 10)
    s.sendall(head + body)
    rd = Reader(s)
    st, _ = rd.head()
    # read about 16 KiB every 50 ms for 2 s: the result is much larger than any buffer
    t_end = time.time() + 2.0
    slow = bytearray(rd.buf)
    while time.time() < t_end:
        slow += s.recv(16 << 10)
        time.sleep(0.05)
    rss1 = proc_status('VmRSS')
    read1 = rchar() - rchar0
    small_ok('while a client reads slowly')
    # the rest at full speed: the whole answer, intact
    rd.buf = slow
    data = b''.join(rd.chunks())
    s.close()
    recs, kinds, err = summary(data)
    check('slow reader: HTTP 200 and every record of big.csv (%d), then Stats and End'
          % BIG_RECORDS,
          st == 200 and recs.count(b'\n') == BIG_RECORDS and kinds == ['Records', 'Stats', 'End']
          and err is None, (st, recs.count(b'\n'), kinds, err))
    grow = rss1 - rss0
    print('  slow reader: while the client lagged the server read %d KiB of the %d KiB object; '
          'VmRSS %d KiB -> %d KiB' % (read1 >> 10, BIG_SIZE >> 10, rss0, rss1))
    check('slow reader: the scan waits for the client (read %d KiB of %d KiB while it lagged)'
          % (read1 >> 10, BIG_SIZE >> 10), read1 < BIG_SIZE // 4)
    if not SANITIZE:  # ASan's shadow and quarantine make RSS meaningless
        check('slow reader: server RSS grew %d KiB < 16 MiB (the answer is %d KiB)'
              % (grow, len(data) >> 10), grow < (16 << 10) and len(data) > (48 << 20))
    settle(base_t, base_f, 'slow reader')


def dribble(data, delay=0.002, method='GET', step=1):
    """Send data one byte (step bytes) at a time; read the response."""
    s = connect()
    try:
        for i in range(0, len(data), step):
            s.sendall(data[i:i + step])
            time.sleep(delay)
        rd = Reader(s)
        st, h = rd.head()
        return Resp(st, h, rd.body(h, method))
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        return type(e).__name__
    finally:
        s.close()


def test_byte_by_byte():
    req('PUT', '/%s/small.csv' % BUCKET, SMALL)
    head, _ = request_bytes('GET', '/%s/small.csv' % BUCKET)
    out = {}
    th = threading.Thread(target=lambda: out.setdefault('r', dribble(head)))
    th.start()
    time.sleep(0.2)
    small_ok('while another client sends its headers byte by byte')
    th.join(60)
    r = out.get('r')
    check('headers byte by byte (%d bytes): 200 and the object' % len(head),
          isinstance(r, Resp) and r.status == 200 and r.body == SMALL, r)
    body = select_xml('SELECT _1 FROM S3Object WHERE _1 > \'a\'')
    head, body = request_bytes('POST', '/%s/small.csv?select&select-type=2' % BUCKET, body)
    r = dribble(head + body, delay=0.001)
    got = summary(r.body) if isinstance(r, Resp) and r.status == 200 else r
    check('select request and body byte by byte: the right records',
          got == (b'b\nc\n', ['Records', 'Stats', 'End'], None), got)
    data = bytes(range(256))
    head, body = request_bytes('PUT', '/%s/dribbled.bin' % BUCKET, data)
    s = connect()
    s.sendall(head)
    for i in range(len(body)):
        s.sendall(body[i:i + 1])
        time.sleep(0.002)
    rd = Reader(s)
    st, h = rd.head()
    rd.body(h)
    s.close()
    with open(os.path.join(BDIR, 'dribbled.bin'), 'rb') as f:
        stored = f.read()
    check('PUT body byte by byte: 200 and exactly the bytes sent', st == 200 and stored == data,
          (st, stored[:20]))


def test_oversized():
    big = 'A' * (100 << 10)
    head, _ = request_bytes('GET', '/%s/small.csv' % BUCKET, headers={'x-big': big}, signed=False)
    r = send_raw(head)
    check('one 100 KiB header: 431 Request Header Fields Too Large (libmicrohttpd)',
          isinstance(r, Resp) and r.status == 431, r if not isinstance(r, Resp) else r.status)
    many = {'x-h%04d' % i: 'v' * 40 for i in range(2000)}
    head, _ = request_bytes('GET', '/%s/small.csv' % BUCKET, headers=many, signed=False)
    r = send_raw(head)
    check('2000 headers (100 KiB): 431', isinstance(r, Resp) and r.status == 431,
          r if not isinstance(r, Resp) else r.status)
    r = req('GET', '/%s/%s' % (BUCKET, 'k' * 9000))
    check('a 9000-byte request target: 414 RequestURITooLong',
          isinstance(r, Resp) and (r.status, r.code()) == (414, 'RequestURITooLong'), r)
    r = req('GET', '/%s/%s' % (BUCKET, 'k' * 70000), signed=False)
    check('a 70 KB request target: 431 or 414 (beyond the connection memory)',
          isinstance(r, Resp) and r.status in (414, 431), r if not isinstance(r, Resp) else r.status)
    # XML bodies over --max-xml-size: refused by Content-Length before reading
    pad = b'<!--' + b'x' * MAX_XML + b'-->'
    body = select_xml('SELECT * FROM S3Object') + pad
    r = req('POST', '/%s/small.csv?select&select-type=2' % BUCKET, body)
    check('select body over --max-xml-size: 400 MaxMessageLengthExceeded',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'MaxMessageLengthExceeded'), r)
    # ... and when it comes chunked, without a Content-Length
    head, _ = request_bytes('POST', '/%s/small.csv?select&select-type=2' % BUCKET, body,
                            headers={'transfer-encoding': 'chunked'}, length=False,
                            payload_hash='UNSIGNED-PAYLOAD')
    chunked = b''.join(b'%x\r\n%s\r\n' % (len(body[i:i + 4096]), body[i:i + 4096])
                       for i in range(0, len(body), 4096)) + b'0\r\n\r\n'
    r = send_raw(head + chunked, 'POST')
    check('chunked select body over --max-xml-size: 400 MaxMessageLengthExceeded',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'MaxMessageLengthExceeded'), r)
    # an object over --max-object-size
    head, _ = request_bytes('PUT', '/%s/huge.bin' % BUCKET, headers={
        'content-length': str(MAX_OBJECT + 1)}, payload_hash='UNSIGNED-PAYLOAD', length=False)
    r = send_raw(head, 'PUT')
    check('PUT with Content-Length over --max-object-size: 400 EntityTooLarge, nothing stored',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'EntityTooLarge')
          and not os.path.exists(os.path.join(BDIR, 'huge.bin')), r)
    # chunked PUT that runs past the limit: refused once over, nothing stored
    head, _ = request_bytes('PUT', '/%s/huge2.bin' % BUCKET, headers={
        'transfer-encoding': 'chunked'}, payload_hash='UNSIGNED-PAYLOAD', length=False)
    s = connect()
    s.sendall(head)
    blk = b'z' * (256 << 10)
    sent = 0
    status = None
    try:
        while sent < MAX_OBJECT + (4 << 20):
            s.sendall(b'%x\r\n' % len(blk) + blk + b'\r\n')
            sent += len(blk)
        s.sendall(b'0\r\n\r\n')
        rd = Reader(s)
        status, h = rd.head()
        code = Resp(status, h, rd.body(h)).code()
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        code = type(e).__name__
    s.close()
    check('chunked PUT past --max-object-size: 400 EntityTooLarge or the connection closed, '
          'nothing stored',
          ((status, code) == (400, 'EntityTooLarge') or code in ('ConnectionResetError',
                                                                 'BrokenPipeError', 'EOFError'))
          and not os.path.exists(os.path.join(BDIR, 'huge2.bin')), (status, code))
    small_ok('after oversized requests')


def test_malformed_xml():
    t = '/%s/small.csv?select&select-type=2' % BUCKET
    for name, body in (('truncated', b'<SelectObjectContentRequest><Expression>SELECT'),
                       ('not XML', b'hello'),
                       ('mismatched tags', b'<SelectObjectContentRequest></SelectRequest>'),
                       ('two roots', select_xml('SELECT * FROM S3Object') * 2),
                       ('bad entity', b'<SelectObjectContentRequest>&nope;</SelectObjectContentRequest>'),
                       ('DOCTYPE', b'<!DOCTYPE x [<!ENTITY a "b">]><SelectObjectContentRequest/>'),
                       ('wrong root', b'<Select/>'),
                       ('unknown element', select_xml('SELECT 1 FROM S3Object').replace(
                           b'</SelectObjectContentRequest>', b'<Bogus>1</Bogus></SelectObjectContentRequest>'))):
        r = req('POST', t, body)
        check('select with malformed XML (%s): 400 MalformedXML' % name,
              isinstance(r, Resp) and (r.status, r.code()) == (400, 'MalformedXML'), r)
    r = req('POST', t, b'')
    check('select with an empty body: 400 EmptyRequestBody',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'EmptyRequestBody'), r)
    r = req('POST', '/%s?delete' % BUCKET, b'<Delete><Object><Key>a</Key></Object>')
    check('DeleteObjects with malformed XML: 400 MalformedXML',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'MalformedXML'), r)
    uid = mpu_create('mpu-bad.csv')
    r = req('POST', '/%s/mpu-bad.csv?uploadId=%s' % (BUCKET, uid), b'<CompleteMultipartUpload><Part>')
    check('CompleteMultipartUpload with malformed XML: 400 MalformedXML',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'MalformedXML'), r)
    r = req('DELETE', '/%s/mpu-bad.csv?uploadId=%s' % (BUCKET, uid))
    check('... then AbortMultipartUpload: 204', isinstance(r, Resp) and r.status == 204, r)


def test_bad_signatures():
    t = '/%s/small.csv' % BUCKET
    r = req('GET', t, sk='not-the-secret')
    check('wrong secret: 403 SignatureDoesNotMatch',
          isinstance(r, Resp) and (r.status, r.code()) == (403, 'SignatureDoesNotMatch'), r)
    r = req('GET', t, ak='AKNOBODY')
    check('unknown access key: 403 InvalidAccessKeyId',
          isinstance(r, Resp) and (r.status, r.code()) == (403, 'InvalidAccessKeyId'), r)
    r = req('GET', t, signed=False)
    check('no Authorization: 403 AccessDenied',
          isinstance(r, Resp) and (r.status, r.code()) == (403, 'AccessDenied'), r)
    h, _ = sign('GET', t)
    h['authorization'] = h['authorization'][:-1] + ('0' if h['authorization'][-1] != '0' else '1')
    r = req('GET', t, headers=h, signed=False)
    check('one signature digit changed: 403 SignatureDoesNotMatch',
          isinstance(r, Resp) and (r.status, r.code()) == (403, 'SignatureDoesNotMatch'), r)
    h, _ = sign('GET', t)
    h['authorization'] = 'AWS4-HMAC-SHA256 garbage'
    r = req('GET', t, headers=h, signed=False)
    check('garbage Authorization: a 400 or 403 S3 error',
          isinstance(r, Resp) and r.status in (400, 403) and r.code() in (
              'AuthorizationHeaderMalformed', 'AccessDenied', 'InvalidArgument'), r)
    # a signed select whose body is swapped after signing
    body = select_xml('SELECT * FROM S3Object')
    h, _ = sign('POST', t + '?select&select-type=2', None, hashlib.sha256(body).hexdigest())
    r = req('POST', t + '?select&select-type=2', body.replace(b'*', b'1'), headers=h, signed=False)
    check('select body changed after signing: 400 XAmzContentSHA256Mismatch',
          isinstance(r, Resp) and (r.status, r.code()) == (400, 'XAmzContentSHA256Mismatch'), r)
    # a PUT with a wrong signature never creates the object, even with its body sent
    r = req('PUT', '/%s/unsigned.bin' % BUCKET, b'data', sk='wrong')
    check('badly signed PUT: 403 SignatureDoesNotMatch and nothing stored',
          isinstance(r, Resp) and (r.status, r.code()) == (403, 'SignatureDoesNotMatch')
          and not os.path.exists(os.path.join(BDIR, 'unsigned.bin')), r)
    small_ok('after bad signatures')


def wait_clean(what):
    """on_completed runs once the server notices the closed connection: wait for it."""
    deadline = time.time() + 10
    while time.time() < deadline and leftovers():
        time.sleep(0.05)
    left = leftovers()
    check('%s: no temporary file or upload directory left' % what, left == [], left)


def test_aborted_uploads():
    key = 'aborted.bin'
    data = os.urandom(1 << 20)
    # plain PUT: the client goes away after 300 KiB of 1 MiB
    for how in ('close', 'reset'):
        head, body = request_bytes('PUT', '/%s/%s' % (BUCKET, key), data,
                                   payload_hash='UNSIGNED-PAYLOAD')
        s = connect()
        s.sendall(head + body[:300 << 10])
        time.sleep(0.2)
        if how == 'reset':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
        wait_clean('PUT aborted mid-body (%s)' % how)
        r = req('HEAD', '/%s/%s' % (BUCKET, key))
        check('PUT aborted mid-body (%s): the object does not exist (HEAD 404)' % how,
              isinstance(r, Resp) and r.status == 404, r)
    # overwrite: an aborted PUT leaves the previous version untouched
    req('PUT', '/%s/keep.csv' % BUCKET, b'old,version\n')
    head, body = request_bytes('PUT', '/%s/keep.csv' % BUCKET, data, payload_hash='UNSIGNED-PAYLOAD')
    s = connect()
    s.sendall(head + body[:500 << 10])
    time.sleep(0.2)
    s.close()
    wait_clean('aborted overwrite')
    r = req('GET', '/%s/keep.csv' % BUCKET)
    check('aborted overwrite: the previous object is intact',
          isinstance(r, Resp) and r.status == 200 and r.body == b'old,version\n', r)
    # aws-chunked with chunk signatures, cut after two chunks
    target = '/%s/%s' % (BUCKET, key)
    hdrs = {'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data)),
            'content-length': str(len(data) + 20 * 100)}
    h, (k, scope, amzdate, prev) = sign('PUT', target, hdrs, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')
    body = b''
    for c in (data[:65536], data[65536:131072]):
        sts = 'AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s' % (
            amzdate, scope, prev, EMPTY, hashlib.sha256(c).hexdigest())
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        body += b'%x;chunk-signature=%s\r\n' % (len(c), sig.encode()) + c + b'\r\n'
        prev = sig
    head = 'PUT %s HTTP/1.1\r\n' % target + ''.join('%s: %s\r\n' % kv for kv in h.items()) + '\r\n'
    s = connect()
    s.sendall(head.encode() + body)
    time.sleep(0.2)
    s.close()
    wait_clean('aws-chunked PUT aborted after 2 chunks')
    check('aws-chunked PUT aborted: the object does not exist',
          not os.path.exists(os.path.join(BDIR, key)))
    # multipart: a part cut short, then the upload aborted
    uid = mpu_create('mpu-abort.csv')
    r = req('PUT', '/%s/mpu-abort.csv?partNumber=1&uploadId=%s' % (BUCKET, uid), data[:100000])
    check('multipart: part 1 stored', isinstance(r, Resp) and r.status == 200, r)
    head, body = request_bytes('PUT', '/%s/mpu-abort.csv?partNumber=2&uploadId=%s' % (BUCKET, uid),
                               data, payload_hash='UNSIGNED-PAYLOAD')
    s = connect()
    s.sendall(head + body[:200 << 10])
    time.sleep(0.2)
    s.close()
    udir = os.path.join(ROOT, '.pluck-uploads', uid)
    deadline = time.time() + 10
    while time.time() < deadline and any(f.startswith('.pluck-tmp-') for f in os.listdir(udir)):
        time.sleep(0.05)
    names = sorted(f.split('.')[0] for f in os.listdir(udir))
    check('multipart: the part cut short left nothing (upload holds meta and part 1 only)',
          names == ['00001', 'meta'], names)
    r = req('DELETE', '/%s/mpu-abort.csv?uploadId=%s' % (BUCKET, uid))
    check('AbortMultipartUpload: 204', isinstance(r, Resp) and r.status == 204, r)
    check('AbortMultipartUpload: the upload directory is gone', not os.path.exists(udir))
    r = req('POST', '/%s/mpu-abort.csv?uploadId=%s' % (BUCKET, uid),
            complete_xml(1, hashlib.md5(data[:100000]).hexdigest()))
    check('complete after abort: 404 NoSuchUpload, no object',
          isinstance(r, Resp) and (r.status, r.code()) == (404, 'NoSuchUpload')
          and not os.path.exists(os.path.join(BDIR, 'mpu-abort.csv')), r)
    r = req('DELETE', '/%s/mpu-abort.csv?uploadId=%s' % (BUCKET, uid))
    check('second abort: 404 NoSuchUpload',
          isinstance(r, Resp) and (r.status, r.code()) == (404, 'NoSuchUpload'), r)
    # abort while a part is still arriving: the part cannot be stored afterwards
    uid = mpu_create('mpu-race.csv')
    head, body = request_bytes('PUT', '/%s/mpu-race.csv?partNumber=1&uploadId=%s' % (BUCKET, uid),
                               data, payload_hash='UNSIGNED-PAYLOAD')
    s = connect()
    s.sendall(head + body[:len(body) // 2])
    time.sleep(0.2)
    r = req('DELETE', '/%s/mpu-race.csv?uploadId=%s' % (BUCKET, uid))
    check('abort while a part is arriving: 204', isinstance(r, Resp) and r.status == 204, r)
    part_status = None
    try:
        s.sendall(body[len(body) // 2:])
        rd = Reader(s)
        part_status, h = rd.head()
        part_code = Resp(part_status, h, rd.body(h)).code()
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        part_code = type(e).__name__
    s.close()
    check('... the part finished after the abort is refused (404 NoSuchUpload)',
          (part_status, part_code) == (404, 'NoSuchUpload'), (part_status, part_code))
    wait_clean('abort during UploadPart')


def test_idle():
    # a client that sends half its headers and stalls is closed after --idle-timeout
    s = connect(timeout=30)
    s.sendall(b'GET /%s/small.csv HTTP/1.1\r\nHost: %s\r\nX-Slow: ' % (BUCKET.encode(), HOSTPORT.encode()))
    try:
        got = s.recv(100)
    except socket.timeout:
        got = 'timeout'
    except ConnectionResetError:
        got = b''
    s.close()
    check('stalled headers: the server closes the connection (idle timeout)', got == b'', got)


def main():
    req('PUT', '/%s/small.csv' % BUCKET, SMALL)
    for t in (test_f1_records_before_error, test_f6_partnumber, test_disconnect_mid_stream,
              test_slow_reader, test_byte_by_byte, test_oversized, test_malformed_xml,
              test_bad_signatures, test_aborted_uploads, test_idle):
        t0 = time.time()
        try:
            t()
        except Exception as e:  # a test that crashes is one failure, the others still run
            import traceback
            traceback.print_exc()
            check('%s ran to completion' % t.__name__, False, repr(e))
        print('  %s: %.1f s' % (t.__name__, time.time() - t0))
    small_ok('at the end')


if __name__ == '__main__':
    main()

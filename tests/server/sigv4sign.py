"""sigv4sign.py — an independent AWS Signature Version 4 signer for the server tests
(tests/server/test_server.py, tests/e2e/server_faults.py): what a client computes, written
from the AWS documentation, never from pluck's src/server/sigv4.c."""
import datetime
import hashlib
import hmac
import urllib.parse

EMPTY = hashlib.sha256(b'').hexdigest()


def enc(s):
    return urllib.parse.quote(s, safe='-_.~')


def signing_key(date, secret):
    k = ('AWS4' + secret).encode()
    for part in (date, 'us-east-1', 's3', 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign(method, target, host, ak, sk, headers=None, payload_hash=EMPTY, when=None):
    """Headers (lower-case names, Authorization included) for a header-signed request to
    `host`, and (signing key, scope, x-amz-date, signature)."""
    path, _, query = target.partition('?')
    t = when or datetime.datetime.now(datetime.timezone.utc)
    amzdate = t.strftime('%Y%m%dT%H%M%SZ')
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h['host'] = host
    h['x-amz-date'] = amzdate
    h['x-amz-content-sha256'] = payload_hash
    signed = sorted(h)
    canon_h = ''.join('%s:%s\n' % (k, ' '.join(str(h[k]).split())) for k in signed)
    pairs = []
    for part in query.split('&') if query else []:
        k, _, v = part.partition('=')
        pairs.append((enc(urllib.parse.unquote(k)), enc(urllib.parse.unquote(v))))
    cq = '&'.join('%s=%s' % kv for kv in sorted(pairs))
    cpath = urllib.parse.quote(urllib.parse.unquote(path), safe='/-_.~')
    cr = '\n'.join([method, cpath, cq, canon_h, ';'.join(signed), payload_hash])
    scope = amzdate[:8] + '/us-east-1/s3/aws4_request'
    sts = 'AWS4-HMAC-SHA256\n%s\n%s\n%s' % (amzdate, scope, hashlib.sha256(cr.encode()).hexdigest())
    key = signing_key(amzdate[:8], sk)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    h['authorization'] = ('AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s'
                          % (ak, scope, ';'.join(signed), sig))
    return h, (key, scope, amzdate, sig)

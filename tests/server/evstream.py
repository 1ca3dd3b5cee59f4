"""evstream.py — a strict decoder of AWS event-stream bodies, written from the framing rules
(s3select-notes §2.2-2.5) and independent of botocore's: every prelude CRC and message CRC
is checked, every header must be a string (type 7), each name appears once, and the S3
Select message catalogue is enforced."""

import struct
import zlib


class FrameError(Exception):
    pass


def encode(headers, payload=b''):
    """Encoder used to check the server's bytes against known-good frames."""
    h = b''
    for k, v in headers:
        k, v = k.encode(), v.encode()
        h += bytes([len(k)]) + k + b'\x07' + len(v).to_bytes(2, 'big') + v
    pre = (16 + len(h) + len(payload)).to_bytes(4, 'big') + len(h).to_bytes(4, 'big')
    m = pre + zlib.crc32(pre).to_bytes(4, 'big') + h + payload
    return m + zlib.crc32(m).to_bytes(4, 'big')


def decode(body):
    """Split body into [(headers dict, payload bytes, raw frame bytes)]; raises FrameError."""
    out = []
    pos = 0
    while pos < len(body):
        if len(body) - pos < 16:
            raise FrameError('truncated prelude at %d' % pos)
        total, hlen, pcrc = struct.unpack('>III', body[pos:pos + 12])
        if zlib.crc32(body[pos:pos + 8]) != pcrc:
            raise FrameError('prelude CRC mismatch at %d' % pos)
        if total < 16 or hlen > total - 16 or pos + total > len(body):
            raise FrameError('bad lengths at %d (total %d, headers %d)' % (pos, total, hlen))
        frame = body[pos:pos + total]
        (mcrc,) = struct.unpack('>I', frame[-4:])
        if zlib.crc32(frame[:-4]) != mcrc:
            raise FrameError('message CRC mismatch at %d' % pos)
        hdrs = {}
        hp = 12
        hend = 12 + hlen
        while hp < hend:
            nl = frame[hp]
            name = frame[hp + 1:hp + 1 + nl].decode()
            hp += 1 + nl
            typ = frame[hp]
            if typ != 7:
                raise FrameError('header %s has type %d, S3 uses only strings (7)' % (name, typ))
            (vl,) = struct.unpack('>H', frame[hp + 1:hp + 3])
            val = frame[hp + 3:hp + 3 + vl].decode()
            hp += 3 + vl
            if name in hdrs:
                raise FrameError('duplicate header %s' % name)
            hdrs[name] = val
        if hp != hend:
            raise FrameError('headers overrun at %d' % pos)
        out.append((hdrs, frame[hend:-4], frame))
        pos += total
    return out


def check_select_stream(frames):
    """Validate the S3 Select sequence; returns (records bytes, kinds list, stats xml or None,
    error (code, message) or None)."""
    records = b''
    kinds = []
    stats = None
    error = None
    for i, (h, p, _) in enumerate(frames):
        mt = h.get(':message-type')
        if mt == 'error':
            if set(h) != {':message-type', ':error-code', ':error-message'} or p:
                raise FrameError('malformed error message %r' % h)
            if i != len(frames) - 1:
                raise FrameError('error message is not the last one')
            error = (h[':error-code'], h[':error-message'])
            kinds.append('error')
            continue
        if mt != 'event':
            raise FrameError('unknown :message-type %r' % mt)
        et = h.get(':event-type')
        kinds.append(et)
        if et == 'Records':
            if h.get(':content-type') != 'application/octet-stream' or len(h) != 3:
                raise FrameError('bad Records headers %r' % h)
            if not p or len(p) > 65536:
                raise FrameError('Records payload of %d bytes' % len(p))
            records += p
        elif et in ('Stats', 'Progress'):
            if h.get(':content-type') != 'text/xml' or len(h) != 3:
                raise FrameError('bad %s headers %r' % (et, h))
            if et == 'Stats':
                stats = p.decode()
        elif et in ('Cont', 'End'):
            if len(h) != 2 or p:
                raise FrameError('%s must have exactly two headers and no payload' % et)
        else:
            raise FrameError('unknown event type %r' % et)
    if error is None:
        if kinds[-2:] != ['Stats', 'End'] or kinds.count('End') != 1 or kinds.count('Stats') != 1:
            raise FrameError('a successful stream must end with Stats, End: %r' % kinds[-5:])
    elif 'Stats' in kinds or 'End' in kinds:
        raise FrameError('a failed stream carries no Stats or End')
    return records, kinds, stats, error

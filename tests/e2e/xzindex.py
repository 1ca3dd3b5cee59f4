# xzindex.py — rewrite the index of the last stream of an .xz file (for t_splits_bx.sh):
# an index that lies about its blocks, yet is well formed (its CRC32, size and the footer's
# backward size and CRC32 recomputed), so liblzma's own index check passes and only a
# comparison with the blocks can tell.  Written from the .xz format specification (1.1.0,
# sections 2.1.2.2 and 4), not from pluck's code.
#   python3 xzindex.py IN OUT usize I J D   record I's uncompressed size + D, record J's - D
#   python3 xzindex.py IN OUT unpadded I J  records I and J swap their unpadded sizes
#   python3 xzindex.py IN OUT merge I       records I and I+1 become one (the blocks stay)
#   python3 xzindex.py IN OUT list          print the records (unpadded uncompressed)
import struct
import sys
import zlib


def vli_read(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def vli(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


data = open(sys.argv[1], "rb").read()
end = len(data)
while data[end - 4:end] == b"\0\0\0\0":
    end -= 4
foot = data[end - 12:end]
assert foot[10:12] == b"YZ", "no xz stream footer"
isize = (struct.unpack("<I", foot[4:8])[0] + 1) * 4
iat = end - 12 - isize
idx = data[iat:end - 12]
assert idx[0] == 0 and zlib.crc32(idx[:-4]) == struct.unpack("<I", idx[-4:])[0]
n, i = vli_read(idx, 1)
recs = []
for _ in range(n):
    u, i = vli_read(idx, i)
    s, i = vli_read(idx, i)
    recs.append([u, s])
op = sys.argv[3]
if op == "list":
    for u, s in recs:
        print(u, s)
    sys.exit(0)
a = int(sys.argv[4])
b = int(sys.argv[5]) if len(sys.argv) > 5 else a + 1
if op == "merge":
    recs[a] = [(recs[a][0] + 3) // 4 * 4 + recs[b][0], recs[a][1] + recs[b][1]]
    del recs[b]
    n -= 1
elif op == "usize":
    d = int(sys.argv[6])
    recs[a][1] += d
    recs[b][1] -= d
elif op == "unpadded":
    recs[a][0], recs[b][0] = recs[b][0], recs[a][0]
new = bytearray(b"\0" + vli(n))
for u, s in recs:
    new += vli(u) + vli(s)
new += b"\0" * (-len(new) % 4)
new += struct.pack("<I", zlib.crc32(new))
body = struct.pack("<I", len(new) // 4 - 1) + foot[8:10]
with open(sys.argv[2], "wb") as f:
    f.write(data[:iat] + new + struct.pack("<I", zlib.crc32(body)) + body + b"YZ" + data[end:])

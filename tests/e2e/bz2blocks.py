# bz2blocks.py — rebuild a one-stream .bz2 file from its blocks in another order (for
# t_splits_bx.sh): blocks swapped, repeated or left out, each block intact (its own CRC
# holds) so only the stream's combined CRC can tell.  Written from the bzip2 format (a
# "BZh" + level header, blocks each opening with the 48-bit magic 0x314159265359 and their
# 32-bit CRC, an end record 0x177245385090 + the combined CRC, crc = rotl1(crc) ^ block_crc,
# bit-aligned), not from pluck's code.  Every block magic in IN is taken as a block start
# (a false one in ordinary data is a 1 in 2^48 chance per bit; `count` lets the caller check
# the number against the blocks bzip2 reports).
#   python3 bz2blocks.py IN count              print the number of blocks
#   python3 bz2blocks.py IN OUT 0,2,1,3 [fix]  blocks in that order; `fix`: a combined CRC
#                                              that matches them (a valid file)
import sys

BLOCK, END = 0x314159265359, 0x177245385090
data = open(sys.argv[1], "rb").read()
assert data[:3] == b"BZh"
nbits = len(data) * 8
big = int.from_bytes(data, "big")


def bits(at, n):
    return (big >> (nbits - at - n)) & ((1 << n) - 1)


s = bin(big)[2:].zfill(nbits)  # the file as a string of bits, to search
bpat, epat = format(BLOCK, "048b"), format(END, "048b")
end = s.find(epat, 32)
starts, at = [], 32
while True:
    at = s.find(bpat, at)
    if at < 0 or (end >= 0 and at > end):
        break
    starts.append(at)
    at += 1
end = end if end >= 0 else None
assert end is not None, "one stream, with its end record, is expected"
if sys.argv[2] == "count":
    print(len(starts))
    sys.exit(0)
bounds = starts + [end]
blocks = [(bounds[i], bounds[i + 1]) for i in range(len(starts))]
order = [int(x) for x in sys.argv[3].split(",")]
out_bits, out_len = int.from_bytes(data[:4], "big"), 32
crc = 0
for i in order:
    a, b = blocks[i]
    out_bits = out_bits << (b - a) | bits(a, b - a)
    out_len += b - a
    bcrc = bits(a + 48, 32)
    crc = ((crc << 1 | crc >> 31) & 0xFFFFFFFF) ^ bcrc
stored = crc if len(sys.argv) > 4 and sys.argv[4] == "fix" else bits(end + 48, 32)
out_bits = (out_bits << 80) | END << 32 | stored
out_len += 80
pad = -out_len % 8
out_bits <<= pad
out_len += pad
with open(sys.argv[2], "wb") as f:
    f.write(out_bits.to_bytes(out_len // 8, "big"))

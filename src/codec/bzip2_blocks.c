/*
 * bzip2_blocks.c — bzip2 decoded block by block from any block start: the decoder of bzip2
 * splits (source/splits.c), and the search for the split points.
 *
 * A bzip2 stream is "BZh" + a level digit, blocks, and an end-of-stream record; each block
 * and the end record begin with a 48-bit magic (0x314159265359 for a block, 0x177245385090
 * for the end), neither aligned to a byte.  A block carries the CRC of its own data.  libbz2
 * only decodes whole streams, so one block at bit p, ending where the next magic begins at
 * bit e, is decoded as a stream of its own: the header, the bits [p, e) shifted to a byte
 * boundary, the end magic and, as the stream's combined CRC, the block's CRC (the combined
 * CRC of a one-block stream is that block's CRC).
 *
 * The magics can also occur by chance inside compressed data (false positives).  They never
 * change what is decoded: from a true block start, the candidates after it (every block or
 * end magic, bit by bit) are tried in order, and the first with which the one-block stream
 * decodes completely with a matching CRC is the block's true end -- a candidate before the
 * true end leaves the block without its last bits, so the stream cannot end there; libbz2
 * reads on into the appended end magic and runs out of input.  So from a true start the
 * chain of blocks is exactly the stream's, and a false candidate costs one failed attempt.
 * Split points are block starts verified the same way (the block there decodes completely
 * with its CRC and ends at a candidate), so a false one would need random bits to form a
 * valid block whose 32-bit CRC matches.
 *
 * The stream's combined CRC (a checksum of its block CRCs, crc = rotl1(crc) ^ block_crc) is
 * what tells a block missing, repeated or out of order, each intact.  A split decoder folds
 * the CRCs of the blocks that begin in its own bytes and checks every stream end there whose
 * blocks it saw from the stream's header; for the stream it starts inside, it reports the
 * fold, how many blocks, and that stream's end record if it holds it (pl_bz2_chain), and the
 * committer, which knows the splits before it, checks (commit/lanes.c).  From a split inside
 * a stream the level digit is not known either (blocks are allowed the largest size, level
 * 9).  A block is handed out only once its CRC matched, so a damaged block gives none of its
 * bytes: up to HOLD bytes it is held; a longer one (run-length data makes up to ~46 MB of a
 * 900 kB block) is decoded once to check it, its bytes thrown away, then again in pieces.
 */
#include "codec/bzip2_blocks.h"
#include "codec/codec_impl.h"

#include <bzlib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_MAGIC 0x314159265359ull
#define END_MAGIC 0x177245385090ull
#define MASK48 0xFFFFFFFFFFFFull

/* The most compressed bytes one block can take (level 9: 900 kB of input at up to 20 bits
 * a symbol, plus its tables): farther than this from a block start no candidate is its end. */
#define MAX_BLOCK_BYTES (900000u * 5 / 2 + 64 * 1024)

/* ---- bits -------------------------------------------------------------------------------- */

/* n <= 57 bits at bit `at` of p (MSB first); the caller makes sure they are there. */
static uint64_t get_bits(const unsigned char *p, size_t len, uint64_t at, unsigned n)
{
    uint64_t w = 0;
    size_t i = (size_t)(at / 8);
    for (unsigned k = 0; k < 8; k++)
        w = w << 8 | (i + k < len ? p[i + k] : 0);
    return (w << (at % 8)) >> (64 - n);
}

uint64_t pl_bz2_next_magic(const unsigned char *p, size_t len, uint64_t from, bool block_only,
                           bool *is_end)
{
    uint64_t avail = (uint64_t)len * 8;
    if (avail < 48 || from > avail - 48)
        return UINT64_MAX;
    size_t i = (size_t)(from / 8);
    uint64_t w = 0;
    for (unsigned k = 0; k < 8; k++)
        w = w << 8 | (i + k < len ? p[i + k] : 0);
    for (;; i++) {
        for (unsigned s = 0; s < 8; s++) {
            uint64_t q = (uint64_t)i * 8 + s;
            if (q < from)
                continue;
            if (q + 48 > avail)
                return UINT64_MAX;
            uint64_t v = (w >> (16 - s)) & MASK48;
            if (v == BLOCK_MAGIC || (!block_only && v == END_MAGIC)) {
                if (is_end)
                    *is_end = v == END_MAGIC;
                return q;
            }
        }
        w = w << 8 | (i + 8 < len ? p[i + 8] : 0);
    }
}

/* Append the n bits at bit `at` of src to dst at bit position *pos (dst zeroed, big enough). */
static void put_src_bits(unsigned char *dst, uint64_t *pos, const unsigned char *src,
                         size_t srclen, uint64_t at, uint64_t n)
{
    /* *pos is a multiple of 8 here (after the 32-bit header): whole bytes, shifted */
    size_t o = (size_t)(*pos / 8);
    uint64_t full = n / 8;
    unsigned r = (unsigned)(at % 8);
    size_t i = (size_t)(at / 8);
    for (uint64_t k = 0; k < full; k++, i++) {
        unsigned hi = src[i], lo = i + 1 < srclen ? src[i + 1] : 0;
        dst[o + k] = (unsigned char)(r ? (hi << r | lo >> (8 - r)) : hi);
    }
    unsigned rest = (unsigned)(n % 8);
    if (rest) {
        unsigned v = (unsigned)get_bits(src, srclen, at + full * 8, rest);
        dst[o + full] = (unsigned char)(v << (8 - rest));
    }
    *pos += n;
}

static void put_value(unsigned char *dst, uint64_t *pos, uint64_t v, unsigned n)
{
    for (unsigned k = n; k-- > 0; (*pos)++)
        if (v >> k & 1)
            dst[*pos / 8] |= (unsigned char)(0x80u >> (*pos % 8));
}

/* ---- one block --------------------------------------------------------------------------- */

#define SINK_SIZE (64 * 1024)

static void close_block(pl_bz2_scratch *s)
{
    if (s->z) {
        BZ2_bzDecompressEnd(s->z);
        free(s->z);
        s->z = NULL;
    }
}

pl_bz2_result pl_bz2_open(const unsigned char *p, size_t len, uint64_t at, uint64_t end,
                          int level, pl_bz2_scratch *s)
{
    close_block(s);
    uint64_t nbits = end - at;
    size_t need = 4 + (size_t)(nbits / 8) + 1 + 10 + 1;
    if (!pl_grow(&s->synth, &s->cap, need, 1))
        return PL_BZ2_NOMEM;
    unsigned char *d = s->synth;
    memset(d, 0, need);
    d[0] = 'B', d[1] = 'Z', d[2] = 'h', d[3] = (unsigned char)('0' + level);
    uint64_t pos = 32;
    put_src_bits(d, &pos, p, len, at, nbits);
    put_value(d, &pos, END_MAGIC, 48);
    put_value(d, &pos, get_bits(p, len, at + 48, 32), 32); /* the block's CRC */
    bz_stream *z = calloc(1, sizeof *z);
    if (!z)
        return PL_BZ2_NOMEM;
    int ret = BZ2_bzDecompressInit(z, 0, 0);
    if (ret != BZ_OK) {
        free(z);
        return ret == BZ_MEM_ERROR ? PL_BZ2_NOMEM : PL_BZ2_BAD;
    }
    z->next_in = (char *)s->synth;
    z->avail_in = (unsigned)((pos + 7) / 8);
    s->z = z;
    return PL_BZ2_OK;
}

pl_bz2_result pl_bz2_read(pl_bz2_scratch *s, unsigned char *out, size_t cap, size_t *made,
                          bool *end)
{
    bz_stream *z = s->z;
    size_t room = pl_codec_clamp32(cap);
    *made = 0;
    *end = false;
    if (!z)
        return PL_BZ2_BAD;
    z->next_out = (char *)out;
    z->avail_out = (unsigned)room;
    int ret = BZ2_bzDecompress(z);
    *made = room - z->avail_out;
    pl_bz2_result res = PL_BZ2_OK;
    if (ret == BZ_STREAM_END) {
        *end = true;
        if (z->avail_in != 0)
            res = PL_BZ2_BAD;
    } else if (ret == BZ_MEM_ERROR) {
        res = PL_BZ2_NOMEM;
    } else if (ret != BZ_OK || (z->avail_in == 0 && z->avail_out != 0)) {
        res = PL_BZ2_BAD; /* an error, or it wants more than the block: not its end */
    }
    if (*end || res != PL_BZ2_OK)
        close_block(s);
    return res;
}

pl_bz2_result pl_bz2_block(const unsigned char *p, size_t len, uint64_t at, uint64_t end,
                           int level, pl_bz2_scratch *s, pl_buf *out, size_t hold)
{
    if (!s->sink && !(s->sink = malloc(SINK_SIZE)))
        return PL_BZ2_NOMEM;
    pl_bz2_result res = pl_bz2_open(p, len, at, end, level, s);
    bool held = out != NULL; /* all its bytes so far are in out */
    if (out)
        out->len = 0;
    while (res == PL_BZ2_OK) {
        unsigned char *to = s->sink;
        size_t room = SINK_SIZE, made;
        if (held && out->len < hold) {
            /* at most to `hold`: one byte more tells it is longer */
            size_t want = hold - out->len + 1 < 256 * 1024 ? hold - out->len + 1 : 256 * 1024;
            if (!pl_buf_reserve(out, want)) {
                res = PL_BZ2_NOMEM;
                break;
            }
            to = (unsigned char *)out->data + out->len;
            room = want;
        } else if (held) {
            held = false; /* longer than hold: decoded only to verify it */
            out->len = 0;
        }
        bool done;
        res = pl_bz2_read(s, to, room, &made, &done);
        if (held && to != s->sink)
            out->len += made;
        if (done || res != PL_BZ2_OK)
            break;
    }
    close_block(s);
    if (res == PL_BZ2_OK && out && (!held || out->len > hold)) {
        out->len = 0;
        res = PL_BZ2_LONG;
    }
    return res;
}

void pl_bz2_scratch_free(pl_bz2_scratch *s)
{
    close_block(s);
    free(s->synth);
    free(s->sink);
}

static uint32_t rotl(uint32_t crc, uint32_t n)
{
    n %= 32;
    return n ? crc << n | crc >> (32 - n) : crc;
}

bool pl_bz2_chain_next(uint32_t *crc, const pl_bz2_chain *ch)
{
    if (ch->ended && (rotl(*crc, ch->k) ^ ch->fold) != ch->stored)
        return false;
    *crc = ch->out_known ? ch->out : rotl(*crc, ch->n) ^ ch->out;
    return true;
}

/* ---- split points ------------------------------------------------------------------------ */

typedef struct span {
    int fd;
    uint64_t end; /* the file's size */
    uint64_t at;  /* file offset of buf[0] */
    unsigned char *buf;
    size_t len, cap;
} span;

/* Make buf hold the file from `at` for at least n bytes (less at the end of the file). */
static bool span_read(span *sp, uint64_t at, size_t n)
{
    if (at + n > sp->end)
        n = (size_t)(sp->end - at);
    if (at == sp->at && sp->len >= n)
        return true;
    if (!pl_grow(&sp->buf, &sp->cap, n, 1))
        return false;
    size_t have = at == sp->at ? sp->len : 0;
    while (have < n) {
        ssize_t got = pread(sp->fd, sp->buf + have, n - have, (off_t)(at + have));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        have += (size_t)got;
    }
    sp->at = at;
    sp->len = have;
    return true;
}

/* The first verified block start at or after file offset `from` and before `limit`, as a
 * bit offset in the file; UINT64_MAX when there is none. */
static uint64_t verified_start(span *sp, uint64_t from, uint64_t limit, int level,
                               pl_bz2_scratch *s, bool *oom)
{
    size_t want = 1u << 20;
    uint64_t q = 0; /* bit offset within buf */
    if (!span_read(sp, from, want))
        return *oom = true, UINT64_MAX;
    for (;;) {
        q = pl_bz2_next_magic(sp->buf, sp->len, q, true, NULL);
        if (q == UINT64_MAX)
            return UINT64_MAX; /* no block start in what was read: no split point here */
        if (sp->at + q / 8 >= limit)
            return UINT64_MAX;
        /* verify: try the candidates after it until one ends the block */
        uint64_t c = q + 48 + 32;
        for (;;) {
            c = pl_bz2_next_magic(sp->buf, sp->len, c, false, NULL);
            if (c == UINT64_MAX && sp->at + sp->len < sp->end &&
                sp->len < MAX_BLOCK_BYTES + (q / 8) + 16) {
                /* read farther (the candidate offsets stay valid: buf starts at `from`) */
                uint64_t had = (uint64_t)sp->len * 8;
                want = sp->len * 2;
                if (!span_read(sp, from, want))
                    return *oom = true, UINT64_MAX;
                c = had >= 47 ? had - 47 : 0;
                continue;
            }
            if (c == UINT64_MAX || c - q > (uint64_t)MAX_BLOCK_BYTES * 8)
                break;
            pl_bz2_result r = pl_bz2_block(sp->buf, sp->len, q, c, level, s, NULL, 0);
            if (r == PL_BZ2_NOMEM)
                return *oom = true, UINT64_MAX;
            if (r == PL_BZ2_OK)
                return (sp->at * 8) + q;
            c++;
        }
        q++;
    }
}

pluck_code pl_bz2_split_points(int fd, uint64_t start, uint64_t end, uint64_t target,
                               uint64_t **offs, size_t *n)
{
    *offs = NULL;
    *n = 0;
    span sp = {.fd = fd, .end = end, .at = UINT64_MAX};
    pl_bz2_scratch s = {0};
    size_t cap = 0;
    bool oom = false;
    int level = 9;
    unsigned char h[4];
    if (pread(fd, h, 4, (off_t)start) == 4 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' &&
        h[3] >= '1' && h[3] <= '9')
        level = h[3] - '0';
    for (uint64_t t = start + target; t < end && !oom; t += target) {
        uint64_t b = verified_start(&sp, t, t + target, level, &s, &oom);
        if (b == UINT64_MAX)
            continue;
        uint64_t off = b / 8;
        if (*n && (*offs)[*n - 1] >= off)
            continue;
        if (!pl_grow(offs, &cap, *n + 1, sizeof **offs)) {
            oom = true;
            break;
        }
        (*offs)[(*n)++] = off;
        t = off; /* the next search starts a target after this point */
    }
    free(sp.buf);
    pl_bz2_scratch_free(&s);
    if (oom) {
        free(*offs);
        *offs = NULL;
        *n = 0;
        return PLUCK_E_OUT_OF_MEMORY;
    }
    return PLUCK_OK;
}

/* ---- the split decoder: a pl_codec backend ------------------------------------------------ */

/* A block's bytes are held (so a block that fails its CRC gives none) up to HOLD; a longer
 * one (run-length data: up to ~46 MB from 900 kB) is verified first, its bytes thrown away,
 * then decoded again and handed out in pieces, so memory stays flat. */
#define HOLD (2u << 20)

typedef enum { B_START, B_MAGIC, B_BLOCK, B_STREAM, B_GAP } bphase;

typedef struct bzb_state {
    unsigned char *in; /* compressed bytes from the current position on */
    size_t len, cap;
    uint64_t in_at;    /* compressed offset of in[0] */
    uint64_t p;        /* bit offset in `in` of the position */
    uint64_t tried;    /* B_BLOCK: candidates before this bit failed */
    bool tried_one;    /* B_BLOCK: one did (the block's end was there, it did not fit) */
    uint64_t next;     /* B_STREAM: where the block being handed out ends */
    int level;
    bphase phase;
    pl_bz2_scratch scratch;
    pl_buf out;        /* the last block's bytes */
    size_t sent;
    /* the combined CRCs (pl_codec_bzip2_blocks_chain) */
    uint64_t own_end;  /* file bit offset where the decoder's own bytes end */
    pl_bz2_chain *ch;
    pl_bz2_chain local; /* ch when the caller gave none */
    bool known;        /* crc is the combination of the stream's blocks so far */
    uint32_t crc;      /* else: of those since the split's start */
    uint32_t block_crc; /* the CRC of the block being decoded */
} bzb_state;

static pluck_code bzb_corrupt(pl_codec *c, const bzb_state *b)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: bzip2 data is corrupt (bad block data "
                         "or CRC) at compressed offset %llu.",
                         (unsigned long long)(b->in_at + b->p / 8));
}

static pluck_code bzb_truncated(pl_codec *c, const bzb_state *b)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of bzip2 data at "
                         "compressed offset %llu (the last stream is incomplete).",
                         (unsigned long long)(b->in_at + b->len));
}

static pluck_code bzb_nomem(pl_codec *c)
{
    return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
                         "Object decompression failed: out of memory in the bzip2 decoder.");
}

/* Drop the bytes before the position's byte. */
static void bzb_compact(bzb_state *b)
{
    size_t drop = (size_t)(b->p / 8);
    if (drop < 64 * 1024)
        return;
    memmove(b->in, b->in + drop, b->len - drop);
    b->len -= drop;
    b->in_at += drop;
    b->p -= (uint64_t)drop * 8;
    b->tried -= (uint64_t)drop * 8;
    b->next -= b->phase == B_STREAM ? (uint64_t)drop * 8 : 0;
}

static bool is_header(const unsigned char *h)
{
    return h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' && h[3] <= '9';
}

/* The position is a block or end-of-stream magic (or the end of the input) in the decoder's
 * own bytes: false once past them. */
static bool bzb_own(bzb_state *b)
{
    if (b->in_at * 8 + b->p < b->own_end)
        return true;
    b->ch->complete = true;
    return false;
}

/* A stream header: its blocks are all ahead. */
static void bzb_stream_start(bzb_state *b)
{
    if (b->in_at * 8 + b->p < b->own_end) {
        b->known = true;
        b->crc = 0;
    }
}

/* A block of the decoder's own whose CRC matched. */
static void bzb_block_done(bzb_state *b)
{
    b->crc = (b->crc << 1 | b->crc >> 31) ^ b->block_crc;
    if (!b->known)
        b->ch->n++;
    b->ch->out_known = b->known;
    b->ch->out = b->crc;
}

/* An end-of-stream record of the decoder's own, whose combined CRC is `stored`. */
static pluck_code bzb_stream_end(pl_codec *c, bzb_state *b, uint32_t stored)
{
    pl_bz2_chain *ch = b->ch;
    if (b->known && b->crc != stored)
        return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                             "Object decompression failed: bzip2 data is corrupt (the "
                             "stream's combined CRC does not match its blocks: one is "
                             "missing, repeated or out of order) at compressed offset %llu.",
                             (unsigned long long)(b->in_at + b->p / 8));
    if (!b->known) { /* its blocks before the split are the committer's to know */
        ch->ended = true;
        ch->k = ch->n;
        ch->fold = b->crc;
        ch->stored = stored;
    }
    b->known = true; /* the next stream's blocks are all ahead */
    b->crc = 0;
    ch->out_known = true;
    ch->out = 0;
    return PLUCK_OK;
}

/* Advance by one block or one structural step.  *wait: more input is needed. */
static pluck_code bzb_advance(pl_codec *c, bzb_state *b, bool *wait)
{
    const bool done = c->input_done;
    uint64_t avail = (uint64_t)b->len * 8;
    switch (b->phase) {
    case B_START:
        if (b->len < 4 && !done)
            return *wait = true, PLUCK_OK;
        if (b->len >= 4 && is_header(b->in)) {
            b->level = b->in[3] - '0';
            bzb_stream_start(b);
            b->p = 32;
            b->phase = B_MAGIC;
            return PLUCK_OK;
        }
        if (b->len < 7 && !done)
            return *wait = true, PLUCK_OK;
        /* a split inside a stream: the block magic begins in the first byte */
        b->p = pl_bz2_next_magic(b->in, b->len < 7 ? b->len : 7, 0, true, NULL);
        if (b->p == UINT64_MAX) {
            b->p = 0;
            return bzb_corrupt(c, b);
        }
        b->level = 9;
        b->phase = B_MAGIC;
        return PLUCK_OK;
    case B_MAGIC:
        bzb_own(b);
        if (b->p + 80 > avail) {
            if (done)
                return bzb_truncated(c, b);
            return *wait = true, PLUCK_OK;
        }
        switch (get_bits(b->in, b->len, b->p, 48)) {
        case BLOCK_MAGIC:
            b->phase = B_BLOCK;
            b->tried = b->p + 80;
            b->block_crc = (uint32_t)get_bits(b->in, b->len, b->p + 48, 32);
            return PLUCK_OK;
        case END_MAGIC:
            if (bzb_own(b))
                PL_FORWARD_IF_ERROR(
                    bzb_stream_end(c, b, (uint32_t)get_bits(b->in, b->len, b->p + 48, 32)));
            b->p = (b->p + 80 + 7) / 8 * 8;
            b->phase = B_GAP;
            return PLUCK_OK;
        default:
            return bzb_corrupt(c, b);
        }
    case B_BLOCK:
        for (;;) {
            uint64_t e = pl_bz2_next_magic(b->in, b->len, b->tried, false, NULL);
            if (e != UINT64_MAX && e - b->p > (uint64_t)MAX_BLOCK_BYTES * 8)
                return bzb_corrupt(c, b);
            if (e == UINT64_MAX) {
                /* at the end of the input: cut short, unless an end was there to try */
                if (done && !b->tried_one)
                    return bzb_truncated(c, b);
                if (done || avail - b->p > (uint64_t)MAX_BLOCK_BYTES * 8)
                    return bzb_corrupt(c, b);
                if (avail >= 47 && avail - 47 > b->tried)
                    b->tried = avail - 47;
                return *wait = true, PLUCK_OK;
            }
            pl_bz2_result r = pl_bz2_block(b->in, b->len, b->p, e, b->level, &b->scratch,
                                           &b->out, HOLD);
            if (r == PL_BZ2_NOMEM)
                return bzb_nomem(c);
            if (r == PL_BZ2_OK || r == PL_BZ2_LONG) {
                if (bzb_own(b))
                    bzb_block_done(b);
                b->sent = 0;
                b->tried_one = false;
                if (r == PL_BZ2_LONG) { /* verified: now its bytes, piece by piece */
                    r = pl_bz2_open(b->in, b->len, b->p, e, b->level, &b->scratch);
                    if (r != PL_BZ2_OK)
                        return r == PL_BZ2_NOMEM ? bzb_nomem(c) : bzb_corrupt(c, b);
                    b->next = e;
                    b->phase = B_STREAM;
                    return PLUCK_OK;
                }
                b->p = e;
                b->phase = B_MAGIC;
                return PLUCK_OK;
            }
            b->out.len = 0;
            b->tried = e + 1; /* not the end: a magic by chance inside the block */
            b->tried_one = true;
        }
    case B_STREAM:
        return PLUCK_OK; /* bzb_step hands the bytes out */
    case B_GAP:
        if (b->p == avail) { /* the end of the input here is the end of the last stream */
            bzb_own(b);
            *wait = true;
            return PLUCK_OK;
        }
        if (b->p + 32 > avail && !done)
            return *wait = true, PLUCK_OK;
        if (b->p + 32 > avail || !is_header(b->in + b->p / 8)) {
            if (b->p + 32 > avail && !memcmp(b->in + b->p / 8, "BZh", (size_t)(b->len - b->p / 8)))
                return bzb_truncated(c, b);
            return pl_codec_trailing_garbage(c, "bzip2 stream", b->in_at + b->p / 8);
        }
        b->level = b->in[b->p / 8 + 3] - '0';
        bzb_stream_start(b);
        b->p += 32;
        b->phase = B_MAGIC;
        return PLUCK_OK;
    }
    return PLUCK_OK;
}

static pluck_code bzb_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                           unsigned char **out, size_t *out_cap, bool *stalled)
{
    bzb_state *b = c->state;
    if (b->sent < b->out.len) {
        pl_codec_hand_out((const unsigned char *)b->out.data, b->out.len, &b->sent, out,
                          out_cap);
        return PLUCK_OK;
    }
    if (b->phase == B_STREAM) {
        size_t made;
        bool end;
        pl_bz2_result r = pl_bz2_read(&b->scratch, *out, *out_cap, &made, &end);
        *out += made;
        *out_cap -= made;
        if (r != PL_BZ2_OK)
            return r == PL_BZ2_NOMEM ? bzb_nomem(c) : bzb_corrupt(c, b);
        if (end) {
            b->p = b->next;
            b->phase = B_MAGIC;
        }
        return PLUCK_OK;
    }
    if (*in_len) {
        bzb_compact(b);
        PL_RETURN_ERROR_IF(!pl_grow(&b->in, &b->cap, b->len + *in_len, 1), &c->err,
                           PLUCK_E_OUT_OF_MEMORY,
                           "Object decompression failed: out of memory in the bzip2 decoder.");
        pl_codec_take_in(b->in, &b->len, *in_len, in, in_len);
    }
    bool wait = false;
    do /* structural steps make no output: go on to the next block's bytes or a stall */
        PL_FORWARD_IF_ERROR(bzb_advance(c, b, &wait));
    while (!wait && b->sent == b->out.len && b->phase != B_STREAM);
    if (wait)
        *stalled = true;
    return PLUCK_OK;
}

static pluck_code bzb_finish(pl_codec *c)
{
    bzb_state *b = c->state;
    if (b->phase == B_GAP && b->p == (uint64_t)b->len * 8)
        return PLUCK_OK;
    return bzb_truncated(c, b);
}

static void bzb_destroy(pl_codec *c)
{
    bzb_state *b = c->state;
    if (!b)
        return;
    free(b->in);
    pl_bz2_scratch_free(&b->scratch);
    pl_buf_free(&b->out);
    free(b);
    c->state = NULL;
}

static const pl_codec_ops bzb_ops = {bzb_step, bzb_finish, bzb_destroy};

pluck_code pl_codec_bzip2_blocks(pl_codec *c)
{
    bzb_state *b = calloc(1, sizeof *b);
    if (!b)
        return PLUCK_E_OUT_OF_MEMORY;
    c->ops->destroy(c);
    c->ops = &bzb_ops;
    c->state = b;
    b->in_at = c->in_total; /* messages give file offsets */
    b->own_end = UINT64_MAX;
    b->ch = &b->local;
    return PLUCK_OK;
}

void pl_codec_bzip2_blocks_chain(pl_codec *c, uint64_t own_end, pl_bz2_chain *ch)
{
    if (c->ops != &bzb_ops)
        return; /* the block decoder could not be made: the codec has failed */
    bzb_state *b = c->state;
    b->own_end = own_end < UINT64_MAX / 8 ? own_end * 8 : UINT64_MAX;
    if (ch) {
        b->ch = ch;
        b->known = ch->known;
        b->crc = ch->known ? ch->crc : 0;
        ch->complete = ch->ended = false;
        ch->k = ch->fold = ch->stored = ch->n = 0;
        ch->out_known = ch->known;
        ch->out = b->crc;
    }
}

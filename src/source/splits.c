/*
 * splits.c — split points of BGZF and multi-frame zstd files, and the scan of one split
 * (see splits.h).
 */
#include "source/splits.h"
#include "codec/bzip2_blocks.h"
#include "codec/xz_blocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* ---- reading headers: a small cache over pread() ------------------------------------------ */

typedef struct rd_cache {
    int fd;
    uint64_t end;
    uint64_t at; /* file offset of buf[0] */
    size_t len;
    unsigned char buf[64 * 1024];
} rd_cache;

/* n (<= 64) bytes at off into out; false when the file ends first or reading fails. */
static bool rd(rd_cache *c, uint64_t off, void *out, size_t n)
{
    if (off + n > c->end)
        return false;
    if (off < c->at || off + n > c->at + c->len) {
        size_t want = sizeof c->buf;
        if (want > c->end - off)
            want = (size_t)(c->end - off);
        ssize_t got;
        do
            got = pread(c->fd, c->buf, want, (off_t)off);
        while (got < 0 && errno == EINTR);
        if (got < (ssize_t)n)
            return false;
        c->at = off;
        c->len = (size_t)got;
    }
    memcpy(out, c->buf + (off - c->at), n);
    return true;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- units (a member, a frame) grouped into splits -------------------------------------- */

typedef struct grouper {
    pluck_split *v;
    size_t n, cap;
    uint64_t target;
} grouper;

/* A unit starts at off: it begins a new split when the current one is big enough. */
static bool unit_at(grouper *g, uint64_t off)
{
    if (g->n && off - g->v[g->n - 1].offset < g->target)
        return true;
    if (!pl_grow(&g->v, &g->cap, g->n + 1, sizeof *g->v))
        return false;
    g->v[g->n++] = (pluck_split){.offset = off};
    return true;
}

/* BGZF: each member's FEXTRA holds a `BC` subfield with its size - 1.  Returns the member's
 * size, or 0 when the member at off is not BGZF (or the file ends). */
static uint64_t bgzf_member(rd_cache *c, uint64_t off)
{
    unsigned char h[12];
    if (!rd(c, off, h, sizeof h) || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || !(h[3] & 4))
        return 0;
    unsigned xlen = h[10] | (unsigned)h[11] << 8;
    unsigned char x[64];
    if (xlen > sizeof x || !rd(c, off + 12, x, xlen))
        return 0;
    for (unsigned i = 0; i + 4 <= xlen;) {
        unsigned slen = x[i + 2] | (unsigned)x[i + 3] << 8;
        if (x[i] == 'B' && x[i + 1] == 'C' && slen == 2 && i + 6 <= xlen)
            return (uint64_t)(x[i + 4] | (unsigned)x[i + 5] << 8) + 1;
        i += 4 + slen;
    }
    return 0;
}

static void walk_bgzf(rd_cache *c, grouper *g, uint64_t off, bool *ok)
{
    while (off < c->end) {
        uint64_t m = bgzf_member(c, off);
        if (!m)
            return; /* not BGZF from here on: the last split runs to the end */
        if (!(*ok = unit_at(g, off)))
            return;
        off += m;
    }
}

/* A gzip index: its checkpoints (both gzip backends resume inside a member). */
static void walk_gzindex(const pluck_index *ix, grouper *g, uint64_t start, bool *ok)
{
    for (size_t i = 0; i < ix->n && *ok; i++) {
        uint64_t at = pl_gzpoint_split_at(&ix->pt[i]);
        if (at >= start)
            *ok = unit_at(g, at);
    }
}

/* ---- members of any multi-member gzip, by search ---------------------------------------------
 *
 * Nothing in a gzip member says where the next begins, and its header's first bytes
 * (1f 8b 08) occur inside deflate data too, so a place that looks like a member start is only
 * a candidate.  It must have a well-formed header (no reserved flag, XFL 0, 2 or 4, a known
 * OS, its optional fields inside the file) and deflate data that decodes without a window
 * for 32 KiB or to its end.  Even a candidate that passes can be a lie: a gzip file stored
 * inside another's data is a valid member.  So the split before it checks that its own bytes
 * end exactly where a member ends, and if not decodes on to the end of the file
 * (pl_split_job.extended): a false candidate costs time, never changes the answer.
 * Candidates are searched for from every `target` bytes on, so a file is read only
 * between the place searching starts and the next member start. */

#define SPEC_OUT (32 * 1024)

/* The header at off: its length (deflate data follows), or 0 when it is not well formed. */
static uint64_t gz_header_len(rd_cache *c, uint64_t off)
{
    unsigned char h[10];
    if (!rd(c, off, h, 10) || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || (h[3] & 0xe0) ||
        (h[8] != 0 && h[8] != 2 && h[8] != 4) || (h[9] > 13 && h[9] != 255))
        return 0;
    uint64_t p = off + 10;
    if (h[3] & 4) { /* FEXTRA */
        unsigned char x[2];
        if (!rd(c, p, x, 2))
            return 0;
        p += 2 + (unsigned)(x[0] | x[1] << 8);
    }
    for (unsigned f = 8; f <= 16; f <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (!(h[3] & f))
            continue;
        unsigned char b = 1;
        for (unsigned i = 0; i < 1024 && b; i++, p++)
            if (!rd(c, p, &b, 1))
                return 0;
        if (b)
            return 0;
    }
    if (h[3] & 2)
        p += 2; /* FHCRC */
    return p < c->end ? p - off : 0;
}

/* Deflate data at off decodes without a window: SPEC_OUT bytes, or to its end. */
static bool deflate_decodes(int fd, uint64_t off, uint64_t end)
{
    z_stream z = {0};
    if (inflateInit2(&z, -15) != Z_OK)
        return false;
    unsigned char *in = malloc(16384), *out = malloc(SPEC_OUT);
    bool ok = false;
    uint64_t at = off;
    int ret = Z_OK;
    if (in && out) {
        z.next_out = out;
        z.avail_out = SPEC_OUT;
        while (ret == Z_OK && z.avail_out > 0 && at < end) {
            size_t want = end - at < 16384 ? (size_t)(end - at) : 16384;
            ssize_t got = pread(fd, in, want, (off_t)at);
            if (got <= 0)
                break;
            at += (uint64_t)got;
            z.next_in = in;
            z.avail_in = (uInt)got;
            ret = inflate(&z, Z_NO_FLUSH);
            if (ret == Z_BUF_ERROR && z.avail_out > 0)
                ret = Z_OK; /* wants more input */
        }
        ok = ret == Z_STREAM_END || (ret == Z_OK && z.avail_out == 0) ||
             (ret == Z_BUF_ERROR && z.avail_out == 0);
    }
    inflateEnd(&z);
    free(in);
    free(out);
    return ok;
}

/* The first candidate member start at or after off, or c->end. */
static uint64_t next_member(rd_cache *c, uint64_t off)
{
    unsigned char buf[4096 + 2];
    while (off + 18 <= c->end) {
        size_t want = c->end - off < sizeof buf ? (size_t)(c->end - off) : sizeof buf;
        ssize_t got = pread(c->fd, buf, want, (off_t)off);
        if (got < 3)
            return c->end;
        for (const unsigned char *p = buf; (p = memchr(p, 0x1f, (size_t)(buf + got - 2 - p)));
             p++) {
            uint64_t at = off + (uint64_t)(p - buf), hl;
            if (p[1] == 0x8b && p[2] == 8 && (hl = gz_header_len(c, at)) &&
                deflate_decodes(c->fd, at + hl, c->end))
                return at;
        }
        off += (uint64_t)got - 2;
    }
    return c->end;
}

static void walk_members(rd_cache *c, grouper *g, uint64_t start, bool *ok)
{
    if (!(*ok = unit_at(g, start)))
        return;
    for (uint64_t from = start + g->target; from < c->end;) {
        uint64_t m = next_member(c, from);
        if (m >= c->end)
            return;
        if (!(*ok = unit_at(g, m)))
            return;
        from = m + g->target;
    }
}

#define ZSTD_MAGIC 0xFD2FB528u
#define SEEKABLE_MAGIC 0x8F92EAB1u

/* zstd: the size of the frame at off (a data frame: *data set), walking its block headers
 * (RFC 8878 3.1.1); 0 when it is not a frame or is cut. */
static uint64_t zstd_frame(rd_cache *c, uint64_t off, bool *data)
{
    unsigned char h[8];
    if (!rd(c, off, h, 4))
        return 0;
    uint32_t magic = le32(h);
    *data = magic == ZSTD_MAGIC;
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) /* skippable frame: magic, size, content */
        return rd(c, off + 4, h, 4) ? 8 + (uint64_t)le32(h) : 0;
    if (!*data || !rd(c, off + 4, h, 1))
        return 0;
    unsigned fhd = h[0], fcs = fhd >> 6, single = (fhd >> 5) & 1, did = fhd & 3;
    static const unsigned did_size[4] = {0, 1, 2, 4};
    uint64_t p = off + 5 + (single ? 0 : 1) + did_size[did] +
                 (fcs == 0 ? single : 1u << fcs);
    for (;;) {
        if (!rd(c, p, h, 3))
            return 0;
        unsigned b = h[0] | (unsigned)h[1] << 8 | (unsigned)h[2] << 16;
        unsigned type = (b >> 1) & 3, size = b >> 3;
        if (type == 3)
            return 0; /* reserved: not a frame we understand */
        p += 3 + (type == 1 ? 1 : size);
        if (b & 1)
            break;
    }
    if ((fhd >> 2) & 1)
        p += 4; /* content checksum */
    return p <= c->end ? p - off : 0;
}

/* The seekable format's seek table at the end of the file: frame sizes without walking. */
static bool zstd_seek_table(rd_cache *c, grouper *g, uint64_t start, bool *ok)
{
    unsigned char f[9];
    if (c->end - start < 17 || !rd(c, c->end - 9, f, 9) || le32(f + 5) != SEEKABLE_MAGIC)
        return false;
    uint64_t nframes = le32(f), esz = f[4] & 0x80 ? 12 : 8;
    uint64_t table = 8 + nframes * esz + 9;
    if (table > c->end - start)
        return false;
    uint64_t at = c->end - table, off = start, sum = 0;
    for (uint64_t i = 0; i < nframes; i++) {
        unsigned char e[4];
        if (!rd(c, at + 8 + i * esz, e, 4))
            return false;
        sum += le32(e);
    }
    if (sum != c->end - table - start)
        return false; /* the table does not describe this file */
    for (uint64_t i = 0; i < nframes; i++) {
        unsigned char e[4];
        rd(c, at + 8 + i * esz, e, 4);
        if (le32(e) && !(*ok = unit_at(g, off)))
            return true;
        off += le32(e);
    }
    return true;
}

static void walk_zstd(rd_cache *c, grouper *g, uint64_t off, bool *ok)
{
    if (zstd_seek_table(c, g, off, ok))
        return;
    uint64_t unit = off; /* where the next data frame's unit begins: pzstd writes a
                          * skippable frame before each frame, which goes with it */
    while (off < c->end) {
        bool data;
        uint64_t f = zstd_frame(c, off, &data);
        if (!f)
            return; /* damaged or unknown from here on: the last split runs to the end */
        if (data && !(*ok = unit_at(g, unit)))
            return;
        off += f;
        if (data)
            unit = off;
    }
}

/* bzip2: verified block starts (codec/bzip2_blocks.c), already a target apart */
static void walk_bzip2(rd_cache *c, grouper *g, uint64_t off, bool *ok)
{
    uint64_t *v;
    size_t n;
    if (!(*ok = pl_bz2_split_points(c->fd, off, c->end, g->target, &v, &n) == PLUCK_OK))
        return;
    *ok = unit_at(g, off);
    for (size_t i = 0; i < n && *ok; i++)
        *ok = unit_at(g, v[i]);
    free(v);
}

/* xz: the blocks its indexes list */
static void walk_xz(rd_cache *c, grouper *g, uint64_t off, bool *ok)
{
    uint64_t *v;
    size_t n;
    if (!(*ok = pl_xz_split_points(c->fd, off, c->end, &v, &n) == PLUCK_OK) || !n)
        return;
    *ok = unit_at(g, off);
    for (size_t i = 0; i < n && *ok; i++)
        *ok = unit_at(g, v[i]);
    free(v);
}

pluck_code pl_splits_find(int fd, uint64_t start, uint64_t end, pl_compression kind,
                          const pluck_index *ix, bool guess, uint64_t target, pluck_split **out, size_t *n, pluck_error *err)
{
    *out = NULL;
    *n = 0;
    rd_cache *c = malloc(sizeof *c);
    grouper g = {.target = target ? target : PL_SPLIT_TARGET};
    bool ok = c != NULL;
    if (c) {
        c->fd = fd;
        c->end = end;
        c->at = c->len = 0;
        if (kind == PL_COMP_GZIP && ix && ix->file_size == end)
            walk_gzindex(ix, &g, start, &ok);
        else if (kind == PL_COMP_GZIP && bgzf_member(c, start))
            walk_bgzf(c, &g, start, &ok);
        else if (kind == PL_COMP_GZIP && guess)
            walk_members(c, &g, start, &ok);
        else if (kind == PL_COMP_ZSTD)
            walk_zstd(c, &g, start, &ok);
        else if (kind == PL_COMP_BZIP2)
            walk_bzip2(c, &g, start, &ok);
        else if (kind == PL_COMP_XZ)
            walk_xz(c, &g, start, &ok);
    }
    free(c);
    if (ok && (g.n == 0 || g.v[0].offset != start)) {
        /* no split points (or none at the start): the whole stream is one split */
        g.n = 0;
        ok = unit_at(&g, start);
    }
    if (!ok) {
        free(g.v);
        return pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    }
    for (size_t i = 0; i < g.n; i++)
        g.v[i].length = (i + 1 < g.n ? g.v[i + 1].offset : end) - g.v[i].offset;
    *out = g.v;
    *n = g.n;
    return PLUCK_OK;
}

/* ---- one split --------------------------------------------------------------------------- */

#define IN_PIECE (256 * 1024)
/* decompressed bytes asked of the codec per call: ISA-L copies about 50 KiB of state and
 * history around each call (gzip.c: isal_save, its tmp_out_buffer), so fewer, larger calls */
#define SPLIT_OUT (1024 * 1024)

typedef struct split_scan {
    const pl_split_job *j;
    char **win;
    size_t *cap;
    size_t wlen;
    uint64_t wpos;     /* split-relative decompressed offset of (*win)[0] */
    uint64_t u;        /* decompressed bytes produced */
    bool skipping;     /* the tail of the record before the split's first is still coming */
    bool uend_known;
    uint64_t uend;     /* U_k+1 - U_k */
    size_t tail_want;  /* past uend: decompressed bytes to ask for next (see decode) */
    bool done;
    bool damaged;      /* the codec failed: every complete record before the damage is ours */
    const pl_gzpoint *check; /* a gzip index's checkpoint at uend: its CRC-32 is checked there */
    pl_block_scan_fn scan;
    void *ctx;
    pluck_error *err;
} split_scan;

static void drop(split_scan *s, size_t n)
{
    memmove(*s->win, *s->win + n, s->wlen - n);
    s->wlen -= n;
    s->wpos += n;
}

/* Use what the window holds: skip the head, scan records, stop after the record holding the
 * first delimiter at or after uend (or at the end of the input, final). */
static pluck_code use_window(split_scan *s, bool final)
{
    const char rd = s->j->rd;
    if (s->skipping) {
        const char *d = memchr(*s->win, rd, s->wlen);
        if (!d) {
            drop(s, s->wlen);
            if ((s->uend_known && s->wpos >= s->uend) || final)
                s->done = true; /* the split holds no record start */
            return PLUCK_OK;
        }
        size_t k = (size_t)(d - *s->win);
        if (s->uend_known && s->wpos + k >= s->uend) {
            s->done = true; /* the delimiter is past the split: no record starts in it */
            return PLUCK_OK;
        }
        drop(s, k + 1);
        s->skipping = false;
    }
    size_t limit = s->wlen, used = 0;
    bool last = final;
    if (s->uend_known && !s->damaged) {
        size_t from = s->uend > s->wpos ? (size_t)(s->uend - s->wpos) : 0;
        if (from < s->wlen) {
            const char *d = memchr(*s->win + from, rd, s->wlen - from);
            if (d) {
                limit = (size_t)(d - *s->win) + 1;
                last = true;
            }
        }
    }
    PL_FORWARD_IF_NOT_OK(s->scan(s->ctx, *s->win, limit, s->j->ubase + s->wpos, last, &used));
    if (last) {
        PL_RETURN_ERROR_IF(used != limit, s->err, PLUCK_E_INTERNAL_ERROR,
                           "A split did not end at a record end.");
        s->done = true;
        return PLUCK_OK;
    }
    drop(s, used);
    return PLUCK_OK;
}

/* Decode in[0, n) (all of it) into the window, using the window after each step. */
static pluck_code decode(split_scan *s, pl_codec *c, const unsigned char *in, size_t n)
{
    for (;;) {
        if (!pl_grow(s->win, s->cap, s->wlen + SPLIT_OUT, 1))
            return pl_error_fail(s->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        unsigned char *out = (unsigned char *)*s->win + s->wlen;
        size_t want = SPLIT_OUT;
        if (s->check && s->uend - s->u < want) {
            want = (size_t)(s->uend - s->u); /* stop at the checkpoint to check it */
        } else if (s->uend_known && s->u >= s->uend && !s->damaged) {
            /* past the split's end only the rest of its last record is wanted: a little at
             * a time, doubling, rather than a whole chunk (which cost ~2 % of the decode of
             * 4 MiB splits); records longer than that still come in a few steps */
            want = s->tail_want;
            s->tail_want = s->tail_want < SPLIT_OUT / 2 ? 2 * s->tail_want : SPLIT_OUT;
        }
        size_t room = want;
        pluck_code rc = pl_codec_decode(c, &in, &n, &out, &room);
        size_t produced = want - room;
        s->wlen += produced;
        s->u += produced;
        if (!rc && s->check && s->u == s->uend) {
            /* inside the member: its CRC-32 and length so far are the index's; or the
             * member ended right there (only an empty last block followed the checkpoint)
             * and its trailer was checked */
            uint32_t crc, isize;
            bool inside = pl_codec_gzip_running(c, &crc, &isize);
            if (inside ? crc != s->check->crc || isize != s->check->isize
                       : !pl_codec_gzip_between(c))
                return pl_error_fail(s->err, PLUCK_E_TRUNCATED_INPUT,
                                     "Object decompression failed: gzip data is corrupt or "
                                     "does not match its index (incorrect data check at "
                                     "the checkpoint at compressed offset %llu): if the "
                                     "file is intact, rebuild the index (pluck index).",
                                     (unsigned long long)s->check->coff);
            s->check = NULL;
        }
        if (rc) {
            /* what decoded cleanly before the damage is used first, as a whole-stream run
             * does, past the split's end too: the run ends with this error, so no later
             * split will output those records */
            s->damaged = true;
            PL_FORWARD_IF_NOT_OK(use_window(s, false));
            return pl_error_fail(s->err, rc, "%s", pl_codec_message(c));
        }
        PL_FORWARD_IF_NOT_OK(use_window(s, false));
        if (s->done || (n == 0 && produced == 0))
            return PLUCK_OK;
    }
}

/* A split of a gzip file with an index: start the decoder at its checkpoint (inside a
 * member: the bits before the first whole byte, the window), and take where it ends in
 * decompressed bytes from the index, with the CRC-32 to check there. */
static pluck_code gz_resume(const pl_split_job *j, pl_codec *c, split_scan *s, uint64_t *at)
{
    const pl_gzpoint *p = pl_gzindex_find(j->ix, j->off), *q = NULL;
    if (!p)
        return PLUCK_OK; /* not a checkpoint: a split of another kind */
    if (j->off + j->len < j->end)
        q = pl_gzindex_find(j->ix, j->off + j->len);
    if (!p->member) {
        unsigned char byte = 0, *w = malloc(PL_GZINDEX_WINDOW);
        bool ok = w && pl_gzindex_window(j->ix, p, w);
        ssize_t got = 1;
        if (ok && p->bits) {
            do
                got = pread(j->fd, &byte, 1, (off_t)j->off);
            while (got < 0 && errno == EINTR);
        }
        ok = ok && got == 1 &&
             pl_codec_gzip_resume_deflate(c, p->coff, p->bits, byte, w, PL_GZINDEX_WINDOW,
                                          p->crc, p->isize);
        free(w);
        PL_RETURN_ERROR_IF(got != 1, s->err, PLUCK_E_READ_ERROR, "The input could not be read.");
        PL_RETURN_ERROR_IF(!ok, s->err, PLUCK_E_INTERNAL_ERROR,
                           "A gzip checkpoint could not be resumed.");
        *at = p->coff;
    }
    if (q && !q->member) {
        s->uend_known = true;
        s->uend = q->uoff - p->uoff;
        s->check = q;
    }
    /* before a member start, the split learns where it ends by decoding its bytes, and
     * checks they end at a member's end (pl_split_scan), as for BGZF members */
    return PLUCK_OK;
}

pluck_code pl_split_scan(const pl_split_job *j, char **win, size_t *cap, pl_block_scan_fn scan,
                         void *ctx, pluck_error *err, uint64_t *ulen, const char **codec_name)
{
    split_scan s = {.j = j, .win = win, .cap = cap, .skipping = !j->first, .scan = scan,
                    .ctx = ctx, .err = err, .tail_want = 4096};
    *ulen = 0;
    pl_codec *c = pl_codec_create(j->kind, PL_GZIP_AUTO);
    unsigned char *in = malloc(IN_PIECE);
    pluck_code rc = PLUCK_OK;
    if (!c || !in) {
        rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto out;
    }
    pl_codec_resume_at(c, j->off);
    if (j->kind == PL_COMP_XZ && pl_xz_expect(c, j->fd, j->end, j->off, j->off + j->len)) {
        /* its blocks are checked against their index records (and the check type of a
         * split inside a stream is its stream's) */
        rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto out;
    }
    if (j->kind == PL_COMP_BZIP2) /* the streams' combined CRCs, as far as it sees them */
        pl_codec_bzip2_blocks_chain(c, j->off + j->len, j->chain);
    pl_codec_set_max_window(c, j->max_window);
    if (codec_name)
        *codec_name = pl_codec_name(c);
    uint64_t at = j->off, split_end = j->off + j->len;
    if (j->kind == PL_COMP_BZIP2) /* the next block's magic begins inside the split's last byte */
        split_end = split_end + 8 < j->end ? split_end + 8 : j->end;
    if (j->ix && j->kind == PL_COMP_GZIP && (rc = gz_resume(j, c, &s, &at)))
        goto out;
    if (s.uend_known)
        *ulen = s.uend;
    while (!s.done) {
        uint64_t lim = s.uend_known ? j->end : split_end;
        if (at < lim) {
            size_t want = lim - at < IN_PIECE ? (size_t)(lim - at) : IN_PIECE;
            ssize_t got = pread(j->fd, in, want, (off_t)at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) { /* a read error, or the file shrank */
                rc = pl_error_fail(err, PLUCK_E_READ_ERROR, "The input could not be read.");
                break;
            }
            at += (uint64_t)got;
            if ((rc = decode(&s, c, in, (size_t)got)))
                break;
            continue;
        }
        if (!s.uend_known && j->kind == PL_COMP_GZIP && split_end < j->end &&
            !pl_codec_gzip_between(c)) {
            /* the split's bytes do not end at a member's end: the next split's start is not
             * a member start after all, and nothing after this split can be trusted to be
             * one.  Decode on to the end of the file (the caller drops the later splits). */
            if (!j->extended) {
                rc = pl_error_fail(err, PLUCK_E_INVALID_REQUEST_PARAMETER,
                                   "The split at compressed offset %llu does not end where "
                                   "a gzip member ends: these are not the file's splits.",
                                   (unsigned long long)j->off);
                break;
            }
            *j->extended = true;
            split_end = j->end;
            continue;
        }
        if (!s.uend_known) {
            /* all of the split is in and its output out (decode drained it): the split's
             * end in decompressed bytes is known */
            s.uend_known = true;
            s.uend = s.u;
            *ulen = s.u;
            if ((rc = use_window(&s, false)))
                break;
            continue;
        }
        /* the end of the file: the rest is the last record */
        pl_codec_end_input(c);
        if ((rc = decode(&s, c, (const unsigned char *)"", 0)) || s.done)
            break;
        if ((rc = pl_codec_finish(c))) {
            rc = pl_error_fail(err, rc, "%s", pl_codec_message(c));
            break;
        }
        if ((rc = use_window(&s, true)))
            break;
        s.done = true;
    }
out:
    if (!s.uend_known)
        *ulen = s.u; /* stopped early: what was decompressed */
    pl_codec_free(c);
    free(in);
    return rc;
}

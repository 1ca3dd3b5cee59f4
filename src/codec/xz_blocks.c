/*
 * xz_blocks.c — xz decoded block by block from any block start: the decoder of xz splits
 * (source/splits.c), and the split points read from the files' indexes.
 *
 * An .xz file is one or more streams (each: a 12-byte header naming the check type, blocks,
 * an index listing every block's sizes, a 12-byte footer), with zero padding between them.
 * Walking back from the end -- footer, index, stream start -- gives every block's offset
 * without reading the data; `xz -T` and `xz --block-size` write many blocks.  A block
 * decodes on its own (lzma_block_decoder, given its stream's check type) and verifies its
 * own check, so block starts are exact split points: no guessing, no false positives.
 *
 * The decoder starts at a stream header or at a block header (the caller names the check
 * type of its stream), decodes blocks, and past a stream's last block reads its index
 * (whose own CRC32 is checked), footer, padding and the next stream.
 *
 * The split points come from the indexes, so an index that lies must be an error, never a
 * wrong answer: a split's decoder is told the index records of the blocks in its own bytes
 * (pl_xz_expect) and checks each block it decodes there against its record -- it begins
 * where a record says a block begins, and its unpadded and uncompressed sizes are the
 * record's (the sizes a block header declares are compared before any of its bytes are
 * handed out, the decoded sizes at its end) -- and that a stream's index begins right after
 * the last block the index lists.  The splits cover every block, so every record is
 * checked against the block it describes, as a whole-stream decoder checks the index
 * against the blocks it decoded (xz.c: liblzma's lzma_index_hash).
 */
#include "codec/xz_blocks.h"
#include "codec/codec_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>

#define XZ_MEMLIMIT ((uint64_t)1 << 30) /* as xz.c */
#define HDR LZMA_STREAM_HEADER_SIZE      /* 12: stream header and footer */

static const unsigned char xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

static bool pread_all(int fd, void *buf, size_t n, uint64_t at)
{
    size_t have = 0;
    while (have < n) {
        ssize_t got = pread(fd, (char *)buf + have, n - have, (off_t)(at + have));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        have += (size_t)got;
    }
    return true;
}

/* Walk the streams of fd between start and end from the last to the first, calling fn with
 * each stream's start, its check type and its index.  False (fn not called for the rest)
 * when the file is not a clean sequence of streams, or on out of memory (*oom). */
typedef bool (*stream_fn)(void *arg, uint64_t at, lzma_check check, const lzma_index *idx);

static bool walk_streams(int fd, uint64_t start, uint64_t end, stream_fn fn, void *arg,
                         bool *oom)
{
    while (end > start) {
        unsigned char f[HDR];
        /* stream padding: zero bytes in fours */
        while (end - start >= 4) {
            if (!pread_all(fd, f, 4, end - 4))
                return false;
            if (f[0] || f[1] || f[2] || f[3])
                break;
            end -= 4;
        }
        if (end == start)
            return true;
        lzma_stream_flags foot, head;
        if (end - start < 2 * HDR || !pread_all(fd, f, HDR, end - HDR) ||
            lzma_stream_footer_decode(&foot, f) != LZMA_OK ||
            foot.backward_size > end - start - 2 * HDR)
            return false;
        uint64_t isize = foot.backward_size, iat = end - HDR - isize;
        unsigned char *ib = malloc((size_t)isize);
        if (!ib)
            return *oom = true, false;
        lzma_index *idx = NULL;
        uint64_t memlimit = XZ_MEMLIMIT;
        size_t pos = 0;
        bool ok = pread_all(fd, ib, (size_t)isize, iat) &&
                  lzma_index_buffer_decode(&idx, &memlimit, NULL, ib, &pos, (size_t)isize) ==
                      LZMA_OK;
        free(ib);
        if (!ok)
            return false;
        uint64_t size = lzma_index_stream_size(idx);
        ok = size <= end - start && pread_all(fd, f, HDR, end - size) &&
             lzma_stream_header_decode(&head, f) == LZMA_OK &&
             lzma_stream_flags_compare(&head, &foot) == LZMA_OK &&
             fn(arg, end - size, head.check, idx);
        lzma_index_end(idx, NULL);
        if (!ok)
            return false;
        end -= size;
    }
    return true;
}

/* ---- split points ------------------------------------------------------------------------ */

typedef struct points {
    uint64_t *v;
    size_t n, cap;
    bool oom;
} points;

static bool add_blocks(void *arg, uint64_t at, lzma_check check, const lzma_index *idx)
{
    points *P = arg;
    lzma_index_iter it;
    lzma_index_iter_init(&it, idx);
    /* the streams come last first: this stream's blocks go before what is listed */
    size_t first = P->n;
    while (!lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
        if (!pl_grow(&P->v, &P->cap, P->n + 1, sizeof *P->v))
            return !(P->oom = true);
        P->v[P->n++] = at + it.block.compressed_file_offset;
    }
    /* rotate [first, n) to the front */
    size_t k = P->n - first;
    for (size_t r = 0; r < k; r++) {
        uint64_t x = P->v[P->n - 1];
        memmove(P->v + 1, P->v, (P->n - 1) * sizeof *P->v);
        P->v[0] = x;
    }
    return true;
}

pluck_code pl_xz_split_points(int fd, uint64_t start, uint64_t end, uint64_t **offs, size_t *n)
{
    points P = {0};
    bool oom = false;
    if (!walk_streams(fd, start, end, add_blocks, &P, &oom) || P.oom || oom) {
        free(P.v);
        P.v = NULL;
        P.n = 0;
        if (oom || P.oom)
            return PLUCK_E_OUT_OF_MEMORY;
    }
    *offs = P.v;
    *n = P.n;
    return PLUCK_OK;
}

/* What a split's decoder checks its blocks against: the index records of the blocks that
 * begin in [from, to) (file offsets), the offsets there where indexes begin, and the check
 * type of the stream holding `from`. */
typedef struct xz_rec {
    uint64_t off;      /* file offset of the block header */
    uint64_t unpadded; /* header + compressed data + check */
    uint64_t usize;    /* uncompressed size */
} xz_rec;

typedef struct expect {
    uint64_t from, to;
    xz_rec *rec;
    size_t n, cap;
    uint64_t *index_at;
    size_t nindex, icap;
    int check;
    bool oom;
} expect;

static bool collect(void *arg, uint64_t at, lzma_check check, const lzma_index *idx)
{
    expect *E = arg;
    uint64_t size = lzma_index_stream_size(idx);
    if (at >= E->to)
        return true; /* after the split: its blocks are checked by their own splits */
    if (at + size > E->from) {
        lzma_index_iter it;
        lzma_index_iter_init(&it, idx);
        while (!lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
            uint64_t off = at + it.block.compressed_file_offset;
            if (off < E->from || off >= E->to)
                continue; /* another split's */
            if (!pl_grow(&E->rec, &E->cap, E->n + 1, sizeof *E->rec))
                return !(E->oom = true);
            E->rec[E->n++] = (xz_rec){.off = off, .unpadded = it.block.unpadded_size,
                                      .usize = it.block.uncompressed_size};
        }
        uint64_t iat = at + size - HDR - lzma_index_size(idx);
        if (iat >= E->from && iat < E->to) {
            if (!pl_grow(&E->index_at, &E->icap, E->nindex + 1, sizeof *E->index_at))
                return !(E->oom = true);
            E->index_at[E->nindex++] = iat;
        }
    }
    if (at <= E->from) {
        E->check = (int)check;
        return false; /* the stream holding the split's start: the rest is before it */
    }
    return true;
}

static int rec_cmp(const void *a, const void *b)
{
    uint64_t x = ((const xz_rec *)a)->off, y = ((const xz_rec *)b)->off;
    return x < y ? -1 : x > y;
}

/* ---- the split decoder: a pl_codec backend ------------------------------------------------ */

typedef enum { X_START, X_HEADER, X_BLOCK_HEADER, X_BLOCK, X_INDEX, X_FOOTER, X_PADDING } xphase;

typedef struct xzb_state {
    unsigned char *in; /* compressed bytes from the position on */
    size_t len, cap, pos;
    uint64_t in_at;    /* compressed offset of in[0] */
    xphase phase;
    int check;         /* the stream's check type; -1: not known yet */
    lzma_stream s;     /* the block or index decoder */
    bool coding;
    lzma_filter filters[LZMA_FILTERS_MAX + 1];
    lzma_block block;
    lzma_index *index; /* what the index decoder made of the index */
    uint64_t max_window; /* the largest dictionary allowed */
    /* pl_xz_expect: the index records of the blocks before own_end, sorted by offset, and
     * where those streams' indexes begin; the record of the block being decoded */
    bool expecting;
    uint64_t own_end;
    xz_rec *rec;
    size_t nrec;
    uint64_t *index_at;
    size_t nindex;
    const xz_rec *cur;
} xzb_state;

static pluck_code xzb_corrupt(pl_codec *c, const xzb_state *x, const char *what)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: xz data is corrupt (%s) at compressed "
                         "offset %llu.",
                         what, (unsigned long long)(x->in_at + x->pos));
}

/* The index record of the block at file offset off (x->expecting), or NULL. */
static const xz_rec *xzb_record(const xzb_state *x, uint64_t off)
{
    size_t lo = 0, hi = x->nrec;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->rec[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < x->nrec && x->rec[lo].off == off ? &x->rec[lo] : NULL;
}

static pluck_code xzb_index_lies(pl_codec *c, uint64_t off, const char *what)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: xz data is corrupt (%s its stream's "
                         "index says) at compressed offset %llu.",
                         what, (unsigned long long)off);
}

static void xzb_end_coder(xzb_state *x)
{
    if (x->coding)
        lzma_end(&x->s);
    x->coding = false;
    lzma_index_end(x->index, NULL);
    x->index = NULL;
    for (size_t i = 0; i < LZMA_FILTERS_MAX && x->filters[i].id != LZMA_VLI_UNKNOWN; i++) {
        free(x->filters[i].options);
        x->filters[i].options = NULL;
    }
    x->filters[0].id = LZMA_VLI_UNKNOWN;
}

/* One step.  *wait: more input is needed; output goes to *out. */
static pluck_code xzb_advance(pl_codec *c, xzb_state *x, unsigned char **out, size_t *out_cap,
                              bool *wait)
{
    const bool done = c->input_done;
    size_t have = x->len - x->pos;
    const unsigned char *p = x->in + x->pos;
    switch (x->phase) {
    case X_START:
        if (have < 6 && !done)
            return *wait = true, PLUCK_OK;
        x->phase = have >= 6 && !memcmp(p, xz_magic, 6) ? X_HEADER : X_BLOCK_HEADER;
        if (x->phase == X_BLOCK_HEADER && x->check < 0)
            return xzb_corrupt(c, x, "no stream header before the block");
        return PLUCK_OK;
    case X_HEADER: {
        if (have < HDR)
            return done ? xzb_corrupt(c, x, "stream header cut short") : (*wait = true, PLUCK_OK);
        lzma_stream_flags f;
        if (lzma_stream_header_decode(&f, p) != LZMA_OK)
            return xzb_corrupt(c, x, "bad stream header");
        x->check = (int)f.check;
        x->pos += HDR;
        x->phase = X_BLOCK_HEADER;
        return PLUCK_OK;
    }
    case X_BLOCK_HEADER: {
        if (have < 1)
            return done ? xzb_corrupt(c, x, "compressed data is truncated")
                        : (*wait = true, PLUCK_OK);
        uint64_t here = x->in_at + x->pos;
        bool owned = x->expecting && here < x->own_end;
        if (p[0] == 0) { /* the index indicator */
            bool listed = false;
            for (size_t i = 0; owned && i < x->nindex && !listed; i++)
                listed = x->index_at[i] == here;
            if (owned && !listed)
                return xzb_index_lies(c, here, "the blocks end elsewhere than");
            x->s = (lzma_stream)LZMA_STREAM_INIT;
            if (lzma_index_decoder(&x->s, &x->index, XZ_MEMLIMIT) != LZMA_OK)
                return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
            x->coding = true;
            x->phase = X_INDEX;
            return PLUCK_OK;
        }
        size_t hs = lzma_block_header_size_decode(p[0]);
        if (have < hs)
            return done ? xzb_corrupt(c, x, "compressed data is truncated")
                        : (*wait = true, PLUCK_OK);
        memset(&x->block, 0, sizeof x->block);
        x->block.version = 1;
        x->block.header_size = (uint32_t)hs;
        x->block.check = (lzma_check)x->check;
        x->block.filters = x->filters;
        x->filters[0].id = LZMA_VLI_UNKNOWN;
        if (lzma_block_header_decode(&x->block, NULL, p) != LZMA_OK)
            return xzb_corrupt(c, x, "bad block header");
        x->cur = owned ? xzb_record(x, here) : NULL;
        if (owned && (!x->cur ||
                      (x->block.uncompressed_size != LZMA_VLI_UNKNOWN &&
                       x->block.uncompressed_size != x->cur->usize) ||
                      (x->block.compressed_size != LZMA_VLI_UNKNOWN &&
                       lzma_block_unpadded_size(&x->block) != x->cur->unpadded))) {
            xzb_end_coder(x);
            return xzb_index_lies(c, here, x->cur ? "a block of other sizes than"
                                                  : "a block where none begins as");
        }
        for (size_t i = 0; x->filters[i].id != LZMA_VLI_UNKNOWN; i++) {
            const lzma_options_lzma *o = x->filters[i].options;
            bool lz = x->filters[i].id == LZMA_FILTER_LZMA2 || x->filters[i].id == LZMA_FILTER_LZMA1;
            if (lz && o && o->dict_size > x->max_window) {
                uint64_t mib = (uint64_t)1 << 20, d = o->dict_size;
                xzb_end_coder(x);
                return pl_error_fail(&c->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                                     "The xz block at compressed offset %llu needs a %llu MiB "
                                     "dictionary to decode; this reader allows a dictionary of "
                                     "at most %llu %s (max-window).",
                                     (unsigned long long)(x->in_at + x->pos),
                                     (unsigned long long)((d + mib - 1) / mib),
                                     (unsigned long long)(x->max_window % mib
                                                              ? x->max_window >> 10
                                                              : x->max_window >> 20),
                                     x->max_window % mib ? "KiB" : "MiB");
            }
        }
        x->s = (lzma_stream)LZMA_STREAM_INIT;
        lzma_ret r = lzma_block_decoder(&x->s, &x->block);
        if (r != LZMA_OK) {
            xzb_end_coder(x);
            return r == LZMA_MEM_ERROR
                       ? pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.")
                       : xzb_corrupt(c, x, "unsupported options");
        }
        x->coding = true;
        x->pos += hs;
        x->phase = X_BLOCK;
        return PLUCK_OK;
    }
    case X_BLOCK:
    case X_INDEX: {
        x->s.next_in = p;
        x->s.avail_in = have;
        unsigned char spare[1];
        bool index = x->phase == X_INDEX;
        x->s.next_out = index ? spare : *out;
        x->s.avail_out = index ? 0 : *out_cap;
        lzma_ret r = lzma_code(&x->s, done ? LZMA_FINISH : LZMA_RUN);
        size_t used = have - x->s.avail_in;
        if (!index) {
            size_t made = *out_cap - x->s.avail_out;
            *out += made;
            *out_cap -= made;
        }
        x->pos += used;
        if (r == LZMA_STREAM_END) {
            const xz_rec *want = index ? NULL : x->cur;
            bool lies = want && (lzma_block_unpadded_size(&x->block) != want->unpadded ||
                                 x->block.uncompressed_size != want->usize);
            xzb_end_coder(x);
            if (lies)
                return xzb_index_lies(c, want->off, "a block of other sizes than");
            x->phase = index ? X_FOOTER : X_BLOCK_HEADER;
            return PLUCK_OK;
        }
        if (r == LZMA_OK || r == LZMA_BUF_ERROR) {
            if (x->s.avail_in == 0 && !done)
                *wait = true;
            else if (r == LZMA_BUF_ERROR && x->s.avail_out != 0)
                return xzb_corrupt(c, x, "compressed data is truncated");
            return PLUCK_OK;
        }
        if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR)
            return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
                                 "Object decompression failed: out of memory in the xz "
                                 "decoder.");
        return xzb_corrupt(c, x, "compressed data is corrupt");
    }
    case X_FOOTER: {
        if (have < HDR)
            return done ? xzb_corrupt(c, x, "stream footer cut short") : (*wait = true, PLUCK_OK);
        lzma_stream_flags f;
        if (lzma_stream_footer_decode(&f, p) != LZMA_OK || (int)f.check != x->check)
            return xzb_corrupt(c, x, "bad stream footer");
        x->pos += HDR;
        x->phase = X_PADDING;
        return PLUCK_OK;
    }
    case X_PADDING:
        while (have >= 4 && !p[0] && !p[1] && !p[2] && !p[3]) {
            x->pos += 4;
            p += 4;
            have -= 4;
        }
        if (have == 0 || (have < 6 && !done)) {
            *wait = true; /* the end of the input here ends the last stream */
            return PLUCK_OK;
        }
        if (have >= 6 && !memcmp(p, xz_magic, 6)) {
            x->phase = X_HEADER;
            return PLUCK_OK;
        }
        return pl_codec_trailing_garbage(c, "xz stream", x->in_at + x->pos);
    }
    return PLUCK_OK;
}

static pluck_code xzb_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                           unsigned char **out, size_t *out_cap, bool *stalled)
{
    xzb_state *x = c->state;
    if (*in_len) {
        if (x->pos >= 64 * 1024) { /* the decoders keep no pointer into it */
            memmove(x->in, x->in + x->pos, x->len - x->pos);
            x->len -= x->pos;
            x->in_at += x->pos;
            x->pos = 0;
        } else if (x->pos == x->len) {
            x->in_at += x->pos;
            x->len = x->pos = 0;
        }
        PL_RETURN_ERROR_IF(!pl_grow(&x->in, &x->cap, x->len + *in_len, 1), &c->err,
                           PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        pl_codec_take_in(x->in, &x->len, *in_len, in, in_len);
    }
    bool wait = false;
    size_t room0 = *out_cap;
    do
        PL_FORWARD_IF_ERROR(xzb_advance(c, x, out, out_cap, &wait));
    while (!wait && *out_cap == room0);
    if (wait)
        *stalled = true;
    return PLUCK_OK;
}

static pluck_code xzb_finish(pl_codec *c)
{
    xzb_state *x = c->state;
    if (x->phase == X_PADDING && x->pos == x->len)
        return PLUCK_OK;
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of xz data at compressed "
                         "offset %llu (the last stream is incomplete).",
                         (unsigned long long)(x->in_at + x->len));
}

static void xzb_destroy(pl_codec *c)
{
    xzb_state *x = c->state;
    if (!x)
        return;
    xzb_end_coder(x);
    free(x->in);
    free(x->rec);
    free(x->index_at);
    free(x);
    c->state = NULL;
}

static const pl_codec_ops xzb_ops = {xzb_step, xzb_finish, xzb_destroy};

pluck_code pl_codec_xz_blocks(pl_codec *c, int check)
{
    xzb_state *x = calloc(1, sizeof *x);
    if (!x)
        return PLUCK_E_OUT_OF_MEMORY;
    c->ops->destroy(c);
    c->ops = &xzb_ops;
    c->state = x;
    x->in_at = c->in_total;
    x->check = check;
    x->filters[0].id = LZMA_VLI_UNKNOWN;
    x->max_window = XZ_MEMLIMIT;
    return PLUCK_OK;
}

void pl_codec_xz_blocks_max_window(pl_codec *c, uint64_t max_window)
{
    xzb_state *x = c->state;
    x->max_window = max_window;
}

pluck_code pl_xz_expect(pl_codec *c, int fd, uint64_t end, uint64_t off, uint64_t own_end)
{
    if (c->ops != &xzb_ops)
        return PLUCK_OK; /* the block decoder could not be made: the codec has failed */
    xzb_state *x = c->state;
    expect E = {.from = off, .to = own_end, .check = -1};
    bool oom = false;
    /* from the end back to the stream holding off (collect stops there: what comes before
     * the split's stream is never read, so the stream may start anywhere in fd) */
    walk_streams(fd, 0, end, collect, &E, &oom);
    if (oom || E.oom) {
        free(E.rec);
        free(E.index_at);
        return PLUCK_E_OUT_OF_MEMORY;
    }
    qsort(E.rec, E.n, sizeof *E.rec, rec_cmp);
    free(x->rec);
    free(x->index_at);
    x->rec = E.rec;
    x->nrec = E.n;
    x->index_at = E.index_at;
    x->nindex = E.nindex;
    x->own_end = own_end;
    x->expecting = true; /* nothing found (the file changed): every block there is an error */
    if (x->check < 0)
        x->check = E.check;
    return PLUCK_OK;
}

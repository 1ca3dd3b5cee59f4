/*
 * xz.c — xz decoding through liblzma's stream decoder with LZMA_CONCATENATED, which
 * handles concatenated streams and stream padding itself.  With that flag liblzma reports
 * LZMA_STREAM_END only when told LZMA_FINISH, so completeness is checked in finish.
 *
 * liblzma's calls are cut at fixed offsets, not where the caller's pieces happen to end:
 * its input is staged in blocks that end at multiples of XZ_IN_BLOCK compressed bytes, its
 * output goes to blocks that end at multiples of XZ_OUT_BLOCK decompressed bytes, and each
 * lzma_code() call runs to the end of one or the other.  On damaged data how far liblzma
 * decodes into the damage before LZMA_DATA_ERROR (and so how much garbage reaches the
 * scanner, and which error pluck reports) depends on how its calls were cut: one flip
 * gave anything from 266,353 to 266,630 bytes over 64 cuts (F18 in tests/HARDENING.md).
 * With the calls always cut the same way, the output before an error and the offset in the
 * message are the same however the input arrives, with one thread or two.  The price: the
 * last partial input block is decoded only once pl_codec_end_input() says no more input
 * comes, and two copies (compressed in, decompressed out) that cost nothing next to LZMA
 * decoding.
 */
#include "codec/codec_impl.h"
#include "codec/xz_blocks.h"

#include <stdlib.h>
#include <string.h>

#include <lzma.h>

/* Enough for any dictionary xz(1) itself writes (-9e: 64 MiB); a header asking for more
 * is refused instead of letting one object claim unbounded memory. */
#define XZ_MEMLIMIT ((uint64_t)1 << 30)

#define XZ_IN_BLOCK (16u * 1024)  /* staged compressed input: small, for streaming */
#define XZ_OUT_BLOCK (64u * 1024) /* decoded output not yet handed over */

typedef struct xz_state {
    lzma_stream s;
    unsigned char *in;  /* XZ_IN_BLOCK bytes: the input block being filled or decoded */
    size_t in_len;      /* bytes staged in it */
    size_t in_used;     /* of those, taken by liblzma */
    uint64_t in_start;  /* compressed offset of in[0] */
    unsigned char *out; /* XZ_OUT_BLOCK bytes */
    size_t out_len;     /* decoded into it */
    size_t out_sent;    /* of those, handed over */
    bool more;          /* the last call filled the output block: liblzma may hold more */
    pluck_code err;     /* an error met after output that is still being handed over */
    uint64_t max_window; /* the dictionary allowed (pl_codec_set_max_window), for messages */
} xz_state;

static pluck_code xz_error(pl_codec *c, lzma_ret ret, uint64_t offset)
{
    const char *what;
    switch (ret) {
    case LZMA_MEM_ERROR:
        return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
                             "Object decompression failed: out of memory in the xz decoder.");
    case LZMA_MEMLIMIT_ERROR: {
        /* refused before allocating the dictionary (pl_codec_set_max_window) */
        xz_state *x = c->state;
        uint64_t mib = (uint64_t)1 << 20;
        return pl_error_fail(&c->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                             "The xz stream at compressed offset %llu needs %llu MiB of memory "
                             "to decode (its dictionary); this reader allows a dictionary of "
                             "at most %llu %s (max-window).",
                             (unsigned long long)offset,
                             (unsigned long long)((lzma_memusage(&x->s) + mib - 1) / mib),
                             (unsigned long long)(x->max_window % mib ? x->max_window >> 10
                                                                      : x->max_window >> 20),
                             x->max_window % mib ? "KiB" : "MiB");
    }
    case LZMA_FORMAT_ERROR:
        what = "bad stream header";
        break;
    case LZMA_OPTIONS_ERROR:
        what = "unsupported options";
        break;
    case LZMA_DATA_ERROR:
        what = "compressed data is corrupt";
        break;
    case LZMA_BUF_ERROR:
        what = "compressed data is truncated";
        break;
    default:
        return pl_error_fail(&c->err, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: liblzma returned %d.", (int)ret);
    }
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: xz data is corrupt (%s) at compressed "
                         "offset %llu.",
                         what, (unsigned long long)offset);
}

/* One lzma_code() call from where the staged input block stands to its end, into the rest
 * of the output block. */
static pluck_code xz_decode_block(pl_codec *c, xz_state *x)
{
    lzma_stream *s = &x->s;
    s->next_in = x->in + x->in_used;
    s->avail_in = x->in_len - x->in_used;
    s->next_out = x->out + x->out_len;
    s->avail_out = XZ_OUT_BLOCK - x->out_len;
    lzma_ret ret = lzma_code(s, LZMA_RUN);
    x->in_used = x->in_len - s->avail_in;
    x->out_len = XZ_OUT_BLOCK - s->avail_out;
    x->more = x->out_len == XZ_OUT_BLOCK;
    if (ret == LZMA_OK || ret == LZMA_BUF_ERROR) /* BUF_ERROR: no progress, not fatal */
        return PLUCK_OK;
    /* what decoded before the error is handed over first (x->err) */
    return xz_error(c, ret, x->in_start + x->in_used);
}

static pluck_code xz_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    xz_state *x = c->state;
    if (x->out_sent < x->out_len) {
        pl_codec_hand_out(x->out, x->out_len, &x->out_sent, out, out_cap);
        return PLUCK_OK;
    }
    if (x->err)
        return x->err;
    if (x->out_len == XZ_OUT_BLOCK)
        x->out_len = x->out_sent = 0; /* the next output block */
    size_t take = 0, used0 = x->in_used, out0 = x->out_len;
    if (x->more) {
        /* The last call filled the output block: go on with the rest of the same input
         * block (perhaps nothing), so liblzma hands over what it holds. */
        x->err = xz_decode_block(c, x);
    }
    if (!x->more && !x->err) {
        /* liblzma runs on a whole input block (the last one once the input has ended) */
        if (x->in_used == x->in_len && x->in_len == XZ_IN_BLOCK) {
            x->in_start += x->in_len; /* the next input block */
            x->in_len = x->in_used = used0 = 0;
        }
        take = pl_codec_take_in(x->in, &x->in_len, XZ_IN_BLOCK - x->in_len, in, in_len);
        bool whole = x->in_len == XZ_IN_BLOCK || c->input_done;
        if (whole && x->in_used < x->in_len)
            x->err = xz_decode_block(c, x);
    }
    if (x->out_sent < x->out_len)
        pl_codec_hand_out(x->out, x->out_len, &x->out_sent, out, out_cap);
    else if (x->err)
        return x->err;
    if (take == 0 && x->in_used == used0 && x->out_len == out0)
        *stalled = true; /* nothing moved: more input (or room) is needed */
    return PLUCK_OK;
}

static pluck_code xz_finish(pl_codec *c)
{
    xz_state *x = c->state;
    lzma_stream *s = &x->s;
    unsigned char spare[64];
    lzma_ret ret = LZMA_OK;
    PL_RETURN_ERROR_IF(x->in_used < x->in_len || x->out_sent < x->out_len, &c->err,
                       PLUCK_E_INTERNAL_ERROR,
                       "Object decompression failed: xz input or output was still "
                       "pending at end of input.");
    /* A few rounds, since liblzma may need a call to notice the end before reporting it. */
    for (int i = 0; i < 4 && ret == LZMA_OK; i++) {
        s->next_in = NULL;
        s->avail_in = 0;
        s->next_out = spare;
        s->avail_out = sizeof spare;
        ret = lzma_code(s, LZMA_FINISH);
        PL_RETURN_ERROR_IF(s->avail_out != sizeof spare, &c->err, PLUCK_E_INTERNAL_ERROR,
                           "Object decompression failed: xz output was still pending "
                           "at end of input.");
    }
    if (ret == LZMA_STREAM_END)
        return PLUCK_OK;
    PL_RETURN_ERROR_IF(ret == LZMA_OK || ret == LZMA_BUF_ERROR || ret == LZMA_DATA_ERROR, &c->err,
                       PLUCK_E_TRUNCATED_INPUT,
                       "Object decompression failed: unexpected end of xz data at "
                       "compressed offset %llu (the last stream is incomplete).",
                       (unsigned long long)c->in_total);
    return xz_error(c, ret, c->in_total);
}

static void xz_destroy(pl_codec *c)
{
    xz_state *x = c->state;
    if (!x)
        return;
    lzma_end(&x->s);
    free(x->in);
    free(x->out);
    free(x);
    c->state = NULL;
}

static const pl_codec_ops xz_ops = {xz_step, xz_finish, xz_destroy};

/* The decoder's memory beyond its dictionary (the LZMA2 state, the block and index
 * decoders: about 30 KiB) fits in this much, so max_window bounds the dictionary. */
#define XZ_OVERHEAD ((uint64_t)1 << 20)

void pl_codec_xz_max_window(pl_codec *c, uint64_t max_window)
{
    if (c->ops != &xz_ops) { /* a split's block decoder (xz_blocks.c) */
        pl_codec_xz_blocks_max_window(c, max_window);
        return;
    }
    xz_state *x = c->state;
    x->max_window = max_window;
    lzma_memlimit_set(&x->s, max_window + XZ_OVERHEAD);
}

pluck_code pl_codec_open_xz(pl_codec *c)
{
    xz_state *x = calloc(1, sizeof *x);
    if (!x)
        return PLUCK_E_OUT_OF_MEMORY;
    x->s = (lzma_stream)LZMA_STREAM_INIT;
    c->state = x;
    c->ops = &xz_ops;
    c->name = "xz";
    x->in = malloc(XZ_IN_BLOCK);
    x->out = malloc(XZ_OUT_BLOCK);
    if (!x->in || !x->out)
        return PLUCK_E_OUT_OF_MEMORY;
    x->max_window = XZ_MEMLIMIT;
    lzma_ret ret = lzma_stream_decoder(&x->s, XZ_MEMLIMIT, LZMA_CONCATENATED);
    if (ret != LZMA_OK)
        return ret == LZMA_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    return PLUCK_OK;
}

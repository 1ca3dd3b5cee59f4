/*
 * xz.c — xz decoding through liblzma's stream decoder with LZMA_CONCATENATED, which
 * handles concatenated streams and stream padding itself.  With that flag liblzma reports
 * LZMA_STREAM_END only when told LZMA_FINISH, so completeness is checked in finish.
 */
#include "codec/codec_impl.h"

#include <stdlib.h>

#include <lzma.h>

/* Enough for any dictionary xz(1) itself writes (-9e: 64 MiB); a header asking for more
 * is refused instead of letting one object claim unbounded memory. */
#define XZ_MEMLIMIT ((uint64_t)1 << 30)

static pluck_code xz_error(pl_codec *c, lzma_ret ret, uint64_t offset)
{
    const char *what;
    switch (ret) {
    case LZMA_MEM_ERROR:
        return pl_codec_fail(c, PLUCK_E_OUT_OF_MEMORY,
                             "Object decompression failed: out of memory in the xz decoder.");
    case LZMA_MEMLIMIT_ERROR:
        what = "it needs more than 1 GiB of memory to decode";
        break;
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
        return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: liblzma returned %d.", (int)ret);
    }
    return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: xz data is corrupt (%s) at compressed "
                         "offset %llu.",
                         what, (unsigned long long)offset);
}

static pluck_code xz_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    lzma_stream *s = c->state;
    s->next_in = *in;
    s->avail_in = *in_len;
    s->next_out = *out;
    s->avail_out = *out_cap;
    lzma_ret ret = lzma_code(s, LZMA_RUN);
    size_t consumed = *in_len - s->avail_in, produced = *out_cap - s->avail_out;
    *in += consumed;
    *in_len -= consumed;
    *out += produced;
    *out_cap -= produced;
    if (ret == LZMA_OK) {
        if (consumed == 0 && produced == 0)
            *stalled = true;
        return PLUCK_OK;
    }
    if (ret == LZMA_BUF_ERROR) { /* two calls in a row without progress: not fatal */
        *stalled = true;
        return PLUCK_OK;
    }
    return xz_error(c, ret, c->in_total + consumed);
}

static pluck_code xz_finish(pl_codec *c)
{
    lzma_stream *s = c->state;
    unsigned char spare[64];
    lzma_ret ret = LZMA_OK;
    /* A few rounds, since liblzma may need a call to notice the end before reporting it. */
    for (int i = 0; i < 4 && ret == LZMA_OK; i++) {
        s->next_in = NULL;
        s->avail_in = 0;
        s->next_out = spare;
        s->avail_out = sizeof spare;
        ret = lzma_code(s, LZMA_FINISH);
        if (s->avail_out != sizeof spare)
            return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                                 "Object decompression failed: xz output was still pending "
                                 "at end of input.");
    }
    if (ret == LZMA_STREAM_END)
        return PLUCK_OK;
    if (ret == LZMA_OK || ret == LZMA_BUF_ERROR || ret == LZMA_DATA_ERROR)
        return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                             "Object decompression failed: unexpected end of xz data at "
                             "compressed offset %llu (the last stream is incomplete).",
                             (unsigned long long)c->in_total);
    return xz_error(c, ret, c->in_total);
}

static void xz_destroy(pl_codec *c)
{
    lzma_stream *s = c->state;
    if (!s)
        return;
    lzma_end(s);
    free(s);
    c->state = NULL;
}

static const pl_codec_ops xz_ops = {xz_step, xz_finish, xz_destroy};

pluck_code pl_codec_open_xz(pl_codec *c)
{
    lzma_stream *s = malloc(sizeof *s);
    if (!s)
        return PLUCK_E_OUT_OF_MEMORY;
    *s = (lzma_stream)LZMA_STREAM_INIT;
    c->state = s;
    c->ops = &xz_ops;
    c->name = "xz";
    lzma_ret ret = lzma_stream_decoder(s, XZ_MEMLIMIT, LZMA_CONCATENATED);
    if (ret != LZMA_OK)
        return ret == LZMA_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    return PLUCK_OK;
}

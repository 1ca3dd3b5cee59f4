/*
 * zstd.c — zstd decoding through libzstd's streaming API.  Concatenated frames (and
 * skippable frames) are handled by libzstd itself; this file tracks whether the last
 * frame was complete, for pl_codec_finish().
 */
#include "codec/codec_impl.h"

#include <stdlib.h>

#include <zstd.h>
#include <zstd_errors.h>

typedef struct zs_state {
    ZSTD_DCtx *dctx;
    size_t hint;       /* last return of ZSTD_decompressStream that made progress; 0 = at a
                        * frame boundary with everything flushed */
    bool out_was_full; /* the last call filled the output, so more may be buffered */
    uint64_t frame_start; /* compressed offset just after the last complete frame */
} zs_state;

static pluck_code zs_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    zs_state *z = c->state;
    /* libzstd turns a run of calls that make no progress into an error (its
     * noForwardProgress guard), so a call that cannot do anything is not made at all:
     * without new input, only output still buffered from a call that filled the output
     * can come out. */
    if (*in_len == 0 && !z->out_was_full) {
        *stalled = true;
        return PLUCK_OK;
    }
    ZSTD_inBuffer ib = {*in, *in_len, 0};
    ZSTD_outBuffer ob = {*out, *out_cap, 0};
    size_t ret = ZSTD_decompressStream(z->dctx, &ob, &ib);
    *in += ib.pos;
    *in_len -= ib.pos;
    *out += ob.pos;
    *out_cap -= ob.pos;
    if (ZSTD_isError(ret)) {
        ZSTD_ErrorCode e = ZSTD_getErrorCode(ret);
        if (e == ZSTD_error_memory_allocation)
            return pl_codec_fail(c, PLUCK_E_OUT_OF_MEMORY,
                                 "Object decompression failed: out of memory in the zstd "
                                 "decoder.");
        if (e == ZSTD_error_prefix_unknown && z->frame_start > 0)
            return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                                 "Object decompression failed: trailing garbage after zstd "
                                 "frame at compressed offset %llu.",
                                 (unsigned long long)z->frame_start);
        return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                             "Object decompression failed: zstd data is corrupt (%s) at "
                             "compressed offset %llu.",
                             ZSTD_getErrorName(ret), (unsigned long long)(c->in_total + ib.pos));
    }
    z->out_was_full = ob.pos == ob.size;
    if (ib.pos == 0 && ob.pos == 0) {
        *stalled = true; /* keep the hint of the last call that did something */
        return PLUCK_OK;
    }
    z->hint = ret;
    if (ret == 0)
        z->frame_start = c->in_total + ib.pos;
    return PLUCK_OK;
}

static pluck_code zs_finish(pl_codec *c)
{
    zs_state *z = c->state;
    if (z->hint == 0)
        return PLUCK_OK;
    return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of zstd data at "
                         "compressed offset %llu (the last frame is incomplete).",
                         (unsigned long long)c->in_total);
}

static void zs_destroy(pl_codec *c)
{
    zs_state *z = c->state;
    if (!z)
        return;
    ZSTD_freeDCtx(z->dctx);
    free(z);
    c->state = NULL;
}

static const pl_codec_ops zs_ops = {zs_step, zs_finish, zs_destroy};

pluck_code pl_codec_open_zstd(pl_codec *c)
{
    zs_state *z = calloc(1, sizeof *z);
    if (!z)
        return PLUCK_E_OUT_OF_MEMORY;
    c->state = z;
    c->ops = &zs_ops;
    c->name = "zstd";
    z->hint = 1; /* no frame seen yet: ending here is not a clean end */
    z->dctx = ZSTD_createDCtx();
    if (!z->dctx)
        return PLUCK_E_OUT_OF_MEMORY;
    return PLUCK_OK;
}

/*
 * zstd.c — zstd decoding through libzstd's streaming API.  Concatenated frames (and
 * skippable frames) are handled by libzstd itself; this file tracks whether the last
 * frame was complete, for pl_codec_finish().
 *
 * The input is handed over one decoding step at a time (a frame header, a block header, a
 * block, a checksum: what ZSTD_nextSrcSizeToDecompress() would ask for), and no new input
 * comes while output from the last block is still waiting.  ZSTD_decompressStream()
 * returns an error without saying how much it wrote first, so a call that flushed one
 * block and then met a bad one lost that block's output; and it reported the error where
 * its input happened to end.  Step by step, a bad block is the only work of its call, so
 * the output before an error is every block before the bad one, and the error names the
 * offset where the bad step's bytes begin: both the same however the input and output are
 * cut, and with one thread or two (F17 in tests/HARDENING.md).  Per call that is one block
 * (up to 128 KiB of output), which costs nothing measurable.
 */
#include "codec/codec_impl.h"

#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_nextInputType(), exported by the shared library */
#include <zstd.h>
#include <zstd_errors.h>

#define ZS_BLOCK_HEADER 3 /* bytes of a block header (RFC 8878 3.1.1.2) */

typedef struct zs_state {
    ZSTD_DCtx *dctx;
    size_t hint;       /* last return of ZSTD_decompressStream that made progress; 0 = at a
                        * frame boundary with everything flushed */
    bool out_was_full; /* the last call filled the output, so more may be buffered */
    uint64_t frame_start; /* compressed offset just after the last complete frame */
    size_t need;          /* input the decoder's next step still wants; 0 = not known (a
                           * frame is about to start: its header is fed a byte at first) */
    uint64_t step_start;  /* compressed offset where the bytes of that step begin */
    unsigned char *stage; /* a step that arrives in pieces is gathered here (ZS_STAGE) */
    size_t staged;
    uint64_t fed;         /* compressed bytes handed to libzstd so far */
    uint64_t max_window;  /* pl_codec_set_max_window(), for the message; 0 = libzstd's */
} zs_state;

/* Largest step gathered: a block (a skippable frame's content, which makes no output, can
 * be larger and goes through in pieces). */
#define ZS_STAGE (ZSTD_BLOCKSIZE_MAX + 64)

static pluck_code zs_fail(pl_codec *c, const zs_state *z, size_t ret)
{
    /* (ZSTD_decompressStream() does not advance its buffers on an error: the failing
     * step's output is nothing) */
    ZSTD_ErrorCode e = ZSTD_getErrorCode(ret);
    PL_RETURN_ERROR_IF(e == ZSTD_error_memory_allocation, &c->err, PLUCK_E_OUT_OF_MEMORY,
                       "Object decompression failed: out of memory in the zstd "
                       "decoder.");
    if (e == ZSTD_error_prefix_unknown && z->frame_start > 0)
        return pl_codec_trailing_garbage(c, "zstd frame", z->frame_start);
    if (e == ZSTD_error_frameParameter_windowTooLarge) { /* refused before allocating it */
        uint64_t w = z->max_window ? z->max_window : (uint64_t)1 << 27; /* libzstd's */
        bool mib = w >= ((uint64_t)1 << 20);
        return pl_error_fail(&c->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                             "The zstd frame at compressed offset %llu needs a window larger "
                             "than the %llu %s this reader allows (max-window).",
                             (unsigned long long)z->step_start,
                             (unsigned long long)(w >> (mib ? 20 : 10)), mib ? "MiB" : "KiB");
    }
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: zstd data is corrupt (%s) at "
                         "compressed offset %llu.",
                         ZSTD_getErrorName(ret), (unsigned long long)z->step_start);
}

static pluck_code zs_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    zs_state *z = c->state;
    /* libzstd turns a run of calls that make no progress into an error (its
     * noForwardProgress guard), so a call that cannot do anything is not made at all:
     * without new input, only output still buffered from a call that filled the output
     * can come out. */
    if (*in_len == 0 && !z->out_was_full && z->staged == 0) {
        *stalled = true;
        return PLUCK_OK;
    }
    ZSTD_inBuffer ib;
    ZSTD_outBuffer ob;
    size_t ret;
    for (;;) {
        size_t feed = *in_len, want = z->need ? z->need : 1;
        bool flushing = z->out_was_full, staged = false;
        if (flushing) {
            feed = 0; /* first the rest of the last block's output */
        } else if (z->staged || (feed < want && want <= ZS_STAGE &&
                                 ZSTD_nextInputType(z->dctx) != ZSTDnit_skippableFrame)) {
            /* A step in pieces is gathered first: libzstd would decode a raw block as its
             * bytes arrive and then, meeting a bad frame size at its end, lose that output
             * with one cut and not with another. */
            size_t room = want > z->staged ? want - z->staged : 0;
            if (room > ZS_STAGE - z->staged)
                room = ZS_STAGE - z->staged; /* (a step never needs more) */
            size_t take = pl_codec_take_in(z->stage, &z->staged, room, in, in_len);
            if (z->staged < want && z->staged < ZS_STAGE) {
                if (take == 0)
                    *stalled = true;
                return PLUCK_OK;
            }
            staged = true;
            feed = z->staged < want ? z->staged : want;
        } else if (feed > want) {
            feed = want;
        }
        ib = (ZSTD_inBuffer){staged ? z->stage : *in, feed, 0};
        ob = (ZSTD_outBuffer){*out, *out_cap, 0};
        ret = ZSTD_decompressStream(z->dctx, &ob, &ib);
        if (ZSTD_isError(ret))
            return zs_fail(c, z, ret);
        if (staged) {
            /* libzstd takes a whole step it is given, but for the last byte of a frame
             * whose output is still waiting (its "hostage" byte) */
            z->staged -= ib.pos;
            memmove(z->stage, z->stage + ib.pos, z->staged);
        } else {
            *in += ib.pos;
            *in_len -= ib.pos;
        }
        *out += ob.pos;
        *out_cap -= ob.pos;
        z->out_was_full = ob.pos == ob.size;
        if (ib.pos || ob.pos)
            break;
        if (!flushing || (*in_len == 0 && z->staged == 0)) {
            *stalled = true; /* keep the hint of the last call that did something */
            return PLUCK_OK;
        }
        /* nothing was waiting after all: go on with the input */
    }
    z->hint = ret;
    if (z->need == 0 && ib.pos > 0)
        z->step_start = z->fed; /* a frame begins */
    z->fed += ib.pos;
    if (ret == 0) {
        z->frame_start = z->step_start = z->fed;
        z->need = 0;
    } else if (ib.pos > 0 || z->need == 0) {
        if (z->need && ib.pos == z->need)
            z->step_start = z->fed; /* the step is done: the next begins */
        /* the hint counts the next block header too when a block comes next */
        size_t hdr = ZSTD_nextInputType(z->dctx) == ZSTDnit_block ? ZS_BLOCK_HEADER : 0;
        z->need = ret > hdr ? ret - hdr : ret;
    }
    return PLUCK_OK;
}

static pluck_code zs_finish(pl_codec *c)
{
    zs_state *z = c->state;
    if (z->hint == 0)
        return PLUCK_OK;
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
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
    free(z->stage);
    free(z);
    c->state = NULL;
}

static const pl_codec_ops zs_ops = {zs_step, zs_finish, zs_destroy};

void pl_codec_zstd_resume(pl_codec *c, uint64_t at)
{
    zs_state *z = c->state;
    z->fed = z->step_start = at;
}

void pl_codec_zstd_max_window(pl_codec *c, uint64_t max_window)
{
    zs_state *z = c->state;
    int wlog = ZSTD_WINDOWLOG_MIN;
    while (wlog < ZSTD_WINDOWLOG_MAX && ((uint64_t)1 << (wlog + 1)) <= max_window)
        wlog++; /* the largest power of two not above it: frames declare such windows */
    z->max_window = (uint64_t)1 << wlog;
    ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, wlog);
}

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
    z->stage = malloc(ZS_STAGE);
    if (!z->dctx || !z->stage)
        return PLUCK_E_OUT_OF_MEMORY;
    /* ZSTD_nextInputType() reads the buffer-less decoder's stage, which the streaming
     * decoder sets only once a frame header is in: start it at "frame header" (valgrind
     * saw the uninitialised read, and fuzz_codec the random answers it gave) */
    if (ZSTD_isError(ZSTD_decompressBegin(z->dctx)))
        return PLUCK_E_INTERNAL_ERROR;
    return PLUCK_OK;
}

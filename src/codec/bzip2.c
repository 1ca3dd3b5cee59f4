/*
 * bzip2.c — bzip2 decoding through libbz2's bz_stream API.  libbz2 decodes one stream per
 * BZ2_bzDecompressInit(); files made by pbzip2 or by concatenation hold several, so after
 * BZ_STREAM_END the decoder is restarted when more input arrives.
 */
#include "codec/codec_impl.h"

#include <stdlib.h>
#include <string.h>

#include <bzlib.h>

typedef struct bz_state {
    bz_stream s;
    bool ready;        /* BZ2_bzDecompressInit done and not yet ended */
    bool in_stream;    /* bytes of a stream have been consumed and it has not ended */
    uint64_t streams;  /* streams completed */
    uint64_t stream_start; /* compressed offset of the current (or next) stream */
} bz_state;

static pluck_code bz_oom(pl_codec *c)
{
    return pl_codec_fail(c, PLUCK_E_OUT_OF_MEMORY,
                         "Object decompression failed: out of memory in the bzip2 decoder.");
}

static int bz_start(bz_state *b)
{
    memset(&b->s, 0, sizeof b->s);
    int ret = BZ2_bzDecompressInit(&b->s, 0, 0);
    b->ready = ret == BZ_OK;
    return ret;
}

static pluck_code bz_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    bz_state *b = c->state;
    if (*in_len == 0 && !b->in_stream) {
        *stalled = true; /* between streams nothing is buffered */
        return PLUCK_OK;
    }
    if (!b->ready) {
        int r = bz_start(b);
        if (r == BZ_MEM_ERROR)
            return bz_oom(c);
        if (r != BZ_OK)
            return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                                 "Object decompression failed: libbz2 could not start (%d).",
                                 r);
    }
    unsigned ain = (unsigned)pl_codec_clamp32(*in_len);
    unsigned aout = (unsigned)pl_codec_clamp32(*out_cap);
    /* libbz2 never writes through next_in; its field is just not const-qualified. */
    b->s.next_in = (char *)(uintptr_t)*in;
    b->s.avail_in = ain;
    b->s.next_out = (char *)*out;
    b->s.avail_out = aout;
    int ret = BZ2_bzDecompress(&b->s);
    size_t consumed = ain - b->s.avail_in, produced = aout - b->s.avail_out;
    *in += consumed;
    *in_len -= consumed;
    *out += produced;
    *out_cap -= produced;
    if (consumed)
        b->in_stream = true;

    switch (ret) {
    case BZ_OK:
        if (consumed == 0 && produced == 0)
            *stalled = true;
        return PLUCK_OK;
    case BZ_STREAM_END:
        /* Returned only once the stream's output is all delivered and its combined CRC
         * checked; avail_in then holds exactly the bytes after it. */
        BZ2_bzDecompressEnd(&b->s);
        b->ready = false;
        b->in_stream = false;
        b->streams++;
        b->stream_start = c->in_total + consumed;
        return PLUCK_OK;
    case BZ_MEM_ERROR:
        return bz_oom(c);
    case BZ_DATA_ERROR_MAGIC:
        if (b->streams > 0)
            return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                                 "Object decompression failed: trailing garbage after bzip2 "
                                 "stream at compressed offset %llu.",
                                 (unsigned long long)b->stream_start);
        return pl_codec_fail(c, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                             "The object is not in bzip2 format: its first bytes do not "
                             "match the bzip2 magic number.");
    case BZ_DATA_ERROR:
        return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                             "Object decompression failed: bzip2 data is corrupt (bad block "
                             "data or CRC) at compressed offset %llu.",
                             (unsigned long long)(c->in_total + consumed));
    default:
        return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: libbz2 returned %d.", ret);
    }
}

static pluck_code bz_finish(pl_codec *c)
{
    bz_state *b = c->state;
    if (!b->in_stream && b->streams > 0)
        return PLUCK_OK;
    return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of bzip2 data at "
                         "compressed offset %llu (the last stream is incomplete).",
                         (unsigned long long)c->in_total);
}

static void bz_destroy(pl_codec *c)
{
    bz_state *b = c->state;
    if (!b)
        return;
    if (b->ready)
        BZ2_bzDecompressEnd(&b->s);
    free(b);
    c->state = NULL;
}

static const pl_codec_ops bz_ops = {bz_step, bz_finish, bz_destroy};

pluck_code pl_codec_open_bzip2(pl_codec *c)
{
    bz_state *b = calloc(1, sizeof *b);
    if (!b)
        return PLUCK_E_OUT_OF_MEMORY;
    c->state = b;
    c->ops = &bz_ops;
    c->name = "bzip2";
    /* Start now so that a library that cannot start is reported at create time. */
    int r = bz_start(b);
    if (r != BZ_OK)
        return r == BZ_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    return PLUCK_OK;
}

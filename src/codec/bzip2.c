/*
 * bzip2.c — bzip2 decoding through libbz2's bz_stream API.  libbz2 decodes one stream per
 * BZ2_bzDecompressInit(); files made by pbzip2 or by concatenation hold several, so after
 * BZ_STREAM_END the decoder is restarted when more input arrives.
 *
 * Output goes through a 64 KiB chunk buffer and a chunk is handed over only once it is full
 * (or its stream has ended).  libbz2 does not count the output of the call in which it finds
 * a damaged block (unRLE_obuf_to_output_FAST returns without storing avail_out), so how much
 * decoded before a BZ_DATA_ERROR would otherwise depend on the sizes of the output buffers
 * and of the input pieces: `--threads 1` and `--threads 2` (256 KiB vs 1 MiB) ended one
 * corrupt file with different errors (F11 in tests/HARDENING.md).  Calls never cross a chunk
 * boundary, and on a data error the chunk being filled is dropped, so the output before the
 * error is always the same whole chunks.  bzip2 decodes at tens of MB/s; the copy is noise.
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
    unsigned char *chunk;  /* BZ_CHUNK bytes: decoded output not yet handed over */
    size_t fill;           /* bytes decoded into chunk */
    size_t sent;           /* of those, bytes handed over (only once chunk_done) */
    bool chunk_done;       /* chunk is full or its stream ended: it may be handed over */
} bz_state;

#define BZ_CHUNK (64u * 1024)

static pluck_code bz_oom(pl_codec *c)
{
    return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
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
    if (b->chunk_done) {
        pl_codec_hand_out(b->chunk, b->fill, &b->sent, out, out_cap);
        if (b->sent == b->fill) {
            b->fill = b->sent = 0;
            b->chunk_done = false;
        }
        return PLUCK_OK;
    }
    if (*in_len == 0 && !b->in_stream) {
        *stalled = true; /* between streams nothing is buffered */
        return PLUCK_OK;
    }
    if (!b->ready) {
        int r = bz_start(b);
        if (r == BZ_MEM_ERROR)
            return bz_oom(c);
        PL_RETURN_ERROR_IF(r != BZ_OK, &c->err, PLUCK_E_INTERNAL_ERROR,
                           "Object decompression failed: libbz2 could not start (%d).", r);
    }
    unsigned ain = (unsigned)pl_codec_clamp32(*in_len);
    unsigned aout = (unsigned)(BZ_CHUNK - b->fill);
    /* libbz2 never writes through next_in; its field is just not const-qualified. */
    b->s.next_in = (char *)(uintptr_t)*in;
    b->s.avail_in = ain;
    b->s.next_out = (char *)b->chunk + b->fill;
    b->s.avail_out = aout;
    int ret = BZ2_bzDecompress(&b->s);
    size_t consumed = ain - b->s.avail_in, produced = aout - b->s.avail_out;
    *in += consumed;
    *in_len -= consumed;
    b->fill += produced;
    if (b->fill == BZ_CHUNK)
        b->chunk_done = true;
    if (consumed)
        b->in_stream = true;

    switch (ret) {
    case BZ_OK:
        if (consumed == 0 && produced == 0)
            *stalled = true;
        return PLUCK_OK;
    case BZ_STREAM_END:
        b->chunk_done = b->fill > 0; /* the stream's last bytes */
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
            return pl_codec_trailing_garbage(c, "bzip2 stream", b->stream_start);
        return pl_error_fail(&c->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                             "The object is not in bzip2 format: its first bytes do not "
                             "match the bzip2 magic number.");
    case BZ_DATA_ERROR:
        b->fill = b->sent = 0; /* the chunk with the damage, however it was cut into calls */
        b->chunk_done = false;
        return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                             "Object decompression failed: bzip2 data is corrupt (bad block "
                             "data or CRC) at compressed offset %llu.",
                             (unsigned long long)(c->in_total + consumed));
    default:
        return pl_error_fail(&c->err, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: libbz2 returned %d.", ret);
    }
}

static pluck_code bz_finish(pl_codec *c)
{
    bz_state *b = c->state;
    if (!b->in_stream && b->streams > 0)
        return PLUCK_OK;
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
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
    free(b->chunk);
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
    b->chunk = malloc(BZ_CHUNK);
    if (!b->chunk)
        return PLUCK_E_OUT_OF_MEMORY;
    /* Start now so that a library that cannot start is reported at create time. */
    int r = bz_start(b);
    if (r != BZ_OK)
        return r == BZ_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    return PLUCK_OK;
}

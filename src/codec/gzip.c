/*
 * gzip.c — gzip decoding through zlib or, when built with PLUCK_HAVE_ISAL, ISA-L igzip.
 *
 * Both backends decode one member at a time in gzip mode (header, deflate data, CRC-32 and
 * ISIZE checked by the library).  Member boundaries, the check that whatever follows a
 * member is another gzip header, and the fixed part of each member header are handled
 * here, identically for both, so that the choice of backend changes speed only: the
 * output, the error codes and the cases that are errors stay the same.  (zlib rejects
 * reserved FLG bits while ISA-L ignores them; checking them here keeps the two in step.)
 */
#include "codec/codec_impl.h"

#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#ifdef PLUCK_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define GZ_HDR_FIXED 4 /* ID1 ID2 CM FLG: the bytes checked here */

typedef struct gz_state {
    bool use_isal;
    bool zlib_ready;   /* inflateInit2 succeeded, so inflateEnd is owed */
    bool in_member;    /* bytes of a member have been consumed and it has not ended yet */
    bool need_reset;   /* the previous member ended; reset the decoder before the next */
    uint64_t members;  /* members completed */
    uint64_t member_start; /* compressed offset of the current (or next) member */
    size_t hdr_seen;   /* how many of its GZ_HDR_FIXED leading bytes were checked */
    z_stream z;
#ifdef PLUCK_HAVE_ISAL
    struct inflate_state *isal;
#endif
} gz_state;

static pluck_code gz_corrupt(pl_codec *c, const char *what, uint64_t offset)
{
    return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: gzip data is corrupt (%s) at "
                         "compressed offset %llu.",
                         what, (unsigned long long)offset);
}

/* Look at the fixed header bytes of the current member that are visible in `in` before a
 * decoder consumes them.  Bytes after a complete member must start another member: that
 * is where trailing garbage (including NUL padding) is caught. */
static pluck_code gz_check_header(pl_codec *c, gz_state *g, const unsigned char *in,
                                  size_t in_len)
{
    while (g->hdr_seen < GZ_HDR_FIXED) {
        uint64_t at = g->member_start + g->hdr_seen;
        if (at < c->in_total || at - c->in_total >= in_len)
            break;
        unsigned char b = in[at - c->in_total];
        switch (g->hdr_seen) {
        case 0:
        case 1:
            if (b != (g->hdr_seen == 0 ? 0x1f : 0x8b)) {
                if (g->members == 0)
                    return pl_codec_fail(c, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                                         "The object is not in gzip format: its first bytes "
                                         "do not match the gzip magic number.");
                return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                                     "Object decompression failed: trailing garbage after "
                                     "gzip member at compressed offset %llu.",
                                     (unsigned long long)g->member_start);
            }
            break;
        case 2:
            if (b != 8)
                return gz_corrupt(c, "unknown compression method", at);
            break;
        default:
            if (b & 0xe0)
                return gz_corrupt(c, "unknown header flags set", at);
            break;
        }
        g->hdr_seen++;
    }
    return PLUCK_OK;
}

static void gz_member_end(pl_codec *c, gz_state *g, size_t consumed)
{
    g->in_member = false;
    g->need_reset = true;
    g->members++;
    g->member_start = c->in_total + consumed;
    g->hdr_seen = 0;
}

/* ---- zlib ------------------------------------------------------------------------------- */

static pluck_code gz_zlib_step(pl_codec *c, gz_state *g, const unsigned char **in,
                               size_t *in_len, unsigned char **out, size_t *out_cap,
                               bool *stalled)
{
    z_stream *z = &g->z;
    if (g->need_reset) {
        if (inflateReset(z) != Z_OK)
            return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                                 "Object decompression failed: zlib could not be reset.");
        g->need_reset = false;
    }
    uInt ain = (uInt)pl_codec_clamp32(*in_len), aout = (uInt)pl_codec_clamp32(*out_cap);
    z->next_in = *in;
    z->avail_in = ain;
    z->next_out = *out;
    z->avail_out = aout;
    int ret = inflate(z, Z_NO_FLUSH);
    size_t consumed = ain - z->avail_in, produced = aout - z->avail_out;
    *in += consumed;
    *in_len -= consumed;
    *out += produced;
    *out_cap -= produced;
    if (consumed)
        g->in_member = true;

    switch (ret) {
    case Z_OK:
        break;
    case Z_STREAM_END:
        gz_member_end(c, g, consumed);
        return PLUCK_OK;
    case Z_BUF_ERROR: /* no progress was possible: not an error in itself */
        *stalled = true;
        return PLUCK_OK;
    case Z_DATA_ERROR:
        return gz_corrupt(c, z->msg ? z->msg : "invalid data", c->in_total + consumed);
    case Z_NEED_DICT:
        return gz_corrupt(c, "preset dictionary required", c->in_total + consumed);
    case Z_MEM_ERROR:
        return pl_codec_fail(c, PLUCK_E_OUT_OF_MEMORY,
                             "Object decompression failed: out of memory in the gzip "
                             "decoder.");
    default:
        return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: zlib returned %d.", ret);
    }
    if (consumed == 0 && produced == 0)
        *stalled = true;
    return PLUCK_OK;
}

/* ---- ISA-L -------------------------------------------------------------------------------- */

#ifdef PLUCK_HAVE_ISAL
static void gz_isal_start(struct inflate_state *s)
{
    isal_inflate_init(s);
    s->crc_flag = ISAL_GZIP;
    s->hist_bits = 0; /* full 32 KiB window */
}

static const char *isal_error_text(int ret)
{
    switch (ret) {
    case ISAL_INVALID_BLOCK:
        return "invalid block";
    case ISAL_INVALID_SYMBOL:
        return "invalid code";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    case ISAL_NEED_DICT:
        return "preset dictionary required";
    default:
        return "invalid data";
    }
}

static pluck_code gz_isal_step(pl_codec *c, gz_state *g, const unsigned char **in,
                               size_t *in_len, unsigned char **out, size_t *out_cap,
                               bool *stalled)
{
    struct inflate_state *s = g->isal;
    if (g->need_reset) {
        gz_isal_start(s);
        g->need_reset = false;
    }
    uint32_t ain = (uint32_t)pl_codec_clamp32(*in_len);
    uint32_t aout = (uint32_t)pl_codec_clamp32(*out_cap);
    /* ISA-L never writes through next_in; its field is just not const-qualified. */
    s->next_in = (uint8_t *)(uintptr_t)*in;
    s->avail_in = ain;
    s->next_out = *out;
    s->avail_out = aout;
    int state0 = (int)s->block_state;
    int ret = isal_inflate(s);
    /* on corrupt data (e.g. a distance too far back) ISA-L may leave its counters past the
     * buffers it was given: report the corruption, which is what zlib reports too */
    if (ret != ISAL_DECOMP_OK && (s->avail_in > ain || s->avail_out > aout))
        return gz_corrupt(c, isal_error_text(ret), c->in_total);
    if (s->avail_in > ain || s->avail_out > aout)
        return pl_codec_fail(c, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: ISA-L moved its buffers "
                             "backwards.");
    size_t consumed = ain - s->avail_in, produced = aout - s->avail_out;
    *in += consumed;
    *in_len -= consumed;
    *out += produced;
    *out_cap -= produced;
    if (consumed)
        g->in_member = true;

    if (ret != ISAL_DECOMP_OK)
        return gz_corrupt(c, isal_error_text(ret), c->in_total + consumed);
    if (s->block_state == ISAL_BLOCK_FINISH) {
        /* FINISH is reached only once all output is flushed and the trailer checked, and
         * it leaves next_in just past the trailer, so the rest is the next member. */
        gz_member_end(c, g, consumed);
        return PLUCK_OK;
    }
    if (consumed == 0 && produced == 0 && (int)s->block_state == state0)
        *stalled = true;
    return PLUCK_OK;
}
#endif

/* ---- hooks ---------------------------------------------------------------------------------- */

static pluck_code gz_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    gz_state *g = c->state;
    pluck_code rc = gz_check_header(c, g, *in, *in_len);
    if (rc != PLUCK_OK)
        return rc;
    if (*in_len == 0 && !g->in_member) {
        /* Between members nothing is buffered, so without input there is nothing to do
         * (and the next member's decoder is not started until its bytes arrive). */
        *stalled = true;
        return PLUCK_OK;
    }
#ifdef PLUCK_HAVE_ISAL
    if (g->use_isal)
        return gz_isal_step(c, g, in, in_len, out, out_cap, stalled);
#endif
    return gz_zlib_step(c, g, in, in_len, out, out_cap, stalled);
}

static pluck_code gz_finish(pl_codec *c)
{
    gz_state *g = c->state;
    if (!g->in_member && g->members > 0)
        return PLUCK_OK;
    return pl_codec_fail(c, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of gzip data at "
                         "compressed offset %llu (the last member is incomplete).",
                         (unsigned long long)c->in_total);
}

static void gz_destroy(pl_codec *c)
{
    gz_state *g = c->state;
    if (!g)
        return;
    if (g->zlib_ready)
        inflateEnd(&g->z);
#ifdef PLUCK_HAVE_ISAL
    free(g->isal);
#endif
    free(g);
    c->state = NULL;
}

static const pl_codec_ops gz_ops = {gz_step, gz_finish, gz_destroy};

static bool gz_want_isal(pl_gzip_backend backend)
{
#ifdef PLUCK_HAVE_ISAL
    if (backend == PL_GZIP_AUTO) {
        const char *env = getenv("PLUCK_INFLATE");
        if (env && strcmp(env, "zlib") == 0)
            return false;
        return true;
    }
    return backend == PL_GZIP_ISAL;
#else
    return false; /* PL_GZIP_ISAL falls back to the only backend there is */
#endif
}

pluck_code pl_codec_open_gzip(pl_codec *c, pl_gzip_backend backend)
{
    gz_state *g = calloc(1, sizeof *g);
    if (!g)
        return PLUCK_E_OUT_OF_MEMORY;
    c->state = g;
    c->ops = &gz_ops;
    g->use_isal = gz_want_isal(backend);
#ifdef PLUCK_HAVE_ISAL
    if (g->use_isal) {
        g->isal = malloc(sizeof *g->isal);
        if (!g->isal)
            return PLUCK_E_OUT_OF_MEMORY;
        gz_isal_start(g->isal);
        c->name = "gzip (isa-l)";
        return PLUCK_OK;
    }
#endif
    int ret = inflateInit2(&g->z, 16 + MAX_WBITS); /* 16: gzip wrapper only */
    if (ret != Z_OK)
        return ret == Z_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    g->zlib_ready = true;
    c->name = "gzip (zlib)";
    return PLUCK_OK;
}

/*
 * push.c — the push source: buffers handed to pluck_run_feed() go through the codec the
 * first bytes select (every magic number fits in 16) into the window, one decode step of
 * PL_CHUNK bytes at a time, and the window is scanned after each step.
 */
#include "source/source.h"

#include <string.h>

static pluck_code decode(pl_push *p, pl_source *s, const unsigned char *in, size_t n)
{
    for (;;) {
        PL_FORWARD_IF_ERROR(pl_source_reserve(s, PL_CHUNK));
        unsigned char *out = (unsigned char *)s->win + s->wlen;
        size_t room = PL_CHUNK;
        pluck_code rc = pl_codec_decode(p->codec, &in, &n, &out, &room);
        size_t produced = PL_CHUNK - room;
        s->wlen += produced;
        s->bytes_out += produced;
        if (rc) {
            /* what decoded cleanly before the damage is used first, as the pipelined path
             * does: complete records in it are output (or meet the LIMIT) */
            PL_FORWARD_IF_NOT_OK(s->scan(s->ctx, s, false));
            return pl_source_fail(s, rc, "%s", pl_codec_message(p->codec));
        }
        PL_FORWARD_IF_NOT_OK(s->scan(s->ctx, s, false));
        if (n == 0 && produced == 0)
            return PLUCK_OK;
    }
}

/* Create the codec once the first bytes tell which (at_eof: no more bytes come). */
static pluck_code start_codec(pl_push *p, pl_source *s, bool at_eof)
{
    pl_compression kind = p->kind;
    if (kind == PL_COMP_AUTO) {
        kind = pl_codec_detect(p->sniff, p->nsniff, at_eof);
        if (kind == PL_COMP_AUTO)
            return PLUCK_OK; /* need more bytes */
    }
    p->codec = pl_codec_create(kind, PL_GZIP_AUTO);
    PL_RETURN_ERROR_IF(!p->codec, &s->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    s->codec = pl_codec_name(p->codec);
    return decode(p, s, p->sniff, p->nsniff);
}

pluck_code pl_push_feed(pl_push *p, pl_source *s, const void *data, size_t len)
{
    const unsigned char *in = data;
    s->bytes_in += len;
    if (!p->codec) {
        size_t take = sizeof p->sniff - p->nsniff;
        if (take > len)
            take = len;
        memcpy(p->sniff + p->nsniff, in, take);
        p->nsniff += take;
        in += take;
        len -= take;
        PL_FORWARD_IF_NOT_OK(start_codec(p, s, false));
        if (!p->codec)
            return PLUCK_OK;
    }
    return len ? decode(p, s, in, len) : PLUCK_OK;
}

pluck_code pl_push_finish(pl_push *p, pl_source *s)
{
    if (!p->codec) {
        PL_FORWARD_IF_NOT_OK(start_codec(p, s, true));
        PL_RETURN_ERROR_IF(!p->codec, &s->err, PLUCK_E_INTERNAL_ERROR,
                           "Compression could not be detected.");
    }
    pl_codec_end_input(p->codec);
    PL_FORWARD_IF_NOT_OK(decode(p, s, (const unsigned char *)"", 0));
    pluck_code rc = pl_codec_finish(p->codec);
    if (rc)
        return pl_source_fail(s, rc, "%s", pl_codec_message(p->codec));
    return s->scan(s->ctx, s, true);
}

void pl_push_free(pl_push *p)
{
    pl_codec_free(p->codec);
    p->codec = NULL;
}

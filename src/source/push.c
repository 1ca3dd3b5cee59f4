/*
 * push.c — the push source: buffers handed to pluck_run_feed() go through the codec the
 * first bytes select (every magic number fits in 16) into the window, one decode step of
 * PL_CHUNK bytes at a time, and the window is scanned after each step.
 */
#include "source/gzindex.h"
#include "source/source.h"

#include <string.h>

/* Decompress *in (*n bytes) into the window and scan it, PL_CHUNK by PL_CHUNK, advancing *in
 * and *n.  Under pl_push_step() it stops once step_left bytes were produced (a bomb's ratio
 * bounds neither the time nor the output of one call); the consumer's scan asks the progress
 * hook when due, so a cancel is seen within one chunk of it. */
static pluck_code decode_some(pl_push *p, pl_source *s, const unsigned char **inp, size_t *np)
{
    const unsigned char *in = *inp;
    size_t n = *np;
    pluck_code ret = PLUCK_OK;
    for (;;) {
        if ((ret = pl_source_reserve(s, PL_CHUNK)))
            break;
        unsigned char *out = (unsigned char *)s->win + s->wlen;
        size_t room = PL_CHUNK;
        pluck_code rc = pl_codec_decode(p->codec, &in, &n, &out, &room);
        size_t produced = PL_CHUNK - room;
        s->wlen += produced;
        s->bytes_out += produced;
        if (rc) {
            /* what decoded cleanly before the damage is used first, as the pipelined path
             * does: complete records in it are output (or meet the LIMIT) */
            if ((ret = s->scan(s->ctx, s, false)) == PLUCK_OK)
                ret = pl_source_fail(s, rc, "%s", pl_codec_message(p->codec));
            break;
        }
        if ((ret = s->scan(s->ctx, s, false)))
            break;
        if (n == 0 && produced == 0)
            break;
        if (p->step_left != SIZE_MAX) {
            if (produced >= p->step_left) {
                p->step_left = 0;
                p->step_more = true;
                break;
            }
            p->step_left -= produced;
        }
    }
    *inp = in;
    *np = n;
    return ret;
}

static pluck_code decode(pl_push *p, pl_source *s, const unsigned char *in, size_t n)
{
    return decode_some(p, s, &in, &n);
}

/* Create the codec once the first bytes tell which (at_eof: no more bytes come). */
static pluck_code start_codec(pl_push *p, pl_source *s, bool at_eof)
{
    pl_compression kind = p->kind;
    if (kind == PL_COMP_AUTO) {
        kind = pl_codec_detect(p->sniff, p->nsniff, at_eof);
        if (kind == PL_COMP_AUTO)
            return PLUCK_OK; /* need more bytes */
        const char *other = kind == PL_COMP_NONE ? pl_codec_unsupported(p->sniff, p->nsniff)
                                                 : NULL;
        PL_RETURN_ERROR_IF(other, &s->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                           "The input is %s data, which pluck does not read: decompress or "
                           "extract it first. pluck reads CSV, plain or compressed with gzip, "
                           "zstd, bzip2 or xz.",
                           other);
    }
    p->codec = pl_codec_create(kind, PL_GZIP_AUTO);
    PL_RETURN_ERROR_IF(!p->codec, &s->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    pl_codec_set_max_window(p->codec, s->max_window);
    p->indexing = kind == PL_COMP_GZIP && s->gzrec;
    if (p->indexing)
        pl_gzrec_attach(s->gzrec, p->codec);
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

pluck_code pl_push_step(pl_push *p, pl_source *s, const void *data, size_t len, bool end,
                        size_t *used, bool *more)
{
    const unsigned char *in = data;
    size_t n = len;
    *used = 0;
    *more = false;
    if (!p->codec) {
        /* detection sees at most sizeof sniff bytes: too few to make a step unbounded */
        size_t take = sizeof p->sniff - p->nsniff;
        if (take > n)
            take = n;
        memcpy(p->sniff + p->nsniff, in, take);
        p->nsniff += take;
        s->bytes_in += take;
        in += take;
        n -= take;
        pluck_code rc = start_codec(p, s, end && n == 0);
        if (rc || !p->codec) {
            *used = take;
            return rc;
        }
    }
    p->step_left = PL_STEP_BYTES;
    p->step_more = false;
    size_t before = n;
    pluck_code rc = decode_some(p, s, &in, &n);
    s->bytes_in += before - n;
    *used = len - n;
    if (rc == PLUCK_OK && end && n == 0 && !p->step_more && !p->input_ended) {
        pl_codec_end_input(p->codec);
        p->input_ended = true;
        p->step_more = true; /* what the codec held comes out in the next calls */
    } else if (rc == PLUCK_OK && n == 0 && !p->step_more && p->input_ended) {
        p->step_more = false;
    }
    *more = p->step_more || n > 0;
    p->step_left = SIZE_MAX;
    return rc;
}

pluck_code pl_push_finish(pl_push *p, pl_source *s)
{
    if (!p->codec) {
        PL_FORWARD_IF_NOT_OK(start_codec(p, s, true));
        PL_RETURN_ERROR_IF(!p->codec, &s->err, PLUCK_E_INTERNAL_ERROR,
                           "Compression could not be detected.");
    }
    if (!p->input_ended)
        pl_codec_end_input(p->codec);
    p->input_ended = true;
    PL_FORWARD_IF_NOT_OK(decode(p, s, (const unsigned char *)"", 0));
    pluck_code rc = pl_codec_finish(p->codec);
    if (rc)
        return pl_source_fail(s, rc, "%s", pl_codec_message(p->codec));
    if (p->indexing)
        pl_gzrec_done(s->gzrec, p->codec);
    return s->scan(s->ctx, s, true);
}

void pl_push_free(pl_push *p)
{
    pl_codec_free(p->codec);
    p->codec = NULL;
}

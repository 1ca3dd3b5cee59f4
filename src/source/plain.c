/*
 * plain.c — plain input read straight into the window, sparing the copy a codec would
 * make; the window is scanned after each read.
 */
#include "source/source.h"

pluck_code pl_plain_step(pl_source *s, pluck_read_fn read, void *opaque, bool *eof)
{
    *eof = false;
    PL_FORWARD_IF_ERROR(pl_source_reserve(s, PL_CHUNK));
    ptrdiff_t n = read(opaque, s->win + s->wlen, PL_CHUNK);
    PL_RETURN_ERROR_IF(n < 0, &s->err, PLUCK_E_READ_ERROR, "The input could not be read.");
    if (n == 0) {
        *eof = true;
        return PLUCK_OK;
    }
    s->wlen += (size_t)n;
    s->bytes_in += (uint64_t)n;
    s->bytes_out += (uint64_t)n;
    PL_FORWARD_IF_NOT_OK(s->scan(s->ctx, s, false));
    return s->tick(s->ctx, s);
}

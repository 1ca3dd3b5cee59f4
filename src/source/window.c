/*
 * window.c — the source's window (see source.h): grown on demand, slid after each scan.
 */
#include "source/source.h"

#include <stdlib.h>
#include <string.h>

bool pl_source_init(pl_source *s)
{
    memset(s, 0, sizeof *s);
    s->codec = "";
    s->win = malloc(1); /* never NULL, grows on the first input */
    s->wcap = 1;
    return s->win != NULL;
}

void pl_source_free(pl_source *s)
{
    free(s->win);
    s->win = NULL;
}

pluck_code pl_source_fail(pl_source *s, pluck_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(&s->err, code, fmt, ap);
    va_end(ap);
    return code;
}

pluck_code pl_source_reserve(pl_source *s, size_t n)
{
    if (s->wcap - s->wlen >= n)
        return PLUCK_OK;
    size_t cap = s->wlen + n;
    char *w = realloc(s->win, cap);
    PL_RETURN_ERROR_IF(!w, &s->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    s->win = w;
    s->wcap = cap;
    return PLUCK_OK;
}

void pl_source_drop(pl_source *s, size_t n)
{
    if (!n)
        return;
    memmove(s->win, s->win + n, s->wlen - n);
    s->wlen -= n;
    s->wbase += n;
}

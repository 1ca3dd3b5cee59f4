/*
 * csv.c — the CSV writer (rules in out.h).
 */
#include "out/out.h"

#include <string.h>

void pl_writer_init(pl_writer *w, const pl_out_dialect *d)
{
    memset(w, 0, sizeof *w);
    w->d = *d;
    w->special['\r'] = w->special['\n'] = true;
    w->special[d->quote] = w->special[d->escape] = true;
    for (int i = 0; i < d->field_delim.len; i++)
        w->special[(unsigned char)d->field_delim.s[i]] = true;
    for (int i = 0; i < d->record_delim.len; i++)
        w->special[(unsigned char)d->record_delim.s[i]] = true;
}

void pl_writer_free(pl_writer *w) { pl_buf_free(&w->buf); }

static bool needs_quotes(const pl_writer *w, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w->special[(unsigned char)p[i]])
            return true;
    return false;
}

bool pl_csv_field(pl_writer *w, const char *p, size_t n, bool first)
{
    pl_buf *b = &w->buf;
    const pl_out_dialect *d = &w->d;
    if (!first && !pl_buf_append(b, d->field_delim.s, d->field_delim.len))
        return false;
    if (!d->quote_always && !needs_quotes(w, p, n))
        return pl_buf_append(b, p, n);
    /* worst case every byte is escaped */
    if (!pl_buf_reserve(b, 2 * n + 2))
        return false;
    char *o = b->data + b->len;
    *o++ = (char)d->quote;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == d->quote || (c == d->escape && d->escape != d->quote))
            *o++ = (char)d->escape;
        *o++ = (char)c;
    }
    *o++ = (char)d->quote;
    b->len = (size_t)(o - b->data);
    return true;
}

bool pl_csv_value(pl_writer *w, const pl_value *v, bool first)
{
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n = pl_value_text(v, tmp, &p);
    return pl_csv_field(w, p, n, first);
}

bool pl_csv_end(pl_writer *w)
{
    return pl_buf_append(&w->buf, w->d.record_delim.s, w->d.record_delim.len);
}

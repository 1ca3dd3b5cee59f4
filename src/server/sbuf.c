/*
 * sbuf.c — growable byte buffer (see sbuf.h).
 */
#include "server/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pl_sbuf_reserve(pl_sbuf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int pl_sbuf_add(pl_sbuf *b, const void *p, size_t n)
{
    if (pl_sbuf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0; /* reserve always leaves room for a terminator */
    return 0;
}

int pl_sbuf_adds(pl_sbuf *b, const char *s) { return pl_sbuf_add(b, s, strlen(s)); }

int pl_sbuf_printf(pl_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || pl_sbuf_reserve(b, (size_t)n + 1))
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int pl_sbuf_xml(pl_sbuf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char tmp[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20) { /* keep \t \n \r exact through parsers' end-of-line rules */
                snprintf(tmp, sizeof tmp, "&#%u;", c);
                rep = tmp;
            }
        }
        if (rep) {
            if (pl_sbuf_add(b, s + start, i - start) || pl_sbuf_adds(b, rep))
                return -1;
            start = i + 1;
        }
    }
    return pl_sbuf_add(b, s + start, n - start);
}

int pl_sbuf_xml_elem(pl_sbuf *b, const char *tag, const char *text)
{
    if (pl_sbuf_printf(b, "<%s>", tag) || pl_sbuf_xml(b, text, strlen(text)) ||
        pl_sbuf_printf(b, "</%s>", tag))
        return -1;
    return 0;
}

void pl_sbuf_compact(pl_sbuf *b)
{
    if (b->off && (b->off == b->len || b->off > 64 * 1024)) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
}

void pl_sbuf_reset(pl_sbuf *b) { b->len = b->off = 0; }

void pl_sbuf_free(pl_sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->off = 0;
}

char *pl_sbuf_take(pl_sbuf *b)
{
    if (!b->data && pl_sbuf_reserve(b, 1))
        return NULL;
    b->data[b->len] = 0;
    char *d = b->data;
    b->data = NULL;
    b->len = b->cap = b->off = 0;
    return d;
}

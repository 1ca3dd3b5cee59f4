/*
 * sbuf.h — a growable byte buffer for the server (response bodies, event-stream frames,
 * request bodies).  Kept separate from src/common's buffer: the server is a client of
 * include/pluck.h only.
 */
#ifndef PL_SBUF_H
#define PL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct pl_sbuf {
    char *data;
    size_t len, cap;
    size_t off; /* bytes already consumed from the front (used by the response reader) */
} pl_sbuf;

int pl_sbuf_reserve(pl_sbuf *b, size_t extra);
int pl_sbuf_add(pl_sbuf *b, const void *p, size_t n);
int pl_sbuf_adds(pl_sbuf *b, const char *s);
int pl_sbuf_printf(pl_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* XML-escape s (n bytes) into b: & < > " ' and control characters as character references. */
int pl_sbuf_xml(pl_sbuf *b, const char *s, size_t n);
/* Append "<tag>escaped text</tag>". */
int pl_sbuf_xml_elem(pl_sbuf *b, const char *tag, const char *text);
/* Drop consumed bytes at the front when that frees a worthwhile amount. */
void pl_sbuf_compact(pl_sbuf *b);
void pl_sbuf_reset(pl_sbuf *b);
void pl_sbuf_free(pl_sbuf *b);
/* Take ownership of the NUL-terminated contents; the buffer is left empty. */
char *pl_sbuf_take(pl_sbuf *b);

#endif

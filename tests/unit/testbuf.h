/*
 * testbuf.h — what several unit tests need around the public API: a growable byte buffer
 * that is a pluck_write_fn sink, and a seeded xorshift generator for reproducible data.
 */
#ifndef PL_TESTBUF_H
#define PL_TESTBUF_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct tb_buf {
    char *p;
    size_t n, cap;
} tb_buf;

static inline void tb_put(tb_buf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static inline int tb_sink(void *opaque, const char *data, size_t len)
{
    tb_put(opaque, data, len);
    return 0;
}

static inline unsigned tb_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (unsigned)(*state >> 11);
}

#endif /* PL_TESTBUF_H */

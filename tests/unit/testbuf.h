/*
 * testbuf.h — what several unit tests need around the public API: a growable byte buffer
 * that is a pluck_write_fn sink, a seeded xorshift generator for reproducible data, and a
 * query compiled with a header row and a thread count.
 */
#ifndef PL_TESTBUF_H
#define PL_TESTBUF_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pluck.h"

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

/* sql with FileHeaderInfo USE and THREADS threads; fails the test when it does not compile */
static inline pluck_query *tb_compile(const char *sql, const char *threads)
{
    pluck_params *p = pluck_params_create();
    cr_assert(p);
    pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, NULL);
    pluck_params_set(p, PLUCK_PARAM_THREADS, threads, strlen(threads), NULL);
    pluck_error e;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &e);
    cr_assert(q, "%s", e.message);
    pluck_params_free(p);
    return q;
}

#endif /* PL_TESTBUF_H */

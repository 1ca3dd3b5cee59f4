/*
 * buf.c — growable byte buffers and the bump arena used for syntax trees and per-batch
 * scratch.  Both report out-of-memory by returning false/NULL; nothing here aborts.
 */
#include "common/common.h"

#include <stdlib.h>
#include <string.h>

bool pl_buf_reserve(pl_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return true;
    if (extra > SIZE_MAX / 2 - b->len)
        return false;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

bool pl_buf_append(pl_buf *b, const void *p, size_t n)
{
    if (!pl_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

void pl_buf_free(pl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

struct pl_arena_block {
    pl_arena_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

#define PL_ARENA_MIN 4096

void *pl_arena_alloc(pl_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->cap - a->used < n) {
        size_t cap = n > PL_ARENA_MIN ? n : PL_ARENA_MIN;
        if (a->head && a->head->cap * 2 > cap && a->head->cap < (1u << 20))
            cap = a->head->cap * 2;
        pl_arena_block *blk = malloc(sizeof *blk + cap);
        if (!blk)
            return NULL;
        blk->next = a->head;
        blk->cap = cap;
        a->head = blk;
        a->cap = cap;
        a->used = 0;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

char *pl_arena_strndup(pl_arena *a, const char *s, size_t n)
{
    char *d = pl_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void pl_arena_reset(pl_arena *a)
{
    if (!a->head)
        return;
    pl_arena_block *keep = a->head;
    while (keep->next) { /* keep the oldest (first) block, free the rest */
        pl_arena_block *b = keep;
        keep = keep->next;
        free(b);
    }
    a->head = keep;
    a->cap = keep->cap;
    a->used = 0;
}

void pl_arena_free(pl_arena *a)
{
    pl_arena_block *b = a->head;
    while (b) {
        pl_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used = a->cap = 0;
}

bool pl_grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return false;
        c *= 2;
    }
    void *old, *n;
    memcpy(&old, pp, sizeof old); /* pp points to a T*: read and write it as bytes */
    if (!(n = realloc(old, c * size)))
        return false;
    memcpy(pp, &n, sizeof n);
    *cap = c;
    return true;
}

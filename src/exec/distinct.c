/*
 * distinct.c — DISTINCT's sets of byte strings (see distinct.h).
 *
 * Open addressing on a 64-bit hash; the bytes live in large blocks owned by the set, so
 * an entry costs its bytes, a 4-byte length and a 16-byte slot (at most half the slots are
 * used).  The memory cap counts all of it.
 */
#include "exec/distinct.h"

#include "exec/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dslot {
    uint64_t hash;
    const char *p; /* u32 length then the bytes; NULL: empty slot */
} dslot;

typedef struct dblock {
    struct dblock *next;
    size_t used, cap;
    char data[];
} dblock;

struct pl_distinct {
    size_t max, bytes;
    dslot *slots;
    size_t nslots, count;
    dblock *blocks;
    pl_buf key;
    char message[200];
};

pl_distinct *pl_distinct_create(size_t max_memory)
{
    pl_distinct *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->max = max_memory ? max_memory : ((size_t)256 << 20);
    d->nslots = 256;
    d->slots = calloc(d->nslots, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    d->bytes = d->nslots * sizeof *d->slots;
    return d;
}

void pl_distinct_free(pl_distinct *d)
{
    if (!d)
        return;
    while (d->blocks) {
        dblock *b = d->blocks;
        d->blocks = b->next;
        free(b);
    }
    free(d->slots);
    pl_buf_free(&d->key);
    free(d);
}

const char *pl_distinct_message(const pl_distinct *d) { return d->message; }

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 32);
}

static pluck_code over(pl_distinct *d)
{
    snprintf(d->message, sizeof d->message,
             "DISTINCT needs more than --max-memory (%zu bytes) to remember the values seen: "
             "raise --max-memory or narrow the query.",
             d->max);
    return PLUCK_E_TOO_MANY_GROUPS;
}

static bool grow(pl_distinct *d)
{
    size_t n = d->nslots * 2;
    dslot *s = calloc(n, sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < d->nslots; i++) {
        if (!d->slots[i].p)
            continue;
        size_t j = d->slots[i].hash & (n - 1);
        while (s[j].p)
            j = (j + 1) & (n - 1);
        s[j] = d->slots[i];
    }
    free(d->slots);
    d->bytes += (n - d->nslots) * sizeof *s;
    d->slots = s;
    d->nslots = n;
    return true;
}

static char *store(pl_distinct *d, const void *p, size_t n)
{
    size_t need = 4 + n;
    dblock *b = d->blocks;
    if (!b || b->cap - b->used < need) {
        size_t cap = d->max / 16 < 65536 ? d->max / 16 : 65536;
        if (cap < need)
            cap = need;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = d->blocks;
        d->blocks = b;
        d->bytes += sizeof *b + cap;
    }
    char *o = b->data + b->used;
    uint32_t len = (uint32_t)n;
    memcpy(o, &len, 4);
    if (n)
        memcpy(o + 4, p, n);
    b->used += need;
    return o;
}

pluck_code pl_distinct_add(pl_distinct *d, const void *p, size_t n, bool *is_new)
{
    if (n > UINT32_MAX)
        return over(d);
    uint64_t h = hash_bytes(p, n);
    size_t j = h & (d->nslots - 1);
    for (; d->slots[j].p; j = (j + 1) & (d->nslots - 1)) {
        const dslot *s = &d->slots[j];
        uint32_t len;
        memcpy(&len, s->p, 4);
        if (s->hash == h && len == n && (!n || !memcmp(s->p + 4, p, n))) {
            *is_new = false;
            return PLUCK_OK;
        }
    }
    if (d->bytes + n + 4 > d->max ||
        ((d->count + 1) * 2 > d->nslots && d->bytes + d->nslots * sizeof(dslot) * 2 > d->max))
        return over(d);
    char *o = store(d, p, n);
    if (!o)
        return PLUCK_E_OUT_OF_MEMORY;
    if (d->bytes > d->max)
        return over(d);
    d->slots[j] = (dslot){h, o};
    d->count++;
    if (d->count * 2 > d->nslots && !grow(d))
        return PLUCK_E_OUT_OF_MEMORY;
    *is_new = true;
    return PLUCK_OK;
}

pluck_code pl_distinct_step(pl_distinct *d, pl_eval_ctx *ctx, const pl_aggregate *a,
                            uint64_t group, bool *is_new)
{
    pl_value v;
    pluck_code rc = pl_eval(ctx, a->arg, &v);
    if (rc)
        return rc;
    *is_new = true;
    if (pl_v_absent(&v))
        return PLUCK_OK;
    bool numeric = a->kind == PL_AGG_SUM || a->kind == PL_AGG_AVG;
    pl_value num;
    char tag;
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n;
    if (pl_v_numeric(&v) || (numeric && pl_value_as_number(&v, &num))) {
        /* numbers by value, as GROUP BY keys (group.c): INT 1, DECIMAL 1.00 and a FLOAT
         * that is exactly 1 are one value; other FLOATs keep their own text */
        if (pl_v_numeric(&v))
            num = v;
        tag = 'N';
        if (num.type == PL_INT)
            num = pl_decimal_make(num.u.i, 0);
        else if (num.type == PL_FLOAT && !pl_dec_from_double_exact(num.u.f, &num))
            tag = 'F';
        if (num.type == PL_DECIMAL)
            num = pl_dec_normalize(num);
        if (num.type == PL_FLOAT && isnan(num.u.f))
            num.u.f = NAN;
        n = pl_value_text(&num, tmp, &p);
    } else {
        tag = (char)('A' + v.type);
        n = pl_value_text(&v, tmp, &p);
    }
    d->key.len = 0;
    if (!pl_buf_append(&d->key, &group, sizeof group) || !pl_buf_append(&d->key, &tag, 1) ||
        (n && !pl_buf_append(&d->key, p, n)))
        return PLUCK_E_OUT_OF_MEMORY;
    return pl_distinct_add(d, d->key.data, d->key.len, is_new);
}

/*
 * group.c — GROUP BY's hash table and ORDER BY's top-n heap (see group.h).
 *
 * Group keys are serialized (type tag + bytes) for hashing and equality, so two CSV fields
 * with the same text fall in the same group and an INT never meets a STRING (numbers are
 * serialized canonically: equal numbers of any type and scale are one group).  The heap keeps
 * the worst kept row at its root: a new row enters only when it beats that row, so ORDER BY
 * ... LIMIT n holds n rows whatever the input size.
 */
#include "exec/group.h"
#include "exec/decimal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- value copies and key serialization ------------------------------------------------ */

static bool copy_value(pl_arena *a, const pl_value *v, pl_value *out)
{
    *out = *v;
    if (v->type == PL_STRING) {
        char *s = pl_arena_strndup(a, v->u.s.p, v->u.s.len);
        if (!s)
            return false;
        out->u.s.p = s;
    }
    return true;
}

static bool serialize(pl_buf *b, const pl_value *keys, uint32_t n)
{
    b->len = 0;
    for (uint32_t i = 0; i < n; i++) {
        const pl_value *v = &keys[i];
        char tag = v->type == PL_STRING ? 's' : v->type <= PL_NULL ? 'n' : v->type == PL_BOOL ? 'b' : 'N';
        char tmp[PL_TEXT_MAX];
        const char *p;
        /* numbers that are equal are one key: INT 1, DECIMAL 1.00 and FLOAT 1 all serialize
         * as "1" (a FLOAT that is not exactly a DECIMAL keeps its own text, tag 'F') */
        pl_value canon = *v;
        if (v->type == PL_INT)
            canon = pl_decimal_make(v->u.i, 0);
        else if (v->type == PL_FLOAT && !pl_dec_from_double_exact(v->u.f, &canon))
            tag = 'F';
        if (canon.type == PL_DECIMAL)
            canon = pl_dec_normalize(canon);
        if (canon.type == PL_FLOAT && isnan(canon.u.f))
            canon.u.f = NAN; /* one NaN key whatever its sign and payload */
        uint32_t len = v->type <= PL_NULL ? 0 : (uint32_t)pl_value_text(&canon, tmp, &p);
        if (!pl_buf_append(b, &tag, 1) || !pl_buf_append(b, &len, sizeof len) ||
            (len && !pl_buf_append(b, p, len)))
            return false;
    }
    return true;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

/* ---- groups ----------------------------------------------------------------------------- */

typedef struct slot {
    uint64_t hash;
    const char *key; /* serialized key in the arena; NULL marks an empty slot */
    uint32_t keylen;
    uint32_t group;
} slot;

struct pl_groups {
    uint32_t nkeys, naggs;
    size_t max;
    pl_arena arena;
    slot *slots;
    size_t nslots, count, cap;
    pl_group *groups;
    pl_buf keybuf;
};

pl_groups *pl_groups_create(uint32_t nkeys, uint32_t naggs, size_t max_groups)
{
    pl_groups *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nkeys = nkeys;
    g->naggs = naggs;
    g->max = max_groups;
    g->nslots = 64;
    g->slots = calloc(g->nslots, sizeof *g->slots);
    if (!g->slots) {
        free(g);
        return NULL;
    }
    return g;
}

void pl_groups_free(pl_groups *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->count; i++)
        for (uint32_t a = 0; a < g->naggs; a++)
            pl_agg_state_free(&g->groups[i].aggs[a]);
    free(g->groups);
    free(g->slots);
    pl_buf_free(&g->keybuf);
    pl_arena_free(&g->arena);
    free(g);
}

static bool rehash(pl_groups *g)
{
    size_t n = g->nslots * 2;
    slot *s = calloc(n, sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < g->nslots; i++) {
        if (!g->slots[i].key)
            continue;
        size_t j = g->slots[i].hash & (n - 1);
        while (s[j].key)
            j = (j + 1) & (n - 1);
        s[j] = g->slots[i];
    }
    free(g->slots);
    g->slots = s;
    g->nslots = n;
    return true;
}

pluck_code pl_groups_find(pl_groups *g, const pl_value *keys, pl_group **out)
{
    if (!serialize(&g->keybuf, keys, g->nkeys))
        return PLUCK_E_OUT_OF_MEMORY;
    const char *k = g->keybuf.data ? g->keybuf.data : "";
    size_t klen = g->keybuf.len;
    uint64_t h = hash_bytes(k, klen);
    size_t j = h & (g->nslots - 1);
    for (; g->slots[j].key; j = (j + 1) & (g->nslots - 1)) {
        const slot *s = &g->slots[j];
        if (s->hash == h && s->keylen == klen && !memcmp(s->key, k, klen)) {
            *out = &g->groups[s->group];
            return PLUCK_OK;
        }
    }
    if (g->count >= g->max)
        return PLUCK_E_TOO_MANY_GROUPS;
    if (!pl_grow(&g->groups, &g->cap, g->count + 1, sizeof *g->groups))
        return PLUCK_E_OUT_OF_MEMORY;
    pl_group *grp = &g->groups[g->count];
    grp->keys = pl_arena_alloc(&g->arena, (g->nkeys ? g->nkeys : 1) * sizeof *grp->keys);
    grp->aggs = pl_arena_alloc(&g->arena, (g->naggs ? g->naggs : 1) * sizeof *grp->aggs);
    char *kcopy = pl_arena_alloc(&g->arena, klen ? klen : 1);
    if (!grp->keys || !grp->aggs || !kcopy)
        return PLUCK_E_OUT_OF_MEMORY;
    memset(grp->aggs, 0, (g->naggs ? g->naggs : 1) * sizeof *grp->aggs);
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (!copy_value(&g->arena, &keys[i], &grp->keys[i]))
            return PLUCK_E_OUT_OF_MEMORY;
    if (klen)
        memcpy(kcopy, k, klen);
    g->slots[j] = (slot){h, kcopy, (uint32_t)klen, (uint32_t)g->count};
    g->count++;
    if (g->count * 2 > g->nslots && !rehash(g))
        return PLUCK_E_OUT_OF_MEMORY;
    *out = grp;
    return PLUCK_OK;
}

size_t pl_groups_count(const pl_groups *g) { return g->count; }
pl_group *pl_groups_at(pl_groups *g, size_t i) { return &g->groups[i]; }

/* ---- top-n heap ------------------------------------------------------------------------- */

typedef struct row {
    pl_value *keys;
    char *bytes; /* one allocation: keys' strings, then the rendered row */
    size_t len;
    uint64_t seq; /* arrival order: ties keep it, so the sort is stable */
} row;

struct pl_topn {
    uint32_t nkeys;
    bool *desc;
    size_t limit, max;
    row *rows;
    size_t n, cap;
    uint64_t seq;
};

pl_topn *pl_topn_create(uint32_t nkeys, const bool *desc, size_t limit, size_t max_rows)
{
    pl_topn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->desc = malloc(nkeys ? nkeys : 1);
    if (!t->desc) {
        free(t);
        return NULL;
    }
    memcpy(t->desc, desc, nkeys);
    t->nkeys = nkeys;
    t->limit = limit;
    t->max = max_rows;
    return t;
}

static void row_free(row *r)
{
    free(r->keys);
    free(r->bytes);
}

void pl_topn_free(pl_topn *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        row_free(&t->rows[i]);
    free(t->rows);
    free(t->desc);
    free(t);
}

/* <0 when a sorts before b.  NULL and MISSING come first ascending, last descending. */
static int keys_cmp(const pl_topn *t, const pl_value *a, uint64_t aseq, const pl_value *b,
                    uint64_t bseq)
{
    for (uint32_t i = 0; i < t->nkeys; i++) {
        int c = pl_value_order(&a[i], &b[i]);
        if (c)
            return t->desc[i] ? -c : c;
    }
    return (aseq > bseq) - (aseq < bseq);
}

static int row_cmp(const pl_topn *t, const row *a, const row *b)
{
    return keys_cmp(t, a->keys, a->seq, b->keys, b->seq);
}

/* Max-heap on row_cmp: the root is the row that sorts last. */
static void sift_down(pl_topn *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && row_cmp(t, &t->rows[l], &t->rows[m]) > 0)
            m = l;
        if (r < t->n && row_cmp(t, &t->rows[r], &t->rows[m]) > 0)
            m = r;
        if (m == i)
            return;
        row tmp = t->rows[i];
        t->rows[i] = t->rows[m];
        t->rows[m] = tmp;
        i = m;
    }
}

static void sift_up(pl_topn *t, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (row_cmp(t, &t->rows[i], &t->rows[p]) <= 0)
            return;
        row tmp = t->rows[i];
        t->rows[i] = t->rows[p];
        t->rows[p] = tmp;
        i = p;
    }
}

static pluck_code make_row(pl_topn *t, const pl_value *keys, const char *bytes, size_t len, row *r)
{
    size_t strbytes = 0;
    for (uint32_t i = 0; i < t->nkeys; i++)
        if (keys[i].type == PL_STRING)
            strbytes += keys[i].u.s.len;
    r->keys = malloc((t->nkeys ? t->nkeys : 1) * sizeof *r->keys);
    r->bytes = malloc(strbytes + len + 1);
    if (!r->keys || !r->bytes) {
        row_free(r);
        return PLUCK_E_OUT_OF_MEMORY;
    }
    char *o = r->bytes;
    for (uint32_t i = 0; i < t->nkeys; i++) {
        r->keys[i] = keys[i];
        if (keys[i].type == PL_STRING) {
            memcpy(o, keys[i].u.s.p, keys[i].u.s.len);
            r->keys[i].u.s.p = o;
            o += keys[i].u.s.len;
        }
    }
    memcpy(o, bytes, len);
    r->len = len;
    r->seq = t->seq++;
    return PLUCK_OK;
}

pluck_code pl_topn_offer(pl_topn *t, const pl_value *keys, const char *bytes, size_t len)
{
    if (t->limit == 0)
        return PLUCK_OK;
    if (t->n == t->limit) {
        if (keys_cmp(t, keys, t->seq, t->rows[0].keys, t->rows[0].seq) >= 0) {
            /* not better than the worst row kept */
            t->seq++;
            return PLUCK_OK;
        }
        row r;
        pluck_code rc = make_row(t, keys, bytes, len, &r);
        if (rc)
            return rc;
        row_free(&t->rows[0]);
        t->rows[0] = r;
        sift_down(t, 0);
        return PLUCK_OK;
    }
    if (t->n >= t->max)
        return PLUCK_E_TOO_MANY_GROUPS;
    if (!pl_grow(&t->rows, &t->cap, t->n + 1, sizeof *t->rows))
        return PLUCK_E_OUT_OF_MEMORY;
    pluck_code rc = make_row(t, keys, bytes, len, &t->rows[t->n]);
    if (rc)
        return rc;
    t->n++;
    sift_up(t, t->n - 1);
    return PLUCK_OK;
}

size_t pl_topn_finish(pl_topn *t)
{
    /* heap sort in place: repeatedly move the last-sorting row to the end */
    size_t n = t->n;
    while (t->n > 1) {
        row tmp = t->rows[0];
        t->rows[0] = t->rows[t->n - 1];
        t->rows[t->n - 1] = tmp;
        t->n--;
        sift_down(t, 0);
    }
    t->n = n;
    return n;
}

const char *pl_topn_row(const pl_topn *t, size_t i, size_t *len)
{
    const row *r = &t->rows[i];
    *len = r->len;
    size_t strbytes = 0;
    for (uint32_t k = 0; k < t->nkeys; k++)
        if (r->keys[k].type == PL_STRING)
            strbytes += r->keys[k].u.s.len;
    return r->bytes + strbytes;
}

/*
 * group.c — GROUP BY's hash table (see group.h).
 *
 * Group keys are serialized (type tag + bytes) for hashing and equality, so two CSV fields
 * with the same text fall in the same group and an INT never meets a STRING (numbers are
 * serialized canonically: equal numbers of any type and scale are one group).  The memory
 * counted against max-memory is the slots, the group array, and each group's key copies,
 * serialized key and aggregate states (string MIN/MAX copies are counted as they grow only
 * approximately: by their size when the group is made).
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
    size_t max, max_memory, bytes;
    bool over_memory;
    pl_arena arena;
    slot *slots;
    size_t nslots, count, cap;
    pl_group *groups;
    pl_buf keybuf;
};

pl_groups *pl_groups_create(uint32_t nkeys, uint32_t naggs, size_t max_groups, size_t max_memory)
{
    pl_groups *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nkeys = nkeys;
    g->naggs = naggs;
    g->max = max_groups;
    g->max_memory = max_memory ? max_memory : SIZE_MAX;
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
    size_t cost = 2 * sizeof(slot) + sizeof(pl_group) + klen + 16 +
                  g->nkeys * (sizeof(pl_value) + 8) + g->naggs * sizeof(pl_agg_state);
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (keys[i].type == PL_STRING)
            cost += keys[i].u.s.len + 1;
    if (g->bytes + cost > g->max_memory) {
        g->over_memory = true;
        return PLUCK_E_TOO_MANY_GROUPS;
    }
    g->bytes += cost;
    if (!pl_grow(&g->groups, &g->cap, g->count + 1, sizeof *g->groups))
        return PLUCK_E_OUT_OF_MEMORY;
    pl_group *grp = &g->groups[g->count];
    grp->id = g->count;
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
bool pl_groups_over_memory(const pl_groups *g) { return g->over_memory; }
pl_group *pl_groups_at(pl_groups *g, size_t i) { return &g->groups[i]; }

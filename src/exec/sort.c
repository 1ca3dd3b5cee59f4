/*
 * sort.c — ORDER BY: the top-n heap and the external merge sort (see sort.h).
 *
 * A row is encoded once, when it arrives, into one record:
 *     u32 body length | u32 row length | key 1 .. key n | row bytes
 * Each key is a tag byte (0 null-like, 1 BOOL, 2 number, 3 TIMESTAMP, 4 STRING) and its
 * payload (a BOOL byte, the pl_value of a number or timestamp, or u32 length + bytes).  An
 * untyped CSV field that reads as a number is stored as that number, so comparing never
 * parses text again.  The same bytes go to the run file, so a run is read back without
 * any decoding step.
 *
 * Each entry also carries a 64-bit prefix of its first key, built so that a smaller prefix
 * always means an earlier row (the type class, then the first 7 bytes of a string or the
 * clamped integer part of a number, inverted for DESC); most comparisons end there.
 */
#include "exec/sort.h"

#include "exec/spill.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_NULL, TAG_BOOL, TAG_NUM, TAG_TS, TAG_STR };

#define FANIN 64          /* runs merged at once */
#define MIN_CHUNK 512

typedef struct ent {
    uint64_t pfx;
    char *rec; /* the record: u32 body length, then the body */
} ent;

typedef struct hent {
    ent e;
    uint64_t seq; /* arrival: ties keep it (the heap alone is not stable) */
} hent;

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

/* a source of sorted records during the merge: a run on disk or the memory batch */
typedef struct source {
    bool mem;
    pl_spill_reader rd;
    size_t mi;         /* memory: next entry */
    const char *cur;   /* current record body, NULL when exhausted */
} source;

struct pl_sorter {
    uint32_t nkeys;
    const bool *desc;
    const uint8_t *nulls;
    uint64_t limit;
    size_t budget;
    unsigned threads;     /* > 1: a large batch is sorted as two halves at once */
    bool heap_mode;
    bool pfx_exact;       /* one key: equal prefixes of short strings are equal keys */
    uint64_t str_cls;     /* the prefix's class byte of a string key */
    /* a parallel executor's sorter (pl_sorter_set_lane): in run mode it only collects its
     * block's records, encoded, in arrival order; in heap mode it keeps the block's top n */
    bool lane, collect;
    pl_buf coll;
    pluck_code state;
    char message[PLUCK_PATH_MAX + 128];

    pl_buf enc;           /* the record being built */
    /* heap mode */
    hent *heap;
    size_t hn, hcap, hbytes;
    uint64_t seq;
    /* run mode: the batch in memory */
    chunk *chunks;
    size_t chunk_bytes, chunk_size;
    ent *ents;
    size_t n, cap;
    bool sorted;
    /* run mode: what went to disk */
    pl_spill sp;
    char dir[PLUCK_PATH_MAX]; /* where runs go ("" for $TMPDIR) */
    pl_spill_run *runs;
    size_t nruns, runcap;
    uint64_t spilled;
    /* output */
    bool finished;
    size_t out_i;        /* memory-only output: next entry; heap output too */
    source *src;
    size_t nsrc;
    uint32_t *pq;        /* heap of source indices */
    size_t npq;
    uint64_t emitted;
};

/* ---- key encoding ------------------------------------------------------------------------ */

/* pl_buf_append with the common case (room already there) inlined: several calls a row */
static inline bool put(pl_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n)
        return pl_buf_append(b, p, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

/* Append the key's encoding; *tag gets its tag. */
static bool encode_key(const pl_sorter *s, pl_buf *b, uint32_t k, const pl_value *v)
{
    pl_value x = *v;
    if (x.type == PL_STRING && x.untyped) {
        pl_value num;
        if (pl_value_as_number(v, &num))
            x = num;
        else if (x.u.s.len == 0 && s->nulls[k])
            x = pl_v_null(); /* NULLS FIRST/LAST: an empty CSV field is placed as a null */
    }
    uint8_t t;
    switch (x.type) {
    case PL_MISSING:
    case PL_NULL: t = TAG_NULL; break;
    case PL_BOOL: t = TAG_BOOL; break;
    case PL_TIMESTAMP: t = TAG_TS; break;
    case PL_STRING: t = TAG_STR; break;
    default: t = TAG_NUM; break;
    }
    if (!put(b, &t, 1))
        return false;
    switch (t) {
    case TAG_NULL: return true;
    case TAG_BOOL: {
        uint8_t bv = x.u.b;
        return put(b, &bv, 1);
    }
    case TAG_STR: {
        uint32_t len = x.u.s.len;
        return put(b, &len, 4) && (!len || put(b, x.u.s.p, len));
    }
    default: return put(b, &x, sizeof x);
    }
}

/* The first 6 bytes of a string (zero-padded) and its length capped at 7: a string of at
 * most 6 bytes is then known entirely (equal prefixes mean equal strings), and the order is
 * still bytewise (a proper prefix has the smaller length). */
static uint64_t str_bits(const char *p, uint32_t len)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < 6; i++)
        v = (v << 8) | (i < len ? (unsigned char)p[i] : 0);
    return v << 8 | (len < 7 ? len : 7);
}

/* The integer part of a number, clamped to +-2^52 (where doubles are still exact), shifted
 * to be unsigned, NaN above them all: a monotone map of pl_value_order's order of numbers,
 * so a smaller result means a smaller number. */
static uint64_t num_bits(const pl_value *v)
{
    const double lim = 4503599627370496.0; /* 2^52 */
    double f;
    if (v->type == PL_INT) {
        int64_t i = v->u.i;
        if (i > (int64_t)lim)
            i = (int64_t)lim;
        if (i < -(int64_t)lim)
            i = -(int64_t)lim;
        return (uint64_t)(i + (int64_t)lim);
    }
    if (v->type == PL_DECIMAL) {
        pl_i128 c = v->u.d, p = 1;
        for (int32_t i = 0; i < v->scale && i < 38; i++)
            p *= 10;
        pl_i128 q = c / p;
        if (c % p != 0 && c < 0)
            q -= 1; /* floor */
        if (q > (pl_i128)lim)
            q = (pl_i128)lim;
        if (q < -(pl_i128)lim)
            q = -(pl_i128)lim;
        return (uint64_t)((int64_t)q + (int64_t)lim);
    }
    f = pl_to_double(v);
    if (f != f)
        return (uint64_t)(2 * (int64_t)lim + 1); /* NaN sorts after every number */
    f = floor(f);
    if (f > lim)
        f = lim;
    if (f < -lim)
        f = -lim;
    return (uint64_t)((int64_t)f + (int64_t)lim);
}

/* Position of key tag t among the classes: NULL, BOOL, numbers, timestamps, strings. */
static uint64_t prefix(const pl_sorter *s, const char *key)
{
    uint8_t t = (uint8_t)key[0];
    if (t == TAG_NULL && s->nulls[0])
        return s->nulls[0] == PL_NULLS_FIRST ? 0 : UINT64_MAX;
    uint64_t p56 = 0;
    if (t == TAG_BOOL) {
        p56 = (uint8_t)key[1];
    } else if (t == TAG_STR) {
        uint32_t len;
        memcpy(&len, key + 1, 4);
        p56 = str_bits(key + 5, len);
    } else if (t == TAG_NUM) {
        pl_value v;
        memcpy(&v, key + 1, sizeof v);
        p56 = num_bits(&v);
    }
    uint64_t cls = 1 + (s->desc[0] ? 4u - t : t);
    if (s->desc[0])
        p56 = ~p56 & 0x00FFFFFFFFFFFFFFull;
    return cls << 56 | p56;
}

/* Compare one key at *pa / *pb and advance both past it. */
static int key_cmp(const pl_sorter *s, uint32_t k, const char **pa, const char **pb)
{
    const char *a = *pa, *b = *pb;
    uint8_t ta = (uint8_t)*a++, tb = (uint8_t)*b++;
    int c = 0;
    /* skip payloads first, comparing when the tags agree */
    if (ta == tb) {
        switch (ta) {
        case TAG_NULL: break;
        case TAG_BOOL: c = (int)(uint8_t)*a - (int)(uint8_t)*b; a++; b++; break;
        case TAG_STR: {
            uint32_t la, lb;
            memcpy(&la, a, 4);
            memcpy(&lb, b, 4);
            uint32_t m = la < lb ? la : lb;
            c = m ? memcmp(a + 4, b + 4, m) : 0;
            if (!c)
                c = (la > lb) - (la < lb);
            a += 4 + la;
            b += 4 + lb;
            break;
        }
        default: {
            pl_value x, y;
            memcpy(&x, a, sizeof x);
            memcpy(&y, b, sizeof y);
            c = pl_value_order(&x, &y); /* numbers exactly, NaN after them all */
            a += sizeof x;
            b += sizeof y;
            break;
        }
        }
    } else {
        for (int side = 0; side < 2; side++) {
            const char **p = side ? &b : &a;
            uint8_t t = side ? tb : ta;
            if (t == TAG_BOOL) {
                *p += 1;
            } else if (t == TAG_STR) {
                uint32_t l;
                memcpy(&l, *p, 4);
                *p += 4 + l;
            } else if (t != TAG_NULL) {
                *p += sizeof(pl_value);
            }
        }
        c = ta < tb ? -1 : 1;
        if (s->nulls[k] && (ta == TAG_NULL || tb == TAG_NULL)) {
            *pa = a;
            *pb = b;
            return (ta == TAG_NULL) == (s->nulls[k] == PL_NULLS_FIRST) ? -1 : 1;
        }
    }
    *pa = a;
    *pb = b;
    c = c < 0 ? -1 : c > 0;
    return s->desc[k] ? -c : c;
}

/* Compare two record bodies (u32 row length, keys, row). */
static int body_cmp(const pl_sorter *s, const char *a, const char *b)
{
    a += 4;
    b += 4;
    for (uint32_t k = 0; k < s->nkeys; k++) {
        int c = key_cmp(s, k, &a, &b);
        if (c)
            return c;
    }
    return 0;
}

/* The prefix of a one-key sort holds all of a string key of at most 6 bytes. */
static inline bool pfx_whole(const pl_sorter *s, uint64_t pfx)
{
    uint8_t lenb = (uint8_t)pfx;
    return s->pfx_exact && pfx >> 56 == s->str_cls && (s->desc[0] ? lenb > 248 : lenb < 7);
}

static inline int ent_cmp(const pl_sorter *s, const ent *x, const ent *y)
{
    if (x->pfx != y->pfx)
        return x->pfx < y->pfx ? -1 : 1;
    if (pfx_whole(s, x->pfx))
        return 0;
    return body_cmp(s, x->rec + 4, y->rec + 4);
}

static const char *body_row(const pl_sorter *s, const char *body, size_t *len)
{
    uint32_t rowlen, blen;
    memcpy(&blen, body - 4, 4);
    memcpy(&rowlen, body, 4);
    *len = rowlen;
    return body + blen - rowlen;
}

/* ---- creation -------------------------------------------------------------------------- */

pl_sorter *pl_sorter_create(const struct pluck_query *q, uint64_t limit)
{
    pl_sorter *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nkeys = q->norder_by;
    s->desc = q->order_desc;
    s->nulls = q->order_nulls;
    s->limit = limit;
    s->budget = q->params.max_memory ? q->params.max_memory : ((size_t)256 << 20);
    /* the rest of the run (scanner window, output buffer, the merge's readers) lives in the
     * remainder, so that the whole process stays within max-memory */
    if (s->budget >= ((size_t)64 << 20))
        s->budget -= s->budget / 8;
    s->threads = q->params.threads;
    s->heap_mode = limit <= PL_SORT_HEAP_MAX;
    s->pfx_exact = s->nkeys == 1;
    s->str_cls = 1 + (s->nkeys && s->desc[0] ? 0u : (unsigned)TAG_STR);
    s->sp.fd = -1;
    snprintf(s->dir, sizeof s->dir, "%s", q->params.temp_dir);
    s->chunk_size = s->budget / 16;
    if (s->chunk_size > (1u << 20))
        s->chunk_size = 1u << 20;
    if (s->chunk_size < MIN_CHUNK)
        s->chunk_size = MIN_CHUNK;
    return s;
}

static void free_chunks(pl_sorter *s)
{
    while (s->chunks) {
        chunk *c = s->chunks;
        s->chunks = c->next;
        free(c);
    }
    s->chunk_bytes = 0;
}

void pl_sorter_free(pl_sorter *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->hn; i++)
        free(s->heap[i].e.rec);
    free(s->heap);
    free_chunks(s);
    free(s->ents);
    for (size_t i = 0; i < s->nsrc; i++)
        if (!s->src[i].mem)
            pl_spill_reader_free(&s->src[i].rd);
    free(s->src);
    free(s->pq);
    free(s->runs);
    pl_spill_close(&s->sp);
    pl_buf_free(&s->enc);
    pl_buf_free(&s->coll);
    free(s);
}

const char *pl_sorter_message(const pl_sorter *s) { return s->message; }
size_t pl_sorter_runs(const pl_sorter *s) { return s->nruns; }
uint64_t pl_sorter_spilled(const pl_sorter *s) { return s->spilled; }

static pluck_code add_record(pl_sorter *s, char *rec, size_t reclen);
static void heap_finish(pl_sorter *s);

static pluck_code fail(pl_sorter *s, pluck_code rc, const char *msg)
{
    if (msg && msg != s->message)
        snprintf(s->message, sizeof s->message, "%s", msg);
    s->state = rc;
    return rc;
}

static pluck_code oom(pl_sorter *s) { return fail(s, PLUCK_E_OUT_OF_MEMORY, "Out of memory."); }

/* ---- heap mode ----------------------------------------------------------------------------- */

static int hent_cmp(const pl_sorter *s, const hent *a, const hent *b)
{
    int c = ent_cmp(s, &a->e, &b->e);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static void sift_down(pl_sorter *s, size_t i, size_t n)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && hent_cmp(s, &s->heap[l], &s->heap[m]) > 0)
            m = l;
        if (r < n && hent_cmp(s, &s->heap[r], &s->heap[m]) > 0)
            m = r;
        if (m == i)
            return;
        hent t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

static void sift_up(pl_sorter *s, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (hent_cmp(s, &s->heap[i], &s->heap[p]) <= 0)
            return;
        hent t = s->heap[i];
        s->heap[i] = s->heap[p];
        s->heap[p] = t;
        i = p;
    }
}

static pluck_code heap_to_run(pl_sorter *s);

static pluck_code heap_add(pl_sorter *s, char *rec, size_t reclen, uint64_t pfx)
{
    hent h = {{pfx, rec}, s->seq++};
    if (s->hn == s->limit) {
        if (hent_cmp(s, &h, &s->heap[0]) >= 0)
            return PLUCK_OK; /* not better than the worst row kept */
        uint32_t old;
        memcpy(&old, s->heap[0].e.rec, 4);
        char *kept = realloc(s->heap[0].e.rec, reclen);
        if (!kept)
            return oom(s);
        memcpy(kept, rec, reclen);
        s->hbytes += reclen - (4 + (size_t)old);
        h.e.rec = kept;
        s->heap[0] = h;
        sift_down(s, 0, s->hn);
    } else {
        if (!pl_grow(&s->heap, &s->hcap, s->hn + 1, sizeof *s->heap))
            return oom(s);
        char *kept = malloc(reclen);
        if (!kept)
            return oom(s);
        memcpy(kept, rec, reclen);
        h.e.rec = kept;
        s->heap[s->hn++] = h;
        s->hbytes += reclen + sizeof h;
        sift_up(s, s->hn - 1);
    }
    if (s->hbytes > s->budget) {
        if (!s->lane)
            return heap_to_run(s); /* the external sort takes over */
        /* a parallel executor's block: its executor fails, and the block is run again on
         * the main executor (commit.c), whose sorter can spill */
        snprintf(s->message, sizeof s->message, "The rows kept for ORDER BY ... LIMIT %llu "
                 "take more than this block's share of --max-memory.",
                 (unsigned long long)s->limit);
        return fail(s, PLUCK_E_TOO_MANY_GROUPS, s->message);
    }
    return PLUCK_OK;
}

/* ---- run mode: the batch in memory ------------------------------------------------------- */

static void insertion_sort(const pl_sorter *s, ent *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ent x = a[i];
        size_t j = i;
        while (j > 0 && ent_cmp(s, &a[j - 1], &x) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* Stable merge sort; tmp holds n/2 + 1 entries. */
static void merge_sort(const pl_sorter *s, ent *a, ent *tmp, size_t n)
{
    if (n <= 24) {
        insertion_sort(s, a, n);
        return;
    }
    size_t h = n / 2;
    merge_sort(s, a, tmp, h);
    merge_sort(s, a + h, tmp, n - h);
    if (ent_cmp(s, &a[h - 1], &a[h]) <= 0)
        return; /* already in order */
    memcpy(tmp, a, h * sizeof *a);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (ent_cmp(s, &a[j], &tmp[i]) < 0)
            a[k++] = a[j++];
        else
            a[k++] = tmp[i++];
    }
    while (i < h)
        a[k++] = tmp[i++];
}

static size_t batch_bytes(const pl_sorter *s, size_t cap)
{
    /* the entries, and the merge sort's half-size scratch array */
    return s->chunk_bytes + cap * sizeof(ent) + (cap / 2 + 1) * sizeof(ent);
}

/* The second half of a batch, sorted on a helper thread. */
typedef struct half_job {
    const pl_sorter *s;
    ent *a, *tmp;
    size_t n;
} half_job;

static void *sort_half(void *arg)
{
    half_job *j = arg;
    merge_sort(j->s, j->a, j->tmp, j->n);
    return NULL;
}

/* Merge sorted a[0, h) and a[h, n) in place; tmp holds h entries. */
static void merge_halves(const pl_sorter *s, ent *a, ent *tmp, size_t h, size_t n)
{
    if (!h || h == n || ent_cmp(s, &a[h - 1], &a[h]) <= 0)
        return;
    memcpy(tmp, a, h * sizeof *a);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        a[k++] = ent_cmp(s, &a[j], &tmp[i]) < 0 ? a[j++] : tmp[i++];
    while (i < h)
        a[k++] = tmp[i++];
}

/* Sort the batch (stable).  With threads, a large batch is sorted as two halves at once,
 * the second on a helper thread, then merged: the scratch is the same n/2 entries. */
static pluck_code sort_batch(pl_sorter *s)
{
    if (s->sorted || s->n < 2) {
        s->sorted = true;
        return PLUCK_OK;
    }
    size_t n = s->n, h = n / 2;
    ent *tmp = malloc((h + 4) * sizeof *tmp);
    if (!tmp)
        return oom(s);
    bool two = false;
    pthread_t th;
    half_job job = {s, s->ents + h, tmp + h / 2 + 1, n - h};
    if (s->threads > 1 && n >= 65536) {
        /* scratch: the first half uses tmp[0, h/2], the second tmp[h/2 + 1, h] */
        two = pthread_create(&th, NULL, sort_half, &job) == 0;
    }
    if (two) {
        merge_sort(s, s->ents, tmp, h);
        pthread_join(th, NULL);
        merge_halves(s, s->ents, tmp, h, n);
    } else {
        merge_sort(s, s->ents, tmp, n);
    }
    free(tmp);
    s->sorted = true;
    return PLUCK_OK;
}

static char *chunk_alloc(pl_sorter *s, size_t n)
{
    chunk *c = s->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > s->chunk_size ? n : s->chunk_size;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = s->chunks;
        s->chunks = c;
        s->chunk_bytes += sizeof *c + cap;
    }
    char *p = c->data + c->used; /* records are read with memcpy: no alignment */
    c->used += n;
    return p;
}

/* Bytes of a stored record: its 4-byte length prefix and its body. */
static size_t rec_size(const char *rec)
{
    uint32_t blen;
    memcpy(&blen, rec, 4);
    return 4 + (size_t)blen;
}

/* Write n records, already in order, as one sorted run on disk (rec(s, i) gives the i-th). */
static pluck_code write_run(pl_sorter *s, size_t n, const char *(*rec)(const pl_sorter *, size_t))
{
    if (!pl_spill_open(&s->sp, s->dir))
        return fail(s, PLUCK_E_INTERNAL_ERROR, s->sp.message);
    pl_spill_run run = {s->sp.size, 0};
    for (size_t i = 0; i < n; i++) {
        const char *r = rec(s, i);
        if (!pl_spill_append(&s->sp, r, rec_size(r)))
            return fail(s, PLUCK_E_INTERNAL_ERROR, s->sp.message);
    }
    if (!pl_spill_flush(&s->sp))
        return fail(s, PLUCK_E_INTERNAL_ERROR, s->sp.message);
    run.end = s->sp.size;
    if (!pl_grow(&s->runs, &s->runcap, s->nruns + 1, sizeof *s->runs))
        return oom(s);
    s->runs[s->nruns++] = run;
    s->spilled += run.end - run.begin;
    return PLUCK_OK;
}

static const char *batch_rec(const pl_sorter *s, size_t i) { return s->ents[i].rec; }
static const char *heap_rec(const pl_sorter *s, size_t i) { return s->heap[i].e.rec; }

/* Write the sorted batch (its first LIMIT rows) as a run and empty the batch. */
static pluck_code spill_batch(pl_sorter *s)
{
    pluck_code rc = sort_batch(s);
    if (rc)
        return rc;
    rc = write_run(s, s->n < s->limit ? s->n : (size_t)s->limit, batch_rec);
    if (rc)
        return rc;
    free_chunks(s);
    s->n = 0;
    s->sorted = false;
    return PLUCK_OK;
}

/* With a LIMIT: sort the batch and keep its first LIMIT rows in fresh chunks. */
static pluck_code truncate_batch(pl_sorter *s)
{
    pluck_code rc = sort_batch(s);
    if (rc)
        return rc;
    chunk *old = s->chunks;
    s->chunks = NULL;
    s->chunk_bytes = 0;
    size_t n = (size_t)s->limit;
    for (size_t i = 0; i < n; i++) {
        size_t len = rec_size(s->ents[i].rec);
        char *p = chunk_alloc(s, len);
        if (!p) {
            free_chunks(s); /* the new ones; the old ones go with the sorter */
            s->chunks = old;
            return oom(s);
        }
        memcpy(p, s->ents[i].rec, len);
        s->ents[i].rec = p;
    }
    while (old) {
        chunk *c = old;
        old = c->next;
        free(c);
    }
    s->n = n;
    return PLUCK_OK; /* still sorted */
}

/* Room for one more record of len bytes, by truncating or spilling the batch. */
static pluck_code make_room(pl_sorter *s, size_t len)
{
    size_t cap = s->n == s->cap ? s->cap + s->cap / 2 + 16 : s->cap;
    if (s->n == 0 || batch_bytes(s, cap) + len + sizeof(chunk) <= s->budget)
        return PLUCK_OK;
    pluck_code rc;
    if (s->limit < s->n / 2) {
        if ((rc = truncate_batch(s)))
            return rc;
        if (batch_bytes(s, s->cap) + len <= s->budget / 2 + s->budget / 4)
            return PLUCK_OK;
    }
    return spill_batch(s);
}

static pluck_code batch_add(pl_sorter *s, const char *rec, size_t reclen, uint64_t pfx)
{
    pluck_code rc = make_room(s, reclen);
    if (rc)
        return rc;
    if (s->n == s->cap) {
        size_t cap = s->cap + s->cap / 2 + 16;
        ent *e = realloc(s->ents, cap * sizeof *e);
        if (!e)
            return oom(s);
        s->ents = e;
        s->cap = cap;
    }
    char *p = chunk_alloc(s, reclen);
    if (!p)
        return oom(s);
    memcpy(p, rec, reclen);
    s->ents[s->n++] = (ent){pfx, p};
    s->sorted = false;
    return PLUCK_OK;
}

pluck_code pl_sorter_add(pl_sorter *s, const pl_value *keys, const char *row, size_t len)
{
    if (s->state)
        return s->state;
    if (s->limit == 0)
        return PLUCK_OK;
    if (len > UINT32_MAX / 2)
        return fail(s, PLUCK_E_OUT_OF_MEMORY, "A row is too long to sort.");
    /* a lane in run mode appends to its block's records; else the record is built apart */
    pl_buf *b = s->collect ? &s->coll : &s->enc;
    size_t start = s->collect ? b->len : 0;
    b->len = start;
    uint32_t zero = 0, rowlen = (uint32_t)len;
    if (!put(b, &zero, 4) || !put(b, &rowlen, 4))
        return oom(s);
    for (uint32_t k = 0; k < s->nkeys; k++)
        if (!encode_key(s, b, k, &keys[k]))
            return oom(s);
    if ((len && !put(b, row, len)) || b->len - start - 4 > UINT32_MAX / 2) {
        b->len = start;
        return oom(s);
    }
    uint32_t blen = (uint32_t)(b->len - start - 4);
    memcpy(b->data + start, &blen, 4);
    if (s->collect)
        return PLUCK_OK;
    return add_record(s, b->data, b->len);
}

bool pl_sorter_rejects(pl_sorter *s, const pl_value *keys)
{
    if (!s->heap_mode || s->state || s->hn < s->limit || !s->hn)
        return false;
    pl_buf *b = &s->enc;
    uint32_t zero = 0;
    b->len = 0;
    if (!put(b, &zero, 4) || !put(b, &zero, 4))
        return false;
    for (uint32_t k = 0; k < s->nkeys; k++)
        if (!encode_key(s, b, k, &keys[k]))
            return false;
    uint32_t blen = (uint32_t)(b->len - 4);
    memcpy(b->data, &blen, 4);
    ent e = {s->nkeys ? prefix(s, b->data + 8) : 0, b->data};
    /* a tie loses too: the kept row came first */
    return ent_cmp(s, &e, &s->heap[0].e) >= 0;
}

/* An encoded record (u32 body length, body) into the heap or the batch. */
static pluck_code add_record(pl_sorter *s, char *rec, size_t reclen)
{
    uint64_t pfx = s->nkeys ? prefix(s, rec + 8) : 0;
    return s->heap_mode ? heap_add(s, rec, reclen, pfx) : batch_add(s, rec, reclen, pfx);
}

void pl_sorter_set_lane(pl_sorter *s)
{
    s->lane = true;
    s->collect = !s->heap_mode;
    /* the heap of one block; two blocks per thread are in flight: together half the budget */
    s->budget /= 4 * (s->threads > 1 ? s->threads : 2);
}

void pl_sorter_reset(pl_sorter *s)
{
    for (size_t i = 0; i < s->hn; i++)
        free(s->heap[i].e.rec);
    s->hn = s->hbytes = 0;
    s->seq = 0;
    s->coll.len = 0;
    s->finished = false;
    s->out_i = 0;
    s->emitted = 0;
    s->state = PLUCK_OK;
    s->message[0] = 0;
}

pluck_code pl_sorter_take(pl_sorter *s, pl_sorter *lane)
{
    if (s->state)
        return s->state;
    pluck_code rc = PLUCK_OK;
    if (lane->heap_mode) {
        /* the block's top n in order (equal keys in arrival order), so ties among blocks
         * still go to the earlier block: the heap's arrival numbers follow */
        heap_finish(lane);
        for (size_t i = 0; i < lane->hn && !rc; i++)
            rc = add_record(s, lane->heap[i].e.rec, rec_size(lane->heap[i].e.rec));
    } else {
        char *p = lane->coll.data, *end = p ? p + lane->coll.len : p; /* empty: NULL */
        for (size_t n; p < end && !rc; p += n)
            rc = add_record(s, p, n = rec_size(p));
    }
    pl_sorter_reset(lane);
    return rc;
}

/* ---- merge ---------------------------------------------------------------------------------- */

static int src_cmp(const pl_sorter *s, uint32_t a, uint32_t b)
{
    int c = body_cmp(s, s->src[a].cur, s->src[b].cur);
    return c ? c : (a > b) - (a < b); /* earlier runs hold earlier rows */
}

static void pq_down(pl_sorter *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->npq && src_cmp(s, s->pq[l], s->pq[m]) < 0)
            m = l;
        if (r < s->npq && src_cmp(s, s->pq[r], s->pq[m]) < 0)
            m = r;
        if (m == i)
            return;
        uint32_t t = s->pq[i];
        s->pq[i] = s->pq[m];
        s->pq[m] = t;
        i = m;
    }
}

/* Move source i to its next record: 1, 0 at its end, -1 on error. */
static int src_advance(pl_sorter *s, source *src)
{
    if (src->mem) {
        if (src->mi >= s->n || src->mi >= s->limit) {
            src->cur = NULL;
            return 0;
        }
        src->cur = s->ents[src->mi++].rec + 4;
        return 1;
    }
    const char *rec;
    uint32_t len;
    int r = pl_spill_next(&src->rd, &rec, &len, s->message, sizeof s->message);
    src->cur = r == 1 ? rec : NULL;
    return r;
}

static void end_merge(pl_sorter *s)
{
    for (size_t i = 0; i < s->nsrc; i++)
        if (!s->src[i].mem)
            pl_spill_reader_free(&s->src[i].rd);
    free(s->src);
    free(s->pq);
    s->src = NULL;
    s->pq = NULL;
    s->nsrc = s->npq = 0;
}

/* Start merging runs[lo, hi) (and the memory batch when mem). */
static pluck_code start_merge(pl_sorter *s, size_t lo, size_t hi, bool mem)
{
    size_t k = hi - lo + (mem ? 1 : 0);
    s->src = calloc(k ? k : 1, sizeof *s->src);
    s->pq = calloc(k ? k : 1, sizeof *s->pq);
    if (!s->src || !s->pq)
        return oom(s);
    size_t bufsize = s->budget / 4 / (k ? k : 1);
    if (bufsize > (1u << 20))
        bufsize = 1u << 20;
    if (bufsize < 4096)
        bufsize = 4096;
    for (size_t i = 0; i < k; i++) {
        source *src = &s->src[i];
        s->nsrc = i + 1;
        if (mem && i == k - 1) {
            src->mem = true;
            src->mi = 0;
        } else if (!pl_spill_reader_init(&src->rd, &s->sp, s->runs[lo + i], bufsize)) {
            src->mem = true; /* nothing to free */
            return oom(s);
        }
        int r = src_advance(s, src);
        if (r < 0)
            return fail(s, PLUCK_E_INTERNAL_ERROR, s->message);
        if (r)
            s->pq[s->npq++] = (uint32_t)i;
    }
    for (size_t i = s->npq / 2; i-- > 0;)
        pq_down(s, i);
    return PLUCK_OK;
}

/* The smallest current record of the merge (body), then advance its source. */
static pluck_code merge_next(pl_sorter *s, const char **body)
{
    if (!s->npq)
        return PLUCK_STOP;
    source *src = &s->src[s->pq[0]];
    *body = src->cur;
    return PLUCK_OK;
}

static pluck_code merge_pop(pl_sorter *s)
{
    source *src = &s->src[s->pq[0]];
    int r = src_advance(s, src);
    if (r < 0)
        return fail(s, PLUCK_E_INTERNAL_ERROR, s->message);
    if (!r)
        s->pq[0] = s->pq[--s->npq];
    pq_down(s, 0);
    return PLUCK_OK;
}

/* Merge FANIN runs at a time into one until at most FANIN remain; the merged run takes
 * the place of the first it replaces, so runs stay in arrival order (stability). */
static pluck_code reduce_runs(pl_sorter *s)
{
    while (s->nruns > FANIN) {
        pluck_code rc = start_merge(s, 0, FANIN, false);
        pl_spill_run run = {s->sp.size, 0};
        uint64_t n = 0;
        const char *body;
        while (!rc && (rc = merge_next(s, &body)) == PLUCK_OK && n < s->limit) {
            uint32_t blen;
            memcpy(&blen, body - 4, 4);
            if (!pl_spill_append(&s->sp, body - 4, 4 + (size_t)blen)) {
                rc = fail(s, PLUCK_E_INTERNAL_ERROR, s->sp.message);
                break;
            }
            n++;
            rc = merge_pop(s);
        }
        end_merge(s);
        if (pluck_is_error(rc))
            return rc;
        if (!pl_spill_flush(&s->sp))
            return fail(s, PLUCK_E_INTERNAL_ERROR, s->sp.message);
        run.end = s->sp.size;
        s->spilled += run.end - run.begin;
        s->runs[0] = run;
        memmove(s->runs + 1, s->runs + FANIN, (s->nruns - FANIN) * sizeof *s->runs);
        s->nruns -= FANIN - 1;
    }
    return PLUCK_OK;
}

/* Heap sort in place: the kept rows in order. */
static void heap_finish(pl_sorter *s)
{
    size_t n = s->hn;
    while (n > 1) {
        hent t = s->heap[0];
        s->heap[0] = s->heap[n - 1];
        s->heap[n - 1] = t;
        n--;
        sift_down(s, 0, n);
    }
}

/* The heap outgrew the budget: its rows, in order, become the first sorted run on disk and
 * the external sort goes on from there.  Every kept row came before any later row, so the
 * run's place first keeps the sort stable; rows the heap dropped were beaten by LIMIT rows
 * before them and can never be output. */
static pluck_code heap_to_run(pl_sorter *s)
{
    heap_finish(s);
    pluck_code rc = write_run(s, s->hn, heap_rec);
    if (rc)
        return rc;
    for (size_t i = 0; i < s->hn; i++)
        free(s->heap[i].e.rec);
    free(s->heap);
    s->heap = NULL;
    s->hn = s->hcap = s->hbytes = 0;
    s->heap_mode = false;
    return PLUCK_OK;
}

pluck_code pl_sorter_finish(pl_sorter *s)
{
    if (s->state)
        return s->state;
    s->finished = true;
    if (s->heap_mode) {
        heap_finish(s);
        return PLUCK_OK;
    }
    pluck_code rc = sort_batch(s);
    if (!rc && s->nruns)
        rc = reduce_runs(s);
    if (!rc && s->nruns)
        rc = start_merge(s, 0, s->nruns, true);
    return rc;
}

static pluck_code next_body(pl_sorter *s, const char **out)
{
    if (s->state)
        return s->state;
    if (s->emitted >= s->limit)
        return PLUCK_STOP;
    const char *body;
    if (s->heap_mode) {
        if (s->out_i >= s->hn)
            return PLUCK_STOP;
        body = s->heap[s->out_i++].e.rec + 4;
    } else if (!s->nruns) {
        if (s->out_i >= s->n)
            return PLUCK_STOP;
        body = s->ents[s->out_i++].rec + 4;
    } else {
        if (s->emitted) {
            pluck_code rc = merge_pop(s);
            if (rc)
                return rc;
        }
        pluck_code rc = merge_next(s, &body);
        if (rc)
            return rc;
    }
    s->emitted++;
    *out = body;
    return PLUCK_OK;
}

pluck_code pl_sorter_next(pl_sorter *s, const char **row, size_t *len)
{
    const char *body;
    pluck_code rc = next_body(s, &body);
    if (!rc)
        *row = body_row(s, body, len);
    return rc;
}

pluck_code pl_sorter_next_keyed(pl_sorter *s, pl_value *keys, const char **row, size_t *len)
{
    const char *body;
    pluck_code rc = next_body(s, &body);
    if (rc)
        return rc;
    *row = body_row(s, body, len);
    const char *p = body + 4;
    for (uint32_t k = 0; k < s->nkeys; k++) {
        uint8_t tag = (uint8_t)*p++;
        switch (tag) {
        case TAG_NULL: keys[k] = pl_v_null(); break;
        case TAG_BOOL: keys[k] = pl_v_bool(*p++ != 0); break;
        case TAG_STR: {
            uint32_t l;
            memcpy(&l, p, 4);
            keys[k] = pl_v_str(p + 4, l, false);
            p += 4 + l;
            break;
        }
        default:
            memcpy(&keys[k], p, sizeof keys[k]);
            p += sizeof keys[k];
            break;
        }
    }
    return PLUCK_OK;
}

const char *pl_sort_strategy(const struct pluck_query *q)
{
    if (q->has_limit && q->limit <= PL_SORT_HEAP_MAX)
        return "top-n heap (LIMIT rows kept)";
    if (q->has_limit)
        return "external merge sort, each sorted batch cut to LIMIT rows";
    return "external merge sort (stable)";
}

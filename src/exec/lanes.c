/*
 * lanes.c — plain input split across two threads.
 *
 * A plain file (no decompression to overlap with) would keep one core busy and leave the
 * other idle.  Here the rest of the input, once the run has read the header and checked the
 * first bytes, is cut into blocks that end at a record delimiter, and two lanes (the
 * calling thread and one more) each take the next block, scan it with their own scanner and
 * evaluate the query into their own buffers (run.c: pl_run_lane_block), then commit it to
 * the run strictly in input order (pl_run_lane_commit).  Blocks are cut where it is safe:
 * only when a record delimiter always ends a record (AllowQuotedRecordDelimiter FALSE, a
 * one-byte delimiter), which pl_run_lanes_eligible() checks.
 *
 * One mutex guards the source and the commit order: a lane reads its block under it (reads
 * are serial, but overlap the other lane's scanning) and waits for its turn to commit.  The
 * bytes after a block's last delimiter (the start of the next record) are carried into the
 * next block.  A lane that cannot be started leaves the calling thread to do all blocks.
 */
#include "exec/run.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1024 * 1024) /* bytes read per block */
#define NLANES 2

typedef struct lanes lanes;

typedef struct lane {
    lanes *L;
    pluck_run *run; /* the lane's own run over the same query */
    char *buf;
    size_t cap;
} lane;

struct lanes {
    pluck_run *r;
    pluck_read_fn read;
    void *opaque;
    pthread_mutex_t mu;
    pthread_cond_t turn;
    /* the source, under mu */
    char *carry; /* the incomplete record after the last block cut */
    size_t ncarry, carry_cap;
    uint64_t next_base; /* stream offset of the next block */
    uint64_t next_seq;
    bool eof;
    /* commit order, under mu */
    uint64_t commit_seq;
    bool stop;
};

static bool reserve(char **p, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    size_t c = *cap ? *cap : BLOCK;
    while (c < need)
        c *= 2;
    char *n = realloc(*p, c);
    if (!n)
        return false;
    *p = n;
    *cap = c;
    return true;
}

/* Under mu: fill the lane's buffer with the carried bytes and the next block.  Returns the
 * block length (0 when the input is done); *final when the block ends the input; *err when
 * reading failed or memory ran out (then the block is still numbered, to fail in order). */
static size_t take_block(lanes *L, lane *ln, bool *final, pluck_code *err)
{
    const pluck_query *q = L->r->q;
    const char rd = q->params.in.record_delim.s[0];
    size_t n = 0;
    *final = false;
    *err = PLUCK_OK;
    if (!reserve(&ln->buf, &ln->cap, L->ncarry + BLOCK)) {
        *err = PLUCK_E_OUT_OF_MEMORY;
        return 0;
    }
    memcpy(ln->buf, L->carry, L->ncarry);
    n = L->ncarry;
    size_t searched = n; /* the carry holds no delimiter */
    for (;;) {
        if (L->eof) {
            *final = true;
            break;
        }
        if (!reserve(&ln->buf, &ln->cap, n + BLOCK)) {
            *err = PLUCK_E_OUT_OF_MEMORY;
            return 0;
        }
        ptrdiff_t got = L->read(L->opaque, ln->buf + n, BLOCK);
        if (got < 0) {
            *err = PLUCK_E_READ_ERROR;
            return 0;
        }
        if (got == 0) {
            L->eof = true;
            *final = true;
            break;
        }
        n += (size_t)got;
        L->r->stats.bytes_scanned += (uint64_t)got;
        L->r->stats.bytes_processed += (uint64_t)got;
        const char *last = NULL;
        for (const char *p = ln->buf + n; p > ln->buf + searched;)
            if (*--p == rd) {
                last = p;
                break;
            }
        if (last) {
            size_t cut = (size_t)(last + 1 - ln->buf);
            L->ncarry = n - cut;
            if (!reserve(&L->carry, &L->carry_cap, L->ncarry)) {
                *err = PLUCK_E_OUT_OF_MEMORY;
                return 0;
            }
            memcpy(L->carry, ln->buf + cut, L->ncarry);
            n = cut;
            break;
        }
        searched = n;
        /* no delimiter yet: a record longer than the maximum is handed over as it is, for
         * the scanner to report OverMaxRecordSize */
        if (n > q->params.max_record_size + 1) {
            L->ncarry = 0;
            L->eof = true; /* nothing after an error is read */
            break;
        }
    }
    if (*final)
        L->ncarry = 0;
    return n;
}

static void lane_loop(lane *ln)
{
    lanes *L = ln->L;
    pthread_mutex_lock(&L->mu);
    while (!L->stop) {
        if (L->eof && L->ncarry == 0)
            break;
        uint64_t seq = L->next_seq++, base = L->next_base;
        bool final;
        pluck_code err;
        size_t len = take_block(L, ln, &final, &err);
        L->next_base += len;
        pthread_mutex_unlock(&L->mu);

        if (!err && len)
            pl_run_lane_block(ln->run, ln->buf, len, base, final);

        pthread_mutex_lock(&L->mu);
        while (L->commit_seq != seq && !L->stop)
            pthread_cond_wait(&L->turn, &L->mu);
        if (L->stop)
            break;
        pluck_run *r = L->r;
        if (err)
            pl_run_fail_msg(r, err, err == PLUCK_E_READ_ERROR ? "The input could not be read."
                                                              : "Out of memory.");
        else if (len)
            pl_run_lane_commit(r, ln->run, ln->buf, len, base, final);
        if (r->state != PLUCK_OK || err || final) {
            L->stop = true;
            L->eof = true;
        }
        L->commit_seq++;
        pthread_cond_broadcast(&L->turn);
    }
    /* a lane leaves without a block in hand, so no other lane waits for one from it */
    pthread_mutex_unlock(&L->mu);
}

static void *lane_main(void *arg)
{
    lane_loop(arg);
    return NULL;
}

pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque)
{
    lanes L = {.r = r, .read = read, .opaque = opaque};
    lane ln[NLANES] = {{0}};
    pthread_t th;
    bool started = false;
    /* what the window holds after the first pass is the start of the next record */
    if (!reserve(&L.carry, &L.carry_cap, r->wlen + 1)) {
        return pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    }
    memcpy(L.carry, r->win, r->wlen);
    L.ncarry = r->wlen;
    L.next_base = r->wbase;
    r->wbase += r->wlen;
    r->wlen = 0;
    if (pthread_mutex_init(&L.mu, NULL)) {
        free(L.carry);
        return pl_run_fail_msg(r, PLUCK_E_INTERNAL_ERROR, "No mutex for the lanes.");
    }
    if (pthread_cond_init(&L.turn, NULL)) {
        pthread_mutex_destroy(&L.mu);
        free(L.carry);
        return pl_run_fail_msg(r, PLUCK_E_INTERNAL_ERROR, "No condition for the lanes.");
    }
    int nl = 0;
    for (int i = 0; i < NLANES; i++) {
        ln[i].L = &L;
        ln[i].run = pl_run_lane_create(r);
        if (ln[i].run)
            nl++;
    }
    if (!ln[0].run) {
        pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    } else {
        if (nl > 1)
            started = pthread_create(&th, NULL, lane_main, &ln[1]) == 0;
        lane_loop(&ln[0]);
        if (started)
            pthread_join(th, NULL);
    }
    r->wbase = L.next_base;
    for (int i = 0; i < NLANES; i++) {
        pluck_run_free(ln[i].run);
        free(ln[i].buf);
    }
    free(L.carry);
    pthread_cond_destroy(&L.turn);
    pthread_mutex_destroy(&L.mu);
    return r->state;
}

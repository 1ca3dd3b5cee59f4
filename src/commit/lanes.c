/*
 * lanes.c — the parallel driver: the rest of a plain input through N executors, committed
 * in input order.
 *
 * A plain file (no decompression to overlap with) would keep one core busy and leave the
 * other idle.  Here the rest of the input, once the main executor has read the header and
 * checked the first bytes, is cut into blocks of whole records (source/blocks.c), and THREADS
 * threads (the calling one and THREADS - 1 more) each take the next block, scan it with their
 * own executor into their own buffers, then commit it to the run strictly in input order
 * (commit.c: pl_commit_lane).
 *
 * One mutex guards the block source and a ring of slots: a thread takes the next block
 * into a free slot, processes it unlocked, marks it done, then commits every done block
 * that is next in input order (its own or another thread's), so a thread never waits for
 * the others unless the ring (two slots per thread) is full.  Threads that cannot be started
 * leave their share to the others; the calling thread alone can do all blocks.
 *
 * The same driver runs the splits of a compressed file (source/splits.h): a thread takes the
 * next split instead of the next block and decodes it with a codec of its own.
 */
#include "run/run.h"
#include "source/blocks.h"
#include "source/splits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

/* One block in flight.  Its executor holds the block's results until they are committed. */
typedef struct slot {
    pl_exec *x;     /* a parallel executor over the same query */
    char *buf;      /* read mode: the block's bytes; range mode: the window */
    size_t cap;
    enum { FREE, BUSY, DONE } state;
    uint64_t seq;
    pl_block b;
    uint64_t from;  /* range mode: the block's nominal start */
    size_t split;   /* split mode: which split */
    uint64_t ulen;  /* split mode: its decompressed size */
    bool extended;  /* split mode: it decoded on to the end of the file (splits.h) */
    pl_bz2_chain chain; /* split mode, bzip2: its streams' combined CRCs, for the commit */
    pluck_code err; /* the block could not be read */
} slot;

typedef struct lanes {
    pluck_run *r;
    pl_blocks B;         /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t turn;
    uint64_t next_seq;   /* under mu */
    uint64_t commit_seq; /* under mu */
    bool stop;
    slot *slots;   /* blocks in flight: taken, processed or waiting to be committed */
    size_t nslots; /* two per thread */
    /* split mode: the splits of the compressed file fd, the next to take (under mu), and
     * the stream offset where the committed ones end */
    const pluck_split *splits;
    size_t nsplits, next_split;
    pl_compression kind;
    int fd;
    uint64_t end, ubase;
    /* redo on the main executor (commit.c) */
    const pl_block *redo_block;
    const slot *redo_slot;
    uint64_t redo_ulen;
    bool redo_extended;
    char *redo_win;
    size_t redo_cap;
} lanes;

static pluck_code exec_scan(void *ctx, const char *p, size_t n, uint64_t base, bool final,
                            size_t *used)
{
    pl_exec *x = ctx;
    return pl_exec_window(x, p, n, base, final, used);
}

/* Scan block b with executor x; a failure of the block itself is x's error. */
static void scan_block(pl_exec *x, const pl_block *b, char **win, size_t *cap)
{
    pluck_code rc = pl_block_scan(b, win, cap, exec_scan, x, &x->err);
    if (pluck_is_error(rc) && x->state == PLUCK_OK)
        pl_exec_raise(x, rc);
}

/* Scan split i with executor x (positions from ubase on); *ulen its decompressed size;
 * ch: bzip2's combined CRCs (or NULL). */
static void scan_split(const lanes *L, pl_exec *x, size_t i, uint64_t ubase, char **win,
                       size_t *cap, uint64_t *ulen, bool *extended, pl_bz2_chain *ch)
{
    *extended = false;
    const pl_split_job j = {.fd = L->fd, .kind = L->kind, .off = L->splits[i].offset,
                            .len = L->splits[i].length, .end = L->end, .first = i == 0,
                            .ubase = ubase, .rd = L->r->q->params.in.record_delim.s[0],
                            .max_window = L->r->q->params.max_window,
                            .ix = L->r->index, .extended = extended, .chain = ch};
    pluck_code rc = pl_split_scan(&j, win, cap, exec_scan, x, &x->err, ulen, NULL);
    if (pluck_is_error(rc) && x->state == PLUCK_OK)
        pl_exec_raise(x, rc);
}

static pluck_code redo(void *arg)
{
    lanes *L = arg;
    pl_exec *main = L->r->x;
    if (L->splits) {
        /* in commit order the blocks before it are known: its decoder checks the stream
         * ends itself, failing where the one-thread run fails */
        pluck_run *r = L->r;
        pl_bz2_chain ch = {.known = true, .crc = r->bz2_crc};
        scan_split(L, main, L->redo_slot->split, L->ubase, &L->redo_win, &L->redo_cap,
                   &L->redo_ulen, &L->redo_extended, r->bz2_chained ? &ch : NULL);
        r->bz2_crc = ch.out;
    } else
        scan_block(main, L->redo_block, &L->redo_win, &L->redo_cap);
    return main->state;
}

/* Under mu: commit a done split. */
static void commit_split(lanes *L, slot *sl)
{
    pluck_run *r = L->r;
    L->redo_slot = sl;
    L->redo_ulen = UINT64_MAX;
    uint32_t crc = r->bz2_crc;
    if (r->bz2_chained && sl->x->state == PLUCK_OK &&
        !(sl->chain.complete && pl_bz2_chain_next(&crc, &sl->chain)))
        /* a stream that ended in it does not match its blocks (or it stopped short):
         * redone on the main executor, which ends where the one-thread run ends */
        pl_exec_raise(sl->x, PLUCK_E_TRUNCATED_INPUT);
    pl_commit_lane(&r->c, r->x, sl->x, redo, L);
    bool redone = L->redo_ulen != UINT64_MAX;
    if (!redone)
        r->bz2_crc = crc;
    uint64_t ulen = redone ? L->redo_ulen : sl->ulen;
    if (redone ? L->redo_extended : sl->extended) {
        /* it decoded the rest of the file: the later splits are not to be committed */
        sl->extended = true;
        r->src.bytes_in += L->end - L->splits[sl->split].offset;
    } else {
        r->src.bytes_in += L->splits[sl->split].length;
    }
    r->src.bytes_out += ulen;
    L->ubase += ulen;
    if (r->c.state == PLUCK_OK)
        pl_run_progress(r);
}

/* Under mu: commit every done block that is next in input order. */
static void commit_ready(lanes *L)
{
    pluck_run *r = L->r;
    for (;;) {
        slot *sl = &L->slots[L->commit_seq % L->nslots];
        if (sl->state != DONE || sl->seq != L->commit_seq)
            return;
        if (!L->stop && L->splits) {
            commit_split(L, sl);
            if (r->c.state != PLUCK_OK || sl->split + 1 == L->nsplits || sl->extended)
                L->stop = true;
        } else if (!L->stop) {
            if (sl->err) {
                pl_commit_fail(&r->c, sl->err, sl->err == PLUCK_E_READ_ERROR
                                                   ? "The input could not be read."
                                                   : "Out of memory.");
            } else if (sl->b.len) {
                pl_blocks_count(&L->B, &sl->b);
                L->redo_block = &sl->b;
                if (pl_commit_lane(&r->c, r->x, sl->x, redo, L) == PLUCK_OK)
                    pl_run_progress(r);
            }
            if (r->c.state != PLUCK_OK || sl->err || sl->b.final)
                L->stop = true;
        }
        sl->state = FREE;
        L->commit_seq++;
    }
}

static bool more_input(const lanes *L)
{
    return L->splits ? L->next_split < L->nsplits : pl_blocks_more(&L->B);
}

static void lane_loop(lanes *L)
{
    bool ranges = !L->splits && L->B.fd >= 0;
    pthread_mutex_lock(&L->mu);
    while (!L->stop && more_input(L)) {
        slot *sl = &L->slots[L->next_seq % L->nslots];
        if (sl->state != FREE) { /* the ring is full: wait for a commit */
            pthread_cond_wait(&L->turn, &L->mu);
            continue;
        }
        sl->state = BUSY;
        sl->seq = L->next_seq++;
        sl->err = PLUCK_OK;
        if (L->splits)
            sl->split = L->next_split++;
        else if (ranges)
            sl->from = pl_blocks_next_range(&L->B);
        else
            sl->err = pl_blocks_take(&L->B, &sl->buf, &sl->cap, &sl->b);
        pthread_mutex_unlock(&L->mu);

        if (L->splits) {
            pl_exec_restart(sl->x);
            sl->chain = (pl_bz2_chain){0};
            scan_split(L, sl->x, sl->split, 0, &sl->buf, &sl->cap, &sl->ulen, &sl->extended,
                       L->r->bz2_chained ? &sl->chain : NULL);
        }
        if (ranges)
            sl->err = pl_blocks_bound(&L->B, sl->from, &sl->b);
        if (!L->splits && !sl->err && sl->b.len) {
            pl_exec_restart(sl->x);
            scan_block(sl->x, &sl->b, &sl->buf, &sl->cap);
        }

        pthread_mutex_lock(&L->mu);
        sl->state = DONE;
        commit_ready(L);
        pthread_cond_broadcast(&L->turn);
    }
    pthread_mutex_unlock(&L->mu);
}

static void *lane_main(void *arg)
{
    lane_loop(arg);
    return NULL;
}

/* Run the slots on this thread and THREADS - 1 more. */
static void run_threads(lanes *L)
{
    pluck_run *r = L->r;
    size_t nth = r->q->params.threads < MAX_THREADS ? r->q->params.threads : MAX_THREADS;
    if (nth < 2)
        nth = 2;
    pthread_t th[MAX_THREADS];
    size_t started = 0;
    L->nslots = 2 * nth;
    L->slots = calloc(L->nslots, sizeof *L->slots);
    bool ok = L->slots != NULL;
    for (size_t i = 0; ok && i < L->nslots; i++)
        ok = (L->slots[i].x = pl_exec_create_lane(r->x)) != NULL;
    if (!ok || pthread_mutex_init(&L->mu, NULL)) {
        pl_commit_fail(&r->c, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    } else {
        if (pthread_cond_init(&L->turn, NULL)) {
            pl_commit_fail(&r->c, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        } else {
            /* threads that cannot be started leave their share to the others */
            while (started + 1 < nth && pthread_create(&th[started], NULL, lane_main, L) == 0)
                started++;
            lane_loop(L);
            for (size_t i = 0; i < started; i++)
                pthread_join(th[i], NULL);
            pthread_cond_destroy(&L->turn);
        }
        pthread_mutex_destroy(&L->mu);
    }
    for (size_t i = 0; L->slots && i < L->nslots; i++) {
        pl_exec_free(L->slots[i].x);
        free(L->slots[i].buf);
    }
    free(L->slots);
    free(L->redo_win);
}

pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque, int fd)
{
    lanes L = {.r = r};
    const pluck_query *q = r->q;
    PL_FORWARD_IF_ERROR(pl_blocks_init(&L.B, &r->src, q->params.in.record_delim.s[0],
                                       q->params.max_record_size, read, opaque, fd));
    run_threads(&L);
    pl_blocks_end(&L.B, r->c.state == PLUCK_OK);
    pl_blocks_free(&L.B);
    return r->c.state;
}

pluck_code pl_splits_run(pluck_run *r, int fd, pl_compression kind, const pluck_split *splits,
                         size_t n, size_t from, uint64_t end, uint64_t ubase)
{
    lanes L = {.r = r, .splits = splits, .nsplits = n, .next_split = from, .next_seq = 0,
               .kind = kind, .fd = fd, .end = end, .ubase = ubase};
    run_threads(&L);
    r->src.wbase = L.ubase;
    return r->c.state;
}

/* The main executor's scan of a split also asks the progress hook, every MAIN_PROGRESS
 * decoded bytes: a split that writes nothing (COUNT over a bomb) can still be cancelled. */
#define MAIN_PROGRESS (4u << 20)
typedef struct main_scan_ctx {
    pluck_run *r;
    uint64_t next; /* decoded position of the next call */
} main_scan_ctx;

static pluck_code main_scan(void *ctx, const char *p, size_t n, uint64_t base, bool final,
                            size_t *used)
{
    main_scan_ctx *m = ctx;
    pluck_run *r = m->r;
    pluck_code rc = pl_exec_window(r->x, p, n, base, final, used);
    if (rc != PLUCK_OK || !r->progress || base + n < m->next)
        return rc;
    m->next = base + n + MAIN_PROGRESS;
    pluck_stats st;
    pluck_run_stats(r, &st);
    if (r->progress(r->pop, &st)) {
        pl_commit_fail(&r->c, PLUCK_E_CANCELLED, "The run was cancelled.");
        return PLUCK_E_CANCELLED;
    }
    return rc;
}

pluck_code pl_split_main(pluck_run *r, int fd, pl_compression kind, const pluck_split *splits,
                         size_t i, uint64_t end, uint64_t ubase, uint64_t *ulen, bool *extended)
{
    pl_exec *x = r->x;
    main_scan_ctx m = {.r = r, .next = ubase + MAIN_PROGRESS};
    pl_bz2_chain ch = {.known = true, .crc = r->bz2_crc}; /* committed in order */
    const pl_split_job j = {.fd = fd, .kind = kind, .off = splits[i].offset,
                            .len = splits[i].length, .end = end, .first = i == 0,
                            .ubase = ubase, .rd = r->q->params.in.record_delim.s[0],
                            .max_window = r->q->params.max_window,
                            .ix = r->index, .extended = extended,
                            .chain = r->bz2_chained ? &ch : NULL};
    pluck_code rc = pl_split_scan(&j, &r->src.win, &r->src.wcap, main_scan, &m, &x->err, ulen,
                                  &r->src.codec);
    r->bz2_crc = ch.out;
    if (pluck_is_error(rc) && x->state == PLUCK_OK && !pluck_is_error(r->c.state))
        pl_exec_raise(x, rc);
    return pl_commit_take(&r->c, x);
}

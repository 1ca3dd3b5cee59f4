/*
 * lanes.c — plain input split across two threads.
 *
 * A plain file (no decompression to overlap with) would keep one core busy and leave the
 * other idle.  Here the rest of the input, once the run has read the header and checked the
 * first bytes, is cut into blocks of whole records, and two lanes (the calling thread and
 * one more) each take the next block, scan it with their own scanner and evaluate the query
 * into their own buffers (run.c: pl_run_lane_block), then commit it to the run strictly in
 * input order (pl_run_lane_commit).  Blocks are cut where it is safe: only when a record
 * delimiter always ends a record (AllowQuotedRecordDelimiter FALSE, a one-byte delimiter),
 * which pl_run_lanes_eligible() checks.
 *
 * One mutex guards the source and a ring of block slots: a lane takes the next block into a
 * free slot, processes it unlocked, marks it done, then commits every done block that is
 * next in input order (its own or the other lane's), so a lane never waits for the other
 * unless the ring is full.
 *
 * Where the input is a regular file, a block is a range of it: block k owns the records
 * that start in [k MiB, k+1 MiB) from where the lanes began, so each lane finds its own
 * bounds (the first record start at or after each end, read with a small pread()) and reads
 * its range with pread() in pieces that stay in the cache while they are scanned: both
 * lanes read at once and nothing is carried between blocks.  Otherwise (no file, or
 * PLUCK_PREAD=0) the lanes read through the run's read callback, one block at a time under
 * the mutex, and the bytes after a block's last delimiter are carried into the next.
 * When the second thread cannot be started, the calling thread does all blocks.
 */
#include "exec/run.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (1024 * 1024) /* bytes read per block */
#define NSLOTS 4 /* blocks in flight: taken, processed or waiting to be committed */

typedef struct lanes lanes;

/* One block in flight.  Its run holds the block's results until they are committed. */
typedef struct slot {
    pluck_run *run; /* a lane run over the same query */
    char *buf;      /* read mode: the block's bytes */
    size_t cap;
    enum { FREE, BUSY, DONE } state;
    uint64_t seq;
    pl_block b;     /* the block: buf, or a range of the file */
    uint64_t from;  /* range mode: the block's nominal start (a multiple of BLOCK) */
    pluck_code err;
} slot;

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
    /* range mode (fd >= 0): the file from offset `start` (stream offset start_base) to
     * `size` is read in ranges; next_from is the next block's nominal start, under mu */
    int fd;
    uint64_t start, start_base, size, next_from;
    /* commit order, under mu */
    uint64_t commit_seq;
    bool stop;
    slot slots[NSLOTS];
};

/* Under mu: fill the lane's buffer with the carried bytes and the next block.  Returns the
 * block length (0 when the input is done); *final when the block ends the input; *err when
 * reading failed or memory ran out (then the block is still numbered, to fail in order). */
static size_t take_block(lanes *L, slot *ln, bool *final, pluck_code *err)
{
    const pluck_query *q = L->r->q;
    const char rd = q->params.in.record_delim.s[0];
    size_t n = 0;
    *final = false;
    *err = PLUCK_OK;
    if (!pl_grow(&ln->buf, &ln->cap, L->ncarry + BLOCK, 1)) {
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
        if (!pl_grow(&ln->buf, &ln->cap, n + BLOCK, 1)) {
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
            if (!pl_grow(&L->carry, &L->carry_cap, L->ncarry, 1)) {
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

/* Range mode: the first record start at or after file offset x (the offset after the first
 * delimiter at or after x - 1), or the file's end.  Past max_record_size + 2 bytes without a
 * delimiter the record there is too long anyway: the bound is put there, and the block
 * before it ends with that record unfinished, for its scanner to report.  UINT64_MAX when
 * reading failed. */
static uint64_t first_start(const lanes *L, uint64_t x, char *probe, size_t cap)
{
    if (x <= L->start)
        return L->start;
    if (x >= L->size)
        return L->size;
    const pluck_query *q = L->r->q;
    const char rd = q->params.in.record_delim.s[0];
    const uint64_t stop = x - 1 + q->params.max_record_size + 2;
    for (uint64_t at = x - 1; at < L->size && at < stop;) {
        size_t want = cap;
        if (want > L->size - at)
            want = (size_t)(L->size - at);
        ssize_t n = pread(L->fd, probe, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return UINT64_MAX;
        if (n == 0)
            return L->size; /* the file shrank */
        const char *d = memchr(probe, rd, (size_t)n);
        if (d)
            return at + (uint64_t)(d - probe) + 1;
        at += (uint64_t)n;
    }
    return stop < L->size ? stop : L->size;
}

/* Range mode, outside mu: the bounds of the block whose nominal start is sl->from. */
static void bound_range(lanes *L, slot *sl)
{
    char probe[4096];
    uint64_t s = first_start(L, sl->from, probe, sizeof probe);
    uint64_t e = first_start(L, sl->from + BLOCK, probe, sizeof probe);
    if (s == UINT64_MAX || e == UINT64_MAX) {
        sl->err = PLUCK_E_READ_ERROR;
        return;
    }
    if (e < s)
        e = s; /* a record longer than the block: it belongs to the block where it starts */
    sl->b = (pl_block){.fd = L->fd, .off = s, .len = (size_t)(e - s),
                       .base = L->start_base + (s - L->start), .final = e >= L->size};
}

/* Under mu: commit every done block that is next in input order. */
static void commit_ready(lanes *L)
{
    pluck_run *r = L->r;
    for (;;) {
        slot *sl = &L->slots[L->commit_seq % NSLOTS];
        if (sl->state != DONE || sl->seq != L->commit_seq)
            return;
        if (!L->stop) {
            if (sl->err) {
                pl_run_fail_msg(r, sl->err, sl->err == PLUCK_E_READ_ERROR
                                                ? "The input could not be read."
                                                : "Out of memory.");
            } else if (sl->b.len) {
                if (L->fd >= 0) { /* a range is counted as it is committed */
                    r->stats.bytes_scanned += sl->b.len;
                    r->stats.bytes_processed += sl->b.len;
                }
                pl_run_lane_commit(r, sl->run, &sl->b);
            }
            if (r->state != PLUCK_OK || sl->err || sl->b.final)
                L->stop = true;
        }
        sl->state = FREE;
        L->commit_seq++;
    }
}

static bool more_input(const lanes *L)
{
    return L->fd >= 0 ? L->next_from < L->size : !(L->eof && L->ncarry == 0);
}

static void lane_loop(lanes *L)
{
    pthread_mutex_lock(&L->mu);
    while (!L->stop && more_input(L)) {
        slot *sl = &L->slots[L->next_seq % NSLOTS];
        if (sl->state != FREE) { /* the ring is full: wait for a commit */
            pthread_cond_wait(&L->turn, &L->mu);
            continue;
        }
        sl->state = BUSY;
        sl->seq = L->next_seq++;
        sl->err = PLUCK_OK;
        if (L->fd >= 0) {
            sl->from = L->next_from;
            L->next_from += BLOCK;
        } else {
            bool final;
            size_t len = take_block(L, sl, &final, &sl->err);
            sl->b = (pl_block){.buf = sl->buf, .fd = -1, .len = len, .base = L->next_base,
                               .final = final};
            L->next_base += len;
        }
        pthread_mutex_unlock(&L->mu);

        if (L->fd >= 0)
            bound_range(L, sl);
        if (!sl->err && sl->b.len)
            pl_run_lane_block(sl->run, &sl->b);

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

/* Range mode when fd is a regular file the run reads from its current offset on: the
 * window's bytes are the file's from (offset - what the window holds). */
static void use_ranges(lanes *L, int fd)
{
    struct stat st;
    const char *env = getenv("PLUCK_PREAD"); /* "0": read instead (tests of that path) */
    off_t cur = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : -1;
    if (cur < 0 || (env && !strcmp(env, "0")) || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
        cur < (off_t)L->ncarry || st.st_size < cur)
        return;
    L->fd = fd;
    L->start = L->next_from = (uint64_t)cur - L->ncarry;
    L->start_base = L->next_base;
    L->size = (uint64_t)st.st_size;
    /* the window's bytes are read again as part of the first range */
    L->r->stats.bytes_scanned -= L->ncarry;
    L->r->stats.bytes_processed -= L->ncarry;
    L->ncarry = 0;
}

pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque, int fd)
{
    lanes L = {.r = r, .read = read, .opaque = opaque, .fd = -1};
    pthread_t th;
    bool started = false;
    /* what the window holds after the first pass is the start of the next record */
    if (!pl_grow(&L.carry, &L.carry_cap, r->wlen + 1, 1))
        return pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    memcpy(L.carry, r->win, r->wlen);
    L.ncarry = r->wlen;
    L.next_base = r->wbase;
    r->wbase += r->wlen;
    r->wlen = 0;
    use_ranges(&L, fd);
    bool ok = true;
    for (int i = 0; i < NSLOTS; i++)
        ok = (L.slots[i].run = pl_run_lane_create(r)) != NULL && ok;
    if (!ok || pthread_mutex_init(&L.mu, NULL)) {
        pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    } else {
        if (pthread_cond_init(&L.turn, NULL)) {
            pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        } else {
            started = pthread_create(&th, NULL, lane_main, &L) == 0;
            lane_loop(&L);
            if (started)
                pthread_join(th, NULL);
            pthread_cond_destroy(&L.turn);
        }
        pthread_mutex_destroy(&L.mu);
    }
    if (L.fd >= 0) {
        r->wbase = L.start_base + (L.size - L.start);
        if (r->state == PLUCK_OK)
            lseek(L.fd, (off_t)L.size, SEEK_SET); /* as a read to the end would leave it */
    } else {
        r->wbase = L.next_base;
    }
    for (int i = 0; i < NSLOTS; i++) {
        pluck_run_free(L.slots[i].run);
        free(L.slots[i].buf);
    }
    free(L.carry);
    return r->state;
}

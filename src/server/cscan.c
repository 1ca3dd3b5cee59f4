/*
 * cscan.c — ScanRange over a compressed object (a pluck extension: AWS answers
 * UnsupportedScanRangeInput; pluck-serve(1), "ScanRange on compressed objects").
 *
 * Start and End are compressed byte offsets, inclusive as for plain objects.  The split
 * points of the object (BGZF members, zstd frames: pluck_splits_find with the finest
 * grouping) that lie in [Start, End] are the range's; it owns the records that begin in the
 * decompressed data from its first split point to the first split point after End (the
 * library's rule for a split: from the first record delimiter at or after its first byte,
 * through the record that holds the first delimiter at or after its end).  Adjacent ranges
 * (End + 1 = next Start) therefore own adjacent runs of split points, and any set of
 * adjacent ranges covering the object returns every record exactly once.  An object with
 * no split points (one gzip member, bzip2, xz, a single zstd frame) is one split at offset
 * 0: the range whose Start is 0 owns all of it, every other range nothing.
 *
 * The range is run by pluck_run_split() over three coarse splits (before, the range, after)
 * on a thread of its own.  Its output comes through a bounded buffer: the thread waits while
 * CSCAN_HOLD bytes are not yet taken by the connection, so memory stays bounded however fast
 * it decodes, and a connection that goes away makes the next write refuse, which ends the
 * run within PL_FLUSH_AT (64 KiB) of output.  A run that writes nothing (COUNT over a long
 * range) sees the cancel at its progress hook, every 4 MiB decoded; pl_cscan_stop() leaves
 * the thread to finish that and free the run on its own.  bzip2 objects never get here
 * (select.c refuses their ScanRange: finding their blocks means decoding every one).
 */
#include "server/cscan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CSCAN_HOLD (1u << 20) /* output the thread may get ahead of the connection */

struct pl_cscan {
    pthread_mutex_t lock;
    pthread_cond_t cond;  /* output taken, output added, done, cancelled */
    pthread_t thread;
    int started;
    pluck_query *q;       /* owned, with the run: a detached thread still uses both */
    pluck_index *ix;      /* owned: the gzip object's checkpoint index, or NULL */
    pluck_run *run;
    int fd;               /* a duplicate of the object's: the connection may close its own */
    pluck_split sp[3];
    size_t n, i;
    pl_sbuf out;          /* output not taken yet */
    int done, cancelled, detached;
    pluck_code rc;
};

static int put(void *opaque, const char *data, size_t len)
{
    pl_cscan *c = opaque;
    pthread_mutex_lock(&c->lock);
    while (!c->cancelled && c->out.len - c->out.off >= CSCAN_HOLD)
        pthread_cond_wait(&c->cond, &c->lock);
    int refuse = c->cancelled || pl_sbuf_add(&c->out, data, len);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return refuse;
}

static void cscan_free(pl_cscan *c)
{
    pluck_run_free(c->run);
    pluck_query_free(c->q);
    pluck_index_free(c->ix);
    if (c->fd >= 0)
        close(c->fd);
    pl_sbuf_free(&c->out);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

static void *work(void *arg)
{
    pl_cscan *c = arg;
    pluck_code rc = pluck_run_split(c->run, c->fd, c->sp, c->n, c->i);
    pthread_mutex_lock(&c->lock);
    c->rc = rc;
    c->done = 1;
    int detached = c->detached;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (detached)
        cscan_free(c); /* the connection is gone: nobody else holds it */
    return NULL;
}

/* The library asks every few MiB decoded: a run whose connection went away (or a server
 * shutting down) stops there even when it writes nothing (COUNT over a bomb). */
static int cancelled(void *opaque, const pluck_stats *st)
{
    (void)st;
    pl_cscan *c = opaque;
    pthread_mutex_lock(&c->lock);
    int stop = c->cancelled;
    pthread_mutex_unlock(&c->lock);
    return stop;
}

int pl_cscan_plan(int fd, uint64_t size, const pluck_params *p, const pluck_index *ix,
                  uint64_t start, uint64_t end, pluck_split out[3], size_t *n, size_t *i,
                  pluck_error *err)
{
    pluck_split *sp = NULL;
    size_t k = 0;
    /* target 1: every split point on its own (consecutive ones are never grouped) */
    if (pluck_splits_find_indexed(fd, p, ix, 1, &sp, &k, err) != PLUCK_OK)
        return -1;
    size_t si = 0, ei = 0;
    while (si < k && sp[si].offset < start)
        si++;
    ei = si;
    while (ei < k && sp[ei].offset <= end)
        ei++;
    *n = 0;
    if (si < ei) {
        uint64_t a = sp[si].offset, b = ei < k ? sp[ei].offset : size;
        if (a > 0)
            out[(*n)++] = (pluck_split){.offset = 0, .length = a};
        *i = *n;
        out[(*n)++] = (pluck_split){.offset = a, .length = b - a};
        if (b < size)
            out[(*n)++] = (pluck_split){.offset = b, .length = size - b};
    }
    pluck_splits_free(sp);
    return 0;
}

pl_cscan *pl_cscan_create(pluck_query *q, pluck_index *ix, int fd, const pluck_split *sp,
                          size_t n, size_t i)
{
    pl_cscan *c = calloc(1, sizeof *c);
    if (!c) {
        pluck_query_free(q);
        pluck_index_free(ix);
        return NULL;
    }
    c->ix = ix;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->q = q;
    c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    memcpy(c->sp, sp, n * sizeof *sp);
    c->n = n;
    c->i = i;
    c->run = pluck_run_create(q, put, c);
    if (c->fd < 0 || !c->run) {
        cscan_free(c);
        return NULL;
    }
    if (ix)
        pluck_run_set_index(c->run, ix);
    pluck_run_set_progress(c->run, cancelled, c);
    return c;
}

pluck_run *pl_cscan_run_of(pl_cscan *c) { return c->run; }

int pl_cscan_start(pl_cscan *c)
{
    if (pthread_create(&c->thread, NULL, work, c))
        return -1;
    c->started = 1;
    return 0;
}

int pl_cscan_take(pl_cscan *c, pl_sbuf *into, size_t max, unsigned wait_ms, pluck_code *rc)
{
    pthread_mutex_lock(&c->lock);
    if (!c->done && c->out.len == c->out.off) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        ts.tv_sec += wait_ms / 1000 + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        while (!c->done && c->out.len == c->out.off &&
               pthread_cond_timedwait(&c->cond, &c->lock, &ts) != ETIMEDOUT)
            ;
    }
    size_t avail = c->out.len - c->out.off;
    size_t take = avail < max ? avail : max;
    int ok = !take || !pl_sbuf_add(into, c->out.data + c->out.off, take);
    if (ok) {
        c->out.off += take;
        pl_sbuf_compact(&c->out);
    }
    int done = c->done && c->out.len == c->out.off;
    *rc = c->rc;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (!ok) {
        *rc = PLUCK_E_OUT_OF_MEMORY;
        return 1;
    }
    return done;
}

void pl_cscan_stop(pl_cscan *c)
{
    if (!c)
        return;
    if (!c->started) {
        cscan_free(c);
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->cancelled = 1;
    pthread_cond_broadcast(&c->cond);
    int done = c->done;
    if (!done)
        c->detached = 1; /* work() frees it when the run ends */
    pthread_mutex_unlock(&c->lock);
    if (done) {
        pthread_join(c->thread, NULL);
        cscan_free(c);
    } else {
        pthread_detach(c->thread);
    }
}

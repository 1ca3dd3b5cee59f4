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
 * One mutex guards the source and a ring of block slots: a lane takes the next block into a
 * free slot, processes it unlocked, marks it done, then commits every done block that is
 * next in input order (its own or the other lane's), so a lane never waits for the other
 * unless the ring is full.  The source is the file mapped into memory when it can be
 * (no copy at all: a block is a slice of the mapping, cut after the first delimiter 1 MiB
 * on; pages are unmapped once their blocks are committed, so memory stays flat), else reads
 * into each lane's buffer (serial, but overlapping the other lane's scanning), the bytes
 * after a block's last delimiter carried into the next block.  The mapping covers the file
 * as large as it was at the start; what follows it, and what a file that grew adds, is read.
 * Two lanes: the calling thread and one more; when the second cannot be started, the
 * calling thread does all blocks.
 */
#include "exec/run.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (1024 * 1024) /* bytes read per block */
#define NSLOTS 4 /* blocks in flight: taken, processed or waiting to be committed */
#define RELEASE (8u << 20) /* committed mapped bytes unmapped at once */

typedef struct lanes lanes;

/* One block in flight.  Its run holds the block's results until they are committed. */
typedef struct slot {
    pluck_run *run; /* a lane run over the same query */
    char *buf;      /* read mode: the block's bytes */
    size_t cap;
    enum { FREE, BUSY, DONE } state;
    uint64_t seq, base;
    char *blk;      /* the block: buf or a slice of the mapping */
    size_t len, map_end;
    bool final;
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
    /* the mapped file, under mu: bytes [0, map_len) of `map` are the input from next_base on
     * when the lanes started; map_pos is the next block's start; pages before `released`
     * are unmapped (whole pages only); map_fd is repositioned past the mapping at its end */
    int map_fd;
    const char *map;
    size_t map_len, map_pos;
    char *map_start, *released;
    size_t map_total; /* bytes mapped from map_start */
    size_t map_bytes; /* the file's size: where reading goes on after the mapping */
    /* commit order, under mu */
    uint64_t commit_seq;
    bool stop;
    slot slots[NSLOTS];
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
static size_t take_block(lanes *L, slot *ln, bool *final, pluck_code *err)
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

static const char *last_of(const char *p, size_t n, char c)
{
    while (n--)
        if (p[n] == c)
            return p + n;
    return NULL;
}

/* Under mu: the next block as a slice of the mapping, or NULL when the mapping is used up
 * (its tail after the last delimiter then goes to the carry, and reading takes over). */
static const char *take_mapped(lanes *L, size_t *len, pluck_code *err)
{
    const pluck_query *q = L->r->q;
    const char rd = q->params.in.record_delim.s[0];
    const size_t start = L->map_pos, n = L->map_len - start;
    const size_t over = q->params.max_record_size + 2; /* longer cannot be one record */
    const char *p = L->map + start;
    size_t end = 0;
    if (n > BLOCK) {
        size_t look = n - BLOCK < over ? n - BLOCK : over;
        const char *d = memchr(p + BLOCK, rd, look);
        if (d)
            end = (size_t)(d + 1 - p);
        else if (look == over)
            end = BLOCK + over; /* a record too long: the scanner reports it */
    }
    if (!end) {
        /* the mapping's last block: through its last delimiter; the rest is carried */
        const char *d = last_of(p, n, rd);
        end = d ? (size_t)(d + 1 - p) : 0;
        size_t tail = n - end;
        if (tail > over) {
            end += over; /* the carry would be a record too long: scan it to fail */
        } else {
            if (!reserve(&L->carry, &L->carry_cap, tail + 1)) {
                *err = PLUCK_E_OUT_OF_MEMORY;
                return NULL;
            }
            memcpy(L->carry, p + end, tail);
            L->ncarry = tail;
            L->r->stats.bytes_scanned += tail;
            L->r->stats.bytes_processed += tail;
            L->map_pos = L->map_len;
            /* the file may have grown: reading goes on after the mapping */
            if (lseek(L->map_fd, (off_t)L->map_bytes, SEEK_SET) < 0)
                *err = PLUCK_E_READ_ERROR;
            if (!end || *err)
                return NULL;
        }
    }
    if (L->map_pos != L->map_len)
        L->map_pos = start + end;
    L->r->stats.bytes_scanned += end;
    L->r->stats.bytes_processed += end;
    *len = end;
    return p;
}

/* After the block ending at mapping offset `end` is committed: unmap the whole pages before
 * it (the next block starts at end, so the page holding end stays). */
static void release_mapped(lanes *L, size_t end)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t upto = (uintptr_t)(L->map + end) & ~(uintptr_t)(pg > 0 ? pg - 1 : 4095);
    /* in steps of RELEASE: each unmap stops the other lane's page faults and flushes its TLB */
    if (upto >= (uintptr_t)L->released + RELEASE || end == L->map_len) {
        munmap(L->released, upto - (uintptr_t)L->released);
        L->released = (char *)upto;
    }
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
            if (sl->err)
                pl_run_fail_msg(r, sl->err, sl->err == PLUCK_E_READ_ERROR
                                                ? "The input could not be read."
                                                : "Out of memory.");
            else if (sl->len)
                pl_run_lane_commit(r, sl->run, sl->blk, sl->len, sl->base, sl->final);
            if (sl->blk != sl->buf && L->map)
                release_mapped(L, sl->map_end);
            if (r->state != PLUCK_OK || sl->err || sl->final) {
                L->stop = true;
                L->eof = true;
            }
        }
        sl->state = FREE;
        L->commit_seq++;
    }
}

static void lane_loop(lanes *L)
{
    pthread_mutex_lock(&L->mu);
    while (!L->stop && !(L->eof && L->ncarry == 0 && L->map_pos == L->map_len)) {
        slot *sl = &L->slots[L->next_seq % NSLOTS];
        if (sl->state != FREE) { /* the ring is full: wait for a commit */
            pthread_cond_wait(&L->turn, &L->mu);
            continue;
        }
        sl->state = BUSY;
        sl->seq = L->next_seq++;
        sl->base = L->next_base;
        sl->final = false;
        sl->err = PLUCK_OK;
        sl->len = 0;
        /* a mapped block is only read: process() leaves a block's bytes as they are */
        sl->blk = L->map_pos < L->map_len
                      ? (char *)(uintptr_t)take_mapped(L, &sl->len, &sl->err)
                      : NULL;
        sl->map_end = L->map_pos;
        if (!sl->blk && !sl->err) {
            sl->len = take_block(L, sl, &sl->final, &sl->err);
            sl->blk = sl->buf;
        }
        L->next_base += sl->len;
        pthread_mutex_unlock(&L->mu);

        if (!sl->err && sl->len) {
            pl_run_lane_block(sl->run, sl->blk, sl->len, sl->base, sl->final);
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

/* Map the file from the window's first byte (which is the file's offset now minus what the
 * window holds) to its end.  Leaves L->map NULL when it cannot. */
static void map_input(lanes *L, int fd)
{
    struct stat st;
    long pg = sysconf(_SC_PAGESIZE);
    const char *env = getenv("PLUCK_MMAP"); /* "0": read instead (tests of the read path) */
    off_t cur = lseek(fd, 0, SEEK_CUR);
    if (fd < 0 || (env && !strcmp(env, "0")) || pg <= 0 || cur < 0 || fstat(fd, &st) ||
        !S_ISREG(st.st_mode))
        return;
    off_t from = cur - (off_t)L->ncarry;
    if (from < 0 || st.st_size <= cur || (uint64_t)st.st_size - (uint64_t)from > SIZE_MAX / 2)
        return;
    off_t aligned = from & ~(off_t)(pg - 1);
    size_t len = (size_t)(st.st_size - aligned);
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, aligned);
    if (m == MAP_FAILED)
        return;
    madvise(m, len, MADV_SEQUENTIAL);
    L->map_fd = fd;
    L->map_start = L->released = m;
    L->map_total = len;
    L->map_bytes = (size_t)st.st_size; /* the file offset where reading goes on */
    L->map = (const char *)m + (from - aligned);
    L->map_len = (size_t)(st.st_size - from);
    L->map_pos = 0;
    /* the carry is in the mapping too; what was read past it is counted again per block */
    L->r->stats.bytes_scanned -= (uint64_t)(cur - from);
    L->r->stats.bytes_processed -= (uint64_t)(cur - from);
    L->ncarry = 0;
}

pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque, int fd)
{
    lanes L = {.r = r, .read = read, .opaque = opaque, .map_fd = -1};
    pthread_t th;
    bool started = false;
    /* what the window holds after the first pass is the start of the next record */
    if (!reserve(&L.carry, &L.carry_cap, r->wlen + 1))
        return pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    memcpy(L.carry, r->win, r->wlen);
    L.ncarry = r->wlen;
    L.next_base = r->wbase;
    r->wbase += r->wlen;
    r->wlen = 0;
    bool ok = true;
    for (int i = 0; i < NSLOTS; i++)
        ok = (L.slots[i].run = pl_run_lane_create(r)) != NULL && ok;
    if (!ok || pthread_mutex_init(&L.mu, NULL)) {
        pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    } else {
        if (pthread_cond_init(&L.turn, NULL)) {
            pl_run_fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        } else {
            map_input(&L, fd);
            started = pthread_create(&th, NULL, lane_main, &L) == 0;
            lane_loop(&L);
            if (started)
                pthread_join(th, NULL);
            pthread_cond_destroy(&L.turn);
        }
        pthread_mutex_destroy(&L.mu);
    }
    r->wbase = L.next_base;
    if (L.map_start)
        munmap(L.released, (size_t)(L.map_start + L.map_total - L.released));
    for (int i = 0; i < NSLOTS; i++) {
        pluck_run_free(L.slots[i].run);
        free(L.slots[i].buf);
    }
    free(L.carry);
    return r->state;
}

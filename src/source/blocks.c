/*
 * blocks.c — the block source of the parallel executors (see blocks.h).
 */
#include "source/blocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIECE (64 * 1024) /* a range is read and scanned this much at a time */

/* Range mode when fd is a regular file the run reads from its current offset on: the
 * window's bytes are the file's from (offset - what the window holds). */
static void use_ranges(pl_blocks *B, int fd)
{
    struct stat st;
    const char *env = getenv("PLUCK_PREAD"); /* "0": read instead (tests of that path) */
    off_t cur = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : -1;
    if (cur < 0 || (env && !strcmp(env, "0")) || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
        cur < (off_t)B->ncarry || st.st_size < cur)
        return;
    B->fd = fd;
    B->start = B->next_from = (uint64_t)cur - B->ncarry;
    B->start_base = B->next_base;
    B->size = (uint64_t)st.st_size;
    /* the window's bytes are read again as part of the first range */
    B->s->bytes_in -= B->ncarry;
    B->s->bytes_out -= B->ncarry;
    B->ncarry = 0;
}

pluck_code pl_blocks_init(pl_blocks *B, pl_source *s, char rd, size_t max_record_size,
                          pluck_read_fn read, void *opaque, int fd)
{
    *B = (pl_blocks){.read = read, .opaque = opaque, .rd = rd,
                     .max_record_size = max_record_size, .s = s, .fd = -1};
    /* what the window holds after the first pass is the start of the next record */
    if (!pl_grow(&B->carry, &B->carry_cap, s->wlen + 1, 1))
        return pl_source_fail(s, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    memcpy(B->carry, s->win, s->wlen);
    B->ncarry = s->wlen;
    B->next_base = s->wbase;
    s->wbase += s->wlen;
    s->wlen = 0;
    use_ranges(B, fd);
    return PLUCK_OK;
}

void pl_blocks_free(pl_blocks *B) { free(B->carry); }

bool pl_blocks_more(const pl_blocks *B)
{
    return B->fd >= 0 ? B->next_from < B->size : !(B->eof && B->ncarry == 0);
}

pluck_code pl_blocks_take(pl_blocks *B, char **buf, size_t *cap, pl_block *b)
{
    size_t n;
    bool final = false;
    *b = (pl_block){.fd = -1, .base = B->next_base};
    if (!pl_grow(buf, cap, B->ncarry + PL_BLOCK, 1))
        return PLUCK_E_OUT_OF_MEMORY;
    memcpy(*buf, B->carry, B->ncarry);
    n = B->ncarry;
    size_t searched = n; /* the carry holds no delimiter */
    for (;;) {
        if (B->eof) {
            final = true;
            break;
        }
        if (!pl_grow(buf, cap, n + PL_BLOCK, 1))
            return PLUCK_E_OUT_OF_MEMORY;
        ptrdiff_t got = B->read(B->opaque, *buf + n, PL_BLOCK);
        if (got < 0)
            return PLUCK_E_READ_ERROR;
        if (got == 0) {
            B->eof = true;
            final = true;
            break;
        }
        n += (size_t)got;
        B->s->bytes_in += (uint64_t)got;
        B->s->bytes_out += (uint64_t)got;
        const char *last = NULL;
        for (const char *p = *buf + n; p > *buf + searched;)
            if (*--p == B->rd) {
                last = p;
                break;
            }
        if (last) {
            size_t cut = (size_t)(last + 1 - *buf);
            B->ncarry = n - cut;
            if (!pl_grow(&B->carry, &B->carry_cap, B->ncarry, 1))
                return PLUCK_E_OUT_OF_MEMORY;
            memcpy(B->carry, *buf + cut, B->ncarry);
            n = cut;
            break;
        }
        searched = n;
        /* no delimiter yet: a record longer than the maximum is handed over as it is, for
         * the scanner to report OverMaxRecordSize */
        if (n > B->max_record_size + 1) {
            B->ncarry = 0;
            B->eof = true; /* nothing after an error is read */
            break;
        }
    }
    if (final)
        B->ncarry = 0;
    b->buf = *buf;
    b->len = n;
    b->final = final;
    B->next_base += n;
    return PLUCK_OK;
}

/* Range mode: the first record start at or after file offset x (the offset after the first
 * delimiter at or after x - 1), or the file's end.  Past max_record_size + 2 bytes without a
 * delimiter the record there is too long anyway: the bound is put there, and the block
 * before it ends with that record unfinished, for its scanner to report.  UINT64_MAX when
 * reading failed. */
static uint64_t first_start(const pl_blocks *B, uint64_t x, char *probe, size_t cap)
{
    if (x <= B->start)
        return B->start;
    if (x >= B->size)
        return B->size;
    const uint64_t stop = x - 1 + B->max_record_size + 2;
    for (uint64_t at = x - 1; at < B->size && at < stop;) {
        size_t want = cap;
        if (want > B->size - at)
            want = (size_t)(B->size - at);
        ssize_t n = pread(B->fd, probe, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return UINT64_MAX;
        if (n == 0)
            return B->size; /* the file shrank */
        const char *d = memchr(probe, B->rd, (size_t)n);
        if (d)
            return at + (uint64_t)(d - probe) + 1;
        at += (uint64_t)n;
    }
    return stop < B->size ? stop : B->size;
}

uint64_t pl_blocks_next_range(pl_blocks *B)
{
    uint64_t from = B->next_from;
    B->next_from += PL_BLOCK;
    return from;
}

pluck_code pl_blocks_bound(const pl_blocks *B, uint64_t from, pl_block *b)
{
    char probe[4096];
    uint64_t s = first_start(B, from, probe, sizeof probe);
    uint64_t e = first_start(B, from + PL_BLOCK, probe, sizeof probe);
    if (s == UINT64_MAX || e == UINT64_MAX)
        return PLUCK_E_READ_ERROR;
    if (e < s)
        e = s; /* a record longer than the block: it belongs to the block where it starts */
    *b = (pl_block){.fd = B->fd, .off = s, .len = (size_t)(e - s),
                    .base = B->start_base + (s - B->start), .final = e >= B->size};
    return PLUCK_OK;
}

void pl_blocks_count(pl_blocks *B, const pl_block *b)
{
    if (B->fd >= 0) { /* a range is counted as it is committed */
        B->s->bytes_in += b->len;
        B->s->bytes_out += b->len;
    }
}

void pl_blocks_end(pl_blocks *B, bool ok)
{
    if (B->fd >= 0) {
        B->s->wbase = B->start_base + (B->size - B->start);
        if (ok)
            lseek(B->fd, (off_t)B->size, SEEK_SET); /* as a read to the end would leave it */
    } else {
        B->s->wbase = B->next_base;
    }
}

pluck_code pl_block_scan(const pl_block *b, char **win, size_t *cap, pl_block_scan_fn scan,
                         void *ctx, pluck_error *err)
{
    size_t used;
    if (b->buf) {
        PL_FORWARD_IF_NOT_OK(scan(ctx, b->buf, b->len, b->base, b->final, &used));
        PL_RETURN_ERROR_IF(used != b->len, err, PLUCK_E_INTERNAL_ERROR,
                           "A block did not end at a record end.");
        return PLUCK_OK;
    }
    /* a range: a piece at a time, so the bytes are scanned while they are still in the cache */
    size_t wlen = 0, done = 0;
    uint64_t wbase = b->base;
    bool final = b->final;
    while (done < b->len) {
        size_t want = b->len - done < PIECE ? b->len - done : PIECE;
        if (!pl_grow(win, cap, wlen + want, 1))
            return pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        ssize_t n = pread(b->fd, *win + wlen, want, (off_t)(b->off + done));
        if (n < 0 && errno == EINTR)
            continue;
        PL_RETURN_ERROR_IF(n < 0, err, PLUCK_E_READ_ERROR, "The input could not be read.");
        if (n == 0) { /* the file shrank while it was read */
            final = true;
            break;
        }
        wlen += (size_t)n;
        done += (size_t)n;
        PL_FORWARD_IF_NOT_OK(scan(ctx, *win, wlen, wbase, false, &used));
        memmove(*win, *win + used, wlen - used);
        wlen -= used;
        wbase += used;
    }
    PL_FORWARD_IF_NOT_OK(scan(ctx, *win, wlen, wbase, final, &used));
    PL_RETURN_ERROR_IF(used != wlen, err, PLUCK_E_INTERNAL_ERROR,
                       "A block did not end at a record end.");
    return PLUCK_OK;
}

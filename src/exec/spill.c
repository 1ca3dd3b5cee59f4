/*
 * spill.c — ORDER BY's temporary run file (see spill.h).
 *
 * One file holds every run, appended in order; it is unlinked as soon as it is created, so
 * the disk space goes back when the run ends or the process dies.  Readers use pread, so
 * any number of them can stream different runs of the same descriptor during a merge.
 */
#include "exec/spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_WRITE_BUF (1u << 20)

static bool io_fail(char *message, size_t cap, const char *what, const char *path)
{
    snprintf(message, cap, "ORDER BY could not %s its temporary run file %s: %s", what, path,
             strerror(errno));
    return false;
}

bool pl_spill_open(pl_spill *s, const char *dir)
{
    if (s->fd >= 0)
        return true;
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(s->path, sizeof s->path, "%s/pluck-sort-XXXXXX", dir);
    s->fd = mkstemp(s->path);
    if (s->fd < 0)
        return io_fail(s->message, sizeof s->message, "create", s->path);
    unlink(s->path); /* nothing left behind, whatever happens next */
    s->size = 0;
    return true;
}

bool pl_spill_flush(pl_spill *s)
{
    size_t done = 0;
    while (done < s->out.len) {
        ssize_t n = write(s->fd, s->out.data + done, s->out.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return io_fail(s->message, sizeof s->message, "write", s->path);
        }
        done += (size_t)n;
    }
    s->out.len = 0;
    return true;
}

bool pl_spill_append(pl_spill *s, const void *p, size_t n)
{
    if (s->out.len + n > SPILL_WRITE_BUF && s->out.len && !pl_spill_flush(s))
        return false;
    if (n >= SPILL_WRITE_BUF) {
        /* a huge record goes straight out */
        s->out.len = 0;
        if (!pl_buf_append(&s->out, p, n) || !pl_spill_flush(s))
            return false;
        s->size += n;
        return true;
    }
    if (!pl_buf_append(&s->out, p, n)) {
        snprintf(s->message, sizeof s->message, "Out of memory.");
        return false;
    }
    s->size += n;
    return true;
}

void pl_spill_close(pl_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    pl_buf_free(&s->out);
}

bool pl_spill_reader_init(pl_spill_reader *r, const pl_spill *s, pl_spill_run run, size_t bufsize)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->off = run.begin;
    r->end = run.end;
    r->cap = bufsize < 64 ? 64 : bufsize;
    r->buf = malloc(r->cap);
    return r->buf != NULL;
}

void pl_spill_reader_free(pl_spill_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Make at least `need` unread bytes available (fewer only at the end of the run). */
static int fill(pl_spill_reader *r, size_t need, char *message, size_t cap)
{
    if (r->len - r->pos >= need)
        return 1;
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    if (need > r->cap) {
        char *nb = realloc(r->buf, need);
        if (!nb) {
            snprintf(message, cap, "Out of memory.");
            return -1;
        }
        r->buf = nb;
        r->cap = need;
    }
    while (r->len < need && r->off < r->end) {
        size_t want = r->cap - r->len;
        if (want > r->end - r->off)
            want = (size_t)(r->end - r->off);
        ssize_t n = pread(r->s->fd, r->buf + r->len, want, (off_t)r->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            io_fail(message, cap, "read", r->s->path);
            return -1;
        }
        r->len += (size_t)n;
        r->off += (uint64_t)n;
    }
    return r->len - r->pos >= need ? 1 : 0;
}

int pl_spill_next(pl_spill_reader *r, const char **rec, uint32_t *len, char *message, size_t cap)
{
    int f = fill(r, 4, message, cap);
    if (f <= 0)
        return f;
    uint32_t n;
    memcpy(&n, r->buf + r->pos, 4);
    if ((f = fill(r, 4 + (size_t)n, message, cap)) <= 0) {
        if (f == 0) {
            errno = EIO;
            io_fail(message, cap, "read back", r->s->path);
        }
        return -1;
    }
    *rec = r->buf + r->pos + 4;
    *len = n;
    r->pos += 4 + (size_t)n;
    return 1;
}

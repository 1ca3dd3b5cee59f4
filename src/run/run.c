/*
 * run.c — the public pluck_run: one streaming pass of a compiled query over one input,
 * wiring a source to the executor(s) and the committer.
 *
 *   source (push + codec | decompression thread | plain reads | blocks for N executors)
 *     -> window of decompressed bytes from a record start
 *     -> executor (scanner batches -> header / WHERE / projection or aggregate -> writer)
 *     -> committer (counts, LIMIT, first error, flush to the write callback)
 *
 * The source keeps the unconsumed tail of the window (an incomplete record), so memory is
 * bounded by the maximum record size plus one decode chunk whatever the input size.  Once
 * LIMIT is met the run reports PLUCK_STOP and ignores further input, so callers stop
 * reading and decompressing at once.
 */
#include "run/run.h"
#include "source/splits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_EVERY (4u << 20) /* call the progress hook every 4 MiB of input */

/* ---- the consumer of the source ------------------------------------------------------------ */

/* The source's own failure (read, codec, memory) becomes the run's unless one came first. */
static pluck_code settle(pluck_run *r, pluck_code rc)
{
    if (pluck_is_error(rc) && !pluck_is_error(r->c.state))
        pl_commit_fail(&r->c, rc, "%s", r->src.err.message);
    return r->c.state;
}

/* The progress hook every PROGRESS_EVERY bytes taken from the input and every
 * PROGRESS_EVERY decompressed bytes (a bomb reads little and decompresses much). */
pluck_code pl_run_progress(pluck_run *r)
{
    if (!r->progress ||
        (r->src.bytes_in < r->next_progress && r->src.bytes_out < r->next_progress_out))
        return r->c.state;
    r->next_progress = r->src.bytes_in + PROGRESS_EVERY;
    r->next_progress_out = r->src.bytes_out + PROGRESS_EVERY;
    pluck_stats st;
    pluck_run_stats(r, &st);
    if (r->progress(r->pop, &st))
        return pl_commit_fail(&r->c, PLUCK_E_CANCELLED, "The run was cancelled.");
    return r->c.state;
}

static pluck_code on_scan(void *ctx, pl_source *s, bool final)
{
    pluck_run *r = ctx;
    size_t used;
    pl_exec_window(r->x, s->win, s->wlen, s->wbase, final, &used);
    pl_source_drop(s, used);
    PL_FORWARD_IF_NOT_OK(pl_commit_take(&r->c, r->x));
    return pl_run_progress(r);
}

/* After each read: the progress hook, and what the read produced goes to the caller, so slow
 * streams (tail -f) show results promptly. */
static pluck_code on_tick(void *ctx, pl_source *s)
{
    pluck_run *r = ctx;
    (void)s;
    PL_FORWARD_IF_NOT_OK(pl_run_progress(r));
    pl_commit_write(&r->c, &r->x->out.buf);
    return r->c.state;
}

/* ---- push ---------------------------------------------------------------------------------- */

pluck_code pluck_run_feed(pluck_run *r, const void *data, size_t len)
{
    if (r->c.state != PLUCK_OK || r->finished)
        return r->finished && r->c.state == PLUCK_OK ? PLUCK_STOP : r->c.state;
    pluck_code rc = pl_push_feed(&r->push, &r->src, data, len);
    if (rc)
        return settle(r, rc);
    if (pl_run_progress(r))
        return r->c.state;
    pl_commit_write(&r->c, &r->x->out.buf);
    return r->c.state;
}

pluck_code pluck_run_feed_step(pluck_run *r, const void *data, size_t len, int end, size_t *used,
                               int *more)
{
    *used = 0;
    *more = 0;
    if (r->c.state != PLUCK_OK || r->finished)
        return r->finished && r->c.state == PLUCK_OK ? PLUCK_STOP : r->c.state;
    bool m = false;
    pluck_code rc = pl_push_step(&r->push, &r->src, data, len, end != 0, used, &m);
    *more = m;
    if (rc)
        return settle(r, rc);
    pl_commit_write(&r->c, &r->x->out.buf);
    return r->c.state;
}

/* The end of one input: the codec's last bytes and the last record. */
static pluck_code end_of_input(pluck_run *r)
{
    if (r->c.state == PLUCK_OK && r->codec_external)
        on_scan(r, &r->src, true);
    else if (r->c.state == PLUCK_OK)
        settle(r, pl_push_finish(&r->push, &r->src));
    return r->c.state;
}

/* Several inputs, one table (see pluck.h): the next input brings its own compression,
 * byte-order mark and header row, and numbers its records and bytes from its own start. */
pluck_code pluck_run_end_input(pluck_run *r)
{
    if (r->finished || r->c.state != PLUCK_OK)
        return r->c.state;
    if (end_of_input(r) != PLUCK_OK) {
        pl_commit_write(&r->c, &r->x->out.buf);
        return r->c.state;
    }
    pl_push_free(&r->push);
    memset(&r->push, 0, sizeof r->push);
    r->push.step_left = SIZE_MAX;
    r->push.kind = r->q->params.compression;
    r->codec_external = false;
    r->src.wlen = 0;
    r->src.wbase = 0;
    r->inputs++;
    pl_exec_next_input(r->x);
    pl_commit_write(&r->c, &r->x->out.buf);
    return r->c.state;
}

pluck_code pluck_run_finish(pluck_run *r)
{
    if (r->finished)
        return pluck_is_error(r->c.state) ? r->c.state : PLUCK_OK;
    r->finished = true;
    /* after pluck_run_end_input() with nothing fed since, there is no input left to end */
    if (!(r->inputs && !r->push.codec && !r->codec_external && !r->push.nsniff))
        end_of_input(r);
    if (pluck_is_error(r->c.state)) {
        pl_commit_write(&r->c, &r->x->out.buf); /* complete records: hand them over */
        return r->c.state;
    }
    pl_exec_end(r->x);
    if (pluck_is_error(pl_commit_take(&r->c, r->x)))
        return r->c.state;
    if (pl_commit_write(&r->c, &r->x->out.buf))
        return r->c.state;
    r->c.state = PLUCK_OK;
    return PLUCK_OK;
}

/* ---- pull ---------------------------------------------------------------------------------- */

/* Blocks and splits cut at record delimiters only where a delimiter always ends a record;
 * results are combined without order (no GROUP BY, no DISTINCT sets), except ORDER BY's
 * rows, which go to the main executor's sorter in input order as blocks commit. */
static bool cuttable_dialect(const pluck_query *q)
{
    return !q->params.in.allow_quoted_record_delim && q->params.in.record_delim.len == 1;
}

static bool cuttable(const pluck_query *q)
{
    return q->params.threads > 1 && cuttable_dialect(q) && !q->ngroup_by &&
           !(q->norder_by && q->is_aggregate) && !q->distinct_rows && !q->has_distinct_aggs;
}

/* The main executor has read the header and checked the first bytes. */
static bool past_head(const pl_exec *x)
{
    return x->header_done && x->bom_done && x->utf8_ok >= PL_UTF8_CHECKED;
}

/* The compression of the file fd from offset `at` on (params, or its first bytes). */
static pl_compression file_kind(const pluck_run *r, int fd, uint64_t at)
{
    pl_compression kind = r->q->params.compression;
    if (kind != PL_COMP_AUTO)
        return kind;
    unsigned char head[16];
    ssize_t n = pread(fd, head, sizeof head, (off_t)at);
    return n > 0 ? pl_codec_detect(head, (size_t)n, true) : PL_COMP_NONE;
}

/* Split bytes for tests (PLUCK_SPLIT_BYTES), else the default. */
static uint64_t split_target(void)
{
    const char *env = getenv("PLUCK_SPLIT_BYTES");
    return env && *env ? strtoull(env, NULL, 10) : 0;
}

/* Parallel executors pay off where blocks are independent: a record delimiter always ends a
 * record (no quoted record delimiters, one byte), results are combined without order (no
 * GROUP BY or ORDER BY), and the first bytes were checked (header, BOM, UTF-8) by the main
 * executor. */
static bool lanes_eligible(const pluck_run *r)
{
    return r->c.state == PLUCK_OK && cuttable(r->q) && past_head(r->x) && !r->codec_external;
}

/* Plain input: read straight into the window.  From a regular file (file_fd >= 0: reads
 * return full blocks), once the first bytes are checked the rest goes to the parallel
 * executors (commit/lanes.c). */
static pluck_code read_plain(pluck_run *r, pluck_read_fn read, void *opaque, int file_fd)
{
    while (r->c.state == PLUCK_OK) {
        if (file_fd >= 0 && lanes_eligible(r) && r->src.wlen < PL_CHUNK)
            return settle(r, pl_lanes_run(r, read, opaque, file_fd));
        bool eof;
        pluck_code rc = pl_plain_step(&r->src, read, opaque, &eof);
        if (rc)
            return settle(r, rc);
        if (eof)
            break;
    }
    return r->c.state;
}

/* A compressed regular file with split points (source/splits.h): the splits before the head
 * is checked run on the main executor, the rest on parallel executors, committed in order.
 * Returns false (nothing read) when the file has fewer than two splits. */
static bool run_splits(pluck_run *r, int fd)
{
    struct stat st;
    off_t cur = lseek(fd, 0, SEEK_CUR);
    if (cur < 0 || fstat(fd, &st) || st.st_size <= cur)
        return false;
    uint64_t start = (uint64_t)cur, end = (uint64_t)st.st_size;
    pl_compression kind = file_kind(r, fd, start);
    /* bzip2 and xz with split points are decoded block by block whatever the query and the
     * threads (codec/bzip2_blocks.c, xz_blocks.c), so every run of a file ends alike on
     * damaged data; split after split on this thread where the query cannot be cut */
    bool one_lane = !cuttable(r->q), blocks = kind == PL_COMP_BZIP2 || kind == PL_COMP_XZ;
    if (!blocks && (one_lane || (kind != PL_COMP_GZIP && kind != PL_COMP_ZSTD)))
        return false;
    if (kind == PL_COMP_GZIP && r->src.gzrec)
        return false; /* building its index: one stream, whose decode records it */
    pluck_split *v;
    size_t n;
    pluck_error err;
    if (pl_splits_find(fd, start, end, kind, r->index, true, split_target(), &v, &n, &err) || n < 2) {
        free(v);
        return false;
    }
    r->codec_external = true;
    r->bz2_chained = kind == PL_COMP_BZIP2;
    r->bz2_crc = 0;
    size_t i = 0;
    uint64_t ubase = 0;
    bool extended = false;
    for (; i < n && r->c.state == PLUCK_OK && (one_lane || !past_head(r->x)) && !extended;
         i++) {
        uint64_t ulen = 0;
        pl_split_main(r, fd, kind, v, i, end, ubase, &ulen, &extended);
        r->src.bytes_in += extended ? end - v[i].offset : v[i].length;
        r->src.bytes_out += ulen;
        ubase += ulen;
        if (r->c.state == PLUCK_OK)
            on_tick(r, &r->src);
    }
    if (i < n && r->c.state == PLUCK_OK && !extended)
        pl_splits_run(r, fd, kind, v, n, i, end, ubase);
    if (r->c.state == PLUCK_OK)
        lseek(fd, (off_t)end, SEEK_SET); /* as a read to the end would leave it */
    free(v);
    return true;
}

static pluck_code run_read(pluck_run *r, pluck_read_fn read, void *opaque, int file_fd,
                           bool last)
{
    if (r->c.state != PLUCK_OK || r->finished)
        return pluck_run_finish(r);
    if (file_fd >= 0 && cuttable_dialect(r->q) && !r->inputs && last && run_splits(r, file_fd)) {
        if (pluck_is_error(r->c.state)) {
            r->finished = true;
            pl_commit_write(&r->c, &r->x->out.buf);
            return r->c.state;
        }
        return pluck_run_finish(r);
    }
    char *buf = malloc(PL_CHUNK);
    if (!buf)
        return pl_commit_fail(&r->c, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    /* the first bytes decide the codec (every magic number fits in 16); read on only while
     * they could still be the start of one, so a short first line of a slow stream is not
     * held back waiting for more */
    size_t n0 = 0;
    bool eof = false;
    pluck_code rc = PLUCK_OK;
    while (n0 < 16 && (n0 == 0 || pl_codec_detect((const unsigned char *)buf, n0, false) ==
                                      PL_COMP_AUTO)) {
        ptrdiff_t n = read(opaque, buf + n0, PL_CHUNK - n0);
        if (n < 0) {
            rc = pl_commit_fail(&r->c, PLUCK_E_READ_ERROR, "The input could not be read.");
            break;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        n0 += (size_t)n;
    }
    pl_compression kind = r->q->params.compression;
    if (kind == PL_COMP_AUTO)
        kind = pl_codec_detect((const unsigned char *)buf, n0, true);
    if (!rc && kind != PL_COMP_NONE && !eof && r->q->params.threads > 1 && !r->push.codec) {
        /* compressed: a second thread decompresses while this one scans */
        r->codec_external = true;
        rc = settle(r, pl_pipe_drive(&r->src, kind, buf, n0, read, opaque, r->live));
    } else if (!rc) {
        rc = pluck_run_feed(r, buf, n0);
        if (rc == PLUCK_OK && !eof && kind == PL_COMP_NONE) {
            rc = read_plain(r, read, opaque, file_fd); /* reads to the end */
            eof = true;
        }
        while (rc == PLUCK_OK && !eof) {
            ptrdiff_t n = read(opaque, buf, PL_CHUNK);
            if (n < 0) {
                rc = pl_commit_fail(&r->c, PLUCK_E_READ_ERROR, "The input could not be read.");
                break;
            }
            if (n == 0)
                break;
            rc = pluck_run_feed(r, buf, (size_t)n);
        }
    }
    free(buf);
    if (pluck_is_error(rc)) {
        r->finished = true;
        pl_commit_write(&r->c, &r->x->out.buf);
        return rc;
    }
    return last ? pluck_run_finish(r) : pluck_run_end_input(r);
}

pluck_code pluck_run_read(pluck_run *r, pluck_read_fn read, void *opaque)
{
    return run_read(r, read, opaque, -1, true);
}

pluck_code pluck_run_read_input(pluck_run *r, pluck_read_fn read, void *opaque)
{
    return run_read(r, read, opaque, -1, false);
}

static ptrdiff_t fd_read(void *opaque, void *buf, size_t cap)
{
    int fd = *(int *)opaque;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

pluck_code pluck_run_fd(pluck_run *r, int fd)
{
    /* a regular file gives full reads, so plain input can be split into blocks across
     * threads without waiting on a slow stream (a pipe keeps the one-thread path) */
    struct stat st;
    bool file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    return run_read(r, fd_read, &fd, file ? fd : -1, true);
}

pluck_code pluck_run_fd_input(pluck_run *r, int fd)
{
    struct stat st;
    bool file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    return run_read(r, fd_read, &fd, file ? fd : -1, false);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

pluck_run *pluck_run_create(const pluck_query *q, pluck_write_fn write, void *opaque)
{
    if (!q)
        return NULL;
    pluck_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->q = q;
    pl_commit_init(&r->c, q, write, opaque);
    bool ok = pl_source_init(&r->src);
    r->src.max_window = q->params.max_window;
    r->push.step_left = SIZE_MAX;
    r->src.scan = on_scan;
    r->src.tick = on_tick;
    r->src.ctx = r;
    r->push.kind = q->params.compression;
    r->x = pl_exec_create(q, &r->c);
    if (!ok || !r->x) {
        pluck_run_free(r);
        return NULL;
    }
    return r;
}

void pluck_run_free(pluck_run *r)
{
    if (!r)
        return;
    pl_push_free(&r->push);
    pl_gzrec_free(r->src.gzrec);
    pl_source_free(&r->src);
    pl_exec_free(r->x);
    free(r);
}

void pluck_run_set_progress(pluck_run *r, pluck_progress_fn fn, void *opaque)
{
    r->progress = fn;
    r->pop = opaque;
    r->next_progress = r->next_progress_out = 0;
}

void pluck_run_set_source_size(pluck_run *r, uint64_t size) { r->source_size = size; }

void pluck_run_set_live(pluck_run *r, int live) { r->live = live != 0; }

void pluck_run_stats(const pluck_run *r, pluck_stats *out)
{
    *out = (pluck_stats){
        .bytes_scanned = r->src.bytes_in,
        .bytes_processed = r->src.bytes_out,
        .bytes_returned = r->c.bytes_returned,
        .records_scanned = r->c.records_scanned,
        .records_returned = r->c.records_returned,
        .source_size = r->source_size,
        .codec = r->src.codec,
        .scan_kernel = pl_scanner_kernel(r->x->scan),
        .comment_records = pl_scanner_comments(r->x->scan),
    };
}

const pluck_error *pluck_run_error(const pluck_run *r) { return &r->c.err; }

/*
 * split.c — the public split API: pluck_splits_find() lists the splits of a file, and
 * pluck_run_split() runs a query over one of them (one task of a fan-out over threads or
 * machines, e.g. Dask).  See source/splits.h for what a split owns.
 */
#include "run/run.h"
#include "source/splits.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The compression of fd (from its first bytes when params say AUTO). */
static pl_compression kind_of(const struct pluck_params *p, int fd)
{
    if (p->compression != PL_COMP_AUTO)
        return p->compression;
    unsigned char head[16];
    ssize_t n = pread(fd, head, sizeof head, 0);
    return n > 0 ? pl_codec_detect(head, (size_t)n, true) : PL_COMP_NONE;
}

static bool cuttable_dialect(const struct pluck_params *p)
{
    return !p->in.allow_quoted_record_delim && p->in.record_delim.len == 1;
}

pluck_code pluck_splits_find(int fd, const pluck_params *params, uint64_t target,
                             pluck_split **splits, size_t *n, pluck_error *err)
{
    return pluck_splits_find_indexed(fd, params, NULL, target, splits, n, err);
}

pluck_code pluck_splits_find_indexed(int fd, const pluck_params *params, const pluck_index *ix,
                                     uint64_t target, pluck_split **splits, size_t *n,
                                     pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    struct pluck_params p;
    if (params)
        p = *params;
    else
        pl_params_defaults(&p);
    *splits = NULL;
    *n = 0;
    struct stat st;
    PL_RETURN_ERROR_IF(fstat(fd, &st) || !S_ISREG(st.st_mode), err, PLUCK_E_READ_ERROR,
                       "The input is not a regular file that can be split.");
    uint64_t size = (uint64_t)st.st_size;
    pl_compression kind = kind_of(&p, fd);
    if (!cuttable_dialect(&p))
        kind = PL_COMP_AUTO; /* no walker: one split */
    if (kind == PL_COMP_NONE) {
        /* plain: any byte is a split point */
        uint64_t t = target ? target : PL_SPLIT_TARGET;
        size_t k = size ? (size_t)((size + t - 1) / t) : 1;
        pluck_split *v = calloc(k, sizeof *v);
        PL_RETURN_ERROR_IF(!v, err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        for (size_t i = 0; i < k; i++)
            v[i] = (pluck_split){.offset = i * t, .length = i + 1 < k ? t : size - i * t};
        *splits = v;
        *n = k;
        return PLUCK_OK;
    }
    return pl_splits_find(fd, 0, size, kind, ix, false, target, splits, n, err);
}

void pluck_splits_free(pluck_split *splits) { free(splits); }

void pluck_run_set_index(pluck_run *r, const pluck_index *ix) { r->index = ix; }

void pluck_run_build_index(pluck_run *r, uint64_t spacing)
{
    if (!r->src.gzrec)
        r->src.gzrec = pl_gzrec_create(spacing); /* NULL (out of memory): take says so */
}

pluck_code pluck_run_take_index(pluck_run *r, int fd, pluck_index **out, pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    *out = NULL;
    PL_RETURN_ERROR_IF(!r->src.gzrec, err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    pluck_code rc = pl_gzrec_finish(r->src.gzrec, fd, out, err);
    if (rc == PLUCK_E_INVALID_REQUEST_PARAMETER && pluck_is_error(r->c.state))
        *err = r->c.err; /* the decode stopped at the run's error: that is why */
    return rc == PLUCK_E_INVALID_REQUEST_PARAMETER && pluck_is_error(r->c.state) ? err->code
                                                                                 : rc;
}

pluck_code pluck_run_split(pluck_run *r, int fd, const pluck_split *splits, size_t n, size_t i)
{
    if (r->c.state != PLUCK_OK || r->finished)
        return pluck_run_finish(r);
    struct stat st;
    if (i >= n || fstat(fd, &st))
        return pl_commit_fail(&r->c, PLUCK_E_INVALID_REQUEST_PARAMETER,
                              "No such split, or the file cannot be read.");
    if (!cuttable_dialect(&r->q->params) && n > 1)
        return pl_commit_fail(&r->c, PLUCK_E_INVALID_REQUEST_PARAMETER,
                              "Splits need a one-byte record delimiter and "
                              "AllowQuotedRecordDelimiter FALSE.");
    uint64_t end = (uint64_t)st.st_size, ulen = 0;
    pl_compression kind = kind_of(&r->q->params, fd);
    pl_exec *x = r->x;
    r->codec_external = true;
    if (i > 0) {
        if (r->q->params.header == PL_HDR_USE) {
            /* the names are in the stream's first record */
            x->header_only = true;
            pl_split_main(r, fd, kind, splits, 0, end, 0, &ulen, NULL);
            x->header_only = false;
            if (r->c.state == PLUCK_STOP && x->header_done)
                r->c.state = x->state = PLUCK_OK;
            if (pluck_is_error(r->c.state))
                return r->c.state;
            pl_scanner_set_recno(x->scan, 0);
            x->records_scanned = 0;
        }
        pl_exec_skip_header(x);
    }
    pl_split_main(r, fd, kind, splits, i, end, 0, &ulen, NULL);
    r->src.bytes_in += splits[i].length;
    r->src.bytes_out += ulen;
    if (pluck_is_error(r->c.state)) {
        r->finished = true;
        pl_commit_write(&r->c, &r->x->out.buf);
        return r->c.state;
    }
    return pluck_run_finish(r);
}

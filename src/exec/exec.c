/*
 * exec.c — the executor (see exec.h): a window of records -> scanner batches -> the header
 * and column binding, WHERE by batch over a selection vector, and each selected row to
 * emit.c; plus its life cycle.
 */
#include "exec/exec.h"
#include "sql/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pluck_code pl_exec_raise(pl_exec *x, pluck_code code)
{
    if (x->err.code == PLUCK_OK)
        x->err.code = code;
    x->state = code;
    return code;
}

pluck_code pl_exec_fail(pl_exec *x, pluck_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(&x->err, code, fmt, ap);
    va_end(ap);
    return pl_exec_raise(x, code);
}

/* ---- header and column binding ---------------------------------------------------------- */

static pluck_code sql_fail(pl_exec *x, uint32_t pos, pluck_code code, const char *what)
{
    pl_error_sql(&x->err, code, x->q->sql, x->q->sql_len, pos,
                 "%s at @POS@. Please check the file and try again.", what);
    return pl_exec_raise(x, code);
}

/* Map every column reference to a field index: positions directly, names through the
 * header (unquoted: case-insensitive, quoted: exact). */
static pluck_code bind_columns(pl_exec *x)
{
    const pluck_query *q = x->q;
    uint32_t maxf = 0;
    for (uint32_t i = 0; i < q->ncolrefs; i++) {
        const pl_colref *c = &q->colrefs[i];
        int32_t idx = -1;
        if (!c->name) {
            idx = (int32_t)(c->index - 1);
        } else {
            size_t nl = strlen(c->name);
            int matches = 0;
            for (uint32_t h = 0; h < x->nhdr; h++) {
                if (x->hdr_len[h] != nl)
                    continue;
                bool eq = c->quoted ? !memcmp(x->hdr[h], c->name, nl)
                                    : !strncasecmp(x->hdr[h], c->name, nl);
                if (eq && matches++ == 0)
                    idx = (int32_t)h;
            }
            if (matches == 0) {
                char what[400]; /* near misses, quoting, delimiter: sql/suggest.c */
                pl_suggest_missing_column(c->name, c->quoted, x->hdr, x->hdr_len, x->nhdr,
                                          what, sizeof what);
                pl_error_sql(&x->err, PLUCK_E_MISSING_HEADERS, q->sql, q->sql_len, c->pos,
                             "Some headers in the query are missing from the file: no column "
                             "%s%.80s%s at @POS@.%s",
                             c->quoted ? "\"" : "'", c->name, c->quoted ? "\"" : "'", what);
                return pl_exec_raise(x, PLUCK_E_MISSING_HEADERS);
            }
            if (matches > 1)
                return sql_fail(x, c->pos, PLUCK_E_AMBIGUOUS_FIELD_NAME,
                                "The column name matches more than one header (ambiguous field "
                                "name)");
        }
        x->colmap[i] = idx;
        if ((uint32_t)idx + 1 > maxf)
            maxf = (uint32_t)idx + 1;
    }
    x->max_fields = q->select_star ? UINT32_MAX : maxf;
    pl_scanner_set_max_fields(x->scan, x->max_fields);
    return PLUCK_OK;
}

static pluck_code take_header(pl_exec *x, const pl_field *f, uint32_t n)
{
    if (x->inputs && x->q->select_star) {
        /* SELECT * over several inputs copies fields as they stand: the columns must be the
         * same, or rows (and an output header) would be labelled wrong */
        bool same = n == x->nhdr;
        for (uint32_t i = 0; i < n && same; i++)
            same = f[i].len == x->hdr_len[i] && !memcmp(f[i].p, x->hdr[i], f[i].len);
        if (!same)
            return pl_exec_fail(x, PLUCK_E_MISSING_HEADERS,
                                "The header of input %llu differs from the first input's: "
                                "SELECT * over several inputs needs the same columns in the "
                                "same order (name the columns instead).",
                                (unsigned long long)x->inputs + 1);
    }
    x->hdr = pl_arena_alloc(&x->hdr_arena, (n ? n : 1) * sizeof *x->hdr);
    x->hdr_len = pl_arena_alloc(&x->hdr_arena, (n ? n : 1) * sizeof *x->hdr_len);
    if (!x->hdr || !x->hdr_len)
        return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    for (uint32_t i = 0; i < n; i++) {
        x->hdr[i] = pl_arena_strndup(&x->hdr_arena, f[i].p, f[i].len);
        if (!x->hdr[i])
            return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        x->hdr_len[i] = f[i].len;
    }
    x->nhdr = n;
    return bind_columns(x);
}



static void set_row(pl_eval_ctx *ctx, pl_exec *x, const pl_batch *b, uint32_t i)
{
    ctx->fields = b->fields + b->first[i];
    ctx->nfields = b->nfields[i];
    if (x->scratch.used)
        pl_arena_reset(&x->scratch);
}

/* WHERE over the rows [from, nrec) of a batch, one conjunct of its AND chain at a time over
 * a selection vector of the rows still in play: a row leaves at its first FALSE conjunct,
 * so each row evaluates exactly the conjuncts a row-by-row run evaluates.  Leaves in x->sel
 * the rows where every conjunct is TRUE.  Returns false when some evaluation failed: the
 * caller then goes row by row, so that the error reported is the one met first in input
 * order (and none past the LIMIT or before an output error of an earlier row). */
static bool filter_batch(pl_exec *x, pl_eval_ctx *ctx, const pl_batch *b, uint32_t from)
{
    uint32_t m = 0;
    for (uint32_t i = from; i < b->nrec; i++) {
        x->sel[m] = i;
        x->unknown[m++] = 0;
    }
    for (uint32_t c = 0; c < x->nconj && m; c++) {
        const pl_node *cn = x->conj[c];
        uint32_t k = 0;
        for (uint32_t j = 0; j < m; j++) {
            uint32_t i = x->sel[j];
            int t;
            set_row(ctx, x, b, i);
            if (pl_eval_cond(ctx, cn, &t)) {
                x->err = (pluck_error){0};
                return false;
            }
            if (t == 0)
                continue;
            x->sel[k] = i;
            x->unknown[k++] = (uint8_t)(x->unknown[j] | (t == 2));
        }
        m = k;
    }
    uint32_t k = 0;
    for (uint32_t j = 0; j < m; j++)
        if (!x->unknown[j])
            x->sel[k++] = x->sel[j];
    x->nsel = k;
    return true;
}

/* OUTPUT_HEADER: a CSV record of the column names, the keys JSON output would use, before
 * any result.  nstar: the fields of the first record, named _1.._n for SELECT * without a
 * header row (0 when unknown: then nothing is written). */
static pluck_code output_header(pl_exec *x, uint32_t nstar)
{
    const pluck_query *q = x->q;
    if (x->header_out || !q->params.output_header || x->out.d.format != PL_OUT_CSV)
        return PLUCK_OK;
    bool ok = true;
    if (q->select_star) {
        uint32_t n = x->nhdr ? x->nhdr : nstar;
        if (!n)
            return PLUCK_OK;
        for (uint32_t i = 0; i < n && ok; i++) {
            char key[24];
            if (i < x->nhdr) {
                ok = pl_csv_field(&x->out, x->hdr[i], x->hdr_len[i], i == 0);
            } else {
                int kl = snprintf(key, sizeof key, "_%u", i + 1);
                ok = pl_csv_field(&x->out, key, (size_t)kl, i == 0);
            }
        }
    } else {
        for (uint32_t i = 0; i < q->ncols && ok; i++) {
            const pl_out_col *c = &q->cols[i];
            const char *k = c->name;
            size_t kl = strlen(c->name);
            if (c->header_key && c->expr->op == PL_N_COL) {
                int32_t h = x->colmap[c->expr->colref];
                if (h >= 0 && (uint32_t)h < x->nhdr) {
                    k = x->hdr[h];
                    kl = x->hdr_len[h];
                }
            }
            ok = pl_csv_field(&x->out, k, kl, i == 0);
        }
    }
    x->header_out = true;
    ok = ok && pl_csv_end(&x->out);
    return ok ? PLUCK_OK : pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

static pluck_code handle_batch(pl_exec *x, const pl_batch *b)
{
    const pluck_query *q = x->q;
    pl_eval_ctx ctx = {.q = q, .colmap = x->colmap, .scratch = &x->scratch, .err = &x->err};
    uint32_t i = 0;
    if (!x->header_done && b->nrec) {
        x->header_done = true;
        if (q->params.header == PL_HDR_USE) {
            if (take_header(x, b->fields + b->first[0], b->nfields[0]))
                return x->state;
            i = 1;
        } else if (q->params.header == PL_HDR_IGNORE) {
            bind_columns(x); /* cannot fail without names; restores the pushdown */
            i = 1;
        }
        if (x->header_only)
            return x->state = PLUCK_STOP;
        if (output_header(x, b->nfields[0]))
            return x->state;
    }
    if (x->nconj && filter_batch(x, &ctx, b, i)) {
        /* records scanned as a row-by-row run counts them: up to where it stops */
        uint64_t scanned = x->records_scanned - i;
        for (uint32_t j = 0; j < x->nsel; j++) {
            set_row(&ctx, x, b, x->sel[j]);
            x->records_scanned = scanned + x->sel[j] + 1;
            pluck_code rc = pl_exec_take_row(x, &ctx, b, x->sel[j]);
            if (rc)
                return rc;
        }
        x->records_scanned = scanned + b->nrec;
        return PLUCK_OK;
    }
    for (; i < b->nrec; i++) {
        x->records_scanned++;
        set_row(&ctx, x, b, i);
        if (q->where) {
            int t;
            pluck_code rc = pl_eval_cond(&ctx, q->where, &t);
            if (rc) {
                pl_exec_locate(x, b, i);
                return pl_exec_raise(x, rc);
            }
            if (t != 1)
                continue;
        }
        pluck_code rc = pl_exec_take_row(x, &ctx, b, i);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}


/* Scan every complete record of the window (see exec.h). */
pluck_code pl_exec_window(pl_exec *x, const char *win, size_t wlen, uint64_t wbase, bool final,
                          size_t *used_out)
{
    *used_out = 0;
    if (x->state != PLUCK_OK)
        return x->state;
    size_t skip = 0; /* a byte-order mark, consumed with the window */
    if (!x->bom_done) {
        if (wlen < 3 && !final && !memcmp(win, "\xEF\xBB\xBF", wlen))
            return PLUCK_OK; /* could still be a byte-order mark */
        x->bom_done = true;
        if (wlen >= 3 && !memcmp(win, "\xEF\xBB\xBF", 3)) {
            skip = 3;
            win += 3;
            wlen -= 3;
            wbase += 3;
        }
    }
    /* Records before an invalid sequence are still scanned (and output), and so is the
     * record holding it as far as the byte that proves it invalid: the error that comes first
     * in the input wins (a record already too long there is OverMaxRecordSize), however the
     * input was split into windows. */
    size_t bad = SIZE_MAX, seen = 0;
    pl_exec_check_utf8(x, win, wlen, wbase, final, &bad, &seen);
    size_t n = wlen;
    if (bad != SIZE_MAX) {
        n = seen;
        final = false;
    }
    size_t pos = 0;
    pluck_code rc = PLUCK_OK;
    for (;;) {
        pl_batch *b;
        size_t used = 0, limit = n;
        if (x->q->prefilter && x->header_done && !x->pf_off) {
            pos = pl_exec_prefilter(x, win, n, pos, final, &limit);
            /* where most lines are candidates (quotes everywhere, a common literal), handing
             * lines over one by one costs more than it saves: scan normally from here on */
            if (x->pf_seen > (1u << 20) && x->pf_skipped < x->pf_seen / 2)
                x->pf_off = true;
            if (limit == pos)
                break;
        }
        rc = pl_scan(x->scan, win + pos, limit - pos, wbase + pos, final || limit < n, &b,
                     &used, &x->err);
        if (rc) {
            pl_exec_raise(x, rc);
            break;
        }
        if (b->nrec == 0 && used == 0)
            break;
        pos += used;
        if ((rc = handle_batch(x, b)))
            break;
    }
    if (rc == PLUCK_OK && bad != SIZE_MAX) {
        uint64_t at = wbase + bad;
        rc = pl_exec_fail(x, PLUCK_E_INVALID_TEXT_ENCODING,
                          "UTF-8 encoding is required. The text encoding error was found near "
                          "byte %llu.",
                          (unsigned long long)at);
        x->err.byte_offset = at;
    }
    *used_out = skip + pos;
    return x->state;
}

void pl_exec_next_input(pl_exec *x)
{
    x->bom_done = false;
    x->utf8_ok = 0;
    x->header_done = false;
    x->inputs++;
    pl_scanner_set_recno(x->scan, 0);
    pl_scanner_set_max_fields(x->scan, UINT32_MAX); /* the next header is cut whole */
    if (x->q->params.header == PL_HDR_NONE)
        bind_columns(x);
}

void pl_exec_skip_header(pl_exec *x)
{
    x->header_done = x->bom_done = true;
    x->utf8_ok = UINT64_MAX;
    if (x->q->params.header == PL_HDR_IGNORE)
        bind_columns(x); /* cannot fail without names; restores the pushdown */
}

/* End of input: the rows of an aggregate or ORDER BY query. */
pluck_code pl_exec_end(pl_exec *x)
{
    if (pluck_is_error(x->state))
        return x->state;
    const pluck_query *q = x->q;
    if (x->partial) {
        pl_partial_write(x);
        return x->state;
    }
    if (output_header(x, 0)) /* an input without records still gets the names it can */
        return x->state;
    if (q->is_aggregate && !(q->has_limit && q->limit == 0) && pl_exec_emit_groups(x))
        return x->state;
    if (x->topn && pl_exec_emit_sorted(x))
        return x->state;
    return x->state;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

/* The conjuncts of WHERE's AND chain, in evaluation order, with room for a batch's
 * selection vector (filter_batch). */
static bool flatten_and(pl_exec *x, const pl_node *n)
{
    if (n->op == PL_N_AND)
        return flatten_and(x, n->args[0]) && flatten_and(x, n->args[1]);
    if (!x->sel) {
        x->sel = malloc(PL_BATCH_RECORDS * sizeof *x->sel);
        x->unknown = malloc(PL_BATCH_RECORDS);
        if (!x->sel || !x->unknown)
            return false;
    }
    const pl_node **c = realloc(x->conj, (x->nconj + 1) * sizeof *c);
    if (!c)
        return false;
    x->conj = c;
    x->conj[x->nconj++] = n;
    return true;
}

pl_exec *pl_exec_create(const pluck_query *q, struct pl_commit *sink)
{
    pl_exec *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->q = q;
    x->sink = sink;
    x->limit_left = q->has_limit ? q->limit : UINT64_MAX;
    x->scan = pl_scanner_create(&q->params.in, q->params.max_record_size, PL_BATCH_RECORDS);
    x->colmap = calloc(q->ncolrefs ? q->ncolrefs : 1, sizeof *x->colmap);
    uint32_t nkeys = q->ngroup_by > q->norder_by ? q->ngroup_by : q->norder_by;
    x->keys = calloc(nkeys ? nkeys : 1, sizeof *x->keys);
    if (q->is_aggregate) {
        x->groups = pl_groups_create(q->ngroup_by, q->naggs, q->params.max_groups,
                                     q->params.max_memory);
        if (x->groups && !q->ngroup_by && pl_groups_find(x->groups, NULL, &x->single))
            x->single = NULL;
    }
    if (q->norder_by)
        x->topn = pl_sorter_create(q, q->has_limit ? q->limit : UINT64_MAX);
    bool distinct_ok = true;
    if (q->distinct_rows)
        distinct_ok = (x->drows = pl_distinct_create(q->params.max_memory)) != NULL;
    if (q->has_distinct_aggs && (x->daggs = calloc(q->naggs, sizeof *x->daggs)))
        for (uint32_t a = 0; a < q->naggs; a++)
            if (q->aggs[a].distinct && !(x->daggs[a] = pl_distinct_create(q->params.max_memory)))
                distinct_ok = false;
    if (q->has_distinct_aggs && !x->daggs)
        distinct_ok = false;
    if (!distinct_ok || !x->scan || !x->colmap || !x->keys || (q->is_aggregate && !x->groups) ||
        (q->is_aggregate && !q->ngroup_by && !x->single) || (q->norder_by && !x->topn) ||
        (q->where && !flatten_and(x, q->where))) {
        pl_exec_free(x);
        return NULL;
    }
    /* the prefilter measures the lines it skips only where they cross 64-byte blocks */
    x->pf_off = q->params.max_record_size < 64;
    pl_writer_init(&x->out, &q->params.out);
    pl_scanner_set_max_fields(x->scan, UINT32_MAX);
    if (q->params.header == PL_HDR_NONE)
        bind_columns(x); /* positions only: cannot fail */
    /* else the first record is cut whole and columns are bound once it is read */
    return x;
}

pl_exec *pl_exec_create_lane(const pl_exec *parent)
{
    pl_exec *l = pl_exec_create(parent->q, NULL);
    if (!l)
        return NULL;
    l->header_done = l->bom_done = true;
    l->utf8_ok = UINT64_MAX;
    l->hdr = parent->hdr; /* the parent's arena owns them and outlives the lane */
    l->hdr_len = parent->hdr_len;
    l->nhdr = parent->nhdr;
    memcpy(l->colmap, parent->colmap, (parent->q->ncolrefs ? parent->q->ncolrefs : 1) *
                                          sizeof *l->colmap);
    l->max_fields = parent->max_fields;
    pl_scanner_set_max_fields(l->scan, l->max_fields);
    if (l->topn)
        pl_sorter_set_lane(l->topn); /* rows go to the main sorter at commit (commit.c) */
    return l;
}

void pl_exec_restart(pl_exec *l)
{
    l->state = PLUCK_OK;
    l->err = (pluck_error){0};
    l->records_scanned = l->records_returned = l->emitted = 0;
    l->limit_left = l->q->has_limit ? l->q->limit : UINT64_MAX;
    l->out.buf.len = 0;
    l->ncuts = 0;
    pl_scanner_set_recno(l->scan, 0);
    pl_scanner_set_comments(l->scan, 0);
    for (uint32_t a = 0; l->single && a < l->q->naggs; a++)
        pl_agg_reset(&l->single->aggs[a]);
    if (l->topn)
        pl_sorter_reset(l->topn);
}

pluck_code pl_exec_merge(pl_exec *x, const pl_exec *from)
{
    for (uint32_t a = 0; x->single && a < x->q->naggs; a++)
        PL_FORWARD_IF_ERROR(
            pl_agg_merge(&x->q->aggs[a], &x->single->aggs[a], &from->single->aggs[a]));
    return PLUCK_OK;
}

void pl_exec_free(pl_exec *x)
{
    if (!x)
        return;
    pl_scanner_free(x->scan);
    free(x->colmap);
    pl_groups_free(x->groups);
    pl_sorter_free(x->topn);
    pl_distinct_free(x->drows);
    for (uint32_t a = 0; x->daggs && a < x->q->naggs; a++)
        pl_distinct_free(x->daggs[a]);
    free(x->daggs);
    free(x->keys);
    pl_arena_free(&x->hdr_arena);
    pl_arena_free(&x->scratch);
    pl_writer_free(&x->out);
    free(x->cuts);
    free(x->conj);
    free(x->sel);
    free(x->unknown);
    free(x);
}

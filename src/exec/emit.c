/*
 * emit.c — the executor's output side: a selected row rendered as CSV or JSON (or stepped
 * into its group's aggregates, or offered to the ORDER BY heap), and at the end the groups'
 * and the kept rows' results.  Output goes to the executor's buffer; at each flush point it
 * goes on to the committer (main executor) or the point is noted (parallel executor).
 */
#include "commit/commit.h"
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pluck_code emit_star(pl_exec *x, const pl_field *f, uint32_t n)
{
    pl_writer *w = &x->out;
    bool ok = true;
    if (w->d.format == PL_OUT_CSV) {
        for (uint32_t i = 0; i < n && ok; i++)
            ok = pl_csv_field(w, f[i].p, f[i].len, i == 0);
        ok = ok && pl_csv_end(w);
    } else {
        bool first = true;
        ok = pl_json_begin(w);
        for (uint32_t i = 0; i < n && ok; i++) {
            pl_value v = pl_v_str(f[i].p, f[i].len, false);
            char key[24];
            const char *k = key;
            size_t kl;
            if (i < x->nhdr) {
                k = x->hdr[i];
                kl = x->hdr_len[i];
            } else {
                kl = (size_t)snprintf(key, sizeof key, "_%u", i + 1);
            }
            ok = pl_json_member(w, k, kl, &v, &first);
        }
        ok = ok && pl_json_end(w);
    }
    return ok ? PLUCK_OK : pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

/* JSON key of output column i: the header's own spelling for a bare header-name column
 * (s.NAME over a header "Name" gives "Name"), else the alias or the name as written. */
static bool json_member_for(pl_exec *x, uint32_t i, const pl_value *v, bool *first)
{
    const pl_out_col *c = &x->q->cols[i];
    if (c->header_key && c->expr->op == PL_N_COL) {
        int32_t h = x->colmap[c->expr->colref];
        if (h >= 0 && (uint32_t)h < x->nhdr)
            return pl_json_member(&x->out, x->hdr[h], x->hdr_len[h], v, first);
    }
    return pl_json_member(&x->out, c->name, strlen(c->name), v, first);
}

static pluck_code emit_cols(pl_exec *x, pl_eval_ctx *ctx)
{
    const pluck_query *q = x->q;
    pl_writer *w = &x->out;
    bool ok = true, first = true;
    if (w->d.format != PL_OUT_CSV) /* JSON and TYPED */
        ok = pl_json_begin(w);
    for (uint32_t i = 0; i < q->ncols && ok; i++) {
        pl_value v;
        pluck_code rc = pl_eval(ctx, q->cols[i].expr, &v);
        if (rc)
            return pl_exec_raise(x, rc);
        if (w->d.format == PL_OUT_CSV)
            ok = pl_csv_value(w, &v, i == 0);
        else
            ok = json_member_for(x, i, &v, &first);
    }
    if (ok)
        ok = w->d.format == PL_OUT_CSV ? pl_csv_end(w) : pl_json_end(w);
    return ok ? PLUCK_OK : pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

/* A parallel executor notes where the main executor would have flushed. */
static bool add_cut(pl_exec *x)
{
    if (!pl_grow(&x->cuts, &x->cuts_cap, x->ncuts + 1, sizeof *x->cuts))
        return false;
    x->cuts[x->ncuts++] = x->out.buf.len;
    return true;
}

/* Output one record for a result row; stops at LIMIT.  Returns PLUCK_STOP at the limit. */
static pluck_code count_record(pl_exec *x)
{
    x->emitted++;
    x->records_returned++;
    if (x->out.buf.len - (x->ncuts ? x->cuts[x->ncuts - 1] : 0) >= PL_FLUSH_AT) {
        if (x->sink) {
            pluck_code rc = pl_commit_write(x->sink, &x->out.buf);
            if (rc)
                return x->state = rc; /* the committer holds the error */
        } else if (!add_cut(x)) {
            return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        }
    }
    return x->emitted >= x->limit_left ? PLUCK_STOP : PLUCK_OK;
}

static pluck_code groups_error(pl_exec *x, pluck_code rc)
{
    if (rc == PLUCK_E_TOO_MANY_GROUPS && x->groups && pl_groups_over_memory(x->groups))
        pl_error_set(&x->err, rc,
                     "GROUP BY (or SELECT DISTINCT) needs more than --max-memory (%zu bytes) "
                     "for its groups: raise --max-memory or narrow the query.",
                     x->q->params.max_memory);
    else if (rc == PLUCK_E_TOO_MANY_GROUPS)
        pl_error_set(&x->err, rc,
                     "More than %zu groups: raise max-groups or narrow the query.",
                     x->q->params.max_groups);
    else if (rc == PLUCK_E_OUT_OF_MEMORY)
        pl_error_set(&x->err, rc, "Out of memory.");
    return rc;
}

/* Aggregate query: find the record's group and step its aggregates. */
static pluck_code accumulate(pl_exec *x, pl_eval_ctx *ctx)
{
    const pluck_query *q = x->q;
    pl_group *g = x->single;
    if (q->ngroup_by) {
        for (uint32_t k = 0; k < q->ngroup_by; k++) {
            pluck_code rc = pl_eval(ctx, q->group_by[k], &x->keys[k]);
            if (rc)
                return rc;
        }
        pluck_code rc = pl_groups_find(x->groups, x->keys, &g);
        if (rc)
            return groups_error(x, rc);
    }
    for (uint32_t a = 0; a < q->naggs; a++) {
        if (x->daggs && x->daggs[a]) {
            bool is_new;
            pluck_code rc = pl_distinct_step(x->daggs[a], ctx, &q->aggs[a], g->id, &is_new);
            if (rc == PLUCK_E_TOO_MANY_GROUPS || rc == PLUCK_E_OUT_OF_MEMORY)
                return pl_exec_fail(x, rc, "%s", rc == PLUCK_E_OUT_OF_MEMORY ? "Out of memory." : pl_distinct_message(x->daggs[a]));
            if (rc)
                return rc;
            if (!is_new)
                continue;
        }
        pluck_code rc = pl_agg_step(ctx, &q->aggs[a], &g->aggs[a]);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

/* SELECT DISTINCT * (or over aggregates): drop the row just rendered at mark when it was
 * output before.  *dup tells. */
static pluck_code dedupe(pl_exec *x, size_t mark, bool *dup)
{
    *dup = false;
    if (!x->drows)
        return PLUCK_OK;
    bool is_new;
    pluck_code rc = pl_distinct_add(x->drows, x->out.buf.data + mark, x->out.buf.len - mark, &is_new);
    if (rc)
        return pl_exec_fail(x, rc, "%s", rc == PLUCK_E_OUT_OF_MEMORY ? "Out of memory." : pl_distinct_message(x->drows));
    if (!is_new) {
        x->out.buf.len = mark;
        *dup = true;
    }
    return PLUCK_OK;
}

/* ORDER BY: render the result record, then let the top-n heap keep it or not. */
static pluck_code offer_sorted(pl_exec *x, pl_eval_ctx *ctx)
{
    const pluck_query *q = x->q;
    size_t mark = x->out.buf.len;
    bool dup = false;
    if (!x->drows) {
        /* keys first: a row the top-n heap would drop is not rendered (an error of the keys
         * is reported after the row's own, as below) */
        uint32_t k = 0;
        while (k < q->norder_by && pl_eval(ctx, q->order_by[k], &x->keys[k]) == PLUCK_OK)
            k++;
        if (k == q->norder_by && pl_sorter_rejects(x->topn, x->keys))
            return PLUCK_OK;
        if (k < q->norder_by)
            x->err = (pluck_error){0}; /* evaluated again below, after the row */
    }
    pluck_code rc = q->select_star ? emit_star(x, ctx->fields, ctx->nfields) : emit_cols(x, ctx);
    if (!rc)
        rc = dedupe(x, mark, &dup);
    for (uint32_t k = 0; !rc && !dup && k < q->norder_by; k++)
        rc = pl_eval(ctx, q->order_by[k], &x->keys[k]);
    if (!rc && !dup) {
        rc = pl_sorter_add(x->topn, x->keys, x->out.buf.data + mark, x->out.buf.len - mark);
        if (rc)
            pl_exec_fail(x, rc, "%s", pl_sorter_message(x->topn));
    }
    x->out.buf.len = mark;
    return rc;
}

void pl_exec_locate(pl_exec *x, const pl_batch *b, uint32_t i)
{
    x->err.record = b->recno[i];
    x->err.byte_offset = b->offset[i];
}

/* A selected row: step the aggregates, offer it to ORDER BY, or output it (stops at LIMIT). */
pluck_code pl_exec_take_row(pl_exec *x, pl_eval_ctx *ctx, const pl_batch *b, uint32_t i)
{
    const pluck_query *q = x->q;
    if (q->is_aggregate || q->norder_by) {
        pluck_code rc = q->is_aggregate ? accumulate(x, ctx) : offer_sorted(x, ctx);
        if (rc) {
            pl_exec_locate(x, b, i);
            return pl_exec_raise(x, rc);
        }
        return PLUCK_OK;
    }
    size_t mark = x->out.buf.len;
    bool dup = false;
    pluck_code rc = q->select_star ? emit_star(x, ctx->fields, ctx->nfields) : emit_cols(x, ctx);
    if (!rc)
        rc = dedupe(x, mark, &dup);
    if (rc) {
        x->out.buf.len = mark; /* never leave half a record in the output */
        pl_exec_locate(x, b, i);
        return rc;
    }
    if (dup)
        return PLUCK_OK;
    if ((rc = count_record(x)) == PLUCK_STOP)
        x->state = PLUCK_STOP;
    return rc;
}


/* End of an aggregate query: one result row per group passing HAVING. */
pluck_code pl_exec_emit_groups(pl_exec *x)
{
    const pluck_query *q = x->q;
    pl_value *av = calloc(q->naggs ? q->naggs : 1, sizeof *av);
    if (!av)
        return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    pl_eval_ctx ctx = {.q = q, .colmap = x->colmap, .scratch = &x->scratch, .err = &x->err,
                       .agg_values = av};
    pluck_code rc = PLUCK_OK;
    size_t n = pl_groups_count(x->groups);
    for (size_t i = 0; i < n && rc == PLUCK_OK; i++) {
        pl_group *g = pl_groups_at(x->groups, i);
        pl_arena_reset(&x->scratch);
        ctx.group_keys = g->keys;
        for (uint32_t a = 0; a < q->naggs && !rc; a++)
            rc = pl_agg_final(&ctx, &q->aggs[a], &g->aggs[a], &av[a]);
        if (!rc && q->having) {
            int t;
            rc = pl_eval_cond(&ctx, q->having, &t);
            if (!rc && t != 1)
                continue;
        }
        if (rc)
            break;
        if (x->topn) {
            rc = offer_sorted(x, &ctx);
            continue;
        }
        size_t mark = x->out.buf.len;
        bool dup = false;
        if ((rc = emit_cols(x, &ctx)) || (rc = dedupe(x, mark, &dup))) {
            x->out.buf.len = mark;
            break;
        }
        if (!dup)
            rc = count_record(x);
    }
    free(av);
    if (pluck_is_error(rc)) {
        pl_exec_raise(x, rc);
        return rc;
    }
    return PLUCK_OK;
}

/* End of an ORDER BY query: the kept rows, in order. */
pluck_code pl_exec_emit_sorted(pl_exec *x)
{
    pluck_code rc = pl_sorter_finish(x->topn);
    while (!rc) {
        size_t len;
        const char *row;
        if ((rc = pl_sorter_next(x->topn, &row, &len)))
            break;
        if (!pl_buf_append(&x->out.buf, row, len))
            return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        rc = count_record(x);
    }
    if (rc == PLUCK_STOP)
        return PLUCK_OK;
    if (pluck_is_error(rc) && x->state == PLUCK_OK)
        return pl_exec_fail(x, rc, "%s", pl_sorter_message(x->topn));
    return rc;
}

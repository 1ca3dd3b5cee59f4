/*
 * commit.c — the ordered committer (see commit.h).
 */
#include "commit/commit.h"

#include <string.h>

void pl_commit_init(pl_commit *c, const pluck_query *q, pluck_write_fn write, void *opaque)
{
    memset(c, 0, sizeof *c);
    c->q = q;
    c->write = write;
    c->wop = opaque;
    if (q->has_limit && q->limit == 0)
        c->state = PLUCK_STOP; /* LIMIT 0: nothing to read at all */
}

static pluck_code set_state(pl_commit *c, pluck_code code)
{
    if (c->err.code == PLUCK_OK && pluck_is_error(code))
        c->err.code = code;
    if (!pluck_is_error(c->state))
        c->state = code;
    return c->state;
}

pluck_code pl_commit_fail(pl_commit *c, pluck_code code, const char *fmt, ...)
{
    if (pluck_is_error(c->state))
        return c->state;
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(&c->err, code, fmt, ap);
    va_end(ap);
    return set_state(c, code);
}

pluck_code pl_commit_write(pl_commit *c, pl_buf *b)
{
    if (!b->len)
        return PLUCK_OK;
    if (c->write && c->write(c->wop, b->data, b->len) != 0) {
        b->len = 0; /* refused once: never offered again */
        return pl_commit_fail(c, PLUCK_E_WRITE_ERROR, "The output could not be written.");
    }
    c->bytes_returned += b->len;
    b->len = 0;
    return PLUCK_OK;
}

static void limit_budget(const pl_commit *c, pl_exec *x)
{
    const pluck_query *q = c->q;
    x->limit_left = !q->has_limit ? UINT64_MAX : q->limit > c->emitted ? q->limit - c->emitted : 0;
}

pluck_code pl_commit_take(pl_commit *c, pl_exec *x)
{
    c->records_scanned += x->records_scanned;
    c->records_returned += x->records_returned;
    c->emitted += x->emitted;
    x->records_scanned = x->records_returned = x->emitted = 0;
    limit_budget(c, x);
    if (x->state != PLUCK_OK && !pluck_is_error(c->state)) {
        if (pluck_is_error(x->state) && c->err.code == PLUCK_OK)
            c->err = x->err;
        set_state(c, x->state);
    }
    return c->state;
}

/* Hand the lane's output over in the chunks the main executor would have flushed: the
 * committed bytes not yet flushed are in main's buffer. */
static pluck_code commit_output(pl_commit *c, pl_exec *main, const pl_exec *l)
{
    pl_buf *b = &main->out.buf;
    size_t from = 0;
    for (size_t i = 0; i <= l->ncuts; i++) {
        size_t to = i < l->ncuts ? l->cuts[i] : l->out.buf.len;
        if (to == from)
            continue;
        if (b->len + (to - from) > PL_FLUSH_AT)
            PL_FORWARD_IF_ERROR(pl_commit_write(c, b));
        if (!pl_buf_append(b, l->out.buf.data + from, to - from))
            return pl_commit_fail(c, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        from = to;
        if (b->len >= PL_FLUSH_AT)
            PL_FORWARD_IF_ERROR(pl_commit_write(c, b));
    }
    return PLUCK_OK;
}

pluck_code pl_commit_lane(pl_commit *c, pl_exec *main, pl_exec *l, pl_redo_fn redo, void *arg)
{
    if (c->state != PLUCK_OK)
        return c->state;
    if (l->state != PLUCK_OK || l->emitted >= main->limit_left) {
        /* main stands where the committed input ends: its scanner numbers the block's
         * records from there and its LIMIT budget is what is left */
        redo(arg);
        return pl_commit_take(c, main);
    }
    pl_scanner_set_recno(main->scan, pl_scanner_recno(main->scan) + pl_scanner_recno(l->scan));
    pl_scanner_set_comments(main->scan,
                            pl_scanner_comments(main->scan) + pl_scanner_comments(l->scan));
    c->records_scanned += l->records_scanned;
    c->records_returned += l->records_returned;
    c->emitted += l->emitted;
    limit_budget(c, main);
    if (main->single) {
        pluck_code rc = pl_exec_merge(main, l);
        if (rc)
            return pl_commit_fail(c, rc, "%s", rc == PLUCK_E_INTEGER_OVERFLOW
                                                   ? "Integer overflow in an aggregate."
                                                   : "Out of memory.");
    }
    if (main->topn && l->topn) { /* ORDER BY: the block's rows to the sorter, in order */
        pluck_code rc = pl_sorter_take(main->topn, l->topn);
        if (rc)
            return pl_commit_fail(c, rc, "%s", pl_sorter_message(main->topn));
    }
    PL_FORWARD_IF_ERROR(commit_output(c, main, l));
    return c->state;
}

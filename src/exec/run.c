/*
 * run.c — one streaming pass of a compiled query over one input.
 *
 *   feed(bytes) -> sniff magic -> codec -> window of decompressed bytes
 *               -> scanner batches (complete records) -> header / WHERE / projection or
 *                  aggregate step -> writer buffer -> write callback
 *
 * The window always starts at a record boundary: after each scan pass the unconsumed tail
 * (an incomplete record) slides to the front.  Its size is bounded by the maximum record
 * size plus one decode chunk, so memory is flat whatever the input size.  Once LIMIT is met
 * the run reports PLUCK_STOP and ignores further input, so callers stop reading and
 * decompressing at once.
 */
#include "exec/run.h"
#include "exec/pipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define fail_msg pl_run_fail_msg

/* ---- errors ------------------------------------------------------------------------------ */

static pluck_code fail(pluck_run *r, pluck_code code)
{
    if (r->err.code == PLUCK_OK)
        r->err.code = code;
    r->state = code;
    return code;
}

/* Fail with a message (lanes.c uses it too). */
pluck_code pl_run_fail_msg(pluck_run *r, pluck_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(&r->err, code, fmt, ap);
    va_end(ap);
    return fail(r, code);
}

/* ---- output ----------------------------------------------------------------------------- */

static pluck_code flush(pluck_run *r)
{
    pl_buf *b = &r->out.buf;
    if (!b->len)
        return PLUCK_OK;
    if (r->write && r->write(r->wop, b->data, b->len) != 0) {
        b->len = 0; /* refused once: never offered again */
        return fail_msg(r, PLUCK_E_WRITE_ERROR, "The output could not be written.");
    }
    r->stats.bytes_returned += b->len;
    b->len = 0;
    return PLUCK_OK;
}

/* ---- header and column binding ---------------------------------------------------------- */

static pluck_code sql_fail(pluck_run *r, uint32_t pos, pluck_code code, const char *what)
{
    pl_error_sql(&r->err, code, r->q->sql, r->q->sql_len, pos,
                 "%s at @POS@. Please check the file and try again.", what);
    return fail(r, code);
}

/* Map every column reference to a field index: positions directly, names through the
 * header (unquoted: case-insensitive, quoted: exact). */
static pluck_code bind_columns(pluck_run *r)
{
    const pluck_query *q = r->q;
    uint32_t maxf = 0;
    for (uint32_t i = 0; i < q->ncolrefs; i++) {
        const pl_colref *c = &q->colrefs[i];
        int32_t idx = -1;
        if (!c->name) {
            idx = (int32_t)(c->index - 1);
        } else {
            size_t nl = strlen(c->name);
            int matches = 0;
            for (uint32_t h = 0; h < r->nhdr; h++) {
                if (r->hdr_len[h] != nl)
                    continue;
                bool eq = c->quoted ? !memcmp(r->hdr[h], c->name, nl)
                                    : !strncasecmp(r->hdr[h], c->name, nl);
                if (eq && matches++ == 0)
                    idx = (int32_t)h;
            }
            if (matches == 0)
                return sql_fail(r, c->pos, PLUCK_E_MISSING_HEADERS,
                                "Some headers in the query are missing from the file: the column "
                                "is referenced");
            if (matches > 1)
                return sql_fail(r, c->pos, PLUCK_E_AMBIGUOUS_FIELD_NAME,
                                "The column name matches more than one header (ambiguous field "
                                "name)");
        }
        r->colmap[i] = idx;
        if ((uint32_t)idx + 1 > maxf)
            maxf = (uint32_t)idx + 1;
    }
    r->max_fields = q->select_star ? UINT32_MAX : maxf;
    pl_scanner_set_max_fields(r->scan, r->max_fields);
    return PLUCK_OK;
}

static pluck_code take_header(pluck_run *r, const pl_field *f, uint32_t n)
{
    r->hdr = pl_arena_alloc(&r->hdr_arena, (n ? n : 1) * sizeof *r->hdr);
    r->hdr_len = pl_arena_alloc(&r->hdr_arena, (n ? n : 1) * sizeof *r->hdr_len);
    if (!r->hdr || !r->hdr_len)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    for (uint32_t i = 0; i < n; i++) {
        r->hdr[i] = pl_arena_strndup(&r->hdr_arena, f[i].p, f[i].len);
        if (!r->hdr[i])
            return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        r->hdr_len[i] = f[i].len;
    }
    r->nhdr = n;
    return bind_columns(r);
}

/* ---- records ------------------------------------------------------------------------------ */

static pluck_code emit_star(pluck_run *r, const pl_field *f, uint32_t n)
{
    pl_writer *w = &r->out;
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
            if (i < r->nhdr) {
                k = r->hdr[i];
                kl = r->hdr_len[i];
            } else {
                kl = (size_t)snprintf(key, sizeof key, "_%u", i + 1);
            }
            ok = pl_json_member(w, k, kl, &v, &first);
        }
        ok = ok && pl_json_end(w);
    }
    return ok ? PLUCK_OK : fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

/* JSON key of output column i: the header's own spelling for a bare header-name column
 * (s.NAME over a header "Name" gives "Name"), else the alias or the name as written. */
static bool json_member_for(pluck_run *r, uint32_t i, const pl_value *v, bool *first)
{
    const pl_out_col *c = &r->q->cols[i];
    if (c->header_key && c->expr->op == PL_N_COL) {
        int32_t h = r->colmap[c->expr->colref];
        if (h >= 0 && (uint32_t)h < r->nhdr)
            return pl_json_member(&r->out, r->hdr[h], r->hdr_len[h], v, first);
    }
    return pl_json_member(&r->out, c->name, strlen(c->name), v, first);
}

static pluck_code emit_cols(pluck_run *r, pl_eval_ctx *ctx)
{
    const pluck_query *q = r->q;
    pl_writer *w = &r->out;
    bool ok = true, first = true;
    if (w->d.format == PL_OUT_JSON)
        ok = pl_json_begin(w);
    for (uint32_t i = 0; i < q->ncols && ok; i++) {
        pl_value v;
        pluck_code rc = pl_eval(ctx, q->cols[i].expr, &v);
        if (rc)
            return fail(r, rc);
        if (w->d.format == PL_OUT_CSV)
            ok = pl_csv_value(w, &v, i == 0);
        else
            ok = json_member_for(r, i, &v, &first);
    }
    if (ok)
        ok = w->d.format == PL_OUT_CSV ? pl_csv_end(w) : pl_json_end(w);
    return ok ? PLUCK_OK : fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

/* A lane notes where a sequential run would have flushed. */
static bool add_cut(pluck_run *r)
{
    if (!pl_grow(&r->cuts, &r->cuts_cap, r->ncuts + 1, sizeof *r->cuts))
        return false;
    r->cuts[r->ncuts++] = r->out.buf.len;
    return true;
}

/* Output one record for a result row; stops at LIMIT.  Returns PLUCK_STOP at the limit. */
static pluck_code count_record(pluck_run *r)
{
    r->emitted++;
    r->stats.records_returned++;
    if (r->out.buf.len - (r->ncuts ? r->cuts[r->ncuts - 1] : 0) >= FLUSH_AT) {
        if (!r->is_lane) {
            if (flush(r))
                return r->state;
        } else if (!add_cut(r)) {
            return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        }
    }
    return r->q->has_limit && r->emitted >= r->q->limit ? PLUCK_STOP : PLUCK_OK;
}

static pluck_code groups_error(pluck_run *r, pluck_code rc)
{
    if (rc == PLUCK_E_TOO_MANY_GROUPS)
        pl_error_set(&r->err, rc,
                     "More than %zu groups (or ORDER BY rows): raise max-groups or narrow the "
                     "query.",
                     r->q->params.max_groups);
    else if (rc == PLUCK_E_OUT_OF_MEMORY)
        pl_error_set(&r->err, rc, "Out of memory.");
    return rc;
}

/* Aggregate query: find the record's group and step its aggregates. */
static pluck_code accumulate(pluck_run *r, pl_eval_ctx *ctx)
{
    const pluck_query *q = r->q;
    pl_group *g = r->single;
    if (q->ngroup_by) {
        for (uint32_t k = 0; k < q->ngroup_by; k++) {
            pluck_code rc = pl_eval(ctx, q->group_by[k], &r->keys[k]);
            if (rc)
                return rc;
        }
        pluck_code rc = pl_groups_find(r->groups, r->keys, &g);
        if (rc)
            return groups_error(r, rc);
    }
    for (uint32_t a = 0; a < q->naggs; a++) {
        pluck_code rc = pl_agg_step(ctx, &q->aggs[a], &g->aggs[a]);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

/* ORDER BY: render the result record, then let the top-n heap keep it or not. */
static pluck_code offer_sorted(pluck_run *r, pl_eval_ctx *ctx)
{
    const pluck_query *q = r->q;
    size_t mark = r->out.buf.len;
    pluck_code rc = emit_cols(r, ctx);
    for (uint32_t k = 0; !rc && k < q->norder_by; k++)
        rc = pl_eval(ctx, q->order_by[k], &r->keys[k]);
    if (!rc) {
        rc = pl_topn_offer(r->topn, r->keys, r->out.buf.data + mark, r->out.buf.len - mark);
        if (rc)
            groups_error(r, rc);
    }
    r->out.buf.len = mark;
    return rc;
}

static void locate(pluck_run *r, const pl_batch *b, uint32_t i)
{
    r->err.record = b->recno[i] + r->skipped;
    r->err.byte_offset = b->offset[i];
}

/* A selected row: step the aggregates, offer it to ORDER BY, or output it (stops at LIMIT). */
static pluck_code take_row(pluck_run *r, pl_eval_ctx *ctx, const pl_batch *b, uint32_t i)
{
    const pluck_query *q = r->q;
    if (q->is_aggregate || q->norder_by) {
        pluck_code rc = q->is_aggregate ? accumulate(r, ctx) : offer_sorted(r, ctx);
        if (rc) {
            locate(r, b, i);
            return fail(r, rc);
        }
        return PLUCK_OK;
    }
    size_t mark = r->out.buf.len;
    pluck_code rc = q->select_star ? emit_star(r, ctx->fields, ctx->nfields) : emit_cols(r, ctx);
    if (rc) {
        r->out.buf.len = mark; /* never leave half a record in the output */
        locate(r, b, i);
        return rc;
    }
    if ((rc = count_record(r)) == PLUCK_STOP)
        r->state = PLUCK_STOP;
    return rc;
}

static void set_row(pl_eval_ctx *ctx, pluck_run *r, const pl_batch *b, uint32_t i)
{
    ctx->fields = b->fields + b->first[i];
    ctx->nfields = b->nfields[i];
    if (r->scratch.used)
        pl_arena_reset(&r->scratch);
}

/* WHERE over the rows [from, nrec) of a batch, one conjunct of its AND chain at a time over
 * a selection vector of the rows still in play: a row leaves at its first FALSE conjunct,
 * so each row evaluates exactly the conjuncts a row-by-row run evaluates.  Leaves in r->sel
 * the rows where every conjunct is TRUE.  Returns false when some evaluation failed: the
 * caller then goes row by row, so that the error reported is the one met first in input
 * order (and none past the LIMIT or before an output error of an earlier row). */
static bool filter_batch(pluck_run *r, pl_eval_ctx *ctx, const pl_batch *b, uint32_t from)
{
    uint32_t m = 0;
    for (uint32_t i = from; i < b->nrec; i++) {
        r->sel[m] = i;
        r->unknown[m++] = 0;
    }
    for (uint32_t c = 0; c < r->nconj && m; c++) {
        const pl_node *cn = r->conj[c];
        uint32_t k = 0;
        for (uint32_t j = 0; j < m; j++) {
            uint32_t i = r->sel[j];
            int t;
            set_row(ctx, r, b, i);
            if (pl_eval_cond(ctx, cn, &t)) {
                r->err = (pluck_error){0};
                return false;
            }
            if (t == 0)
                continue;
            r->sel[k] = i;
            r->unknown[k++] = (uint8_t)(r->unknown[j] | (t == 2));
        }
        m = k;
    }
    uint32_t k = 0;
    for (uint32_t j = 0; j < m; j++)
        if (!r->unknown[j])
            r->sel[k++] = r->sel[j];
    r->nsel = k;
    return true;
}

static pluck_code handle_batch(pluck_run *r, const pl_batch *b)
{
    const pluck_query *q = r->q;
    pl_eval_ctx ctx = {.q = q, .colmap = r->colmap, .scratch = &r->scratch, .err = &r->err};
    uint32_t i = 0;
    if (!r->header_done && b->nrec) {
        r->header_done = true;
        if (q->params.header == PL_HDR_USE) {
            if (take_header(r, b->fields + b->first[0], b->nfields[0]))
                return r->state;
            i = 1;
        } else if (q->params.header == PL_HDR_IGNORE) {
            bind_columns(r); /* cannot fail without names; restores the pushdown */
            i = 1;
        }
    }
    if (r->nconj && filter_batch(r, &ctx, b, i)) {
        /* records scanned as a row-by-row run counts them: up to where it stops */
        uint64_t scanned = r->stats.records_scanned - i;
        for (uint32_t j = 0; j < r->nsel; j++) {
            set_row(&ctx, r, b, r->sel[j]);
            r->stats.records_scanned = scanned + r->sel[j] + 1;
            pluck_code rc = take_row(r, &ctx, b, r->sel[j]);
            if (rc)
                return rc;
        }
        r->stats.records_scanned = scanned + b->nrec;
        return PLUCK_OK;
    }
    for (; i < b->nrec; i++) {
        r->stats.records_scanned++;
        set_row(&ctx, r, b, i);
        if (q->where) {
            int t;
            pluck_code rc = pl_eval_cond(&ctx, q->where, &t);
            if (rc) {
                locate(r, b, i);
                return fail(r, rc);
            }
            if (t != 1)
                continue;
        }
        pluck_code rc = take_row(r, &ctx, b, i);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

/* ---- literal prefilter ----------------------------------------------------------------
 * When every selected record must contain a literal (see bind.c), lines without it are
 * skipped before the scanner ever sees them; candidate lines are scanned and the full
 * predicate still decides.  Skipped lines still count as scanned records. */

/* Skip the lines from pos that cannot match; return the new pos and set *limit to the end
 * of the next candidate line (the window end when there is none).  A line holding a quote
 * character may be malformed, so the scanner must see it to say so: quotes are candidates
 * too; so are lines too long to skip unread (the scanner reports OverMaxRecordSize).  One
 * pass (pl_scanner_find) finds the candidates and counts the skipped lines. */
static size_t prefilter(pluck_run *r, size_t pos, bool final, size_t *limit)
{
    const pluck_query *q = r->q;
    const char *w = r->win, *end = w + r->wlen;
    const size_t litlen = q->prefilter_len, n = r->wlen;
    const pl_find f = {.first = (unsigned char)q->prefilter[0],
                       .last = (unsigned char)q->prefilter[litlen - 1],
                       .dist = (uint32_t)(litlen - 1),
                       .quote = q->params.in.quote};
    pl_find_pos fp = {0};
    size_t at = pos;
    const char *hit = NULL;
    while (at < n) {
        size_t k = at + pl_scanner_find(r->scan, &f, w + at, n - at, &fp);
        if (k >= n)
            break;
        if ((int)(unsigned char)w[k] == f.quote ||
            (n - k >= litlen && !memcmp(w + k, q->prefilter, litlen))) {
            hit = w + k;
            break;
        }
        /* first and last byte matched, the middle did not: search on after it */
        fp.line -= (ptrdiff_t)(k + 1 - at);
        at = k + 1;
    }
    /* fp.line is relative to w + at: the start of the line after the last skipped newline */
    const char *skip_to = fp.lines ? w + at + fp.line : w + pos;
    if (fp.longest > q->params.max_record_size) {
        /* a line among them may be too long: scan them all, the scanner decides */
        *limit = (size_t)(skip_to - w);
        if (*limit == pos)
            *limit = r->wlen;
        return pos;
    }
    if (hit) {
        const char *eol = memchr(hit, '\n', (size_t)(end - hit));
        *limit = eol ? (size_t)(eol + 1 - w) : r->wlen;
    } else if ((size_t)(end - skip_to) > q->params.max_record_size + (final ? 0 : 1)) {
        /* the line after the skipped ones is already too long (with more to come, a CR
         * before its newline would not count): the scanner reports it, instead of the
         * window growing without bound */
        *limit = r->wlen;
    } else {
        if (final && skip_to < end) {
            skip_to = end;
            fp.lines++; /* the last line, without its newline */
        }
        *limit = (size_t)(skip_to - w);
    }
    r->pf_seen += *limit - pos;
    r->pf_skipped += (size_t)(skip_to - (w + pos));
    r->skipped += fp.lines;
    r->stats.records_scanned += fp.lines;
    return (size_t)(skip_to - w);
}

/* ---- text encoding ------------------------------------------------------------------------
 * S3 requires UTF-8 and answers InvalidTextEncoding otherwise.  The check covers the first
 * 64 KiB of decompressed input: that is what catches the common mistake (compressed or binary
 * data read as text) without a second pass over every byte (MinIO checks 128 KiB). */
#define UTF8_CHECKED (64u * 1024)

/* Length of the valid UTF-8 sequence at p (end: buffer end): 1-4, 0 if invalid, -1 if it
 * may be valid but is cut by the buffer end.  *valid: how many bytes at p are a valid
 * start of a sequence (the bytes before the one that proves it invalid, or all that
 * arrived).  Each byte is judged as soon as it arrives (the second byte's range depends on
 * the first: no overlong forms, surrogates or code points past U+10FFFF), so an invalid
 * sequence is found at the same byte however the input is split into feeds. */
static int utf8_seq(const unsigned char *p, const unsigned char *end, size_t *valid)
{
    unsigned c = p[0];
    *valid = 0;
    if (c < 0x80)
        return 1;
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    for (int i = 1; i < n; i++) {
        *valid = (size_t)i;
        if (p + i >= end)
            return -1;
        unsigned lo = 0x80, hi = 0xBF;
        if (i == 1) {
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
            else if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        }
        if (p[i] < lo || p[i] > hi)
            return 0;
    }
    return n;
}

/* Check what arrived of the first 64 KiB; on an invalid sequence *bad is set to its window
 * position and *seen to the end of its valid start (what a feed that ended just before the
 * offending byte would have held), else both are left alone. */
static void check_utf8(pluck_run *r, bool final, size_t *bad, size_t *seen)
{
    if (r->utf8_ok >= UTF8_CHECKED)
        return;
    const unsigned char *w = (const unsigned char *)r->win;
    const unsigned char *end = w + r->wlen;
    uint64_t from = r->utf8_ok > r->wbase ? r->utf8_ok : r->wbase;
    const unsigned char *p = w + (from - r->wbase);
    const unsigned char *stop = r->wbase + r->wlen > UTF8_CHECKED ? w + (UTF8_CHECKED - r->wbase) : end;
    while (p < stop) {
        size_t valid;
        int n = utf8_seq(p, end, &valid);
        if (n < 0 && !final)
            break; /* the rest of the sequence has not arrived yet */
        if (n <= 0) {
            *bad = (size_t)(p - w);
            *seen = *bad + valid;
            break;
        }
        p += n;
    }
    r->utf8_ok = r->wbase + (uint64_t)(p - w);
    if (p >= stop && stop != end)
        r->utf8_ok = UTF8_CHECKED;
}

/* Scan every complete record in the window, then slide the tail to the front. */
static pluck_code process(pluck_run *r, bool final)
{
    if (!r->bom_done) {
        if (r->wlen < 3 && !final && !memcmp(r->win, "\xEF\xBB\xBF", r->wlen))
            return PLUCK_OK; /* could still be a byte-order mark */
        r->bom_done = true;
        if (r->wlen >= 3 && !memcmp(r->win, "\xEF\xBB\xBF", 3)) {
            memmove(r->win, r->win + 3, r->wlen - 3);
            r->wlen -= 3;
            r->wbase += 3;
        }
    }
    /* Records before an invalid sequence are still scanned (and output), and so is the
     * record holding it as far as the byte that proves it invalid: the error that comes first
     * in the input wins (a record already too long there is OverMaxRecordSize), however the
     * input was split into feeds. */
    size_t bad = SIZE_MAX, seen = 0, full = r->wlen;
    check_utf8(r, final, &bad, &seen);
    if (bad != SIZE_MAX) {
        r->wlen = seen;
        final = false;
    }
    size_t pos = 0;
    pluck_code rc = PLUCK_OK;
    for (;;) {
        pl_batch *b;
        size_t used = 0, limit = r->wlen;
        if (r->q->prefilter && r->header_done && !r->pf_off) {
            pos = prefilter(r, pos, final, &limit);
            /* where most lines are candidates (quotes everywhere, a common literal), handing
             * lines over one by one costs more than it saves: scan normally from here on */
            if (r->pf_seen > (1u << 20) && r->pf_skipped < r->pf_seen / 2)
                r->pf_off = true;
            if (limit == pos)
                break;
        }
        rc = pl_scan(r->scan, r->win + pos, limit - pos, r->wbase + pos, final || limit < r->wlen,
                     &b, &used, &r->err);
        if (rc) {
            r->err.record += r->skipped;
            fail(r, rc);
            break;
        }
        if (b->nrec == 0 && used == 0)
            break;
        pos += used;
        if ((rc = handle_batch(r, b)))
            break;
    }
    r->wlen = full;
    if (rc == PLUCK_OK && bad != SIZE_MAX) {
        uint64_t at = r->wbase + bad;
        rc = fail_msg(r, PLUCK_E_INVALID_TEXT_ENCODING,
                      "UTF-8 encoding is required. The text encoding error was found near byte "
                      "%llu.",
                      (unsigned long long)at);
        r->err.byte_offset = at;
    }
    if (r->in_block) {
        r->wlen -= pos; /* a block stays as it is: the parent may scan it again */
    } else if (pos) {
        memmove(r->win, r->win + pos, r->wlen - pos);
        r->wlen -= pos;
        r->wbase += pos;
    }
    return rc;
}

/* ---- input ------------------------------------------------------------------------------- */

static pluck_code progress(pluck_run *r)
{
    if (!r->progress || (r->stats.bytes_scanned < r->next_progress &&
                         r->stats.bytes_processed < r->next_progress_out))
        return PLUCK_OK;
    r->next_progress = r->stats.bytes_scanned + PROGRESS_EVERY;
    r->next_progress_out = r->stats.bytes_processed + PROGRESS_EVERY;
    if (r->progress(r->pop, &r->stats))
        return fail_msg(r, PLUCK_E_CANCELLED, "The run was cancelled.");
    return PLUCK_OK;
}

/* Make room for n more bytes at the end of the window. */
static pluck_code window_reserve(pluck_run *r, size_t n)
{
    if (r->wcap - r->wlen >= n)
        return PLUCK_OK;
    size_t cap = r->wlen + n;
    char *w = realloc(r->win, cap);
    if (!w)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    r->win = w;
    r->wcap = cap;
    return PLUCK_OK;
}

/* Decompress *in (*n bytes) into the window and scan it, CHUNK by CHUNK, advancing *in and
 * *n.  Under pluck_run_feed_step() it stops once step_left bytes were produced (a bomb's
 * ratio bounds neither the time nor the output of one call); the progress hook is asked
 * every PROGRESS_EVERY decompressed bytes, so a cancel is seen within one such stretch. */
static pluck_code decode_some(pluck_run *r, const unsigned char **inp, size_t *np)
{
    const unsigned char *in = *inp;
    size_t n = *np;
    pluck_code ret = PLUCK_OK;
    for (;;) {
        if (window_reserve(r, CHUNK)) {
            ret = r->state;
            break;
        }
        unsigned char *out = (unsigned char *)r->win + r->wlen;
        size_t room = CHUNK;
        pluck_code rc = pl_codec_decode(r->codec, &in, &n, &out, &room);
        size_t produced = CHUNK - room;
        r->wlen += produced;
        r->stats.bytes_processed += produced;
        if (rc) {
            /* what decoded cleanly before the damage is used first, as the pipelined path
             * does: complete records in it are output (or meet the LIMIT) */
            if (process(r, false) == PLUCK_OK)
                fail_msg(r, rc, "%s", pl_codec_message(r->codec));
            ret = r->state;
            break;
        }
        if ((rc = process(r, false)) || (rc = progress(r))) {
            ret = rc;
            break;
        }
        if (n == 0 && produced == 0)
            break;
        if (r->step_left != SIZE_MAX) {
            if (produced >= r->step_left) {
                r->step_left = 0;
                r->step_more = true;
                break;
            }
            r->step_left -= produced;
        }
    }
    *inp = in;
    *np = n;
    return ret;
}

static pluck_code decode(pluck_run *r, const unsigned char *in, size_t n)
{
    return decode_some(r, &in, &n);
}

static pluck_code start_codec(pluck_run *r, bool at_eof)
{
    pl_compression kind = r->q->params.compression;
    if (kind == PL_COMP_AUTO) {
        kind = pl_codec_detect(r->sniff, r->nsniff, at_eof);
        if (kind == PL_COMP_AUTO)
            return PLUCK_OK; /* need more bytes */
    }
    r->codec = pl_codec_create(kind, PL_GZIP_AUTO);
    if (!r->codec)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    r->stats.codec = pl_codec_name(r->codec);
    return decode(r, r->sniff, r->nsniff);
}

pluck_code pluck_run_feed(pluck_run *r, const void *data, size_t len)
{
    if (r->state != PLUCK_OK || r->finished)
        return r->finished && r->state == PLUCK_OK ? PLUCK_STOP : r->state;
    const unsigned char *p = data;
    r->stats.bytes_scanned += len;
    if (!r->codec) {
        size_t take = sizeof r->sniff - r->nsniff;
        if (take > len)
            take = len;
        memcpy(r->sniff + r->nsniff, p, take);
        r->nsniff += take;
        p += take;
        len -= take;
        if (start_codec(r, false) || !r->codec)
            return r->state;
    }
    if (len && decode(r, p, len))
        return r->state;
    if (progress(r))
        return r->state;
    /* hand over what this input produced, so slow streams (tail -f) show results promptly */
    flush(r);
    return r->state;
}

pluck_code pluck_run_feed_step(pluck_run *r, const void *data, size_t len, int end, size_t *used,
                               int *more)
{
    *used = 0;
    *more = 0;
    if (r->state != PLUCK_OK || r->finished)
        return r->finished && r->state == PLUCK_OK ? PLUCK_STOP : r->state;
    const unsigned char *p = data;
    size_t n = len;
    if (!r->codec) {
        /* detection sees at most sizeof sniff bytes: too few to make a step unbounded */
        size_t take = sizeof r->sniff - r->nsniff;
        if (take > n)
            take = n;
        memcpy(r->sniff + r->nsniff, p, take);
        r->nsniff += take;
        r->stats.bytes_scanned += take;
        p += take;
        n -= take;
        if (start_codec(r, end && n == 0) || !r->codec) {
            *used = take;
            return r->state;
        }
    }
    r->step_left = STEP_BYTES;
    r->step_more = false;
    size_t before = n;
    pluck_code rc = decode_some(r, &p, &n);
    r->stats.bytes_scanned += before - n;
    *used = len - n;
    if (rc == PLUCK_OK && end && n == 0 && !r->step_more && !r->input_ended) {
        pl_codec_end_input(r->codec);
        r->input_ended = true;
        r->step_more = true; /* what the codec held comes out in the next calls */
    } else if (rc == PLUCK_OK && n == 0 && !r->step_more && r->input_ended) {
        r->step_more = false;
    }
    *more = r->step_more || n > 0;
    r->step_left = SIZE_MAX;
    if (rc == PLUCK_OK)
        flush(r);
    return r->state;
}

/* End of an aggregate query: one result row per group passing HAVING. */
static pluck_code emit_groups(pluck_run *r)
{
    const pluck_query *q = r->q;
    pl_value *av = calloc(q->naggs ? q->naggs : 1, sizeof *av);
    if (!av)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    pl_eval_ctx ctx = {.q = q, .colmap = r->colmap, .scratch = &r->scratch, .err = &r->err,
                       .agg_values = av};
    pluck_code rc = PLUCK_OK;
    size_t n = pl_groups_count(r->groups);
    for (size_t i = 0; i < n && rc == PLUCK_OK; i++) {
        pl_group *g = pl_groups_at(r->groups, i);
        pl_arena_reset(&r->scratch);
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
        if (r->topn) {
            rc = offer_sorted(r, &ctx);
            continue;
        }
        size_t mark = r->out.buf.len;
        if ((rc = emit_cols(r, &ctx))) {
            r->out.buf.len = mark;
            break;
        }
        rc = count_record(r);
    }
    free(av);
    if (pluck_is_error(rc)) {
        fail(r, rc);
        return rc;
    }
    return PLUCK_OK;
}

/* End of an ORDER BY query: the kept rows, in order. */
static pluck_code emit_sorted(pluck_run *r)
{
    size_t n = pl_topn_finish(r->topn);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *row = pl_topn_row(r->topn, i, &len);
        if (!pl_buf_append(&r->out.buf, row, len))
            return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        pluck_code rc = count_record(r);
        if (rc == PLUCK_STOP)
            break;
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

pluck_code pluck_run_finish(pluck_run *r)
{
    if (r->finished)
        return pluck_is_error(r->state) ? r->state : PLUCK_OK;
    r->finished = true;
    if (r->state == PLUCK_OK && r->codec_external) {
        process(r, true);
    } else if (r->state == PLUCK_OK) {
        if (!r->codec && !start_codec(r, true) && !r->codec)
            fail_msg(r, PLUCK_E_INTERNAL_ERROR, "Compression could not be detected.");
        if (r->codec && !r->input_ended)
            pl_codec_end_input(r->codec);
        r->input_ended = true;
        if (r->state == PLUCK_OK && !decode(r, (const unsigned char *)"", 0)) {
            pluck_code rc = pl_codec_finish(r->codec);
            if (rc)
                fail_msg(r, rc, "%s", pl_codec_message(r->codec));
            else
                process(r, true);
        }
    }
    if (pluck_is_error(r->state)) {
        flush(r); /* what was produced is complete records: hand it over */
        return r->state;
    }
    const pluck_query *q = r->q;
    if (q->is_aggregate && !(q->has_limit && q->limit == 0) && emit_groups(r))
        return r->state;
    if (r->topn && emit_sorted(r))
        return r->state;
    if (flush(r))
        return r->state;
    r->state = PLUCK_OK;
    return PLUCK_OK;
}

/* ---- lanes (plain input split across threads, see run.h and lanes.c) --------------------- */

/* Lanes pay off where blocks are independent: a record delimiter always ends a record (no
 * quoted record delimiters, one byte), results are combined without order (no GROUP BY or
 * ORDER BY), and the first bytes were checked (header, BOM, UTF-8) by the parent. */
bool pl_run_lanes_eligible(const pluck_run *r)
{
    const pluck_query *q = r->q;
    return r->state == PLUCK_OK && q->params.threads > 1 && !q->params.in.allow_quoted_record_delim &&
           q->params.in.record_delim.len == 1 && !q->ngroup_by && !q->norder_by && !r->topn &&
           r->header_done && r->bom_done && r->utf8_ok >= UTF8_CHECKED && !r->codec_external;
}

pluck_run *pl_run_lane_create(const pluck_run *parent)
{
    pluck_run *l = pluck_run_create(parent->q, NULL, NULL);
    if (!l)
        return NULL;
    l->is_lane = true;
    l->header_done = l->bom_done = true;
    l->utf8_ok = UINT64_MAX;
    l->hdr = parent->hdr; /* the parent's arena owns them and outlives the lane */
    l->hdr_len = parent->hdr_len;
    l->nhdr = parent->nhdr;
    memcpy(l->colmap, parent->colmap, (parent->q->ncolrefs ? parent->q->ncolrefs : 1) *
                                          sizeof *l->colmap);
    l->max_fields = parent->max_fields;
    pl_scanner_set_max_fields(l->scan, l->max_fields);
    l->state = PLUCK_OK;
    return l;
}

/* Scan buf (one block: whole records, the last one ending with its delimiter unless final)
 * as if it were the window. */
static pluck_code process_block(pluck_run *r, char *buf, size_t len, uint64_t base, bool final)
{
    char *win = r->win;
    size_t wlen = r->wlen, wcap = r->wcap;
    uint64_t wbase = r->wbase;
    r->win = buf;
    r->wlen = len;
    r->wcap = len;
    r->wbase = base;
    r->in_block = true;
    pluck_code rc = process(r, final);
    r->in_block = false;
    if (rc == PLUCK_OK && r->wlen)
        rc = fail_msg(r, PLUCK_E_INTERNAL_ERROR, "A block did not end at a record end.");
    r->win = win;
    r->wlen = wlen;
    r->wcap = wcap;
    r->wbase = wbase;
    return rc;
}

/* Read [off, off + len) of fd (stream offsets from base on) through the window: a piece at
 * a time, so the bytes are scanned while they are still in the cache. */
#define PIECE (64 * 1024)
static pluck_code process_range(pluck_run *r, int fd, uint64_t off, size_t len, uint64_t base,
                                bool final)
{
    r->wlen = 0;
    r->wbase = base;
    size_t done = 0;
    while (done < len) {
        size_t want = len - done < PIECE ? len - done : PIECE;
        if (window_reserve(r, want))
            return r->state;
        ssize_t n = pread(fd, r->win + r->wlen, want, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_msg(r, PLUCK_E_READ_ERROR, "The input could not be read.");
        if (n == 0) { /* the file shrank while it was read */
            final = true;
            break;
        }
        r->wlen += (size_t)n;
        done += (size_t)n;
        if (process(r, false))
            return r->state;
    }
    if (process(r, final))
        return r->state;
    if (r->wlen)
        return fail_msg(r, PLUCK_E_INTERNAL_ERROR, "A block did not end at a record end.");
    return PLUCK_OK;
}

static pluck_code run_block(pluck_run *r, const pl_block *b)
{
    return b->buf ? process_block(r, b->buf, b->len, b->base, b->final)
                  : process_range(r, b->fd, b->off, b->len, b->base, b->final);
}

pluck_code pl_run_lane_block(pluck_run *l, const pl_block *b)
{
    l->state = PLUCK_OK;
    l->err = (pluck_error){0};
    l->stats.records_scanned = l->stats.records_returned = 0;
    l->emitted = 0;
    l->skipped = 0;
    l->out.buf.len = 0;
    l->ncuts = 0;
    pl_scanner_set_recno(l->scan, 0);
    for (uint32_t a = 0; l->single && a < l->q->naggs; a++)
        pl_agg_reset(&l->single->aggs[a]);
    return run_block(l, b);
}

/* Hand the lane's output over in the chunks a sequential run would have flushed. */
static pluck_code commit_output(pluck_run *r, const pluck_run *l)
{
    size_t from = 0;
    for (size_t i = 0; i <= l->ncuts; i++) {
        size_t to = i < l->ncuts ? l->cuts[i] : l->out.buf.len;
        if (to == from)
            continue;
        if (r->out.buf.len + (to - from) > FLUSH_AT && flush(r))
            return r->state;
        if (!pl_buf_append(&r->out.buf, l->out.buf.data + from, to - from))
            return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        from = to;
        if (r->out.buf.len >= FLUSH_AT && flush(r))
            return r->state;
    }
    return PLUCK_OK;
}

/* Called in input order, one block at a time: take over the lane's results for the block,
 * or process the block again here when the lane failed or met the LIMIT in it. */
pluck_code pl_run_lane_commit(pluck_run *r, pluck_run *l, const pl_block *b)
{
    if (r->state != PLUCK_OK)
        return r->state;
    const pluck_query *q = r->q;
    if (l->state != PLUCK_OK || (q->has_limit && r->emitted + l->emitted >= q->limit)) {
        run_block(r, b);
        return r->state;
    }
    pl_scanner_set_recno(r->scan, pl_scanner_recno(r->scan) + pl_scanner_recno(l->scan));
    r->skipped += l->skipped;
    r->stats.records_scanned += l->stats.records_scanned;
    r->stats.records_returned += l->stats.records_returned;
    r->emitted += l->emitted;
    if (r->single) {
        for (uint32_t a = 0; a < q->naggs; a++) {
            pluck_code rc = pl_agg_merge(&q->aggs[a], &r->single->aggs[a], &l->single->aggs[a]);
            if (rc)
                return fail_msg(r, rc, "%s", rc == PLUCK_E_INTEGER_OVERFLOW
                                                 ? "Integer overflow in an aggregate."
                                                 : "Out of memory.");
        }
    }
    if (commit_output(r, l))
        return r->state;
    return progress(r);
}

/* ---- pull interfaces -------------------------------------------------------------------- */

/* threads >= 2: a producer thread reads and decompresses, this thread scans. */
static pluck_code run_pipelined(pluck_run *r, pl_compression kind, const char *prefix, size_t n0,
                                pluck_read_fn read, void *opaque)
{
    pl_pipe *p = pl_pipe_start(kind, prefix, n0, read, opaque, r->live);
    if (!p)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory (decompression thread).");
    r->codec_external = true;
    for (;;) {
        const unsigned char *data;
        size_t len;
        pluck_code rc = pl_pipe_next(p, &data, &len);
        r->stats.bytes_scanned = pl_pipe_bytes_in(p);
        r->stats.codec = pl_pipe_codec_name(p);
        if (rc) {
            fail_msg(r, rc, "%s", pl_pipe_message(p));
            break;
        }
        if (len == 0)
            break;
        if (window_reserve(r, len)) {
            pl_pipe_release(p);
            break;
        }
        memcpy(r->win + r->wlen, data, len);
        r->wlen += len;
        r->stats.bytes_processed += len;
        pl_pipe_release(p);
        if (process(r, false) || progress(r))
            break;
        flush(r);
    }
    r->stats.bytes_scanned = pl_pipe_stop(p); /* counts a read finished after our last look */
    return r->state;
}

/* Plain input: read straight into the window, sparing the copy a codec would make.  From a
 * regular file (file_fd >= 0: reads return full blocks), once the first bytes are checked
 * the rest goes through lanes.c. */
static pluck_code read_plain(pluck_run *r, pluck_read_fn read, void *opaque, int file_fd)
{
    while (r->state == PLUCK_OK) {
        if (file_fd >= 0 && pl_run_lanes_eligible(r) && r->wlen < CHUNK)
            return pl_lanes_run(r, read, opaque, file_fd);
        if (window_reserve(r, CHUNK))
            break;
        ptrdiff_t n = read(opaque, r->win + r->wlen, CHUNK);
        if (n < 0)
            return fail_msg(r, PLUCK_E_READ_ERROR, "The input could not be read.");
        if (n == 0)
            break;
        r->wlen += (size_t)n;
        r->stats.bytes_scanned += (uint64_t)n;
        r->stats.bytes_processed += (uint64_t)n;
        if (process(r, false) || progress(r))
            break;
        flush(r);
    }
    return r->state;
}

static pluck_code run_read(pluck_run *r, pluck_read_fn read, void *opaque, int file_fd)
{
    if (r->state != PLUCK_OK || r->finished)
        return pluck_run_finish(r);
    char *buf = malloc(CHUNK);
    if (!buf)
        return fail_msg(r, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    /* the first bytes decide the codec (every magic number fits in 16); read on only while
     * they could still be the start of one, so a short first line of a slow stream is not
     * held back waiting for more */
    size_t n0 = 0;
    bool eof = false;
    pluck_code rc = PLUCK_OK;
    while (n0 < 16 && (n0 == 0 || pl_codec_detect((const unsigned char *)buf, n0, false) ==
                                      PL_COMP_AUTO)) {
        ptrdiff_t n = read(opaque, buf + n0, CHUNK - n0);
        if (n < 0) {
            rc = fail_msg(r, PLUCK_E_READ_ERROR, "The input could not be read.");
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
    if (!rc && kind != PL_COMP_NONE && !eof && r->q->params.threads > 1 && !r->codec) {
        /* compressed: a second thread decompresses while this one scans */
        rc = run_pipelined(r, kind, buf, n0, read, opaque);
    } else if (!rc) {
        rc = pluck_run_feed(r, buf, n0);
        if (rc == PLUCK_OK && !eof && kind == PL_COMP_NONE) {
            rc = read_plain(r, read, opaque, file_fd); /* reads to the end */
            eof = true;
        }
        while (rc == PLUCK_OK && !eof) {
            ptrdiff_t n = read(opaque, buf, CHUNK);
            if (n < 0) {
                rc = fail_msg(r, PLUCK_E_READ_ERROR, "The input could not be read.");
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
        flush(r);
        return rc;
    }
    return pluck_run_finish(r);
}

pluck_code pluck_run_read(pluck_run *r, pluck_read_fn read, void *opaque)
{
    return run_read(r, read, opaque, -1);
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
    return run_read(r, fd_read, &fd, file ? fd : -1);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

/* The conjuncts of WHERE's AND chain, in evaluation order, with room for a batch's
 * selection vector (filter_batch). */
static bool flatten_and(pluck_run *r, const pl_node *n)
{
    if (n->op == PL_N_AND)
        return flatten_and(r, n->args[0]) && flatten_and(r, n->args[1]);
    if (!r->sel) {
        r->sel = malloc(BATCH_RECORDS * sizeof *r->sel);
        r->unknown = malloc(BATCH_RECORDS);
        if (!r->sel || !r->unknown)
            return false;
    }
    const pl_node **c = realloc(r->conj, (r->nconj + 1) * sizeof *c);
    if (!c)
        return false;
    r->conj = c;
    r->conj[r->nconj++] = n;
    return true;
}

pluck_run *pluck_run_create(const pluck_query *q, pluck_write_fn write, void *opaque)
{
    if (!q)
        return NULL;
    pluck_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->q = q;
    r->write = write;
    r->wop = opaque;
    r->step_left = SIZE_MAX;
    r->stats.codec = "";
    r->scan = pl_scanner_create(&q->params.in, q->params.max_record_size, BATCH_RECORDS);
    r->colmap = calloc(q->ncolrefs ? q->ncolrefs : 1, sizeof *r->colmap);
    uint32_t nkeys = q->ngroup_by > q->norder_by ? q->ngroup_by : q->norder_by;
    r->keys = calloc(nkeys ? nkeys : 1, sizeof *r->keys);
    /* The window always has a buffer, even when nothing ever arrives (an empty stream, zstd
     * skippable frames only): pointer arithmetic and memcpy on NULL are undefined, even for
     * 0 bytes (F21 in tests/HARDENING.md).  It grows on the first input. */
    r->win = malloc(1);
    r->wcap = 1;
    if (q->is_aggregate) {
        r->groups = pl_groups_create(q->ngroup_by, q->naggs, q->params.max_groups);
        if (r->groups && !q->ngroup_by && pl_groups_find(r->groups, NULL, &r->single))
            r->single = NULL;
    }
    if (q->norder_by)
        r->topn = pl_topn_create(q->norder_by, q->order_desc, q->has_limit ? q->limit : SIZE_MAX,
                                 q->params.max_groups);
    if (!r->scan || !r->colmap || !r->keys || !r->win || (q->is_aggregate && !r->groups) ||
        (q->is_aggregate && !q->ngroup_by && !r->single) || (q->norder_by && !r->topn)) {
        pluck_run_free(r);
        return NULL;
    }
    if (q->where && !flatten_and(r, q->where)) {
        pluck_run_free(r);
        return NULL;
    }
    r->stats.scan_kernel = pl_scanner_kernel(r->scan);
    /* the prefilter measures the lines it skips only where they cross 64-byte blocks */
    r->pf_off = q->params.max_record_size < 64;
    pl_writer_init(&r->out, &q->params.out);
    pl_scanner_set_max_fields(r->scan, UINT32_MAX);
    if (q->params.header == PL_HDR_NONE)
        bind_columns(r); /* positions only: cannot fail */
    /* else the first record is cut whole and columns are bound once it is read */
    if (q->has_limit && q->limit == 0)
        r->state = PLUCK_STOP; /* LIMIT 0: nothing to read at all */
    return r;
}

void pluck_run_free(pluck_run *r)
{
    if (!r)
        return;
    pl_codec_free(r->codec);
    pl_scanner_free(r->scan);
    free(r->win);
    free(r->colmap);
    pl_groups_free(r->groups);
    pl_topn_free(r->topn);
    free(r->keys);
    pl_arena_free(&r->hdr_arena);
    pl_arena_free(&r->scratch);
    pl_writer_free(&r->out);
    free(r->cuts);
    free(r->conj);
    free(r->sel);
    free(r->unknown);
    free(r);
}

void pluck_run_set_progress(pluck_run *r, pluck_progress_fn fn, void *opaque)
{
    r->progress = fn;
    r->pop = opaque;
    r->next_progress = 0;
}

void pluck_run_set_source_size(pluck_run *r, uint64_t size) { r->stats.source_size = size; }

void pluck_run_set_live(pluck_run *r, int live) { r->live = live != 0; }

void pluck_run_stats(const pluck_run *r, pluck_stats *out) { *out = r->stats; }

const pluck_error *pluck_run_error(const pluck_run *r) { return &r->err; }

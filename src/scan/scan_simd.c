/*
 * scan_simd.c — stage 2 of the SIMD kernels, and how the two paths take turns.
 *
 * A SIMD kernel runs two record loops in turn:
 *  - the fast path (scan_kernel.h, per instruction set): records with no quote where it
 *    matters, straight from each 64-byte window's masks, no events stored.  Nearly all
 *    records of machine-written CSV go this way.
 *  - the walker (here): from the first record the fast path cannot take, until a record
 *    goes through without a quote, then the fast path resumes.
 *
 * The walker's stage 1 (scan_kernel.h) hands over, in ascending order, the positions of
 * every field delimiter and record delimiter outside quotes (record delimiters inside
 * quotes as well when they end records regardless), every quote byte, and every escape
 * byte inside quotes.  "Inside quotes" there is the prefix XOR of all quote bytes since
 * the last restart, a record start, carried from block to block.  That is the true quoting
 * only while every quote is where a well-formed field puts it, so the walker checks exactly
 * that as it goes, field by field:
 *  - an unquoted field holds no quote byte (no quote event before its delimiter);
 *  - a quoted field starts with its quote, holds only doubled quotes (when the escape is
 *    the quote itself) and ends with a quote followed by a field delimiter, the record
 *    delimiter (a CR before "\n" allowed) or the end of the input.
 * By induction over the fields of a record, when every field passes, the prefix XOR agreed
 * with the real quoting at every byte, so the fields cut here are the scalar kernel's.
 * The first field that does not pass (a quote inside an unquoted field, a distinct escape
 * character in use, a malformed or unterminated quote, a comment, an oversized record)
 * sends the whole record to pl_scan_scalar_record(), which decides it — errors included —
 * and the fast path, which starts afresh at each record, takes over after it.
 *
 * Projection pushdown: fields after max_fields are walked and checked like the others but
 * not stored, as the scalar kernel does for records with a quote past the last cut field
 * (whether a record is well formed must not depend on the columns a query reads).
 */
#include "scan/scan_internal.h"

#include <string.h>

/* Stage 1 runs ahead of stage 2 by one span.  After a restart the span starts small, so
 * input that restarts often (every record sent to the scalar code) does not pay for
 * indexing far ahead each time; it doubles while records go through. */
#define SPAN_MIN 256

typedef struct walk {
    size_t ei, en;   /* next event, number of events in s->ev */
    size_t idx_end;  /* bytes before this are indexed */
    uint64_t carry;  /* in-quote state at idx_end */
    size_t span;
} walk;

static inline void restart(walk *w, size_t at, size_t span)
{
    w->ei = w->en = 0;
    w->idx_end = at;
    w->carry = 0;
    w->span = span;
}

/* Index the next span.  False when the buffer is indexed to its end and every event used. */
static bool refill(const pl_scanner *s, walk *w, const char *buf, size_t len)
{
    while (w->ei == w->en) {
        if (w->idx_end >= len)
            return false;
        size_t from = w->idx_end;
        size_t to = len - from > w->span ? from + w->span : len;
        w->en = s->stage1(&s->cfg, buf, from, to, &w->carry, s->ev);
        w->ei = 0;
        w->idx_end = to;
        if (w->span < PL_SPAN_MAX)
            w->span *= 2;
    }
    return true;
}

/* Is there an event at index w->ei (indexing more if needed)? */
#define HAVE_EVENT() (w.ei < w.en || refill(s, &w, buf, len))

/* Records from st->pos through the events, until one goes through that held no quote (the
 * fast path can take over again), one was sent to the scalar code, the batch is full, the
 * input ends or something fails. */
static void walk_records(pl_scanner *s, pl_scan_state *st)
{
    pl_batch *b = &s->batch;
    const char *const buf = st->buf;
    const size_t len = st->len;
    const bool final = st->final;
    const unsigned char fd = s->fd, rd = s->rd0;
    const int quote = s->quote, esc = s->esc, comment = s->comment;
    const bool crlf = s->crlf;
    const uint32_t maxf = s->max_fields;
    const size_t max_rec = s->max_rec;
    const uint32_t *const ev = s->ev;

    walk w;
    restart(&w, st->pos, SPAN_MIN);
    size_t pos = st->pos, nft = st->nft;
    uint64_t recno = st->recno;

    while (b->nrec < s->batch_cap && pos < len) {
        const size_t first = nft;
        /* Scratch holds len bytes, enough for each byte unescaped once: a record handed to
         * the scalar code must give back what this walk used of it. */
        const size_t sused0 = st->sused;
        uint32_t nf = 0;
        size_t fs = pos;    /* start of the current field */
        size_t rec_end, next;
        bool quoted = false;

        if ((int)(unsigned char)buf[pos] == comment)
            goto fallback;

        for (;;) { /* one event per turn */
            if (PL_UNLIKELY(!HAVE_EVENT())) {
                /* No delimiter up to the end of the buffer. */
                if (!final)
                    goto incomplete;
                rec_end = len;
                next = len;
                goto last_field;
            }
            size_t e = ev[w.ei];
            unsigned char c = (unsigned char)buf[e];
            if (PL_LIKELY(c == fd)) {
                w.ei++;
                if (PL_LIKELY(nf < maxf)) {
                    if (PL_UNLIKELY(nft == s->fcap) && !pl_scan_grow_fields(s, nft + 1))
                        goto oom;
                    pl_field *f = &b->fields[nft++];
                    f->p = buf + fs;
                    f->len = (uint32_t)(e - fs);
                    nf++;
                }
                fs = e + 1;
                continue;
            }
            if (c == rd) {
                w.ei++;
                rec_end = e;
                next = e + 1;
                goto last_field;
            }
            if ((int)c != quote || e != fs)
                goto fallback; /* a quote inside an unquoted field, or an escape */

            /* A quoted field: the events up to its closing quote are quotes only. */
            w.ei++;
            quoted = true;
            bool unesc = false;
            size_t close;
            for (;;) {
                if (!HAVE_EVENT()) {
                    if (!final)
                        goto incomplete;
                    goto fallback; /* unterminated: the scalar code words the error */
                }
                close = ev[w.ei];
                if ((int)(unsigned char)buf[close] != quote)
                    goto fallback; /* escape, or a record delimiter inside quotes */
                w.ei++;
                if (esc == quote && close + 1 < len &&
                    (int)(unsigned char)buf[close + 1] == quote) {
                    /* a doubled quote: its second half is the next event */
                    if (!HAVE_EVENT() || ev[w.ei] != close + 1)
                        goto fallback;
                    w.ei++;
                    unesc = true;
                    continue;
                }
                break;
            }
            size_t after = close + 1;
            bool ends = false;
            if (after == len) {
                if (!final)
                    goto incomplete;
                rec_end = next = len;
                ends = true;
            } else {
                unsigned char a = (unsigned char)buf[after];
                size_t at = after; /* where the delimiter event must be */
                if (a == '\r' && crlf) {
                    if (after + 1 == len) {
                        if (!final)
                            goto incomplete;
                        rec_end = after;
                        next = len;
                        ends = true;
                        at = PL_NPOS;
                    } else if (buf[after + 1] == '\n') {
                        at = after + 1;
                        rec_end = after;
                        next = after + 2;
                        ends = true;
                    } else {
                        goto fallback;
                    }
                } else if (a == rd) {
                    rec_end = after;
                    next = after + 1;
                    ends = true;
                } else if (a != fd) {
                    goto fallback; /* a closing quote followed by data */
                }
                if (at != PL_NPOS) {
                    if (!HAVE_EVENT() || ev[w.ei] != at)
                        goto fallback;
                    w.ei++;
                }
            }
            if (ends && rec_end - pos > max_rec)
                goto fallback;
            if (nf < maxf) {
                if (PL_UNLIKELY(nft == s->fcap) && !pl_scan_grow_fields(s, nft + 1))
                    goto oom;
                pl_field *f = &b->fields[nft++];
                size_t flen = close - fs - 1;
                if (!unesc) {
                    f->p = buf + fs + 1;
                    f->len = (uint32_t)flen;
                } else {
                    if (!pl_scan_scratch(s, st))
                        goto oom;
                    char *out = s->scratch + st->sused;
                    size_t olen = pl_scan_unescape(out, buf + fs + 1, flen, quote, esc);
                    st->sused += olen;
                    f->p = out;
                    f->len = (uint32_t)olen;
                }
                nf++;
            }
            if (ends)
                goto commit;
            fs = after + 1;
        }

    last_field:
        /* An unquoted last field runs to the record's end, less a CR before "\n". */
        if (crlf && rec_end > pos && buf[rec_end - 1] == '\r')
            rec_end--;
        if (rec_end - pos > max_rec)
            goto fallback;
        if (rec_end == pos) { /* an empty record: skipped, but numbered */
            recno++;
            pos = next;
            continue;
        }
        if (nf < maxf) {
            if (PL_UNLIKELY(nft == s->fcap) && !pl_scan_grow_fields(s, nft + 1))
                goto oom;
            pl_field *f = &b->fields[nft++];
            f->p = buf + fs;
            f->len = (uint32_t)(rec_end - fs);
            nf++;
        }

    commit:;
        uint32_t i = b->nrec++;
        b->first[i] = (uint32_t)first;
        b->nfields[i] = nf;
        b->offset[i] = st->base + pos;
        b->recno[i] = ++recno;
        pos = next;
        if (!quoted)
            break;
        continue;

    fallback:
        /* The scalar kernel's code decides this record, from its first byte. */
        st->pos = pos;
        st->nft = first;
        st->sused = sused0;
        st->recno = recno;
        {
            pl_scan_fail f = pl_scan_scalar_record(s, st);
            if (f != F_NONE) {
                st->fail = f;
                return;
            }
        }
        return;

    incomplete:
        st->pos = pos;
        st->nft = first;
        st->recno = recno;
        st->fail = F_INCOMPLETE;
        return;

    oom:
        st->pos = pos;
        st->nft = first;
        st->recno = recno;
        st->fail = F_OOM;
        return;
    }
    st->pos = pos;
    st->nft = nft;
    st->recno = recno;
}

void pl_scan_simd_loop(pl_scanner *s, pl_scan_state *st)
{
    const pl_batch *b = &s->batch;
    for (;;) {
        s->fast(s, st);
        if (b->nrec >= s->batch_cap || st->pos >= st->len)
            return;
        walk_records(s, st);
        if (st->fail != F_NONE || b->nrec >= s->batch_cap || st->pos >= st->len)
            return;
    }
}

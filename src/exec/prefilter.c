/*
 * prefilter.c — the executor's literal prefilter.
 *
 * When every selected record must contain a literal (see bind.c), lines without it are
 * skipped before the scanner ever sees them; candidate lines are scanned and the full
 * predicate still decides.  Skipped lines still count as scanned records.
 */
#include "exec/exec.h"

#include <string.h>

/* Skip the lines from pos that cannot match; return the new pos and set *limit to the end
 * of the next candidate line (the window end when there is none).  A line holding a quote
 * character may be malformed, so the scanner must see it to say so: quotes are candidates
 * too; so are lines too long to skip unread (the scanner reports OverMaxRecordSize).  One
 * pass (pl_scanner_find) finds the candidates and counts the skipped lines. */
size_t pl_exec_prefilter(pl_exec *x, const char *w, size_t n, size_t pos, bool final,
                         size_t *limit)
{
    const pluck_query *q = x->q;
    const char *end = w + n;
    const size_t litlen = q->prefilter_len;
    const pl_find f = {.first = (unsigned char)q->prefilter[0],
                       .last = (unsigned char)q->prefilter[litlen - 1],
                       .dist = (uint32_t)(litlen - 1),
                       .quote = q->params.in.quote};
    pl_find_pos fp = {0};
    size_t at = pos;
    const char *hit = NULL;
    while (at < n) {
        size_t k = at + pl_scanner_find(x->scan, &f, w + at, n - at, &fp);
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
            *limit = n;
        return pos;
    }
    if (hit) {
        const char *eol = memchr(hit, '\n', (size_t)(end - hit));
        *limit = eol ? (size_t)(eol + 1 - w) : n;
    } else if ((size_t)(end - skip_to) > q->params.max_record_size + (final ? 0 : 1)) {
        /* the line after the skipped ones is already too long (with more to come, a CR
         * before its newline would not count): the scanner reports it, instead of the
         * window growing without bound */
        *limit = n;
    } else {
        if (final && skip_to < end) {
            skip_to = end;
            fp.lines++; /* the last line, without its newline */
        }
        *limit = (size_t)(skip_to - w);
    }
    x->pf_seen += *limit - pos;
    x->pf_skipped += (size_t)(skip_to - (w + pos));
    x->skipped += fp.lines;
    x->records_scanned += fp.lines;
    return (size_t)(skip_to - w);
}

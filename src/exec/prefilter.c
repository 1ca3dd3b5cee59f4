/*
 * prefilter.c — the executor's literal prefilter.
 *
 * When every selected record must contain a literal (see bind.c), lines without it are
 * skipped before the scanner ever sees them; candidate lines are scanned and the full
 * predicate still decides.  Skipped lines still count as scanned records.  A line with a
 * quote character is skipped too when the literal is not in it and its quoting is valid:
 * then the scanner would have found no error in it either.  The SIMD kernels judge that
 * from their block masks, many lines per block (pl_scanner_skip, scan/scan_kernel.h); what
 * they cannot vouch for (a quote inside an unquoted field, another escape character, the
 * scalar kernel) comes here line by line: pl_scanner_find stops at the quote and
 * quotes_valid reads the line.
 */
#include "exec/exec.h"

#include <string.h>

/* Whether the line p[0, n) (without its newline) may be skipped for its quoting: every field
 * that starts with the quote ends with one followed by the field delimiter or the line's end
 * (a CR before the newline is dropped), a doubled quote inside quotes being one quote when
 * escape == quote; a quote inside an unquoted field is data.  Skipping such a line unparsed
 * cannot skip an error.  An escape character other than the quote inside quotes makes the
 * line a candidate whatever follows: the escape is not part of the value, so the value may
 * hold the literal that the raw bytes do not (F22 in tests/HARDENING.md). */
static bool quotes_valid(const char *p, size_t n, const pl_dialect *d)
{
    if (n && p[n - 1] == '\r')
        n--;
    const int q = d->quote, e = d->escape;
    const char fd = (char)d->field_delim;
    size_t i = 0;
    for (;;) {
        if (i < n && (unsigned char)p[i] == q) {
            for (i++;; i++) {
                if (i >= n)
                    return false; /* still open at the record's end */
                int c = (unsigned char)p[i];
                if (c == e && e != q)
                    return false; /* it vanishes from the value ("FA\IL" is FAIL), so the
                                   * literal could be there without being in the bytes */
                if (c == q) {
                    if (e == q && i + 1 < n && (unsigned char)p[i + 1] == q) {
                        i++; /* a doubled quote */
                        continue;
                    }
                    break;
                }
            }
            i++; /* past the closing quote */
            if (i == n)
                return true;
            if (p[i] != fd)
                return false; /* CSVUnescapedQuote */
            i++;
            continue;
        }
        const char *next = memchr(p + i, fd, n - i);
        if (!next)
            return true;
        i = (size_t)(next - p) + 1;
    }
}

static bool has_literal(const char *p, size_t n, const char *lit, size_t len)
{
    for (const char *end = p + n; (size_t)(end - p) >= len;) {
        const char *c = memchr(p, lit[0], (size_t)(end - p) - len + 1);
        if (!c)
            return false;
        if (!memcmp(c, lit, len))
            return true;
        p = c + 1;
    }
    return false;
}

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
                       .quote = q->params.in.quote,
                       .comment = q->params.in.comment};
    const pl_skip sk = {.lit = q->prefilter, .len = litlen,
                        .max_line = q->params.max_record_size};
    pl_find_pos fp = {0};
    size_t at = pos;
    bool line_start = true; /* w + at starts a line */
    const char *hit = NULL;
    while (at < n) {
        if (line_start) {
            /* whole lines, quoted ones too, from the SIMD masks; the lines they pass are
             * within max_record_size, so fp.longest needs no update */
            size_t lines;
            size_t s = pl_scanner_skip(x->scan, &sk, w + at, n - at, &lines);
            if (lines) {
                fp.lines += lines;
                fp.line = 0;
                at += s;
            }
        }
        size_t k = at + pl_scanner_find(x->scan, &f, w + at, n - at, &fp);
        if (k >= n)
            break;
        const size_t lstart = (size_t)((ptrdiff_t)at + fp.line); /* the line k is in */
        if ((k == lstart && ((int)(unsigned char)w[k] == f.comment || w[k] == '\n')) ||
            (k == lstart + 1 && w[k] == '\n')) {
            /* a comment, an empty or a one-byte line: the scanner says what it is, and
             * counts it (RecordsScanned excludes comments and empty lines: F23) */
            hit = w + k;
            break;
        }
        if ((int)(unsigned char)w[k] == f.quote) {
            /* a line with quotes: skipped too when the literal is not in it and its quoting
             * is valid (so the scanner would find no error in it) */
            const char *ls = w + lstart, *eol = memchr(w + k, '\n', n - k);
            if (!eol || (size_t)(eol + 1 - ls) > q->params.max_record_size ||
                has_literal(ls, (size_t)(eol - ls), q->prefilter, litlen) ||
                !quotes_valid(ls, (size_t)(eol - ls), &q->params.in)) {
                hit = w + k;
                break;
            }
            if ((size_t)(eol + 1 - ls) > fp.longest)
                fp.longest = (size_t)(eol + 1 - ls);
            fp.lines++;
            fp.line = 0;
            at = (size_t)(eol + 1 - w);
            line_start = true;
            continue;
        }
        if (n - k >= litlen && !memcmp(w + k, q->prefilter, litlen)) {
            hit = w + k;
            break;
        }
        /* first and last byte matched, the middle did not: search on after it */
        fp.line -= (ptrdiff_t)(k + 1 - at);
        at = k + 1;
        line_start = false;
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
    } else if (final && skip_to < end && end - skip_to >= 2 &&
               (int)(unsigned char)*skip_to != f.comment) {
        /* the last line, without its newline, is a data record (not a comment, not one byte:
         * a lone CR is an empty record, F24): skipped too */
        skip_to = end;
        fp.lines++;
        *limit = (size_t)(skip_to - w);
    } else {
        /* the lines skipped; a last line that may not be a data record goes to the scanner */
        *limit = final && skip_to < end ? n : (size_t)(skip_to - w);
    }
    x->pf_seen += *limit - pos;
    x->pf_skipped += (size_t)(skip_to - (w + pos));
    /* skipped lines are numbered as records, so the scanner's record numbers (in errors and
     * their messages) count them */
    pl_scanner_set_recno(x->scan, pl_scanner_recno(x->scan) + fp.lines);
    x->records_scanned += fp.lines;
    return (size_t)(skip_to - w);
}

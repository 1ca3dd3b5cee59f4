/*
 * scan_scalar.c — the scalar CSV kernel, and the per-record code every kernel falls back to.
 *
 * Almost all real CSV has no quote at the start of any field, and the fields are short.
 * So a record is found first, with memchr on the record delimiter (its first byte, then a
 * compare for multi-byte delimiters), and its fields are then cut inside that span eight
 * bytes at a time (memchr per field where that word trick is unavailable).  Only the first
 * byte of a field decides whether it is quoted, so quote handling is paid only by fields
 * that start with a quote, and the escape character costs nothing outside quoted fields.
 *
 * With AllowQuotedRecordDelimiter TRUE the first record delimiter is only a candidate end:
 * a quoted field may run past it, in which case the search for the end restarts after the
 * closing quote.  The record is never shorter than the candidate, which is what makes the
 * size check on the candidate valid.
 *
 * This is the oracle: the SIMD kernels commit only records on which they provably agree
 * with it and call pl_scan_scalar_record() for everything else, so every error (code,
 * record, byte) comes from this file whatever the kernel.
 *
 * Choices scan.h leaves open:
 *  - a CR ending the input is dropped like one before "\n" (a CRLF file cut short);
 *  - a comment record ends at the first record delimiter, quotes in it are not looked at;
 *  - record size is counted without the delimiter and the dropped CR, and applies to
 *    comment records too (the window must hold them whole);
 *  - an incomplete record is OverMaxRecordSize only once the bytes present prove it: more
 *    than max_record_size plus what could still be a CR or a partial delimiter (1 for
 *    "\n", len-1 for multi-byte delimiters), so the window needs that much slack;
 *  - error byte offsets: the closing quote that is followed by data (CSVUnescapedQuote),
 *    the record delimiter inside the quotes (CSVEscapingRecordDelimiter), the opening
 *    quote (CSVParsingError), the record's first byte (OverMaxRecordSize).
 */
#include "scan/scan_internal.h"

#include <stdlib.h>
#include <string.h>

#define NPOS PL_NPOS

/* With fields of a few bytes, a memchr call per field costs more in call overhead and
 * mispredicted exits than the search itself (lineitem: 1.15 GB/s with memchr, 1.7-1.9 GB/s
 * with words).  One 8-byte load gives every delimiter in the word as a bit mask, and the
 * following fields of the same word come from that mask without touching memory again.
 * Needs a little-endian byte order (the lowest set bit is the first byte) and
 * __builtin_ctzll; elsewhere memchr is used. */
#ifndef PL_SWAR /* -DPL_SWAR=0 builds the portable path for testing */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PL_SWAR 1
#else
#define PL_SWAR 0
#endif
#endif

/* Records up to this long take the fast loop, which reserves a field per byte. */
#define FAST_RECORD 4096

/* Fields are uint32 lengths; a larger limit could not be honoured anyway. */
#define MAX_RECORD_CAP ((size_t)UINT32_MAX)

/* First full record delimiter at or after `from`, or NPOS.  A multi-byte delimiter cut by
 * the end of buf is not found, so the record counts as incomplete (or, at end of input, the
 * partial delimiter is data). */
static inline size_t find_rd(const pl_scanner *s, const char *buf, size_t from, size_t len)
{
    if (s->rdlen == 1) {
        const char *q = memchr(buf + from, s->rd0, len - from);
        return q ? (size_t)(q - buf) : NPOS;
    }
    size_t i = from;
    while (len - i >= s->rdlen) {
        const char *q = memchr(buf + i, s->rd0, len - i - s->rdlen + 1);
        if (!q)
            return NPOS;
        if (memcmp(q + 1, s->rd + 1, s->rdlen - 1u) == 0)
            return (size_t)(q - buf);
        i = (size_t)(q - buf) + 1;
    }
    return NPOS;
}

/* The closing quote of a quoted field whose content starts at p, searching [p, lim); NULL
 * when it is not there.  *unesc is set when the content holds escape sequences. */
static const char *find_close(const char *p, const char *lim, int quote, int esc, bool *unesc)
{
    if (esc == quote) {
        for (;;) {
            const char *q = memchr(p, quote, (size_t)(lim - p));
            if (!q)
                return NULL;
            if (q + 1 < lim && (unsigned char)q[1] == quote) {
                *unesc = true;
                p = q + 2;
                continue;
            }
            return q;
        }
    }
    if (esc < 0)
        return memchr(p, quote, (size_t)(lim - p));
    /* Keep the last quote found: many escapes before one quote must not rescan to it each
     * time. */
    const char *qq = NULL;
    for (;;) {
        if (!qq || qq < p) {
            qq = memchr(p, quote, (size_t)(lim - p));
            if (!qq)
                return NULL;
        }
        const char *ee = memchr(p, esc, (size_t)(qq - p));
        if (!ee)
            return qq;
        /* a distinct escape character takes the next byte literally, whatever it is (S3:
         * "A\B" is AB); ee < qq, so that byte is there */
        *unesc = true;
        p = ee + 2;
    }
}

/* Same sequence rules as find_close, so both agree on which bytes pair up. */
size_t pl_scan_unescape(char *out, const char *in, size_t n, int quote, int esc)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)in[i];
        if (c == esc && i + 1 < n && (esc != quote || (unsigned char)in[i + 1] == quote)) {
            out[o++] = in[i + 1];
            i += 2;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    return o;
}

#if PL_SWAR
/* High bit of each byte of x that is zero, exactly (no borrow between bytes, so later
 * bits of the mask are as trustworthy as the first). */
static inline uint64_t zero_bytes(uint64_t x)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
    return ~(((x & lo7) + lo7) | x | lo7);
}
#endif


bool pl_scan_scratch(pl_scanner *s, pl_scan_state *st)
{
    if (st->scratch_ok)
        return true;
    /* Sized for the whole call up front (unescaping only shrinks), so pointers handed out
     * earlier in the batch stay valid. */
    if (s->scap < st->len) {
        char *n = realloc(s->scratch, st->len);
        if (!n)
            return false;
        s->scratch = n;
        s->scap = st->len;
    }
    st->scratch_ok = true;
    return true;
}

/* The record at st->pos: the body of the scalar record loop.  Inlined into that loop (hot)
 * and also compiled on its own as pl_scan_scalar_record() for the SIMD kernels' fallback. */
static inline __attribute__((always_inline)) pl_scan_fail scalar_record(pl_scanner *s,
                                                                        pl_scan_state *st)
{
    pl_batch *b = &s->batch;
    const char *const buf = st->buf;
    const size_t len = st->len;
    const bool final = st->final;
    const size_t pos = st->pos;
    const unsigned char fd = s->fd;
    const int quote = s->quote, esc = s->esc;
#if PL_SWAR
    const uint64_t fdpat = 0x0101010101010101ull * fd;
    const uint64_t qpat = 0x0101010101010101ull * (unsigned char)(quote >= 0 ? quote : 0);
    const uint64_t qon = quote >= 0 ? ~(uint64_t)0 : 0; /* no quote: never bail out */
#endif
    const bool aqrd = s->aqrd, crlf = s->crlf;
    const uint32_t maxf = s->max_fields;
    const size_t max_rec = s->max_rec;
    size_t nft = st->nft;
    pl_scan_fail fail = F_NONE;
    size_t fail_at = 0;

    size_t e = find_rd(s, buf, pos, len);
    bool has_delim = e != NPOS;
    if (!has_delim) {
        if (!final) {
            return F_INCOMPLETE;
        }
        e = len;
    }
    size_t rec_end = e;
    if (crlf && rec_end > pos && buf[rec_end - 1] == '\r')
        rec_end--;
    size_t next = has_delim ? e + s->rdlen : len;

    if (rec_end - pos > max_rec) {
        st->fail_at = pos;
        return F_OVERSIZE;
    }
    if (rec_end == pos || (int)(unsigned char)buf[pos] == s->comment) {
        st->comments += rec_end != pos; /* empty records are not comments */
        st->recno++;
        st->pos = next;
        return F_NONE;
    }

    const size_t first = nft;
    uint32_t nf = 0;
    bool store = true;
    size_t p = pos; /* start of the current field */
#if PL_SWAR
    /* wm: delimiters at or after p in the 8 bytes at wp, not yet used */
    const char *wp = NULL;
    uint64_t wm = 0;

    /* The common case gets its own loop: a short record with no quote character in
     * it.  Room for every field it can have is made up front and quotes are looked for
     * in the same words as delimiters, so no field pays a quote or capacity test.
     * Any quote (even one that is data) or the last few bytes of buf hand the rest of
     * the record to the general loop below, from the current field on. */
    if (rec_end - pos <= FAST_RECORD && maxf > 0) {
        size_t need = rec_end - pos + 1;
        if (need > maxf)
            need = maxf;
        if (s->fcap - nft < need && !pl_scan_grow_fields(s, nft + need)) {
            return F_OOM;
        }
        pl_field *fl = b->fields + nft;
        const char *fp = buf + pos, *w = fp;
        const char *const rend = buf + rec_end, *const bend = buf + len;
        for (;;) {
            if (w >= rend) {
                fl->p = fp;
                fl->len = (uint32_t)(rend - fp);
                nft = (size_t)(fl + 1 - b->fields);
                nf++;
                goto record_done;
            }
            if (bend - w < 8)
                break;
            uint64_t v;
            memcpy(&v, w, 8);
            uint64_t mq = zero_bytes(v ^ qpat) & qon;
            if (PL_UNLIKELY(mq) && w + (__builtin_ctzll(mq) >> 3) < rend)
                break;
            uint64_t m = zero_bytes(v ^ fdpat);
            while (m) {
                const char *q = w + (__builtin_ctzll(m) >> 3);
                if (q >= rend)
                    break;
                fl->p = fp;
                fl->len = (uint32_t)(q - fp);
                fl++;
                fp = q + 1;
                if (++nf == maxf)
                    goto fast_out;
                m &= m - 1;
            }
            w += 8;
        }
    fast_out:
        nft = (size_t)(fl - b->fields);
        p = (size_t)(fp - buf);
    }
#endif
    for (;;) {
        if (PL_UNLIKELY(nf >= maxf) && store) {
            /* The skipped fields are not cut, but whether the record is well formed
             * must not depend on which columns the query reads: when a quote could
             * start one of them (with quoted record delimiters, also where it ends),
             * they are walked without being stored.  Quote-free, they are skipped. */
            if (quote < 0 || !memchr(buf + p, quote, rec_end - p))
                break;
            store = false;
        }
        if (p < rec_end && (int)(unsigned char)buf[p] == quote) {
#if PL_SWAR
            wp = NULL;
            wm = 0;
#endif
            bool unesc = false;
            const char *lim = aqrd ? buf + len : buf + rec_end;
            const char *c = find_close(buf + p + 1, lim, quote, esc, &unesc);
            if (!c) {
                if (aqrd && !final) {
                    fail = F_INCOMPLETE;
                } else if (aqrd && len - pos > max_rec) {
                    /* The record runs to the end of input, so it is too long before it
                     * is malformed; fed in pieces it would be reported that way too. */
                    fail = F_OVERSIZE;
                    fail_at = pos;
                } else if (!aqrd && has_delim) {
                    fail = F_ESCAPING_RD;
                    fail_at = e;
                } else {
                    fail = F_UNTERMINATED;
                    fail_at = p;
                }
                break;
            }
            size_t cpos = (size_t)(c - buf);
            size_t after = cpos + 1;
            if (after > rec_end) {
                /* Only with AllowQuotedRecordDelimiter: the field swallowed the
                 * candidate delimiter, so the record ends at a later one. */
                e = find_rd(s, buf, after, len);
                has_delim = e != NPOS;
                if (!has_delim) {
                    if (!final) {
                        fail = F_INCOMPLETE;
                        break;
                    }
                    e = len;
                }
                rec_end = e;
                if (crlf && rec_end > after && buf[rec_end - 1] == '\r')
                    rec_end--;
                next = has_delim ? e + s->rdlen : len;
                if (rec_end - pos > max_rec) {
                    fail = F_OVERSIZE;
                    fail_at = pos;
                    break;
                }
            }
            if (store) {
                if (PL_UNLIKELY(nft == s->fcap) && !pl_scan_grow_fields(s, nft + 1)) {
                    fail = F_OOM;
                    break;
                }
                pl_field *f = &b->fields[nft++];
                size_t flen = cpos - p - 1;
                if (!unesc) {
                    f->p = buf + p + 1;
                    f->len = (uint32_t)flen;
                } else {
                    if (!pl_scan_scratch(s, st)) {
                        fail = F_OOM;
                        break;
                    }
                    char *out = s->scratch + st->sused;
                    size_t olen = pl_scan_unescape(out, buf + p + 1, flen, quote, esc);
                    st->sused += olen;
                    f->p = out;
                    f->len = (uint32_t)olen;
                }
                nf++;
            }
            if (after == rec_end)
                break;
            if (buf[after] != (char)fd) {
                fail = F_UNESCAPED_QUOTE;
                fail_at = cpos;
                break;
            }
            p = after + 1;
        } else {
#if PL_SWAR
            const char *q;
            for (;;) {
                if (wm) {
                    q = wp + (__builtin_ctzll(wm) >> 3);
                    wm &= wm - 1;
                    if (q >= buf + rec_end)
                        q = NULL;
                    break;
                }
                wp = wp ? wp + 8 : buf + p;
                if (wp >= buf + rec_end) {
                    q = NULL;
                    break;
                }
                /* Reading past the record end is fine while inside buf; later bytes
                 * are cut off by the rec_end test above. */
                if ((size_t)(buf + len - wp) >= 8) {
                    uint64_t v;
                    memcpy(&v, wp, 8);
                    wm = zero_bytes(v ^ fdpat);
                } else {
                    for (size_t k = 0; wp + k < buf + len; k++)
                        if ((unsigned char)wp[k] == fd)
                            wm |= (uint64_t)0x80 << (8 * k);
                }
            }
#else
            const char *q = memchr(buf + p, fd, rec_end - p);
#endif
            size_t fe = q ? (size_t)(q - buf) : rec_end;
            if (store) {
                if (PL_UNLIKELY(nft == s->fcap) && !pl_scan_grow_fields(s, nft + 1)) {
                    fail = F_OOM;
                    break;
                }
                pl_field *f = &b->fields[nft++];
                f->p = buf + p;
                f->len = (uint32_t)(fe - p);
                nf++;
            }
            if (!q)
                break;
            p = fe + 1;
        }
    }
    if (fail != F_NONE) {
        st->fail_at = fail_at;
        return fail;
    }
#if PL_SWAR
record_done:;
#endif
    uint32_t i = b->nrec++;
    b->first[i] = (uint32_t)first;
    b->nfields[i] = nf;
    b->offset[i] = st->base + pos;
    b->recno[i] = ++st->recno;
    st->nft = nft;
    st->pos = next;
    return F_NONE;
}

pl_scan_fail pl_scan_scalar_record(pl_scanner *s, pl_scan_state *st)
{
    return scalar_record(s, st);
}

void pl_scan_scalar_loop(pl_scanner *s, pl_scan_state *st)
{
    while (s->batch.nrec < s->batch_cap && st->pos < st->len) {
        pl_scan_fail f = scalar_record(s, st);
        if (f != F_NONE) {
            st->fail = f;
            return;
        }
    }
}

size_t pl_find_scalar_from(const pl_find *f, const char *p, size_t from, size_t n,
                           pl_find_pos *at)
{
    /* not a data record: a comment or an empty line at its start, a one-byte line (a CR
     * alone) at its newline; line starts are looked at where a newline is passed */
    if (from < n && (ptrdiff_t)from == at->line &&
        ((int)(unsigned char)p[from] == f->comment || p[from] == '\n'))
        return from;
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((int)c == f->quote ||
            (c == f->first && n - i > f->dist && (unsigned char)p[i + f->dist] == f->last))
            return i;
        if (c == '\n') {
            if ((ptrdiff_t)i == at->line + 1)
                return i;
            size_t len = (size_t)((ptrdiff_t)i - at->line) + 1;
            if (len > at->longest)
                at->longest = len;
            at->line = (ptrdiff_t)i + 1;
            at->lines++;
            if (i + 1 < n && ((int)(unsigned char)p[i + 1] == f->comment || p[i + 1] == '\n'))
                return i + 1;
        }
    }
    return n;
}

size_t pl_find_scalar(const pl_find *f, const char *p, size_t n, pl_find_pos *at)
{
    return pl_find_scalar_from(f, p, 0, n, at);
}

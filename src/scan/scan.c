/*
 * scan.c — the scalar CSV kernel.
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
 * Errors found after some records were already cut in this call are not returned at once:
 * the batch ends just before the bad record, so the caller can process the good records
 * first, and the next call starts at the bad record and reports the error.  This keeps
 * output identical however the input is split into calls.
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
#include "scan/scan.h"

#include <stdlib.h>
#include <string.h>

#define NPOS SIZE_MAX

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

struct pl_scanner {
    unsigned char fd;
    unsigned char rd0;
    uint8_t rdlen;
    char rd[PL_MAX_DELIM];
    bool crlf; /* record delimiter is exactly "\n": drop a CR before it */
    bool aqrd;
    int quote, esc, comment; /* -1 when off */
    size_t max_rec;
    uint32_t batch_cap;
    uint32_t max_fields;
    uint64_t recno; /* records numbered so far, across calls */

    pl_batch batch;
    size_t fcap;
    char *scratch;
    size_t scap;
};

pl_scanner *pl_scanner_create(const pl_dialect *d, size_t max_record_size,
                              uint32_t batch_records)
{
    pl_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = d->field_delim;
    if (d->record_delim.len == 0 || d->record_delim.len > PL_MAX_DELIM) {
        /* Params validation rejects these; fall back to the default rather than index out
         * of range. */
        s->rd[0] = '\n';
        s->rdlen = 1;
    } else {
        memcpy(s->rd, d->record_delim.s, d->record_delim.len);
        s->rdlen = d->record_delim.len;
    }
    s->rd0 = (unsigned char)s->rd[0];
    s->crlf = s->rdlen == 1 && s->rd[0] == '\n';
    s->aqrd = d->allow_quoted_record_delim;
    s->quote = d->quote >= 0 && d->quote <= 255 ? d->quote : -1;
    /* An escape only matters inside quotes. */
    s->esc = s->quote >= 0 && d->escape >= 0 && d->escape <= 255 ? d->escape : -1;
    s->comment = d->comment >= 0 && d->comment <= 255 ? d->comment : -1;
    s->max_rec = max_record_size < MAX_RECORD_CAP ? max_record_size : MAX_RECORD_CAP;
    s->batch_cap = batch_records ? batch_records : 1;
    s->max_fields = UINT32_MAX;

    pl_batch *b = &s->batch;
    b->first = malloc(sizeof *b->first * s->batch_cap);
    b->nfields = malloc(sizeof *b->nfields * s->batch_cap);
    b->offset = malloc(sizeof *b->offset * s->batch_cap);
    b->recno = malloc(sizeof *b->recno * s->batch_cap);
    s->fcap = (size_t)s->batch_cap * 16;
    b->fields = malloc(sizeof *b->fields * s->fcap);
    if (!b->first || !b->nfields || !b->offset || !b->recno || !b->fields) {
        pl_scanner_free(s);
        return NULL;
    }
    return s;
}

void pl_scanner_free(pl_scanner *s)
{
    if (!s)
        return;
    free(s->batch.first);
    free(s->batch.nfields);
    free(s->batch.offset);
    free(s->batch.recno);
    free(s->batch.fields);
    free(s->scratch);
    free(s);
}

void pl_scanner_set_max_fields(pl_scanner *s, uint32_t max_fields) { s->max_fields = max_fields; }

const char *pl_scanner_kernel(const pl_scanner *s) { return "scalar"; }

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
        if (ee + 1 < lim && ((unsigned char)ee[1] == quote || (unsigned char)ee[1] == esc)) {
            *unesc = true;
            p = ee + 2;
        } else {
            p = ee + 1;
        }
    }
}

/* Same sequence rules as find_close, so both agree on which bytes pair up. */
static size_t unescape(char *out, const char *in, size_t n, int quote, int esc)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)in[i];
        if (c == esc && i + 1 < n &&
            ((unsigned char)in[i + 1] == quote || (unsigned char)in[i + 1] == esc)) {
            out[o++] = in[i + 1];
            i += 2;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    return o;
}

/* Make room for `want` fields in all. */
static bool grow_fields(pl_scanner *s, size_t want)
{
    size_t cap = s->fcap;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / sizeof(pl_field))
            return false;
        cap *= 2;
    }
    pl_field *f = realloc(s->batch.fields, cap * sizeof *f);
    if (!f)
        return false;
    s->batch.fields = f;
    s->fcap = cap;
    return true;
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

typedef enum scan_fail {
    F_NONE = 0,
    F_INCOMPLETE,
    F_OOM,
    F_OVERSIZE,
    F_UNESCAPED_QUOTE,
    F_ESCAPING_RD,
    F_UNTERMINATED
} scan_fail;

pluck_code pl_scan(pl_scanner *s, const char *buf, size_t len, uint64_t base, bool final,
                   pl_batch **bp, size_t *consumed, pluck_error *err)
{
    pl_batch *b = &s->batch;
    b->nrec = 0;
    *bp = b;
    *consumed = 0;

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

    size_t pos = 0;     /* start of the current record */
    size_t nft = 0;     /* fields used in b->fields */
    size_t sused = 0;   /* bytes used in scratch */
    bool scratch_ok = false;
    uint64_t recno = s->recno;
    scan_fail fail = F_NONE;
    size_t fail_at = 0; /* byte of the failure, relative to buf */

    while (b->nrec < s->batch_cap && pos < len) {
        size_t e = find_rd(s, buf, pos, len);
        bool has_delim = e != NPOS;
        if (!has_delim) {
            if (!final) {
                fail = F_INCOMPLETE;
                break;
            }
            e = len;
        }
        size_t rec_end = e;
        if (crlf && rec_end > pos && buf[rec_end - 1] == '\r')
            rec_end--;
        size_t next = has_delim ? e + s->rdlen : len;

        if (rec_end - pos > max_rec) {
            fail = F_OVERSIZE;
            fail_at = pos;
            break;
        }
        if (rec_end == pos || (int)(unsigned char)buf[pos] == s->comment) {
            recno++;
            pos = next;
            continue;
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
            if (s->fcap - nft < need && !grow_fields(s, nft + need)) {
                fail = F_OOM;
                break;
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
                /* Without quoted record delimiters the end is already known, so the rest
                 * of the record is not looked at: a malformed quote in a skipped field then
                 * goes undetected, which is the price of pushdown.  With them, skipped
                 * fields must still be walked if a quote could start one. */
                if (!aqrd || quote < 0 || !memchr(buf + p, quote, rec_end - p))
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
                    if (PL_UNLIKELY(nft == s->fcap) && !grow_fields(s, nft + 1)) {
                        fail = F_OOM;
                        break;
                    }
                    pl_field *f = &b->fields[nft++];
                    size_t flen = cpos - p - 1;
                    if (!unesc) {
                        f->p = buf + p + 1;
                        f->len = (uint32_t)flen;
                    } else {
                        if (!scratch_ok) {
                            /* Sized for the whole call up front (unescaping only shrinks),
                             * so pointers handed out earlier in the batch stay valid. */
                            if (s->scap < len) {
                                char *n = realloc(s->scratch, len);
                                if (!n) {
                                    fail = F_OOM;
                                    break;
                                }
                                s->scratch = n;
                                s->scap = len;
                            }
                            scratch_ok = true;
                        }
                        char *out = s->scratch + sused;
                        size_t olen = unescape(out, buf + p + 1, flen, quote, esc);
                        sused += olen;
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
                    if (PL_UNLIKELY(nft == s->fcap) && !grow_fields(s, nft + 1)) {
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
        if (fail != F_NONE)
            break;
#if PL_SWAR
    record_done:;
#endif
        uint32_t i = b->nrec++;
        b->first[i] = (uint32_t)first;
        b->nfields[i] = nf;
        b->offset[i] = base + pos;
        b->recno[i] = ++recno;
        pos = next;
    }

    if (fail == F_INCOMPLETE && !final) {
        /* The trailing bytes may still be a CR or the start of a multi-byte delimiter that
         * belongs to the record's end, so only what lies beyond them proves it too long. */
        size_t slack = crlf ? 1 : (size_t)s->rdlen - 1;
        if (len - pos > slack && len - pos - slack > max_rec) {
            fail = F_OVERSIZE;
            fail_at = pos;
        } else {
            fail = F_NONE;
        }
    }
    if (fail == F_OOM) {
        pl_error_set(err, PLUCK_E_OUT_OF_MEMORY, "out of memory while scanning CSV");
        b->nrec = 0;
        return PLUCK_E_OUT_OF_MEMORY;
    }
    if (fail == F_NONE || b->nrec > 0) {
        s->recno = recno;
        *consumed = pos;
        return PLUCK_OK;
    }

    pluck_code code;
    const char *what;
    switch (fail) {
    case F_OVERSIZE:
        code = PLUCK_E_OVER_MAX_RECORD_SIZE;
        what = "the record is longer than the maximum record size";
        break;
    case F_UNESCAPED_QUOTE:
        code = PLUCK_E_CSV_UNESCAPED_QUOTE;
        what = "a quote in a quoted field is not escaped (a closing quote must be followed by "
               "a field or record delimiter)";
        break;
    case F_ESCAPING_RD:
        code = PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER;
        what = "A quoted record delimiter was found in the file. To allow quoted record "
               "delimiters, set AllowQuotedRecordDelimiter to 'TRUE'.";
        break;
    default:
        code = PLUCK_E_CSV_PARSING_ERROR;
        what = "unterminated quoted field";
        break;
    }
    uint64_t rn = recno + 1;
    uint64_t off = base + fail_at;
    if (code == PLUCK_E_OVER_MAX_RECORD_SIZE)
        pl_error_set(err, code, "CSV error at record %llu, byte %llu: %s (%zu bytes).",
                     (unsigned long long)rn, (unsigned long long)off, what, max_rec);
    else
        pl_error_set(err, code, "CSV error at record %llu, byte %llu: %s",
                     (unsigned long long)rn, (unsigned long long)off, what);
    if (err) {
        err->record = rn;
        err->byte_offset = off;
    }
    /* Nothing is committed, so a retry over the same bytes reports the same error. */
    b->nrec = 0;
    return code;
}

/*
 * scan.h — the CSV scanner: cuts a chunk of decompressed bytes into records and fields.
 *
 * The scanner works a chunk at a time.  The run keeps decompressed bytes in one contiguous
 * window that always begins at a record start; pl_scan() fills a batch of up to
 * `batch_records` complete records from it and says how many bytes it consumed, so the run
 * can slide the unconsumed tail (the start of an incomplete record) to the front and append
 * more.  Fields are returned unquoted and unescaped, as (pointer, length) slices that point
 * into the window when no unescaping was needed and into the scanner's scratch otherwise;
 * they stay valid until the next pl_scan() call or until the window moves.
 *
 * Projection pushdown: only the first `max_fields` fields of each record are cut; the rest
 * of the record is skipped to its end (still tracking quotes where they can hide a record
 * delimiter).
 *
 * Semantics (S3 Select CSVInput, decisions documented in man/pluck.1):
 *  - records end at the record delimiter; when the delimiter is "\n" a CR just before it is
 *    dropped, so CRLF files work with the default;
 *  - empty records (zero bytes) and records whose first byte is the comment character are
 *    skipped (they are still counted in record numbers);
 *  - a field is quoted when its first byte is the quote character; inside it the field
 *    delimiter is data; with escape == quote a doubled quote is one literal quote (RFC
 *    4180); a distinct escape character makes the next byte literal whatever it is
 *    (`"A\B"` is AB, `"A\,"` is `A,`, `"A\""` is `A"`), as S3 does;
 *  - after a closing quote only a field delimiter or the record end may follow, else
 *    CSVUnescapedQuote; a quote inside an unquoted field is data;
 *  - with AllowQuotedRecordDelimiter FALSE every record delimiter ends a record, and a quote
 *    still open there is CSVEscapingRecordDelimiter (CSVParsingError for the last record at
 *    end of input); with TRUE a delimiter inside quotes is data and an unterminated quote at
 *    end of input is CSVParsingError;
 *  - a record longer than max_record_size is OverMaxRecordSize.
 */
#ifndef PL_SCAN_H
#define PL_SCAN_H

#include "common/common.h"

typedef struct pl_field {
    const char *p;
    uint32_t len;
} pl_field;

typedef struct pl_batch {
    uint32_t nrec;       /* records in the batch */
    uint32_t *first;     /* [nrec] index in fields[] of the record's first field */
    uint32_t *nfields;   /* [nrec] fields cut: min(fields in record, max_fields) */
    uint64_t *offset;    /* [nrec] stream offset of the record's first byte */
    uint64_t *recno;     /* [nrec] 1-based record number (header, comments, empties count) */
    pl_field *fields;
} pl_batch;

typedef struct pl_scanner pl_scanner;

/* batch_records: maximum records per batch (e.g. 1024).  Returns NULL on out of memory. */
pl_scanner *pl_scanner_create(const pl_dialect *d, size_t max_record_size,
                              uint32_t batch_records);
void pl_scanner_free(pl_scanner *s); /* accepts NULL */

/* How many leading fields to cut per record; UINT32_MAX for all (SELECT *, the header). */
void pl_scanner_set_max_fields(pl_scanner *s, uint32_t max_fields);

/* Scan complete records from buf[0, len), which starts at a record boundary located at
 * stream offset `base`.  `final` says no more bytes follow buf, so the last record needs no
 * delimiter.  Fills b (owned by the scanner; valid until the next call) and sets *consumed
 * to the bytes used: through the delimiter after the last record in the batch (skipped
 * empty and comment records included).  A batch with nrec == 0 and *consumed == 0 means
 * "no complete record in buf": feed more bytes (or pass final).
 * Returns PLUCK_OK or an input error code, with err filled (record and byte_offset set). */
pluck_code pl_scan(pl_scanner *s, const char *buf, size_t len, uint64_t base, bool final,
                   pl_batch **b, size_t *consumed, pluck_error *err);

/* Records numbered so far (the next record is recno + 1); set by a run that splits its input
 * into blocks scanned by separate scanners. */
uint64_t pl_scanner_recno(const pl_scanner *s);
void pl_scanner_set_recno(pl_scanner *s, uint64_t recno);
/* Comment records skipped so far (for pluck_stats.comment_records). */
uint64_t pl_scanner_comments(const pl_scanner *s);
void pl_scanner_set_comments(pl_scanner *s, uint64_t n);

/* The literal prefilter's search (exec/prefilter.c): where a record may match or must be scanned. */
typedef struct pl_find {
    unsigned char first, last; /* the literal's first and last bytes */
    uint32_t dist;             /* from first to last: the literal's length - 1 */
    int quote;                 /* the quote character, -1 when off */
    int comment;               /* the comment character, -1 when off */
} pl_find;

/* Where the search stands: lines passed and how long they were. */
typedef struct pl_find_pos {
    size_t lines;   /* newlines passed */
    ptrdiff_t line; /* where the current line starts, relative to p (before p: negative) */
    size_t longest; /* the longest line passed, its newline included; exact for lines that
                     * cross a 64-byte block of the search, so exact whenever it is 64 or more */
} pl_find_pos;

/* The first i in [0, n) where p[i] is the quote, or p[i] == first and p[i + dist] == last
 * (i + dist < n), or a line that is not a data record may begin -- p[i] is the comment
 * character or a newline at a line start, or the newline after a one-byte line (a lone CR
 * makes an empty record) -- or n; the newlines in p[0, i) advance *at (p[0] is a line start
 * when at->line is 0).  So the lines passed are all data records, and the prefilter can
 * count them as such.  One pass over the bytes with the scanner's kernel. */
size_t pl_scanner_find(const pl_scanner *s, const pl_find *f, const char *p, size_t n,
                       pl_find_pos *at);

/* The prefilter's line skipper: a literal that contains no quote, field delimiter, CR or
 * newline, and the longest line (its newline included) that may be skipped unparsed. */
typedef struct pl_skip {
    const char *lit;
    size_t len;      /* >= 1 */
    size_t max_line; /* >= 64 */
} pl_skip;

/* From p[0], a line start, pass the whole data lines (not empty, not one byte, not comments)
 * that lack the literal and whose quoting the scanner accepts (so parsing them could neither
 * select them nor fail, and they are records), judged from the
 * SIMD kernel's block masks; return where the first line that needs a closer look starts
 * (0 at once for the scalar kernel and for dialects the masks cannot judge: a quote escape
 * other than the quote itself, no quoting, a record delimiter other than the newline) and set
 * *lines to the lines passed. */
size_t pl_scanner_skip(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                       size_t *lines);

/* Name of the kernel in use ("scalar" until the SIMD kernels land). */
const char *pl_scanner_kernel(const pl_scanner *s);

#endif /* PL_SCAN_H */

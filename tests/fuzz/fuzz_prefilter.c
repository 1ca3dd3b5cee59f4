/*
 * fuzz_prefilter.c — differential fuzzing of the executor's literal prefilter (exec/prefilter.c).
 *
 * The prefilter skips lines that cannot match `col LIKE '%lit%'`, `col = 'lit'` and the like
 * (bind.c: choose_prefilter) before the scanner parses them.  It must never change an
 * answer.  Each input becomes a dialect, a query whose WHERE binds a prefilter (or, for a
 * few shapes, one that does not) and a CSV text; the query is compiled twice and the second
 * compilation's prefilter is cleared (pf_disable: the harness links the library's internals
 * and reaches into the bound program; the public API has no such knob).  Then:
 *
 *   A   prefilter on, the input fed in random chunks (window boundaries anywhere), with the
 *       scanner kernel bits 6-7 of [3] pick (avx2, sse42, scalar, avx2; PLUCK_FORCE_IMPL, as
 *       the unit tests do; one the CPU lacks falls back): the SIMD kernels skip quoted
 *       lines from their block masks (pl_scanner_skip), the scalar one line by line
 *   B   prefilter off, the input in one feed, the scalar kernel (the scanner's oracle)
 *   L   (1 input in 256) the input repeated past 300 KiB (1 in 8 of those: past 1.25 MiB),
 *       prefilter on, pulled by pluck_run_fd() from a memfd with THREADS 2: the main
 *       executor reads the first 256 KiB, lanes take 1 MiB blocks of the rest
 *       (commit/lanes.c); against B over the same bytes.  Rare, because a run over 300 KiB
 *       takes about 0.1 s in this ASan build (tests/e2e/t_prefilter.sh runs lanes often)
 *
 * must agree byte for byte on the output, on the returned code, the error's code, message,
 * record number and byte offset, and on the stats (BytesReturned, RecordsReturned; without
 * LIMIT also RecordsScanned, and BytesProcessed when the run succeeds).  A disagreement is told apart (prefilter
 * or chunking) by a third run, prefilter on in one feed, and aborts with the input.
 *
 * Findings: F22 (an escape in a quoted field hid the literal), F23 (skipped blank and
 * comment lines counted in RecordsScanned), both fixed in d72b85b, and F24 (a lone CR ending
 * the input counted), fixed in 979899c; their inputs are in tests/fuzz/regressions/prefilter/.
 * F24's tolerance (FUZZ_STRICT_PFCREOF unset and PFCREOF in fuzz.sh's OPEN_DEFAULT: then
 * RecordsScanned is not compared when the input ends so, cr_at_end()) is off by default.
 *
 * Input:
 *   [0] dialect: bits 0-1 field delimiter (, ; TAB |), bits 2-3 quote (" ' none "),
 *       bits 4-5 escape (the quote: doubling; \ ; none; the quote), bit 6 comments '#'
 *       (else none), bit 7 header USE (else NONE)
 *   [1] query: bits 0-3 WHERE shape (shapes[] below), bits 4-5 the SELECT list, bit 6 JSON
 *       output, bit 7 LIMIT 2
 *   [2] flags: bits 0-1 columns c and d of the WHERE, bit 2 small MaxRecordSize (64 + [3]),
 *       bit 3 QuoteFields ALWAYS, bit 4 IGNORE header (with bit 7 of [0] clear),
 *       bits 5-7 == 7 and bits 0-4 of [3] clear: the lanes run L (bits 5-7 of [3] clear
 *       too: the large one)
 *   [3] seed of the chunk sizes (and the small MaxRecordSize)
 *   [4] bits 0-2 literal length 1..8, bits 3-4 record delimiter ("\n" "\n" "\r\n" ";"),
 *       bit 5 AllowQuotedRecordDelimiter TRUE; then as many bytes as the literal is long, each
 *       picking a piece (lit_pieces[])
 *   then the CSV text: raw bytes, except that 0xFF followed by an opcode byte is a macro
 *   (expand() below: the literal, near-misses of it, the dialect's quote, escape and
 *   delimiter, CRLF, long fillers near MaxRecordSize, the literal split by an escape or a
 *   doubled quote, invalid UTF-8, repeats of the last line) so that mutations reach the
 *   structures that matter.
 *
 * bind.c gives a prefilter only with the record delimiter "\n" and quoted record delimiters
 * not allowed; with another dialect the two runs must still agree (trivially, while that
 * holds).
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz_common.h"

#include "common/common.h"
#include "exec/program.h"
#include "pluck.h"

#include <sys/mman.h>
#include <unistd.h>

/* The one place that knows how the bound program holds its prefilter. */
static void pf_disable(pluck_query *q)
{
    q->prefilter = NULL;
    q->prefilter_len = 0;
}

static int pf_bound(const pluck_query *q) { return q->prefilter_len > 0; }

/* ---- the dialect and the query --------------------------------------------------------- */

typedef struct dialect {
    char fd, quote, esc; /* quote / esc 0: none */
    int comments, header_use, header_ignore;
} dialect;

static const char *const lit_pieces[] = {"F", "A", "I", "L", "F", "A", "I", "L",
                                         "x", "a", " ", "\xc3\xa9", "#", "0", "\\", "\""};

/* %1$s the column c, %2$s the column d, %3$s the literal (SQL-quoted) */
static const char *const shapes[] = {
    "%1$s LIKE '%%%3$s%%'",
    "%1$s LIKE '%3$s%%'",
    "%1$s LIKE '%%%3$s'",
    "%1$s LIKE '%3$s'",
    "%1$s = '%3$s'",
    "'%3$s' = %1$s",
    "%1$s LIKE '%%%3$s%%' AND %2$s <> 'zz'",
    "%1$s LIKE '%%%3$s%%' AND NOT (%2$s LIKE '%%%3$s%%')",
    "%2$s NOT LIKE '%%x%%' AND %1$s LIKE '%%%3$s%%'",
    "(%1$s LIKE '%%%3$s%%' OR %2$s = 'q') AND %2$s LIKE '%%%3$s%%'",
    "%1$s LIKE '%%%3$s%%' AND %2$s IS NOT MISSING",
    "%2$s BETWEEN 'A' AND 'm' AND %1$s LIKE '%3$s%%'",
    "%1$s IN ('%3$s', 'x') AND %1$s LIKE '%%%3$s%%'",
    "%1$s LIKE '%%%3$s%%' AND %2$s = ''",
    /* controls: no prefilter (an OR at the top; a function that could fail) */
    "%1$s LIKE '%%%3$s%%' OR 1 = 0",
    "%1$s LIKE '%%%3$s%%' AND CHAR_LENGTH(%2$s) >= 0",
};

static const char *const selects[] = {"*", "COUNT(*)", "s._1", "s._3, s._1"};

static int set(pluck_params *p, pluck_param id, const char *v, size_t n)
{
    pluck_error e;
    return pluck_params_set(p, id, v, n, &e) == PLUCK_OK ? 0 : -1;
}

/* ---- the CSV text ------------------------------------------------------------------------ */

typedef struct gen {
    fz_sink out;
    const dialect *d;
    const char *lit;
    size_t litlen;
    size_t maxrec;
    size_t line_start; /* of the current line in out */
} gen;

static void put(gen *g, const char *p, size_t n) { fz_sink_add(&g->out, p, n); }
static void putc1(gen *g, char c) { put(g, &c, 1); }

static void filler(gen *g, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        putc1(g, c);
}

/* The macro `op` (with its argument byte arg, when it takes one; returns 1 then). */
static int expand(gen *g, unsigned op, unsigned arg)
{
    const dialect *d = g->d;
    const char q = d->quote ? d->quote : '"', e = d->esc ? d->esc : '\\';
    const size_t h = g->litlen / 2;
    switch (op % 24) {
    case 0: put(g, g->lit, g->litlen); return 0;
    case 1: put(g, g->lit, g->litlen - 1); return 0; /* all but the last byte */
    case 2: /* first and last bytes match, the middle does not */
        put(g, g->lit, g->litlen);
        if (g->litlen > 2)
            g->out.data[g->out.len - 2] ^= 0x20;
        return 0;
    case 3: putc1(g, q); return 0;
    case 4: putc1(g, e); return 0;
    case 5: putc1(g, d->fd); return 0;
    case 6: put(g, "\r\n", 2); g->line_start = g->out.len; return 0;
    case 7: { /* a line of length arg around MaxRecordSize */
        size_t have = g->out.len - g->line_start;
        size_t want = g->maxrec + (arg % 5) - 2;
        if (want > have && want - have < 4096)
            filler(g, want - have, 'z');
        return 1;
    }
    case 8: /* the literal split by an escape: "FA\IL" */
        putc1(g, q);
        put(g, g->lit, h);
        putc1(g, e);
        put(g, g->lit + h, g->litlen - h);
        putc1(g, q);
        return 0;
    case 9: /* split by a doubled quote: "FA""IL" */
        putc1(g, q);
        put(g, g->lit, h);
        putc1(g, q);
        putc1(g, q);
        put(g, g->lit + h, g->litlen - h);
        putc1(g, q);
        return 0;
    case 10: /* a quoted field holding the literal */
        putc1(g, q);
        put(g, g->lit, g->litlen);
        putc1(g, q);
        return 0;
    case 11: put(g, "\xc3\xa9", 2); return 0;
    case 12: put(g, "\xc3(", 2); return 0; /* invalid UTF-8 */
    case 13: putc1(g, '#'); return 0;
    case 14: { /* the last complete line again, 1..256 times (at most 16 KiB) */
        size_t end = g->line_start, start = end;
        while (start > 0 && g->out.data[start - 1] != '\n')
            start--;
        if (end == 0)
            return 1;
        if (start == end && start > 0) { /* at a line start: the line before it */
            start--;
            while (start > 0 && g->out.data[start - 1] != '\n')
                start--;
        }
        size_t n = end - start, times = arg + 1;
        if (n * times > 16 * 1024)
            return 1;
        char *line = malloc(n);
        FUZZ_CHECK(line, "malloc");
        memcpy(line, g->out.data + start, n); /* fz_sink_add may move the data */
        for (size_t t = 0; t < times; t++)
            fz_sink_add(&g->out, line, n);
        free(line);
        g->line_start = g->out.len;
        return 1;
    }
    case 15: /* an unescaped quote after a quoted field: "a"x */
        putc1(g, q);
        putc1(g, 'a');
        putc1(g, q);
        putc1(g, 'x');
        return 0;
    case 16: /* a quoted field left open to the line's end */
        putc1(g, q);
        put(g, g->lit, g->litlen);
        return 0;
    case 17: /* a quoted field with an escaped quote and an escaped escape */
        putc1(g, q);
        putc1(g, e);
        putc1(g, q);
        put(g, g->lit, g->litlen);
        putc1(g, e);
        putc1(g, e);
        putc1(g, q);
        return 0;
    case 18: /* a quote inside an unquoted field */
        putc1(g, 'b');
        putc1(g, q);
        put(g, g->lit, g->litlen);
        return 0;
    case 19: /* a quoted field with a record delimiter (a quoted newline) */
        putc1(g, q);
        put(g, g->lit, h);
        putc1(g, '\n');
        g->line_start = g->out.len;
        put(g, g->lit + h, g->litlen - h);
        putc1(g, q);
        return 0;
    case 20: filler(g, 64 + (arg & 63) * 16, 'y'); return 1; /* across 64-byte blocks */
    case 21: putc1(g, '\r'); return 0;
    case 22: put(g, "\xef\xbb\xbf", 3); return 0; /* a byte-order mark */
    default: putc1(g, (char)0xFF); return 0;
    }
}

static void build_csv(gen *g, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && g->out.len < 48 * 1024; i++) {
        if (p[i] == 0xFF && i + 1 < n) {
            unsigned op = p[++i];
            unsigned arg = i + 1 < n ? p[i + 1] : 0;
            i += (size_t)expand(g, op, arg);
            continue;
        }
        putc1(g, (char)p[i]);
        if (p[i] == '\n')
            g->line_start = g->out.len;
    }
}

/* ---- the runs ---------------------------------------------------------------------------- */

typedef struct result {
    fz_sink out;
    pluck_code rc;
    pluck_error err;
    pluck_stats st;
    int bound;
    char kernel[16];
} result;

static int sink_write(void *opaque, const char *data, size_t len)
{
    return fz_sink_add(opaque, data, len);
}

static pluck_query *compile(const char *sql, const pluck_params *p, int prefilter)
{
    pluck_error ce;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &ce);
    if (q && !prefilter)
        pf_disable(q);
    return q;
}

/* Run sql over data: pushed in chunks from rng (NULL: one feed), or, with fd >= 0, pulled
 * from fd by pluck_run_fd(). */
static const char *kernel = "scalar"; /* for the next run() */

static void run(const char *sql, const pluck_params *p, int prefilter, const uint8_t *data,
                size_t len, fz_rng *rng, int fd, result *res)
{
    memset(res, 0, sizeof *res);
    setenv("PLUCK_FORCE_IMPL", kernel, 1); /* read by pl_scanner_create, lanes' too */
    pluck_query *q = compile(sql, p, prefilter);
    FUZZ_CHECK(q, "%s compiled once and not again", sql);
    res->bound = pf_bound(q);
    pluck_run *r = pluck_run_create(q, sink_write, &res->out);
    FUZZ_CHECK(r, "pluck_run_create failed");
    pluck_code rc = PLUCK_OK, frc;
    if (fd >= 0) {
        FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
        frc = pluck_run_fd(r, fd);
    } else {
        size_t off = 0;
        while (off < len && rc == PLUCK_OK) {
            size_t n = len - off;
            if (rng) {
                size_t want = fz_rng_range(rng, 1, (rng->s & 3) ? 64 : 4096);
                if (n > want)
                    n = want;
            }
            rc = pluck_run_feed(r, data + off, n);
            off += n;
        }
        frc = pluck_run_finish(r);
        if (pluck_is_error(rc))
            FUZZ_CHECK(frc == rc, "finish after feed error %s gave %s", pluck_code_name(rc),
                       pluck_code_name(frc));
    }
    res->rc = frc;
    res->err = *pluck_run_error(r);
    pluck_run_stats(r, &res->st);
    snprintf(res->kernel, sizeof res->kernel, "%s", res->st.scan_kernel);
    pluck_run_free(r);
    pluck_query_free(q);
    unsetenv("PLUCK_FORCE_IMPL");
    FUZZ_CHECK(frc != PLUCK_E_INTERNAL_ERROR && frc != PLUCK_E_OUT_OF_MEMORY, "%s: %s: %s", sql,
               pluck_code_name(frc), res->err.message);
}

/* F24's pattern: the input ends with a line that is a lone CR. */
static int cr_at_end(const uint8_t *p, size_t n)
{
    if (getenv("FUZZ_STRICT_PFCREOF"))
        return 0;
    return n > 0 && p[n - 1] == '\r' && (n == 1 || p[n - 2] == '\n');
}

static int same(const result *a, const result *b, int limit, int count_ok)
{
    if (a->rc != b->rc || a->out.len != b->out.len ||
        (a->out.len && memcmp(a->out.data, b->out.data, a->out.len)))
        return 0;
    if (a->err.code != b->err.code || strcmp(a->err.message, b->err.message) ||
        a->err.record != b->err.record || a->err.byte_offset != b->err.byte_offset)
        return 0;
    if (a->st.bytes_returned != b->st.bytes_returned ||
        a->st.records_returned != b->st.records_returned)
        return 0;
    if (!limit && count_ok && a->st.records_scanned != b->st.records_scanned)
        return 0;
    /* after an error or the LIMIT a pushed run stops taking input where its feeds end */
    if (!limit && !pluck_is_error(a->rc) && a->st.bytes_processed != b->st.bytes_processed)
        return 0;
    return 1;
}

static void describe(const char *what, const result *r)
{
    fprintf(stderr, "  %s: %s kernel, prefilter %s, %s (record %llu, byte %llu) \"%s\"; "
                    "%zu bytes out, %llu records returned, %llu scanned\n",
            what, r->kernel, r->bound ? "bound" : "off", pluck_code_name(r->rc),
            (unsigned long long)r->err.record, (unsigned long long)r->err.byte_offset,
            r->err.message, r->out.len, (unsigned long long)r->st.records_returned,
            (unsigned long long)r->st.records_scanned);
    fz_dump("output", r->out.data, r->out.len);
}

static void free_result(result *r) { fz_sink_free(&r->out); }

/* The lanes run: data repeated past `size` bytes (with a newline after each copy that lacks
 * one), pulled from a memfd with THREADS 2, against the prefilter off in one feed. */
static void lanes_check(const char *sql, pluck_params *p, const uint8_t *data, size_t len,
                        int limit, size_t size)
{
    if (!len)
        return;
    fz_sink big = {0};
    while (big.len < size) {
        fz_sink_add(&big, (const char *)data, len);
        if (data[len - 1] != '\n')
            fz_sink_add(&big, "\n", 1);
    }
    int fd = memfd_create("fuzz_prefilter", 0);
    FUZZ_CHECK(fd >= 0, "memfd_create");
    FUZZ_CHECK(write(fd, big.data, big.len) == (ssize_t)big.len, "write to memfd");
    pluck_params *p2 = pluck_params_clone(p);
    FUZZ_CHECK(p2 && !set(p2, PLUCK_PARAM_THREADS, "2", 1), "THREADS 2");
    result l, b;
    const char *k = kernel;
    run(sql, p2, 1, NULL, 0, NULL, fd, &l);
    kernel = "scalar";
    run(sql, p, 0, (const uint8_t *)big.data, big.len, NULL, -1, &b);
    kernel = k;
    close(fd);
    if (!same(&l, &b, limit, 1)) { /* each copy ends with a newline */
        fprintf(stderr, "\nquery: %s\n  data: %zu bytes, %zu copies of:\n", sql, big.len,
                big.len / (len + (data[len - 1] != '\n')));
        fz_dump("input", data, len);
        describe("lanes (2 threads, prefilter)", &l);
        describe("one feed, no prefilter", &b);
        FUZZ_CHECK(0, "the lanes run with the prefilter and the run without it disagree");
    }
    free_result(&l);
    free_result(&b);
    pluck_params_free(p2);
    fz_sink_free(&big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6 || size > 64 * 1024)
        return 0;
    fz_in in = {data, size};
    unsigned bd = fz_byte(&in), bq = fz_byte(&in), flags = fz_byte(&in), seed = fz_byte(&in);
    unsigned bl = fz_byte(&in), litn = 1 + (bl & 7);
    static const char *const rds[] = {"\n", "\n", "\r\n", ";"};
    const char *rd = rds[(bl >> 3) & 3];

    static const char fds[] = {',', ';', '\t', '|'};
    static const char qs[] = {'"', '\'', 0, '"'};
    dialect d = {.fd = fds[bd & 3], .quote = qs[(bd >> 2) & 3]};
    switch ((bd >> 4) & 3) {
    case 0:
    case 3: d.esc = d.quote; break;
    case 1: d.esc = '\\'; break;
    case 2: d.esc = 0; break;
    }
    d.comments = (bd >> 6) & 1;
    d.header_use = (bd >> 7) & 1;
    d.header_ignore = !d.header_use && ((flags >> 4) & 1);

    char lit[8 * 2 + 1];
    size_t litlen = 0;
    for (unsigned i = 0; i < litn; i++) {
        const char *pc = lit_pieces[fz_byte(&in) % 16];
        memcpy(lit + litlen, pc, strlen(pc));
        litlen += strlen(pc);
    }
    lit[litlen] = 0;

    /* the query */
    static const char *const cols[] = {"s._1", "s._2", "s._3", "s._2"};
    const char *c = cols[flags & 3], *dcol = cols[(flags + 1) & 3];
    char where[512], sql[1024];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* shapes[] */
    snprintf(where, sizeof where, shapes[bq & 15], c, dcol, lit);
#pragma GCC diagnostic pop
    int limit = (bq >> 7) & 1;
    snprintf(sql, sizeof sql, "SELECT %s FROM S3Object s WHERE %s%s", selects[(bq >> 4) & 3],
             where, limit ? " LIMIT 2" : "");

    /* the parameters */
    pluck_params *p = pluck_params_create();
    FUZZ_CHECK(p, "pluck_params_create");
    int bad = 0;
    bad |= set(p, PLUCK_PARAM_COMPRESSION_TYPE, "NONE", 4);
    bad |= set(p, PLUCK_PARAM_FIELD_DELIMITER, &d.fd, 1);
    bad |= set(p, PLUCK_PARAM_QUOTE_CHARACTER, &d.quote, d.quote ? 1 : 0);
    if (d.esc != d.quote || !d.quote)
        bad |= set(p, PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER, &d.esc, d.esc ? 1 : 0);
    bad |= set(p, PLUCK_PARAM_COMMENTS, "#", d.comments ? 1 : 0);
    bad |= set(p, PLUCK_PARAM_FILE_HEADER_INFO,
               d.header_use ? "USE" : d.header_ignore ? "IGNORE" : "NONE",
               d.header_use ? 3 : d.header_ignore ? 6 : 4);
    if (bq & 64)
        bad |= set(p, PLUCK_PARAM_OUTPUT_FORMAT, "JSON", 4);
    if (flags & 8)
        bad |= set(p, PLUCK_PARAM_QUOTE_FIELDS, "ALWAYS", 6);
    size_t maxrec = 1 << 20;
    if (flags & 4) {
        char v[16];
        maxrec = 64 + seed;
        snprintf(v, sizeof v, "%zu", maxrec);
        bad |= set(p, PLUCK_PARAM_MAX_RECORD_SIZE, v, strlen(v));
    }
    bad |= set(p, PLUCK_PARAM_RECORD_DELIMITER, rd, strlen(rd));
    if (bl & 32)
        bad |= set(p, PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, "TRUE", 4);
    bad |= set(p, PLUCK_PARAM_THREADS, "1", 1);
    pluck_query *probe = bad ? NULL : compile(sql, p, 1);
    if (!probe) { /* a dialect the library refuses (delimiters that clash), a query it does
                   * not compile: not this harness's business */
        pluck_params_free(p);
        return 0;
    }
    pluck_query_free(probe);

    /* the CSV */
    gen g = {.d = &d, .lit = lit, .litlen = litlen, .maxrec = maxrec};
    build_csv(&g, in.p, in.n);
    const uint8_t *csv = (const uint8_t *)(g.out.data ? g.out.data : "");
    size_t len = g.out.len;

    fz_rng rng;
    fz_rng_seed(&rng, seed * 7919u + size);
    result a, b;
    static const char *const kernels[] = {"avx2", "sse42", "scalar", "avx2"};
    kernel = kernels[seed >> 6];
    run(sql, p, 1, csv, len, &rng, -1, &a);
    const char *ka = kernel;
    kernel = "scalar";
    run(sql, p, 0, csv, len, NULL, -1, &b);
    kernel = ka;
    FUZZ_CHECK(!b.bound, "the prefilter is still bound after pf_disable()");
    int count_ok = !cr_at_end(csv, len);
    if (!same(&a, &b, limit, count_ok)) {
        result w; /* prefilter on, one feed: which difference is it? */
        run(sql, p, 1, csv, len, NULL, -1, &w);
        fprintf(stderr, "\nquery: %s\n  dialect: delimiter 0x%02x quote 0x%02x escape 0x%02x, "
                        "record delimiter %s%s, comments %s, header %s, MaxRecordSize %zu\n",
                sql, (unsigned char)d.fd, (unsigned char)d.quote, (unsigned char)d.esc,
                rd[0] == '\n' ? "LF" : rd[0] == '\r' ? "CRLF" : rd,
                (bl & 32) ? " (quoted ones allowed)" : "",
                d.comments ? "#" : "none",
                d.header_use ? "USE" : d.header_ignore ? "IGNORE" : "NONE", maxrec);
        fz_dump("input", csv, len);
        describe("A  prefilter, chunks", &a);
        describe("W  prefilter, one feed", &w);
        describe("B  no prefilter, one feed", &b);
        FUZZ_CHECK(0, "%s", same(&w, &b, limit, count_ok) ? "the prefilter's answer depends on the chunks"
                                                : "the prefilter changes the answer");
    }
    free_result(&a);
    free_result(&b);
    if (((flags >> 5) & 7) == 7 && (seed & 31) == 0)
        lanes_check(sql, p, csv, len, limit, (seed & 0xE0) ? 300 * 1024 : 1280 * 1024);
    fz_sink_free(&g.out);
    pluck_params_free(p);
    return 0;
}

/*
 * test_scan.c — the CSV scanner.
 *
 * Every hand-written case is run the way the run drives the scanner: the input is fed in
 * pieces (whole, byte by byte, small fixed sizes, random sizes), the unconsumed tail is kept
 * and more appended, and batches are small as well as large; all of them must give the same
 * records.  Each pl_scan call gets an exactly sized copy of the window, so ASan catches any
 * read past `len`.  Beyond the hand-written cases: a differential test against libcsv on
 * well-formed input, and a fuzz test against a byte-at-a-time reference model of scan.h's
 * semantics over random dialects and malformed input.
 *
 * Here (suite "scan") everything runs on the scalar kernel, the oracle.  test_scan_kernels.c
 * includes this file again as suite "scan_kernels" with SCAN_ALL_KERNELS set: then every
 * run() drives the scalar kernel and every SIMD kernel the machine has over the same input
 * and feeding, and fails on any difference (records, fields, record numbers, offsets,
 * batch boundaries, error code, position and message), and the tests that drive a scanner
 * by hand repeat for each kernel.
 */
#include "scan/scan.h"
#include "testdia.h"

#include <criterion/criterion.h>
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SCAN_SUITE
#define SCAN_SUITE scan
#define SCAN_ALL_KERNELS 0
#endif

/* ---- kernels --------------------------------------------------------------------------- */

static const char *const all_kernels[] = {"scalar", "sse42", "avx2", "neon", NULL};

/* Make the next pl_scanner_create use kernel k; false when this machine cannot run it (the
 * scanner would fall back to scalar). */
static bool use_kernel(const char *k)
{
    cr_assert(setenv("PLUCK_FORCE_IMPL", k, 1) == 0);
    pl_dialect d = test_dialect();
    pl_scanner *s = pl_scanner_create(&d, 100, 4);
    cr_assert(s);
    bool ok = !strcmp(pl_scanner_kernel(s), k);
    pl_scanner_free(s);
    return ok;
}

/* Repeat a test body for every kernel under test (only scalar in suite "scan"). */
#define FOR_EACH_KERNEL(k)                                                                 \
    for (const char *const *k = all_kernels; *k && (SCAN_ALL_KERNELS || k == all_kernels); \
         k++)                                                                              \
        if (use_kernel(*k))

/* ---- helpers --------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static uint64_t xs_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint32_t xs_below(uint64_t *s, uint32_t n) { return (uint32_t)(xs_next(s) % n); }

#define KEEP 64

typedef struct result {
    sbuf txt;   /* records rendered, see render_field */
    size_t nrec;
    uint64_t recno[KEEP], offset[KEEP];
    uint32_t nf[KEEP];
    pluck_code code;
    pluck_error err;
    size_t calls;
    sbuf trace; /* per call: records returned and bytes consumed */
} result;

typedef struct feed {
    size_t max_rec;
    uint32_t batch;
    uint32_t maxf;
    int chunk;      /* 0: whole input; > 0: pieces of that size; < 0: random in [1, -chunk] */
    uint64_t seed;
    bool raw;       /* render for machine comparison instead of for reading */
    uint64_t base;
} feed;

static feed feed_default(void)
{
    feed f = {.max_rec = 1 << 20, .batch = 1024, .maxf = UINT32_MAX, .chunk = 0, .seed = 1,
              .raw = false, .base = 0};
    return f;
}

static pl_dialect dia(void) { return test_dialect(); }

static pl_dialect dia_rd(const char *rd)
{
    pl_dialect d = dia();
    d.record_delim.len = (uint8_t)strlen(rd);
    memcpy(d.record_delim.s, rd, d.record_delim.len);
    return d;
}

static void collect(result *r, const pl_batch *b, const feed *f, uint64_t *last_recno,
                    uint64_t *last_off)
{
    for (uint32_t i = 0; i < b->nrec; i++) {
        cr_assert(b->nfields[i] <= f->maxf);
        cr_assert(b->recno[i] > *last_recno, "recno must increase");
        cr_assert(r->nrec == 0 || b->offset[i] > *last_off, "offsets must increase");
        cr_assert(i == 0 || b->first[i] == b->first[i - 1] + b->nfields[i - 1]);
        *last_recno = b->recno[i];
        *last_off = b->offset[i];
        if (r->nrec < KEEP) {
            r->recno[r->nrec] = b->recno[i];
            r->offset[r->nrec] = b->offset[i];
            r->nf[r->nrec] = b->nfields[i];
        }
        r->nrec++;
        for (uint32_t j = 0; j < b->nfields[i]; j++) {
            const pl_field *fl = &b->fields[b->first[i] + j];
            sb_puts(&r->txt, f->raw ? "" : "[");
            sb_put(&r->txt, fl->p, fl->len);
            sb_puts(&r->txt, f->raw ? "\x1f" : "]");
        }
        sb_puts(&r->txt, f->raw ? "\x1e" : "\n");
    }
}

/* Drive the scanner over in[0, n) the way the run does, with the kernel already chosen. */
static void run_kernel(const pl_dialect *d, const char *in, size_t n, const feed *f, result *r)
{
    memset(r, 0, sizeof *r);
    sb_puts(&r->txt, "");
    sb_puts(&r->trace, "");
    pl_scanner *s = pl_scanner_create(d, f->max_rec, f->batch);
    cr_assert(s);
    pl_scanner_set_max_fields(s, f->maxf);
    char *win = malloc(n + 1);
    cr_assert(win);
    size_t wlen = 0, fed = 0;
    uint64_t base = f->base, rng = f->seed * 2654435761u + 1, last_recno = 0, last_off = 0;
    for (;;) {
        size_t k = n - fed;
        if (f->chunk > 0 && (size_t)f->chunk < k)
            k = (size_t)f->chunk;
        else if (f->chunk < 0) {
            size_t c = 1 + xs_below(&rng, (uint32_t)-f->chunk);
            if (c < k)
                k = c;
        }
        memcpy(win + wlen, in + fed, k);
        wlen += k;
        fed += k;
        bool final = fed == n;
        for (;;) {
            char *copy = malloc(wlen ? wlen : 1);
            cr_assert(copy);
            memcpy(copy, win, wlen);
            pl_batch *b = NULL;
            size_t used = 12345;
            r->calls++;
            pluck_code rc = pl_scan(s, copy, wlen, base, final, &b, &used, &r->err);
            if (rc != PLUCK_OK) {
                free(copy);
                r->code = rc;
                goto done;
            }
            cr_assert(b);
            cr_assert(used <= wlen);
            char tr[48];
            snprintf(tr, sizeof tr, "%u:%zu ", b->nrec, used);
            sb_puts(&r->trace, tr);
            collect(r, b, f, &last_recno, &last_off);
            free(copy);
            if (used == 0) {
                cr_assert_eq(b->nrec, 0, "records returned without consuming bytes");
                break;
            }
            memmove(win, win + used, wlen - used);
            wlen -= used;
            base += used;
            if (wlen == 0)
                break;
        }
        if (final) {
            cr_assert_eq(wlen, 0, "bytes left over after the final call");
            break;
        }
    }
done:
    free(win);
    pl_scanner_free(s);
}

static void result_free(result *r)
{
    free(r->txt.p);
    free(r->trace.p);
}

/* Every observable of two runs over the same input and feeding must agree. */
static void same_result(const result *a, const result *b, const char *what)
{
    cr_assert_eq(a->code, b->code, "%s: code %d vs %d (%s)", what, a->code, b->code,
                 b->err.message);
    cr_assert_eq(a->txt.len, b->txt.len, "%s: records differ in length", what);
    cr_assert(memcmp(a->txt.p, b->txt.p, a->txt.len) == 0, "%s: records differ", what);
    cr_assert_eq(a->nrec, b->nrec, "%s", what);
    for (size_t i = 0; i < a->nrec && i < KEEP; i++) {
        cr_assert_eq(a->recno[i], b->recno[i], "%s: recno of record %zu", what, i);
        cr_assert_eq(a->offset[i], b->offset[i], "%s: offset of record %zu", what, i);
        cr_assert_eq(a->nf[i], b->nf[i], "%s: fields of record %zu", what, i);
    }
    cr_assert_eq(a->calls, b->calls, "%s: calls", what);
    cr_assert_str_eq(a->trace.p, b->trace.p, "%s: batch boundaries", what);
    if (a->code != PLUCK_OK) {
        cr_assert_eq(a->err.code, b->err.code, "%s", what);
        cr_assert_eq(a->err.record, b->err.record, "%s: error record", what);
        cr_assert_eq(a->err.byte_offset, b->err.byte_offset, "%s: error byte", what);
        cr_assert_str_eq(a->err.message, b->err.message, "%s", what);
    }
}

/* Drive the scalar kernel (the oracle) and, in suite "scan_kernels", every other kernel
 * this machine runs; all must agree.  The scalar result is returned. */
static void run(const pl_dialect *d, const char *in, size_t n, const feed *f, result *r)
{
    use_kernel("scalar");
    run_kernel(d, in, n, f, r);
    for (const char *const *k = all_kernels + 1; SCAN_ALL_KERNELS && *k; k++) {
        if (!use_kernel(*k))
            continue;
        result o;
        run_kernel(d, in, n, f, &o);
        char what[64];
        snprintf(what, sizeof what, "kernel %s vs scalar", *k);
        same_result(r, &o, what);
        result_free(&o);
    }
}

/* Run under many feeding patterns and batch sizes; all must agree.  The first is returned. */
static void run_all(const pl_dialect *d, const char *in, size_t n, feed base, result *out)
{
    static const int chunks[] = {0, 1, 2, 3, 5, 7, -4, -16};
    static const uint32_t batches[] = {1024, 1, 2, 3};
    bool have = false;
    for (size_t ci = 0; ci < PL_ARRAY_SIZE(chunks); ci++) {
        for (size_t bi = 0; bi < PL_ARRAY_SIZE(batches); bi++) {
            feed f = base;
            f.chunk = chunks[ci];
            f.batch = batches[bi];
            f.seed = ci * 31 + bi + 7;
            result r;
            run(d, in, n, &f, &r);
            if (!have) {
                *out = r;
                have = true;
                continue;
            }
            cr_assert_eq(r.code, out->code, "chunk %d batch %u: code %d vs %d", f.chunk,
                         f.batch, r.code, out->code);
            cr_assert_str_eq(r.txt.p, out->txt.p, "chunk %d batch %u", f.chunk, f.batch);
            cr_assert_eq(r.nrec, out->nrec);
            for (size_t i = 0; i < r.nrec && i < KEEP; i++) {
                cr_assert_eq(r.recno[i], out->recno[i]);
                cr_assert_eq(r.offset[i], out->offset[i]);
                cr_assert_eq(r.nf[i], out->nf[i]);
            }
            if (r.code != PLUCK_OK) {
                cr_assert_eq(r.err.record, out->err.record);
                cr_assert_eq(r.err.byte_offset, out->err.byte_offset);
                cr_assert_str_eq(r.err.message, out->err.message);
            }
            result_free(&r);
        }
    }
}

/* Expect success and exactly `want` (records as "[f1][f2]\n"). */
static void check_f(const pl_dialect *d, const char *in, size_t n, feed f, const char *want)
{
    result r;
    run_all(d, in, n, f, &r);
    cr_assert_eq(r.code, PLUCK_OK, "input <%s>: unexpected error %d: %s", in, r.code,
                 r.err.message);
    cr_assert_str_eq(r.txt.p, want, "input <%s>", in);
    result_free(&r);
}

static void check(const pl_dialect *d, const char *in, const char *want)
{
    check_f(d, in, strlen(in), feed_default(), want);
}

static void check_maxf(const pl_dialect *d, const char *in, uint32_t maxf, const char *want)
{
    feed f = feed_default();
    f.maxf = maxf;
    check_f(d, in, strlen(in), f, want);
}

/* Expect error `code` at (record, byte) after the records in `before`. */
static void check_err_f(const pl_dialect *d, const char *in, feed f, pluck_code code,
                        uint64_t record, uint64_t byte, const char *before)
{
    result r;
    run_all(d, in, strlen(in), f, &r);
    cr_assert_eq(r.code, code, "input <%s>: code %d, want %d (%s)", in, r.code, code,
                 r.err.message);
    cr_assert_eq(r.err.code, code);
    cr_assert_eq(r.err.record, record, "input <%s>: record %llu, want %llu", in,
                 (unsigned long long)r.err.record, (unsigned long long)record);
    cr_assert_eq(r.err.byte_offset, byte, "input <%s>: byte %llu, want %llu", in,
                 (unsigned long long)r.err.byte_offset, (unsigned long long)byte);
    char pos[96];
    snprintf(pos, sizeof pos, "CSV error at record %llu, byte %llu: ", (unsigned long long)record,
             (unsigned long long)byte);
    cr_assert(strncmp(r.err.message, pos, strlen(pos)) == 0, "message: %s", r.err.message);
    cr_assert_str_eq(r.txt.p, before, "records before the error, input <%s>", in);
    result_free(&r);
}

static void check_err(const pl_dialect *d, const char *in, pluck_code code, uint64_t record,
                      uint64_t byte, const char *before)
{
    check_err_f(d, in, feed_default(), code, record, byte, before);
}

/* ---- basics ---------------------------------------------------------------------------- */

Test(SCAN_SUITE, kernel_name_and_free_null)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 100, 4);
        cr_assert(s);
        cr_assert_str_eq(pl_scanner_kernel(s), *k);
        pl_scanner_free(s);
        pl_scanner_free(NULL);
    }
}

Test(SCAN_SUITE, simple)
{
    pl_dialect d = dia();
    check(&d, "a,b,c\n1,2,3\n", "[a][b][c]\n[1][2][3]\n");
    check(&d, "a,b\nc,d", "[a][b]\n[c][d]\n");
    check(&d, "x\n", "[x]\n");
    check(&d, "x", "[x]\n");
    check(&d, "", "");
    check(&d, "hello world, spaced ,  \n", "[hello world][ spaced ][  ]\n");
}

Test(SCAN_SUITE, quoted_fields)
{
    pl_dialect d = dia();
    check(&d, "\"a\",\"b,c\",d\n", "[a][b,c][d]\n");
    check(&d, "\"a\"\"b\",\"\"\"\"\n", "[a\"b][\"]\n");
    check(&d, "\"\",x\n", "[][x]\n");
    check(&d, "x,\"\"\n", "[x][]\n");
    check(&d, "\"\"\n", "[]\n");
    check(&d, "\"a\"\"\"\n", "[a\"]\n");
    check(&d, "\"\"\"a\"\n", "[\"a]\n");
    check(&d, "\"a,b\"", "[a,b]\n");
    check(&d, "\"#not a comment\"\n", "[#not a comment]\n");
}

Test(SCAN_SUITE, quote_inside_unquoted_field_is_data)
{
    pl_dialect d = dia();
    check(&d, "a\"b,c\"\n", "[a\"b][c\"]\n");
    check(&d, "a\"\"\"b\n", "[a\"\"\"b]\n");
    check(&d, " \"x\",y\n", "[ \"x\"][y]\n");
}

Test(SCAN_SUITE, distinct_escape_character)
{
    pl_dialect d = dia();
    d.escape = '\\';
    check(&d, "\"a\\\"b\",c\n", "[a\"b][c]\n");
    check(&d, "\"c\\\\d\"\n", "[c\\d]\n");
    /* escape before another byte makes it literal (S3: "A\B" is AB, "A\," is A,) */
    check(&d, "\"e\\xf\"\n", "[exf]\n");
    check(&d, "\"A\\B\",\"CD\"\n", "[AB][CD]\n");
    check(&d, "\"A\\,\",CD\n", "[A,][CD]\n");
    check(&d, "\"\\\\\",\"\\\"\"\n", "[\\][\"]\n");
    /* the escape means nothing outside quotes */
    check(&d, "a\\b,c\\\"\n", "[a\\b][c\\\"]\n");
    /* escaped escape then closing quote */
    check(&d, "\"x\\\\\",y\n", "[x\\][y]\n");
    /* a trailing escape before the closing quote escapes it: the field goes on */
    check(&d, "\"x\\\",y\"\n", "[x\",y]\n");
    /* doubling is not an escape when the escape character is distinct */
    check_err(&d, "\"a\"\"b\"\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 2, "");
}

Test(SCAN_SUITE, no_escape_character)
{
    pl_dialect d = dia();
    d.escape = -1;
    check(&d, "\"a\\b\",c\n", "[a\\b][c]\n");
    check_err(&d, "\"a\"\"b\"\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 2, "");
}

Test(SCAN_SUITE, quoting_off)
{
    pl_dialect d = dia();
    d.quote = -1;
    d.escape = -1;
    check(&d, "\"a,b\"\n\"\n", "[\"a][b\"]\n[\"]\n");
}

Test(SCAN_SUITE, other_quote_character)
{
    pl_dialect d = dia();
    d.quote = '\'';
    d.escape = '\'';
    check(&d, "'a,b','it''s',\"x\"\n", "[a,b][it's][\"x\"]\n");
}

Test(SCAN_SUITE, embedded_delimiters)
{
    pl_dialect d = dia();
    check(&d, "\",\",\",,\",\",a,\"\n", "[,][,,][,a,]\n");
    d.allow_quoted_record_delim = true;
    check(&d, "\"a\nb\",c\n\"\n\",\"\r\n\"\n", "[a\nb][c]\n[\n][\r\n]\n");
}

Test(SCAN_SUITE, crlf)
{
    pl_dialect d = dia();
    check(&d, "a,b\r\nc,d\r\n", "[a][b]\n[c][d]\n");
    check(&d, "a,\r\n", "[a][]\n");
    check(&d, "\"abc\"\r\n\"x\"", "[abc]\n[x]\n");
    check(&d, "a\rb,c\n", "[a\rb][c]\n");
    check(&d, "a\r\r\n", "[a\r]\n");
    check(&d, "\"a\r\"\r\n", "[a\r]\n");
    check(&d, "\"a\r\"\n", "[a\r]\n");
    /* a CR ending the input is dropped as well (a CRLF file cut after its last CR) */
    check(&d, "a,b\r", "[a][b]\n");
    check(&d, "\"a\"\r", "[a]\n");
    /* only for the "\n" delimiter */
    pl_dialect s = dia_rd(";");
    check(&s, "a\r;b\r", "[a\r]\n[b\r]\n");
}

Test(SCAN_SUITE, crlf_with_quoted_record_delimiters)
{
    pl_dialect d = dia();
    d.allow_quoted_record_delim = true;
    check(&d, "\"a\r\nb\"\r\nc\r\n", "[a\r\nb]\n[c]\n");
    check(&d, "x,\"1\n2\n3\"\r\n\r\n\"\r\"\r\n", "[x][1\n2\n3]\n[\r]\n");
    check(&d, "\"a\nb\"\r", "[a\nb]\n");
    check_err(&d, "\"a\nb\"\rx\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 4, "");
}

Test(SCAN_SUITE, custom_record_delimiter_single)
{
    pl_dialect d = dia_rd(";");
    check(&d, "a,b;c,d;", "[a][b]\n[c][d]\n");
    check(&d, "a\n;b", "[a\n]\n[b]\n");
    check(&d, "\"a\",b;c", "[a][b]\n[c]\n");
    check_err(&d, "x;\"a;b\";c", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 2, 4, "[x]\n");
}

Test(SCAN_SUITE, custom_record_delimiter_crlf)
{
    pl_dialect d = dia_rd("\r\n");
    check(&d, "a,b\r\nc\r\n", "[a][b]\n[c]\n");
    check(&d, "a\nb\r\nc", "[a\nb]\n[c]\n");
    check(&d, "a\rb\r\r\n", "[a\rb\r]\n");
    check(&d, "\r\n\r\nx\r\n", "[x]\n");
    check(&d, "x\r", "[x\r]\n");
    d.allow_quoted_record_delim = true;
    check(&d, "\"a\r\nb\"\r\nc", "[a\r\nb]\n[c]\n");
}

Test(SCAN_SUITE, custom_record_delimiter_multibyte)
{
    pl_dialect d = dia_rd("||");
    check(&d, "a|b||c||", "[a|b]\n[c]\n");
    check(&d, "a||||b", "[a]\n[b]\n");
    check(&d, "a|||b", "[a]\n[|b]\n");
    check(&d, "x|", "[x|]\n");
    check(&d, "a\nb||", "[a\nb]\n");
    d.field_delim = '|';
    check(&d, "a|b||c|d||", "[a][b]\n[c][d]\n");
    check(&d, "a|||b", "[a]\n[][b]\n");
    pl_dialect e = dia_rd("<EOR>");
    check(&e, "a,b<EOR>c<EO<EOR><EOR>d<EO", "[a][b]\n[c<EO]\n[d<EO]\n");
    e.allow_quoted_record_delim = true;
    check(&e, "\"a<EOR>b\",c<EOR>d", "[a<EOR>b][c]\n[d]\n");
}

Test(SCAN_SUITE, multibyte_delimiter_split_across_buffer_end)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia_rd("||");
        pl_scanner *s = pl_scanner_create(&d, 1000, 16);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        cr_assert_eq(pl_scan(s, "ab||cd|", 7, 0, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 4);
        cr_assert_eq(pl_scan(s, "cd|", 3, 4, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(used, 0);
        cr_assert_eq(pl_scan(s, "cd||", 4, 4, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 4);
        cr_assert_eq(b->fields[b->first[0]].len, 2);
        cr_assert_eq(b->recno[0], 2);
        cr_assert_eq(b->offset[0], 4);
        /* at end of input a lone half delimiter is data */
        cr_assert_eq(pl_scan(s, "e|", 2, 8, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 2);
        cr_assert_eq(b->fields[0].len, 2);
        cr_assert(memcmp(b->fields[0].p, "e|", 2) == 0);
        pl_scanner_free(s);
    }
}

Test(SCAN_SUITE, tab_delimiter)
{
    pl_dialect d = dia();
    d.field_delim = '\t';
    check(&d, "a\tb\t\tc\n\"x\ty\"\tz\n", "[a][b][][c]\n[x\ty][z]\n");
    check(&d, "a,b\tc\n", "[a,b][c]\n");
}

Test(SCAN_SUITE, comments)
{
    pl_dialect d = dia();
    check(&d, "#comment\na,b\n#x,\"y\n", "[a][b]\n");
    check(&d, "a,#b\n", "[a][#b]\n");
    check(&d, "#\"unterminated\nx\n", "[x]\n");
    check(&d, "#", "");
    d.allow_quoted_record_delim = true;
    check(&d, "#\"unterminated\nx\n", "[x]\n");
    d.comment = -1;
    check(&d, "#a,b\n", "[#a][b]\n");
    d.comment = ';';
    check(&d, ";x\n#y\n", "[#y]\n");
}

Test(SCAN_SUITE, empty_lines_are_skipped)
{
    pl_dialect d = dia();
    check(&d, "\n\na\n\r\n\nb\n\n", "[a]\n[b]\n");
    check(&d, "\n", "");
    check(&d, "\r\n\r\n", "");
    check(&d, "\r", "");
}

Test(SCAN_SUITE, empty_fields_and_trailing_delimiter)
{
    pl_dialect d = dia();
    check(&d, ",,\n", "[][][]\n");
    check(&d, ",\n", "[][]\n");
    check(&d, "a,b,\n", "[a][b][]\n");
    check(&d, "a,b,", "[a][b][]\n");
    check(&d, ",a\n", "[][a]\n");
    check(&d, "\"\",\n", "[][]\n");
    check(&d, "a,\"\"", "[a][]\n");
}

Test(SCAN_SUITE, ragged_rows)
{
    pl_dialect d = dia();
    check(&d, "a\nb,c,d\ne,f\n,\n", "[a]\n[b][c][d]\n[e][f]\n[][]\n");
}

Test(SCAN_SUITE, record_numbers_and_offsets)
{
    pl_dialect d = dia();
    const char *in = "h1,h2\n#c\n\n1,2\r\n\"3";
    /*                0     6  9 10   15 (last record is an error, see below) */
    result r;
    run_all(&d, "h1,h2\n#c\n\n1,2\r\nx\n", 17, feed_default(), &r);
    cr_assert_eq(r.code, PLUCK_OK);
    cr_assert_eq(r.nrec, 3);
    cr_assert_eq(r.recno[0], 1);
    cr_assert_eq(r.recno[1], 4);
    cr_assert_eq(r.recno[2], 5);
    cr_assert_eq(r.offset[0], 0);
    cr_assert_eq(r.offset[1], 10);
    cr_assert_eq(r.offset[2], 15);
    result_free(&r);
    check_err(&d, in, PLUCK_E_CSV_PARSING_ERROR, 5, 15, "[h1][h2]\n[1][2]\n");

    feed f = feed_default();
    f.base = 1000;
    run_all(&d, "a\nb\n", 4, f, &r);
    cr_assert_eq(r.offset[0], 1000);
    cr_assert_eq(r.offset[1], 1002);
    result_free(&r);
}

Test(SCAN_SUITE, record_numbers_persist_across_calls)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 1000, 2);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        const char *in = "a\n\nb\nc\n#\nd";
        cr_assert_eq(pl_scan(s, in, 11, 0, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 2); /* batch full */
        cr_assert_eq(used, 5);
        cr_assert_eq(b->recno[0], 1);
        cr_assert_eq(b->recno[1], 3);
        cr_assert_eq(pl_scan(s, in + 5, 6, 5, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 4); /* the comment after the record is consumed too */
        cr_assert_eq(b->recno[0], 4);
        cr_assert_eq(b->offset[0], 5);
        cr_assert_eq(pl_scan(s, "d", 1, 9, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(used, 0);
        cr_assert_eq(pl_scan(s, "d", 1, 9, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 1);
        cr_assert_eq(b->recno[0], 6);
        cr_assert_eq(b->offset[0], 9);
        cr_assert_eq(pl_scan(s, "", 0, 10, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(used, 0);
        pl_scanner_free(s);
    }
}

Test(SCAN_SUITE, only_skipped_records_are_consumed)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 1000, 8);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        cr_assert_eq(pl_scan(s, "#x\n\n\r\nabc", 9, 0, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(used, 6);
        cr_assert_eq(pl_scan(s, "abc\n", 4, 6, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(b->recno[0], 4);
        pl_scanner_free(s);
    }
}

Test(SCAN_SUITE, final_record_needs_no_delimiter)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 1000, 8);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        cr_assert_eq(pl_scan(s, "a\nb", 3, 0, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 2);
        cr_assert_eq(pl_scan(s, "b", 1, 2, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 1);
        cr_assert_eq(used, 1);
        pl_scanner_free(s);
    }
}

/* ---- projection pushdown --------------------------------------------------------------- */

Test(SCAN_SUITE, max_fields)
{
    pl_dialect d = dia();
    check_maxf(&d, "a,b,c\nd\n\"x,y\",\"q\"\"\",z\n", 2, "[a][b]\n[d]\n[x,y][q\"]\n");
    check_maxf(&d, "a,b,c\n", 3, "[a][b][c]\n");
    check_maxf(&d, "a,b,c\n", 1, "[a]\n");
    check_maxf(&d, "a,b,c\n,\n", 0, "\n\n");
    result r;
    feed f = feed_default();
    f.maxf = 0;
    run_all(&d, "a,b\n\nc\n", 7, f, &r);
    cr_assert_eq(r.nrec, 2);
    cr_assert_eq(r.nf[0], 0);
    cr_assert_eq(r.recno[1], 3);
    result_free(&r);
}

Test(SCAN_SUITE, max_fields_still_checks_skipped_fields)
{
    /* Whether a record is well formed must not depend on which columns a query reads:
     * skipped fields are not cut, but a quote in them is checked as in a full scan. */
    pl_dialect d = dia();
    check_err(&d, "a,\"b\nc\n", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 1, 4, "");
    feed f = feed_default();
    for (uint32_t maxf = 0; maxf < 3; maxf++) {
        f.maxf = maxf;
        check_err_f(&d, "a,\"b\nc\n", f, PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 1, 4, "");
        check_err_f(&d, "x\na,\"b\"x\n", f, PLUCK_E_CSV_UNESCAPED_QUOTE, 2, 6,
                    maxf == 0 ? "\n" : "[x]\n");
        check_err_f(&d, "a,b,\"c", f, PLUCK_E_CSV_PARSING_ERROR, 1, 4, "");
    }
    /* quote-free skipped fields are not looked at; a quote inside an unquoted field is data */
    check_maxf(&d, "a,b\"c,d\ne,f\n", 1, "[a]\n[e]\n");
    check_maxf(&d, "a,b,c\n", 1, "[a]\n");
}

Test(SCAN_SUITE, max_fields_with_quoted_record_delimiters)
{
    pl_dialect d = dia();
    d.allow_quoted_record_delim = true;
    check_maxf(&d, "a,\"x\ny\",b\nc\n", 1, "[a]\n[c]\n");
    check_maxf(&d, "a,b\"\nx,y\nc\n", 1, "[a]\n[x]\n[c]\n");
    check_maxf(&d, "a,x\"y,\"p\nq\"\nc\n", 1, "[a]\n[c]\n");
    check_maxf(&d, "\"a\n\",\"b\n\",\"c\n\"\nz\n", 2, "[a\n][b\n]\n[z]\n");
    result r;
    feed f = feed_default();
    f.maxf = 1;
    run_all(&d, "a,\"x\ny\",b\nc\n", 12, f, &r);
    cr_assert_eq(r.recno[1], 2);
    cr_assert_eq(r.offset[1], 10);
    result_free(&r);
    /* skipped fields are still checked: they decide where the record ends */
    f.maxf = 1;
    check_err_f(&d, "a,\"x\"y\n", f, PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 4, "");
    check_err_f(&d, "a\nb,\"x\ny\n", f, PLUCK_E_CSV_PARSING_ERROR, 2, 4, "[a]\n");
}

/* ---- quoted record delimiters ---------------------------------------------------------- */

Test(SCAN_SUITE, quoted_record_delimiters_allowed)
{
    pl_dialect d = dia();
    d.allow_quoted_record_delim = true;
    check(&d, "\"a\nb\",c\n\"d\r\ne\"\r\n", "[a\nb][c]\n[d\r\ne]\n");
    check(&d, "\"\n\n\n\"\n", "[\n\n\n]\n");
    check(&d, "x,\"\n\"\"\n\"", "[x][\n\"\n]\n");
    check(&d, "a,\"b\n\"\"c\"\"\n\",d\ne\n", "[a][b\n\"c\"\n][d]\n[e]\n");
    check(&d, "\"a\"\n\"b\n\"", "[a]\n[b\n]\n");
    d.escape = '\\';
    check(&d, "\"a\\\"\nb\",c\n", "[a\"\nb][c]\n");
}

/* ---- many fields, unescaping ----------------------------------------------------------- */

Test(SCAN_SUITE, fields_array_grows)
{
    pl_dialect d = dia();
    sbuf in = {0}, want = {0};
    for (int rec = 0; rec < 3; rec++) {
        int n = rec == 1 ? 20000 : 5;
        for (int i = 0; i < n; i++) {
            char f[32];
            snprintf(f, sizeof f, "%s%d", i ? "," : "", i);
            sb_puts(&in, f);
            snprintf(f, sizeof f, "[%d]", i);
            sb_puts(&want, f);
        }
        sb_puts(&in, "\n");
        sb_puts(&want, "\n");
    }
    feed f = feed_default();
    f.chunk = -3000;
    result r;
    run(&d, in.p, in.len, &f, &r);
    cr_assert_eq(r.code, PLUCK_OK);
    cr_assert_str_eq(r.txt.p, want.p);
    cr_assert_eq(r.nf[1], 20000);
    result_free(&r);
    f.chunk = 0;
    run(&d, in.p, in.len, &f, &r);
    cr_assert_str_eq(r.txt.p, want.p);
    result_free(&r);
    free(in.p);
    free(want.p);
}

Test(SCAN_SUITE, unescaped_fields_stay_valid_for_whole_batch)
{
    pl_dialect d = dia();
    sbuf in = {0}, want = {0};
    for (int i = 0; i < 500; i++) {
        char f[64];
        snprintf(f, sizeof f, "\"v\"\"%d\",plain%d,\"q%d\"\n", i, i, i);
        sb_puts(&in, f);
        snprintf(f, sizeof f, "[v\"%d][plain%d][q%d]\n", i, i, i);
        sb_puts(&want, f);
    }
    FOR_EACH_KERNEL(k) {
        pl_scanner *s = pl_scanner_create(&d, 1000, 1024);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        cr_assert_eq(pl_scan(s, in.p, in.len, 0, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 500);
        cr_assert_eq(used, in.len);
        sbuf got = {0};
        sb_puts(&got, "");
        for (uint32_t i = 0; i < b->nrec; i++) {
            for (uint32_t j = 0; j < b->nfields[i]; j++) {
                sb_puts(&got, "[");
                sb_put(&got, b->fields[b->first[i] + j].p, b->fields[b->first[i] + j].len);
                sb_puts(&got, "]");
            }
            sb_puts(&got, "\n");
        }
        cr_assert_str_eq(got.p, want.p);
        /* fields without escapes point into the input */
        cr_assert(b->fields[1].p >= in.p && b->fields[1].p < in.p + in.len);
        cr_assert(b->fields[2].p >= in.p && b->fields[2].p < in.p + in.len);
        pl_scanner_free(s);
        free(got.p);
    }
    free(in.p);
    free(want.p);
}

Test(SCAN_SUITE, delimiter_neighbours_in_words)
{
    /* bytes one bit away from the delimiter or quote, next to them, in every position of
     * an 8-byte word */
    pl_dialect d = dia();
    check(&d, "a,-,--,,-\n-,,-,-,,,-\n", "[a][-][--][][-]\n[-][][-][-][][][-]\n");
    check(&d, "a#,b\"\"#,#\"-\n", "[a#][b\"\"#][#\"-]\n");
    d.field_delim = '|';
    check(&d, "}|}}|||}\n|}|}||}}}|}\n", "[}][}}][][][}]\n[][}][}][][}}}][}]\n");
    check(&d, "\x80|\xff|\xfe|\xfd\x7c\x7d|\n",
          "[\x80][\xff][\xfe][\xfd][\x7d][]\n");
}

Test(SCAN_SUITE, long_records_with_quotes)
{
    /* records past the fast loop's length, mixing quoted and plain fields */
    pl_dialect d = dia();
    uint64_t rng = 77;
    for (int round = 0; round < 4; round++) {
        sbuf in = {0}, want = {0};
        sb_puts(&in, "");
        sb_puts(&want, "");
        for (int rec = 0; rec < 3; rec++) {
            int nf = 200 + (int)xs_below(&rng, 800);
            for (int i = 0; i < nf; i++) {
                char f[64];
                int kind = (int)xs_below(&rng, 4), len = (int)xs_below(&rng, 20);
                if (i)
                    sb_puts(&in, ",");
                sb_puts(&want, "[");
                if (kind == 0) {
                    sb_puts(&in, "\"");
                    for (int k = 0; k < len; k++) {
                        const char *c = xs_below(&rng, 5) == 0 ? "\"\"" : ",";
                        sb_puts(&in, c);
                        sb_puts(&want, c[0] == '"' ? "\"" : ",");
                    }
                    sb_puts(&in, "\"");
                } else {
                    for (int k = 0; k < len; k++)
                        f[k] = (char)('a' + xs_below(&rng, 26));
                    f[len] = 0;
                    if (len > 1 && kind == 1)
                        f[len / 2] = '"';
                    sb_puts(&in, f);
                    sb_puts(&want, f);
                }
                sb_puts(&want, "]");
            }
            sb_puts(&in, round & 1 ? "\r\n" : "\n");
            sb_puts(&want, "\n");
        }
        cr_assert(in.len > 3 * 4096);
        feed f = feed_default();
        check_f(&d, in.p, in.len, f, want.p);
        d.allow_quoted_record_delim = !d.allow_quoted_record_delim;
        free(in.p);
        free(want.p);
    }
}

/* ---- errors ---------------------------------------------------------------------------- */

Test(SCAN_SUITE, error_unescaped_quote)
{
    pl_dialect d = dia();
    check_err(&d, "a,b\nc,\"d\"e,f\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 2, 8, "[a][b]\n");
    check_err(&d, "\"a\" ,b\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 2, "");
    check_err(&d, "\"a\"\"\"b\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 4, "");
    check_err(&d, "\"a\"\r\r\n", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 2, "");
    check_err(&d, "x\n\"a\"b", PLUCK_E_CSV_UNESCAPED_QUOTE, 2, 4, "[x]\n");
    pl_dialect r = dia_rd("||");
    check_err(&r, "\"a\"|", PLUCK_E_CSV_UNESCAPED_QUOTE, 1, 2, "");
}

Test(SCAN_SUITE, error_escaping_record_delimiter)
{
    pl_dialect d = dia();
    check_err(&d, "a\n\"b\nc\"\n", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 2, 4, "[a]\n");
    check_err(&d, "a\n\"b\r\nc\"\r\n", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 2, 5, "[a]\n");
    check_err(&d, "x,\"\n", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 1, 3, "");
    result r;
    run_all(&d, "\"b\nc\"\n", 6, feed_default(), &r);
    cr_assert(strstr(r.err.message,
                     "A quoted record delimiter was found in the file. To allow quoted record "
                     "delimiters, set AllowQuotedRecordDelimiter to 'TRUE'."),
              "%s", r.err.message);
    cr_assert_str_eq(pluck_code_name(r.code), "CSVEscapingRecordDelimiter");
    result_free(&r);
    pl_dialect m = dia_rd("||");
    check_err(&m, "\"a||b\"||", PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 1, 2, "");
}

Test(SCAN_SUITE, error_unterminated_quote)
{
    pl_dialect d = dia();
    check_err(&d, "a\n\"bc", PLUCK_E_CSV_PARSING_ERROR, 2, 2, "[a]\n");
    check_err(&d, "a,\"bc\r", PLUCK_E_CSV_PARSING_ERROR, 1, 2, "");
    check_err(&d, "\"", PLUCK_E_CSV_PARSING_ERROR, 1, 0, "");
    d.allow_quoted_record_delim = true;
    check_err(&d, "a\n\"b\nc", PLUCK_E_CSV_PARSING_ERROR, 2, 2, "[a]\n");
    check_err(&d, "a\n\"b\nc\n\n", PLUCK_E_CSV_PARSING_ERROR, 2, 2, "[a]\n");
    d.escape = '\\';
    check_err(&d, "\"ab\\\"\n", PLUCK_E_CSV_PARSING_ERROR, 1, 0, "");
    result r;
    run_all(&d, "\"x", 2, feed_default(), &r);
    cr_assert_str_eq(pluck_code_name(r.code), "CSVParsingError");
    cr_assert(strstr(r.err.message, "unterminated quoted field"), "%s", r.err.message);
    result_free(&r);
}

Test(SCAN_SUITE, error_over_max_record_size)
{
    pl_dialect d = dia();
    feed f = feed_default();
    f.max_rec = 5;
    check_f(&d, "abcde\nabcde\r\n12345", 18, f, "[abcde]\n[abcde]\n[12345]\n");
    check_err_f(&d, "abc\nabcdef\n", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 2, 4, "[abc]\n");
    check_err_f(&d, "abc\nabcdef", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 2, 4, "[abc]\n");
    check_err_f(&d, "abcdefghijklmnopqrstuvwxyz", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 1, 0, "");
    /* comments count: the window must hold them too */
    check_err_f(&d, "#abcdef\nx\n", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 1, 0, "");
    d.allow_quoted_record_delim = true;
    check_err_f(&d, "a\n\"a\nb\nc\"\n", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 2, 2, "[a]\n");
    check_err_f(&d, "a\n\"a\nbcdefgh", f, PLUCK_E_OVER_MAX_RECORD_SIZE, 2, 2, "[a]\n");
    check_f(&d, "\"a\nb\"\r\n", 7, f, "[a\nb]\n");
    result r;
    run_all(&d, "abcdefgh\n", 9, f, &r);
    cr_assert_str_eq(pluck_code_name(r.code), "OverMaxRecordSize");
    result_free(&r);
}

Test(SCAN_SUITE, over_max_record_size_without_complete_record)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 8, 16);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        /* may still end in "\r\n": not provably too long yet */
        cr_assert_eq(pl_scan(s, "12345678\r", 9, 100, false, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(used, 0);
        cr_assert_eq(pl_scan(s, "123456789\r", 10, 100, false, &b, &used, &err),
                     PLUCK_E_OVER_MAX_RECORD_SIZE);
        cr_assert_eq(err.code, PLUCK_E_OVER_MAX_RECORD_SIZE);
        cr_assert_eq(err.record, 1);
        cr_assert_eq(err.byte_offset, 100);
        pl_scanner_free(s);
    }
}

Test(SCAN_SUITE, error_after_good_records_is_reported_on_the_next_call)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 1000, 16);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        pluck_error err;
        const char *in = "a\n\nb\n\"x\"y\nc\n";
        cr_assert_eq(pl_scan(s, in, strlen(in), 0, true, &b, &used, &err), PLUCK_OK);
        cr_assert_eq(b->nrec, 2);
        cr_assert_eq(used, 5);
        cr_assert_eq(pl_scan(s, in + 5, strlen(in) - 5, 5, true, &b, &used, &err),
                     PLUCK_E_CSV_UNESCAPED_QUOTE);
        cr_assert_eq(b->nrec, 0);
        cr_assert_eq(err.record, 4);
        cr_assert_eq(err.byte_offset, 7);
        pl_scanner_free(s);
    }
}

Test(SCAN_SUITE, null_error_pointer_is_accepted)
{
    FOR_EACH_KERNEL(k) {
        pl_dialect d = dia();
        pl_scanner *s = pl_scanner_create(&d, 1000, 16);
        cr_assert(s);
        pl_batch *b;
        size_t used;
        cr_assert_eq(pl_scan(s, "\"x", 2, 0, true, &b, &used, NULL), PLUCK_E_CSV_PARSING_ERROR);
        pl_scanner_free(s);
    }
}

/* ---- differential test against libcsv -------------------------------------------------- */

typedef struct oracle {
    sbuf txt;
    uint32_t maxf, nf;
} oracle;

static void ocb_field(void *p, size_t n, void *ctx)
{
    oracle *o = ctx;
    if (o->nf++ < o->maxf) {
        sb_put(&o->txt, p, n);
        sb_puts(&o->txt, "\x1f");
    }
}

static void ocb_record(int c, void *ctx)
{
    oracle *o = ctx;
    sb_puts(&o->txt, "\x1e");
    o->nf = 0;
}

/* libcsv trims spaces and tabs around unquoted fields by default; S3 does not. */
static int no_space(unsigned char c) { return 0; }

static void gen_field(sbuf *o, uint64_t *rng, unsigned char fd, bool aqrd, bool only)
{
    static const char plain[] = "abcXYZ0189 ._-";
    uint32_t kind = xs_below(rng, 10);
    uint32_t n = xs_below(rng, 8);
    if (kind < 5) {
        /* A lone empty unquoted field would be an empty line, which both skip differently
         * only in counting; keep single-field records non-empty. */
        if (only && n == 0)
            n = 1;
        for (uint32_t i = 0; i < n; i++)
            sb_put(o, &plain[xs_below(rng, sizeof plain - 1)], 1);
        /* a quote inside an unquoted field is data for both */
        if (n > 0 && xs_below(rng, 8) == 0)
            sb_puts(o, "x\"y");
        return;
    }
    sb_puts(o, "\"");
    for (uint32_t i = 0; i < n + (kind == 9 ? 10 : 0); i++) {
        uint32_t k = xs_below(rng, 12);
        switch (k) {
        case 0:
            sb_puts(o, "\"\"");
            break;
        case 1:
            sb_put(o, &fd, 1);
            break;
        case 2:
            sb_puts(o, ",");
            break;
        case 3:
            sb_puts(o, aqrd ? "\n" : "\r");
            break;
        case 4:
            sb_puts(o, aqrd ? "\r\n" : " ");
            break;
        case 5:
            sb_puts(o, "\r");
            break;
        case 6:
            sb_puts(o, " ");
            break;
        default:
            sb_put(o, &plain[xs_below(rng, sizeof plain - 1)], 1);
            break;
        }
    }
    sb_puts(o, "\"");
}

Test(SCAN_SUITE, differential_libcsv)
{
    static const unsigned char fds[] = {',', ',', '\t', '|', ';'};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int cases = 0;
    for (int t = 0; t < 2000; t++) {
        bool aqrd = xs_below(&rng, 2);
        unsigned char fd = fds[xs_below(&rng, sizeof fds)];
        bool crlf = xs_below(&rng, 2);
        sbuf in = {0};
        sb_puts(&in, "");
        uint32_t nrec = 1 + xs_below(&rng, 30);
        uint32_t width = 1 + xs_below(&rng, 6);
        for (uint32_t r = 0; r < nrec; r++) {
            uint32_t nf = xs_below(&rng, 4) == 0 ? 1 + xs_below(&rng, 8) : width;
            for (uint32_t f = 0; f < nf; f++) {
                if (f)
                    sb_put(&in, &fd, 1);
                gen_field(&in, &rng, fd, aqrd, nf == 1);
            }
            if (r + 1 < nrec || xs_below(&rng, 2))
                sb_puts(&in, crlf ? "\r\n" : "\n");
        }

        uint32_t maxf = xs_below(&rng, 3) == 0 ? xs_below(&rng, 5) : UINT32_MAX;
        oracle o = {.maxf = maxf};
        sb_puts(&o.txt, "");
        struct csv_parser p;
        cr_assert_eq(csv_init(&p, 0), 0);
        csv_set_delim(&p, fd);
        csv_set_space_func(&p, no_space);
        cr_assert_eq(csv_parse(&p, in.p, in.len, ocb_field, ocb_record, &o), in.len);
        csv_fini(&p, ocb_field, ocb_record, &o);
        csv_free(&p);

        pl_dialect d = dia();
        d.field_delim = fd;
        d.comment = -1;
        d.allow_quoted_record_delim = aqrd;
        feed f = feed_default();
        f.raw = true;
        f.maxf = maxf;
        f.chunk = -(int)(1 + xs_below(&rng, 64));
        f.batch = 1 + xs_below(&rng, 40);
        f.seed = (uint64_t)t;
        result r;
        run(&d, in.p, in.len, &f, &r);
        cr_assert_eq(r.code, PLUCK_OK, "case %d: %s", t, r.err.message);
        cr_assert_eq(r.txt.len, o.txt.len, "case %d: length differs", t);
        cr_assert(memcmp(r.txt.p, o.txt.p, r.txt.len) == 0, "case %d: records differ", t);
        cases++;
        result_free(&r);
        free(o.txt.p);
        free(in.p);
    }
    cr_assert_eq(cases, 2000);
}

/* ---- fuzz against a reference model ---------------------------------------------------- */

/* A byte-at-a-time reading of scan.h, written for clarity, not speed.  Whole input, all
 * fields.  Returns the code and fills the rendering / error position. */
typedef struct refres {
    sbuf txt;
    pluck_code code;
    uint64_t record, byte;
} refres;

static bool ref_rd_at(const pl_dialect *d, const char *in, size_t n, size_t i)
{
    return n - i >= d->record_delim.len &&
           memcmp(in + i, d->record_delim.s, d->record_delim.len) == 0;
}

static bool ref_crlf(const pl_dialect *d)
{
    return d->record_delim.len == 1 && d->record_delim.s[0] == '\n';
}

/* Does the record end at i (an unquoted position)?  Sets *next past the delimiter. */
static bool ref_end_at(const pl_dialect *d, const char *in, size_t n, size_t i, size_t *next)
{
    if (i == n) {
        *next = n;
        return true;
    }
    if (ref_rd_at(d, in, n, i)) {
        *next = i + d->record_delim.len;
        return true;
    }
    if (ref_crlf(d) && in[i] == '\r' && (i + 1 == n || in[i + 1] == '\n')) {
        *next = i + 1 == n ? n : i + 2;
        return true;
    }
    return false;
}

static void ref_parse(const pl_dialect *d, const char *in, size_t n, refres *rr)
{
    memset(rr, 0, sizeof *rr);
    sb_puts(&rr->txt, "");
    size_t pos = 0;
    uint64_t recno = 0;
    int q = d->quote, e = d->quote >= 0 ? d->escape : -1;
    sbuf rec = {0};
    while (pos < n) {
        recno++;
        size_t next;
        if (ref_end_at(d, in, n, pos, &next)) {
            pos = next;
            continue;
        }
        if ((unsigned char)in[pos] == d->comment) {
            while (!ref_end_at(d, in, n, pos, &next))
                pos++;
            pos = next;
            continue;
        }
        rec.len = 0;
        sb_puts(&rec, "");
        size_t i = pos;
        for (;;) { /* one field per turn */
            if (i < n && (unsigned char)in[i] == q) {
                size_t open = i++;
                for (;;) {
                    if (i >= n || (!d->allow_quoted_record_delim && ref_crlf(d) &&
                                   in[i] == '\r' && i + 1 == n)) {
                        rr->code = PLUCK_E_CSV_PARSING_ERROR;
                        rr->byte = open;
                        goto fail;
                    }
                    if (!d->allow_quoted_record_delim) {
                        size_t at = i;
                        if (ref_crlf(d) && in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
                            at = i + 1;
                        if (ref_rd_at(d, in, n, at)) {
                            rr->code = PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER;
                            rr->byte = at;
                            goto fail;
                        }
                    }
                    unsigned char c = (unsigned char)in[i];
                    /* a distinct escape takes the next byte literally, unless a record ends
                     * there (without AllowQuotedRecordDelimiter every delimiter ends one) */
                    bool rd_next = false;
                    if (e >= 0 && e != q && c == e && i + 1 < n &&
                        !d->allow_quoted_record_delim) {
                        size_t at = i + 1;
                        if (ref_crlf(d) && in[at] == '\r' && (at + 1 == n || in[at + 1] == '\n'))
                            rd_next = true;
                        rd_next = rd_next || ref_rd_at(d, in, n, at);
                    }
                    if (e >= 0 && c == e && i + 1 < n && !rd_next &&
                        (e != q || (unsigned char)in[i + 1] == q)) {
                        sb_put(&rec, &in[i + 1], 1);
                        i += 2;
                        continue;
                    }
                    if (c == q) {
                        i++;
                        break;
                    }
                    sb_put(&rec, &in[i], 1);
                    i++;
                }
                sb_puts(&rec, "\x1f");
                if (ref_end_at(d, in, n, i, &next))
                    break;
                if ((unsigned char)in[i] != d->field_delim) {
                    rr->code = PLUCK_E_CSV_UNESCAPED_QUOTE;
                    rr->byte = i - 1;
                    goto fail;
                }
                i++;
            } else {
                while (!ref_end_at(d, in, n, i, &next) &&
                       (unsigned char)in[i] != d->field_delim) {
                    sb_put(&rec, &in[i], 1);
                    i++;
                }
                sb_puts(&rec, "\x1f");
                if (ref_end_at(d, in, n, i, &next))
                    break;
                i++;
            }
        }
        sb_put(&rr->txt, rec.p, rec.len);
        sb_puts(&rr->txt, "\x1e");
        pos = next;
    }
    free(rec.p);
    return;
fail:
    rr->record = recno;
    free(rec.p);
}

static void gen_dialect(uint64_t *rng, pl_dialect *d)
{
    static const char *rds[] = {"\n", "\n", "\r\n", ";", "||", "<E>"};
    *d = dia_rd(rds[xs_below(rng, PL_ARRAY_SIZE(rds))]);
    d->field_delim = xs_below(rng, 2) ? ',' : '\t';
    uint32_t qk = xs_below(rng, 6);
    d->quote = qk == 0 ? -1 : '"';
    d->escape = qk == 1 ? -1 : qk == 2 ? '\\' : '"';
    d->comment = xs_below(rng, 3) ? '#' : -1;
    d->allow_quoted_record_delim = xs_below(rng, 2);
}

static void gen_noise(uint64_t *rng, const pl_dialect *d, sbuf *o)
{
    const char alpha[] = {'a', 'b', (char)d->field_delim, '"', '"', '\\', '\n', '\r', '#', ';',
                          '|', '<', 'E', '>'};
    uint32_t n = xs_below(rng, 48);
    for (uint32_t i = 0; i < n; i++) {
        if (xs_below(rng, 6) == 0)
            sb_put(o, d->record_delim.s, d->record_delim.len);
        else
            sb_put(o, &alpha[xs_below(rng, sizeof alpha)], 1);
    }
}

Test(SCAN_SUITE, fuzz_against_reference_and_feeding)
{
    uint64_t rng = 12345;
    int errors = 0, oks = 0;
    for (int t = 0; t < 4000; t++) {
        pl_dialect d;
        gen_dialect(&rng, &d);
        sbuf in = {0};
        sb_puts(&in, "");
        gen_noise(&rng, &d, &in);

        refres rr;
        ref_parse(&d, in.p, in.len, &rr);

        feed f = feed_default();
        f.raw = true;
        result whole;
        run(&d, in.p, in.len, &f, &whole);
        cr_assert_eq(whole.code, rr.code, "case %d: code %d, reference %d (%s)", t,
                     whole.code, rr.code, whole.err.message);
        cr_assert_eq(whole.txt.len, rr.txt.len, "case %d", t);
        cr_assert(memcmp(whole.txt.p, rr.txt.p, rr.txt.len) == 0, "case %d", t);
        if (rr.code != PLUCK_OK) {
            cr_assert_eq(whole.err.record, rr.record, "case %d", t);
            cr_assert_eq(whole.err.byte_offset, rr.byte, "case %d", t);
            errors++;
        } else {
            oks++;
        }

        /* any feeding, batch size, pushdown and record limit must agree with one call */
        for (int k = 0; k < 3; k++) {
            feed g = feed_default();
            g.raw = true;
            g.chunk = k == 0 ? 1 : -(int)(1 + xs_below(&rng, 12));
            g.batch = 1 + xs_below(&rng, 4);
            g.seed = (uint64_t)t * 3 + (uint64_t)k;
            if (k == 2) {
                g.maxf = xs_below(&rng, 4);
                g.max_rec = xs_below(&rng, 2) ? 1 + xs_below(&rng, 12) : g.max_rec;
            }
            feed w = feed_default();
            w.raw = true;
            w.maxf = g.maxf;
            w.max_rec = g.max_rec;
            result a, b;
            run(&d, in.p, in.len, &w, &a);
            run(&d, in.p, in.len, &g, &b);
            cr_assert_eq(a.code, b.code, "case %d/%d: %d vs %d", t, k, a.code, b.code);
            cr_assert_eq(a.txt.len, b.txt.len, "case %d/%d", t, k);
            cr_assert(memcmp(a.txt.p, b.txt.p, a.txt.len) == 0, "case %d/%d", t, k);
            cr_assert_eq(a.nrec, b.nrec);
            for (size_t i = 0; i < a.nrec && i < KEEP; i++) {
                cr_assert_eq(a.recno[i], b.recno[i]);
                cr_assert_eq(a.offset[i], b.offset[i]);
            }
            if (a.code != PLUCK_OK) {
                cr_assert_eq(a.err.record, b.err.record, "case %d/%d", t, k);
                cr_assert_eq(a.err.byte_offset, b.err.byte_offset, "case %d/%d", t, k);
            }
            /* pushdown keeps a prefix of each record's fields, and the same outcome */
            if (k == 2 && g.max_rec == feed_default().max_rec) {
                cr_assert_eq(a.code, whole.code, "case %d: pushdown changed the outcome", t);
                cr_assert_eq(a.nrec, whole.nrec, "case %d", t);
                if (a.code != PLUCK_OK) {
                    cr_assert_eq(a.err.record, whole.err.record, "case %d", t);
                    cr_assert_eq(a.err.byte_offset, whole.err.byte_offset, "case %d", t);
                }
            }
            result_free(&a);
            result_free(&b);
        }
        result_free(&whole);
        free(rr.txt.p);
        free(in.p);
    }
    /* the generator must exercise both outcomes */
    cr_assert(errors > 400 && oks > 400, "errors %d oks %d", errors, oks);
}

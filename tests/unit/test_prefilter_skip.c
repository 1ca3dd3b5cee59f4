/*
 * test_prefilter_skip.c — the prefilter's SIMD line skipper (pl_scanner_skip) against the
 * scalar scanner.
 *
 * The skipper may pass a line unparsed only when parsing it could neither select it nor
 * fail.  Two checks, neither trusting the skipper's own reading of the quoting rules:
 *  - soundness, line by line: every line a kernel passes has no literal, fits max_line, and
 *    the SCALAR scanner (the oracle of test_scan.c, itself checked against libcsv) reads it
 *    as one record without error; and the skipper gets past every line of a file of
 *    well-formed RFC 4180 lines (it may stop early only on what it cannot judge);
 *  - the whole engine: a LIKE query over inputs with one tricky line placed at every offset
 *    around the first 64-byte blocks gives the same output, error code, message and record
 *    number with each SIMD kernel as with the scalar kernel, which has no skipper and
 *    parses every quoted line it cannot prove harmless (exec/prefilter.c).
 */
#include "scan/scan.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pluck.h"
#include "testbuf.h"
#include "testdia.h"

static void tb_puts(tb_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

static const char *const all_kernels[] = {"scalar", "sse42", "avx2", "neon", NULL};
static const char *const *const simd_kernels = all_kernels + 1;

static pl_dialect rfc_dialect(void)
{
    pl_dialect d = test_dialect();
    d.comment = -1;
    return d;
}

/* A scanner with kernel k, or NULL when this machine cannot run it. */
static pl_scanner *scanner_for(const char *k, const pl_dialect *d)
{
    cr_assert(setenv("PLUCK_FORCE_IMPL", k, 1) == 0);
    pl_scanner *s = pl_scanner_create(d, 1u << 20, 64);
    cr_assert(s);
    if (strcmp(pl_scanner_kernel(s), k)) {
        pl_scanner_free(s);
        return NULL;
    }
    return s;
}

/* The oracle for one line (its newline included): the scalar scanner reads it whole as one
 * data record (not empty, not a comment), without error. */
static bool scalar_accepts(pl_scanner *scalar, const char *line, size_t n)
{
    pl_batch *b;
    size_t used = 0;
    pluck_error err;
    pl_scanner_set_recno(scalar, 0);
    pluck_code rc = pl_scan(scalar, line, n, 0, true, &b, &used, &err);
    return rc == PLUCK_OK && used == n && b->nrec == 1;
}

static bool has(const char *p, size_t n, const char *lit, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (!memcmp(p + i, lit, len))
            return true;
    return false;
}

/* Lines, well-formed ones first: the skipper must pass every one of those. */
static const char *const good_lines[] = {
    "\"s-00031\",2024-01-01T00:00:00Z,-7.1,\"OK\"\n", "a,b,c\n", "\"\",\"\"\n",
    "\"a,b\",\"c\"\"d\"\n", "\"\"\"\"\n", "x,\"y\"\r\n", "ab\n",
    "\"long quoted field with spaces and, commas, inside it, more than a block long\",1\n",
    "\"a\"\"\"\"b\",\"\"\"x\"\"\"\n", ",,\n", "\"\"\r\n",
};
static const char *const odd_lines[] = {
    "\n", "\r\n", "x\n", "#c,\"x\"\n", "#\n", /* empty, one byte, comments: not data records */
    "a\"b,c\n",            /* a quote inside an unquoted field: data to the scanner */
    "\"a\"x\n",            /* CSVUnescapedQuote */
    "\"a\"\rX\n",          /* a CR after a closing quote, no newline after it */
    "\"a\nb\"\n",          /* a newline inside quotes */
    "\"unterminated\n", "\"ab\"\"\n", " \"a\",b\n", "\"FAIL\",1\n", "FAIL\n", "xFAILx,\"q\"\n",
    "\"q\"\r\r\n", "\"a\"\"b\"c\n",
    "a\",\"\"x\"\n", /* data quote, then a quoted field the scanner rejects: the masks
                        * see a valid doubled quote if they miss the misplaced first one */
};

static void append_random_lines(tb_buf *o, uint64_t *rng, int nlines, int odd_pct)
{
    for (int i = 0; i < nlines; i++) {
        uint64_t r = tb_next(rng);
        if ((int)(r % 100) < odd_pct)
            tb_puts(o, odd_lines[(r >> 8) % PL_ARRAY_SIZE(odd_lines)]);
        else
            tb_puts(o, good_lines[(r >> 8) % PL_ARRAY_SIZE(good_lines)]);
    }
}

/* Check one skipper answer over buf[0, n) for soundness; returns the stop position. */
static size_t check_skip(pl_scanner *s, pl_scanner *scalar, const pl_skip *k, const char *buf,
                         size_t n, const char *kname)
{
    size_t lines = 99;
    size_t stop = pl_scanner_skip(s, k, buf, n, &lines);
    cr_assert(stop <= n, "%s: stop %zu past %zu", kname, stop, n);
    cr_assert(stop == 0 || buf[stop - 1] == '\n', "%s: stop %zu not at a line start", kname,
              stop);
    size_t at = 0, counted = 0;
    while (at < stop) {
        const char *nl = memchr(buf + at, '\n', stop - at);
        cr_assert(nl, "%s: stop %zu inside a line", kname, stop);
        size_t len = (size_t)(nl - (buf + at)) + 1;
        cr_assert(len <= k->max_line, "%s: passed a line of %zu bytes at %zu", kname, len, at);
        cr_assert(!has(buf + at, len, k->lit, k->len),
                  "%s: passed a line holding the literal at %zu: [%.*s]", kname, at, (int)len,
                  buf + at);
        cr_assert(scalar_accepts(scalar, buf + at, len),
                  "%s: passed a line the scanner rejects at %zu: [%.*s]", kname, at, (int)len,
                  buf + at);
        at += len;
        counted++;
    }
    cr_assert_eq(lines, counted, "%s: %zu lines reported, %zu passed", kname, lines, counted);
    return stop;
}

/* pad bytes of well-formed quoted data lines ("o",1 with the first one's number padded
 * with z; below 6 bytes one line of z, which is empty or one byte below 3) */
static void pad_to(tb_buf *in, size_t pad)
{
    if (pad == 0)
        return;
    if (pad < 6) {
        for (size_t i = 1; i < pad; i++)
            tb_puts(in, "z");
        tb_puts(in, "\n");
        return;
    }
    tb_puts(in, "\"o\",1");
    for (size_t i = 0; i < pad % 6; i++)
        tb_puts(in, "z");
    tb_puts(in, "\n");
    for (size_t i = 1; i < pad / 6; i++)
        tb_puts(in, "\"o\",1\n");
}

Test(prefilter_skip, passes_only_lines_the_scalar_scanner_accepts)
{
    int kernels = 0;
    for (int comments = 0; comments < 2; comments++)
    for (const char *const *kn = simd_kernels; *kn; kn++) {
        pl_dialect d = rfc_dialect();
        if (comments)
            d.comment = '#';
        pl_scanner *scalar = scanner_for("scalar", &d);
        cr_assert(scalar);
        pl_scanner *s = scanner_for(*kn, &d);
        if (!s) {
            pl_scanner_free(scalar);
            continue;
        }
        kernels++;
        uint64_t rng = 0x5EED;
        for (int round = 0; round < 400; round++) {
            tb_buf in = {0};
            tb_puts(&in, "");
            append_random_lines(&in, &rng, 1 + (int)(tb_next(&rng) % 60),
                                round % 4 == 0 ? 0 : 15);
            static const char *const lits[] = {"FAIL", "F", "OK", "\"x"};
            const char *lit = lits[round % 3];
            pl_skip k = {.lit = lit, .len = strlen(lit),
                         .max_line = round % 5 == 1 ? 64 : 1000};
            size_t stop = check_skip(s, scalar, &k, in.p, in.n, *kn);
            if (round % 4 == 0 && k.max_line > 100 && strcmp(lit, "OK") && strcmp(lit, "F")) {
                /* only good lines without the literal: it stops only in the tail it does
                 * not read (the last 64 + dist bytes and the line they start in) */
                cr_assert(in.n - stop < 64 + k.len + 100,
                          "%s: stopped at %zu of %zu on well-formed lines", *kn, stop, in.n);
            }
            /* every offset into the same text, so each line meets each block boundary */
            for (size_t off = 0; round < 40 && off < in.n; off++)
                if (off == 0 || in.p[off - 1] == '\n')
                    check_skip(s, scalar, &k, in.p + off, in.n - off, *kn);
            free(in.p);
        }
        /* each odd line at every offset around the first two block boundaries, after
         * well-formed lines: the skipper must stop at it or pass it soundly */
        for (size_t t = 0; t < PL_ARRAY_SIZE(odd_lines); t++)
            for (size_t pad = 0; pad < 140; pad++) {
                tb_buf in = {0};
                pad_to(&in, pad);
                tb_puts(&in, odd_lines[t]);
                for (int i = 0; i < 8; i++)
                    tb_puts(&in, good_lines[0]);
                pl_skip k = {.lit = "FAIL", .len = 4, .max_line = 1000};
                size_t stop = check_skip(s, scalar, &k, in.p, in.n, *kn);
                /* it passes the well-formed lines before the odd one */
                cr_assert(stop >= pad || pad < 3 || in.n - stop < 64 + k.len + 100,
                          "%s: odd line %zu at %zu: stopped at %zu", *kn, t, pad, stop);
                free(in.p);
            }
        pl_scanner_free(s);
        pl_scanner_free(scalar);
    }
    cr_assert(unsetenv("PLUCK_FORCE_IMPL") == 0);
    cr_log_info("prefilter_skip: %d SIMD kernels checked", kernels);
}

/* ---- the whole engine: each SIMD kernel gives what the scalar one gives ---------------- */

typedef struct answer {
    char *out;
    size_t n;
    pluck_code rc;
    char msg[512];
    uint64_t record;
} answer;

static answer run_with(const char *kernel, const pluck_query *q, const char *in, size_t n)
{
    cr_assert(setenv("PLUCK_FORCE_IMPL", kernel, 1) == 0);
    tb_buf s = {0};
    tb_puts(&s, "");
    pluck_run *r = pluck_run_create(q, tb_sink, &s);
    cr_assert(r);
    pluck_code rc = pluck_run_feed(r, in, n);
    pluck_code fin = pluck_run_finish(r);
    answer a = {.out = s.p, .n = s.n, .rc = rc != PLUCK_OK ? rc : fin};
    const pluck_error *e = pluck_run_error(r);
    snprintf(a.msg, sizeof a.msg, "%s", e->message);
    a.record = e->record;
    pluck_run_free(r);
    return a;
}

Test(prefilter_skip, engine_same_answer_with_every_kernel)
{
    static const char *const tricky[] = {
        "\"a\"\rX,1\n", "\"a\"X\n", "a\"b\n", "\"a\nb\"\n", "\"a\"\"b\"\n", "\"a\",FAIL\n",
        "\"\"\n", "\"a\"\r\n", "\"\"\"\"\n", "\"ab\"\"\"\n", "\"FA\nIL\"\n", "x,\"y\"\r\r\n",
        "\"q\"\r", "\"a\",\"b\"\n", ",\"a\"\n", "\"a\",\n", "\"FAIL\"\n", "a\",\"\"x\"\n",
    };
    pluck_params *p = pluck_params_create();
    pluck_error err;
    cr_assert(pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, &err) == PLUCK_OK);
    const char *sql = "SELECT * FROM S3Object s WHERE s.c1 LIKE '%FAIL%'";
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &err);
    pluck_params_free(p);
    cr_assert(q);
    size_t cases = 0;
    for (size_t t = 0; t < PL_ARRAY_SIZE(tricky); t++)
        for (size_t k = 0; k < 140; k++) {
            tb_buf in = {0};
            tb_puts(&in, "c1,c2\n");
            pad_to(&in, k); /* the tricky line at offset k */
            tb_puts(&in, tricky[t]);
            for (int i = 0; i < 30; i++)
                tb_puts(&in, "\"o\",1\n");
            tb_puts(&in, "\"FAIL\",2\n");
            for (int i = 0; i < 20; i++)
                tb_puts(&in, "\"o\",1\n");
            answer want = run_with("scalar", q, in.p, in.n);
            for (const char *const *kn = simd_kernels; *kn; kn++) {
                answer got = run_with(*kn, q, in.p, in.n);
                cr_assert(got.rc == want.rc && got.n == want.n &&
                              !memcmp(got.out, want.out, want.n) &&
                              !strcmp(got.msg, want.msg) && got.record == want.record,
                          "kernel %s, tricky line %zu at offset %zu: %s [%s] record %llu vs "
                          "scalar %s [%s] record %llu",
                          *kn, t, k, pluck_code_name(got.rc), got.msg,
                          (unsigned long long)got.record, pluck_code_name(want.rc), want.msg,
                          (unsigned long long)want.record);
                free(got.out);
            }
            free(want.out);
            free(in.p);
            cases++;
        }
    pluck_query_free(q);
    cr_assert(unsetenv("PLUCK_FORCE_IMPL") == 0);
    cr_assert_eq(cases, PL_ARRAY_SIZE(tricky) * 140);
}

/* ---- findings of fuzz_prefilter (tests/HARDENING.md) ----------------------------------- */

/* The query with and without its prefilter (OR 1 = 0 binds none) agree on output, error and
 * RecordsScanned / CommentRecords, with each kernel. */
static void same_without_prefilter(const char *where, const char *esc, const char *in)
{
    char sql[256], sql0[256];
    snprintf(sql, sizeof sql, "SELECT * FROM S3Object s WHERE %s", where);
    snprintf(sql0, sizeof sql0, "SELECT * FROM S3Object s WHERE %s OR 1 = 0", where);
    pluck_params *p = pluck_params_create();
    pluck_error err;
    cr_assert(pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, &err) == PLUCK_OK);
    if (esc)
        cr_assert(pluck_params_set(p, PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER, esc, 1, &err) ==
                  PLUCK_OK);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &err);
    pluck_query *q0 = pluck_query_compile(sql0, strlen(sql0), p, &err);
    pluck_params_free(p);
    cr_assert(q && q0);
    for (const char *const *kn = all_kernels; *kn; kn++) {
        cr_assert(setenv("PLUCK_FORCE_IMPL", *kn, 1) == 0);
        for (int with = 0; with < 2; with++) {
            tb_buf a = {0}, b = {0};
            tb_put(&a, "", 0);
            tb_put(&b, "", 0);
            pluck_stats sa, sb;
            pluck_run *r = pluck_run_create(q, tb_sink, &a);
            pluck_run *r0 = pluck_run_create(q0, tb_sink, &b);
            cr_assert(r && r0);
            pluck_code ca = pluck_run_feed(r, in, strlen(in));
            pluck_code cb = pluck_run_feed(r0, in, strlen(in));
            if (!ca)
                ca = pluck_run_finish(r);
            if (!cb)
                cb = pluck_run_finish(r0);
            pluck_run_stats(r, &sa);
            pluck_run_stats(r0, &sb);
            cr_assert(ca == cb && a.n == b.n && !memcmp(a.p, b.p, a.n),
                      "%s (%s): [%.*s] vs [%.*s] without the prefilter", where, *kn,
                      (int)a.n, a.p, (int)b.n, b.p);
            cr_assert(sa.records_scanned == sb.records_scanned &&
                          sa.comment_records == sb.comment_records,
                      "%s (%s): RecordsScanned %llu vs %llu, comments %llu vs %llu", where,
                      *kn, (unsigned long long)sa.records_scanned,
                      (unsigned long long)sb.records_scanned,
                      (unsigned long long)sa.comment_records,
                      (unsigned long long)sb.comment_records);
            pluck_run_free(r);
            pluck_run_free(r0);
            free(a.p);
            free(b.p);
            (void)with;
        }
    }
    cr_assert(unsetenv("PLUCK_FORCE_IMPL") == 0);
    pluck_query_free(q);
    pluck_query_free(q0);
}

Test(prefilter_skip, f22_escape_inside_quotes_hides_no_literal)
{
    same_without_prefilter("s.b LIKE '%FAIL%'", "\\", "a,b\nc,d\nx,\"FA\\IL\"\ny,\"F\\AIL\"\n");
}

Test(prefilter_skip, f23_empty_and_comment_lines_are_not_counted_as_records)
{
    tb_buf in = {0};
    tb_put(&in, "h,b\nx,ok\n\n\r\nz\n", 14);
    for (int i = 0; i < 40; i++)
        tb_put(&in, "#c,x\n\"q\",1\n", 11);
    tb_put(&in, "y,FAIL\n", 8); /* with its NUL: in.p is read as a string */
    same_without_prefilter("s.b LIKE '%FAIL%'", NULL, in.p);
    free(in.p);
}

Test(prefilter_skip, f24_last_line_without_newline_counted_only_if_a_record)
{
    static const char *const ends[] = {"\r", "#c", "z", "zz", "\"q\"", "FAIL"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(ends); i++) {
        char in[64];
        snprintf(in, sizeof in, "a,b\nx,1\n\ny,2\n%s", ends[i]);
        same_without_prefilter("s.a LIKE '%FAIL%'", NULL, in);
    }
}

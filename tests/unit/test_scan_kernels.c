/*
 * test_scan_kernels.c — every scan kernel against the scalar one.
 *
 * First the whole of test_scan.c again, as suite "scan_kernels": its run() then drives the
 * scalar kernel (the oracle) and each SIMD kernel this machine runs (PLUCK_FORCE_IMPL) over
 * the same input, feeding and batch sizes, and fails on any difference; so the hand-written
 * cases, the libcsv differential and the reference-model fuzz all cover every kernel.
 *
 * Then what only the SIMD kernels can get wrong: 64-byte block boundaries (quotes, doubled
 * quotes, CRLF pairs and delimiters straddling them, records longer than a block or a
 * stage-1 span, the partial last block), the switch between the fast path and the
 * quoted-record walker, records straddling windows, and long random inputs in the shapes
 * real files have (mostly plain records with a few quoted ones), all compared with scalar.
 */
#define SCAN_SUITE scan_kernels
#define SCAN_ALL_KERNELS 1
#include "test_scan.c"

/* ---- block boundaries ------------------------------------------------------------------ */

/* Compare every kernel with scalar on `in` under a few feedings, batch sizes and pushdowns. */
static void diff_all(const pl_dialect *d, const char *in, size_t n, uint64_t seed)
{
    static const int chunks[] = {0, 0, 61, -200, -5000};
    static const uint32_t batches[] = {1024, 1, 7};
    static const uint32_t maxfs[] = {UINT32_MAX, 0, 1, 3};
    for (size_t c = 0; c < PL_ARRAY_SIZE(chunks); c++) {
        feed f = feed_default();
        f.raw = true;
        f.chunk = chunks[c];
        f.batch = batches[(c + seed) % PL_ARRAY_SIZE(batches)];
        f.maxf = maxfs[(c + seed / 3) % PL_ARRAY_SIZE(maxfs)];
        f.seed = seed * 7 + c;
        if (c == 1)
            f.max_rec = 40 + seed % 50; /* some records oversized */
        result r;
        run(d, in, n, &f, &r);
        result_free(&r);
    }
}

/* A prefix of `pad` plain bytes moves the interesting bytes across a block boundary. */
static void shifted(const pl_dialect *d, const char *core, int from, int to)
{
    for (int pad = from; pad <= to; pad++) {
        sbuf in = {0};
        sb_puts(&in, "");
        for (int i = 0; i < pad; i++)
            sb_puts(&in, i % 9 == 8 ? "," : "x");
        sb_puts(&in, core);
        diff_all(d, in.p, in.len, (uint64_t)pad);
        free(in.p);
    }
}

Test(scan_kernels, quotes_straddling_blocks)
{
    pl_dialect d = dia();
    /* the core lands at every offset around the first two block boundaries */
    shifted(&d, "\"ab\",\"c\"\"d\",\"\"\"\"\n\"e,f\"\r\ng\n", 40, 140);
    shifted(&d, "\"\",\"\"\"\n", 50, 70);
    shifted(&d, "a\"b,\"c\"d,e\n", 50, 70);  /* quote in unquoted field; bad close */
    shifted(&d, "\"unterminated\n", 50, 70);
    d.allow_quoted_record_delim = true;
    shifted(&d, "\"ab\n\",\"c\"\"\n\"\"d\"\r\nx,\"\r\n\"\n", 40, 140);
    shifted(&d, "\"x\ny", 50, 70); /* unterminated at the end of input */
    d.escape = '\\';
    shifted(&d, "\"a\\\"b\n\",\"c\\\\\",d\n\"\\x\"\n", 50, 70);
    d.allow_quoted_record_delim = false;
    shifted(&d, "\"a\\\"b\",\"c\\\\\",d\n\"\\x\"\n\"a\"\"b\"\n", 50, 70);
}

Test(scan_kernels, delimiters_and_crlf_straddling_blocks)
{
    pl_dialect d = dia();
    shifted(&d, "a,b\r\nc,,d\r\n\r\n,\r\n", 55, 70);
    shifted(&d, "#comment,\"x\nq,r\n", 55, 70);
    shifted(&d, "last\r", 55, 70);
    d.field_delim = '\t';
    shifted(&d, "a\tb\t\"c\td\"\n", 55, 70);
    pl_dialect e = dia_rd(";");
    shifted(&e, "a,b;\"c;d\";e\r;", 55, 70);
    e.allow_quoted_record_delim = true;
    shifted(&e, "a,b;\"c;d\";e\r;", 55, 70);
}

/* Records longer than a block and than the walker's first spans, quoted and not. */
Test(scan_kernels, long_records_and_fields)
{
    static const int lens[] = {63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 5000, 20000};
    for (int aq = 0; aq < 2; aq++) {
        pl_dialect d = dia();
        d.allow_quoted_record_delim = aq;
        for (size_t li = 0; li < PL_ARRAY_SIZE(lens); li++) {
            sbuf in = {0};
            sb_puts(&in, "");
            for (int rep = 0; rep < 3; rep++) {
                for (int i = 0; i < lens[li]; i++)
                    sb_puts(&in, i % 13 == 12 ? "," : "y");
                sb_puts(&in, "\n\"");
                for (int i = 0; i < lens[li]; i++)
                    sb_puts(&in, i % 17 == 16 ? "\"\"" : i % 11 == 10 ? "," : aq && i % 29 == 28 ? "\n" : "z");
                sb_puts(&in, "\",tail\r\n");
            }
            diff_all(&d, in.p, in.len, li);
            free(in.p);
        }
    }
}

/* ---- records straddling windows -------------------------------------------------------- */

Test(scan_kernels, windows_cut_anywhere)
{
    pl_dialect d = dia();
    sbuf in = {0};
    sb_puts(&in, "");
    uint64_t rng = 99;
    for (int r = 0; r < 400; r++) {
        int nf = 1 + (int)xs_below(&rng, 20);
        for (int f = 0; f < nf; f++) {
            if (f)
                sb_puts(&in, ",");
            int l = (int)xs_below(&rng, 12) + (nf == 1); /* no empty records */
            for (int i = 0; i < l; i++)
                sb_puts(&in, "k");
        }
        sb_puts(&in, r % 3 ? "\n" : "\r\n");
    }
    for (int chunk = 1; chunk <= 130; chunk += 3) {
        feed f = feed_default();
        f.raw = true;
        f.chunk = chunk;
        f.batch = 1 + (uint32_t)chunk % 5;
        result r;
        run(&d, in.p, in.len, &f, &r);
        cr_assert_eq(r.code, PLUCK_OK);
        cr_assert_eq(r.nrec, 400);
        result_free(&r);
    }
    free(in.p);
}

/* ---- random files in realistic shapes ---------------------------------------------------- */

/* Mostly plain records, some quoted fields (with doubled quotes, delimiters, CR and LF
 * inside), the odd comment, empty line, stray quote or distinct escape, with fields long
 * and short so that everything lands on block boundaries sooner or later. */
static void gen_file(uint64_t *rng, const pl_dialect *d, sbuf *o, int nrec, int quoted_pct)
{
    char fd = (char)d->field_delim;
    for (int r = 0; r < nrec; r++) {
        uint32_t k = xs_below(rng, 100);
        if (k == 0) {
            sb_puts(o, "#c\"omment");
        } else if (k == 1) {
            /* empty line */
        } else {
            int nf = 1 + (int)xs_below(rng, 12);
            for (int f = 0; f < nf; f++) {
                if (f)
                    sb_put(o, &fd, 1);
                int l = (int)xs_below(rng, xs_below(rng, 10) == 0 ? 90 : 9);
                bool q = (int)xs_below(rng, 100) < quoted_pct;
                if (q)
                    sb_puts(o, "\"");
                for (int i = 0; i < l; i++) {
                    uint32_t c = xs_below(rng, 60);
                    if (q && c == 0)
                        sb_puts(o, "\"\"");
                    else if (q && c == 1)
                        sb_put(o, &fd, 1);
                    else if (q && c == 2)
                        sb_puts(o, d->allow_quoted_record_delim ? "\n" : "\r");
                    else if (q && c == 3 && d->escape == '\\')
                        sb_puts(o, "\\\"");
                    else if (c == 4 && xs_below(rng, 50) == 0)
                        sb_puts(o, "\""); /* a stray quote: data or an error */
                    else
                        sb_put(o, &"abcdefghij0123456789 .-"[c % 23], 1);
                }
                if (q)
                    sb_puts(o, "\"");
            }
        }
        sb_puts(o, xs_below(rng, 4) == 0 ? "\r\n" : "\n");
    }
}

Test(scan_kernels, random_files)
{
    uint64_t rng = 424242;
    for (int t = 0; t < 150; t++) {
        pl_dialect d = dia();
        d.field_delim = xs_below(&rng, 2) ? ',' : '|';
        d.allow_quoted_record_delim = xs_below(&rng, 2);
        uint32_t e = xs_below(&rng, 4);
        d.escape = e == 0 ? '\\' : e == 1 ? -1 : '"';
        d.comment = xs_below(&rng, 2) ? '#' : -1;
        sbuf in = {0};
        sb_puts(&in, "");
        int pct = (int)xs_below(&rng, 3) * 15; /* 0, 15 or 30 % of fields quoted */
        gen_file(&rng, &d, &in, 50 + (int)xs_below(&rng, 300), pct);
        diff_all(&d, in.p, in.len, (uint64_t)t);
        free(in.p);
    }
}

/* The run's literal prefilter hands the scanner one candidate line at a time, marked final,
 * in the middle of the stream.  Render what each kernel makes of that. */
static void line_by_line(const pl_dialect *d, const char *in, size_t n, uint32_t maxf,
                         sbuf *out)
{
    pl_scanner *s = pl_scanner_create(d, 1 << 20, 64);
    cr_assert(s);
    pl_scanner_set_max_fields(s, maxf);
    size_t pos = 0;
    while (pos < n) {
        const char *nl = memchr(in + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - in) + 1 : n;
        size_t at = pos;
        while (at < end) {
            char *copy = malloc(end - at); /* exact size: ASan sees any overread */
            cr_assert(copy);
            memcpy(copy, in + at, end - at);
            pl_batch *b;
            size_t used;
            pluck_error err;
            pluck_code rc = pl_scan(s, copy, end - at, at, true, &b, &used, &err);
            char tr[96];
            snprintf(tr, sizeof tr, "<%d %u %zu %llu>", rc, b->nrec, used,
                     (unsigned long long)(rc ? err.byte_offset : 0));
            sb_puts(out, tr);
            for (uint32_t i = 0; i < b->nrec; i++) {
                snprintf(tr, sizeof tr, "%llu@%llu:", (unsigned long long)b->recno[i],
                         (unsigned long long)b->offset[i]);
                sb_puts(out, tr);
                for (uint32_t j = 0; j < b->nfields[i]; j++) {
                    sb_put(out, b->fields[b->first[i] + j].p, b->fields[b->first[i] + j].len);
                    sb_puts(out, "\x1f");
                }
            }
            free(copy);
            if (rc != PLUCK_OK || used == 0)
                break;
            at += used;
        }
        pos = end;
    }
    pl_scanner_free(s);
}

Test(scan_kernels, single_line_final_buffers)
{
    uint64_t rng = 777;
    for (int t = 0; t < 40; t++) {
        pl_dialect d = dia();
        d.field_delim = '|';
        d.allow_quoted_record_delim = t % 2;
        sbuf in = {0};
        sb_puts(&in, "");
        gen_file(&rng, &d, &in, 60, t % 3 ? 10 : 0);
        uint32_t maxf = t % 4 == 0 ? 2 : UINT32_MAX;
        use_kernel("scalar");
        sbuf want = {0};
        sb_puts(&want, "");
        line_by_line(&d, in.p, in.len, maxf, &want);
        for (const char *const *k = all_kernels + 1; *k; k++) {
            if (!use_kernel(*k))
                continue;
            sbuf got = {0};
            sb_puts(&got, "");
            line_by_line(&d, in.p, in.len, maxf, &got);
            cr_assert_eq(got.len, want.len, "case %d kernel %s", t, *k);
            cr_assert(memcmp(got.p, want.p, want.len) == 0, "case %d kernel %s", t, *k);
            free(got.p);
        }
        free(want.p);
        free(in.p);
    }
}

/* ---- dispatch ------------------------------------------------------------------------------ */

Test(scan_kernels, forced_kernel_and_fallbacks)
{
    pl_dialect d = dia();
    /* an unknown name is ignored: the automatic choice */
    cr_assert(setenv("PLUCK_FORCE_IMPL", "no-such-kernel", 1) == 0);
    pl_scanner *s = pl_scanner_create(&d, 100, 4);
    cr_assert(s);
    const char *autok = pl_scanner_kernel(s);
    pl_scanner_free(s);
    cr_assert(unsetenv("PLUCK_FORCE_IMPL") == 0);
    s = pl_scanner_create(&d, 100, 4);
    cr_assert_str_eq(pl_scanner_kernel(s), autok);
    pl_scanner_free(s);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("pclmul"))
        cr_assert_str_eq(autok, "avx2");
#endif
    /* dialects the SIMD kernels do not take run scalar whatever is forced */
    for (const char *const *k = all_kernels; *k; k++) {
        cr_assert(setenv("PLUCK_FORCE_IMPL", *k, 1) == 0);
        pl_dialect m = dia_rd("||");
        s = pl_scanner_create(&m, 100, 4);
        cr_assert_str_eq(pl_scanner_kernel(s), "scalar");
        pl_scanner_free(s);
        m = dia();
        m.quote = ',';
        s = pl_scanner_create(&m, 100, 4);
        cr_assert_str_eq(pl_scanner_kernel(s), "scalar");
        pl_scanner_free(s);
    }
}

/* The prefilter's search: every kernel agrees with a naive search, for literals of length 1
 * to 5, with and without a quote, around every block and tail boundary; the longest line
 * agrees wherever it is 64 bytes or more (the kernels measure lines crossing blocks). */
static size_t naive_find(const pl_find *f, const char *p, size_t n, pl_find_pos *at)
{
    /* two passes, unlike the kernels: where the search stops, then the lines before it */
    size_t stop = 0;
    ptrdiff_t cur = at->line; /* where the line p[stop] is in starts */
    for (; stop < n; stop++) {
        int c = (unsigned char)p[stop];
        if (c == f->quote || (c == f->first && stop + f->dist < n &&
                              (unsigned char)p[stop + f->dist] == f->last))
            break;
        /* lines that are not data records: a comment or an empty line at its start, a
         * one-byte line at its newline */
        if ((ptrdiff_t)stop == cur && (c == f->comment || c == '\n'))
            break;
        if (c == '\n' && (ptrdiff_t)stop == cur + 1)
            break;
        if (c == '\n')
            cur = (ptrdiff_t)stop + 1;
    }
    size_t from = 0;
    const char *nl;
    while (from < stop && (nl = memchr(p + from, '\n', stop - from))) {
        ptrdiff_t end = nl - p;
        if ((size_t)(end - at->line) + 1 > at->longest)
            at->longest = (size_t)(end - at->line) + 1;
        at->line = end + 1;
        at->lines++;
        from = (size_t)end + 1;
    }
    return stop;
}

Test(scan_kernels, find_matches_naive_search)
{
    pl_dialect d = dia();
    static char buf[1024 + 64];
    uint32_t x = 777;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        /* mostly filler, some newlines (now and then none for a long stretch), rare literal
         * bytes and quotes */
        unsigned v = (x >> 16) % 64;
        bool long_line = (i / 256) % 2 == 1;
        buf[i] = v < 4 && !long_line ? '\n' : v == 5 ? 'F' : v == 6 ? 'L' : v == 7 ? '"'
                                           : v == 8                          ? '#'
                                                                   : (char)('a' + v % 20);
    }
    for (const char *const *k = all_kernels; *k; k++) {
        cr_assert(setenv("PLUCK_FORCE_IMPL", *k, 1) == 0);
        pl_scanner *s = pl_scanner_create(&d, 100, 4);
        cr_assert(s);
        for (uint32_t dist = 0; dist < 5; dist++)
            for (int quote = -1; quote <= '"'; quote += '"' + 1)
                for (size_t off = 0; off < 3; off++)
                    for (size_t n = 0; n <= 1024; n += n < 160 ? 1 : 37) {
                        /* comments on and off; p[0] inside a line, just after a line
                         * start, at a line start */
                        pl_find f = {.first = 'F', .last = dist ? 'L' : 'F', .dist = dist,
                                     .quote = quote, .comment = n % 2 ? '#' : -1};
                        static const ptrdiff_t starts[] = {-5, -1, 0};
                        pl_find_pos a = {.lines = 3, .line = starts[(n + off) % 3],
                                         .longest = 1};
                        pl_find_pos b = a;
                        size_t ia = pl_scanner_find(s, &f, buf + off, n, &a);
                        size_t ib = naive_find(&f, buf + off, n, &b);
                        bool longest_ok = a.longest == b.longest ||
                                          (a.longest < 64 && b.longest < 64);
                        cr_assert(ia == ib && a.lines == b.lines && a.line == b.line &&
                                      longest_ok,
                                  "kernel %s dist %u quote %d off %zu n %zu: %zu/%zu lines "
                                  "%zu/%zu line %td/%td longest %zu/%zu",
                                  *k, dist, quote, off, n, ia, ib, a.lines, b.lines, a.line,
                                  b.line, a.longest, b.longest);
                    }
        pl_scanner_free(s);
    }
    cr_assert(unsetenv("PLUCK_FORCE_IMPL") == 0);
}

/*
 * fuzz_scan_diff.c — differential fuzzing of the CSV scanner kernels.
 *
 * The same input and dialect go through every scanner kernel this CPU runs (scalar, sse42,
 * avx2; chosen with PLUCK_FORCE_IMPL at pl_scanner_create, as the unit tests do), each fed
 * once in random chunks through a window driven like the run drives it (src/source/ and src/exec/exec.c:
 * append, scan complete records, slide the tail, a last pass with `final`), plus the scalar
 * kernel fed all at once.  Every run must cut the same records (record numbers, offsets,
 * fields, byte for byte) and end with the same error at the same record and byte offset;
 * any disagreement aborts.  Where the dialect is libcsv's (quote '"' doubled, no comments,
 * "\n" records, no CR in the input) and the scalar kernel accepted the input, libcsv must
 * cut the same fields too (built with -DFUZZ_WITH_LIBCSV -lcsv, as scripts/fuzz.sh does when
 * libcsv is installed).
 *
 * Input: [0] field delimiter, [1] quote, [2] escape, [3] comment (bytes below 0xC0 pick
 * from a list of usual values, others are raw), [4] flags (bit 0 AllowQuotedRecordDelimiter,
 * bits 1-2 record delimiter "\n" "\r\n" ";" "||", bit 3 small max record size, bits 4-6
 * max_fields, bit 7 small batches), [5] chunk seed; then the CSV.  The dialect goes through
 * pluck_params_set() and pluck_query_compile() first, so only dialects the library accepts
 * reach the scanner.
 */
#include "fuzz_common.h"

#include "common/common.h"
#include "pluck.h"
#include "scan/scan.h"

#ifdef FUZZ_WITH_LIBCSV
#include <csv.h>
#endif

typedef struct scan_result {
    pluck_code rc;
    uint64_t err_record, err_offset;
    fz_sink log;   /* records, serialized */
    fz_sink txt;   /* fields followed by \x1f, records by \x1e (as the libcsv oracle) */
    size_t nrec;
    char kernel[16];
} scan_result;

static void put_u64(fz_sink *s, uint64_t v) { fz_sink_add(s, (const char *)&v, sizeof v); }

static void scan_all(const pl_dialect *d, size_t max_rec, uint32_t batch, uint32_t max_fields,
                     const char *kernel, const uint8_t *data, size_t len, uint64_t seed,
                     int one_shot, scan_result *res)
{
    memset(res, 0, sizeof *res);
    setenv("PLUCK_FORCE_IMPL", kernel, 1);
    pl_scanner *s = pl_scanner_create(d, max_rec, batch);
    unsetenv("PLUCK_FORCE_IMPL");
    FUZZ_CHECK(s, "pl_scanner_create failed");
    snprintf(res->kernel, sizeof res->kernel, "%s", pl_scanner_kernel(s));
    pl_scanner_set_max_fields(s, max_fields);

    fz_rng rng;
    fz_rng_seed(&rng, seed);
    char *win = malloc(len + 1);
    FUZZ_CHECK(win, "malloc");
    size_t wlen = 0, fed = 0;
    uint64_t wbase = 0;
    int final = 0;
    unsigned guard = 0;
    for (;;) {
        if (fed < len) {
            size_t n = one_shot ? len : fz_rng_range(&rng, 1, (rng.s & 1) ? 16 : 200);
            if (n > len - fed)
                n = len - fed;
            memcpy(win + wlen, data + fed, n);
            wlen += n;
            fed += n;
        } else {
            final = 1;
        }
        for (;;) {
            FUZZ_CHECK(++guard < 1000000, "the scanner does not advance");
            pl_batch *b;
            size_t used = 0;
            pluck_error err;
            memset(&err, 0, sizeof err);
            pluck_code rc = pl_scan(s, win, wlen, wbase, final, &b, &used, &err);
            if (rc) {
                FUZZ_CHECK(err.code == rc, "pl_scan returned %d but err.code is %d", rc, err.code);
                FUZZ_CHECK(b->nrec == 0 && used == 0, "an error with records or bytes consumed");
                res->rc = rc;
                res->err_record = err.record;
                res->err_offset = err.byte_offset;
                goto out;
            }
            FUZZ_CHECK(used <= wlen, "consumed %zu of %zu bytes", used, wlen);
            if (b->nrec == 0 && used == 0)
                break;
            FUZZ_CHECK(b->nrec <= batch, "a batch of %u records (cap %u)", b->nrec, batch);
            for (uint32_t i = 0; i < b->nrec; i++) {
                FUZZ_CHECK(b->offset[i] >= wbase && b->offset[i] < wbase + used,
                           "record offset %llu outside [%llu, %llu)",
                           (unsigned long long)b->offset[i], (unsigned long long)wbase,
                           (unsigned long long)(wbase + used));
                FUZZ_CHECK(b->nfields[i] <= max_fields && b->nfields[i] >= 1,
                           "record with %u fields (max_fields %u)", b->nfields[i], max_fields);
                put_u64(&res->log, b->recno[i]);
                put_u64(&res->log, b->offset[i]);
                put_u64(&res->log, b->nfields[i]);
                for (uint32_t f = 0; f < b->nfields[i]; f++) {
                    const pl_field *fl = &b->fields[b->first[i] + f];
                    FUZZ_CHECK(fl->len <= len, "field length %u > input %zu", fl->len, len);
                    put_u64(&res->log, fl->len);
                    fz_sink_add(&res->log, fl->p, fl->len);
                    fz_sink_add(&res->txt, fl->p, fl->len);
                    fz_sink_add(&res->txt, "\x1f", 1);
                }
                fz_sink_add(&res->txt, "\x1e", 1);
                res->nrec++;
            }
            memmove(win, win + used, wlen - used);
            wlen -= used;
            wbase += used;
        }
        if (final)
            break;
    }
    FUZZ_CHECK(wlen == 0, "%zu bytes left unconsumed after the final pass", wlen);
out:
    free(win);
    pl_scanner_free(s);
}

static const char *pick(unsigned b, const char *const *list, size_t n, char *raw, size_t *len)
{
    if (b < 0xC0) {
        const char *v = list[b % n];
        *len = strlen(v);
        return v;
    }
    raw[0] = (char)b;
    *len = 1;
    return raw;
}

static int set(pluck_params *p, pluck_param id, const char *v, size_t n)
{
    pluck_error e;
    return pluck_params_set(p, id, v, n, &e) == PLUCK_OK ? 0 : -1;
}

static void compare(const scan_result *ref, const scan_result *r, const char *what,
                    const uint8_t *data, size_t len)
{
    if (ref->rc == r->rc && ref->log.len == r->log.len &&
        (!ref->log.len || !memcmp(ref->log.data, r->log.data, ref->log.len)) &&
        (!ref->rc || (ref->err_record == r->err_record && ref->err_offset == r->err_offset)))
        return;
    fz_dump("input", data, len);
    size_t i = 0;
    while (i < ref->log.len && i < r->log.len && ref->log.data[i] == r->log.data[i])
        i++;
    FUZZ_CHECK(0,
               "%s (%s) disagrees with scalar/one-shot: %s at record %llu byte %llu, %zu records "
               "vs %s at record %llu byte %llu, %zu records; logs differ from byte %zu",
               what, r->kernel, pluck_code_name(ref->rc), (unsigned long long)ref->err_record,
               (unsigned long long)ref->err_offset, ref->nrec, pluck_code_name(r->rc),
               (unsigned long long)r->err_record, (unsigned long long)r->err_offset, r->nrec, i);
}

#ifdef FUZZ_WITH_LIBCSV
/* ---- libcsv, a third opinion where its dialect is ours ------------------------------------ */

static void lc_field(void *p, size_t n, void *ctx)
{
    fz_sink *t = ctx;
    fz_sink_add(t, p ? p : "", n);
    fz_sink_add(t, "\x1f", 1);
}

static void lc_record(int c, void *ctx)
{
    (void)c;
    fz_sink_add(ctx, "\x1e", 1);
}

static int lc_no_space(unsigned char c)
{
    (void)c;
    return 0; /* libcsv trims spaces and tabs around unquoted fields by default; S3 does not */
}

/* libcsv reads RFC 4180 with quoted newlines always allowed and any CR as a line end, so it
 * is asked only about inputs the scalar kernel accepted, without CR bytes, in the dialect
 * quote '"' doubled, no comments, "\n" records, every field cut. */
static void libcsv_compare(const pl_dialect *d, uint32_t max_fields, const scan_result *ref,
                           const uint8_t *data, size_t len)
{
    if (ref->rc || max_fields != UINT32_MAX || d->quote != '"' || d->escape != '"' ||
        d->comment != -1 || d->record_delim.len != 1 || d->record_delim.s[0] != '\n' ||
        memchr(data, '\r', len))
        return;
    fz_sink t = {0};
    struct csv_parser p;
    FUZZ_CHECK(csv_init(&p, 0) == 0, "csv_init");
    csv_set_delim(&p, d->field_delim);
    csv_set_space_func(&p, lc_no_space);
    size_t n = csv_parse(&p, data, len, lc_field, lc_record, &t);
    FUZZ_CHECK(n == len, "libcsv stopped at %zu: %s", n, csv_strerror(csv_error(&p)));
    csv_fini(&p, lc_field, lc_record, &t);
    csv_free(&p);
    if (t.len != ref->txt.len || (t.len && memcmp(t.data, ref->txt.data, t.len))) {
        fz_dump("input", data, len);
        fz_dump("pluck", ref->txt.data, ref->txt.len);
        fz_dump("libcsv", t.data, t.len);
        FUZZ_CHECK(0, "the scalar kernel and libcsv cut different fields");
    }
    fz_sink_free(&t);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6 || size > 128 * 1024)
        return 0;
    fz_in in = {data, size};
    unsigned bfd = fz_byte(&in), bq = fz_byte(&in), be = fz_byte(&in), bc = fz_byte(&in);
    unsigned flags = fz_byte(&in), seed = fz_byte(&in);
    const uint8_t *csv = in.p;
    size_t len = in.n;

    static const char *const fds[] = {",", ";", "\t", "|", " "};
    static const char *const qs[] = {"\"", "'", "", "\""};
    static const char *const es[] = {NULL, "\\", "\"", "", "'", NULL};
    static const char *const cs[] = {"#", "", "", ";"};
    static const char *const rds[] = {"\n", "\r\n", ";", "||"};
    char rfd[1], rq[1], re[1], rc_[1];
    size_t l;

    pluck_params *p = pluck_params_create();
    FUZZ_CHECK(p, "pluck_params_create");
    int bad = 0;
    const char *v = pick(bfd, fds, 5, rfd, &l);
    bad |= set(p, PLUCK_PARAM_FIELD_DELIMITER, v, l);
    v = pick(bq, qs, 4, rq, &l);
    bad |= set(p, PLUCK_PARAM_QUOTE_CHARACTER, v, l);
    if (be >= 0xC0 || es[be % 6]) {
        v = pick(be, es, 6, re, &l);
        bad |= set(p, PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER, v, l);
    }
    v = pick(bc, cs, 4, rc_, &l);
    bad |= set(p, PLUCK_PARAM_COMMENTS, v, l);
    if (flags & 1)
        bad |= set(p, PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, "TRUE", 4);
    v = rds[(flags >> 1) & 3];
    bad |= set(p, PLUCK_PARAM_RECORD_DELIMITER, v, strlen(v));
    pluck_error ce;
    pluck_query *q = bad ? NULL : pluck_query_compile("SELECT * FROM S3Object", 22, p, &ce);
    if (!q) {
        pluck_params_free(p);
        return 0;
    }
    pluck_query_free(q);
    const pl_dialect d = p->in;
    pluck_params_free(p);

    size_t max_rec = (flags & 8) ? 16 + (seed & 63) : 1 << 20;
    static const uint32_t mfs[] = {UINT32_MAX, UINT32_MAX, 1, 2, 3, 5, 17, UINT32_MAX};
    uint32_t max_fields = mfs[(flags >> 4) & 7];
    uint32_t batch = (flags & 128) ? 1 + (seed % 5) : 1024;

    scan_result ref, r;
    scan_all(&d, max_rec, batch, max_fields, "scalar", csv, len, seed, 1, &ref);
#ifdef FUZZ_WITH_LIBCSV
    libcsv_compare(&d, max_fields, &ref, csv, len);
#endif
    static const char *const kernels[] = {"scalar", "sse42", "avx2", "neon"};
    for (size_t k = 0; k < 4; k++) {
        for (int shot = 0; shot < 2; shot++) {
            if (k == 0 && shot == 1)
                continue; /* the reference */
            scan_all(&d, max_rec, batch, max_fields, kernels[k], csv, len, seed * 31 + k, shot,
                     &r);
            if (k > 0 && strcmp(r.kernel, kernels[k])) {
                fz_sink_free(&r.log); /* not on this CPU, or not for this dialect */
                fz_sink_free(&r.txt);
                break;
            }
            compare(&ref, &r, shot ? "one shot" : "chunked", csv, len);
            fz_sink_free(&r.log);
            fz_sink_free(&r.txt);
        }
    }
    fz_sink_free(&ref.log);
    fz_sink_free(&ref.txt);
    return 0;
}

/*
 * fuzz_codec.c — arbitrary bytes through every decompressor.
 *
 * Input: byte 0 the mode, byte 1 the output buffer size (1..256), byte 2 the input chunk
 * size (1..256); the rest is the (supposedly) compressed stream.
 *
 * Modes (byte 0 % 8):
 *   0 gzip, 1 zstd, 2 bzip2, 3 xz, 4 none — pl_codec_* directly:
 *       decoded twice, with tiny output buffers and input chunks, and with one 64 KiB buffer
 *       and the whole input at once.  Both decodes must end with the same code, message and
 *       bytes, also after an error.  Errors are TruncatedInput or InvalidCompressionFormat
 *       with a message, and a decode call that has input and output room always makes
 *       progress.
 *       gzip is decoded with both backends, zlib and ISA-L: the same code, one output a
 *       prefix of the other (zlib rejects incomplete Huffman codes that ISA-L decodes
 *       with; F20: where such a block still decodes right and the checksums match, ISA-L
 *       succeeds), and ISA-L cut both ways exactly alike too (F13, F19).
 *   5 detection: pl_codec_detect on every prefix agrees with the whole stream's answer.
 *   6 the public API, CompressionType AUTO: `SELECT * ... LIMIT 20` pushed in chunks;
 *   7 the public API, CompressionType from byte 0 >> 3 (GZIP, ZSTD, BZIP2, XZ, NONE, AUTO):
 *       `SELECT *` pulled through pluck_run_read() with threads=2 (the decompression
 *       thread) and pushed with feed(): both runs end alike.
 *       Inputs that decompress to more than 4 MiB are skipped in modes 6 and 7 (the API has
 *       no way to stop a decompression bomb but LIMIT), and capped at 4 MiB in modes 0-4.
 */
#include "fuzz_common.h"

#include "codec/codec.h"
#include "pluck.h"

#define OUT_CAP (4u << 20)

typedef struct dec {
    pluck_code rc;
    int capped;   /* stopped at OUT_CAP */
    fz_sink out;
    char msg[300];
} dec;

static void decode_all(pl_compression kind, pl_gzip_backend be, const uint8_t *data,
                       size_t len, size_t in_step, size_t out_step, dec *d)
{
    memset(d, 0, sizeof *d);
    pl_codec *c = pl_codec_create(kind, be);
    FUZZ_CHECK(c, "pl_codec_create(%d, %d) failed", (int)kind, (int)be);
    static unsigned char buf[64 * 1024];
    if (out_step > sizeof buf)
        out_step = sizeof buf;
    size_t off = 0;
    pluck_code rc = PLUCK_OK;
    int draining = 0;
    for (;;) {
        const unsigned char *in = data + off;
        size_t in_len = len - off < in_step ? len - off : in_step;
        if (draining)
            in_len = 0;
        size_t chunk = in_len;
        for (;;) {
            unsigned char *o = buf;
            size_t cap = out_step, before = in_len;
            rc = pl_codec_decode(c, &in, &in_len, &o, &cap);
            size_t produced = out_step - cap;
            FUZZ_CHECK(o == buf + produced && in_len <= before, "pointers not advanced in step");
            fz_sink_add(&d->out, (const char *)buf, produced);
            if (rc)
                goto done;
            if (d->out.len > OUT_CAP) {
                d->capped = 1;
                goto done;
            }
            if (in_len == 0 && produced == 0)
                break;
            FUZZ_CHECK(produced || in_len < before,
                       "decode made no progress with %zu bytes of input and %zu of room",
                       in_len, out_step);
        }
        off += chunk;
        if (draining)
            break;
        if (off >= len) {
            draining = 1; /* calls with no input until nothing more comes */
            pl_codec_end_input(c);
        }
    }
    rc = pl_codec_finish(c);
    /* finish is idempotent */
    FUZZ_CHECK(pl_codec_finish(c) == rc, "a second finish disagrees");
done:
    snprintf(d->msg, sizeof d->msg, "%s", pl_codec_message(c));
    d->rc = rc;
    if (rc) {
        FUZZ_CHECK(rc == PLUCK_E_TRUNCATED_INPUT || rc == PLUCK_E_INVALID_COMPRESSION_FORMAT,
                   "%s decode failed with %s: %s", pl_codec_name(c), pluck_code_name(rc),
                   d->msg);
        FUZZ_CHECK(d->msg[0], "error %s without a message", pluck_code_name(rc));
        /* errors are sticky */
        unsigned char one[1], *o = one;
        size_t cap = 1, z = 0;
        const unsigned char *in = data;
        FUZZ_CHECK(pl_codec_decode(c, &in, &z, &o, &cap) == rc, "error not sticky");
    }
    pl_codec_free(c);
}

/* zlib's message for a dynamic block header whose Huffman code is incomplete or
 * oversubscribed, which ISA-L decodes with (F20 in tests/HARDENING.md). */
static int bad_code_set(const char *msg)
{
    return strstr(msg, "invalid literal/lengths set") || strstr(msg, "invalid distances set") ||
           strstr(msg, "invalid code lengths set");
}

/* zlib (a) vs ISA-L (b): the same code; the same output on success; a prefix relation
 * otherwise.  One exception, F20: zlib rejects a bad code set that ISA-L decodes with, and
 * where the block still decodes right and the CRC-32 and ISIZE match, ISA-L succeeds. */
static void agree(const char *what, const dec *a, const dec *b)
{
    if (a->capped || b->capped)
        return;
    size_t n = a->out.len < b->out.len ? a->out.len : b->out.len;
    int prefix = !n || !memcmp(a->out.data, b->out.data, n);
    int same = a->out.len == b->out.len && prefix;
    int f20 = b->rc == PLUCK_OK && a->rc == PLUCK_E_TRUNCATED_INPUT && bad_code_set(a->msg) &&
              a->out.len <= b->out.len;
    if ((a->rc != b->rc && !f20) || !prefix || (a->rc == PLUCK_OK && !same)) {
        fz_dump("first output", a->out.data, a->out.len);
        fz_dump("second output", b->out.data, b->out.len);
        FUZZ_CHECK(0, "%s: %s (%s) vs %s (%s), outputs %zu and %zu bytes%s", what,
                   pluck_code_name(a->rc), a->msg, pluck_code_name(b->rc), b->msg, a->out.len,
                   b->out.len, prefix ? "" : ", not prefixes of each other");
    }
}

/* The same code, message and bytes, also after an error. */
static void exact(const char *what, const dec *a, const dec *b)
{
    if (a->rc == b->rc && a->out.len == b->out.len &&
        (!a->out.len || !memcmp(a->out.data, b->out.data, a->out.len)) &&
        !strcmp(a->msg, b->msg))
        return;
    fz_dump("first output", a->out.data, a->out.len);
    fz_dump("second output", b->out.data, b->out.len);
    FUZZ_CHECK(0, "%s: %s (%s) vs %s (%s), outputs %zu and %zu bytes", what,
               pluck_code_name(a->rc), a->msg, pluck_code_name(b->rc), b->msg, a->out.len,
               b->out.len);
}

/* ---- the public API ------------------------------------------------------------------- */

static int sink_write(void *opaque, const char *data, size_t len)
{
    return fz_sink_add(opaque, data, len);
}

typedef struct reader {
    const uint8_t *p;
    size_t n;
    fz_rng *rng;
} reader;

static ptrdiff_t read_cb(void *opaque, void *buf, size_t cap)
{
    reader *r = opaque;
    size_t n = fz_rng_range(r->rng, 1, 300);
    if (n > r->n)
        n = r->n;
    if (n > cap)
        n = cap;
    memcpy(buf, r->p, n);
    r->p += n;
    r->n -= n;
    return (ptrdiff_t)n;
}

static pluck_code api_run(const char *ctype, int threads, const char *sql, const uint8_t *data,
                          size_t len, fz_rng *rng, fz_sink *out, pluck_error *err)
{
    pluck_params *p = pluck_params_create();
    pluck_error e;
    FUZZ_CHECK(pluck_params_set(p, PLUCK_PARAM_COMPRESSION_TYPE, ctype, strlen(ctype), &e) == 0,
               "%s", e.message);
    if (threads)
        FUZZ_CHECK(pluck_params_set(p, PLUCK_PARAM_THREADS, "2", 1, &e) == 0, "%s", e.message);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &e);
    FUZZ_CHECK(q, "compile: %s", e.message);
    pluck_run *r = pluck_run_create(q, sink_write, out);
    FUZZ_CHECK(r, "pluck_run_create");
    pluck_code rc;
    if (threads) {
        reader rd = {data, len, rng};
        rc = pluck_run_read(r, read_cb, &rd);
    } else {
        rc = PLUCK_OK;
        size_t off = 0;
        while (off < len && rc == PLUCK_OK) {
            size_t n = fz_rng_range(rng, 1, 300);
            if (n > len - off)
                n = len - off;
            rc = pluck_run_feed(r, data + off, n);
            off += n;
        }
        pluck_code frc = pluck_run_finish(r);
        if (pluck_is_error(rc))
            FUZZ_CHECK(frc == rc, "finish after feed error %s gave %s", pluck_code_name(rc),
                       pluck_code_name(frc));
        rc = frc;
    }
    *err = *pluck_run_error(r);
    pluck_stats st;
    pluck_run_stats(r, &st);
    FUZZ_CHECK(st.bytes_scanned <= len, "BytesScanned %llu > input %zu",
               (unsigned long long)st.bytes_scanned, len);
    FUZZ_CHECK(rc != PLUCK_E_INTERNAL_ERROR && rc != PLUCK_E_OUT_OF_MEMORY,
               "%s run (%s, threads %d) failed with %s: %s", sql, ctype, threads ? 2 : 1,
               pluck_code_name(rc), err->message);
    if (pluck_is_error(rc)) {
        pluck_code_class cls = pluck_code_get_class(rc);
        FUZZ_CHECK(cls == PLUCK_CLASS_INPUT, "%s: unexpected %s: %s", ctype, pluck_code_name(rc),
                   err->message);
        FUZZ_CHECK(err->message[0], "no message for %s", pluck_code_name(rc));
    }
    pluck_run_free(r);
    pluck_query_free(q);
    pluck_params_free(p);
    return rc;
}

/* Decompressed size without the API, to skip bombs: 0 when it is small enough. */
static int too_big(const uint8_t *data, size_t len)
{
    pl_compression k = pl_codec_detect(data, len, true);
    if (k == PL_COMP_NONE)
        return 0;
    dec d;
    decode_all(k, PL_GZIP_ZLIB, data, len, len ? len : 1, 64 * 1024, &d);
    int big = d.capped;
    fz_sink_free(&d.out);
    return big;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 128 * 1024)
        return 0;
    fz_in in = {data, size};
    unsigned mode = fz_byte(&in), ob = fz_byte(&in), ib = fz_byte(&in);
    const uint8_t *p = in.p;
    size_t n = in.n;
    static const pl_compression kinds[] = {PL_COMP_GZIP, PL_COMP_ZSTD, PL_COMP_BZIP2, PL_COMP_XZ,
                                           PL_COMP_NONE};
    fz_rng rng;
    fz_rng_seed(&rng, (uint64_t)mode << 16 | ob << 8 | ib);

    switch (mode % 8) {
    case 0: case 1: case 2: case 3: case 4: {
        pl_compression k = kinds[mode % 8];
        dec small, big;
        decode_all(k, PL_GZIP_ZLIB, p, n, ib + 1, ob + 1, &small);
        decode_all(k, PL_GZIP_ZLIB, p, n, n ? n : 1, 64 * 1024, &big);
        /* the same bytes and message however cut, even after an error (F11, F17, F18) */
        if (!small.capped && !big.capped)
            exact("small vs large buffers", &small, &big);
#ifdef PLUCK_HAVE_ISAL
        if (k == PL_COMP_GZIP) {
            dec isal, isal_big;
            decode_all(k, PL_GZIP_ISAL, p, n, ib + 1, ob + 1, &isal);
            agree("zlib vs ISA-L", &small, &isal);
            /* ISA-L cut two ways: the same bytes and the same message even after an error
             * (F13), also in a block with an incomplete Huffman code (F19); zlib can end
             * earlier than ISA-L (agree() above), since it rejects such codes */
            decode_all(k, PL_GZIP_ISAL, p, n, n ? n : 1, 64 * 1024, &isal_big);
            if (!isal.capped && !isal_big.capped)
                exact("ISA-L small vs large buffers", &isal, &isal_big);
            fz_sink_free(&isal.out);
            fz_sink_free(&isal_big.out);
        }
#endif
        fz_sink_free(&small.out);
        fz_sink_free(&big.out);
        break;
    }
    case 5: {
        pl_compression whole = pl_codec_detect(p, n, true);
        FUZZ_CHECK(whole != PL_COMP_AUTO, "detect at EOF returned AUTO");
        for (size_t k = 0; k <= n && k <= 16; k++) {
            pl_compression part = pl_codec_detect(p, k, false);
            if (part != PL_COMP_AUTO)
                FUZZ_CHECK(part == whole, "prefix of %zu bytes detected as %d, whole as %d", k,
                           (int)part, (int)whole);
            pl_compression at_eof = pl_codec_detect(p, k, true);
            FUZZ_CHECK(at_eof != PL_COMP_AUTO, "detect at EOF (%zu bytes) returned AUTO", k);
        }
        break;
    }
    case 6: {
        if (too_big(p, n))
            break;
        fz_sink out = {0};
        pluck_error e;
        api_run("AUTO", 0, "SELECT * FROM S3Object LIMIT 20", p, n, &rng, &out, &e);
        fz_sink_free(&out);
        break;
    }
    case 7: {
        static const char *const types[] = {"GZIP", "ZSTD", "BZIP2", "XZ", "NONE", "AUTO"};
        const char *t = types[(mode >> 3) % 6];
        if (too_big(p, n))
            break;
        fz_sink a = {0}, b = {0};
        pluck_error ea, eb;
        /* no LIMIT: with one, the thread may stop reading before a corruption that feed()
         * meets (F4); inputs are small (too_big) */
        const char *sql = "SELECT * FROM S3Object";
        pluck_code ra = api_run(t, 1, sql, p, n, &rng, &a, &ea);
        pluck_code rb = api_run(t, 0, sql, p, n, &rng, &b, &eb);
        /* after an error, how much output came first may differ (the thread decodes
         * ahead); it must still be the same records */
        size_t common = a.len < b.len ? a.len : b.len;
        int prefix = !common || !memcmp(a.data, b.data, common);
        /* (F4, fixed in 0f2d24d: both paths now scan what decoded cleanly before a codec
         * error, so they end with the same code) */
        if (ra != rb || !prefix || (ra == PLUCK_OK && a.len != b.len)) {
            fz_dump("threads=2 output", a.data, a.len);
            fz_dump("feed output", b.data, b.len);
            FUZZ_CHECK(0, "%s: threads=2 read %s (%s) vs feed %s (%s)", t, pluck_code_name(ra),
                       ea.message, pluck_code_name(rb), eb.message);
        }
        fz_sink_free(&a);
        fz_sink_free(&b);
        break;
    }
    }
    return 0;
}

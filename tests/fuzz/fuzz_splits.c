/*
 * fuzz_splits.c — splittable input (pluck_splits_find, pluck_run_split, and --threads over
 * splits), through the public API.
 *
 * Input: three control bytes, then CSV text (default dialect):
 *   [0] bits 0-1: the file: 0 plain, 1 zstd frames (libzstd, one per piece), 2 BGZF members
 *       (zlib deflate with the BC extra field, one per piece), 3 the input bytes themselves
 *       (the split finders walk whatever they get); bit 2: FileHeaderInfo USE; bit 3: 1 and
 *       2 are instead bzip2 streams (libbz2, one per piece, concatenated) and one xz stream
 *       of one block per piece (liblzma, LZMA_FULL_FLUSH between pieces)
 *   [1] piece size: (b + 1) * 8 bytes of text per frame or member
 *   [2] split target: (b + 1) * 4 compressed bytes
 * Checks:
 *   - the splits tile the file: in order, no gap, no overlap, ending at its size;
 *   - a run with THREADS 2 (splits of PLUCK_SPLIT_BYTES=64, or blocks of a plain file) gives
 *     what a run with THREADS 1 gives: output bytes, code, error record, byte offset and
 *     message, record counts — for SELECT * and for a LIMIT query;
 *   - when the one-thread run succeeds, every split run succeeds and their outputs,
 *     concatenated in order, are its output byte for byte, with the same record counts.
 */
#include "fuzz_common.h"

#include "pluck.h"

#include <bzlib.h>
#include <lzma.h>
#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("PLUCK_SPLIT_BYTES", "64", 1);
    return 0;
}

static int sink_write(void *opaque, const char *data, size_t len)
{
    return fz_sink_add(opaque, data, len);
}

typedef struct result {
    fz_sink out;
    pluck_code rc;
    pluck_error err;
    pluck_stats st;
} result;

static pluck_query *compile(const char *sql, bool header, const char *threads)
{
    pluck_params *p = pluck_params_create();
    pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, header ? "USE" : "NONE", header ? 3 : 4,
                     NULL);
    pluck_params_set(p, PLUCK_PARAM_THREADS, threads, strlen(threads), NULL);
    pluck_params_set(p, PLUCK_PARAM_MAX_RECORD_SIZE, "300", 3, NULL);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, NULL);
    pluck_params_free(p);
    FUZZ_CHECK(q, "compile %s", sql);
    return q;
}

static void run_fd(const pluck_query *q, int fd, result *r)
{
    lseek(fd, 0, SEEK_SET);
    pluck_run *run = pluck_run_create(q, sink_write, &r->out);
    FUZZ_CHECK(run, "run_create");
    r->rc = pluck_run_fd(run, fd);
    r->err = *pluck_run_error(run);
    pluck_run_stats(run, &r->st);
    pluck_run_free(run);
}

static void same(const result *a, const result *b, const char *what)
{
    FUZZ_CHECK(a->rc == b->rc, "%s: code %s vs %s", what, pluck_code_name(a->rc),
               pluck_code_name(b->rc));
    FUZZ_CHECK(a->out.len == b->out.len && (!a->out.len || !memcmp(a->out.data, b->out.data, a->out.len)),
               "%s: output differs (%zu vs %zu bytes)", what, a->out.len, b->out.len);
    FUZZ_CHECK(a->err.record == b->err.record && a->err.byte_offset == b->err.byte_offset &&
                   !strcmp(a->err.message, b->err.message),
               "%s: error %s (record %llu) vs %s (record %llu)", what, a->err.message,
               (unsigned long long)a->err.record, b->err.message,
               (unsigned long long)b->err.record);
    if (a->rc == PLUCK_OK)
        FUZZ_CHECK(a->st.records_scanned == b->st.records_scanned &&
                       a->st.records_returned == b->st.records_returned,
                   "%s: record counts differ", what);
}

/* xz: one stream, a block per piece. */
static void build_xz(fz_sink *f, const uint8_t *p, size_t n, size_t piece)
{
    lzma_stream s = LZMA_STREAM_INIT;
    FUZZ_CHECK(lzma_easy_encoder(&s, 0, LZMA_CHECK_CRC64) == LZMA_OK, "lzma_easy_encoder");
    unsigned char buf[8192];
    for (size_t at = 0;;) {
        size_t k = n - at < piece ? n - at : piece;
        bool last = at + k == n;
        s.next_in = p + at;
        s.avail_in = k;
        lzma_ret r;
        do {
            s.next_out = buf;
            s.avail_out = sizeof buf;
            r = lzma_code(&s, last ? LZMA_FINISH : LZMA_FULL_FLUSH);
            fz_sink_add(f, (const char *)buf, sizeof buf - s.avail_out);
        } while (r == LZMA_OK);
        FUZZ_CHECK(r == LZMA_STREAM_END, "lzma_code %d", (int)r);
        if (last)
            break;
        at += k;
    }
    lzma_end(&s);
}

/* The file: the text as it is, or compressed in pieces. */
static void build(fz_sink *f, int kind, const uint8_t *p, size_t n, size_t piece)
{
    if (kind == 0 || kind == 3) {
        fz_sink_add(f, (const char *)p, n);
        return;
    }
    if (kind == 5) {
        build_xz(f, p, n, piece);
        return;
    }
    for (size_t at = 0; at < n || at == 0; at += piece) {
        size_t k = n - at < piece ? n - at : piece;
        if (kind == 4) {
            char buf[4096];
            unsigned z = sizeof buf;
            FUZZ_CHECK(BZ2_bzBuffToBuffCompress(buf, &z, (char *)(uintptr_t)(p + at),
                                                (unsigned)k, 1, 0, 0) == BZ_OK,
                       "BZ2_bzBuffToBuffCompress");
            fz_sink_add(f, buf, z);
        } else if (kind == 1) {
            char buf[ZSTD_COMPRESSBOUND(2048)];
            size_t z = ZSTD_compress(buf, sizeof buf, p + at, k, 1);
            FUZZ_CHECK(!ZSTD_isError(z), "ZSTD_compress");
            fz_sink_add(f, buf, z);
        } else {
            unsigned char buf[4096];
            z_stream s = {0};
            FUZZ_CHECK(deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                       "deflateInit2");
            s.next_in = (unsigned char *)(uintptr_t)(p + at);
            s.avail_in = (unsigned)k;
            s.next_out = buf + 18;
            s.avail_out = (unsigned)(sizeof buf - 26);
            FUZZ_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END, "deflate");
            size_t dlen = s.total_out, total = 18 + dlen + 8;
            deflateEnd(&s);
            static const unsigned char hdr[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff,
                                                  6, 0, 'B', 'C', 2, 0};
            memcpy(buf, hdr, 16);
            buf[16] = (unsigned char)((total - 1) & 0xff);
            buf[17] = (unsigned char)((total - 1) >> 8);
            uint32_t crc = (uint32_t)crc32(0, p + at, (unsigned)k);
            unsigned char *t = buf + 18 + dlen;
            for (int i = 0; i < 4; i++) {
                t[i] = (unsigned char)(crc >> (8 * i));
                t[4 + i] = (unsigned char)((uint32_t)k >> (8 * i));
            }
            fz_sink_add(f, (const char *)buf, total);
        }
        if (k == n - at)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = fz_byte(&in), piece = (fz_byte(&in) + 1) * 8, target = (fz_byte(&in) + 1) * 4;
    int kind = (int)(mode & 3);
    if ((mode & 8) && (kind == 1 || kind == 2))
        kind += 3; /* 4 bzip2, 5 xz */
    bool header = mode & 4;
    fz_sink file = {0};
    build(&file, kind, in.p, in.n, piece);
    FILE *f = tmpfile();
    FUZZ_CHECK(f, "tmpfile");
    if (file.len)
        fwrite(file.data, 1, file.len, f);
    fflush(f);
    int fd = fileno(f);

    /* the splits tile the file */
    pluck_split *v = NULL;
    size_t n = 0;
    pluck_error e;
    pluck_code rc = pluck_splits_find(fd, NULL, target, &v, &n, &e);
    FUZZ_CHECK(rc == PLUCK_OK && n >= 1, "splits_find: %s", e.message);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(v[i].offset == at && (v[i].length > 0 || file.len == 0),
                   "split %zu at %llu+%llu, expected at %llu", i,
                   (unsigned long long)v[i].offset, (unsigned long long)v[i].length,
                   (unsigned long long)at);
        at += v[i].length;
    }
    FUZZ_CHECK(at == file.len, "splits end at %llu, the file at %zu", (unsigned long long)at,
               file.len);

    static const char *const sqls[2] = {"SELECT * FROM S3Object",
                                        "SELECT _2, _1 FROM S3Object LIMIT 7"};
    for (int k = 0; k < 2; k++) {
        pluck_query *q1 = compile(sqls[k], header, "1"), *q2 = compile(sqls[k], header, "2");
        result one = {0}, two = {0};
        run_fd(q1, fd, &one);
        run_fd(q2, fd, &two);
        same(&one, &two, sqls[k]);
        if (k == 0 && one.rc == PLUCK_OK) {
            result parts = {0};
            uint64_t scanned = 0, returned = 0;
            for (size_t i = 0; i < n; i++) {
                pluck_run *run = pluck_run_create(q1, sink_write, &parts.out);
                pluck_code src = pluck_run_split(run, fd, v, n, i);
                FUZZ_CHECK(src == PLUCK_OK, "split %zu of %zu: %s", i, n,
                           pluck_run_error(run)->message);
                pluck_stats st;
                pluck_run_stats(run, &st);
                scanned += st.records_scanned;
                returned += st.records_returned;
                pluck_run_free(run);
            }
            FUZZ_CHECK(parts.out.len == one.out.len &&
                           (!one.out.len || !memcmp(parts.out.data, one.out.data, one.out.len)),
                       "the %zu splits' outputs (%zu bytes) are not the whole (%zu bytes)", n,
                       parts.out.len, one.out.len);
            FUZZ_CHECK(scanned == one.st.records_scanned && returned == one.st.records_returned,
                       "record counts of the splits differ");
            fz_sink_free(&parts.out);
        }
        fz_sink_free(&one.out);
        fz_sink_free(&two.out);
        pluck_query_free(q1);
        pluck_query_free(q2);
    }
    pluck_splits_free(v);
    fclose(f);
    fz_sink_free(&file);
    return 0;
}

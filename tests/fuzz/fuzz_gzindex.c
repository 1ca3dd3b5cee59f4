/*
 * fuzz_gzindex.c — the index readers (pluck_index_load: pluck-index(5); pluck_index_load_gzi:
 * bgzip's .gzi) and what a loaded index can make a run do, through the public API.
 *
 * Two fixed files are made once (generated CSV, seeded): one gzip member, and a BGZF file of
 * 4 KiB members.  Input: a mode byte, then the index bytes:
 *   [0] bit 0: 0 a pluck index of the gzip member, 1 a .gzi of the BGZF file;
 *       bit 1: (pluck index) make its trailing checksum good first, so mutations reach the
 *       structural checks behind it
 * Checks:
 *   - loading never crashes, leaks or reads out of bounds, whatever the bytes;
 *   - an index that loads never gives a wrong answer: a THREADS 2 run with it either fails
 *     or writes exactly the one-thread output, and so do the splits of
 *     pluck_splits_find_indexed run one by one (pluck_run_split), concatenated.
 * FUZZ_GZINDEX_SEEDS=DIR writes seed inputs (valid indexes of the two files) into DIR.
 */
#include "fuzz_common.h"

#include "pluck.h"

#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>

static int sink_write(void *opaque, const char *data, size_t len)
{
    return fz_sink_add(opaque, data, len);
}

typedef struct file {
    int fd;
    fz_sink want; /* the one-thread output of SELECT * */
} file;

static file gz, bgzf;
static pluck_query *q1, *q2;

static pluck_query *compile(const char *threads)
{
    const char *sql = "SELECT * FROM S3Object s WHERE s._3 <> 'x'";
    pluck_params *p = pluck_params_create();
    pluck_params_set(p, PLUCK_PARAM_THREADS, threads, strlen(threads), NULL);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, NULL);
    pluck_params_free(p);
    FUZZ_CHECK(q, "compile");
    return q;
}

static int tmp_fd(const fz_sink *s)
{
    FILE *f = tmpfile();
    FUZZ_CHECK(f, "tmpfile");
    int fd = dup(fileno(f));
    fclose(f);
    FUZZ_CHECK(write(fd, s->data, s->len) == (ssize_t)s->len, "write");
    return fd;
}

/* deflate text into out: a gzip member (wbits 31) or a raw stream (-15) */
static size_t deflate_to(const char *p, size_t n, int wbits, unsigned char *out, size_t cap)
{
    z_stream s = {0};
    FUZZ_CHECK(deflateInit2(&s, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK, "init");
    s.next_in = (unsigned char *)(uintptr_t)p;
    s.avail_in = (unsigned)n;
    s.next_out = out;
    s.avail_out = (unsigned)cap;
    FUZZ_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END, "deflate");
    size_t len = s.total_out;
    deflateEnd(&s);
    return len;
}

static void make_files(void)
{
    fz_sink csv = {0}, g = {0}, b = {0};
    fz_rng r;
    fz_rng_seed(&r, 16);
    char line[96];
    for (int i = 0; i < 6000; i++) {
        int n = snprintf(line, sizeof line, "%d,s%03u,%u.%u,%s\n", i,
                         (unsigned)fz_rng_range(&r, 0, 999), (unsigned)fz_rng_range(&r, 0, 99),
                         (unsigned)fz_rng_range(&r, 0, 9), fz_rng_range(&r, 0, 9) ? "OK" : "FAIL");
        fz_sink_add(&csv, line, (size_t)n);
    }
    size_t cap = csv.len + 1024;
    unsigned char *buf = malloc(cap);
    FUZZ_CHECK(buf, "malloc");
    fz_sink_add(&g, (const char *)buf, deflate_to(csv.data, csv.len, 31, buf, cap));
    for (size_t at = 0; at < csv.len; at += 4096) {
        size_t k = csv.len - at < 4096 ? csv.len - at : 4096;
        size_t dlen = deflate_to(csv.data + at, k, -15, buf + 18, cap - 26), total = 26 + dlen;
        static const unsigned char hdr[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff,
                                              6, 0, 'B', 'C', 2, 0};
        memcpy(buf, hdr, 16);
        buf[16] = (unsigned char)((total - 1) & 0xff);
        buf[17] = (unsigned char)((total - 1) >> 8);
        uint32_t crc = (uint32_t)crc32(0, (const unsigned char *)csv.data + at, (unsigned)k);
        for (int i = 0; i < 4; i++) {
            buf[18 + dlen + i] = (unsigned char)(crc >> (8 * i));
            buf[22 + dlen + i] = (unsigned char)((uint32_t)k >> (8 * i));
        }
        fz_sink_add(&b, (const char *)buf, total);
    }
    free(buf);
    gz.fd = tmp_fd(&g);
    bgzf.fd = tmp_fd(&b);
    free(csv.data);
    free(g.data);
    free(b.data);
}

static pluck_code run_whole(const pluck_query *q, int fd, const pluck_index *ix, fz_sink *out)
{
    lseek(fd, 0, SEEK_SET);
    pluck_run *run = pluck_run_create(q, sink_write, out);
    FUZZ_CHECK(run, "run_create");
    pluck_run_set_index(run, ix);
    pluck_code rc = pluck_run_fd(run, fd);
    pluck_run_free(run);
    return rc;
}

static int seed_write(void *opaque, const char *data, size_t len)
{
    return fwrite(data, 1, len, opaque) == len ? 0 : -1;
}

static void write_seeds(const char *dir)
{
    char path[4096];
    pluck_index *ix;
    FUZZ_CHECK(pluck_index_build(gz.fd, 8192, &ix, NULL) == PLUCK_OK, "build");
    snprintf(path, sizeof path, "%s/pluckidx", dir);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f, "%s", path);
    fputc(0, f);
    pluck_index_write(ix, seed_write, f, NULL);
    fclose(f);
    pluck_index_free(ix);
    /* the .gzi: every member's offsets */
    snprintf(path, sizeof path, "%s/gzi", dir);
    f = fopen(path, "wb");
    FUZZ_CHECK(f, "%s", path);
    fputc(1, f);
    unsigned char h[18], e[16];
    uint64_t c = 0, u = 0, n = 0;
    off_t size = lseek(bgzf.fd, 0, SEEK_END);
    fz_sink body = {0};
    while ((off_t)c < size && pread(bgzf.fd, h, 18, (off_t)c) == 18) {
        uint64_t bsize = (uint64_t)(h[16] | h[17] << 8) + 1;
        unsigned char t[4];
        FUZZ_CHECK(pread(bgzf.fd, t, 4, (off_t)(c + bsize - 4)) == 4, "pread");
        if (c) {
            for (int i = 0; i < 8; i++) {
                e[i] = (unsigned char)(c >> (8 * i));
                e[8 + i] = (unsigned char)(u >> (8 * i));
            }
            fz_sink_add(&body, (const char *)e, 16);
            n++;
        }
        u += (uint64_t)(t[0] | t[1] << 8 | t[2] << 16 | (uint64_t)t[3] << 24);
        c += bsize;
    }
    for (int i = 0; i < 8; i++)
        fputc((int)((n >> (8 * i)) & 0xff), f);
    fwrite(body.data, 1, body.len, f);
    fclose(f);
    free(body.data);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("PLUCK_SPLIT_BYTES", "4096", 1);
    make_files();
    q1 = compile("1");
    q2 = compile("2");
    FUZZ_CHECK(run_whole(q1, gz.fd, NULL, &gz.want) == PLUCK_OK, "gzip one thread");
    FUZZ_CHECK(run_whole(q1, bgzf.fd, NULL, &bgzf.want) == PLUCK_OK, "bgzf one thread");
    const char *seeds = getenv("FUZZ_GZINDEX_SEEDS");
    if (seeds)
        write_seeds(seeds);
    return 0;
}

static bool same_out(const fz_sink *a, const fz_sink *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = fz_byte(&in);
    const file *f = mode & 1 ? &bgzf : &gz;
    unsigned char *idx = malloc(in.n + 1);
    FUZZ_CHECK(idx, "malloc");
    if (in.n)
        memcpy(idx, in.p, in.n);
    if (!(mode & 1) && (mode & 2) && in.n >= 4) {
        uint32_t crc = (uint32_t)crc32(0, idx, (unsigned)(in.n - 4));
        for (int i = 0; i < 4; i++)
            idx[in.n - 4 + i] = (unsigned char)(crc >> (8 * i));
    }
    pluck_index *ix = NULL;
    pluck_error e;
    pluck_code rc = mode & 1 ? pluck_index_load_gzi(idx, in.n, f->fd, &ix, &e)
                             : pluck_index_load(idx, in.n, f->fd, &ix, &e);
    free(idx);
    if (rc != PLUCK_OK) {
        FUZZ_CHECK(!ix && pluck_is_error(rc) && e.message[0], "a failed load: %s",
                   pluck_code_name(rc));
        return 0;
    }
    pluck_index_info info;
    pluck_index_get_info(ix, &info);
    FUZZ_CHECK(info.checkpoints >= 1, "no checkpoints");

    fz_sink out = {0};
    if (run_whole(q2, f->fd, ix, &out) == PLUCK_OK)
        FUZZ_CHECK(same_out(&out, &f->want), "THREADS 2 with a loaded index: %zu bytes, one "
                                             "thread %zu",
                   out.len, f->want.len);
    free(out.data);

    pluck_split *v = NULL;
    size_t n = 0;
    FUZZ_CHECK(pluck_splits_find_indexed(f->fd, NULL, ix, 1, &v, &n, &e) == PLUCK_OK, "%s",
               e.message);
    fz_sink parts = {0};
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        pluck_run *run = pluck_run_create(q1, sink_write, &parts);
        pluck_run_set_index(run, ix);
        ok = pluck_run_split(run, f->fd, v, n, i) == PLUCK_OK;
        pluck_run_free(run);
    }
    if (ok)
        FUZZ_CHECK(same_out(&parts, &f->want), "splits of a loaded index: %zu bytes, one "
                                               "thread %zu",
                   parts.len, f->want.len);
    free(parts.data);
    pluck_splits_free(v);
    pluck_index_free(ix);
    return 0;
}

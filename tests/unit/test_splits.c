/*
 * test_splits.c — the public split API (pluck_splits_find, pluck_run_split), as a fan-out
 * client (one split per task) uses it, against one pluck_run_fd() over the whole file.
 *
 * Generated CSV (seeded; quoted fields holding the field delimiter, doubled quotes, comment
 * lines) is written plain and as zstd frames of a few KiB each (libzstd, one ZSTD_compress()
 * per piece, concatenated: frames are split points).  For every target split size, the
 * splits must tile the file (in order, no gap, no overlap), and the outputs of
 * pluck_run_split over splits 0..n-1, concatenated, must be byte-identical to the whole-file
 * output, with and without a header line; the record counts must add up too.
 */
#include <criterion/criterion.h>

#include "pluck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testbuf.h"
#include <zstd.h>

static uint64_t rng = 88172645463325252ull;

static tb_buf gen_csv(bool header, size_t rows)
{
    tb_buf b = {0};
    if (header)
        tb_put(&b, "id,name,score\n", 14);
    char line[128];
    for (size_t i = 0; i < rows; i++) {
        int n;
        if (tb_next(&rng) % 97 == 0) {
            n = snprintf(line, sizeof line, "# comment %zu\n", i);
        } else if (tb_next(&rng) % 5 == 0) {
            n = snprintf(line, sizeof line, "%zu,\"na,me \"\"%u\"\"\",%u\n", i, tb_next(&rng) % 1000,
                         tb_next(&rng) % 100);
        } else {
            n = snprintf(line, sizeof line, "%zu,n%u,%u\n", i, tb_next(&rng) % 1000, tb_next(&rng) % 100);
        }
        tb_put(&b, line, (size_t)n);
    }
    return b;
}

static char *write_tmp(const tb_buf *b)
{
    static int k;
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/pluck-splits-%d-%d", (int)getpid(), k++);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(b->p, 1, b->n, f), b->n);
    fclose(f);
    return path;
}

static tb_buf zstd_frames(const tb_buf *plain, size_t piece)
{
    tb_buf z = {0};
    for (size_t at = 0; at < plain->n; at += piece) {
        size_t n = plain->n - at < piece ? plain->n - at : piece;
        size_t cap = ZSTD_compressBound(n);
        char *tmp = malloc(cap);
        size_t got = ZSTD_compress(tmp, cap, plain->p + at, n, 3);
        cr_assert(!ZSTD_isError(got));
        tb_put(&z, tmp, got);
        free(tmp);
    }
    return z;
}

static pluck_query *compile(const char *sql, bool header)
{
    pluck_params *p = pluck_params_create();
    pluck_error e;
    const char *h = header ? "USE" : "NONE";
    cr_assert_eq(pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, h, strlen(h), &e), 0);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &e);
    cr_assert(q, "%s", e.message);
    pluck_params_free(p);
    return q;
}

static void check_file(const char *path, const char *sql, bool header, uint64_t target)
{
    pluck_query *q = compile(sql, header);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    int fd = fileno(f);
    tb_buf whole = {0};
    pluck_run *r = pluck_run_create(q, tb_sink, &whole);
    cr_assert_eq(pluck_run_fd(r, fd), PLUCK_OK, "%s", pluck_run_error(r)->message);
    pluck_stats ws;
    pluck_run_stats(r, &ws);
    pluck_run_free(r);

    pluck_split *v;
    size_t n;
    pluck_error e;
    pluck_params *p = pluck_params_create();
    cr_assert_eq(pluck_splits_find(fd, p, target, &v, &n, &e), PLUCK_OK, "%s", e.message);
    pluck_params_free(p);
    cr_assert_gt(n, 1, "%s: only %zu splits at target %llu", path, n, (unsigned long long)target);
    fseek(f, 0, SEEK_END);
    uint64_t size = (uint64_t)ftell(f), at = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(v[i].offset, at, "split %zu does not start where %zu ends", i, i - 1);
        at += v[i].length;
    }
    cr_assert_eq(at, size);

    tb_buf parts = {0};
    uint64_t scanned = 0, returned = 0;
    for (size_t i = 0; i < n; i++) {
        r = pluck_run_create(q, tb_sink, &parts);
        cr_assert_eq(pluck_run_split(r, fd, v, n, i), PLUCK_OK, "split %zu: %s", i,
                     pluck_run_error(r)->message);
        pluck_stats st;
        pluck_run_stats(r, &st);
        scanned += st.records_scanned;
        returned += st.records_returned;
        pluck_run_free(r);
    }
    cr_assert_eq(parts.n, whole.n, "%s (%s): %zu bytes from the splits, %zu whole", path, sql,
                 parts.n, whole.n);
    cr_assert(!memcmp(parts.p, whole.p, whole.n), "%s (%s): output differs", path, sql);
    cr_assert_eq(scanned, ws.records_scanned);
    cr_assert_eq(returned, ws.records_returned);
    pluck_splits_free(v);
    free(whole.p);
    free(parts.p);
    fclose(f);
    pluck_query_free(q);
}

Test(splits, tile_the_file_and_add_up_to_the_whole)
{
    for (int h = 0; h < 2; h++) {
        tb_buf csv = gen_csv(h, 20000);
        tb_buf z = zstd_frames(&csv, 3000);
        char *plain = write_tmp(&csv), *zst = write_tmp(&z);
        const char *names = "SELECT s.id, s.name FROM S3Object s WHERE s.score > '50'";
        const char *pos = "SELECT _1, _2 FROM S3Object WHERE _3 < '10'";
        for (uint64_t target = 1000; target <= 64000; target *= 8) {
            check_file(plain, "SELECT * FROM S3Object", h, target);
            check_file(zst, "SELECT * FROM S3Object", h, target);
            check_file(zst, h ? names : pos, h, target);
        }
        unlink(plain);
        unlink(zst);
        free(plain);
        free(zst);
        free(csv.p);
        free(z.p);
    }
}

/*
 * test_gzindex.c — the public gzip index API (pluck_index_build/_write/_load,
 * pluck_splits_find_indexed, pluck_run_set_index) as a server or fan-out client uses it:
 * build an index of a single-member gzip file, write it to bytes, load it back against the
 * file, list the splits at its checkpoints and run the query over each; the outputs
 * concatenated must be byte-identical to one pluck_run_fd() over the whole file (THREADS 1),
 * and a pluck_run_fd() with the index and THREADS 4 must give the same bytes too.
 * Generated CSV (seeded), compressed with zlib's deflate in the gzip wrapper.
 */
#include <criterion/criterion.h>

#include "pluck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testbuf.h"
#include <zlib.h>

static uint64_t grng = 0x9E3779B97F4A7C15ull;

/* rows of id,name,score with a header, gzip-compressed into a temporary file */
static char *gzip_csv(size_t rows, int fd_out[1])
{
    tb_buf csv = {0}, gz = {0};
    tb_put(&csv, "id,name,score\n", 14);
    char line[128];
    for (size_t i = 0; i < rows; i++) {
        int n = snprintf(line, sizeof line, "%zu,\"n%u, %u\",%u\n", i, tb_next(&grng) % 1000,
                         tb_next(&grng) % 77, tb_next(&grng) % 100);
        tb_put(&csv, line, (size_t)n);
    }
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    gz.cap = deflateBound(&z, csv.n) + 64;
    gz.p = malloc(gz.cap);
    z.next_in = (Bytef *)csv.p;
    z.avail_in = (uInt)csv.n;
    z.next_out = (Bytef *)gz.p;
    z.avail_out = (uInt)gz.cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    gz.n = z.total_out;
    deflateEnd(&z);
    char *path = strdup("/tmp/pluck-gzindex-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, gz.p, gz.n), (ssize_t)gz.n);
    free(csv.p);
    free(gz.p);
    fd_out[0] = fd;
    return path;
}

static tb_buf run_whole(const char *sql, const char *threads, int fd, const pluck_index *ix)
{
    pluck_query *q = tb_compile(sql, threads);
    tb_buf out = {0};
    pluck_run *r = pluck_run_create(q, tb_sink, &out);
    pluck_run_set_index(r, ix);
    lseek(fd, 0, SEEK_SET);
    cr_assert_eq(pluck_run_fd(r, fd), PLUCK_OK, "%s", pluck_run_error(r)->message);
    pluck_run_free(r);
    pluck_query_free(q);
    return out;
}

Test(gzindex, build_write_load_split_and_add_up_to_the_whole)
{
    int fd;
    char *path = gzip_csv(60000, &fd);
    pluck_index *ix, *back;
    pluck_error e;
    cr_assert_eq(pluck_index_build(fd, 32 * 1024, &ix, &e), PLUCK_OK, "%s", e.message);
    tb_buf bytes = {0};
    cr_assert_eq(pluck_index_write(ix, tb_sink, &bytes, &e), PLUCK_OK);
    cr_assert_eq(pluck_index_load(bytes.p, bytes.n, fd, &back, &e), PLUCK_OK, "%s", e.message);
    pluck_index_info a, b;
    pluck_index_get_info(ix, &a);
    pluck_index_get_info(back, &b);
    cr_assert(!memcmp(&a, &b, sizeof a));
    cr_assert_eq(a.members, 1);
    cr_assert_gt(a.checkpoints, 5, "%llu checkpoints", (unsigned long long)a.checkpoints);
    cr_assert_eq(a.file_size, (uint64_t)lseek(fd, 0, SEEK_END));

    const char *sqls[] = {"SELECT * FROM S3Object",
                          "SELECT s.id, s.name FROM S3Object s WHERE s.score > '50'"};
    for (size_t k = 0; k < 2; k++) {
        tb_buf whole = run_whole(sqls[k], "1", fd, NULL);
        tb_buf four = run_whole(sqls[k], "4", fd, back);
        cr_assert(four.n == whole.n && !memcmp(four.p, whole.p, whole.n),
                  "THREADS 4 with the index differs (%zu vs %zu bytes)", four.n, whole.n);
        pluck_split *v;
        size_t n;
        cr_assert_eq(pluck_splits_find_indexed(fd, NULL, back, 1, &v, &n, &e), PLUCK_OK);
        cr_assert_eq(n, a.checkpoints);
        pluck_query *q = tb_compile(sqls[k], "1");
        tb_buf parts = {0};
        uint64_t at = 0;
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(v[i].offset, at);
            at += v[i].length;
            pluck_run *r = pluck_run_create(q, tb_sink, &parts);
            pluck_run_set_index(r, back);
            cr_assert_eq(pluck_run_split(r, fd, v, n, i), PLUCK_OK, "split %zu: %s", i,
                         pluck_run_error(r)->message);
            pluck_run_free(r);
        }
        cr_assert_eq(at, a.file_size);
        cr_assert(parts.n == whole.n && !memcmp(parts.p, whole.p, whole.n),
                  "splits give %zu bytes, the whole %zu", parts.n, whole.n);
        pluck_splits_free(v);
        pluck_query_free(q);
        free(whole.p);
        free(four.p);
        free(parts.p);
    }

    /* another file: stale */
    int fd2;
    char *path2 = gzip_csv(1000, &fd2);
    pluck_index *bad = NULL;
    cr_assert_eq(pluck_index_load(bytes.p, bytes.n, fd2, &bad, &e), PLUCK_E_INVALID_DATA_SOURCE);
    cr_assert(bad == NULL);
    cr_assert(strstr(e.message, "stale"), "%s", e.message);
    /* every truncation of the bytes is refused, never crashes */
    for (size_t cut = 0; cut < bytes.n; cut += 97) {
        cr_assert_eq(pluck_index_load(bytes.p, cut, fd, &bad, &e), PLUCK_E_INVALID_DATA_SOURCE);
        cr_assert(bad == NULL);
    }
    /* a small gzip file: one checkpoint; plain text: not gzip */
    cr_assert_eq(pluck_index_build(fd2, 0, &bad, &e), PLUCK_OK, "%s", e.message);
    pluck_index_get_info(bad, &b);
    cr_assert_eq(b.checkpoints, 1);
    pluck_index_free(bad);
    char plain[] = "/tmp/pluck-gzindex-plain-XXXXXX";
    int fd3 = mkstemp(plain);
    cr_assert_eq(write(fd3, "a,b\n1,2\n", 8), 8);
    cr_assert_eq(pluck_index_build(fd3, 0, &bad, &e), PLUCK_E_INVALID_COMPRESSION_FORMAT);
    cr_assert(bad == NULL);
    close(fd3);
    unlink(plain);
    close(fd2);
    unlink(path2);
    free(path2);
    pluck_index_free(ix);
    pluck_index_free(back);
    free(bytes.p);
    close(fd);
    unlink(path);
    free(path);
}

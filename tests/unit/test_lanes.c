/*
 * test_lanes.c — plain files split across two threads (src/exec/lanes.c) against the same
 * input fed to a one-thread run, through the public API only.
 *
 * Generated files of a few MiB (several 1 MiB blocks): quoted fields with delimiters and
 * doubled quotes, CRLF and LF, comment and empty lines, and now and then a damaged record
 * (an unescaped quote, a field that does not cast, a record too long).  Each query runs as
 * pluck_run_fd() with THREADS 2 on the file, in ranges and (PLUCK_PREAD=0) read, and as
 * pluck_run_feed() with THREADS 1 on the same bytes; the output bytes, the result code, the
 * error's record, byte offset and message, and the record counts must be identical, and the
 * chunks handed to the write callback stay within 64 KiB.
 */
#include <criterion/criterion.h>

#include "pluck.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct out {
    char *p;
    size_t n, cap, calls, max_call;
} out;

static int out_write(void *opaque, const char *data, size_t len)
{
    out *o = opaque;
    if (o->n + len + 1 > o->cap) {
        o->cap = (o->n + len + 1) * 2;
        o->p = realloc(o->p, o->cap);
        cr_assert(o->p);
    }
    memcpy(o->p + o->n, data, len);
    o->n += len;
    o->calls++;
    if (len > o->max_call)
        o->max_call = len;
    return 0;
}

typedef struct result {
    out o;
    pluck_code rc;
    pluck_error err;
    pluck_stats st;
} result;

static pluck_query *compile(const char *sql, const char *header, const char *threads,
                            const char *max_rec)
{
    pluck_params *p = pluck_params_create();
    cr_assert(p);
    pluck_error e;
    cr_assert_eq(pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, header, strlen(header), &e), 0);
    cr_assert_eq(pluck_params_set(p, PLUCK_PARAM_THREADS, threads, strlen(threads), &e), 0);
    cr_assert_eq(pluck_params_set(p, PLUCK_PARAM_COMMENTS, "#", 1, &e), 0);
    cr_assert_eq(pluck_params_set(p, PLUCK_PARAM_MAX_RECORD_SIZE, max_rec, strlen(max_rec), &e), 0);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &e);
    cr_assert(q, "%s: %s", sql, e.message);
    pluck_params_free(p);
    return q;
}

static result run_fd(const pluck_query *q, const char *path)
{
    result r = {0};
    pluck_run *run = pluck_run_create(q, out_write, &r.o);
    cr_assert(run);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    r.rc = pluck_run_fd(run, fileno(f));
    fclose(f);
    r.err = *pluck_run_error(run);
    pluck_run_stats(run, &r.st);
    pluck_run_free(run);
    return r;
}

static result run_feed(const pluck_query *q, const char *data, size_t n)
{
    result r = {0};
    pluck_run *run = pluck_run_create(q, out_write, &r.o);
    cr_assert(run);
    pluck_code rc = PLUCK_OK;
    for (size_t off = 0; off < n && rc == PLUCK_OK; off += 65536)
        rc = pluck_run_feed(run, data + off, n - off < 65536 ? n - off : 65536);
    r.rc = pluck_run_finish(run);
    r.err = *pluck_run_error(run);
    pluck_run_stats(run, &r.st);
    pluck_run_free(run);
    return r;
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* A CSV of about `size` bytes; `damage`: one damaged record of that kind somewhere after the
 * first MiB (0 none, 1 unescaped quote, 2 a non-number in the numeric column, 3 too long). */
static char *gen(uint32_t seed, size_t size, int damage, size_t *len)
{
    size_t cap = size + 4096;
    char *b = malloc(cap);
    cr_assert(b);
    size_t n = (size_t)snprintf(b, cap, "id,name,qty,status\n");
    uint32_t x = seed | 1;
    size_t damage_at = damage ? (1u << 20) + rnd(&x) % (size - (1u << 20)) : SIZE_MAX;
    static const char *const st[] = {"OK", "OK", "OK", "WARN", "FAIL"};
    for (uint32_t row = 0; n < size; row++) {
        const char *eol = rnd(&x) % 7 == 0 ? "\r\n" : "\n";
        uint32_t r = rnd(&x);
        if (n >= damage_at) {
            damage_at = SIZE_MAX;
            if (damage == 1)
                n += (size_t)snprintf(b + n, cap - n, "%u,\"bad\"quote,1,OK%s", row, eol);
            else if (damage == 2)
                n += (size_t)snprintf(b + n, cap - n, "%u,name,notanumber,FAIL%s", row, eol);
            else {
                n += (size_t)snprintf(b + n, cap - n, "%u,", row);
                memset(b + n, 'y', 300);
                n += 300;
                n += (size_t)snprintf(b + n, cap - n, ",1,OK%s", eol);
            }
            continue;
        }
        if (r % 97 == 0) {
            n += (size_t)snprintf(b + n, cap - n, "# comment %u%s", row, eol);
        } else if (r % 89 == 0) {
            n += (size_t)snprintf(b + n, cap - n, "%s", eol);
        } else if (r % 5 == 0) {
            n += (size_t)snprintf(b + n, cap - n, "%u,\"n, \"\"%u\"\"\",%u,%s%s", row, r % 1000,
                                  r % 50, st[r % 5], eol);
        } else {
            n += (size_t)snprintf(b + n, cap - n, "%u,n%u,%u,%s%s", row, r % 1000, r % 50,
                                  st[(r >> 8) % 5], eol);
        }
    }
    if (seed % 2) /* the last record without its delimiter */
        n -= b[n - 2] == '\r' ? 2 : 1;
    *len = n;
    return b;
}

/* whole: the run read all of its input (no error, no LIMIT), so the byte counts agree too
 * (after an early end, two threads have read further ahead) */
static void same(const result *a, const result *b, bool whole, const char *what)
{
    cr_assert_eq(a->rc, b->rc, "%s: %s vs %s", what, pluck_code_name(a->rc), pluck_code_name(b->rc));
    cr_assert_eq(a->o.n, b->o.n, "%s: %zu vs %zu output bytes", what, a->o.n, b->o.n);
    cr_assert(a->o.n == 0 || !memcmp(a->o.p, b->o.p, a->o.n), "%s: output differs", what);
    /* chunks differ (a feed flushes what it produced, a lane at 64 KiB) but stay bounded */
    cr_assert(a->o.max_call <= 65536 + 1024, "%s: a chunk of %zu bytes", what, a->o.max_call);
    cr_assert_eq(a->err.record, b->err.record, "%s: error at record %llu vs %llu", what,
                 (unsigned long long)a->err.record, (unsigned long long)b->err.record);
    cr_assert_eq(a->err.byte_offset, b->err.byte_offset, "%s: error at byte %llu vs %llu", what,
                 (unsigned long long)a->err.byte_offset, (unsigned long long)b->err.byte_offset);
    cr_assert_str_eq(a->err.message, b->err.message, "%s", what);
    cr_assert_eq(a->st.records_scanned, b->st.records_scanned, "%s: records scanned", what);
    cr_assert_eq(a->st.records_returned, b->st.records_returned, "%s: records returned", what);
    if (whole && a->rc == PLUCK_OK)
        cr_assert_eq(a->st.bytes_scanned, b->st.bytes_scanned, "%s: bytes scanned", what);
}

Test(lanes, split_file_equals_one_thread_feed, .timeout = 120)
{
    static const char *const queries[] = {
        "SELECT * FROM S3Object",
        "SELECT s.id, s.name FROM S3Object s WHERE s.status = 'FAIL'",
        "SELECT s.name FROM S3Object s WHERE s.name LIKE '%\"1%'",
        ("SELECT COUNT(*), SUM(CAST(s.qty AS INT)), MIN(s.name), MAX(s.status), AVG(s.qty) "
         "FROM S3Object s"),
        "SELECT s.id FROM S3Object s WHERE CAST(s.qty AS INT) > 40 LIMIT 7000",
        "SELECT CAST(s.qty AS INT) * 2 FROM S3Object s WHERE s.status <> 'OK'",
    };
    char path[] = "/tmp/pluck-lanes-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    for (uint32_t seed = 1; seed <= 8; seed++) {
        int damage = (int)(seed % 4);
        size_t n;
        char *data = gen(seed * 2654435761u, (3u << 20) + seed * 77777, damage, &n);
        cr_assert(ftruncate(fd, 0) == 0 && pwrite(fd, data, n, 0) == (ssize_t)n);
        for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
            const char *hdr = qi % 2 ? "USE" : "IGNORE";
            if (qi % 2 == 0 && strstr(queries[qi], "s."))
                hdr = "USE";
            pluck_query *q1 = compile(queries[qi], hdr, "1", "256");
            pluck_query *q2 = compile(queries[qi], hdr, "2", "256");
            result want = run_feed(q1, data, n);
            char what[160];
            for (int ranges = 1; ranges >= 0; ranges--) {
                cr_assert(setenv("PLUCK_PREAD", ranges ? "1" : "0", 1) == 0);
                result got = run_fd(q2, path);
                snprintf(what, sizeof what, "seed %u damage %d %s, query %zu", seed, damage,
                         ranges ? "ranges" : "read", qi);
                same(&got, &want, !strstr(queries[qi], "LIMIT"), what);
                free(got.o.p);
            }
            /* the damaged files must fail somewhere for the comparison to mean something */
            if ((damage == 1 || damage == 3) && !strstr(queries[qi], "LIMIT"))
                cr_assert(pluck_is_error(want.rc), "seed %u query %zu: no error", seed, qi);
            free(want.o.p);
            pluck_query_free(q1);
            pluck_query_free(q2);
        }
        free(data);
    }
    cr_assert(unsetenv("PLUCK_PREAD") == 0);
    close(fd);
    unlink(path);
}

/*
 * test_feed_step.c — pluck_run_feed_step(), the bounded step servers use (issue 13, findings
 * 3 and 4): whatever the compression ratio, one call decompresses about 1 MiB, so its output
 * and time stay bounded; the steps together give exactly what one pluck_run_feed() gives.
 * The bombs are made here with zlib and libbz2 (the codecs' own reference libraries).
 */
#include <criterion/criterion.h>

#include "pluck.h"

#include <bzlib.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct sink {
    char *d;
    size_t n, cap, step_max, step_n;
} sink;

static int put(void *op, const char *data, size_t len)
{
    sink *s = op;
    if (s->n + len > s->cap) {
        s->cap = (s->n + len) * 2;
        s->d = realloc(s->d, s->cap);
        cr_assert(s->d);
    }
    memcpy(s->d + s->n, data, len);
    s->n += len;
    s->step_n += len;
    return 0;
}

/* lines of 250 'a' and a newline, `lines` of them */
static unsigned char *lines_of_a(size_t lines, size_t *len)
{
    *len = lines * 251;
    unsigned char *p = malloc(*len);
    cr_assert(p);
    for (size_t i = 0; i < lines; i++) {
        memset(p + i * 251, 'a', 250);
        p[i * 251 + 250] = '\n';
    }
    return p;
}

static unsigned char *gzip_of(unsigned char *in, size_t n, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    z.next_in = in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert(deflate(&z, Z_FINISH) == Z_STREAM_END);
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

static unsigned char *bzip2_of(unsigned char *in, size_t n, size_t *outlen)
{
    unsigned int cap = (unsigned int)(n / 50 + 4096);
    unsigned char *out = malloc(cap);
    cr_assert(BZ2_bzBuffToBuffCompress((char *)out, &cap, (char *)in, (unsigned int)n, 9, 0, 0) ==
              BZ_OK);
    *outlen = cap;
    return out;
}

static pluck_query *compile(const char *sql)
{
    pluck_error e;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), NULL, &e);
    cr_assert(q, "%s", e.message);
    return q;
}

/* Feed `obj` (`reps` copies of one compressed member/stream) in 32 KiB blocks through
 * feed_step; check every call's output against `bound` and return the output. */
static sink run_steps(const char *sql, const unsigned char *member, size_t mlen, int reps,
                      size_t bound, size_t *calls)
{
    pluck_query *q = compile(sql);
    sink s = {0};
    pluck_run *r = pluck_run_create(q, put, &s);
    size_t total = mlen * (size_t)reps, pos = 0;
    unsigned char *obj = malloc(total);
    for (int i = 0; i < reps; i++)
        memcpy(obj + (size_t)i * mlen, member, mlen);
    *calls = 0;
    int more = 0;
    pluck_code rc = PLUCK_OK;
    size_t off = 0, blen = 0;
    for (;;) {
        if (off == blen && !more && pos < total) {
            blen = total - pos < 32768 ? total - pos : 32768;
            off = 0;
            pos += blen;
        }
        int end = pos >= total;
        size_t used = 0;
        s.step_n = 0;
        rc = pluck_run_feed_step(r, obj + pos - blen + off, blen - off, end, &used, &more);
        (*calls)++;
        cr_assert(s.step_n <= bound, "one step wrote %zu bytes (bound %zu)", s.step_n, bound);
        off += used;
        if (rc != PLUCK_OK || (end && !more && off == blen))
            break;
        cr_assert(*calls < 1000000, "no progress");
    }
    cr_assert(rc == PLUCK_OK || rc == PLUCK_STOP, "%s", pluck_code_name(rc));
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    pluck_run_free(r);
    pluck_query_free(q);
    free(obj);
    return s;
}

static sink run_once(const char *sql, const unsigned char *member, size_t mlen, int reps)
{
    pluck_query *q = compile(sql);
    sink s = {0};
    pluck_run *r = pluck_run_create(q, put, &s);
    for (int i = 0; i < reps; i++)
        cr_assert_eq(pluck_run_feed(r, member, mlen), PLUCK_OK);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    pluck_run_free(r);
    pluck_query_free(q);
    return s;
}

Test(feed_step, gzip_bomb_bounded_and_exact)
{
    size_t n, glen, calls;
    unsigned char *plain = lines_of_a(100000, &n); /* 25 MB */
    unsigned char *gz = gzip_of(plain, n, &glen);   /* about 100 KB */
    /* SELECT *: about 1 MiB of input per step gives about 1 MiB of output */
    sink a = run_steps("SELECT * FROM S3Object", gz, glen, 2, 3u << 20, &calls);
    cr_assert_gt(calls, 2 * n / (2u << 20), "%zu calls for %zu bytes", calls, 2 * n);
    sink b = run_once("SELECT * FROM S3Object", gz, glen, 2);
    cr_assert(a.n == b.n && !memcmp(a.d, b.d, a.n), "steps and one feed differ");
    cr_assert_eq(a.n, 2 * n);
    free(a.d);
    free(b.d);
    free(gz);
    free(plain);
}

Test(feed_step, bzip2_bomb_count)
{
    size_t n, blen, calls;
    unsigned char *plain = lines_of_a(140000, &n); /* 35 MB in about 50 bytes */
    unsigned char *bz = bzip2_of(plain, n, &blen);
    cr_assert_lt(blen, 4096);
    /* 10 streams (350 MB) in one 32 KiB block: the old feed did it in one call */
    sink a = run_steps("SELECT COUNT(*) FROM S3Object", bz, blen, 10, 64, &calls);
    cr_assert_gt(calls, 10 * n / (2u << 20), "%zu calls", calls);
    cr_assert(a.n == 8 && !memcmp(a.d, "1400000\n", 8), "%.*s", (int)a.n, a.d);
    free(a.d);
    free(bz);
    free(plain);
}

/*
 * test_gzmarks.c — the places a gzip decode reports for an index (pl_codec_gzip_marks), the
 * resumption of both backends at them (pl_codec_gzip_resume_deflate), and the index built as
 * a side effect of a run (pluck_run_build_index / pluck_run_take_index).
 *
 * Generated CSV-like text (seeded) is deflated by zlib at several levels, with sync and full
 * flushes, stored (level 0) and as several members.  Oracles that are not pluck's code:
 *  - every block boundary reported is checked with zlib directly, the way zran.c resumes
 *    (raw inflate, inflatePrime with its bits, inflateSetDictionary with its window): it must
 *    decode to exactly the member's remaining text, and its CRC-32 and length must be
 *    crc32() of the text before it;
 *  - zlib's Z_BLOCK decode and ISA-L's decode-ahead copy must report the same places, each
 *    fed in different random input and output pieces;
 *  - the index a run records equals, byte for byte, the one pluck_index_build writes.
 */
#include <criterion/criterion.h>

#include "codec/codec.h"
#include "pluck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "testbuf.h"

#define WIN 32768

static uint64_t mrng = 0x243F6A8885A308D3ull;

static tb_buf text(size_t rows)
{
    tb_buf t = {0};
    tb_put(&t, "id,name,score\n", 14);
    char line[128];
    for (size_t i = 0; i < rows; i++) {
        int n = snprintf(line, sizeof line, "%zu,n%u %u,%u.%02u\n", i, tb_next(&mrng) % 5000,
                         tb_next(&mrng) % 77, tb_next(&mrng) % 1000, tb_next(&mrng) % 100);
        tb_put(&t, line, (size_t)n);
    }
    return t;
}

/* one gzip member of t[a, b): zlib level, and a flush (Z_SYNC_FLUSH / Z_FULL_FLUSH) every
 * `every` bytes (0: none) */
static void member(tb_buf *gz, const tb_buf *t, size_t a, size_t b, int level, size_t every,
                   int flush)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, b - a) + 1024 + (every ? (b - a) / every * 16 : 0);
    unsigned char *out = malloc(cap);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    for (size_t at = a; at < b;) {
        size_t n = every && b - at > every ? every : b - at;
        z.next_in = (Bytef *)t->p + at;
        z.avail_in = (uInt)n;
        at += n;
        int ret = deflate(&z, at == b ? Z_FINISH : every ? flush : Z_NO_FLUSH);
        cr_assert(ret == Z_OK || ret == Z_STREAM_END);
    }
    tb_put(gz, out, z.total_out);
    deflateEnd(&z);
    free(out);
}

typedef struct mark {
    uint64_t coff, uoff;
    uint32_t crc, isize;
    unsigned bits;
    bool member;
    uLong wsum; /* adler32 of the window */
} mark;

typedef struct marks {
    mark v[512];
    size_t n;
    uint64_t spacing, last;
    unsigned char win[512][WIN]; /* (kept for the zlib check) */
} marks;

/* pl_gzmark_fn: keep every place, member starts only `spacing` apart (as gzindex.c does) */
static uint64_t keep(void *opaque, const pl_gzmark *m)
{
    marks *k = opaque;
    bool take = !m->member || k->n == 0 || m->coff - k->last >= k->spacing;
    if (take) {
        cr_assert_lt(k->n, 512);
        k->v[k->n] = (mark){m->coff, m->uoff, m->crc, m->isize, m->bits, m->member, 0};
        if (!m->member) {
            memcpy(k->win[k->n], m->window, WIN);
            k->v[k->n].wsum = adler32(0, m->window, WIN);
        }
        k->n++;
        k->last = m->coff - (m->bits ? 1 : 0);
    }
    return k->last + k->spacing;
}

/* decode all of gz with backend b reporting places to k, input and output in random pieces;
 * the output must be t */
static void decode_marked(const tb_buf *gz, const tb_buf *t, pl_gzip_backend b, marks *k,
                          uint64_t seed)
{
    pl_codec *c = pl_codec_create(PL_COMP_GZIP, b);
    cr_assert(c);
    k->n = 0;
    k->last = 0;
    pl_codec_gzip_marks(c, keep, k, k->spacing);
    unsigned char *out = malloc(t->n + 1);
    size_t got = 0, at = 0;
    uint64_t r = seed;
    while (at < gz->n || got < t->n) {
        size_t n = at < gz->n ? 1 + tb_next(&r) % 70000 : 0;
        if (n > gz->n - at)
            n = gz->n - at;
        if (at + n == gz->n)
            pl_codec_end_input(c);
        const unsigned char *in = (const unsigned char *)gz->p + at;
        size_t left = n, before;
        do {
            before = got;
            size_t room = 1 + tb_next(&r) % 300000, cap = room;
            if (room > t->n + 1 - got)
                room = cap = t->n + 1 - got;
            unsigned char *o = out + got;
            cr_assert_eq(pl_codec_decode(c, &in, &left, &o, &room), PLUCK_OK, "%s",
                         pl_codec_message(c));
            got += cap - room;
        } while (left > 0 || got > before);
        at += n;
        if (at == gz->n && n == 0)
            break;
    }
    cr_assert_eq(pl_codec_finish(c), PLUCK_OK, "%s", pl_codec_message(c));
    cr_assert_eq(got, t->n);
    cr_assert(!memcmp(out, t->p, t->n));
    pl_codec_free(c);
    free(out);
}

/* zlib on its own, as zran.c resumes: raw inflate from place i of k must give t from its
 * uoff to its member's end (mend), and its CRC-32 and length are those of t[mstart, uoff) */
static void zran_check(const tb_buf *gz, const tb_buf *t, const marks *k, size_t i,
                       uint64_t mstart, uint64_t mend)
{
    const mark *m = &k->v[i];
    cr_assert_eq(m->crc, (uint32_t)crc32(0, (const Bytef *)t->p + mstart, (uInt)(m->uoff - mstart)),
                 "place %zu: CRC-32", i);
    cr_assert_eq(m->isize, (uint32_t)(m->uoff - mstart));
    cr_assert(!memcmp(k->win[i], t->p + m->uoff - WIN, WIN), "place %zu: window", i);
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, -15), Z_OK);
    if (m->bits)
        cr_assert_eq(inflatePrime(&z, (int)m->bits,
                                  ((const unsigned char *)gz->p)[m->coff - 1] >> (8 - m->bits)),
                     Z_OK);
    cr_assert_eq(inflateSetDictionary(&z, k->win[i], WIN), Z_OK);
    size_t want = (size_t)(mend - m->uoff);
    unsigned char *out = malloc(want + 1);
    z.next_in = (Bytef *)gz->p + m->coff;
    z.avail_in = (uInt)(gz->n - m->coff);
    z.next_out = out;
    z.avail_out = (uInt)want + 1;
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "place %zu: %s", i, z.msg ? z.msg : "");
    cr_assert_eq(z.total_out, want);
    cr_assert(!memcmp(out, t->p + m->uoff, want));
    inflateEnd(&z);
    free(out);
}

/* pluck's resumption at place i, each backend, to the end of the stream (t from uoff), input
 * in random pieces; then with its member's trailer damaged (CRC-32, then ISIZE): an error */
static void resume_check(const tb_buf *gz, const tb_buf *t, const marks *k, size_t i,
                         uint64_t trailer, pl_gzip_backend b)
{
    const mark *m = &k->v[i];
    for (int damage = 0; damage < 3; damage++) {
        tb_buf g = {0};
        tb_put(&g, gz->p, gz->n);
        if (damage)
            g.p[trailer + (damage == 1 ? 1 : 5)] ^= 0x40;
        pl_codec *c = pl_codec_create(PL_COMP_GZIP, b);
        unsigned char byte = m->bits ? ((const unsigned char *)g.p)[m->coff - 1] : 0;
        cr_assert(pl_codec_gzip_resume_deflate(c, m->coff, m->bits, byte, k->win[i], WIN,
                                               m->crc, m->isize));
        size_t want = t->n - (size_t)m->uoff, got = 0, at = (size_t)m->coff;
        unsigned char *out = malloc(want + 1);
        uint64_t r = m->coff * 7 + (uint64_t)b;
        pluck_code rc = PLUCK_OK;
        while (!rc) {
            size_t n = 1 + tb_next(&r) % 9000;
            if (n > g.n - at)
                n = g.n - at;
            const unsigned char *in = (const unsigned char *)g.p + at;
            size_t left = n;
            if (n == 0)
                pl_codec_end_input(c);
            size_t before;
            do {
                before = got;
                unsigned char *o = out + got;
                size_t room = want + 1 - got;
                rc = pl_codec_decode(c, &in, &left, &o, &room);
                got = want + 1 - room;
            } while (!rc && (left > 0 || got > before));
            at += n;
            if (n == 0)
                break;
        }
        if (!rc)
            rc = pl_codec_finish(c);
        if (!damage) {
            cr_assert_eq(rc, PLUCK_OK, "backend %d, place %zu: %s", b, i, pl_codec_message(c));
            cr_assert_eq(got, want);
            cr_assert(!memcmp(out, t->p + m->uoff, want));
        } else {
            cr_assert_eq(rc, PLUCK_E_TRUNCATED_INPUT, "backend %d, damage %d", b, damage);
            cr_assert(strstr(pl_codec_message(c), "incorrect"), "%s", pl_codec_message(c));
        }
        pl_codec_free(c);
        free(out);
        free(g.p);
    }
}

Test(gzmarks, zlib_and_isal_report_the_same_places_and_resume_there)
{
    tb_buf t = text(40000);
    static marks kz, ki;
    struct {
        int level, flush;
        size_t every, members;
    } enc[] = {{6, 0, 0, 1},       {1, 0, 0, 1},          {9, 0, 0, 1},
               {0, 0, 0, 1},       {3, Z_SYNC_FLUSH, 30000, 1}, {6, Z_FULL_FLUSH, 70000, 1},
               {6, 0, 0, 4}};
    uint64_t spacings[] = {9000, 40000, 150000};
    for (size_t e = 0; e < PL_ARRAY_SIZE(enc); e++) {
        tb_buf gz = {0};
        size_t per = t.n / enc[e].members;
        uint64_t *mstart = calloc(enc[e].members + 1, sizeof *mstart);
        uint64_t *cend = calloc(enc[e].members + 1, sizeof *cend);
        for (size_t j = 0; j < enc[e].members; j++) {
            mstart[j] = j * per;
            member(&gz, &t, j * per, j + 1 == enc[e].members ? t.n : (j + 1) * per,
                   enc[e].level, enc[e].every, enc[e].flush);
            cend[j] = gz.n;
        }
        mstart[enc[e].members] = t.n;
        for (size_t s = 0; s < PL_ARRAY_SIZE(spacings); s++) {
            kz.spacing = ki.spacing = spacings[s];
            decode_marked(&gz, &t, PL_GZIP_ZLIB, &kz, 11 + s);
            decode_marked(&gz, &t, PL_GZIP_ISAL, &ki, 97 + s);
            cr_assert_eq(kz.n, ki.n, "encoding %zu spacing %llu: %zu vs %zu places", e,
                         (unsigned long long)spacings[s], kz.n, ki.n);
            cr_assert(!memcmp(kz.v, ki.v, kz.n * sizeof *kz.v),
                      "encoding %zu spacing %llu: the places differ", e,
                      (unsigned long long)spacings[s]);
            size_t inside = 0;
            for (size_t i = 0; i < kz.n; i++) {
                if (kz.v[i].member)
                    continue;
                size_t j = 0;
                while (mstart[j + 1] <= kz.v[i].uoff)
                    j++;
                zran_check(&gz, &t, &kz, i, mstart[j], mstart[j + 1]);
                inside++;
                if (s == 0 && i % 3 == 1) { /* a few: resumption is slower to check */
                    resume_check(&gz, &t, &kz, i, cend[j] - 8, PL_GZIP_ZLIB);
                    resume_check(&gz, &t, &kz, i, cend[j] - 8, PL_GZIP_ISAL);
                }
            }
            if (enc[e].level != 0 || spacings[s] < 100000) /* stored: blocks of 64 KiB */
                cr_assert_gt(inside, 0, "encoding %zu spacing %llu: no place inside", e,
                             (unsigned long long)spacings[s]);
        }
        free(mstart);
        free(cend);
        free(gz.p);
    }
    free(t.p);
}

Test(gzmarks, a_run_records_the_index_pluck_index_build_writes)
{
    tb_buf t = text(70000), gz = {0}; /* more than one 256 KiB read compressed */
    member(&gz, &t, 0, t.n / 2, 6, 0, 0);
    member(&gz, &t, t.n / 2, t.n, 9, 50000, Z_SYNC_FLUSH);
    char path[] = "/tmp/pluck-gzmarks-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, gz.p, gz.n), (ssize_t)gz.n);
    pluck_index *ix;
    pluck_error e;
    cr_assert_eq(pluck_index_build(fd, 20000, &ix, &e), PLUCK_OK, "%s", e.message);
    tb_buf want = {0};
    cr_assert_eq(pluck_index_write(ix, tb_sink, &want, &e), PLUCK_OK);
    pluck_index_free(ix);
    const char *backends[] = {"isal", "zlib"};
    for (int be = 0; be < 2; be++) {
        setenv("PLUCK_INFLATE", backends[be], 1);
        for (int th = 1; th <= 2; th++) {
            pluck_query *q = tb_compile("SELECT COUNT(*) FROM S3Object s WHERE s.score > '5'",
                                      th == 1 ? "1" : "2");
            tb_buf out = {0};
            pluck_run *r = pluck_run_create(q, tb_sink, &out);
            pluck_run_build_index(r, 20000);
            lseek(fd, 0, SEEK_SET);
            cr_assert_eq(pluck_run_fd(r, fd), PLUCK_OK, "%s", pluck_run_error(r)->message);
            cr_assert_eq(pluck_run_take_index(r, fd, &ix, &e), PLUCK_OK, "%s", e.message);
            tb_buf got = {0};
            cr_assert_eq(pluck_index_write(ix, tb_sink, &got, &e), PLUCK_OK);
            cr_assert(got.n == want.n && !memcmp(got.p, want.p, want.n),
                      "%s, %d threads: the run's index differs from pluck_index_build's",
                      backends[be], th);
            pluck_index_info in;
            pluck_index_get_info(ix, &in);
            cr_assert_gt(in.checkpoints, 4);
            cr_assert_geq(in.members, 1);
            /* taken once */
            pluck_index *again;
            cr_assert_eq(pluck_run_take_index(r, fd, &again, &e),
                         PLUCK_E_INVALID_REQUEST_PARAMETER);
            pluck_index_free(ix);
            pluck_run_free(r);
            pluck_query_free(q);
            free(out.p);
            free(got.p);

            /* a query that stops at its LIMIT: one thread reads no further (no index);
             * two may have decoded it all ahead (then the same index) */
            q = tb_compile("SELECT * FROM S3Object LIMIT 2", th == 1 ? "1" : "2");
            out.p = NULL;
            out.n = out.cap = 0;
            r = pluck_run_create(q, tb_sink, &out);
            pluck_run_build_index(r, 20000);
            lseek(fd, 0, SEEK_SET);
            cr_assert_eq(pluck_run_fd(r, fd), PLUCK_OK);
            pluck_code rc = pluck_run_take_index(r, fd, &ix, &e);
            if (th == 1 || rc != PLUCK_OK) {
                cr_assert_eq(rc, PLUCK_E_INVALID_REQUEST_PARAMETER);
                cr_assert(ix == NULL);
                cr_assert(strstr(e.message, "not decoded to its end"), "%s", e.message);
            } else {
                got.p = NULL;
                got.n = got.cap = 0;
                cr_assert_eq(pluck_index_write(ix, tb_sink, &got, &e), PLUCK_OK);
                cr_assert(got.n == want.n && !memcmp(got.p, want.p, want.n));
                pluck_index_free(ix);
                free(got.p);
            }
            pluck_run_free(r);
            pluck_query_free(q);
            free(out.p);
        }
    }
    unsetenv("PLUCK_INFLATE");
    close(fd);
    unlink(path);
    free(want.p);
    free(gz.p);
    free(t.p);
}

/*
 * test_bzip2_blocks.c — the bzip2 split decoder (src/codec/bzip2_blocks.c) on blocks that
 * decode to more than it holds (run-length data: handed out in pieces after a first decode
 * that checks the CRC), against the plain text libbz2's encoder was given.
 *
 * A bzip2 -9 stream of seeded rows of long runs (~3 MB in one 900 kB block; t_splits_bx.sh
 * has files of several such blocks) is decoded block by block (pl_codec_resume_at) with output buffers of several sizes
 * and input in pieces of several sizes: every cut gives the plain text exactly and ends
 * cleanly.  With one bit of the block flipped, every cut ends with TruncatedInput and no
 * output: none of the damaged block's bytes (a block is handed out only once its CRC held).
 */
#include <criterion/criterion.h>

#include "codec/codec.h"

#include <bzlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testbuf.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* rows of a run of 200..2000 copies of one letter and a number */
static tb_buf gen_runs(size_t rows)
{
    tb_buf b = {0};
    char line[2100];
    for (size_t i = 0; i < rows; i++) {
        size_t run = 200 + tb_next(&rng) % 1800;
        memset(line, 'a' + (int)(tb_next(&rng) % 3), run);
        int n = snprintf(line + run, sizeof line - run, ",%zu\n", i);
        tb_put(&b, line, run + (size_t)n);
    }
    return b;
}

static tb_buf compress9(const tb_buf *plain)
{
    unsigned cap = (unsigned)(plain->n + plain->n / 100 + 600);
    tb_buf z = {0};
    z.p = malloc(cap);
    cr_assert(z.p);
    cr_assert_eq(BZ2_bzBuffToBuffCompress(z.p, &cap, plain->p, (unsigned)plain->n, 9, 0, 0),
                 BZ_OK);
    z.n = cap;
    return z;
}

typedef struct run {
    pluck_code rc;
    tb_buf out;
} run;

/* Decode z with the block decoder: input in pieces of `piece`, output room `room`. */
static run decode_blocks(const tb_buf *z, size_t piece, size_t room)
{
    run r = {0};
    pl_codec *c = pl_codec_create(PL_COMP_BZIP2, PL_GZIP_AUTO);
    cr_assert(c);
    pl_codec_resume_at(c, 0);
    unsigned char *buf = malloc(room);
    cr_assert(buf);
    size_t at = 0;
    bool ended = false;
    for (;;) {
        size_t n = z->n - at < piece ? z->n - at : piece;
        if (n == 0 && !ended) {
            pl_codec_end_input(c);
            ended = true;
        }
        const unsigned char *in = (const unsigned char *)z->p + at;
        size_t in_len = n;
        size_t made, had;
        do { /* until it makes nothing and takes nothing */
            unsigned char *o = buf;
            size_t cap = room;
            had = in_len;
            r.rc = pl_codec_decode(c, &in, &in_len, &o, &cap);
            made = room - cap;
            tb_put(&r.out, (const char *)buf, made);
        } while (!r.rc && (made || in_len < had));
        cr_assert(r.rc || in_len == 0, "the decoder left input it did not take");
        at += n;
        if (r.rc || (ended && !made))
            break;
    }
    if (!r.rc)
        r.rc = pl_codec_finish(c);
    free(buf);
    pl_codec_free(c);
    return r;
}

static const size_t pieces[] = {777, 65536, 1u << 22};
static const size_t rooms[] = {4093, 65536, 1u << 20};

Test(bzip2_blocks, long_block_any_cut)
{
    const size_t rows = 2600; /* ~2.9 MB: one block, more than the 2 MiB held */
    tb_buf plain = gen_runs(rows);
    tb_buf z = compress9(&plain);
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
        for (size_t k = 0; k < sizeof rooms / sizeof *rooms; k++) {
            run r = decode_blocks(&z, pieces[i], rooms[k]);
            cr_assert_eq(r.rc, PLUCK_OK, "pieces %zu, room %zu: code %d", pieces[i], rooms[k],
                         r.rc);
            cr_assert_eq(r.out.n, plain.n, "pieces %zu, room %zu: %zu bytes, want %zu",
                         pieces[i], rooms[k], r.out.n, plain.n);
            cr_assert(!memcmp(r.out.p, plain.p, plain.n), "pieces %zu, room %zu: bytes differ",
                      pieces[i], rooms[k]);
            free(r.out.p);
        }
    free(plain.p);
    free(z.p);
}

Test(bzip2_blocks, damaged_long_block_gives_none_of_its_bytes)
{
    tb_buf plain = gen_runs(2600);
    tb_buf z = compress9(&plain);
    cr_assert_gt(z.n, 200);
    z.p[z.n / 2] ^= 0x10; /* inside the one block's data */
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
        for (size_t k = 0; k < sizeof rooms / sizeof *rooms; k++) {
            run r = decode_blocks(&z, pieces[i], rooms[k]);
            cr_assert_eq(r.rc, PLUCK_E_TRUNCATED_INPUT, "pieces %zu, room %zu: code %d",
                         pieces[i], rooms[k], r.rc);
            cr_assert_eq(r.out.n, 0, "pieces %zu, room %zu: %zu bytes of the damaged block",
                         pieces[i], rooms[k], r.out.n);
            free(r.out.p);
        }
    free(plain.p);
    free(z.p);
}

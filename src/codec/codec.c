/*
 * codec.c — magic-number detection, the pl_codec front end shared by every backend, and
 * the `none` (copy) backend.  See codec.h for the contract and codec_impl.h for how the
 * work is split with the backends.
 */
#include "codec/bzip2_blocks.h"
#include "codec/codec_impl.h"
#include "codec/xz_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- magic numbers --------------------------------------------------------------------- */

static const unsigned char magic_gzip[] = {0x1f, 0x8b};
static const unsigned char magic_zstd[] = {0x28, 0xb5, 0x2f, 0xfd};
static const unsigned char magic_xz[] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};

static int match_bytes(const unsigned char *magic, size_t mlen, const unsigned char *p,
                       size_t n)
{
    size_t k = n < mlen ? n : mlen;
    if (k && memcmp(p, magic, k) != 0) /* p may be NULL when n == 0 */
        return 0;
    return n >= mlen ? 2 : 1;
}

/* A zstd stream may begin with a skippable frame (magic 0x184D2A50..0x184D2A5F, stored
 * little-endian), which libzstd steps over on its own. */
static int match_zstd_skippable(const unsigned char *p, size_t n)
{
    static const unsigned char rest[] = {0x2a, 0x4d, 0x18};
    if (n == 0)
        return 1;
    if ((p[0] & 0xf0) != 0x50)
        return 0;
    return match_bytes(rest, sizeof rest, p + 1, n - 1);
}

static int match_bzip2(const unsigned char *p, size_t n)
{
    static const unsigned char bzh[] = {'B', 'Z', 'h'};
    int m = match_bytes(bzh, sizeof bzh, p, n);
    if (m != 2)
        return m;
    if (n == 3)
        return 1;
    return p[3] >= '1' && p[3] <= '9' ? 2 : 0;
}

int pl_codec_magic_match(pl_compression kind, const unsigned char *p, size_t n)
{
    switch (kind) {
    case PL_COMP_GZIP:
        return match_bytes(magic_gzip, sizeof magic_gzip, p, n);
    case PL_COMP_ZSTD: {
        int a = match_bytes(magic_zstd, sizeof magic_zstd, p, n);
        int b = match_zstd_skippable(p, n);
        return a > b ? a : b;
    }
    case PL_COMP_BZIP2:
        return match_bzip2(p, n);
    case PL_COMP_XZ:
        return match_bytes(magic_xz, sizeof magic_xz, p, n);
    case PL_COMP_NONE:
        return 2;
    case PL_COMP_AUTO:
        break;
    }
    return 0;
}

size_t pl_codec_magic_len(pl_compression kind)
{
    switch (kind) {
    case PL_COMP_GZIP:
        return sizeof magic_gzip;
    case PL_COMP_ZSTD:
        return sizeof magic_zstd;
    case PL_COMP_BZIP2:
        return 4;
    case PL_COMP_XZ:
        return sizeof magic_xz;
    case PL_COMP_NONE:
    case PL_COMP_AUTO:
        break;
    }
    return 0;
}

pl_compression pl_codec_detect(const unsigned char *p, size_t n, bool at_eof)
{
    static const pl_compression kinds[] = {PL_COMP_GZIP, PL_COMP_ZSTD, PL_COMP_BZIP2,
                                           PL_COMP_XZ};
    bool maybe = false;
    for (size_t i = 0; i < PL_ARRAY_SIZE(kinds); i++) {
        int m = pl_codec_magic_match(kinds[i], p, n);
        if (m == 2)
            return kinds[i];
        if (m == 1)
            maybe = true;
    }
    return maybe && !at_eof ? PL_COMP_AUTO : PL_COMP_NONE;
}

/* Formats recognised only to be named in the error (see codec.h).  zlib's two header bytes
 * are taken only when the second is not printable text, so a CSV starting "x^" stays CSV. */
const char *pl_codec_unsupported(const unsigned char *p, size_t n)
{
    static const struct {
        const char *name;
        unsigned char magic[8];
        size_t len;
    } known[] = {
        {"lz4 (frame format)", {0x04, 0x22, 0x4d, 0x18}, 4},
        {"lz4 (legacy format)", {0x02, 0x21, 0x4c, 0x18}, 4},
        {"snappy (framed)", {0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50}, 8},
        {"7z archive", {0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c}, 6},
        {"rar archive", {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07}, 6},
        {"zip archive", {0x50, 0x4b, 0x03, 0x04}, 4},
        {"zip archive", {0x50, 0x4b, 0x05, 0x06}, 4},
        {"lzip", {0x4c, 0x5a, 0x49, 0x50}, 4},
        {"lzop", {0x89, 0x4c, 0x5a, 0x4f}, 4},
        {"Unix compress (.Z)", {0x1f, 0x9d}, 2},
        {"Parquet", {0x50, 0x41, 0x52, 0x31}, 4},
        {"lzma-alone (.lzma)", {0x5d, 0x00, 0x00}, 3},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(known); i++)
        if (n >= known[i].len && !memcmp(p, known[i].magic, known[i].len))
            return known[i].name;
    if (n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0 &&
        (p[1] < 0x20 || p[1] >= 0x80))
        return "zlib (deflate with a zlib header)";
    return NULL;
}

/* ---- messages ---------------------------------------------------------------------------- */

static const char *kind_label(pl_compression kind)
{
    switch (kind) {
    case PL_COMP_GZIP:
        return "gzip";
    case PL_COMP_ZSTD:
        return "zstd";
    case PL_COMP_BZIP2:
        return "bzip2";
    case PL_COMP_XZ:
        return "xz";
    case PL_COMP_NONE:
    case PL_COMP_AUTO:
        break;
    }
    return "uncompressed";
}

/* ---- none: copy ------------------------------------------------------------------------- */

static pluck_code none_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                            unsigned char **out, size_t *out_cap, bool *stalled)
{
    size_t n = *in_len < *out_cap ? *in_len : *out_cap;
    if (n)
        memcpy(*out, *in, n);
    *in += n;
    *in_len -= n;
    *out += n;
    *out_cap -= n;
    *stalled = true; /* one copy does all that these buffers allow */
    return PLUCK_OK;
}

static pluck_code none_finish(pl_codec *c) { return PLUCK_OK; }
static void none_destroy(pl_codec *c) {}

static const pl_codec_ops none_ops = {none_step, none_finish, none_destroy};

/* ---- front end ---------------------------------------------------------------------------- */

pl_codec *pl_codec_create(pl_compression kind, pl_gzip_backend gzip_backend)
{
    if (kind == PL_COMP_AUTO)
        return NULL;
    pl_codec *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    pluck_code rc = PLUCK_OK;
    switch (kind) {
    case PL_COMP_NONE:
        c->ops = &none_ops;
        c->name = "none";
        break;
    case PL_COMP_GZIP:
        rc = pl_codec_open_gzip(c, gzip_backend);
        break;
    case PL_COMP_ZSTD:
        rc = pl_codec_open_zstd(c);
        break;
    case PL_COMP_BZIP2:
        rc = pl_codec_open_bzip2(c);
        break;
    case PL_COMP_XZ:
        rc = pl_codec_open_xz(c);
        break;
    case PL_COMP_AUTO:
        break;
    }
    if (rc != PLUCK_OK || !c->ops) {
        if (c->ops)
            c->ops->destroy(c);
        free(c);
        return NULL;
    }
    return c;
}

void pl_codec_set_max_window(pl_codec *c, uint64_t max_window)
{
    if (max_window == 0)
        return;
    if (c->kind == PL_COMP_ZSTD)
        pl_codec_zstd_max_window(c, max_window);
    else if (c->kind == PL_COMP_XZ)
        pl_codec_xz_max_window(c, max_window);
}

void pl_codec_free(pl_codec *c)
{
    if (!c)
        return;
    c->ops->destroy(c);
    free(c);
}

/* Remember the first bytes of the stream as they become visible, before the backend
 * consumes them, so a stream that is not of the declared format at all is reported as
 * InvalidCompressionFormat rather than as whatever the library makes of it. */
static pluck_code check_magic(pl_codec *c, const unsigned char *in, size_t in_len)
{
    size_t need = pl_codec_magic_len(c->kind);
    if (c->head_len >= need)
        return PLUCK_OK;
    size_t skip = (size_t)(c->head_len - c->in_total); /* already recorded, not yet consumed */
    if (skip >= in_len)
        return PLUCK_OK;
    size_t take = in_len - skip;
    if (take > need - c->head_len)
        take = need - c->head_len;
    memcpy(c->head + c->head_len, in + skip, take);
    c->head_len += take;
    PL_RETURN_ERROR_IF(pl_codec_magic_match(c->kind, c->head, c->head_len) == 0, &c->err,
                       PLUCK_E_INVALID_COMPRESSION_FORMAT,
                       "The object is not in %s format: its first bytes do not match "
                       "the %s magic number.",
                       kind_label(c->kind), kind_label(c->kind));
    return PLUCK_OK;
}

pluck_code pl_codec_decode(pl_codec *c, const unsigned char **in, size_t *in_len,
                           unsigned char **out, size_t *out_cap)
{
    if (c->failed)
        return c->failed;
    /* Backends advance the pointers even by zero; NULL + 0 is undefined in C, so an empty
     * input given as NULL is swapped for a valid pointer. */
    static const unsigned char no_input[1];
    const unsigned char *src = *in ? *in : no_input;
    size_t src_len = *in ? *in_len : 0;
    pluck_code rc = check_magic(c, src, src_len);
    int idle = 0;
    while (rc == PLUCK_OK && *out_cap > 0) {
        size_t in0 = src_len, out0 = *out_cap;
        bool stalled = false;
        rc = c->ops->step(c, &src, &src_len, out, out_cap, &stalled);
        c->in_total += in0 - src_len;
        c->out_total += out0 - *out_cap;
        /* A step may only change state (a member ending), but a backend that keeps doing
         * that without moving bytes must not spin here forever. */
        idle = in0 == src_len && out0 == *out_cap ? idle + 1 : 0;
        if (stalled || idle > 2)
            break;
    }
    if (*in) {
        *in = src;
        *in_len = src_len;
    }
    if (rc != PLUCK_OK)
        c->failed = rc;
    return rc;
}

pluck_code pl_codec_trailing_garbage(pl_codec *c, const char *what, uint64_t at)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: trailing garbage after %s at "
                         "compressed offset %llu.",
                         what, (unsigned long long)at);
}

void pl_codec_end_input(pl_codec *c)
{
    c->input_done = true;
}

size_t pl_codec_take_in(unsigned char *buf, size_t *len, size_t room, const unsigned char **in,
                        size_t *in_len)
{
    size_t n = room < *in_len ? room : *in_len;
    memcpy(buf + *len, *in, n);
    *len += n;
    *in += n;
    *in_len -= n;
    return n;
}

void pl_codec_hand_out(const unsigned char *src, size_t len, size_t *sent, unsigned char **out,
                       size_t *out_cap)
{
    size_t n = len - *sent;
    if (n > *out_cap)
        n = *out_cap;
    memcpy(*out, src + *sent, n);
    *out += n;
    *out_cap -= n;
    *sent += n;
}

pluck_code pl_codec_finish(pl_codec *c)
{
    if (c->failed)
        return c->failed;
    if (c->finished)
        return PLUCK_OK;
    if (c->head_len < pl_codec_magic_len(c->kind)) {
        if (c->in_total == 0)
            pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                          "Object decompression failed: the %s stream is empty.",
                          kind_label(c->kind));
        else
            pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                          "Object decompression failed: %s stream truncated inside its "
                          "header at compressed offset %llu.",
                          kind_label(c->kind), (unsigned long long)c->in_total);
        return c->failed = PLUCK_E_TRUNCATED_INPUT;
    }
    pluck_code rc = c->ops->finish(c);
    if (rc != PLUCK_OK)
        c->failed = rc;
    else
        c->finished = true; /* liblzma, for one, must not be asked to finish twice */
    return rc;
}

void pl_codec_resume_at(pl_codec *c, uint64_t at)
{
    c->in_total = at;
    c->head_len = pl_codec_magic_len(c->kind); /* a split starts at a checked magic */
    if (c->kind == PL_COMP_ZSTD)
        pl_codec_zstd_resume(c, at);
    pluck_code rc = PLUCK_OK;
    if (c->kind == PL_COMP_BZIP2)
        rc = pl_codec_bzip2_blocks(c);
    else if (c->kind == PL_COMP_XZ)
        rc = pl_codec_xz_blocks(c, -1); /* the check type: pl_codec_xz_blocks again */
    if (rc != PLUCK_OK)
        c->failed = pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
}

const char *pl_codec_name(const pl_codec *c) { return c ? c->name : ""; }

void pl_codec_totals(const pl_codec *c, uint64_t *in, uint64_t *out)
{
    *in = c->in_total;
    *out = c->out_total;
}

const char *pl_codec_message(const pl_codec *c) { return c && c->failed ? c->err.message : ""; }

const char *pl_codec_features(void)
{
#ifdef PLUCK_HAVE_ISAL
    return "gzip(isa-l,zlib) zstd bzip2 xz";
#else
    return "gzip(zlib) zstd bzip2 xz";
#endif
}

/*
 * gzindex.c — building, writing and loading checkpoint indexes of gzip files (see
 * gzindex.h; the format is pluck-index(5)).
 *
 * An index is built by a decode of the whole file that reports its member starts and, every
 * `spacing` compressed bytes, a deflate block boundary with its window
 * (pl_codec_gzip_marks): the decode that feeds a query (pluck_run_build_index, --write-index)
 * or one of its own (pluck_index_build, pluck index).  The places are chosen by the codec
 * (zlib's inflate with Z_BLOCK, as zran.c does, or ISA-L with a copy of its state decoding
 * ahead); this file keeps them as checkpoints.
 */
#include "source/gzindex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#define IX_MAGIC "PLUCKIDX"
#define IX_VERSION 1
#define IX_HEAD 56   /* bytes of the fixed header */
#define IX_ENTRY 32  /* bytes per checkpoint */
#define IX_IN (256 * 1024)

/* ---- little-endian fields ------------------------------------------------------------------ */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- shared ---------------------------------------------------------------------------------- */

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (size_t)got;
    }
    return true;
}

bool pl_gzindex_hash(int fd, uint64_t size, uint32_t *head, uint32_t *tail)
{
    unsigned char *buf = malloc(PL_GZINDEX_HASHED);
    size_t n = size < PL_GZINDEX_HASHED ? (size_t)size : PL_GZINDEX_HASHED;
    bool ok = buf && read_at(fd, buf, n, 0);
    if (ok)
        *head = (uint32_t)crc32(0L, buf, (uInt)n);
    ok = ok && read_at(fd, buf, n, size - n);
    if (ok)
        *tail = (uint32_t)crc32(0L, buf, (uInt)n);
    free(buf);
    return ok;
}

const pl_gzpoint *pl_gzindex_find(const pluck_index *ix, uint64_t at)
{
    size_t lo = 0, hi = ix ? ix->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t m = pl_gzpoint_split_at(&ix->pt[mid]);
        if (m == at)
            return &ix->pt[mid];
        if (m < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool pl_gzindex_window(const pluck_index *ix, const pl_gzpoint *p, unsigned char *out)
{
    uLongf n = PL_GZINDEX_WINDOW;
    return !p->member &&
           uncompress(out, &n, ix->blob + p->woff, (uLong)p->wlen) == Z_OK &&
           n == PL_GZINDEX_WINDOW;
}

void pluck_index_free(pluck_index *ix)
{
    if (!ix)
        return;
    free(ix->pt);
    free(ix->blob);
    free(ix);
}

void pluck_index_get_info(const pluck_index *ix, pluck_index_info *info)
{
    *info = (pluck_index_info){0};
    if (!ix)
        return;
    info->file_size = ix->file_size;
    info->uncompressed_size = ix->usize;
    info->spacing = ix->spacing;
    info->checkpoints = ix->n;
    for (size_t i = 0; i < ix->n; i++)
        info->members += ix->pt[i].member;
}

/* ---- building: the places a decode reports (pl_codec_gzip_marks) -------------------------- */

struct pl_gzrec {
    pluck_index *ix;
    uint64_t last_split; /* byte offset where the last checkpoint's split starts */
    bool done;           /* the decode reached the end of the input cleanly */
    uint64_t in_total;   /* ... having read this many compressed bytes */
};

static bool add_point(pl_gzrec *b, const pl_gzpoint *p)
{
    pluck_index *ix = b->ix;
    if (!pl_grow(&ix->pt, &ix->cap, ix->n + 1, sizeof *ix->pt))
        return false;
    ix->pt[ix->n++] = *p;
    b->last_split = pl_gzpoint_split_at(p);
    return true;
}

/* pl_gzmark_fn: a member start becomes a checkpoint when it is the first or `spacing` after
 * the last; a block boundary (the codec reports only the first at or after the offset
 * returned) always, its window compressed into the blob. */
static uint64_t rec_mark(void *opaque, const pl_gzmark *m)
{
    pl_gzrec *b = opaque;
    pluck_index *ix = b->ix;
    pl_gzpoint p = {.coff = m->coff, .uoff = m->uoff, .member = m->member};
    if (m->member) {
        if ((ix->n == 0 || m->coff - b->last_split >= ix->spacing) && !add_point(b, &p))
            return 0;
    } else {
        p.crc = m->crc;
        p.isize = m->isize;
        p.bits = (uint8_t)m->bits;
        uLong bound = compressBound(PL_GZINDEX_WINDOW);
        if (!pl_grow(&ix->blob, &ix->blob_cap, ix->blob_len + bound, 1))
            return 0;
        uLongf n = bound;
        if (compress2(ix->blob + ix->blob_len, &n, m->window, PL_GZINDEX_WINDOW, 6) != Z_OK)
            return 0;
        p.woff = ix->blob_len;
        p.wlen = (uint32_t)n;
        ix->blob_len += n;
        if (!add_point(b, &p))
            return 0;
    }
    return b->last_split + ix->spacing;
}

pl_gzrec *pl_gzrec_create(uint64_t spacing)
{
    pl_gzrec *r = calloc(1, sizeof *r);
    if (r && !(r->ix = calloc(1, sizeof *r->ix))) {
        free(r);
        return NULL;
    }
    if (r)
        r->ix->spacing = spacing ? spacing : PL_GZINDEX_SPACING;
    return r;
}

void pl_gzrec_attach(pl_gzrec *r, pl_codec *c)
{
    if (r && c)
        pl_codec_gzip_marks(c, rec_mark, r, r->ix->spacing);
}

void pl_gzrec_done(pl_gzrec *r, const pl_codec *c)
{
    if (!r || !c)
        return;
    uint64_t out;
    pl_codec_totals(c, &r->in_total, &out);
    r->ix->usize = out;
    r->done = true;
}

void pl_gzrec_free(pl_gzrec *r)
{
    if (!r)
        return;
    pluck_index_free(r->ix);
    free(r);
}

pluck_code pl_gzrec_finish(pl_gzrec *r, int fd, pluck_index **out, pluck_error *err)
{
    *out = NULL;
    struct stat st;
    PL_RETURN_ERROR_IF(!r || !r->done || r->ix->n == 0, err, PLUCK_E_INVALID_REQUEST_PARAMETER,
                       "The index was not built: the gzip input was not decoded to its end.");
    PL_RETURN_ERROR_IF(fstat(fd, &st) || !S_ISREG(st.st_mode) ||
                           (uint64_t)st.st_size != r->in_total,
                       err, PLUCK_E_INVALID_REQUEST_PARAMETER,
                       "The index was not built: the input is not the regular file decoded.");
    pluck_index *ix = r->ix;
    ix->file_size = r->in_total;
    PL_RETURN_ERROR_IF(!pl_gzindex_hash(fd, ix->file_size, &ix->head_crc, &ix->tail_crc), err,
                       PLUCK_E_READ_ERROR, "The input could not be read.");
    r->ix = NULL;
    r->done = false;
    *out = ix;
    return PLUCK_OK;
}

/* pluck index: the whole file through a gzip codec (ISA-L when built with it) that reports
 * its places, output thrown away.  The codec checks every member's CRC-32 and ISIZE, so an
 * index is only ever built from a file that decodes cleanly. */
pluck_code pluck_index_build(int fd, uint64_t spacing, pluck_index **out, pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    *out = NULL;
    struct stat st;
    PL_RETURN_ERROR_IF(fstat(fd, &st) || !S_ISREG(st.st_mode), err, PLUCK_E_READ_ERROR,
                       "The input is not a regular file that can be indexed.");
    pl_gzrec *r = pl_gzrec_create(spacing);
    pl_codec *c = pl_codec_create(PL_COMP_GZIP, PL_GZIP_AUTO);
    unsigned char *in = malloc(IX_IN), *buf = malloc(IX_IN);
    pluck_code rc = PLUCK_OK;
    if (!r || !c || !in || !buf) {
        rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto done;
    }
    pl_gzrec_attach(r, c);
    uint64_t at = 0, size = (uint64_t)st.st_size;
    for (bool end = false; !end;) {
        size_t n = size - at < IX_IN ? (size_t)(size - at) : IX_IN;
        if (n && !read_at(fd, in, n, at)) {
            rc = pl_error_fail(err, PLUCK_E_READ_ERROR, "The input could not be read.");
            goto done;
        }
        at += n;
        end = n == 0;
        if (end)
            pl_codec_end_input(c);
        const unsigned char *p = in;
        size_t produced;
        do {
            unsigned char *o = buf;
            size_t room = IX_IN;
            if ((rc = pl_codec_decode(c, &p, &n, &o, &room))) {
                rc = pl_error_fail(err, rc, "%s", pl_codec_message(c));
                goto done;
            }
            produced = IX_IN - room;
        } while (n > 0 || produced > 0);
    }
    if ((rc = pl_codec_finish(c))) {
        rc = pl_error_fail(err, rc, "%s", pl_codec_message(c));
        goto done;
    }
    pl_gzrec_done(r, c);
    rc = pl_gzrec_finish(r, fd, out, err);
done:
    pl_codec_free(c);
    pl_gzrec_free(r);
    free(in);
    free(buf);
    return rc;
}

/* ---- the file format -------------------------------------------------------------------------- */

static void put_header(const pluck_index *ix, unsigned char *h)
{
    memset(h, 0, IX_HEAD);
    memcpy(h, IX_MAGIC, 8);
    put32(h + 8, IX_VERSION);
    put32(h + 12, 0); /* flags */
    put64(h + 16, ix->file_size);
    put32(h + 24, ix->head_crc);
    put32(h + 28, ix->tail_crc);
    put64(h + 32, ix->usize);
    put64(h + 40, ix->spacing);
    put32(h + 48, (uint32_t)ix->n);
    put32(h + 52, 0); /* reserved */
}

static void put_entry(const pl_gzpoint *p, unsigned char *e)
{
    put64(e, p->coff);
    put64(e + 8, p->uoff);
    put32(e + 16, p->crc);
    put32(e + 20, p->isize);
    e[24] = p->bits;
    e[25] = p->member;
    e[26] = e[27] = 0;
    put32(e + 28, p->wlen);
}

pluck_code pluck_index_write(const pluck_index *ix, pluck_write_fn write, void *opaque,
                             pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    unsigned char h[IX_HEAD > IX_ENTRY ? IX_HEAD : IX_ENTRY], t[4];
    uLong crc = crc32(0L, Z_NULL, 0);
    put_header(ix, h);
    crc = crc32(crc, h, IX_HEAD);
    PL_RETURN_ERROR_IF(write(opaque, (const char *)h, IX_HEAD), err, PLUCK_E_WRITE_ERROR,
                       "The index could not be written.");
    for (size_t i = 0; i < ix->n; i++) {
        put_entry(&ix->pt[i], h);
        crc = crc32(crc, h, IX_ENTRY);
        PL_RETURN_ERROR_IF(write(opaque, (const char *)h, IX_ENTRY), err, PLUCK_E_WRITE_ERROR,
                           "The index could not be written.");
    }
    if (ix->blob_len) {
        crc = crc32_z(crc, ix->blob, ix->blob_len);
        PL_RETURN_ERROR_IF(write(opaque, (const char *)ix->blob, ix->blob_len), err,
                           PLUCK_E_WRITE_ERROR, "The index could not be written.");
    }
    put32(t, (uint32_t)crc);
    PL_RETURN_ERROR_IF(write(opaque, (const char *)t, 4), err, PLUCK_E_WRITE_ERROR,
                       "The index could not be written.");
    return PLUCK_OK;
}

#define BAD(...) pl_error_fail(err, PLUCK_E_INVALID_DATA_SOURCE, __VA_ARGS__)

/* The checkpoints must be what a build of a file of this size could have written: in file
 * order from a member start at 0, windows one after another in the blob, each one 32 KiB. */
static pluck_code check_points(pluck_index *ix, pluck_error *err)
{
    unsigned char *w = malloc(PL_GZINDEX_WINDOW);
    PL_RETURN_ERROR_IF(!w, err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    pluck_code rc = PLUCK_OK;
    uint64_t woff = 0;
    for (size_t i = 0; i < ix->n && !rc; i++) {
        pl_gzpoint *p = &ix->pt[i];
        const pl_gzpoint *prev = i ? &ix->pt[i - 1] : NULL;
        if (i == 0 && (p->coff != 0 || !p->member || p->uoff != 0))
            rc = BAD("The index is damaged: its first checkpoint is not the file's start.");
        else if (p->bits > 7 || p->member > 1 || (p->member && (p->bits || p->wlen || p->crc ||
                                                                p->isize)))
            rc = BAD("The index is damaged: checkpoint %zu is malformed.", i);
        else if (p->coff >= ix->file_size || p->uoff > ix->usize ||
                 (prev && (pl_gzpoint_split_at(p) <= pl_gzpoint_split_at(prev) ||
                           p->uoff < prev->uoff)))
            rc = BAD("The index is damaged: checkpoint %zu is out of order or out of the "
                     "file.",
                     i);
        else if (!p->member && (p->coff == 0 || p->wlen == 0 || p->wlen > ix->blob_len - woff ||
                                p->uoff < PL_GZINDEX_WINDOW))
            rc = BAD("The index is damaged: checkpoint %zu has no window.", i);
        if (rc || p->member)
            continue;
        p->woff = woff;
        woff += p->wlen;
        if (!pl_gzindex_window(ix, p, w))
            rc = BAD("The index is damaged: the window of checkpoint %zu does not decompress.",
                     i);
    }
    if (!rc && woff != ix->blob_len)
        rc = BAD("The index is damaged: bytes after its last window.");
    free(w);
    return rc;
}

pluck_code pluck_index_load(const void *data, size_t len, int fd, pluck_index **out,
                            pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    *out = NULL;
    const unsigned char *d = data;
    PL_RETURN_ERROR_IF(len < IX_HEAD + 4 || memcmp(d, IX_MAGIC, 8), err,
                       PLUCK_E_INVALID_DATA_SOURCE, "This is not a pluck index.");
    PL_RETURN_ERROR_IF(get32(d + 8) != IX_VERSION, err, PLUCK_E_INVALID_DATA_SOURCE,
                       "The index has format version %lu; this pluck reads version %d.",
                       (unsigned long)get32(d + 8), IX_VERSION);
    PL_RETURN_ERROR_IF(get32(d + len - 4) != (uint32_t)crc32_z(0L, d, len - 4), err,
                       PLUCK_E_INVALID_DATA_SOURCE,
                       "The index is damaged: its checksum does not match.");
    uint64_t n = get32(d + 48);
    PL_RETURN_ERROR_IF(get32(d + 12) != 0 || get32(d + 52) != 0 ||
                           n > (len - IX_HEAD - 4) / IX_ENTRY || n == 0,
                       err, PLUCK_E_INVALID_DATA_SOURCE,
                       "The index is damaged: its header is inconsistent.");
    pluck_index *ix = calloc(1, sizeof *ix);
    PL_RETURN_ERROR_IF(!ix, err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    ix->file_size = get64(d + 16);
    ix->head_crc = get32(d + 24);
    ix->tail_crc = get32(d + 28);
    ix->usize = get64(d + 32);
    ix->spacing = get64(d + 40);
    ix->n = ix->cap = (size_t)n;
    ix->blob_len = ix->blob_cap = len - IX_HEAD - 4 - (size_t)n * IX_ENTRY;
    ix->pt = calloc((size_t)n, sizeof *ix->pt);
    ix->blob = malloc(ix->blob_len ? ix->blob_len : 1);
    pluck_code rc = PLUCK_OK;
    if (!ix->pt || !ix->blob) {
        rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = d + IX_HEAD + i * IX_ENTRY;
        ix->pt[i] = (pl_gzpoint){.coff = get64(e), .uoff = get64(e + 8), .crc = get32(e + 16),
                                 .isize = get32(e + 20), .bits = e[24], .member = e[25],
                                 .wlen = get32(e + 28)};
        if (e[26] || e[27]) {
            rc = BAD("The index is damaged: checkpoint %zu is malformed.", i);
            goto fail;
        }
    }
    memcpy(ix->blob, d + IX_HEAD + n * IX_ENTRY, ix->blob_len);
    if ((rc = check_points(ix, err)))
        goto fail;
    /* tied to the file: its size and the hashes of its head and tail */
    struct stat st;
    if (fstat(fd, &st)) {
        rc = pl_error_fail(err, PLUCK_E_READ_ERROR, "The input could not be read.");
        goto fail;
    }
    uint32_t head, tail;
    if ((uint64_t)st.st_size != ix->file_size) {
        rc = BAD("The index is stale: it was built for a file of %llu bytes, this one has "
                 "%llu.",
                 (unsigned long long)ix->file_size, (unsigned long long)st.st_size);
        goto fail;
    }
    if (!pl_gzindex_hash(fd, ix->file_size, &head, &tail)) {
        rc = pl_error_fail(err, PLUCK_E_READ_ERROR, "The input could not be read.");
        goto fail;
    }
    if (head != ix->head_crc || tail != ix->tail_crc) {
        rc = BAD("The index is stale: the file's first or last bytes are not those it was "
                 "built from.");
        goto fail;
    }
    *out = ix;
    return PLUCK_OK;
fail:
    pluck_index_free(ix);
    return rc;
}

/* ---- bgzip's .gzi --------------------------------------------------------------------------
 *
 * bgzip -i writes FILE.gz.gzi: a count n (8 bytes), then n pairs of 8-byte offsets (a BGZF
 * member's compressed start, its decompressed start), little-endian, the first member (0, 0)
 * left out.  It becomes an index of member starts, one every PL_GZI_SPACING (64 KiB) compressed
 * bytes at least, whose headers are checked to be BGZF member headers: only those are read,
 * so a large file is not walked member by member.  A split checks that its bytes end where
 * a member ends (pl_split_scan), so a .gzi that lies is an error, never a wrong answer. */

#define PL_GZI_SPACING (64u << 10)

/* A BGZF member header at off: magic, FEXTRA with a `BC` subfield. */
static bool bgzf_header_at(int fd, uint64_t off, uint64_t size)
{
    unsigned char h[18];
    if (off + sizeof h > size || !read_at(fd, h, sizeof h, off))
        return false;
    return h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && (h[3] & 4) && h[10] == 6 &&
           h[11] == 0 && h[12] == 'B' && h[13] == 'C' && h[14] == 2 && h[15] == 0;
}

pluck_code pluck_index_load_gzi(const void *data, size_t len, int fd, pluck_index **out,
                                pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    *out = NULL;
    const unsigned char *d = data;
    uint64_t n = len >= 8 ? get64(d) : 0;
    PL_RETURN_ERROR_IF(len < 8 || n != (len - 8) / 16 || (len - 8) % 16, err,
                       PLUCK_E_INVALID_DATA_SOURCE,
                       "This is not a bgzip index (.gzi): its size does not match its count.");
    struct stat st;
    PL_RETURN_ERROR_IF(fstat(fd, &st), err, PLUCK_E_READ_ERROR, "The input could not be read.");
    pluck_index *ix = calloc(1, sizeof *ix);
    PL_RETURN_ERROR_IF(!ix, err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    ix->file_size = (uint64_t)st.st_size;
    ix->spacing = PL_GZI_SPACING;
    pl_gzrec b = {.ix = ix};
    pluck_code rc = PLUCK_OK;
    pl_gzpoint first = {.member = 1};
    if (!bgzf_header_at(fd, 0, ix->file_size)) {
        rc = BAD("The bgzip index (.gzi) does not match the file: it is not BGZF.");
        goto fail;
    }
    if (!add_point(&b, &first)) {
        rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto fail;
    }
    uint64_t pc = 0, pu = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t c = get64(d + 8 + 16 * i), u = get64(d + 16 + 16 * i);
        if (c <= pc || u <= pu || c >= ix->file_size) {
            rc = BAD("The bgzip index (.gzi) does not match the file: entry %llu is out of "
                     "order or past the file's end.",
                     (unsigned long long)i + 1);
            goto fail;
        }
        pc = c;
        pu = u;
        if (c - b.last_split < PL_GZI_SPACING)
            continue;
        if (!bgzf_header_at(fd, c, ix->file_size)) {
            rc = BAD("The bgzip index (.gzi) does not match the file: no BGZF member starts "
                     "at compressed offset %llu.",
                     (unsigned long long)c);
            goto fail;
        }
        pl_gzpoint p = {.coff = c, .uoff = u, .member = 1};
        if (!add_point(&b, &p)) {
            rc = pl_error_fail(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
            goto fail;
        }
    }
    ix->usize = pu;
    if (!pl_gzindex_hash(fd, ix->file_size, &ix->head_crc, &ix->tail_crc)) {
        rc = pl_error_fail(err, PLUCK_E_READ_ERROR, "The input could not be read.");
        goto fail;
    }
    *out = ix;
    return PLUCK_OK;
fail:
    pluck_index_free(ix);
    return rc;
}

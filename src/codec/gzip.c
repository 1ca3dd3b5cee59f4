/*
 * gzip.c — gzip decoding through zlib or, when built with PLUCK_HAVE_ISAL, ISA-L igzip.
 *
 * Both backends decode one member at a time.  zlib runs in gzip mode (header, deflate data,
 * CRC-32 and ISIZE checked by zlib).  ISA-L is given the deflate data only: the member
 * header (fixed part, FEXTRA, FNAME, FCOMMENT, FHCRC) is parsed here, and ISA-L runs with
 * ISAL_GZIP_NO_HDR_VER, which still computes the CRC-32 of the output and checks it and
 * ISIZE against the trailer.  (ISA-L 2.30's own header parser, ISAL_GZIP, keeps its
 * isal_gzip_header on the stack of isal_inflate() and reads fields of it that were never
 * written once a header with optional fields spans calls: intel/isa-l#224; F3 in
 * tests/HARDENING.md.)  Member boundaries, the check that whatever follows a member is
 * another gzip header, and the fixed part of each member header are handled here,
 * identically for both, so that the choice of backend changes speed only: the output, the
 * error codes and the cases that are errors stay the same.  (zlib rejects reserved FLG
 * bits while ISA-L ignores them; checking them here keeps the two in step.)  One difference
 * is left (F20 in tests/HARDENING.md): zlib rejects a dynamic block whose Huffman code is
 * incomplete, ISA-L decodes with it, so on such damage ISA-L hands out more garbage before
 * the error, or, when the block still decodes right (a damaged distance code that no
 * symbol of the block uses) and the CRC-32 and ISIZE match, the member's data.  Only ISA-L
 * parses block headers, so only it could reject them.
 */
#include "codec/codec_impl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#ifdef PLUCK_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define GZ_HDR_FIXED 4 /* ID1 ID2 CM FLG: the bytes checked here */

/* RFC 1952 member header flags */
#define GZ_FHCRC 0x02
#define GZ_FEXTRA 0x04
#define GZ_FNAME 0x08
#define GZ_FCOMMENT 0x10

/* Where the header parser for ISA-L is within the current member's header. */
typedef enum gz_hdr_phase {
    GZH_FIXED,   /* the 10 fixed bytes: ID1 ID2 CM FLG MTIME(4) XFL OS */
    GZH_XLEN,    /* FEXTRA: 2 length bytes */
    GZH_EXTRA,   /* FEXTRA: xlen bytes skipped */
    GZH_NAME,    /* FNAME: up to and including a NUL */
    GZH_COMMENT, /* FCOMMENT: up to and including a NUL */
    GZH_HCRC,    /* FHCRC: 2 bytes, the low half of the CRC-32 of the header before them */
    GZH_DONE     /* deflate data follows */
} gz_hdr_phase;

typedef struct gz_state {
    bool use_isal;
    bool zlib_ready;   /* inflateInit2 succeeded, so inflateEnd is owed */
    bool in_member;    /* bytes of a member have been consumed and it has not ended yet */
    bool need_reset;   /* the previous member ended; reset the decoder before the next */
    uint64_t members;  /* members completed */
    uint64_t member_start; /* compressed offset of the current (or next) member */
    size_t hdr_seen;   /* how many of its GZ_HDR_FIXED leading bytes were checked */
    z_stream z;
    /* zlib resumed inside a member (pl_codec_gzip_resume_deflate): raw deflate, so the
     * member's CRC-32 and length are kept here and its trailer is checked here */
    bool raw;               /* decoding the resumed member's deflate data or trailer */
    bool raw_trailer;       /* its deflate data ended: the 8 trailer bytes come */
    uint32_t raw_crc, raw_isize;
    unsigned char trailer[8];
    size_t trailer_len;
    /* pl_codec_gzip_marks: where to report the places an index can start from */
    pl_gzmark_fn mark;
    void *mark_opaque;
    uint64_t due;          /* the next block boundary wanted is at or after this offset */
    unsigned char *zwin;   /* zlib: the window at a boundary */
#ifdef PLUCK_HAVE_ISAL
    struct inflate_state *isal;
    /* the member header, parsed here for ISA-L (any split of it across calls) */
    gz_hdr_phase hphase;
    unsigned char hflags;  /* FLG */
    unsigned hneed;        /* bytes still wanted in this phase (fixed, XLEN, EXTRA, HCRC) */
    unsigned char hbuf[2]; /* XLEN or HCRC bytes gathered so far */
    uLong hcrc;            /* CRC-32 of the header bytes so far (for FHCRC) */
    /* the decoder as the current call found it (isal_redo) */
    struct inflate_state *isal_saved;
    size_t isal_saved_len;
    /* output decoded before an error and not yet handed out, then the error */
    unsigned char *pend;
    size_t pend_len, pend_off;
    int pend_err; /* the ISA-L error, 0 when nothing is pending */
    uint64_t pend_at;
    /* marks: a copy of the decoder that decodes ahead to the end of the current block
     * (gz_hunt_run) */
    struct inflate_state *hunt;
    bool hunting;
    bool armed;       /* its block is made to look final, so it stops at its end */
    uint64_t hpos;    /* compressed offset of its next input byte */
    uint64_t huoff;   /* decompressed offset (stream) of the end of its output */
    uint32_t hu_crc, hu_isize; /* the member's CRC-32 and length up to there */
    int32_t hseen;    /* its output before tmp_out_buffer[hseen] is counted */
#endif
} gz_state;

#define GZ_WINDOW 32768

/* Report a place (pl_codec_gzip_marks) and take the next offset wanted. */
static pluck_code gz_marked(pl_codec *c, gz_state *g, const pl_gzmark *m)
{
    uint64_t due = g->mark(g->mark_opaque, m);
    PL_RETURN_ERROR_IF(due == 0, &c->err, PLUCK_E_OUT_OF_MEMORY,
                       "Object decompression failed: out of memory building the index.");
    g->due = due;
    return PLUCK_OK;
}

static pluck_code gz_corrupt(pl_codec *c, const char *what, uint64_t offset)
{
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: gzip data is corrupt (%s) at "
                         "compressed offset %llu.",
                         what, (unsigned long long)offset);
}

/* Look at the fixed header bytes of the current member that are visible in `in` before a
 * decoder consumes them.  Bytes after a complete member must start another member: that
 * is where trailing garbage (including NUL padding) is caught. */
static pluck_code gz_check_header(pl_codec *c, gz_state *g, const unsigned char *in,
                                  size_t in_len)
{
    while (g->hdr_seen < GZ_HDR_FIXED) {
        uint64_t at = g->member_start + g->hdr_seen;
        if (at < c->in_total || at - c->in_total >= in_len)
            break;
        unsigned char b = in[at - c->in_total];
        switch (g->hdr_seen) {
        case 0:
        case 1:
            if (b != (g->hdr_seen == 0 ? 0x1f : 0x8b)) {
                if (g->members == 0)
                    return pl_error_fail(&c->err, PLUCK_E_INVALID_COMPRESSION_FORMAT,
                                         "The object is not in gzip format: its first bytes "
                                         "do not match the gzip magic number.");
                return pl_codec_trailing_garbage(c, "gzip member", g->member_start);
            }
            break;
        case 2:
            if (b != 8)
                return gz_corrupt(c, "unknown compression method", at);
            break;
        default:
            if (b & 0xe0)
                return gz_corrupt(c, "unknown header flags set", at);
            break;
        }
        g->hdr_seen++;
        if (g->hdr_seen == 2 && g->mark) { /* a member starts here */
            pl_gzmark m = {.coff = g->member_start, .uoff = c->out_total, .member = true};
            pluck_code rc = gz_marked(c, g, &m);
            if (rc)
                return rc;
        }
    }
    return PLUCK_OK;
}

static void gz_member_end(pl_codec *c, gz_state *g, size_t consumed)
{
    g->in_member = false;
    g->need_reset = true;
    g->members++;
    g->member_start = c->in_total + consumed;
    g->hdr_seen = 0;
}

/* ---- zlib ------------------------------------------------------------------------------- */

static uint32_t le32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The trailer of a member resumed in raw mode: gather its 8 bytes, check them against the
 * CRC-32 and length kept, and end the member (the next one is read in gzip mode again). */
static pluck_code gz_raw_trailer(pl_codec *c, gz_state *g, const unsigned char **in,
                                 size_t *in_len, bool *stalled)
{
    size_t take = sizeof g->trailer - g->trailer_len;
    if (take > *in_len)
        take = *in_len;
    memcpy(g->trailer + g->trailer_len, *in, take);
    g->trailer_len += take;
    *in += take;
    *in_len -= take;
    if (g->trailer_len < sizeof g->trailer) {
        *stalled = true;
        return PLUCK_OK;
    }
    if (le32_at(g->trailer) != g->raw_crc)
        return gz_corrupt(c, "incorrect data check", c->in_total + take);
    if (le32_at(g->trailer + 4) != g->raw_isize)
        return gz_corrupt(c, "incorrect length check", c->in_total + take);
    g->raw = g->raw_trailer = false;
    gz_member_end(c, g, take);
    return PLUCK_OK;
}

/* zlib returned at a deflate block boundary (data_type 128), not after the member's last
 * block (64), with a full window: a place for the index once it is at or after g->due.  Its
 * bit offset, CRC-32 and window are zlib's (zran.c's method). */
static pluck_code gz_zlib_mark(pl_codec *c, gz_state *g, size_t consumed, size_t produced)
{
    z_stream *z = &g->z;
    unsigned dt = (unsigned)z->data_type, bits = dt & 7;
    uint64_t coff = c->in_total + consumed;
    if (!(dt & 128) || (dt & 64) || z->total_out < GZ_WINDOW ||
        coff - (bits ? 1 : 0) < g->due)
        return PLUCK_OK;
    PL_RETURN_ERROR_IF(!g->zwin && !(g->zwin = malloc(GZ_WINDOW)), &c->err,
                       PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    uInt have = GZ_WINDOW;
    if (inflateGetDictionary(z, g->zwin, &have) != Z_OK || have != GZ_WINDOW)
        return PLUCK_OK;
    pl_gzmark m = {.coff = coff, .uoff = c->out_total + produced, .crc = (uint32_t)z->adler,
                   .isize = (uint32_t)z->total_out, .bits = bits, .window = g->zwin};
    return gz_marked(c, g, &m);
}

static pluck_code gz_zlib_step(pl_codec *c, gz_state *g, const unsigned char **in,
                               size_t *in_len, unsigned char **out, size_t *out_cap,
                               bool *stalled)
{
    z_stream *z = &g->z;
    if (g->raw_trailer)
        return gz_raw_trailer(c, g, in, in_len, stalled);
    if (g->need_reset) {
        /* (inflateReset2: a member after a resumed one is read in gzip mode again) */
        if (inflateReset2(z, 16 + MAX_WBITS) != Z_OK)
            return pl_error_fail(&c->err, PLUCK_E_INTERNAL_ERROR,
                                 "Object decompression failed: zlib could not be reset.");
        g->need_reset = false;
    }
    uInt ain = (uInt)pl_codec_clamp32(*in_len), aout = (uInt)pl_codec_clamp32(*out_cap);
    z->next_in = *in;
    z->avail_in = ain;
    z->next_out = *out;
    z->avail_out = aout;
    /* building an index: stop at every deflate block boundary (gz_zlib_mark) */
    int ret = inflate(z, g->mark && !g->raw ? Z_BLOCK : Z_NO_FLUSH);
    size_t consumed = ain - z->avail_in, produced = aout - z->avail_out;
    if (g->mark && !g->raw && ret == Z_OK) {
        pluck_code rc = gz_zlib_mark(c, g, consumed, produced);
        if (rc)
            return rc;
    }
    *in += consumed;
    *in_len -= consumed;
    if (g->raw) {
        g->raw_crc = (uint32_t)crc32_z(g->raw_crc, *out, produced);
        g->raw_isize += (uint32_t)produced;
    }
    *out += produced;
    *out_cap -= produced;
    if (consumed)
        g->in_member = true;

    switch (ret) {
    case Z_OK:
        break;
    case Z_STREAM_END:
        if (g->raw) {
            g->raw_trailer = true; /* the trailer is checked by the next step */
            return PLUCK_OK;
        }
        gz_member_end(c, g, consumed);
        return PLUCK_OK;
    case Z_BUF_ERROR: /* no progress was possible: not an error in itself */
        *stalled = true;
        return PLUCK_OK;
    case Z_DATA_ERROR:
        return gz_corrupt(c, z->msg ? z->msg : "invalid data", c->in_total + consumed);
    case Z_NEED_DICT:
        return gz_corrupt(c, "preset dictionary required", c->in_total + consumed);
    case Z_MEM_ERROR:
        return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
                             "Object decompression failed: out of memory in the gzip "
                             "decoder.");
    default:
        return pl_error_fail(&c->err, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: zlib returned %d.", ret);
    }
    if (consumed == 0 && produced == 0)
        *stalled = true;
    return PLUCK_OK;
}

/* ---- ISA-L -------------------------------------------------------------------------------- */

#ifdef PLUCK_HAVE_ISAL
static void gz_isal_start(gz_state *g)
{
    struct inflate_state *s = g->isal;
    g->hunting = false;
    isal_inflate_init(s);
    s->crc_flag = ISAL_GZIP_NO_HDR_VER; /* raw deflate, then the trailer is checked */
    s->hist_bits = 0;                   /* full 32 KiB window */
    g->hphase = GZH_FIXED;
    g->hneed = 10;
    g->hflags = 0;
    g->hcrc = crc32(0L, Z_NULL, 0);
}

/* The phase after `from` given FLG (fields appear in the order FEXTRA FNAME FCOMMENT FHCRC). */
static void gz_hdr_next(gz_state *g, gz_hdr_phase from)
{
    unsigned f = g->hflags;
    gz_hdr_phase p = from;
    for (;;) {
        p = (gz_hdr_phase)(p + 1);
        if (p == GZH_EXTRA) /* entered from GZH_XLEN only, which sets hneed itself */
            continue;
        if ((p == GZH_XLEN && (f & GZ_FEXTRA)) || (p == GZH_NAME && (f & GZ_FNAME)) ||
            (p == GZH_COMMENT && (f & GZ_FCOMMENT)) || (p == GZH_HCRC && (f & GZ_FHCRC)) ||
            p == GZH_DONE)
            break;
    }
    g->hphase = p;
    g->hneed = p == GZH_XLEN || p == GZH_HCRC ? 2 : 0;
}

/* Consume the member header from in[0..in_len) (any part of it: the rest comes with the
 * next call); *used is the number of bytes taken.  ID1, ID2, CM and the reserved FLG bits
 * were checked by gz_check_header() before the bytes got here.  No copy of the header is
 * kept: only FLG, the two-byte fields and the running CRC for FHCRC. */
static pluck_code gz_isal_header(pl_codec *c, gz_state *g, const unsigned char *in,
                                 size_t in_len, size_t *used)
{
    size_t i = 0;
    while (g->hphase != GZH_DONE && i < in_len) {
        size_t start = i;
        switch (g->hphase) {
        case GZH_FIXED:
            if (g->hneed == 7) /* FLG: the 4th of the 10 fixed bytes */
                g->hflags = in[i];
            i++;
            if (--g->hneed == 0)
                gz_hdr_next(g, GZH_FIXED);
            break;
        case GZH_XLEN:
            g->hbuf[2 - g->hneed] = in[i++];
            if (--g->hneed == 0) {
                g->hphase = GZH_EXTRA;
                g->hneed = (unsigned)g->hbuf[0] | (unsigned)g->hbuf[1] << 8;
                if (g->hneed == 0)
                    gz_hdr_next(g, GZH_EXTRA);
            }
            break;
        case GZH_EXTRA: {
            size_t n = in_len - i < g->hneed ? in_len - i : g->hneed;
            i += n;
            g->hneed -= (unsigned)n;
            if (g->hneed == 0)
                gz_hdr_next(g, GZH_EXTRA);
            break;
        }
        case GZH_NAME:
        case GZH_COMMENT: {
            const unsigned char *nul = memchr(in + i, 0, in_len - i);
            if (!nul) {
                i = in_len;
                break;
            }
            i = (size_t)(nul - in) + 1;
            gz_hdr_next(g, g->hphase);
            break;
        }
        case GZH_HCRC:
            g->hbuf[2 - g->hneed] = in[i++];
            if (--g->hneed == 0) {
                unsigned want = (unsigned)g->hbuf[0] | (unsigned)g->hbuf[1] << 8;
                if (want != (g->hcrc & 0xffff)) {
                    *used = i;
                    return gz_corrupt(c, "header crc mismatch", c->in_total + i);
                }
                g->hphase = GZH_DONE;
            }
            continue; /* the CRC bytes are not part of what they check */
        case GZH_DONE:
            break;
        }
        g->hcrc = crc32_z(g->hcrc, in + start, i - start);
    }
    *used = i;
    return PLUCK_OK;
}

static const char *isal_error_text(int ret)
{
    switch (ret) {
    case ISAL_INVALID_BLOCK:
        return "invalid block";
    case ISAL_INVALID_SYMBOL:
        return "invalid code";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    case ISAL_NEED_DICT:
        return "preset dictionary required";
    default:
        return "invalid data";
    }
}

/* ---- ISA-L: the same output and error however the input and output are cut -------------
 *
 * zlib stops exactly before a bad symbol, whatever pieces its input and output come in.
 * ISA-L looks as if it does not, in three ways (F13 in tests/HARDENING.md).  The first two
 * are put right here, and the third turns out harmless, so that `--threads 1` and `2`, or
 * two splits of the same upload, end alike on damaged data:
 *  1. Its fast loop moves the output pointer past a length/distance pair before it checks
 *     the distance, so on a bad distance (or distance code) the output ends with up to 258
 *     bytes that were never decoded.  Every call starts from a saved copy of the decoder;
 *     when one fails, isal_redo() restores the copy and decodes the same input again, in
 *     one call up to shortly before where the error was met, then a byte per call: too
 *     little for the fast loop (which wants 8), so the careful decoder, which stops exactly
 *     before the bad symbol, meets the error.  The copy is a memcpy of ~22 KB plus the
 *     history (typically 32 KiB) per call, which decodes up to 256 KiB or 1 MiB: lost in
 *     the noise of a benchmark (bench/RESULTS.md).
 *     Fed a byte at a time, the decoder fails on the first byte that proves the damage, so
 *     the error names that byte's offset: the same offset however the input was cut.
 *  2. It decodes into its own buffer first and, on an error, drops what it had decoded
 *     there but not yet copied out.  Those bytes are handed out first (pend below).
 *  3. At the end of its input the careful decoder looks a code up with the missing bits read
 *     as zeros.  With an incomplete Huffman code (which ISA-L accepts and zlib rejects in the
 *     block header: F19, F20) the zeros can land on "no symbol" before the code's last bits
 *     are in.  That needs no mending: deflate's codes are canonical, so the codes a damaged
 *     header leaves without a symbol are the highest ones, and a prefix whose lowest
 *     completion (the zeros) is one of them has no symbol whichever bits follow.  The error
 *     comes sooner in bits, never at another symbol, and 1. names the byte that proves it.
 *     (Taking such an error for the end of the input, as gzip.c once did, is wrong: after a
 *     failed distance code ISA-L's state is in mid-symbol.) */

#define ISAL_FIXED offsetof(struct inflate_state, tmp_out_buffer)
/* how far before the point where a failing call stopped its bad symbol (or block header)
 * can start: the 64-bit bit buffer was refilled (8 bytes) after the symbol's bits (at most
 * 48) were loaded.  Further back is found by halving (isal_redo). */
#define ISAL_REDO_BACK 32

static bool isal_failed(int ret)
{
    return ret == ISAL_INVALID_BLOCK || ret == ISAL_INVALID_SYMBOL ||
           ret == ISAL_INVALID_LOOKBACK || ret == ISAL_INCORRECT_CHECKSUM;
}

/* One isal_inflate() over in[0..len) into out[0..cap); *used and *made say how much of each
 * it took.  *wild is set when ISA-L left its counters past the buffers it was given (it
 * does so on some corrupt data; nothing it reported for that call can be trusted). */
static int isal_call(struct inflate_state *s, const unsigned char *in, uint32_t len,
                     unsigned char *out, uint32_t cap, uint32_t *used, uint32_t *made,
                     bool *wild)
{
    /* ISA-L never writes through next_in; its field is just not const-qualified. */
    s->next_in = (uint8_t *)(uintptr_t)in;
    s->avail_in = len;
    s->next_out = out;
    s->avail_out = cap;
    int ret = isal_inflate(s);
    *wild = s->avail_in > len || s->avail_out > cap;
    if (*wild) {
        *used = *made = 0;
        return ret;
    }
    *used = len - s->avail_in;
    *made = cap - s->avail_out;
    return ret;
}

/* Decode in[0..len) in calls of at most `piece` bytes until it is all taken, the output is
 * full, the member ends or an error comes. */
static int isal_feed(struct inflate_state *s, const unsigned char *in, uint32_t len,
                     uint32_t piece, unsigned char *out, uint32_t cap, uint32_t *used,
                     uint32_t *made, bool *wild)
{
    int ret = ISAL_DECOMP_OK;
    *used = *made = 0;
    *wild = false;
    do {
        uint32_t n = len - *used < piece ? len - *used : piece, u, m;
        ret = isal_call(s, in + *used, n, out + *made, cap - *made, &u, &m, wild);
        *used += u;
        *made += m;
        if (ret != ISAL_DECOMP_OK || *wild || *made == cap ||
            s->block_state == ISAL_BLOCK_FINISH || (u == 0 && m == 0))
            break;
    } while (*used < len);
    return ret;
}

static void isal_save(gz_state *g)
{
    int32_t valid = g->isal->tmp_out_valid;
    size_t keep = valid > 0 ? (size_t)valid : 0;
    if (keep > sizeof g->isal->tmp_out_buffer)
        keep = sizeof g->isal->tmp_out_buffer;
    memcpy(g->isal_saved, g->isal, ISAL_FIXED + keep);
    g->isal_saved_len = ISAL_FIXED + keep;
}

/* The call over in[0..len) failed after taking `hint` bytes: decode the same input again
 * from the saved decoder so that the output stops exactly before the bad symbol (1.). */
static int isal_redo(gz_state *g, const unsigned char *in, uint32_t len, unsigned char *out,
                     uint32_t cap, uint32_t hint, uint32_t *used, uint32_t *made)
{
    struct inflate_state *s = g->isal;
    uint32_t upto = hint > ISAL_REDO_BACK ? hint - ISAL_REDO_BACK : 0;
    bool wild;
    int ret;
    for (;;) {
        memcpy(s, g->isal_saved, g->isal_saved_len);
        ret = isal_feed(s, in, upto, upto ? upto : 1, out, cap, used, made, &wild);
        if ((!isal_failed(ret) && !wild) || upto == 0)
            break;
        upto /= 2; /* the bad symbol starts earlier than hint said: look further back */
    }
    if (isal_failed(ret) || wild || *made == cap || s->block_state == ISAL_BLOCK_FINISH)
        return wild ? ISAL_INVALID_BLOCK : ret;
    uint32_t u, m;
    ret = isal_feed(s, in + *used, len - *used, 1, out + *made, cap - *made, &u, &m, &wild);
    *used += u;
    *made += m;
    return wild ? ISAL_INVALID_BLOCK : ret;
}

/* Hand out what ISA-L decoded before its error (2.), then the error. */
static pluck_code gz_isal_pending(pl_codec *c, gz_state *g, unsigned char **out,
                                  size_t *out_cap)
{
    pl_codec_hand_out(g->pend, g->pend_len, &g->pend_off, out, out_cap);
    if (g->pend_off < g->pend_len)
        return PLUCK_OK;
    return gz_corrupt(c, isal_error_text(g->pend_err), g->pend_at);
}

/* ---- ISA-L: block boundaries for an index (pl_codec_gzip_marks) -------------------------
 *
 * zlib can stop at every deflate block boundary (Z_BLOCK); ISA-L cannot, and is two to three
 * times faster.  So the decoder that feeds the query runs at full speed, and when a place is
 * due a copy of its state (`hunt`) decodes ahead to the end of the current block, on the same
 * input, output thrown away, then stops:
 *  - its block is made to look final (bfinal = 1, once its header has been read), so ISA-L
 *    ends its decode loop at the block's end-of-block code (ISAL_BLOCK_INPUT_DONE) with its
 *    bit buffer intact: the boundary's bit offset is where its input stands less the bits
 *    still buffered;
 *  - it runs without a checksum (crc_flag 0; the CRC-32 up to the boundary is computed here)
 *    and is given no output room, so it decodes only into its own tmp_out_buffer, 32 KiB at a
 *    time, and never reaches ISAL_BLOCK_FINISH (which would drop the buffered bits): one
 *    byte of its history is always left "not handed out" (tmp_out_processed = valid - 1);
 *  - its history buffer holds the last 32 KiB of output: the window.
 * A boundary before `due`, or with less than 32 KiB of the member before it, is passed over:
 * the next block's header is read a byte at a time (ISA-L keeps a partial header in
 * tmp_in_buffer) until the block is under way, and it is made to look final in turn.  The
 * member's real last block ends the search (no boundary after it).  The main decoder is
 * given input only up to `due` while no search runs, so it never passes the first boundary
 * wanted: the places are those zlib finds, whatever the input pieces.  The copy costs about
 * one block's decode (typically 50-200 KB of output) per place, every few MiB. */

/* Count what the copy decoded since the last call (tmp_out_buffer[hseen, valid)) into the
 * member's CRC-32 and length, then keep only the last 32 KiB of it as its history. */
static void gz_hunt_take(gz_state *g)
{
    struct inflate_state *h = g->hunt;
    int32_t valid = h->tmp_out_valid;
    if (valid > g->hseen) {
        size_t n = (size_t)(valid - g->hseen);
        g->hu_crc = (uint32_t)crc32_z(g->hu_crc, h->tmp_out_buffer + g->hseen, n);
        g->hu_isize += (uint32_t)n;
        g->huoff += n;
    }
    int32_t keep = valid < GZ_WINDOW ? valid : GZ_WINDOW;
    memmove(h->tmp_out_buffer, h->tmp_out_buffer + (valid - keep), (size_t)keep);
    h->tmp_out_valid = keep;
    h->tmp_out_processed = keep - 1;
    g->hseen = keep;
}

/* Start the copy from the decoder as the last call left it (between two calls). */
static bool gz_hunt_start(pl_codec *c, gz_state *g)
{
    struct inflate_state *s = g->isal;
    if (s->tmp_out_valid <= 0 || s->tmp_out_processed < 0 ||
        (size_t)s->tmp_out_valid > sizeof s->tmp_out_buffer)
        return true; /* no output of the member yet: later */
    if (!g->hunt && !(g->hunt = malloc(sizeof *g->hunt)))
        return false;
    struct inflate_state *h = g->hunt;
    memcpy(h, s, ISAL_FIXED + (size_t)s->tmp_out_valid);
    h->crc_flag = 0;
    g->hu_crc = s->crc; /* of the output handed out; what it holds back is counted next */
    g->hu_isize = s->total_out;
    g->huoff = c->out_total;
    g->hseen = s->tmp_out_processed;
    gz_hunt_take(g);
    g->hpos = c->in_total;
    g->hunting = true;
    g->armed = false;
    return true;
}

static int gz_hunt_call(struct inflate_state *h, const unsigned char **cur, uint32_t n)
{
    static unsigned char nowhere[1];
    h->next_in = (uint8_t *)(uintptr_t)*cur;
    h->avail_in = n;
    h->next_out = nowhere;
    h->avail_out = 0;
    int ret = isal_inflate(h);
    *cur = h->next_in;
    return ret;
}

/* Run the copy over the input in[0, len) at compressed offset c->in_total; report the
 * boundary when it finds the one wanted. */
static pluck_code gz_hunt_run(pl_codec *c, gz_state *g, const unsigned char *in, uint32_t len)
{
    struct inflate_state *h = g->hunt;
    uint64_t at = c->in_total;
    if (g->hpos < at || g->hpos - at > len) {
        g->hunting = false; /* the input it wants is gone: search again from the decoder */
        return PLUCK_OK;
    }
    const unsigned char *cur = in + (g->hpos - at), *end = in + len;
    for (;;) {
        int st = (int)h->block_state, ret = ISAL_DECOMP_OK;
        if (st == ISAL_BLOCK_NEW_HDR || st == ISAL_BLOCK_HDR ||
            (st == ISAL_BLOCK_INPUT_DONE && g->armed)) {
            /* at the boundary after a block that is not the member's last */
            uint64_t b = 8 * (at + (uint64_t)(cur - in) - (uint64_t)h->tmp_in_size) -
                         (uint64_t)h->read_in_length;
            uint64_t coff = (b + 7) / 8;
            unsigned bits = (unsigned)(8 * coff - b);
            if (b / 8 >= g->due && g->hu_isize >= GZ_WINDOW && h->tmp_out_valid >= GZ_WINDOW) {
                pl_gzmark m = {.coff = coff, .uoff = g->huoff, .crc = g->hu_crc,
                               .isize = g->hu_isize, .bits = bits,
                               .window = h->tmp_out_buffer + h->tmp_out_valid - GZ_WINDOW};
                g->hunting = false;
                return gz_marked(c, g, &m);
            }
            if (st == ISAL_BLOCK_INPUT_DONE) { /* on to the next block */
                h->block_state = ISAL_BLOCK_NEW_HDR;
                h->bfinal = 0;
                g->armed = false;
            }
            if (cur == end)
                break;
            ret = gz_hunt_call(h, &cur, 1); /* its header, a byte at a time */
        } else if (st == ISAL_BLOCK_CODED || st == ISAL_BLOCK_TYPE0) {
            if (!g->armed) {
                if (h->bfinal) {
                    g->hunting = false; /* the member's last block: no boundary after it */
                    return PLUCK_OK;
                }
                h->bfinal = 1;
                g->armed = true;
            }
            const unsigned char *was = cur;
            int32_t made = h->tmp_out_valid;
            ret = gz_hunt_call(h, &cur, (uint32_t)(end - cur));
            if (cur == was && h->tmp_out_valid == made && (int)h->block_state == st) {
                gz_hunt_take(g);
                break; /* wants more input */
            }
        } else {
            g->hunting = false; /* the member's end, or a state it cannot search from */
            return PLUCK_OK;
        }
        gz_hunt_take(g);
        if (ret < 0) {
            g->hunting = false; /* damaged data: the decoder itself reports it */
            return PLUCK_OK;
        }
    }
    g->hpos = at + (uint64_t)(cur - in);
    return PLUCK_OK;
}

static pluck_code gz_isal_step(pl_codec *c, gz_state *g, const unsigned char **in,
                               size_t *in_len, unsigned char **out, size_t *out_cap,
                               bool *stalled)
{
    struct inflate_state *s = g->isal;
    if (g->pend_err)
        return gz_isal_pending(c, g, out, out_cap);
    if (g->need_reset) {
        gz_isal_start(g);
        g->need_reset = false;
    }
    if (g->hphase != GZH_DONE) {
        size_t used = 0;
        pluck_code rc = gz_isal_header(c, g, *in, *in_len, &used);
        *in += used;
        *in_len -= used;
        if (used)
            g->in_member = true;
        if (rc != PLUCK_OK)
            return rc;
        /* One step, one unit of work: the deflate data starts with the next step, once the
         * caller has counted what the header took into in_total. */
        if (used == 0)
            *stalled = true;
        return PLUCK_OK;
    }
    uint32_t ain = (uint32_t)pl_codec_clamp32(*in_len);
    uint32_t aout = (uint32_t)pl_codec_clamp32(*out_cap);
    if (g->mark) {
        /* a place is due: search ahead with a copy; until then, stop at `due` */
        if (!g->hunting && c->in_total >= g->due && !gz_hunt_start(c, g))
            return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        if (g->hunting) {
            pluck_code rc = gz_hunt_run(c, g, *in, ain);
            if (rc)
                return rc;
        }
        if (!g->hunting && c->in_total < g->due && g->due - c->in_total < ain)
            ain = (uint32_t)(g->due - c->in_total);
    }
    int state0 = (int)s->block_state;
    /* a one-byte call fails on the byte that proves the damage: nothing to redo */
    bool redo = ain > 1;
    if (redo)
        isal_save(g);
    uint32_t used, made;
    bool wild;
    int ret = isal_call(s, *in, ain, *out, aout, &used, &made, &wild);
    if (wild && !isal_failed(ret))
        return pl_error_fail(&c->err, PLUCK_E_INTERNAL_ERROR,
                             "Object decompression failed: ISA-L moved its buffers "
                             "backwards.");
    if (redo && (wild || isal_failed(ret)))
        ret = isal_redo(g, *in, ain, *out, aout, wild ? ain : used, &used, &made);
    else if (wild)
        ret = ISAL_INVALID_BLOCK;
    *in += used;
    *in_len -= used;
    *out += made;
    *out_cap -= made;
    if (used)
        g->in_member = true;

    if (isal_failed(ret)) {
        uint64_t at = c->in_total + used;
        int32_t left = s->tmp_out_valid - s->tmp_out_processed;
        if (left > 0 && s->tmp_out_processed >= 0 &&
            (size_t)s->tmp_out_valid <= sizeof s->tmp_out_buffer) {
            if (!g->pend && !(g->pend = malloc(sizeof s->tmp_out_buffer)))
                return pl_error_fail(&c->err, PLUCK_E_OUT_OF_MEMORY,
                                     "Object decompression failed: out of memory in the "
                                     "gzip decoder.");
            memcpy(g->pend, s->tmp_out_buffer + s->tmp_out_processed, (size_t)left);
            g->pend_len = (size_t)left;
            g->pend_off = 0;
            g->pend_err = ret;
            g->pend_at = at;
            return gz_isal_pending(c, g, out, out_cap);
        }
        return gz_corrupt(c, isal_error_text(ret), at);
    }
    if (s->block_state == ISAL_BLOCK_FINISH) {
        /* FINISH is reached only once all output is flushed and the trailer checked, and
         * it leaves next_in just past the trailer, so the rest is the next member. */
        gz_member_end(c, g, used);
        return PLUCK_OK;
    }
    if (used == 0 && made == 0 && (int)s->block_state == state0)
        *stalled = true;
    return PLUCK_OK;
}
#endif

/* ---- resuming inside a member (a checkpoint of a gzip index) ------------------------------ */

/* zlib (zran.c's way): raw deflate from the checkpoint, its first bits put back with
 * inflatePrime and the window given as the dictionary; the CRC-32 and length go on from the
 * checkpoint's here (gz_zlib_step) and the trailer is checked here (gz_raw_trailer). */
static bool gz_zlib_resume(pl_codec *c, gz_state *g, uint64_t at, unsigned bits,
                           unsigned char byte, const unsigned char *window, size_t wlen,
                           uint32_t crc, uint32_t isize)
{
    z_stream *z = &g->z;
    if (!g->zlib_ready || inflateReset2(z, -MAX_WBITS) != Z_OK ||
        (bits && inflatePrime(z, (int)bits, byte >> (8 - bits)) != Z_OK) ||
        (wlen && inflateSetDictionary(z, window, (uInt)wlen) != Z_OK))
        return false;
    pl_codec_resume_at(c, at);
    g->raw = true;
    g->raw_trailer = false;
    g->raw_crc = crc;
    g->raw_isize = isize;
    g->trailer_len = 0;
    g->hdr_seen = GZ_HDR_FIXED;
    g->in_member = true;
    g->need_reset = false;
    return true;
}

#ifdef PLUCK_HAVE_ISAL
/* ISA-L: the window as its dictionary, the first bits in its bit buffer, and the member's
 * CRC-32 and length so far, from which it goes on and checks the trailer as if it had
 * decoded the member from its start. */
static bool gz_isal_resume(pl_codec *c, gz_state *g, uint64_t at, unsigned bits,
                           unsigned char byte, const unsigned char *window, size_t wlen,
                           uint32_t crc, uint32_t isize)
{
    pl_codec_resume_at(c, at);
    struct inflate_state *s = g->isal;
    /* the dictionary goes into the history buffer, where isal_save() copies it too */
    if (isal_inflate_set_dict(s, (uint8_t *)(uintptr_t)window, (uint32_t)wlen) != COMP_OK)
        return false;
    s->crc = crc;
    s->total_out = isize;
    s->read_in = bits ? (uint64_t)(byte >> (8 - bits)) : 0;
    s->read_in_length = (int32_t)bits;
    g->hdr_seen = GZ_HDR_FIXED;
    g->hphase = GZH_DONE;
    g->in_member = true;
    g->need_reset = false;
    return true;
}
#endif

bool pl_codec_gzip_resume_deflate(pl_codec *c, uint64_t at, unsigned bits, unsigned char byte,
                                  const unsigned char *window, size_t wlen, uint32_t crc,
                                  uint32_t isize)
{
    gz_state *g = c->state;
    if (!g || bits > 7 || wlen > 32768)
        return false;
#ifdef PLUCK_HAVE_ISAL
    if (g->use_isal)
        return gz_isal_resume(c, g, at, bits, byte, window, wlen, crc, isize);
#endif
    return gz_zlib_resume(c, g, at, bits, byte, window, wlen, crc, isize);
}

bool pl_codec_gzip_running(const pl_codec *c, uint32_t *crc, uint32_t *isize)
{
    const gz_state *g = c->state;
    if (!g || !g->in_member || c->failed)
        return false;
    if (!g->use_isal) {
        /* zlib: in gzip mode its own running CRC-32 (strm.adler) and total_out (reset at
         * each member); a resumed member's are kept here */
        if (g->raw_trailer)
            return false;
        *crc = g->raw ? g->raw_crc : (uint32_t)g->z.adler;
        *isize = g->raw ? g->raw_isize : (uint32_t)g->z.total_out;
        return true;
    }
#ifdef PLUCK_HAVE_ISAL
    if (g->hphase != GZH_DONE || g->pend_err)
        return false;
    *crc = g->isal->crc;
    *isize = g->isal->total_out;
    return true;
#else
    return false;
#endif
}

bool pl_codec_gzip_between(const pl_codec *c)
{
    const gz_state *g = c->state;
    return g && !c->failed && !g->in_member && g->members > 0;
}

/* ---- hooks ---------------------------------------------------------------------------------- */

static pluck_code gz_step(pl_codec *c, const unsigned char **in, size_t *in_len,
                          unsigned char **out, size_t *out_cap, bool *stalled)
{
    gz_state *g = c->state;
    pluck_code rc = gz_check_header(c, g, *in, *in_len);
    if (rc != PLUCK_OK)
        return rc;
    if (*in_len == 0 && !g->in_member) {
        /* Between members nothing is buffered, so without input there is nothing to do
         * (and the next member's decoder is not started until its bytes arrive). */
        *stalled = true;
        return PLUCK_OK;
    }
#ifdef PLUCK_HAVE_ISAL
    if (g->use_isal)
        return gz_isal_step(c, g, in, in_len, out, out_cap, stalled);
#endif
    return gz_zlib_step(c, g, in, in_len, out, out_cap, stalled);
}

static pluck_code gz_finish(pl_codec *c)
{
    gz_state *g = c->state;
    if (!g->in_member && g->members > 0)
        return PLUCK_OK;
    return pl_error_fail(&c->err, PLUCK_E_TRUNCATED_INPUT,
                         "Object decompression failed: unexpected end of gzip data at "
                         "compressed offset %llu (the last member is incomplete).",
                         (unsigned long long)c->in_total);
}

static void gz_destroy(pl_codec *c)
{
    gz_state *g = c->state;
    if (!g)
        return;
    if (g->zlib_ready)
        inflateEnd(&g->z);
#ifdef PLUCK_HAVE_ISAL
    free(g->isal);
    free(g->isal_saved);
    free(g->pend);
    free(g->hunt);
#endif
    free(g->zwin);
    free(g);
    c->state = NULL;
}

static const pl_codec_ops gz_ops = {gz_step, gz_finish, gz_destroy};

static bool gz_want_isal(pl_gzip_backend backend)
{
#ifdef PLUCK_HAVE_ISAL
    if (backend == PL_GZIP_AUTO) {
        const char *env = getenv("PLUCK_INFLATE");
        if (env && strcmp(env, "zlib") == 0)
            return false;
        return true;
    }
    return backend == PL_GZIP_ISAL;
#else
    return false; /* PL_GZIP_ISAL falls back to the only backend there is */
#endif
}

pluck_code pl_codec_open_gzip(pl_codec *c, pl_gzip_backend backend)
{
    gz_state *g = calloc(1, sizeof *g);
    if (!g)
        return PLUCK_E_OUT_OF_MEMORY;
    c->state = g;
    c->ops = &gz_ops;
    g->use_isal = gz_want_isal(backend);
#ifdef PLUCK_HAVE_ISAL
    if (g->use_isal) {
        /* calloc, not malloc: on a distance too far back ISA-L can copy bytes of its
         * history buffer that no output of this stream wrote before it reports the error
         * (F14 in tests/HARDENING.md).  Zeroed, they are NULs instead of whatever the heap
         * held before (another request's data in pluck serve). */
        g->isal = calloc(1, sizeof *g->isal);
        g->isal_saved = malloc(sizeof *g->isal_saved);
        if (!g->isal || !g->isal_saved)
            return PLUCK_E_OUT_OF_MEMORY;
        gz_isal_start(g);
        c->name = "gzip (isa-l)";
        return PLUCK_OK;
    }
#endif
    int ret = inflateInit2(&g->z, 16 + MAX_WBITS); /* 16: gzip wrapper only */
    if (ret != Z_OK)
        return ret == Z_MEM_ERROR ? PLUCK_E_OUT_OF_MEMORY : PLUCK_E_INTERNAL_ERROR;
    g->zlib_ready = true;
    c->name = "gzip (zlib)";
    return PLUCK_OK;
}

void pl_codec_gzip_marks(pl_codec *c, pl_gzmark_fn fn, void *opaque, uint64_t due)
{
    gz_state *g = c->state;
    if (!g || c->kind != PL_COMP_GZIP)
        return;
    g->mark = fn;
    g->mark_opaque = opaque;
    g->due = due;
}

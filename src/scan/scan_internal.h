/*
 * scan_internal.h — what the scanner's kernels share (private to src/scan/).
 *
 * One pl_scan() call is: set up a pl_scan_state, run the kernel's record loop over it, then
 * one common epilogue (scan.c) turns the loop's outcome into consumed bytes or an error.
 * Because the epilogue, the batch layout and the per-record scalar code are shared, a SIMD
 * kernel only has to agree with the scalar kernel on which records it commits; anything it
 * is not sure of it hands to pl_scan_scalar_record(), which is the scalar kernel's own code.
 *
 * Kernels:
 *  - scalar (scan_scalar.c): records by memchr, fields by 8-byte words; the oracle.
 *  - SIMD (scan_simd.c, and scan_kernel.h compiled per instruction set by scan_sse42.c,
 *    scan_avx2.c, scan_neon.c): 64-byte blocks become bit masks of quote, field- and
 *    record-delimiter bytes.  Records without quotes are cut straight from the masks (the
 *    fast path); records with quotes go through stage 1, which masks out delimiters inside
 *    quotes (prefix XOR of the quote mask, carried across blocks) and flattens the rest
 *    into "event" positions, and stage 2, which walks the events and checks the quoting.
 */
#ifndef PL_SCAN_INTERNAL_H
#define PL_SCAN_INTERNAL_H

#include "scan/scan.h"

#define PL_NPOS SIZE_MAX

typedef enum pl_kernel {
    PL_K_SCALAR = 0,
    PL_K_SSE42,
    PL_K_AVX2,
    PL_K_NEON
} pl_kernel;

/* What stage 1 needs, by value so its loop keeps it in registers. */
typedef struct pl_stage1_cfg {
    unsigned char fd, rd, q, esc;
    unsigned char pad;   /* a byte that is none of the above, to fill a partial block */
    uint64_t qon;        /* ~0 when quoting is on, else 0 (the quote mask is then empty) */
    uint64_t eon;        /* ~0 when a distinct escape character is on, else 0 */
    uint64_t rd_masked;  /* ~0 with AllowQuotedRecordDelimiter: quotes hide record delims */
} pl_stage1_cfg;

/* Stage 1 over buf[from, to): `to - from` is a multiple of 64 unless `to` is the end of the
 * buffer.  *carry is the in-quote state at `from` (0 or ~0) and is updated to the state at
 * `to`.  Writes the positions (relative to buf) of every event byte in ascending order to
 * ev, which needs room for (to - from) + 64 entries (the flattening writes a few slots past
 * the count).  Events: field and record delimiters outside quotes (record delimiters inside
 * quotes too without AllowQuotedRecordDelimiter), every quote byte, and escape bytes inside
 * quotes.  Returns the number of events. */
typedef size_t (*pl_stage1_fn)(const pl_stage1_cfg *c, const char *buf, size_t from,
                               size_t to, uint64_t *carry, uint32_t *ev);

/* The fast path of a SIMD kernel (scan_kernel.h): quote-free records straight from the
 * block masks, until the batch is full or a record needs the walker. */
typedef struct pl_scan_state pl_scan_state;
typedef void (*pl_fast_fn)(pl_scanner *s, pl_scan_state *st);
typedef size_t (*pl_find_fn)(const pl_find *f, const char *p, size_t n, pl_find_pos *at);
typedef size_t (*pl_skip_fn)(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                             size_t *lines);
size_t pl_find_scalar(const pl_find *f, const char *p, size_t n, pl_find_pos *at);
/* pl_find_scalar from position `from` on (the SIMD kernels' tail) */
size_t pl_find_scalar_from(const pl_find *f, const char *p, size_t from, size_t n,
                           pl_find_pos *at);

#if defined(__x86_64__) || defined(__i386__)
size_t pl_stage1_sse42(const pl_stage1_cfg *c, const char *buf, size_t from, size_t to,
                       uint64_t *carry, uint32_t *ev);
size_t pl_stage1_avx2(const pl_stage1_cfg *c, const char *buf, size_t from, size_t to,
                      uint64_t *carry, uint32_t *ev);
void pl_fast_sse42(pl_scanner *s, pl_scan_state *st);
void pl_fast_avx2(pl_scanner *s, pl_scan_state *st);
size_t pl_find_sse42(const pl_find *f, const char *p, size_t n, pl_find_pos *at);
size_t pl_find_avx2(const pl_find *f, const char *p, size_t n, pl_find_pos *at);
size_t pl_skip_sse42(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                     size_t *lines);
size_t pl_skip_avx2(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                    size_t *lines);
#endif
#if defined(__aarch64__)
size_t pl_stage1_neon(const pl_stage1_cfg *c, const char *buf, size_t from, size_t to,
                      uint64_t *carry, uint32_t *ev);
void pl_fast_neon(pl_scanner *s, pl_scan_state *st);
size_t pl_find_neon(const pl_find *f, const char *p, size_t n, pl_find_pos *at);
size_t pl_skip_neon(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                    size_t *lines);
#endif

/* Largest stage-1 span: the event array holds one span. */
#define PL_SPAN_MAX 8192
#define PL_EV_CAP (PL_SPAN_MAX + 128)

struct pl_scanner {
    unsigned char fd;
    unsigned char rd0;
    uint8_t rdlen;
    char rd[PL_MAX_DELIM];
    bool crlf; /* record delimiter is exactly "\n": drop a CR before it */
    bool aqrd;
    int quote, esc, comment; /* -1 when off */
    size_t max_rec;
    uint32_t batch_cap;
    uint32_t max_fields;
    uint64_t recno; /* records numbered so far, across calls */
    uint64_t comments; /* comment records skipped so far, across calls */

    pl_batch batch;
    size_t fcap;
    char *scratch;
    size_t scap;

    pl_kernel kernel;
    pl_stage1_fn stage1; /* NULL for the scalar kernel */
    pl_fast_fn fast;
    pl_find_fn find;     /* the prefilter's search: never NULL */
    pl_skip_fn skip;     /* the prefilter's line skipper: NULL when the masks cannot judge */
    pl_stage1_cfg cfg;
    uint32_t *ev;        /* [PL_EV_CAP] stage-1 events */
};

typedef enum pl_scan_fail {
    F_NONE = 0,
    F_INCOMPLETE,
    F_OOM,
    F_OVERSIZE,
    F_UNESCAPED_QUOTE,
    F_ESCAPING_RD,
    F_UNTERMINATED
} pl_scan_fail;

/* One pl_scan() call in progress. */
struct pl_scan_state {
    const char *buf;
    size_t len;
    uint64_t base;
    bool final;
    size_t pos;        /* start of the next record */
    size_t nft;        /* fields used in batch.fields */
    size_t sused;      /* bytes used in scratch */
    bool scratch_ok;   /* scratch holds len bytes for this call */
    uint64_t recno;    /* records numbered so far */
    uint64_t comments; /* comment records skipped so far */
    pl_scan_fail fail; /* why the loop stopped (F_NONE: batch full or input done) */
    size_t fail_at;    /* byte of the failure, relative to buf */
};

/* The scalar record loop: records from st->pos until the batch is full, the input ends or
 * something fails. */
void pl_scan_scalar_loop(pl_scanner *s, pl_scan_state *st);
/* One record (or one skipped empty/comment record) at st->pos, exactly as the scalar loop
 * does it.  On success advances st->pos and returns F_NONE; on failure leaves st->pos and
 * sets st->fail_at. */
pl_scan_fail pl_scan_scalar_record(pl_scanner *s, pl_scan_state *st);
/* The SIMD record loop (stage 2); s->stage1 is set. */
void pl_scan_simd_loop(pl_scanner *s, pl_scan_state *st);

bool pl_scan_grow_fields(pl_scanner *s, size_t want);
/* Make scratch hold st->len bytes for this call; false on out of memory. */
bool pl_scan_scratch(pl_scanner *s, pl_scan_state *st);
size_t pl_scan_unescape(char *out, const char *in, size_t n, int quote, int esc);

/* Flatten the set bits of m into positions base + bit, appending at ev[n]; returns the new
 * count.  Writes 8 or 16 slots whatever the count (the tail is overwritten later), so most
 * blocks take no data-dependent branch.  ORing in bit 63 keeps the count-trailing-zeros of
 * an exhausted mask defined (it then yields 63, a harmless garbage slot). */
/* always_inline: it must be compiled inside each kernel's target-attributed stage 1, where
 * popcount is one instruction; a separate copy would call libgcc's __popcountdi2. */
static inline __attribute__((always_inline)) size_t pl_flatten(uint32_t *ev, size_t n,
                                                               uint32_t base, uint64_t m)
{
    if (!m)
        return n;
    uint32_t cnt = (uint32_t)__builtin_popcountll(m);
    uint32_t *o = ev + n;
    const uint64_t top = (uint64_t)1 << 63;
#define PL_FLATTEN_ONE(i)                                                                  \
    do {                                                                                   \
        o[i] = base + (uint32_t)__builtin_ctzll(m | top);                                  \
        m &= m - 1;                                                                        \
    } while (0)
    /* Spelled out: compilers do not unroll these at -O2, and the loop control would cost
     * as much as the work. */
    PL_FLATTEN_ONE(0);
    PL_FLATTEN_ONE(1);
    PL_FLATTEN_ONE(2);
    PL_FLATTEN_ONE(3);
    PL_FLATTEN_ONE(4);
    PL_FLATTEN_ONE(5);
    PL_FLATTEN_ONE(6);
    PL_FLATTEN_ONE(7);
    if (PL_UNLIKELY(cnt > 8)) {
        PL_FLATTEN_ONE(8);
        PL_FLATTEN_ONE(9);
        PL_FLATTEN_ONE(10);
        PL_FLATTEN_ONE(11);
        PL_FLATTEN_ONE(12);
        PL_FLATTEN_ONE(13);
        PL_FLATTEN_ONE(14);
        PL_FLATTEN_ONE(15);
        for (uint32_t i = 16; i < cnt; i++) {
            o[i] = base + (uint32_t)__builtin_ctzll(m);
            m &= m - 1;
        }
    }
    return n + cnt;
#undef PL_FLATTEN_ONE
}

#endif /* PL_SCAN_INTERNAL_H */

/*
 * bzip2_blocks.h — bzip2 decoded block by block from any block start (bzip2_blocks.c): the
 * decoder of bzip2 splits and the search for their split points.
 */
#ifndef PL_BZIP2_BLOCKS_H
#define PL_BZIP2_BLOCKS_H

#include "codec/codec.h"

/* The first block magic (or, unless block_only, end-of-stream magic) whose 48 bits begin at
 * or after bit `from` of p[0, len) and end within it; UINT64_MAX when there is none.
 * *is_end (may be NULL): it is the end-of-stream magic. */
uint64_t pl_bz2_next_magic(const unsigned char *p, size_t len, uint64_t from, bool block_only,
                           bool *is_end);

typedef enum { PL_BZ2_OK, PL_BZ2_LONG, PL_BZ2_BAD, PL_BZ2_NOMEM } pl_bz2_result;

/* One block decoded as a one-block stream (pl_bz2_block, pl_bz2_open/pl_bz2_read). */
typedef struct pl_bz2_scratch {
    unsigned char *synth; /* the one-block stream */
    size_t cap;
    unsigned char *sink;  /* output decoded only to verify it */
    void *z;              /* bz_stream, while one is open */
} pl_bz2_scratch;
void pl_bz2_scratch_free(pl_bz2_scratch *s);

/* Decode the block whose magic begins at bit `at` of p[0, len), as if it ended where bit
 * `end` begins.  PL_BZ2_OK when it decodes completely there with its CRC matching (so `end`
 * is its true end) and its bytes, at most `hold`, are in out (replacing its contents; out
 * may be NULL: verify only); PL_BZ2_LONG when so but it makes more than `hold` bytes (out
 * holds none: pl_bz2_open them again); PL_BZ2_BAD otherwise. */
pl_bz2_result pl_bz2_block(const unsigned char *p, size_t len, uint64_t at, uint64_t end,
                           int level, pl_bz2_scratch *s, pl_buf *out, size_t hold);

/* Open the block (as pl_bz2_block) to read its bytes in pieces: pl_bz2_read gives the
 * next up to cap of them (*made), *end once all are out and its CRC matched. */
pl_bz2_result pl_bz2_open(const unsigned char *p, size_t len, uint64_t at, uint64_t end,
                          int level, pl_bz2_scratch *s);
pl_bz2_result pl_bz2_read(pl_bz2_scratch *s, unsigned char *out, size_t cap, size_t *made,
                          bool *end);

/* The combined CRC of bzip2 streams read in splits.  A stream's end-of-stream record holds
 * the combination of its blocks' CRCs, crc = (crc << 1 | crc >> 31) ^ block_crc, so a block
 * missing, repeated or out of order is an error; a split inside a stream does not know the
 * blocks before it.  What the split decoder saw of the blocks and stream ends that begin in
 * its own bytes: */
typedef struct pl_bz2_chain {
    bool known;     /* in: `crc` is the combination of its stream's blocks before the split
                     * (the decoder checks that stream's end itself); else it reports it */
    uint32_t crc;
    bool complete;  /* out: it decoded all of its own bytes (else the rest is not valid) */
    bool ended;     /* a stream ended there whose blocks before the split were not known: */
    uint32_t k;     /*   how many of its blocks the split holds, */
    uint32_t fold;  /*   their combination from 0, */
    uint32_t stored; /*  and the combined CRC its end record holds */
    bool out_known; /* after the split: the combination is `out` (known, or after a stream
                     * end); else rotl(combination before, n) ^ out, n the blocks it holds */
    uint32_t n, out;
} pl_bz2_chain;

/* The combination after the split, from *crc before it (the run's first split: 0); false
 * when the stream that ended in the split does not match its blocks. */
bool pl_bz2_chain_next(uint32_t *crc, const pl_bz2_chain *ch);

/* Split points of the bzip2 file fd between start and end: the first verified block start at
 * or after each multiple of target (as the offset of the byte holding its first bit), at
 * least target apart, in *offs (free()).  Returns PLUCK_OK or PLUCK_E_OUT_OF_MEMORY. */
pluck_code pl_bz2_split_points(int fd, uint64_t start, uint64_t end, uint64_t target,
                               uint64_t **offs, size_t *n);

/* Turn a freshly created bzip2 codec into the block decoder, for input that begins at a
 * stream header or in the byte where a verified block magic begins (pl_codec_resume_at). */
pluck_code pl_codec_bzip2_blocks(pl_codec *c);

/* The block decoder's own bytes end at file offset own_end (magics beginning before it are
 * its own): it checks the combined CRC of every stream that ends there when it knows the
 * blocks before (ch->known, or a stream header there), and reports the rest into *ch
 * (updated as it decodes: read it when the decoder is done).  ch NULL: only streams whose
 * header it reads are checked. */
void pl_codec_bzip2_blocks_chain(pl_codec *c, uint64_t own_end, pl_bz2_chain *ch);

#endif /* PL_BZIP2_BLOCKS_H */

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

typedef enum { PL_BZ2_OK, PL_BZ2_BAD, PL_BZ2_NOMEM } pl_bz2_result;

typedef struct pl_bz2_scratch {
    unsigned char *synth; /* the one-block stream */
    size_t cap;
} pl_bz2_scratch;
void pl_bz2_scratch_free(pl_bz2_scratch *s);

/* Decode the block whose magic begins at bit `at` of p[0, len), as if it ended where bit
 * `end` begins, into out (replacing its contents).  PL_BZ2_OK when it decodes completely
 * there with its CRC matching (so `end` is its true end), PL_BZ2_BAD otherwise. */
pl_bz2_result pl_bz2_block(const unsigned char *p, size_t len, uint64_t at, uint64_t end,
                           int level, pl_bz2_scratch *s, pl_buf *out);

/* Split points of the bzip2 file fd between start and end: the first verified block start at
 * or after each multiple of target (as the offset of the byte holding its first bit), at
 * least target apart, in *offs (free()).  Returns PLUCK_OK or PLUCK_E_OUT_OF_MEMORY. */
pluck_code pl_bz2_split_points(int fd, uint64_t start, uint64_t end, uint64_t target,
                               uint64_t **offs, size_t *n);

/* Turn a freshly created bzip2 codec into the block decoder, for input that begins at a
 * stream header or in the byte where a verified block magic begins (pl_codec_resume_at). */
pluck_code pl_codec_bzip2_blocks(pl_codec *c);

#endif /* PL_BZIP2_BLOCKS_H */

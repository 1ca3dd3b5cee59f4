/*
 * xz_blocks.h — xz decoded block by block from any block start (xz_blocks.c): the decoder of
 * xz splits and their split points, read from the files' indexes.
 */
#ifndef PL_XZ_BLOCKS_H
#define PL_XZ_BLOCKS_H

#include "codec/codec.h"

/* The offsets of every block of the xz file fd between start and end, in file order, in
 * *offs (free()); none (*n = 0) when the file is not a clean sequence of xz streams.
 * Returns PLUCK_OK or PLUCK_E_OUT_OF_MEMORY. */
pluck_code pl_xz_split_points(int fd, uint64_t start, uint64_t end, uint64_t **offs, size_t *n);


/* Turn a freshly created xz codec into the block decoder, for input that begins at a stream
 * header or at a block header of a stream with check type `check` (-1: not known). */
pluck_code pl_codec_xz_blocks(pl_codec *c, int check);

/* Make the block decoder c check every block that begins in [off, own_end) of the xz file fd
 * (its streams end at `end`) against its index record (offset, unpadded and uncompressed
 * size), and that the streams' indexes begin where their last blocks end: an index that
 * lies is TruncatedInput, never a wrong answer.  It also learns the check type of the
 * stream holding off (a split that starts at a block header).  Only the streams from the
 * one holding off to the end are read, so that stream may begin anywhere in fd.  Returns
 * PLUCK_OK or PLUCK_E_OUT_OF_MEMORY. */
pluck_code pl_xz_expect(pl_codec *c, int fd, uint64_t end, uint64_t off, uint64_t own_end);

/* The largest dictionary a block may ask for (pl_codec_set_max_window); default 1 GiB. */
void pl_codec_xz_blocks_max_window(pl_codec *c, uint64_t max_window);

#endif /* PL_XZ_BLOCKS_H */

/*
 * blocks.h — the block source of the parallel executors (commit/lanes.c): the rest of a
 * plain input cut into blocks of whole records.
 *
 * Where the input is a regular file, a block is a range of it: block k owns the records
 * that start in [k MiB, k+1 MiB) from where the blocks began, so each executor finds its
 * own bounds (the first record start at or after each end, read with a small pread()) and
 * reads its range with pread() in pieces that stay in the cache while they are scanned:
 * all read at once and nothing is carried between blocks.  Otherwise (no file, or
 * PLUCK_PREAD=0) blocks are read through the read callback, one at a time under the
 * driver's mutex, and the bytes after a block's last delimiter are carried into the next.
 * Blocks are cut where it is safe: only when a record delimiter always ends a record
 * (AllowQuotedRecordDelimiter FALSE, a one-byte delimiter), which the run checks.
 */
#ifndef PL_BLOCKS_H
#define PL_BLOCKS_H

#include "source/source.h"

#define PL_BLOCK (1024 * 1024) /* bytes per block */

/* One block: bytes in memory, or a range of a file. */
typedef struct pl_block {
    char *buf;      /* the bytes (only read), or NULL: read [off, off + len) of fd */
    int fd;
    uint64_t off;
    size_t len;
    uint64_t base;  /* stream offset of the block's first byte */
    bool final;     /* the block ends the input */
} pl_block;

typedef struct pl_blocks {
    pluck_read_fn read;
    void *opaque;
    char rd;                 /* the record delimiter */
    size_t max_record_size;
    pl_source *s;            /* the run's source: the byte counts */
    /* read mode: the incomplete record after the last block cut */
    char *carry;
    size_t ncarry, carry_cap;
    uint64_t next_base;      /* stream offset of the next block */
    bool eof;
    /* range mode (fd >= 0): the file from offset `start` (stream offset start_base) to
     * `size`; next_from is the next block's nominal start */
    int fd;
    uint64_t start, start_base, size, next_from;
} pl_blocks;

/* Start after what the run's window holds (the start of the next record); in range mode
 * when fd is a regular file read from its current offset.  Returns PLUCK_OK or OutOfMemory. */
pluck_code pl_blocks_init(pl_blocks *B, pl_source *s, char rd, size_t max_record_size,
                          pluck_read_fn read, void *opaque, int fd);
void pl_blocks_free(pl_blocks *B);
/* Whether more blocks follow. */
bool pl_blocks_more(const pl_blocks *B);

/* Read mode, under the driver's mutex: the next block into *buf (grown as needed).  Returns
 * PLUCK_OK, or READ_ERROR / OUT_OF_MEMORY (then the block is still numbered, to fail in
 * order). */
pluck_code pl_blocks_take(pl_blocks *B, char **buf, size_t *cap, pl_block *b);
/* Range mode: the next block's nominal start (under the mutex), then its bounds (outside). */
uint64_t pl_blocks_next_range(pl_blocks *B);
pluck_code pl_blocks_bound(const pl_blocks *B, uint64_t from, pl_block *b);
/* Range mode: count a committed range in the source's byte counts. */
void pl_blocks_count(pl_blocks *B, const pl_block *b);
/* The stream offset after the last block, and the file offset where a read to the end would
 * leave fd (range mode). */
void pl_blocks_end(pl_blocks *B, bool ok);

/* Scan a block through `scan` (the executor's window step, see source.h): a buffer at once,
 * a range in pieces read with pread() into *win.  A block must end at a record end. */
typedef pluck_code (*pl_block_scan_fn)(void *ctx, const char *p, size_t n, uint64_t base,
                                       bool final, size_t *used);
pluck_code pl_block_scan(const pl_block *b, char **win, size_t *cap, pl_block_scan_fn scan,
                         void *ctx, pluck_error *err);

#endif /* PL_BLOCKS_H */

/*
 * splits.h — splittable compressed input: where a compressed file can be cut into pieces
 * that decode on their own (pluck_split in pluck.h), and the scan of one such piece.
 *
 * Split points are places where a decoder can start afresh: the members of a BGZF file (its
 * `BC` extra field gives each member's size) and the frames of a zstd file (walked from their
 * frame and block headers, or read from a seekable-format seek table), and the blocks of a
 * bzip2 file (bit-aligned: a split begins in the byte where a verified block magic begins,
 * codec/bzip2_blocks.h).  Consecutive members or frames are grouped into splits of about a
 * target compressed size.
 *
 * Records belong to splits by where they start: split k (with decompressed bytes [U_k,
 * U_k+1)) owns the records that begin after the first record delimiter at or after U_k (the
 * first split: from the start) up to and including the record that holds the first delimiter
 * at or after U_k+1.  So a split skips the tail of the record it starts in and reads on into
 * the next split's data to finish its last record, and any cut points give every record to
 * exactly one split.  Only where a record delimiter always ends a record (one byte, no
 * quoted record delimiters).
 */
#ifndef PL_SPLITS_H
#define PL_SPLITS_H

#include "codec/bzip2_blocks.h"
#include "source/blocks.h"
#include "source/gzindex.h"

#define PL_SPLIT_TARGET (4u << 20) /* compressed bytes per split by default */

/* The splits of the compressed stream in fd from offset `start` to `end` (the file's size),
 * of compression kind (GZIP: the checkpoints of the index ix when given, else BGZF
 * members, else, with guess, the member starts of any multi-member gzip found by searching for headers
 * (unconfirmed: splits that end at them must be run with pl_split_job.extended); ZSTD:
 * frames; BZIP2: verified block starts; XZ: the blocks of its index).  *n = 1 (one split,
 * the whole stream) when it has no usable split points.  Returns PLUCK_OK, OUT_OF_MEMORY or
 * READ_ERROR (message in err).  Free *out with free(). */
pluck_code pl_splits_find(int fd, uint64_t start, uint64_t end, pl_compression kind,
                          const pluck_index *ix, bool guess, uint64_t target, pluck_split **out, size_t *n, pluck_error *err);

/* One split to scan. */
typedef struct pl_split_job {
    int fd;
    pl_compression kind;
    uint64_t off, len;  /* the split's compressed bytes */
    uint64_t end;       /* where the compressed stream ends (the file's size) */
    bool first;         /* the stream's first split: no partial record before it */
    uint64_t ubase;     /* stream offset of its first decompressed byte (for positions) */
    char rd;            /* the record delimiter */
    uint64_t max_window; /* pl_codec_set_max_window() (0: the libraries' defaults) */
    const pluck_index *ix; /* gzip: the file's index (splits at its checkpoints), or NULL */
    /* gzip: when the split's compressed bytes do not end at a member's end (the next split
     * was cut at something that looked like a member start and is not one), the split
     * decodes on to the end of the file and sets *extended (NULL: that is an error) */
    bool *extended;
    /* bzip2: the combined CRCs of its streams (pl_bz2_chain): in, whether the blocks of its
     * first stream before it are known; out, what the committer checks (NULL: only streams
     * whose header is in the split are checked) */
    pl_bz2_chain *chain;
} pl_split_job;

/* Decode the split and hand its records to scan (the executor's window step) in windows
 * from *win (grown as needed).  *ulen: the split's decompressed size U_k+1 - U_k (when the
 * scan got that far).  *codec_name: the codec's name.  Returns PLUCK_OK, scan's code, or a
 * codec or read error (message in err). */
pluck_code pl_split_scan(const pl_split_job *j, char **win, size_t *cap, pl_block_scan_fn scan,
                         void *ctx, pluck_error *err, uint64_t *ulen, const char **codec_name);

#endif /* PL_SPLITS_H */

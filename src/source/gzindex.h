/*
 * gzindex.h — checkpoint indexes of gzip files (pluck_index in pluck.h; the file format is
 * pluck-index(5)).
 *
 * A single gzip member is one deflate stream: nothing in it says where a decoder could
 * start.  zran.c's answer is an index built by one full decode: at deflate block
 * boundaries every so often it keeps the bit offset and the 32 KiB of output before it (the
 * window a later match can reach back into).  A decoder primed with those bits and that
 * window goes on from there (codec/gzip.c: pl_codec_gzip_resume_deflate, ISA-L or zlib),
 * so the checkpoints are split points like BGZF members.  Member starts of a multi-member
 * file are checkpoints too, without a window.
 *
 * Each checkpoint also keeps the member's CRC-32 and length so far: the split that starts
 * there checks the CRC-32 of its decompressed bytes up to the next checkpoint against the
 * index (and the member's last split checks the trailer), so an index that does not
 * describe the file is an error, never a wrong answer.  An index is tied to its file by the
 * file's size and the CRC-32s of its first and last 64 KiB (which hold the last member's
 * trailer: the CRC-32 of its data); pluck_index_load refuses another file.
 */
#ifndef PL_GZINDEX_H
#define PL_GZINDEX_H

#include "codec/codec.h"
#include "common/common.h"

#define PL_GZINDEX_SPACING (4u << 20) /* compressed bytes between checkpoints by default */
#define PL_GZINDEX_WINDOW 32768       /* deflate's window */
#define PL_GZINDEX_HASHED 65536       /* bytes of the file's head and tail hashed */

typedef struct pl_gzpoint {
    uint64_t coff;  /* first whole compressed byte after the checkpoint */
    uint64_t uoff;  /* decompressed offset (from the stream's start) of the checkpoint */
    uint32_t crc;   /* the member's CRC-32 so far (0 at a member start) */
    uint32_t isize; /* the member's decompressed length so far, mod 2^32 */
    uint8_t bits;   /* bits of byte coff - 1 that come before coff (0-7) */
    uint8_t member; /* 1: a member starts at coff (no window) */
    uint32_t wlen;  /* bytes of its zlib-compressed window in the index's blob */
    uint64_t woff;  /* where they are in the blob */
} pl_gzpoint;

struct pluck_index {
    uint64_t file_size, usize, spacing;
    uint32_t head_crc, tail_crc;
    pl_gzpoint *pt; /* in file order, pt[0] at offset 0 (the first member) */
    size_t n, cap;
    unsigned char *blob; /* the compressed windows, one after another */
    size_t blob_len, blob_cap;
};

/* The byte offset where a split starting at checkpoint p begins (the byte holding its first
 * bits). */
static inline uint64_t pl_gzpoint_split_at(const pl_gzpoint *p)
{
    return p->coff - (p->bits ? 1 : 0);
}

/* The checkpoint whose split starts at byte offset `at`, or NULL. */
const pl_gzpoint *pl_gzindex_find(const pluck_index *ix, uint64_t at);

/* The 32 KiB window of checkpoint p into out (PL_GZINDEX_WINDOW bytes).  False when it does
 * not decompress to exactly that (pluck_index_load checked it, so only on out of memory). */
bool pl_gzindex_window(const pluck_index *ix, const pl_gzpoint *p, unsigned char *out);

/* Building an index from a decode: attach a recorder to a fresh gzip codec; once the codec
 * finished the input cleanly, pl_gzrec_done; then pl_gzrec_finish ties the index to the
 * file on fd (its size must be the compressed bytes decoded) and hands it over. */
typedef struct pl_gzrec pl_gzrec;
pl_gzrec *pl_gzrec_create(uint64_t spacing); /* 0: PL_GZINDEX_SPACING; NULL: out of memory */
void pl_gzrec_attach(pl_gzrec *r, pl_codec *c);
void pl_gzrec_done(pl_gzrec *r, const pl_codec *c);
/* PLUCK_OK and *out, or an error: the decode did not finish (InvalidRequestParameter), the
 * file is not what was decoded, it cannot be read. */
pluck_code pl_gzrec_finish(pl_gzrec *r, int fd, pluck_index **out, pluck_error *err);
void pl_gzrec_free(pl_gzrec *r); /* accepts NULL */

/* The head and tail CRC-32s of the file on fd of the given size; false when unreadable. */
bool pl_gzindex_hash(int fd, uint64_t size, uint32_t *head, uint32_t *tail);

#endif /* PL_GZINDEX_H */

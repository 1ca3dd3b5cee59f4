/*
 * codec.h — streaming decompression behind one push-style interface.
 *
 * The run feeds compressed bytes as they arrive and receives decompressed bytes into a
 * buffer it owns (the zstd in/out-buffer pattern), so no codec ever holds a whole file.
 * Detection is by magic bytes.  Backends: gzip (ISA-L igzip when built with it, else zlib;
 * multi-member files), zstd (libzstd; multi-frame), bzip2 (libbz2; multi-stream), xz
 * (liblzma; concatenated streams), none (copy).
 */
#ifndef PL_CODEC_H
#define PL_CODEC_H

#include "common/common.h"

typedef struct pl_codec pl_codec;

typedef enum pl_gzip_backend {
    PL_GZIP_AUTO = 0, /* ISA-L when compiled in, else zlib; env PLUCK_INFLATE=zlib|isal overrides */
    PL_GZIP_ZLIB,
    PL_GZIP_ISAL
} pl_gzip_backend;

/* Classify the first bytes of a stream.  Returns PL_COMP_GZIP/ZSTD/BZIP2/XZ on a magic
 * match, PL_COMP_NONE when the bytes cannot be any of them, and PL_COMP_AUTO when n is too
 * small to tell (fewer than 6 bytes and still a possible prefix) and more input is needed. */
pl_compression pl_codec_detect(const unsigned char *p, size_t n, bool at_eof);
/* Input that pluck does not decode but can recognise by its first bytes (lz4, zlib,
 * lzma-alone, snappy, 7z, rar, zip, ...): its name, e.g. "lz4 (frame format)"; NULL when
 * the bytes are none of them.  Brotli streams have no magic number and are not recognised. */
const char *pl_codec_unsupported(const unsigned char *p, size_t n);

/* kind must not be PL_COMP_AUTO.  Returns NULL on out of memory. */
pl_codec *pl_codec_create(pl_compression kind, pl_gzip_backend gzip_backend);
void pl_codec_free(pl_codec *c); /* accepts NULL */

/* Decompress from *in (avail *in_len) into *out (room *out_cap), advancing all four.
 * Returns PLUCK_OK after making whatever progress is possible (it stops when the input is
 * used up or the output is full), or an error code (PLUCK_E_TRUNCATED_INPUT for corrupt
 * data, PLUCK_E_INVALID_COMPRESSION_FORMAT when the data is not of this format at all,
 * PLUCK_E_OUT_OF_MEMORY) with a message available from pl_codec_message(). */
pluck_code pl_codec_decode(pl_codec *c, const unsigned char **in, size_t *in_len,
                           unsigned char **out, size_t *out_cap);

/* No more input will come.  Decode calls after this (with no input) hand out what the
 * codec still holds: xz stages its input so that liblzma's calls are cut at fixed offsets
 * (F18 in tests/HARDENING.md) and decodes the last partial block only now.  Call them until
 * they produce nothing, then pl_codec_finish(). */
void pl_codec_end_input(pl_codec *c);

/* Check the end of the stream.  Returns PLUCK_OK when the stream ended on a complete
 * member/frame, PLUCK_E_TRUNCATED_INPUT otherwise.  Call only after pl_codec_end_input()
 * and decode calls that drained all input and output (one with an empty input produced
 * nothing). */
pluck_code pl_codec_finish(pl_codec *c);

/* Decode from compressed offset `at` of a stream, where a gzip member or a zstd frame begins,
 * or in the byte where a bzip2 block's magic begins (a split, source/splits.h; bzip2 is then
 * decoded block by block, codec/bzip2_blocks.h): offsets in messages count from the stream's start, and the
 * stream's first-bytes magic check is left out.  Call before the first decode. */
void pl_codec_resume_at(pl_codec *c, uint64_t at);

/* Refuse input whose history window is larger than max_window bytes (a zstd frame's
 * window, an xz dictionary) with PLUCK_E_INVALID_COMPRESSION_FORMAT, before the decoder
 * allocates it; 0 keeps the libraries' defaults (zstd 128 MiB, xz 1 GiB).  gzip (32 KiB)
 * and bzip2 (about 3.6 MiB for 900k blocks) have fixed needs and ignore it.  Call before
 * the first decode. */
void pl_codec_set_max_window(pl_codec *c, uint64_t max_window);
/* Resume inside a gzip member's deflate data, at a checkpoint of a gzip index
 * (source/gzindex.h): `at` is the compressed offset of the first whole byte fed; the last
 * `bits` (0-7) bits of `byte`, the byte before it, come first; `window` holds the (up to)
 * 32 KiB of output before the checkpoint; crc and isize are the member's CRC-32 and length
 * (mod 2^32) so far, so its trailer is still checked.  Call on a fresh gzip codec before
 * the first decode.  Both backends can (ISA-L primed through its state, zlib in raw mode
 * with inflatePrime and inflateSetDictionary as zran.c does); false when the values are out
 * of range. */
bool pl_codec_gzip_resume_deflate(pl_codec *c, uint64_t at, unsigned bits, unsigned char byte,
                                  const unsigned char *window, size_t wlen, uint32_t crc,
                                  uint32_t isize);
/* The current member's CRC-32 and length (mod 2^32) of the output handed out so far, inside
 * a member's deflate data: false otherwise. */
bool pl_codec_gzip_running(const pl_codec *c, uint32_t *crc, uint32_t *isize);
/* A gzip codec has completed a member and taken no byte of another: the input it was given
 * ended exactly at a member's end. */
bool pl_codec_gzip_between(const pl_codec *c);

/* A place where a gzip index can let a decoder start (source/gzindex.h): a member start, or
 * a deflate block boundary inside a member with its window. */
typedef struct pl_gzmark {
    uint64_t coff;   /* the first whole compressed byte after it */
    uint64_t uoff;   /* decompressed offset from the stream's start */
    uint32_t crc;    /* the member's CRC-32 so far (0 at a member start) */
    uint32_t isize;  /* the member's length so far, mod 2^32 */
    unsigned bits;   /* bits of byte coff - 1 that come after it (0-7) */
    bool member;     /* a member starts at coff (no window) */
    const unsigned char *window; /* the 32 KiB of output before it (not at a member start) */
} pl_gzmark;
/* Called with each place found; returns the compressed offset from which the next block
 * boundary is wanted, or 0 to fail the decode with out of memory. */
typedef uint64_t (*pl_gzmark_fn)(void *opaque, const pl_gzmark *m);
/* Report to fn, while decoding, every member start and the first block boundary whose byte
 * (coff, less one when bits) is at or after `due` (then at or after what fn returns), with
 * 32 KiB of its member's output behind it and not after its member's last block: how a gzip
 * index is built by the decode that feeds a query.  zlib stops at every block boundary
 * (inflate with Z_BLOCK); ISA-L cannot, so a copy of its state decodes ahead to the end of
 * the current block (gzip.c explains how).  The same places whichever backend and however
 * the input is cut.  Call on a fresh gzip codec before the first decode. */
void pl_codec_gzip_marks(pl_codec *c, pl_gzmark_fn fn, void *opaque, uint64_t due);

/* Compressed bytes taken and decompressed bytes handed out so far. */
void pl_codec_totals(const pl_codec *c, uint64_t *in, uint64_t *out);

/* Human-readable backend name, e.g. "gzip (isa-l)", "gzip (zlib)", "zstd", "none". */
const char *pl_codec_name(const pl_codec *c);
/* Message for the last error ("" when none). */
const char *pl_codec_message(const pl_codec *c);

/* Compile-time list of codecs and backends, e.g. "gzip(isa-l,zlib) zstd bzip2 xz". */
const char *pl_codec_features(void);

#endif /* PL_CODEC_H */

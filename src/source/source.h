/*
 * source.h — where the bytes come from.  A source alone owns the byte counts (S3's
 * BytesScanned and BytesProcessed) and the window: the decompressed bytes not yet consumed,
 * always starting at a record boundary.  After adding bytes it asks its consumer to scan
 * the window (the consumer runs the executor and drops the records it used), and after each
 * read of the input it lets the consumer tick (progress, flush).
 *
 * The sources: push.c (pushed buffers through a codec: pluck_run_feed/_finish), pipe.c (a
 * thread reads and decompresses, this one scans), plain.c (plain bytes read straight into
 * the window), blocks.c (blocks of whole records for parallel executors: ranges of a
 * regular file read with pread(), or blocks cut from a read callback).
 */
#ifndef PL_SOURCE_H
#define PL_SOURCE_H

#include "codec/codec.h"

#define PL_CHUNK (256 * 1024) /* bytes read or decompressed per step */

typedef struct pl_source pl_source;

struct pl_source {
    char *win;          /* the window: bytes from a record start, not yet consumed */
    size_t wlen, wcap;
    uint64_t wbase;     /* stream offset of win[0] */
    uint64_t bytes_in;  /* taken from the input, compressed: S3 BytesScanned */
    uint64_t bytes_out; /* after decompression: S3 BytesProcessed */
    const char *codec;  /* the codec's name, "" before detection */
    pluck_error err;    /* the source's own failure (read, codec, memory) */
    uint64_t max_window; /* handed to each codec: pl_codec_set_max_window() (0: defaults) */
    /* gzip: the decode reports the places of an index to it (pluck_run_build_index); NULL:
     * no index is built */
    struct pl_gzrec *gzrec;

    /* the consumer: scan the window and drop what it used (pl_source_drop); tick after each
     * read.  Both return PLUCK_OK to go on, else PLUCK_STOP or the run's error. */
    pluck_code (*scan)(void *ctx, pl_source *s, bool final);
    pluck_code (*tick)(void *ctx, pl_source *s);
    void *ctx;
};

/* An empty window with a buffer (it is never NULL: pointer arithmetic and memcpy on NULL are
 * undefined, even for 0 bytes, F21 in tests/HARDENING.md).  False on out of memory. */
bool pl_source_init(pl_source *s);
void pl_source_free(pl_source *s);
/* Room for n more bytes at the end of the window: PLUCK_OK or OutOfMemory (in s->err). */
pluck_code pl_source_reserve(pl_source *s, size_t n);
/* The consumer used the first n bytes of the window: slide the rest to the front. */
void pl_source_drop(pl_source *s, size_t n);
/* Fail the source with a message; returns code. */
pluck_code pl_source_fail(pl_source *s, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);

/* ---- push.c: pushed buffers through a codec ------------------------------------------- */
#define PL_STEP_BYTES (1u << 20) /* decompressed bytes per pl_push_step() */

typedef struct pl_push {
    pl_compression kind; /* as asked: AUTO detects from the first bytes */
    pl_codec *codec;
    unsigned char sniff[16];
    size_t nsniff;
    size_t step_left;    /* pl_push_step(): bytes it may still decompress (else SIZE_MAX) */
    bool step_more;      /* ... it stopped at the bound: the codec may hold more output */
    bool input_ended;    /* pl_codec_end_input() was called */
    bool indexing;       /* a gzip codec reporting to the source's gzrec */
} pl_push;

/* Decode data[0, len) into the window, scanning after each step.  On a codec error what
 * decoded cleanly before it is scanned first.  Returns PLUCK_OK, or the consumer's code, or
 * the source's error (in s->err). */
pluck_code pl_push_feed(pl_push *p, pl_source *s, const void *data, size_t len);
/* A bounded pl_push_feed() for servers and event loops (pluck_run_feed_step): takes bytes
 * from data and returns once about PL_STEP_BYTES were decompressed, whatever the ratio.
 * *used: bytes taken; *more: it stopped at the bound (call again with the rest, or none).
 * With end, no input follows: the codec's last output also comes out in bounded calls. */
pluck_code pl_push_step(pl_push *p, pl_source *s, const void *data, size_t len, bool end,
                        size_t *used, bool *more);
/* End of input: drain the codec, check the stream's end, scan the rest as final. */
pluck_code pl_push_finish(pl_push *p, pl_source *s);
void pl_push_free(pl_push *p);

/* ---- plain.c: plain bytes read straight into the window -------------------------------- */
/* Read up to one chunk and scan it; *eof at the end of input. */
pluck_code pl_plain_step(pl_source *s, pluck_read_fn read, void *opaque, bool *eof);

/* ---- pipe.c: a decompression thread (see pipe.h) --------------------------------------- */
/* Read the rest of the input (its first n0 bytes, already read, in prefix) of compression
 * kind on a second thread, scanning here (live: see pl_pipe_start).  Returns like
 * pl_push_feed. */
pluck_code pl_pipe_drive(pl_source *s, pl_compression kind, const void *prefix, size_t n0,
                         pluck_read_fn read, void *opaque, bool live);

#endif /* PL_SOURCE_H */

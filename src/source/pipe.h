/*
 * pipe.h — decompression on its own thread (the producer; pl_pipe_drive in source.h takes
 * its chunks into the window).  A producer thread reads the input, detects the compression,
 * decompresses, and hands fixed-size chunks of plain bytes through a bounded
 * ring to the scanning thread, so both cores work at once.  Used by pluck_run_read() /
 * pluck_run_fd() when the query's `threads` parameter is 2 or more; the push API and
 * threads = 1 stay single-threaded with identical results.
 */
#ifndef PL_PIPE_H
#define PL_PIPE_H

#include "codec/codec.h"

typedef struct pl_pipe pl_pipe;
struct pl_gzrec; /* source/gzindex.h */

/* Start the producer for input of compression `kind` (not AUTO) whose first `n` bytes the
 * caller already read into `prefix` (at most 64 KiB; copied).  `live`: hand over what each
 * read decoded before the next read (which may block on a slow stream) instead of only full
 * chunks (pluck_run_set_live).  `max_window`: pl_codec_set_max_window().  `gzrec`: a gzip
 * decode reports an index's places to it (pl_gzrec_attach), and pl_gzrec_done once it ended
 * cleanly, both on the producer thread: read it after pl_pipe_stop.  NULL on out of memory or
 * when no thread can be started. */
pl_pipe *pl_pipe_start(pl_compression kind, const void *prefix, size_t n, pluck_read_fn read,
                       void *opaque, bool live, uint64_t max_window, struct pl_gzrec *gzrec);

/* Next chunk of decompressed bytes, blocking until one is ready.  *len == 0 means the input
 * ended cleanly.  Returns PLUCK_OK or the producer's error (message in pl_pipe_message).
 * The chunk stays valid until pl_pipe_release(). */
pluck_code pl_pipe_next(pl_pipe *p, const unsigned char **data, size_t *len);
void pl_pipe_release(pl_pipe *p);

uint64_t pl_pipe_bytes_in(pl_pipe *p);      /* compressed bytes read so far */
const char *pl_pipe_codec_name(pl_pipe *p); /* "" until detected */
const char *pl_pipe_message(pl_pipe *p);

/* Stop the producer (it finishes at most the read it is blocked in), join and free.
 * Returns the compressed bytes read in all. */
uint64_t pl_pipe_stop(pl_pipe *p); /* accepts NULL */

#endif /* PL_PIPE_H */

/*
 * s3src.h — s3://bucket/key sources for the pluck filter (see s3src.c).
 */
#ifndef PL_S3SRC_H
#define PL_S3SRC_H

#include <stddef.h>
#include <stdint.h>

typedef struct pl_s3src pl_s3src;

int pl_s3src_is_url(const char *path); /* 1 for "s3://..." */
/* Open the object for streaming: on failure prints "PROG: URL: why" and returns NULL.
 * endpoint: --endpoint-url, or NULL for AWS_ENDPOINT_URL / AWS's own. */
pl_s3src *pl_s3src_open(const char *url, const char *endpoint, const char *prog);
uint64_t pl_s3src_size(const pl_s3src *s); /* Content-Length, 0 when unknown */
/* A pluck_read_fn over the object. */
ptrdiff_t pl_s3src_read(void *opaque, void *buf, size_t cap);
/* What made the last read fail ("" when none). */
const char *pl_s3src_error(const pl_s3src *s);
void pl_s3src_close(pl_s3src *s); /* accepts NULL */

/* The arguments with each s3://BUCKET/PREFIX/ replaced by the s3://BUCKET/KEY of every object
 * under it (key order; zero-byte keys ending in '/' skipped); others are copied.  0 with a
 * malloc'ed list in *out, or -1 after printing why (an empty prefix is an error). */
int pl_s3src_expand(char **args, int n, const char *endpoint, const char *prog, char ***out,
                    int *nout);
void pl_s3src_free_list(char **list, int n);

#endif

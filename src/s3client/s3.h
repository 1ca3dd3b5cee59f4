/*
 * s3.h — a small S3 client: SigV4-signed GET and HEAD requests, streamed.
 *
 * Used by the `pluck` filter (s3://bucket/key sources, src/cli/s3src.c) and by
 * `pluck serve --upstream` (src/server/upstream.c).  Compiled into those two executables only:
 * libpluck stays free of libcurl and libcrypto.  Requests are signed by the same SigV4 code
 * that verifies them in the server (server/sigv4.c, pl_sigv4_sign()).
 *
 * A GET is read like a file: pl_s3_read() pulls the next bytes of the body through libcurl's
 * multi interface, pausing the transfer while the caller is busy, so at most one receive
 * buffer of the object is in memory, whatever its size.  Addressing is path style
 * (ENDPOINT/bucket/key), which every S3-compatible store accepts.
 */
#ifndef PL_S3_H
#define PL_S3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/sigv4.h"

typedef struct pl_s3cfg {
    char scheme[8];     /* "http" or "https" */
    char host[300];     /* host[:port] as sent in the Host header */
    char endpoint[320]; /* scheme://host[:port] */
    char region[64];
    const char *akid, *secret, *token; /* NULL akid: unsigned requests */
} pl_s3cfg;

/* Parse "http[s]://host[:port][/]" into cfg (credentials untouched).  0, or -1 with a reason
 * in why. */
int pl_s3cfg_endpoint(pl_s3cfg *cfg, const char *url, char *why, size_t cap);

/* An S3 error: the HTTP status (0 when the store could not be reached), the S3 code and a
 * message that names the store. */
typedef struct pl_s3err {
    int status;
    char code[64];
    char message[400];
} pl_s3err;

typedef struct pl_s3get pl_s3get;

/* What a request carries beyond the object: a byte range, the query and extra headers
 * to forward (gateway), a HEAD instead of a GET. */
typedef struct pl_s3req {
    const char *method;      /* "GET" (default) or "HEAD" */
    const char *bucket;      /* decoded; NULL for the service (ListBuckets) */
    const char *key;         /* decoded; NULL for a bucket request */
    const pl_kv *query;      /* decoded names and values */
    size_t nquery;
    const pl_kv *headers;    /* extra headers sent as given (not signed) */
    size_t nheaders;
    uint64_t range_start;    /* with has_range: bytes=range_start-range_end (inclusive) */
    uint64_t range_end;      /* UINT64_MAX: to the end */
    int has_range;
    int keep_errors;         /* deliver a >= 300 answer's body through pl_s3_read instead of
                                failing pl_s3_open with it (the gateway forwards it) */
} pl_s3req;

/* Send the request and wait for the response headers.  On a 2xx answer (or any answer with
 * keep_errors) returns the open transfer; otherwise NULL with *err filled from the store's
 * XML error body (or the transport failure). */
pl_s3get *pl_s3_open(const pl_s3cfg *cfg, const pl_s3req *rq, pl_s3err *err);
/* Next body bytes: > 0 bytes, 0 at the end, -1 on error (then *err says why). */
ptrdiff_t pl_s3_read(pl_s3get *g, void *buf, size_t cap, pl_s3err *err);
void pl_s3_close(pl_s3get *g); /* accepts NULL; aborts an unfinished transfer */

int pl_s3_status(const pl_s3get *g);
/* The body's length (Content-Length) or -1; the whole object's size (the total of
 * Content-Range, else Content-Length of a 200 answer) or -1. */
int64_t pl_s3_content_length(const pl_s3get *g);
int64_t pl_s3_object_size(const pl_s3get *g);
/* Response headers as received (name, value), for forwarding. */
const pl_kv *pl_s3_headers(const pl_s3get *g, size_t *n);

/* ListObjectsV2 of bucket under prefix (all keys below it, in key order), page by page:
 * fn gets each key (decoded) and its size; returning non-zero stops the listing.  0, or -1
 * with *err filled. */
typedef int (*pl_s3_key_fn)(void *ctx, const char *key, uint64_t size);
int pl_s3_list(const pl_s3cfg *cfg, const char *bucket, const char *prefix, pl_s3_key_fn fn,
               void *ctx, pl_s3err *err);

/* Once per process, before threads start (curl_global_init). */
int pl_s3_global_init(void);

#endif

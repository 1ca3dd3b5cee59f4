/*
 * s3int.h — inside the S3 client (src/s3client/): the request signer.
 */
#ifndef PL_S3INT_H
#define PL_S3INT_H

#include <stdint.h>
#include <time.h>

#include "s3client/s3.h"

typedef struct pl_s3sig {
    char date[20];    /* x-amz-date */
    char payload[72]; /* x-amz-content-sha256 */
    char auth[768];   /* Authorization; empty for anonymous requests */
} pl_s3sig;

/* Sign method + decoded path + decoded query at time now.  0, or -1 (out of memory). */
int pl_s3_sign(const pl_s3cfg *cfg, const char *method, const char *path, const pl_kv *q,
               size_t nq, time_t now, pl_s3sig *out);

#endif

/*
 * gzidx.h — checkpoint indexes of gzip objects kept by pluck serve (gzidx.c).
 */
#ifndef PL_GZIDX_H
#define PL_GZIDX_H

#include "pluck.h"

/* The index of the single-member gzip object bucket/key open on objfd: 1 with *out (valid
 * for this object), 0 when it cannot be indexed (a marker says so: one split), -1 when
 * there is none yet: then a build is started in the background unless one is running, and
 * the request is to be answered 503 SlowDown. */
int pl_gzidx_get(int rootfd, const char *bucket, const char *key, int objfd, pluck_index **out);

#endif /* PL_GZIDX_H */

/*
 * gzidx.h — checkpoint indexes of gzip objects kept by pluck serve (gzidx.c): built in the
 * background after a write or on first use, removed with their object, never stale.
 */
#ifndef PL_GZIDX_H
#define PL_GZIDX_H

#include "pluck.h"

/* At start (after pl_clean_tmp): keep a descriptor of the root for the builders and remove
 * what a crash left under ROOT/.pluck-indexes (index files of objects that are gone or
 * changed, directories of buckets that are gone). */
void pl_gzidx_start(int rootfd);

/* At shutdown: drop the queue, make running builds stop and publish nothing, and wait for
 * them (at most 2 s: the library's builder cannot be interrupted). */
void pl_gzidx_stop(void);

/* The index of the single-member gzip object bucket/key open on objfd: 1 with *out (valid
 * for this very object), 0 when it is one split (a marker for this very object says so),
 * -1 when there is none yet: then its build is queued unless it is queued or running, and
 * the request is to be answered 503 SlowDown. */
int pl_gzidx_get(int rootfd, const char *bucket, const char *key, int objfd, pluck_index **out);

/* The object bucket/key was just replaced (PutObject, CopyObject, CompleteMultipartUpload
 * published it): its old index or marker is removed, a build of the old bytes still running
 * publishes nothing, and a gzip object's build is queued.  Never waits for a build. */
void pl_gzidx_written(int rootfd, const char *bucket, const char *key);

/* The object bucket/key was deleted (or never existed): its index or marker is removed and
 * no build of it publishes one. */
void pl_gzidx_forget(int rootfd, const char *bucket, const char *key);

/* The bucket was deleted: every index and marker of its objects is removed. */
void pl_gzidx_forget_bucket(int rootfd, const char *bucket);

#endif /* PL_GZIDX_H */

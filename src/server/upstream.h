/*
 * upstream.h — `pluck serve --upstream URL`: SelectObjectContent in front of another
 * S3-compatible store (see upstream.c and man/pluck-serve.1).
 */
#ifndef PL_UPSTREAM_H
#define PL_UPSTREAM_H

#include <stddef.h>

#include "server/objsrc.h"
#include "server/srv.h"

/* From the command line: the store's URL and region; credentials come from
 * PLUCK_UPSTREAM_ACCESS_KEY_ID / PLUCK_UPSTREAM_SECRET_ACCESS_KEY (/ _SESSION_TOKEN), else
 * the AWS_* variables.  0, or -1 with a reason in why. */
int pl_upstream_configure(pl_server *s, const char *url, const char *region, char *why,
                          size_t cap);
const char *pl_upstream_endpoint(const pl_server *s);
int pl_upstream_signed(const pl_server *s); /* 1 when requests to the store are signed */

/* The object bucket/key in the store, for select.c; NULL with the S3 error to answer. */
pl_objsrc *pl_upstream_object(pl_server *s, const char *bucket, const char *key, int *status,
                              char code[64], char *msg, size_t cap);

/* Every request but SelectObjectContent: GET and HEAD are forwarded to the store (signed
 * with pluck's upstream credentials) and its answer streamed back; others get 501. */
enum MHD_Result pl_upstream_forward(pl_req *r);

#endif

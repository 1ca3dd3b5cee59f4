/*
 * sigv4.h — AWS Signature Version 4 verification for `pluck serve`.
 *
 * Both forms S3 accepts: the Authorization header ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") and presigned URLs (X-Amz-Algorithm ... X-Amz-Signature
 * in the query).  The canonical request is rebuilt from the *decoded* path and query,
 * re-encoded with AWS's UriEncode, so clients that escape differently still agree with us.
 * The payload hash the client declared (x-amz-content-sha256) is returned to the caller, who
 * checks it against the body it reads; aws-chunked uploads
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) verify each chunk with pl_auth_chunk().
 */
#ifndef PL_SIGV4_H
#define PL_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/sbuf.h"

typedef struct pl_kv {
    char *name;
    char *value;
} pl_kv;

enum { PL_AUTH_ANON = 0, PL_AUTH_HEADER, PL_AUTH_PRESIGNED };

#define PL_CLOCK_SKEW (15 * 60) /* seconds, as S3 */

typedef struct pl_auth_in {
    const char *method;
    const char *path; /* decoded, starting with '/' */
    const pl_kv *query;
    size_t nquery; /* decoded names and values */
    const pl_kv *headers;
    size_t nheaders; /* names as received (matched case-insensitively) */
    time_t now;
    const char *akid, *secret; /* NULL when the server has no credentials */
    int anonymous_ok;
} pl_auth_in;

typedef struct pl_auth {
    int kind;
    char payload_hash[72]; /* hex SHA-256, UNSIGNED-PAYLOAD or STREAMING-... */
    unsigned char key[32]; /* signing key, for chunk signatures */
    char amz_date[20];
    char scope[160];
    char prev_sig[72];
} pl_auth;

typedef struct pl_auth_err {
    int status;
    const char *code;
    char message[256];
} pl_auth_err;

/* 0 when the request may proceed (signed correctly, or unsigned with anonymous_ok), else
 * -1 with *err filled with the S3 status, code and message. */
int pl_auth_check(const pl_auth_in *in, pl_auth *out, pl_auth_err *err);
/* Verify one aws-chunked chunk signature (hex) over the chunk's SHA-256; advances the chain.
 * Returns 0 when it matches. */
int pl_auth_chunk(pl_auth *a, const unsigned char sha256[32], const char *sig, size_t siglen);

/* Case-insensitive header lookup; multiple values are joined with ','. Returns a malloc'ed
 * string or NULL. */
char *pl_header_join(const pl_kv *h, size_t n, const char *name);

/* AWS UriEncode of s (n bytes); keep_slash keeps '/'. Returns malloc'ed text or NULL. */
char *pl_uri_encode(const char *s, size_t n, int keep_slash);
/* Percent-decode s (n bytes) into a malloc'ed NUL-terminated string; *outlen gets the decoded
 * length (which may contain NUL bytes, which callers reject).  NULL on a malformed escape. */
char *pl_uri_decode(const char *s, size_t n, size_t *outlen);

/* The signing primitives on their own (for a client that signs as well as for the checks
 * above).  The canonical request of (method, decoded path, decoded query, the headers named
 * in signed_headers, payload_hash) is appended to *cr; skip_signature leaves X-Amz-Signature
 * out of the query (presigned).  0, -1 out of memory, -2 a bad signed_headers list. */
int pl_sigv4_canonical_request(pl_sbuf *cr, const char *method, const char *path,
                               const pl_kv *query, size_t nquery, int skip_signature,
                               const pl_kv *headers, size_t nheaders, const char *signed_headers,
                               const char *payload_hash);
/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex SHA-256 of the canonical request>" into out. */
void pl_sigv4_string_to_sign(const void *canonical, size_t len, const char *amz_date,
                             const char *scope, char *out, size_t cap);
/* The signing key for (date yyyyMMdd, region, service, "aws4_request"); secrets of any
 * length. */
void pl_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, unsigned char key[32]);

void pl_hex(const unsigned char *in, size_t n, char *out); /* out gets 2n+1 bytes */
void pl_sha256(const void *data, size_t n, unsigned char out[32]);
void pl_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[32]);

#endif

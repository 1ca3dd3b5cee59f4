/*
 * sigv4.h — AWS Signature Version 4 for `pluck serve` (verification) and its S3 clients (signing).
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

/* The one SigV4 signature computation: the verifier above and the client signer
 * (src/s3client/sign.c, used by the CLI and `pluck serve --upstream`) both call it.  path and
 * query are decoded (they are UriEncoded here); signed_headers is the ';'-separated lower-case
 * list, each looked up in headers; the scope is <amz_date's day>/region/service/aws4_request. */
typedef struct pl_sigv4_req {
    const char *method;
    const char *path;
    const pl_kv *query;
    size_t nquery;
    int skip_signature; /* leave X-Amz-Signature out of the canonical query (presigned) */
    const pl_kv *headers;
    size_t nheaders;
    const char *signed_headers;
    const char *payload_hash;
    const char *amz_date; /* yyyyMMddTHHmmssZ */
    const char *region, *service;
} pl_sigv4_req;

enum { PL_SIGV4_OOM = -1, PL_SIGV4_BAD_HEADERS = -2 };

/* Fills sighex (64 hex digits) and the signing key; 0, PL_SIGV4_OOM or PL_SIGV4_BAD_HEADERS. */
int pl_sigv4_sign(const pl_sigv4_req *rq, const char *secret, char sighex[65],
                  unsigned char key[32]);

/* Case-insensitive header lookup; multiple values are joined with ','. Returns a malloc'ed
 * string or NULL. */
char *pl_header_join(const pl_kv *h, size_t n, const char *name);

/* AWS UriEncode of s (n bytes); keep_slash keeps '/'. Returns malloc'ed text or NULL. */
char *pl_uri_encode(const char *s, size_t n, int keep_slash);
/* Percent-decode s (n bytes) into a malloc'ed NUL-terminated string; *outlen gets the decoded
 * length (which may contain NUL bytes, which callers reject).  NULL on a malformed escape. */
char *pl_uri_decode(const char *s, size_t n, size_t *outlen);

void pl_hex(const unsigned char *in, size_t n, char *out); /* out gets 2n+1 bytes */
void pl_sha256(const void *data, size_t n, unsigned char out[32]);
void pl_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[32]);

#endif

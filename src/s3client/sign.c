/*
 * sign.c — SigV4 signing of the S3 client's requests (see s3.h).
 *
 * The signature itself is server/sigv4.c's pl_sigv4_sign(), the function the server verifies
 * with: one implementation signs and verifies.  This file only chooses what is signed: the
 * Host header, x-amz-content-sha256 (the hash of the empty body: the client sends none),
 * x-amz-date and, with temporary credentials, x-amz-security-token; AWS requires every x-amz-*
 * header a request carries to be signed.
 */
#include "s3client/s3int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int pl_s3_sign(const pl_s3cfg *cfg, const char *method, const char *path, const pl_kv *q,
               size_t nq, time_t now, pl_s3sig *out)
{
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out->date, sizeof out->date, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out->payload, sizeof out->payload, "%s", EMPTY_SHA256);
    out->auth[0] = 0;
    if (!cfg->akid)
        return 0; /* anonymous */
    pl_kv h[4] = {{"host", (char *)(uintptr_t)cfg->host},
                  {"x-amz-content-sha256", out->payload},
                  {"x-amz-date", out->date},
                  {"x-amz-security-token", (char *)(uintptr_t)(cfg->token ? cfg->token : "")}};
    const char *signed_headers = cfg->token ? "host;x-amz-content-sha256;x-amz-date;"
                                              "x-amz-security-token"
                                            : "host;x-amz-content-sha256;x-amz-date";
    pl_sigv4_req rq = {.method = method,
                       .path = path,
                       .query = q,
                       .nquery = nq,
                       .headers = h,
                       .nheaders = cfg->token ? 4 : 3,
                       .signed_headers = signed_headers,
                       .payload_hash = out->payload,
                       .amz_date = out->date,
                       .region = cfg->region,
                       .service = "s3"};
    char sig[65];
    unsigned char key[32];
    if (pl_sigv4_sign(&rq, cfg->secret ? cfg->secret : "", sig, key))
        return -1;
    int n = snprintf(out->auth, sizeof out->auth,
                     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/s3/aws4_request, SignedHeaders=%s, "
                     "Signature=%s",
                     cfg->akid, out->date, cfg->region, signed_headers, sig);
    memset(key, 0, sizeof key);
    return n > 0 && (size_t)n < sizeof out->auth ? 0 : -1;
}

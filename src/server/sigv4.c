/*
 * sigv4.c — AWS Signature Version 4 verification (see sigv4.h).
 *
 * References: the SigV4 specification (canonical request, string to sign, signing key) and
 * the S3 specifics: the payload hash is the x-amz-content-sha256 header and is used as is,
 * the path is not normalised, presigned URLs sign "UNSIGNED-PAYLOAD".
 */
#include "server/sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/sbuf.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void pl_hex(const unsigned char *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

void pl_sha256(const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    EVP_Digest(data, n, out, &len, EVP_sha256(), NULL);
}

void pl_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

char *pl_uri_encode(const char *s, size_t n, int keep_slash)
{
    static const char d[] = "0123456789ABCDEF";
    char *o = malloc(3 * n + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = d[c >> 4];
            *p++ = d[c & 15];
        }
    }
    *p = 0;
    return o;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *pl_uri_decode(const char *s, size_t n, size_t *outlen)
{
    char *o = malloc(n + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                free(o);
                return NULL;
            }
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) {
                free(o);
                return NULL;
            }
            *p++ = (char)(h * 16 + l);
            i += 2;
        } else {
            *p++ = s[i];
        }
    }
    *p = 0;
    if (outlen)
        *outlen = (size_t)(p - o);
    return o;
}

char *pl_header_join(const pl_kv *h, size_t n, const char *name)
{
    pl_sbuf b = {0};
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name))
            continue;
        if (found && pl_sbuf_adds(&b, ","))
            goto oom;
        if (pl_sbuf_adds(&b, h[i].value ? h[i].value : ""))
            goto oom;
        found = 1;
    }
    if (!found)
        return NULL;
    return pl_sbuf_take(&b);
oom:
    pl_sbuf_free(&b);
    return NULL;
}

static int fail(pl_auth_err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(pl_auth_err *e, int status, const char *code, const char *fmt, ...)
{
    e->status = status;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Trim and collapse runs of spaces, as the canonical header value wants. */
static int add_canon_value(pl_sbuf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            space = 1;
            continue;
        }
        if (space && pl_sbuf_add(b, " ", 1))
            return -1;
        space = 0;
        if (pl_sbuf_add(b, v + i, 1))
            return -1;
    }
    return 0;
}

typedef struct enc_pair {
    char *n, *v;
} enc_pair;

static int cmp_pair(const void *a, const void *b)
{
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->n, y->n);
    return c ? c : strcmp(x->v, y->v);
}

static int canonical_query(pl_sbuf *b, const pl_kv *q, size_t n, int skip_signature)
{
    enc_pair *pp = calloc(n ? n : 1, sizeof *pp);
    size_t m = 0;
    int rc = -1;
    if (!pp)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (skip_signature && !strcmp(q[i].name, "X-Amz-Signature"))
            continue;
        pp[m].n = pl_uri_encode(q[i].name, strlen(q[i].name), 0);
        pp[m].v = pl_uri_encode(q[i].value, strlen(q[i].value), 0);
        m++;
        if (!pp[m - 1].n || !pp[m - 1].v)
            goto out;
    }
    qsort(pp, m, sizeof *pp, cmp_pair);
    for (size_t i = 0; i < m; i++)
        if (pl_sbuf_printf(b, "%s%s=%s", i ? "&" : "", pp[i].n, pp[i].v))
            goto out;
    rc = 0;
out:
    for (size_t i = 0; i < m; i++) {
        free(pp[i].n);
        free(pp[i].v);
    }
    free(pp);
    return rc;
}

static const char *query_get(const pl_auth_in *in, const char *name)
{
    for (size_t i = 0; i < in->nquery; i++)
        if (!strcmp(in->query[i].name, name))
            return in->query[i].value;
    return NULL;
}

/* "20130524T000000Z" -> time; -1 when malformed. */
static time_t parse_amz_date(const char *s)
{
    struct tm tm = {0};
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return -1;
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
    tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
    tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    return timegm(&tm);
}

typedef struct sig_parts {
    char akid[128], date[16], region[64], service[32], term[32];
    char signed_headers[1024];
    char signature[72];
} sig_parts;

/* "AKID/20130524/us-east-1/s3/aws4_request" */
static int parse_credential(const char *c, size_t n, sig_parts *p)
{
    char tmp[512];
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, c, n);
    tmp[n] = 0;
    char *f[5];
    char *s = tmp;
    for (int i = 0; i < 5; i++) {
        f[i] = s;
        char *sl = i < 4 ? strchr(s, '/') : NULL;
        if (i < 4 && !sl)
            return -1;
        if (sl) {
            *sl = 0;
            s = sl + 1;
        }
    }
    if (strchr(f[4], '/') || strlen(f[0]) >= sizeof p->akid || strlen(f[1]) != 8 ||
        strlen(f[2]) >= sizeof p->region || strlen(f[3]) >= sizeof p->service ||
        strlen(f[4]) >= sizeof p->term || !*f[0])
        return -1;
    strcpy(p->akid, f[0]);
    strcpy(p->date, f[1]);
    strcpy(p->region, f[2]);
    strcpy(p->service, f[3]);
    strcpy(p->term, f[4]);
    return 0;
}

static int copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* Parse the Authorization header value after "AWS4-HMAC-SHA256 ". */
static int parse_authorization(const char *v, sig_parts *p)
{
    int have = 0;
    while (*v) {
        while (*v == ' ' || *v == ',')
            v++;
        if (!*v)
            break;
        const char *eq = strchr(v, '=');
        if (!eq)
            return -1;
        const char *end = eq + 1;
        while (*end && *end != ',')
            end++;
        size_t kl = (size_t)(eq - v), vl = (size_t)(end - eq - 1);
        while (vl && eq[vl] == ' ')
            vl--;
        if (kl == 10 && !strncmp(v, "Credential", 10)) {
            if (parse_credential(eq + 1, vl, p))
                return -1;
            have |= 1;
        } else if (kl == 13 && !strncmp(v, "SignedHeaders", 13)) {
            if (copy_field(p->signed_headers, sizeof p->signed_headers, eq + 1, vl))
                return -1;
            have |= 2;
        } else if (kl == 9 && !strncmp(v, "Signature", 9)) {
            if (copy_field(p->signature, sizeof p->signature, eq + 1, vl))
                return -1;
            have |= 4;
        }
        v = end;
    }
    return have == 7 ? 0 : -1;
}

static void signing_key(const char *secret, const char *date, const char *region,
                        const char *service, unsigned char key[32])
{
    /* kSecret = "AWS4" + secret, of any length (a fixed buffer once cut secrets at 295) */
    size_t sl = strlen(secret);
    unsigned char a[32], b[32];
    unsigned char *k0 = malloc(sl + 5);
    if (!k0) { /* an all-zero key never matches a signature */
        memset(key, 0, 32);
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl);
    pl_hmac_sha256(k0, sl + 4, date, strlen(date), a);
    OPENSSL_cleanse(k0, sl + 5);
    free(k0);
    pl_hmac_sha256(a, 32, region, strlen(region), b);
    pl_hmac_sha256(b, 32, service, strlen(service), a);
    pl_hmac_sha256(a, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
}

/* Is `name` (case-insensitively) one of the ';'-separated signed header names? */
static int is_signed(const char *list, const char *name)
{
    size_t nl = strlen(name);
    while (*list) {
        size_t n = strcspn(list, ";");
        if (n == nl && !strncasecmp(list, name, n))
            return 1;
        list += n + (list[n] == ';');
    }
    return 0;
}

/* S3's rule: every x-amz-* header present must be signed (an unsigned x-amz-copy-source
 * must never turn a presigned PUT into a copy: finding 1 of issue 13), and with the
 * Authorization header also Content-Type and Content-MD5 when present.  Returns the first
 * unsigned name, or NULL. */
static const char *unsigned_header(const pl_auth_in *in, const char *signed_headers, int presigned)
{
    for (size_t i = 0; i < in->nheaders; i++) {
        const char *n = in->headers[i].name;
        int must = !strncasecmp(n, "x-amz-", 6) ||
                   (!presigned && (!strcasecmp(n, "content-type") || !strcasecmp(n, "content-md5")));
        if (must && !is_signed(signed_headers, n))
            return n;
    }
    return NULL;
}

static size_t count_header(const pl_auth_in *in, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < in->nheaders; i++)
        c += !strcasecmp(in->headers[i].name, name);
    return c;
}

static size_t count_query(const pl_auth_in *in, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < in->nquery; i++)
        c += !strcmp(in->query[i].name, name);
    return c;
}

int pl_sigv4_sign(const pl_sigv4_req *rq, const char *secret, char sighex[65],
                  unsigned char key[32])
{
    pl_sbuf cr = {0};
    int rc = PL_SIGV4_OOM;
    char *uri = pl_uri_encode(rq->path, strlen(rq->path), 1);
    if (!uri || pl_sbuf_printf(&cr, "%s\n%s\n", rq->method, uri) ||
        canonical_query(&cr, rq->query, rq->nquery, rq->skip_signature) ||
        pl_sbuf_adds(&cr, "\n"))
        goto out;
    const char *s = rq->signed_headers;
    while (*s) {
        size_t n = strcspn(s, ";");
        char name[128];
        if (n == 0 || n >= sizeof name) {
            rc = PL_SIGV4_BAD_HEADERS;
            goto out;
        }
        memcpy(name, s, n);
        name[n] = 0;
        char *v = pl_header_join(rq->headers, rq->nheaders, name);
        if (pl_sbuf_printf(&cr, "%s:", name) || add_canon_value(&cr, v ? v : "") ||
            pl_sbuf_adds(&cr, "\n")) {
            free(v);
            goto out;
        }
        free(v);
        s += n + (s[n] == ';');
    }
    if (pl_sbuf_printf(&cr, "\n%s\n%s", rq->signed_headers, rq->payload_hash))
        goto out;
    unsigned char h[32];
    char hh[65], sts[512];
    pl_sha256(cr.data, cr.len, h);
    pl_hex(h, 32, hh);
    char day[9];
    snprintf(day, sizeof day, "%s", rq->amz_date); /* the scope's date: yyyyMMdd */
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", rq->amz_date,
             day, rq->region, rq->service, hh);
    signing_key(secret, day, rq->region, rq->service, key);
    unsigned char sig[32];
    pl_hmac_sha256(key, 32, sts, strlen(sts), sig);
    pl_hex(sig, 32, sighex);
    rc = 0;
out:
    free(uri);
    pl_sbuf_free(&cr);
    return rc;
}

int pl_auth_check(const pl_auth_in *in, pl_auth *out, pl_auth_err *err)
{
    memset(out, 0, sizeof *out);
    char *authz = pl_header_join(in->headers, in->nheaders, "authorization");
    const char *qalg = query_get(in, "X-Amz-Algorithm");
    sig_parts p;
    memset(&p, 0, sizeof p);
    const char *amz_date = NULL;
    char *hdr_date = NULL, *content_sha = NULL;
    int rc = -1;
    if (count_header(in, "authorization") > 1) {
        fail(err, 400, "InvalidArgument", "Only one Authorization header is allowed.");
        goto out;
    }
    static const char *const qauth[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                        "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires",
                                        "X-Amz-Security-Token"};
    for (size_t i = 0; i < sizeof qauth / sizeof *qauth; i++)
        if (count_query(in, qauth[i]) > 1) {
            fail(err, 400, "AuthorizationQueryParametersError",
                 "The query parameter %s is given more than once.", qauth[i]);
            goto out;
        }
    if (!authz && !qalg && query_get(in, "AWSAccessKeyId") && query_get(in, "Signature")) {
        return fail(err, 400, "InvalidRequest",
                    "The authorization mechanism you have provided (Signature Version 2) is not "
                    "supported. Please use AWS4-HMAC-SHA256.");
    }
    if (!authz && !qalg) {
        out->kind = PL_AUTH_ANON;
        strcpy(out->payload_hash, "UNSIGNED-PAYLOAD");
        content_sha = pl_header_join(in->headers, in->nheaders, "x-amz-content-sha256");
        if (content_sha && strlen(content_sha) < sizeof out->payload_hash)
            strcpy(out->payload_hash, content_sha);
        free(content_sha);
        if (in->anonymous_ok)
            return 0;
        return fail(err, 403, "AccessDenied",
                    "Access Denied: the request is not signed (AWS Signature Version 4 is "
                    "required; start the server with --anonymous to allow unsigned requests).");
    }
    if (authz && qalg) {
        fail(err, 400, "InvalidArgument",
             "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
             "Authorization header should be specified.");
        goto out;
    }
    if (!in->akid || !in->secret) {
        /* --anonymous without credentials: signatures cannot be checked; treat as anonymous */
        out->kind = PL_AUTH_ANON;
        content_sha = pl_header_join(in->headers, in->nheaders, "x-amz-content-sha256");
        snprintf(out->payload_hash, sizeof out->payload_hash, "%s",
                 content_sha && !qalg ? content_sha : "UNSIGNED-PAYLOAD");
        rc = 0;
        goto out;
    }
    time_t t;
    if (authz) {
        out->kind = PL_AUTH_HEADER;
        if (strncmp(authz, "AWS4-HMAC-SHA256 ", 17)) {
            fail(err, 400, "InvalidRequest",
                 "The authorization mechanism you have provided is not supported. Please use "
                 "AWS4-HMAC-SHA256.");
            goto out;
        }
        if (parse_authorization(authz + 17, &p)) {
            fail(err, 400, "AuthorizationHeaderMalformed",
                 "The authorization header is malformed; expected Credential, SignedHeaders and "
                 "Signature.");
            goto out;
        }
        hdr_date = pl_header_join(in->headers, in->nheaders, "x-amz-date");
        amz_date = hdr_date;
        if (!amz_date || (t = parse_amz_date(amz_date)) < 0) {
            fail(err, 403, "AccessDenied",
                 "AWS authentication requires a valid x-amz-date header (yyyyMMddTHHmmssZ).");
            goto out;
        }
        content_sha = pl_header_join(in->headers, in->nheaders, "x-amz-content-sha256");
        if (!content_sha) {
            fail(err, 400, "InvalidRequest",
                 "Missing required header for this request: x-amz-content-sha256");
            goto out;
        }
        if (strlen(content_sha) >= sizeof out->payload_hash) {
            fail(err, 400, "InvalidArgument", "x-amz-content-sha256 is too long.");
            goto out;
        }
        strcpy(out->payload_hash, content_sha);
        if (in->now - t > PL_CLOCK_SKEW || t - in->now > PL_CLOCK_SKEW) {
            fail(err, 403, "RequestTimeTooSkewed",
                 "The difference between the request time (%s) and the server's time is larger "
                 "than the maximum allowed (15 minutes).",
                 amz_date);
            goto out;
        }
    } else {
        out->kind = PL_AUTH_PRESIGNED;
        const char *cred = query_get(in, "X-Amz-Credential");
        const char *sh = query_get(in, "X-Amz-SignedHeaders");
        const char *sig = query_get(in, "X-Amz-Signature");
        const char *exp = query_get(in, "X-Amz-Expires");
        amz_date = query_get(in, "X-Amz-Date");
        if (strcmp(qalg, "AWS4-HMAC-SHA256")) {
            fail(err, 400, "AuthorizationQueryParametersError",
                 "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
            goto out;
        }
        if (!cred || !sh || !sig || !exp || !amz_date || parse_credential(cred, strlen(cred), &p) ||
            copy_field(p.signed_headers, sizeof p.signed_headers, sh, strlen(sh)) ||
            copy_field(p.signature, sizeof p.signature, sig, strlen(sig))) {
            fail(err, 400, "AuthorizationQueryParametersError",
                 "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                 "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                 "X-Amz-Expires parameters.");
            goto out;
        }
        char *endp;
        long e = strtol(exp, &endp, 10);
        if (*endp || e < 1 || e > 604800) {
            fail(err, 400, "AuthorizationQueryParametersError",
                 "X-Amz-Expires must be between 1 and 604800 seconds.");
            goto out;
        }
        if ((t = parse_amz_date(amz_date)) < 0) {
            fail(err, 400, "AuthorizationQueryParametersError",
                 "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
            goto out;
        }
        if (t - in->now > PL_CLOCK_SKEW) {
            fail(err, 403, "AccessDenied", "Request is not valid yet");
            goto out;
        }
        if (in->now > t + e) {
            fail(err, 403, "AccessDenied", "Request has expired");
            goto out;
        }
        strcpy(out->payload_hash, "UNSIGNED-PAYLOAD");
    }
    if (strcmp(p.akid, in->akid)) {
        fail(err, 403, "InvalidAccessKeyId",
             "The AWS Access Key Id you provided does not exist in our records.");
        goto out;
    }
    if (strncmp(p.date, amz_date, 8) || strcmp(p.service, "s3") || strcmp(p.term, "aws4_request")) {
        fail(err, 400, authz ? "AuthorizationHeaderMalformed" : "AuthorizationQueryParametersError",
             "The credential scope is malformed: expected <key>/<date>/<region>/s3/aws4_request "
             "with the date of %s.",
             amz_date);
        goto out;
    }
    /* "host" must be signed, as S3 requires; so must every x-amz-* header present */
    if (!is_signed(p.signed_headers, "host")) {
        fail(err, 403, "AccessDenied", "The host header must be signed.");
        goto out;
    }
    const char *uh = unsigned_header(in, p.signed_headers, out->kind == PL_AUTH_PRESIGNED);
    if (uh) {
        fail(err, 403, "AccessDenied",
             "There were headers present in the request which were not signed: %.100s", uh);
        goto out;
    }

    snprintf(out->scope, sizeof out->scope, "%s/%s/%s/%s", p.date, p.region, p.service, p.term);
    snprintf(out->amz_date, sizeof out->amz_date, "%s", amz_date);
    pl_sigv4_req rq = {
        .method = in->method,
        .path = in->path,
        .query = in->query,
        .nquery = in->nquery,
        .skip_signature = out->kind == PL_AUTH_PRESIGNED,
        .headers = in->headers,
        .nheaders = in->nheaders,
        .signed_headers = p.signed_headers,
        .payload_hash = out->payload_hash,
        .amz_date = amz_date,
        .region = p.region,
        .service = p.service,
    };
    char sighex[65];
    int src = pl_sigv4_sign(&rq, in->secret, sighex, out->key);
    if (src == PL_SIGV4_BAD_HEADERS) {
        fail(err, 400, "AuthorizationHeaderMalformed", "Bad SignedHeaders list.");
        goto out;
    }
    if (src) {
        fail(err, 500, "InternalError", "Out of memory.");
        goto out;
    }
    if (strlen(p.signature) != 64 || CRYPTO_memcmp(sighex, p.signature, 64)) {
        fail(err, 403, "SignatureDoesNotMatch",
             "The request signature we calculated does not match the signature you provided. "
             "Check your key and signing method.");
        goto out;
    }
    strcpy(out->prev_sig, sighex);
    rc = 0;
out:
    free(authz);
    free(hdr_date);
    free(content_sha);
    return rc;
}

int pl_auth_chunk(pl_auth *a, const unsigned char sha256[32], const char *sig, size_t siglen)
{
    char hh[65], sts[512], sighex[65];
    unsigned char mac[32];
    pl_hex(sha256, 32, hh);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", a->amz_date,
             a->scope, a->prev_sig, EMPTY_SHA256, hh);
    pl_hmac_sha256(a->key, 32, sts, strlen(sts), mac);
    pl_hex(mac, 32, sighex);
    if (siglen != 64 || CRYPTO_memcmp(sighex, sig, 64))
        return -1;
    strcpy(a->prev_sig, sighex);
    return 0;
}

/*
 * fuzz_sigv4.c — request-target parsing and AWS Signature Version 4 checking of
 * `pluck serve` (src/server/serve.c parse_target, src/server/sigv4.c).
 *
 * Byte 0 chooses the mode; byte 1 the clock and the server's credentials.
 *
 * Mode 0 (raw): the rest is  METHOD \n TARGET \n (NAME: VALUE \n)*  — anything at all.  The
 *   target goes through parse_target() (percent-decoding, query splitting, bucket and key), the
 *   result and the headers through pl_auth_check(), plus pl_uri_decode/encode round trips and
 *   pl_auth_chunk() on the bytes.  Checks: no memory error; a refusal has an S3 code, a
 *   400/403/500 status and a terminated message; decode(encode(x)) == x.
 *
 * Mode 1 (round trip): the rest describes a request — method, path bytes, query parameters,
 *   extra headers, header or presigned form — which this harness signs with its own SigV4
 *   implementation (written from the AWS specification), percent-encodes into a raw target
 *   (encoding more bytes than needed, in either hex case, at random) and hands to the server
 *   code.  It must be accepted; and the same request with another method, another path or a
 *   changed signed header value must be refused with SignatureDoesNotMatch; and the same
 *   request with one unsigned x-amz-* header added (a name that chooses an operation, such
 *   as x-amz-copy-source, one that duplicates a signed header, or any x-amz- name in any
 *   case) must be refused with 403: an unsigned x-amz-* header never changes the operation
 *   or its inputs (issue 13, finding 1).
 */
#include "server/serve.c"

#include <ctype.h>

#include "fuzz_common.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 1369353600 /* 2013-05-24T00:00:00Z */

/* ---- helpers ------------------------------------------------------------------------------ */

static void free_req(pl_req *r)
{
    for (size_t i = 0; i < r->nquery; i++) {
        free(r->query[i].name);
        free(r->query[i].value);
    }
    free(r->query);
    free(r->uri);
    free(r->path);
    free(r->bucket);
    free(r->key);
    memset(r, 0, sizeof *r);
}

static void check_refusal(int rc, const pl_auth_err *e)
{
    if (rc == 0)
        return;
    FUZZ_CHECK(rc == -1, "pl_auth_check returned %d", rc);
    FUZZ_CHECK(e->code && e->code[0], "refusal without a code");
    FUZZ_CHECK(e->status == 400 || e->status == 403 || e->status == 500, "status %d for %s",
               e->status, e->code);
    FUZZ_CHECK(memchr(e->message, 0, sizeof e->message) && e->message[0], "bad message");
}

/* ---- mode 0: raw ------------------------------------------------------------------------ */

static void raw_mode(const uint8_t *data, size_t size, unsigned ctl)
{
    /* a NUL-terminated copy, cut into lines */
    char *buf = malloc(size + 1);
    FUZZ_CHECK(buf, "malloc");
    memcpy(buf, data, size);
    buf[size] = 0;

    /* pl_uri_decode / pl_uri_encode on the raw bytes */
    size_t dl;
    char *dec = pl_uri_decode(buf, size, &dl);
    if (dec) {
        FUZZ_CHECK(dl <= size, "decoded longer than the input");
        char *enc = pl_uri_encode(dec, dl, ctl & 1);
        FUZZ_CHECK(enc, "encode");
        size_t l2;
        char *back = pl_uri_decode(enc, strlen(enc), &l2);
        FUZZ_CHECK(back && l2 == dl && !memcmp(back, dec, dl), "decode(encode(x)) != x");
        free(back);
        free(enc);
        free(dec);
    }

    char *lines[64];
    size_t nl = 0;
    char *p = buf;
    while (nl < 64) {
        lines[nl++] = p;
        char *e = strchr(p, '\n');
        if (!e)
            break;
        *e = 0;
        p = e + 1;
    }
    if (nl < 2) {
        free(buf);
        return;
    }
    pl_req r;
    memset(&r, 0, sizeof r);
    r.uri = strdup(lines[1]);
    FUZZ_CHECK(r.uri, "strdup");
    r.method = lines[0];
    int prc = parse_target(&r);
    if (prc == 0 || prc == -2) {
        FUZZ_CHECK(r.path && r.path[0] == '/', "decoded path does not start with '/'");
        for (size_t i = 0; i < r.nquery; i++)
            FUZZ_CHECK(r.query[i].name && r.query[i].value, "query pair without name or value");
        if (r.bucket)
            FUZZ_CHECK(!strchr(lines[1] + 1, '/') || strlen(r.bucket) <= strlen(lines[1]),
                       "bucket longer than the target");
        pl_kv hdrs[62];
        size_t nh = 0;
        for (size_t i = 2; i < nl && nh < 62; i++) {
            char *c = strchr(lines[i], ':');
            if (!c)
                continue;
            *c = 0;
            hdrs[nh].name = lines[i];
            hdrs[nh].value = c + 1 + (c[1] == ' ');
            nh++;
        }
        const char *method = r.method;
        enum pl_op op;
        const char *why;
        op = route(&r, &why);
        (void)op;
        pl_auth_in in = {.method = method,
                         .path = r.path,
                         .query = r.query,
                         .nquery = r.nquery,
                         .headers = hdrs,
                         .nheaders = nh,
                         .now = T0 + (time_t)((ctl >> 4) * 60) - 300,
                         .akid = (ctl & 2) ? NULL : AKID,
                         .secret = (ctl & 2) ? NULL : SECRET,
                         .anonymous_ok = (ctl >> 2) & 1};
        pl_auth a;
        pl_auth_err e;
        memset(&e, 0, sizeof e);
        int rc = pl_auth_check(&in, &a, &e);
        check_refusal(rc, &e);
        if (rc == 0) {
            FUZZ_CHECK(a.kind >= PL_AUTH_ANON && a.kind <= PL_AUTH_PRESIGNED, "kind %d", a.kind);
            FUZZ_CHECK(memchr(a.payload_hash, 0, sizeof a.payload_hash), "payload hash");
            /* aws-chunked: a chunk signature made of the input's last line */
            unsigned char h[32];
            pl_sha256(data, size, h);
            const char *sig = lines[nl - 1];
            pl_auth_chunk(&a, h, sig, strlen(sig));
        }
    }
    free_req(&r);
    free(buf);
}

/* ---- mode 1: sign here, verify there ---------------------------------------------------- */

typedef struct sbuf2 {
    char *d;
    size_t n, cap;
} sbuf2;

static void sb_add(sbuf2 *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->d = realloc(b->d, cap);
        FUZZ_CHECK(b->d, "realloc");
        b->cap = cap;
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
    b->d[b->n] = 0;
}
static void sb_str(sbuf2 *b, const char *s) { sb_add(b, s, strlen(s)); }

static int unreserved_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* AWS UriEncode, written here from the specification */
static void uri_encode(sbuf2 *b, const char *s, size_t n, int keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved_byte(c) || (keep_slash && c == '/')) {
            sb_add(b, &s[i], 1);
        } else {
            char t[4];
            snprintf(t, sizeof t, "%%%02X", c);
            sb_add(b, t, 3);
        }
    }
}

/* How a client might put bytes in a target: reserved bytes always encoded, others at random,
 * hex digits in either case. */
static void wire_encode(sbuf2 *b, const char *s, size_t n, int is_path, fz_rng *rng)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int must = !(unreserved_byte(c) || (is_path && c == '/'));
        /* '/' stays as is in a path: an encoded slash is a different key boundary */
        if (must || (c != '/' && (fz_rng_next(rng) & 7) == 0)) {
            char t[4];
            snprintf(t, sizeof t, (fz_rng_next(rng) & 1) ? "%%%02X" : "%%%02x", c);
            sb_add(b, t, 3);
        } else {
            sb_add(b, &s[i], 1);
        }
    }
}

typedef struct kvs {
    char name[48], value[80];
} kvs;

static int cmp_enc(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

/* canonical query: encoded name=value pairs sorted (by name, then value) */
static void canonical_query(sbuf2 *out, const kvs *q, size_t n)
{
    char *pairs[40];
    for (size_t i = 0; i < n; i++) {
        sbuf2 t = {0};
        uri_encode(&t, q[i].name, strlen(q[i].name), 0);
        sb_add(&t, "\x01", 1); /* sorts before every encoded byte: name first, then value */
        uri_encode(&t, q[i].value, strlen(q[i].value), 0);
        pairs[i] = t.d;
    }
    qsort(pairs, n, sizeof *pairs, cmp_enc);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_str(out, "&");
        *strchr(pairs[i], '\x01') = '=';
        sb_str(out, pairs[i]);
        free(pairs[i]);
    }
}

static void hexs(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
}

typedef struct hdr {
    char name[40];   /* lowercase */
    char value[600]; /* room for an Authorization value */
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
    return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

/* trim, collapse inner runs of spaces */
static void canon_value(sbuf2 *b, const char *v)
{
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    while (n && v[n - 1] == ' ')
        n--;
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ') {
            sp = 1;
            continue;
        }
        if (sp)
            sb_add(b, " ", 1);
        sp = 0;
        sb_add(b, &v[i], 1);
    }
}

static void sign(const char *method, const char *path, size_t plen, const kvs *q, size_t nq,
                 const hdr *h, size_t nh, const char *payload, char sig[65], char *signed_list,
                 size_t cap)
{
    sbuf2 cr = {0};
    sb_str(&cr, method);
    sb_str(&cr, "\n");
    uri_encode(&cr, path, plen, 1);
    sb_str(&cr, "\n");
    canonical_query(&cr, q, nq);
    sb_str(&cr, "\n");
    signed_list[0] = 0;
    for (size_t i = 0; i < nh; i++) {
        sb_str(&cr, h[i].name);
        sb_str(&cr, ":");
        canon_value(&cr, h[i].value);
        sb_str(&cr, "\n");
        if (i)
            strncat(signed_list, ";", cap - strlen(signed_list) - 1);
        strncat(signed_list, h[i].name, cap - strlen(signed_list) - 1);
    }
    sb_str(&cr, "\n");
    sb_str(&cr, signed_list);
    sb_str(&cr, "\n");
    sb_str(&cr, payload);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "canonical request:\n%s\n--\n", cr.d);
    unsigned char dg[32];
    char dh[65];
    pl_sha256(cr.d, cr.n, dg);
    hexs(dg, 32, dh);
    free(cr.d);
    char sts[512];
    snprintf(sts, sizeof sts,
             "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n%s", dh);
    unsigned char k1[32], k2[32];
    const char *k0 = "AWS4" SECRET;
    pl_hmac_sha256(k0, strlen(k0), "20130524", 8, k1);
    pl_hmac_sha256(k1, 32, "us-east-1", 9, k2);
    pl_hmac_sha256(k2, 32, "s3", 2, k1);
    pl_hmac_sha256(k1, 32, "aws4_request", 12, k2);
    pl_hmac_sha256(k2, 32, sts, strlen(sts), k1);
    hexs(k1, 32, sig);
}

/* The header variant 4 adds (not signed). */
static const char *extra_name, *extra_value;

/* Build a raw target the way a client might, run parse_target + pl_auth_check.  variant 0
 * is the request as signed; 1 another method, 2 another path, 3 another Host value, 4 the
 * request with the unsigned header extra_name: extra_value added. */
static int verify(const char *method, const char *path, size_t plen, const kvs *q, size_t nq,
                  const hdr *h, size_t nh, fz_rng *rng, int variant, pl_auth *a, pl_auth_err *e)
{
    sbuf2 t = {0};
    wire_encode(&t, path, plen, 1, rng);
    for (size_t i = 0; i < nq; i++) {
        sb_str(&t, i ? "&" : "?");
        wire_encode(&t, q[i].name, strlen(q[i].name), 0, rng);
        sb_str(&t, "=");
        wire_encode(&t, q[i].value, strlen(q[i].value), 0, rng);
    }
    pl_req r;
    memset(&r, 0, sizeof r);
    r.uri = t.d;
    r.method = method;
    int prc = parse_target(&r);
    FUZZ_CHECK(prc == 0, "parse_target refused %s", t.d);
    FUZZ_CHECK(strlen(r.path) == plen && !memcmp(r.path, path, plen),
               "path decoded differently from %s", t.d);
    FUZZ_CHECK(r.nquery == nq, "%zu query parameters decoded, %zu sent", r.nquery, nq);
    for (size_t i = 0; i < nq; i++)
        FUZZ_CHECK(!strcmp(r.query[i].name, q[i].name) && !strcmp(r.query[i].value, q[i].value),
                   "query parameter %zu decoded differently from %s", i, t.d);
    pl_kv hk[21];
    char tampered[700];
    for (size_t i = 0; i < nh; i++) {
        hk[i].name = (char *)h[i].name;
        hk[i].value = (char *)h[i].value;
        if (variant == 3 && !strcmp(h[i].name, "host")) {
            snprintf(tampered, sizeof tampered, "%s1", h[i].value);
            hk[i].value = tampered;
        }
    }
    size_t nhk = nh;
    if (variant == 4) {
        hk[nhk].name = (char *)extra_name;
        hk[nhk++].value = (char *)extra_value;
    }
    const char *m = method;
    if (variant == 1)
        m = strcmp(method, "GET") ? "GET" : "PUT";
    if (variant == 2) {
        char *np = malloc(plen + 2);
        FUZZ_CHECK(np, "malloc");
        memcpy(np, r.path, plen);
        memcpy(np + plen, "x", 2);
        free(r.path);
        r.path = np;
    }
    pl_auth_in in = {.method = m,
                     .path = r.path,
                     .query = r.query,
                     .nquery = r.nquery,
                     .headers = hk,
                     .nheaders = nhk,
                     .now = T0 + 60,
                     .akid = AKID,
                     .secret = SECRET,
                     .anonymous_ok = 0};
    memset(e, 0, sizeof *e);
    int rc = pl_auth_check(&in, a, e);
    check_refusal(rc, e);
    if (rc && variant == 0)
        fz_dump("target", t.d, strlen(t.d));
    free_req(&r); /* frees t.d too (r.uri) */
    return rc;
}

static void take(fz_in *in, char *out, size_t cap, int printable)
{
    size_t n = fz_byte(in) % cap;
    size_t k = 0;
    for (size_t i = 0; i < n && in->n; i++) {
        unsigned c = fz_byte(in);
        if (printable)
            c = 0x20 + c % 95; /* a header value: visible ASCII and spaces */
        else if (c == 0)
            c = 'z';
        out[k++] = (char)c;
    }
    out[k] = 0;
}

static void roundtrip_mode(fz_in *in)
{
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    const char *method = methods[fz_byte(in) % 5];
    unsigned flags = fz_byte(in);
    int presigned = flags & 1;
    fz_rng rng;
    fz_rng_seed(&rng, fz_u16(in));

    char path[80] = "/";
    take(in, path + 1, sizeof path - 1, 0);
    size_t plen = strlen(path);

    kvs q[16];
    size_t nq = fz_byte(in) % 6;
    for (size_t i = 0; i < nq; i++) {
        take(in, q[i].name, sizeof q[i].name, 0);
        if (!q[i].name[0] || !strncasecmp(q[i].name, "x-amz-", 6) ||
            !strcmp(q[i].name, "AWSAccessKeyId") || !strcmp(q[i].name, "Signature"))
            snprintf(q[i].name, sizeof q[i].name, "p%zu", i);
        take(in, q[i].value, sizeof q[i].value, 0);
    }
    size_t user_q = nq;

    hdr h[20];
    size_t nh = 0;
    snprintf(h[nh].name, sizeof h[nh].name, "host");
    snprintf(h[nh++].value, sizeof h[0].value, "127.0.0.1:9000");
    const char *payload =
        presigned || (flags & 2)
            ? "UNSIGNED-PAYLOAD"
            : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    if (!presigned) {
        snprintf(h[nh].name, sizeof h[nh].name, "x-amz-date");
        snprintf(h[nh++].value, sizeof h[0].value, "20130524T000000Z");
        snprintf(h[nh].name, sizeof h[nh].name, "x-amz-content-sha256");
        snprintf(h[nh++].value, sizeof h[0].value, "%s", payload);
        size_t extra = fz_byte(in) % 4;
        for (size_t i = 0; i < extra; i++) {
            snprintf(h[nh].name, sizeof h[nh].name, "x-amz-meta-k%zu", i);
            take(in, h[nh].value, 64, 1);
            /* an HTTP server strips the spaces around a field value */
            char *v = h[nh].value;
            size_t l = strlen(v);
            while (l && v[l - 1] == ' ')
                v[--l] = 0;
            size_t sp = strspn(v, " ");
            memmove(v, v + sp, l - sp + 1);
            nh++;
        }
    }
    qsort(h, nh, sizeof *h, cmp_hdr);

    char sig[65], signed_list[400];
    if (presigned) {
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-Algorithm");
        snprintf(q[nq++].value, sizeof q[0].value, "AWS4-HMAC-SHA256");
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-Credential");
        snprintf(q[nq++].value, sizeof q[0].value, AKID "/20130524/us-east-1/s3/aws4_request");
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-Date");
        snprintf(q[nq++].value, sizeof q[0].value, "20130524T000000Z");
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-Expires");
        snprintf(q[nq++].value, sizeof q[0].value, "86400");
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-SignedHeaders");
        snprintf(q[nq++].value, sizeof q[0].value, "host");
        /* the signature covers the query without X-Amz-Signature */
        sign(method, path, plen, q, nq, h, nh, payload, sig, signed_list, sizeof signed_list);
        snprintf(q[nq].name, sizeof q[0].name, "X-Amz-Signature");
        snprintf(q[nq++].value, sizeof q[0].value, "%s", sig);
    } else {
        sign(method, path, plen, q, nq, h, nh, payload, sig, signed_list, sizeof signed_list);
        snprintf(h[nh].name, sizeof h[nh].name, "authorization");
        snprintf(h[nh].value, sizeof h[nh].value,
                 "AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/aws4_request, "
                 "SignedHeaders=%s, Signature=%s",
                 signed_list, sig);
        nh++;
    }

    pl_auth a;
    pl_auth_err e;
    int rc = verify(method, path, plen, q, nq, h, nh, &rng, 0, &a, &e);
    FUZZ_CHECK(rc == 0, "a correctly %s request was refused: %s %s",
               presigned ? "presigned" : "signed", e.code, e.message);
    FUZZ_CHECK(a.kind == (presigned ? PL_AUTH_PRESIGNED : PL_AUTH_HEADER) &&
                   !strcmp(a.payload_hash, payload),
               "kind %d, payload hash %s", a.kind, a.payload_hash);
    for (int variant = 1; variant <= 3; variant++) {
        rc = verify(method, path, plen, q, nq, h, nh, &rng, variant, &a, &e);
        FUZZ_CHECK(rc && !strcmp(e.code, "SignatureDoesNotMatch"),
                   "variant %d of a signed request: %s", variant, rc ? e.code : "accepted");
    }
    /* Issue 13, finding 1: an unsigned x-amz-* header never changes the operation or its
     * inputs — whatever its name (any case) and value, also the ones that choose an operation
     * (x-amz-copy-source) or duplicate a signed one (x-amz-date), the request is refused
     * (403 AccessDenied; a duplicate of a signed header joins its value and fails that check). */
    {
        static const char *const names[] = {"x-amz-copy-source", "X-Amz-Copy-Source",
                                            "x-amz-metadata-directive", "x-amz-date",
                                            "x-amz-content-sha256", "x-amz-decoded-content-length",
                                            "x-amz-trailer", "x-amz-meta-k0"};
        char name[48], value[80];
        unsigned pick = fz_byte(in);
        if (pick < 0x80) {
            snprintf(name, sizeof name, "%s", names[pick % (sizeof names / sizeof *names)]);
        } else { /* x-amz- and token bytes, in any case */
            char tail[40];
            take(in, tail, sizeof tail, 0);
            size_t k = 0;
            for (size_t i = 0; tail[i] && k + 1 < sizeof tail; i++) {
                unsigned char c = (unsigned char)tail[i];
                tail[k++] = (char)(isalnum(c) || c == '-' ? c : 'a' + c % 26);
            }
            tail[k] = 0;
            snprintf(name, sizeof name, "%s%s", (pick & 1) ? "X-AMZ-" : "x-amz-", tail);
        }
        take(in, value, sizeof value, 1);
        if (!value[0])
            snprintf(value, sizeof value, "/bucket/private.txt");
        extra_name = name;
        extra_value = value;
        rc = verify(method, path, plen, q, nq, h, nh, &rng, 4, &a, &e);
        FUZZ_CHECK(rc, "an unsigned header %s: %s was %s", name, value,
                   rc ? e.code : "accepted (it could change the operation or its inputs)");
    }
    /* a changed query parameter (not one of the signature's own) */
    if (user_q) {
        size_t i = (size_t)(fz_rng_next(&rng) % user_q);
        size_t l = strlen(q[i].value);
        if (l + 1 < sizeof q[i].value) {
            q[i].value[l] = 'q';
            q[i].value[l + 1] = 0;
            rc = verify(method, path, plen, q, nq, h, nh, &rng, 0, &a, &e);
            FUZZ_CHECK(rc && !strcmp(e.code, "SignatureDoesNotMatch"),
                       "a changed query parameter: %s", rc ? e.code : "accepted");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 16 * 1024)
        return 0;
    fz_in in = {data, size};
    unsigned mode = fz_byte(&in), ctl = fz_byte(&in);
    if (mode & 1)
        roundtrip_mode(&in);
    else
        raw_mode(in.p, in.n, ctl);
    return 0;
}

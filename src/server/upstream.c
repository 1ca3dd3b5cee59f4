/*
 * upstream.c — `pluck serve --upstream URL`: S3 Select in front of another S3 store.
 *
 * Clients sign their requests with pluck's own keys (serve.c checks them as always); pluck
 * signs its requests to the store with the upstream keys (src/s3client/).
 *
 *  - SelectObjectContent runs here, over the object streamed from the store
 *    (pl_upstream_object(), a pl_objsrc for select.c).  The first GET asks for the whole
 *    object and gives its size and ETag; every later read that does not continue where the
 *    current transfer is opens a ranged GET (If-Match: that ETag, so all reads see one
 *    version of the object).  A read inside the window select.c announced (the ScanRange's
 *    records, or the whole object) asks for the rest of the window, other reads (ScanRange
 *    boundary searches, the header record) for one block.  The last bytes read are kept
 *    (`back`) so that re-reading the magic number or a delimiter's overlap does not cost a
 *    request.  Nothing is stored: memory is one receive buffer plus select.c's block.
 *  - GET and HEAD requests of any other kind (GetObject, HeadObject, ListObjects(V2),
 *    ListBuckets, GetBucketLocation, ...) are forwarded with their query and conditional
 *    and Range headers; the store's status, headers that describe the body, and body are
 *    streamed back (errors too, as the store wrote them).
 *  - Anything else (PUT, POST, DELETE: uploads, deletes, bucket changes) answers 501
 *    NotImplemented: pluck does not write to the store.
 */
#include "server/upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3client/s3.h"

#define SIDE_READ (64 * 1024) /* a read outside the window fetches at least this much */
#define BACK 64               /* bytes kept before the transfer's position */

struct pl_upstream {
    pl_s3cfg cfg;
};

static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v)
        return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

int pl_upstream_configure(pl_server *s, const char *url, const char *region, char *why,
                          size_t cap)
{
    struct pl_upstream *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    if (pl_s3cfg_endpoint(&u->cfg, url, why, cap)) {
        free(u);
        return -1;
    }
    if (!region)
        region = env2("AWS_REGION", "AWS_DEFAULT_REGION");
    snprintf(u->cfg.region, sizeof u->cfg.region, "%s", region ? region : "us-east-1");
    u->cfg.akid = env2("PLUCK_UPSTREAM_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID");
    u->cfg.secret = env2("PLUCK_UPSTREAM_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY");
    u->cfg.token = env2("PLUCK_UPSTREAM_SESSION_TOKEN", "AWS_SESSION_TOKEN");
    if (!!u->cfg.akid != !!u->cfg.secret) {
        snprintf(why, cap, "the upstream access key id and secret access key must be set "
                           "together (PLUCK_UPSTREAM_ACCESS_KEY_ID, "
                           "PLUCK_UPSTREAM_SECRET_ACCESS_KEY)");
        free(u);
        return -1;
    }
    if (pl_s3_global_init()) {
        snprintf(why, cap, "libcurl could not be initialised");
        free(u);
        return -1;
    }
    s->upstream = u;
    return 0;
}

const char *pl_upstream_endpoint(const pl_server *s) { return s->upstream->cfg.endpoint; }
int pl_upstream_signed(const pl_server *s) { return s->upstream->cfg.akid != NULL; }

/* ---- the object of a select ----------------------------------------------------------- */

typedef struct up_obj {
    pl_objsrc base;
    const pl_s3cfg *cfg;
    char *bucket, *key;
    char etag[200];
    pl_s3get *get;
    uint64_t gpos, gend;     /* the transfer is at gpos; its range ends before gend */
    unsigned char back[BACK];
    size_t backlen;          /* back holds the bytes [gpos - backlen, gpos) */
} up_obj;

static void keep_back(up_obj *u, const unsigned char *p, size_t n)
{
    if (n >= BACK) {
        memcpy(u->back, p + n - BACK, BACK);
        u->backlen = BACK;
        return;
    }
    size_t keep = u->backlen + n > BACK ? BACK - n : u->backlen;
    memmove(u->back, u->back + u->backlen - keep, keep);
    memcpy(u->back + keep, p, n);
    u->backlen = keep + n;
}

static int reopen(up_obj *u, uint64_t off, size_t want)
{
    pl_s3_close(u->get);
    u->get = NULL;
    u->backlen = 0;
    uint64_t size = u->base.size, end;
    if (off >= u->base.seq_start && off < u->base.seq_end)
        end = u->base.seq_end;
    else
        end = off + (want > SIDE_READ ? want : SIDE_READ);
    if (end > size)
        end = size;
    pl_kv h[1] = {{(char *)(uintptr_t) "If-Match", u->etag}};
    pl_s3req rq = {.bucket = u->bucket,
                   .key = u->key,
                   .has_range = 1,
                   .range_start = off,
                   .range_end = end - 1,
                   .headers = h,
                   .nheaders = u->etag[0] ? 1 : 0};
    pl_s3err err;
    u->get = pl_s3_open(u->cfg, &rq, &err);
    if (!u->get) {
        snprintf(u->base.err, sizeof u->base.err, "%s: %s", err.code, err.message);
        return -1;
    }
    u->gpos = off;
    u->gend = end;
    return 0;
}

static ssize_t up_pread(pl_objsrc *o, void *buf, size_t n, uint64_t off)
{
    up_obj *u = (up_obj *)o;
    unsigned char *out = buf;
    if (off >= o->size)
        return 0;
    if (n > o->size - off)
        n = (size_t)(o->size - off);
    size_t done = 0;
    if (u->get && off < u->gpos && u->gpos - off <= u->backlen) {
        size_t behind = (size_t)(u->gpos - off), k = behind < n ? behind : n;
        memcpy(out, u->back + u->backlen - behind, k);
        done = k;
    }
    while (done < n) {
        uint64_t at = off + done;
        if (!u->get || at != u->gpos || u->gpos >= u->gend)
            if (reopen(u, at, n - done))
                return -1;
        size_t want = n - done;
        if (want > u->gend - u->gpos)
            want = (size_t)(u->gend - u->gpos);
        pl_s3err err;
        ptrdiff_t k = pl_s3_read(u->get, out + done, want, &err);
        if (k < 0) {
            snprintf(o->err, sizeof o->err, "%s: %s", err.code, err.message);
            return -1;
        }
        if (k == 0) {
            snprintf(o->err, sizeof o->err,
                     "the upstream store's object ended before its size (%llu bytes)",
                     (unsigned long long)o->size);
            return -1;
        }
        keep_back(u, out + done, (size_t)k);
        u->gpos += (uint64_t)k;
        done += (size_t)k;
    }
    return (ssize_t)done;
}

static void up_close(pl_objsrc *o)
{
    up_obj *u = (up_obj *)o;
    pl_s3_close(u->get);
    free(u->bucket);
    free(u->key);
    free(u);
}

pl_objsrc *pl_upstream_object(pl_server *s, const char *bucket, const char *key, int *status,
                              char code[64], char *msg, size_t cap)
{
    up_obj *u = calloc(1, sizeof *u);
    if (u) {
        u->bucket = strdup(bucket);
        u->key = strdup(key);
    }
    if (!u || !u->bucket || !u->key) {
        if (u)
            up_close(&u->base);
        *status = 500;
        snprintf(code, 64, "InternalError");
        snprintf(msg, cap, "Out of memory.");
        return NULL;
    }
    u->cfg = &s->upstream->cfg;
    u->base.pread = up_pread;
    u->base.close = up_close;
    u->base.fd = -1; /* ScanRange over compressed objects needs a local file (cscan.c) */
    pl_s3req rq = {.bucket = bucket, .key = key};
    pl_s3err err;
    u->get = pl_s3_open(u->cfg, &rq, &err);
    if (!u->get) {
        up_close(&u->base);
        /* the store's own answer for a missing object or bucket; anything else (its refusal
         * of pluck's credentials, or no answer) is the gateway's failure, not the client's */
        if (err.status == 404) { /* S3's words, without the store's address */
            *status = 404;
            snprintf(code, 64, "%s", err.code);
            snprintf(msg, cap, "%s",
                     !strcmp(err.code, "NoSuchKey")      ? "The specified key does not exist."
                     : !strcmp(err.code, "NoSuchBucket") ? "The specified bucket does not exist."
                                                         : err.message);
        } else if (err.status == 0) {
            *status = 503;
            snprintf(code, 64, "ServiceUnavailable");
            snprintf(msg, cap, "pluck serve --upstream: %s", err.message);
        } else {
            *status = err.status == 403 ? 403 : 502;
            snprintf(code, 64, "%s", err.status == 403 ? "AccessDenied" : "InternalError");
            snprintf(msg, cap,
                     "pluck serve --upstream: the upstream store refused pluck's request: %s: "
                     "%s%s",
                     err.code, err.message,
                     err.status == 403 ? " Check PLUCK_UPSTREAM_ACCESS_KEY_ID, "
                                         "PLUCK_UPSTREAM_SECRET_ACCESS_KEY and --upstream-region."
                                       : "");
        }
        return NULL;
    }
    int64_t size = pl_s3_object_size(u->get);
    if (size < 0) {
        up_close(&u->base);
        *status = 502;
        snprintf(code, 64, "InternalError");
        snprintf(msg, cap, "pluck serve --upstream: the upstream store did not say the "
                           "object's size (no Content-Length).");
        return NULL;
    }
    size_t nh;
    const pl_kv *h = pl_s3_headers(u->get, &nh);
    for (size_t i = 0; i < nh; i++)
        if (!strcasecmp(h[i].name, "etag"))
            snprintf(u->etag, sizeof u->etag, "%s", h[i].value);
    u->base.size = (uint64_t)size;
    u->gpos = 0;
    u->gend = (uint64_t)size;
    return &u->base;
}

/* ---- forwarding ------------------------------------------------------------------------ */

static ssize_t fwd_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    pl_s3get *g = cls;
    pl_s3err err;
    ptrdiff_t n = pl_s3_read(g, buf, max, &err);
    if (n > 0)
        return (ssize_t)n;
    /* 0: the end; an error: the connection is closed early, so the client sees a short
     * body (Content-Length) rather than a silently truncated one */
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void fwd_free(void *cls) { pl_s3_close(cls); }

/* Response headers of the store worth passing on: those that describe the body. */
static int passed_on(const char *name)
{
    static const char *names[] = {"content-type",     "content-range",   "content-encoding",
                                  "content-language", "content-disposition", "cache-control",
                                  "expires",          "etag",            "last-modified",
                                  "accept-ranges",    NULL};
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(name, names[i]))
            return 1;
    return !strncasecmp(name, "x-amz-", 6) && strcasecmp(name, "x-amz-request-id") &&
           strcasecmp(name, "x-amz-id-2");
}

enum MHD_Result pl_upstream_forward(pl_req *r)
{
    r->op = OP_NONE; /* nothing local happens: no clean-up of local files afterwards */
    int get = !strcmp(r->method, "GET"), head = !strcmp(r->method, "HEAD");
    if (!get && !head)
        return pl_send_error(r, 501, "NotImplemented",
                             "pluck serve --upstream forwards GET and HEAD requests and runs "
                             "SelectObjectContent; it does not change the upstream store (%s "
                             "is not forwarded).",
                             r->method);
    /* the client's presigned-URL parameters are for pluck, not for the store */
    pl_kv *q = calloc(r->nquery ? r->nquery : 1, sizeof *q);
    if (!q)
        return MHD_NO;
    size_t nq = 0;
    for (size_t i = 0; i < r->nquery; i++)
        if (strncasecmp(r->query[i].name, "X-Amz-", 6))
            q[nq++] = r->query[i];
    static const char *fwd_headers[] = {"range", "if-match", "if-none-match",
                                        "if-modified-since", "if-unmodified-since", NULL};
    pl_kv h[8];
    size_t nh = 0;
    for (int i = 0; fwd_headers[i]; i++) {
        const char *v = pl_header(r, fwd_headers[i]);
        if (v) {
            h[nh].name = (char *)(uintptr_t)fwd_headers[i];
            h[nh].value = (char *)(uintptr_t)v;
            nh++;
        }
    }
    pl_s3req rq = {.method = r->method,
                   .bucket = r->bucket,
                   .key = r->key,
                   .query = q,
                   .nquery = nq,
                   .headers = h,
                   .nheaders = nh,
                   .keep_errors = 1};
    pl_s3err err;
    pl_s3get *g = pl_s3_open(&r->srv->upstream->cfg, &rq, &err);
    free(q);
    if (!g)
        return pl_send_error(r, err.status ? 502 : 503,
                             err.status ? "InternalError" : "ServiceUnavailable",
                             "pluck serve --upstream: %s", err.message);
    int64_t len = pl_s3_content_length(g);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        len >= 0 ? (uint64_t)len : MHD_SIZE_UNKNOWN, 64 * 1024, fwd_reader, g, fwd_free);
    if (!resp) {
        pl_s3_close(g);
        return MHD_NO;
    }
    size_t n;
    const pl_kv *rh = pl_s3_headers(g, &n);
    for (size_t i = 0; i < n; i++)
        if (passed_on(rh[i].name))
            MHD_add_response_header(resp, rh[i].name, rh[i].value);
    return pl_queue(r, pl_s3_status(g), resp);
}

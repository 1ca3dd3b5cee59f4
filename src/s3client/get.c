/*
 * get.c — streamed S3 GET and HEAD requests over libcurl (see s3.h).
 *
 * Pull, not push: pl_s3_read() drives a private curl multi handle until the write callback
 * has put some body bytes into the caller's buffer.  When a callback brings more than fits,
 * the rest waits in `spill` (at most one callback's worth, CURLOPT_BUFFERSIZE), and further
 * callbacks pause the transfer (CURL_WRITEFUNC_PAUSE) until the caller asks again: the
 * socket's receive window then stops the sender.  So memory is one receive buffer, whatever
 * the object's size, and a caller that stops reading (LIMIT met, client gone) just closes.
 *
 * Every wait is bounded: connecting (CONNECT_S), and a transfer that moves less than
 * LOW_SPEED_BYTES per LOW_SPEED_S fails; a paused transfer is not counted as stalled.
 */
#include "s3client/s3int.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/sbuf.h"

#define CONNECT_S 10
#define LOW_SPEED_BYTES 1
#define LOW_SPEED_S 60
#define RECV_BUFFER (128 * 1024)
#define MAX_ERROR_BODY (64 * 1024)
#define MAX_HEADERS 64

struct pl_s3get {
    CURLM *m;
    CURL *e;
    struct curl_slist *hdrs;
    char *url;
    long status;          /* final (non-1xx) status, 0 until known */
    int headers_done;
    int keep_errors;
    int failed_status;    /* a >= 300 answer whose body is collected as the error */
    int paused;
    int done;
    CURLcode result;
    int64_t content_length, object_size;
    pl_kv rh[MAX_HEADERS];
    size_t nrh;
    /* delivery into the caller's buffer */
    char *dst;
    size_t dst_cap, dst_len;
    char *spill;
    size_t spill_len, spill_off, spill_cap;
    pl_sbuf errbody;
    char where[360];      /* "the S3 store at http://..." for messages */
};

int pl_s3_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }

int pl_s3cfg_endpoint(pl_s3cfg *cfg, const char *url, char *why, size_t cap)
{
    const char *p;
    if (!strncasecmp(url, "http://", 7)) {
        snprintf(cfg->scheme, sizeof cfg->scheme, "http");
        p = url + 7;
    } else if (!strncasecmp(url, "https://", 8)) {
        snprintf(cfg->scheme, sizeof cfg->scheme, "https");
        p = url + 8;
    } else {
        snprintf(why, cap, "the endpoint URL must start with http:// or https://");
        return -1;
    }
    size_t hl = strcspn(p, "/?#");
    if (!hl || hl >= sizeof cfg->host) {
        snprintf(why, cap, "the endpoint URL has no host (or a host too long)");
        return -1;
    }
    if (p[hl] && strcmp(p + hl, "/")) {
        snprintf(why, cap, "the endpoint URL must not have a path (path-style requests are "
                           "made to ENDPOINT/bucket/key)");
        return -1;
    }
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == '@') {
            snprintf(why, cap, "the endpoint URL's host is not valid");
            return -1;
        }
    memcpy(cfg->host, p, hl);
    cfg->host[hl] = 0;
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s://%s", cfg->scheme, cfg->host);
    return 0;
}

static void set_err(pl_s3err *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_err(pl_s3err *err, int status, const char *code, const char *fmt, ...)
{
    if (!err)
        return;
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* The text of <Tag>...</Tag> in an S3 XML error body (entities left as they are). */
static void xml_text(const char *body, size_t n, const char *tag, char *out, size_t cap)
{
    char open[40], close[40];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = 0;
    const char *a = NULL;
    size_t ol = strlen(open);
    for (size_t i = 0; i + ol <= n; i++)
        if (!memcmp(body + i, open, ol)) {
            a = body + i + ol;
            break;
        }
    if (!a)
        return;
    size_t rest = n - (size_t)(a - body), cl = strlen(close), len = 0;
    while (len + cl <= rest && memcmp(a + len, close, cl))
        len++;
    if (len + cl > rest)
        return;
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = (a[i] == '\n' || a[i] == '\r') ? ' ' : a[i];
    out[len] = 0;
}

static const char *status_code_name(long st)
{
    switch (st) {
    case 301: return "PermanentRedirect";
    case 400: return "InvalidRequest";
    case 403: return "AccessDenied";
    case 404: return "NoSuchKey";
    case 405: return "MethodNotAllowed";
    case 416: return "InvalidRange";
    case 501: return "NotImplemented";
    case 503: return "ServiceUnavailable";
    default: return st >= 500 ? "InternalError" : "InvalidRequest";
    }
}

/* The store answered with an error status: turn its XML body into err. */
static void status_error(pl_s3get *g, pl_s3err *err)
{
    char code[64], msg[300];
    xml_text(g->errbody.data ? g->errbody.data : "", g->errbody.len, "Code", code, sizeof code);
    xml_text(g->errbody.data ? g->errbody.data : "", g->errbody.len, "Message", msg, sizeof msg);
    if (!code[0])
        snprintf(code, sizeof code, "%s", status_code_name(g->status));
    set_err(err, (int)g->status, code, "%s%s(%s answered HTTP %ld)", msg, msg[0] ? " " : "",
            g->where, g->status);
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    pl_s3get *g = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
        long st = 0;
        const char *sp = memchr(line, ' ', len);
        if (sp)
            st = strtol(sp + 1, NULL, 10);
        if (st >= 200) {
            g->status = st;
            /* a redirect's or 100's headers are not ours */
            for (size_t i = 0; i < g->nrh; i++) {
                free(g->rh[i].name);
                free(g->rh[i].value);
            }
            g->nrh = 0;
            g->content_length = g->object_size = -1;
        }
        return len;
    }
    if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
        if (g->status >= 200) {
            g->headers_done = 1;
            if (g->status >= 300 && !g->keep_errors)
                g->failed_status = 1;
            if (g->status == 200 && g->object_size < 0)
                g->object_size = g->content_length;
        }
        return len;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return len;
    size_t nl = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
        g->content_length = (int64_t)strtoll(v, NULL, 10);
    } else if (nl == 13 && !strncasecmp(line, "content-range", 13)) {
        const char *slash = memchr(v, '/', vl);
        if (slash && slash[1] != '*')
            g->object_size = (int64_t)strtoll(slash + 1, NULL, 10);
    }
    if (g->nrh < MAX_HEADERS) {
        g->rh[g->nrh].name = strndup(line, nl);
        g->rh[g->nrh].value = strndup(v, vl);
        if (g->rh[g->nrh].name && g->rh[g->nrh].value)
            g->nrh++;
        else {
            free(g->rh[g->nrh].name);
            free(g->rh[g->nrh].value);
        }
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    pl_s3get *g = ud;
    size_t len = size * n;
    if (g->failed_status) {
        size_t keep = g->errbody.len < MAX_ERROR_BODY ? MAX_ERROR_BODY - g->errbody.len : 0;
        if (keep > len)
            keep = len;
        if (keep && pl_sbuf_add(&g->errbody, data, keep))
            return 0;
        return keep < len ? 0 : len; /* enough of an error: end the transfer (bounded) */
    }
    if (g->spill_len > g->spill_off || !g->dst || g->dst_len == g->dst_cap) {
        g->paused = 1;
        return CURL_WRITEFUNC_PAUSE; /* curl keeps this chunk and brings it back */
    }
    size_t room = g->dst_cap - g->dst_len, take = len < room ? len : room;
    memcpy(g->dst + g->dst_len, data, take);
    g->dst_len += take;
    if (take < len) {
        size_t rest = len - take;
        if (rest > g->spill_cap) {
            char *s = realloc(g->spill, rest);
            if (!s)
                return 0; /* fails the transfer: CURLE_WRITE_ERROR */
            g->spill = s;
            g->spill_cap = rest;
        }
        memcpy(g->spill, data + take, rest);
        g->spill_len = rest;
        g->spill_off = 0;
    }
    return len;
}

/* Run the transfer until cond(g) holds or it ends.  0, or -1 on a multi error. */
static int pump(pl_s3get *g, int (*cond)(const pl_s3get *))
{
    while (!g->done && !cond(g)) {
        int running = 0;
        if (curl_multi_perform(g->m, &running) != CURLM_OK)
            return -1;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(g->m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                g->done = 1;
                g->result = msg->data.result;
            }
        if (g->done || cond(g))
            break;
        if (g->paused && g->dst && g->dst_len < g->dst_cap && g->spill_off >= g->spill_len) {
            g->paused = 0;
            curl_easy_pause(g->e, CURLPAUSE_CONT); /* may deliver the held chunk at once */
            continue;
        }
        /* curl's own timeouts (connect, low speed) bound this wait */
        if (curl_multi_poll(g->m, NULL, 0, 1000, NULL) != CURLM_OK)
            return -1;
    }
    return 0;
}

static int headers_in(const pl_s3get *g) { return g->headers_done && !g->failed_status; }
static int never(const pl_s3get *g) { return 0; }
static int got_bytes(const pl_s3get *g) { return g->dst_len > 0; }

static void transport_error(pl_s3get *g, pl_s3err *err, CURLcode rc)
{
    set_err(err, 0, "ServiceUnavailable", "cannot reach %s: %s", g->where,
            curl_easy_strerror(rc));
}

void pl_s3_close(pl_s3get *g)
{
    if (!g)
        return;
    if (g->m && g->e)
        curl_multi_remove_handle(g->m, g->e);
    if (g->e)
        curl_easy_cleanup(g->e);
    if (g->m)
        curl_multi_cleanup(g->m);
    curl_slist_free_all(g->hdrs);
    for (size_t i = 0; i < g->nrh; i++) {
        free(g->rh[i].name);
        free(g->rh[i].value);
    }
    free(g->url);
    free(g->spill);
    pl_sbuf_free(&g->errbody);
    free(g);
}

static int add_header(pl_s3get *g, const char *name, const char *value)
{
    pl_sbuf b = {0};
    if (pl_sbuf_printf(&b, "%s: %s", name, value))
        return -1;
    char *line = pl_sbuf_take(&b);
    if (!line)
        return -1;
    struct curl_slist *l = curl_slist_append(g->hdrs, line);
    free(line);
    if (!l)
        return -1;
    g->hdrs = l;
    return 0;
}

/* ENDPOINT/bucket/key?query, every part UriEncoded as it is signed. */
static char *build_url(const pl_s3cfg *cfg, const pl_s3req *rq, char **path_out)
{
    pl_sbuf u = {0}, p = {0};
    char *ek = NULL;
    int ok = 0;
    if (pl_sbuf_adds(&p, "/"))
        goto out;
    if (rq->bucket) {
        if (pl_sbuf_adds(&p, rq->bucket))
            goto out;
        if (rq->key && (pl_sbuf_adds(&p, "/") || pl_sbuf_adds(&p, rq->key)))
            goto out;
    }
    ek = pl_uri_encode(p.data, p.len, 1);
    if (!ek || pl_sbuf_printf(&u, "%s%s", cfg->endpoint, ek))
        goto out;
    for (size_t i = 0; i < rq->nquery; i++) {
        char *n = pl_uri_encode(rq->query[i].name, strlen(rq->query[i].name), 0);
        char *v = pl_uri_encode(rq->query[i].value, strlen(rq->query[i].value), 0);
        int bad = !n || !v || pl_sbuf_printf(&u, "%c%s=%s", i ? '&' : '?', n, v);
        free(n);
        free(v);
        if (bad)
            goto out;
    }
    ok = 1;
out:
    free(ek);
    if (!ok) {
        pl_sbuf_free(&u);
        pl_sbuf_free(&p);
        return NULL;
    }
    *path_out = pl_sbuf_take(&p);
    return pl_sbuf_take(&u);
}

pl_s3get *pl_s3_open(const pl_s3cfg *cfg, const pl_s3req *rq, pl_s3err *err)
{
    pl_s3get *g = calloc(1, sizeof *g);
    char *path = NULL;
    if (!g) {
        set_err(err, 500, "InternalError", "out of memory");
        return NULL;
    }
    g->content_length = g->object_size = -1;
    g->keep_errors = rq->keep_errors;
    snprintf(g->where, sizeof g->where, "the S3 store at %s", cfg->endpoint);
    const char *method = rq->method ? rq->method : "GET";
    int head = !strcmp(method, "HEAD");
    g->url = build_url(cfg, rq, &path);
    g->m = curl_multi_init();
    g->e = curl_easy_init();
    pl_s3sig sig;
    if (!g->url || !path || !g->m || !g->e ||
        pl_s3_sign(cfg, method, path, rq->query, rq->nquery, time(NULL), &sig))
        goto oom;
    if (add_header(g, "Host", cfg->host) || add_header(g, "x-amz-date", sig.date) ||
        add_header(g, "x-amz-content-sha256", sig.payload) ||
        (sig.auth[0] && add_header(g, "Authorization", sig.auth)) ||
        (cfg->akid && cfg->token && add_header(g, "x-amz-security-token", cfg->token)))
        goto oom;
    if (rq->has_range) {
        char range[64];
        if (rq->range_end == UINT64_MAX)
            snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)rq->range_start);
        else
            snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)rq->range_start,
                     (unsigned long long)rq->range_end);
        if (add_header(g, "Range", range))
            goto oom;
    }
    for (size_t i = 0; i < rq->nheaders; i++)
        if (add_header(g, rq->headers[i].name, rq->headers[i].value))
            goto oom;
    /* curl adds Accept: */ /* and would send Expect: only with a body: none here */
    if (add_header(g, "Accept", ""))
        goto oom;
    curl_easy_setopt(g->e, CURLOPT_URL, g->url);
    curl_easy_setopt(g->e, CURLOPT_HTTPHEADER, g->hdrs);
    if (head)
        curl_easy_setopt(g->e, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(g->e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(g->e, CURLOPT_HEADERDATA, g);
    curl_easy_setopt(g->e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(g->e, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(g->e, CURLOPT_BUFFERSIZE, (long)RECV_BUFFER);
    curl_easy_setopt(g->e, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_S);
    curl_easy_setopt(g->e, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
    curl_easy_setopt(g->e, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_S);
    curl_easy_setopt(g->e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(g->e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(g->e, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect would break the signature */
    curl_easy_setopt(g->e, CURLOPT_PATH_AS_IS, 1L); /* send the path exactly as it was signed */
    if (curl_multi_add_handle(g->m, g->e) != CURLM_OK)
        goto oom;
    free(path);
    path = NULL;
    if (pump(g, headers_in))
        goto oom;
    if (g->failed_status) {
        pump(g, never); /* collect the error body; curl's timeouts bound it */
        status_error(g, err);
        pl_s3_close(g);
        return NULL;
    }
    if (!g->headers_done) {
        if (g->done && g->result != CURLE_OK)
            transport_error(g, err, g->result);
        else
            set_err(err, 0, "ServiceUnavailable", "%s ended the connection without an answer",
                    g->where);
        pl_s3_close(g);
        return NULL;
    }
    return g;
oom:
    free(path);
    set_err(err, 500, "InternalError", "out of memory");
    pl_s3_close(g);
    return NULL;
}

ptrdiff_t pl_s3_read(pl_s3get *g, void *buf, size_t cap, pl_s3err *err)
{
    if (!cap)
        return 0;
    if (g->spill_off < g->spill_len) {
        size_t n = g->spill_len - g->spill_off;
        if (n > cap)
            n = cap;
        memcpy(buf, g->spill + g->spill_off, n);
        g->spill_off += n;
        return (ptrdiff_t)n;
    }
    g->dst = buf;
    g->dst_cap = cap;
    g->dst_len = 0;
    if (g->paused) {
        g->paused = 0;
        curl_easy_pause(g->e, CURLPAUSE_CONT);
    }
    int rc = pump(g, got_bytes);
    size_t got = g->dst_len;
    g->dst = NULL;
    g->dst_cap = g->dst_len = 0;
    if (got)
        return (ptrdiff_t)got;
    if (rc) {
        set_err(err, 500, "InternalError", "reading from %s failed", g->where);
        return -1;
    }
    if (g->done && g->result != CURLE_OK) {
        if (g->result == CURLE_PARTIAL_FILE)
            set_err(err, 0, "IncompleteBody", "%s ended the object early", g->where);
        else
            transport_error(g, err, g->result);
        return -1;
    }
    return 0;
}

int pl_s3_status(const pl_s3get *g) { return (int)g->status; }
int64_t pl_s3_content_length(const pl_s3get *g) { return g->content_length; }
int64_t pl_s3_object_size(const pl_s3get *g) { return g->object_size; }

const pl_kv *pl_s3_headers(const pl_s3get *g, size_t *n)
{
    *n = g->nrh;
    return g->rh;
}

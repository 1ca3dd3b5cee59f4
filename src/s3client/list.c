/*
 * list.c — ListObjectsV2 for s3://bucket/prefix/ sources (see s3.h).
 *
 * Each page (at most 1000 keys, as S3 answers) is read whole, bounded by MAX_PAGE, and its
 * <Contents> entries are taken in order; <NextContinuationToken> asks for the next page.
 * Keys are XML text: the five predefined entities and numeric character references are
 * decoded.  The number of pages is bounded too.
 */
#include "s3client/s3int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sbuf.h"

#define MAX_PAGE (16u << 20) /* bytes of one page's XML */
#define MAX_PAGES 100000     /* pages of one listing (100 million keys) */

/* The text between <tag> and </tag> starting the search at *at; advances *at past it.
 * Returns a pointer into the buffer and its length, or NULL. */
static const char *element(const char *buf, const char *end, const char **at, const char *tag,
                           size_t *len)
{
    char open[48], close[48];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    size_t ol = strlen(open), cl = strlen(close);
    for (const char *p = *at; p + ol <= end; p++) {
        if (memcmp(p, open, ol))
            continue;
        const char *a = p + ol;
        for (const char *q = a; q + cl <= end; q++)
            if (!memcmp(q, close, cl)) {
                *len = (size_t)(q - a);
                *at = q + cl;
                return a;
            }
        return NULL;
    }
    (void)buf;
    return NULL;
}

static int put_utf8(pl_sbuf *b, unsigned long c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return pl_sbuf_add(b, u, n);
}

/* XML text -> malloc'ed string; NULL on a malformed reference or out of memory. */
static char *xml_decode(const char *s, size_t n)
{
    static const struct { const char *name; char c; } ents[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    pl_sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '&') {
            if (pl_sbuf_add(&b, s + i, 1))
                goto bad;
            continue;
        }
        size_t semi = i + 1;
        while (semi < n && semi - i < 12 && s[semi] != ';')
            semi++;
        if (semi >= n || s[semi] != ';')
            goto bad;
        const char *r = s + i + 1;
        size_t rl = semi - i; /* including ';' */
        int done = 0;
        for (size_t e = 0; e < sizeof ents / sizeof ents[0] && !done; e++)
            if (strlen(ents[e].name) == rl && !memcmp(r, ents[e].name, rl)) {
                if (pl_sbuf_add(&b, &ents[e].c, 1))
                    goto bad;
                done = 1;
            }
        if (!done) {
            if (r[0] != '#' || rl < 3)
                goto bad;
            char num[16];
            int hex = r[1] == 'x' || r[1] == 'X';
            size_t dl = rl - 2 - (size_t)hex;
            if (!dl || dl >= sizeof num)
                goto bad;
            memcpy(num, r + 1 + hex, dl);
            num[dl] = 0;
            char *endp;
            unsigned long c = strtoul(num, &endp, hex ? 16 : 10);
            if (*endp || c == 0 || c > 0x10FFFF || put_utf8(&b, c))
                goto bad;
        }
        i = semi;
    }
    return pl_sbuf_take(&b);
bad:
    pl_sbuf_free(&b);
    return NULL;
}

int pl_s3_list(const pl_s3cfg *cfg, const char *bucket, const char *prefix, pl_s3_key_fn fn,
               void *ctx, pl_s3err *err)
{
    char *token = NULL;
    int rc = -1;
    pl_sbuf page = {0};
    for (int pages = 0; pages < MAX_PAGES; pages++) {
        pl_kv q[3] = {{(char *)(uintptr_t) "list-type", (char *)(uintptr_t) "2"},
                      {(char *)(uintptr_t) "prefix", (char *)(uintptr_t)prefix},
                      {(char *)(uintptr_t) "continuation-token", token}};
        pl_s3req rq = {.bucket = bucket, .query = q, .nquery = token ? 3 : 2};
        pl_s3get *g = pl_s3_open(cfg, &rq, err);
        if (!g)
            goto out;
        pl_sbuf_reset(&page);
        char buf[64 * 1024];
        ptrdiff_t n;
        while ((n = pl_s3_read(g, buf, sizeof buf, err)) > 0) {
            if (page.len + (size_t)n > MAX_PAGE) {
                snprintf(err->code, sizeof err->code, "InternalError");
                snprintf(err->message, sizeof err->message,
                         "a ListObjectsV2 page is larger than %u bytes", MAX_PAGE);
                n = -1;
                break;
            }
            if (pl_sbuf_add(&page, buf, (size_t)n)) {
                n = -1;
                break;
            }
        }
        pl_s3_close(g);
        if (n < 0)
            goto out;
        const char *p = page.data ? page.data : "", *end = p + page.len, *at = p;
        size_t len;
        const char *c;
        while ((c = element(p, end, &at, "Contents", &len))) {
            const char *in = c, *kend = c + len;
            size_t kl = 0, sl = 0;
            const char *k = element(c, kend, &in, "Key", &kl);
            in = c;
            const char *sz = element(c, kend, &in, "Size", &sl);
            char *key = k ? xml_decode(k, kl) : NULL;
            if (!key) {
                snprintf(err->code, sizeof err->code, "InternalError");
                snprintf(err->message, sizeof err->message,
                         "the store's ListObjectsV2 answer has an entry without a valid Key");
                goto out;
            }
            uint64_t size = sz ? strtoull(sz, NULL, 10) : 0;
            int stop = fn(ctx, key, size);
            free(key);
            if (stop) {
                rc = 0;
                goto out;
            }
        }
        at = p;
        const char *t = element(p, end, &at, "NextContinuationToken", &len);
        at = p;
        size_t tl = 0;
        const char *tr = element(p, end, &at, "IsTruncated", &tl);
        free(token);
        token = NULL;
        if (!tr || tl != 4 || memcmp(tr, "true", 4) || !t) {
            rc = 0;
            goto out;
        }
        token = xml_decode(t, len);
        if (!token)
            goto out;
    }
    snprintf(err->code, sizeof err->code, "InternalError");
    snprintf(err->message, sizeof err->message, "the listing has more than %d pages",
             MAX_PAGES);
out:
    free(token);
    pl_sbuf_free(&page);
    return rc;
}

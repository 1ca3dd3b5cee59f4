/*
 * s3src.c — s3://bucket/key sources for the pluck filter.
 *
 * The object is streamed with one SigV4-signed GET (src/s3client/): nothing is stored, and
 * memory is one receive buffer whatever the object's size.  Configuration is the AWS CLI's:
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (else
 * AWS_DEFAULT_REGION, else us-east-1) and AWS_ENDPOINT_URL (or --endpoint-url); without an
 * endpoint, AWS's regional endpoint https://s3.REGION.amazonaws.com.  Without keys the
 * request goes unsigned (public objects).
 */
#include "cli/s3src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3client/s3.h"

struct pl_s3src {
    pl_s3cfg cfg;
    pl_s3get *get;
    uint64_t size;
    pl_s3err err;
    char errtext[600];
};

int pl_s3src_is_url(const char *path) { return !strncmp(path, "s3://", 5); }

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The store's endpoint, region and keys; 0, or -1 after printing why. */
static int configure(pl_s3cfg *cfg, const char *url, const char *endpoint, const char *prog)
{
    static int inited;
    if (!inited) {
        if (pl_s3_global_init()) {
            fprintf(stderr, "%s: %s: libcurl could not be initialised\n", prog, url);
            return -1;
        }
        inited = 1;
    }
    const char *region = env("AWS_REGION");
    if (!region)
        region = env("AWS_DEFAULT_REGION");
    snprintf(cfg->region, sizeof cfg->region, "%s", region ? region : "us-east-1");
    char aws[160];
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL_S3");
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL");
    if (!endpoint) {
        snprintf(aws, sizeof aws, "https://s3.%s.amazonaws.com", cfg->region);
        endpoint = aws;
    }
    char why[200];
    if (pl_s3cfg_endpoint(cfg, endpoint, why, sizeof why)) {
        fprintf(stderr, "%s: endpoint '%s': %s\n", prog, endpoint, why);
        return -1;
    }
    cfg->akid = env("AWS_ACCESS_KEY_ID");
    cfg->secret = env("AWS_SECRET_ACCESS_KEY");
    cfg->token = env("AWS_SESSION_TOKEN");
    if (!!cfg->akid != !!cfg->secret) {
        fprintf(stderr, "%s: %s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set "
                        "together\n",
                prog, url);
        return -1;
    }
    return 0;
}

/* "s3://BUCKET/REST" -> malloc'ed BUCKET and *rest (empty only with empty_ok); NULL after
 * printing why. */
static char *split_url(const char *url, const char **rest, int empty_ok, const char *prog)
{
    const char *b = url + 5, *slash = strchr(b, '/');
    if (!slash || slash == b || (!slash[1] && !empty_ok)) {
        fprintf(stderr, "%s: %s: expected s3://BUCKET/KEY or s3://BUCKET/PREFIX/\n", prog, url);
        return NULL;
    }
    char *bucket = strndup(b, (size_t)(slash - b));
    if (!bucket)
        fprintf(stderr, "%s: out of memory\n", prog);
    *rest = slash + 1;
    return bucket;
}

pl_s3src *pl_s3src_open(const char *url, const char *endpoint, const char *prog)
{
    const char *key;
    char *bucket = split_url(url, &key, 0, prog);
    if (!bucket)
        return NULL;
    pl_s3src *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(bucket);
        return NULL;
    }
    if (configure(&s->cfg, url, endpoint, prog)) {
        free(bucket);
        free(s);
        return NULL;
    }
    pl_s3req rq = {.bucket = bucket, .key = key};
    s->get = pl_s3_open(&s->cfg, &rq, &s->err);
    free(bucket);
    if (!s->get) {
        fprintf(stderr, "%s: %s: %s: %s\n", prog, url, s->err.code, s->err.message);
        free(s);
        return NULL;
    }
    int64_t len = pl_s3_content_length(s->get);
    s->size = len > 0 ? (uint64_t)len : 0;
    return s;
}

typedef struct expansion {
    char **list;
    int n, cap;
    const char *bucket;
    int oom;
} expansion;

static int push(expansion *x, char *item)
{
    if (!item) {
        x->oom = 1;
        return 1;
    }
    if (x->n == x->cap) {
        int cap = x->cap ? 2 * x->cap : 16;
        char **l = realloc(x->list, (size_t)cap * sizeof *l);
        if (!l) {
            free(item);
            x->oom = 1;
            return 1;
        }
        x->list = l;
        x->cap = cap;
    }
    x->list[x->n++] = item;
    return 0;
}

static int on_key(void *ctx, const char *key, uint64_t size)
{
    expansion *x = ctx;
    size_t kl = strlen(key);
    if (kl && key[kl - 1] == '/' && size == 0)
        return 0; /* a "folder" marker, not data */
    size_t n = strlen(x->bucket) + kl + 7;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "s3://%s/%s", x->bucket, key);
    return push(x, u);
}

int pl_s3src_expand(char **args, int n, const char *endpoint, const char *prog, char ***out,
                    int *nout)
{
    expansion x = {0};
    for (int i = 0; i < n && !x.oom; i++) {
        const char *a = args[i];
        size_t al = strlen(a);
        if (!pl_s3src_is_url(a) || a[al - 1] != '/') {
            push(&x, strdup(a));
            continue;
        }
        const char *prefix;
        char *bucket = split_url(a, &prefix, 1, prog); /* s3://BUCKET/: all */
        pl_s3cfg cfg;
        memset(&cfg, 0, sizeof cfg);
        if (!bucket || configure(&cfg, a, endpoint, prog))
            goto fail_bucket;
        pl_s3err err;
        int before = x.n;
        x.bucket = bucket;
        if (pl_s3_list(&cfg, bucket, prefix, on_key, &x, &err)) {
            fprintf(stderr, "%s: %s: %s: %s\n", prog, a, err.code, err.message);
            goto fail_bucket;
        }
        if (!x.oom && x.n == before) {
            fprintf(stderr, "%s: %s: no objects under this prefix\n", prog, a);
            goto fail_bucket;
        }
        free(bucket);
        continue;
    fail_bucket:
        free(bucket);
        pl_s3src_free_list(x.list, x.n);
        return -1;
    }
    if (x.oom) {
        fprintf(stderr, "%s: out of memory\n", prog);
        pl_s3src_free_list(x.list, x.n);
        return -1;
    }
    *out = x.list;
    *nout = x.n;
    return 0;
}

void pl_s3src_free_list(char **list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

uint64_t pl_s3src_size(const pl_s3src *s) { return s->size; }

ptrdiff_t pl_s3src_read(void *opaque, void *buf, size_t cap)
{
    pl_s3src *s = opaque;
    ptrdiff_t n = pl_s3_read(s->get, buf, cap, &s->err);
    if (n < 0)
        snprintf(s->errtext, sizeof s->errtext, "%s: %s", s->err.code, s->err.message);
    return n;
}

const char *pl_s3src_error(const pl_s3src *s) { return s->errtext; }

void pl_s3src_close(pl_s3src *s)
{
    if (!s)
        return;
    pl_s3_close(s->get);
    free(s);
}

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

pl_s3src *pl_s3src_open(const char *url, const char *endpoint, const char *prog)
{
    static int inited;
    if (!inited) {
        if (pl_s3_global_init()) {
            fprintf(stderr, "%s: %s: libcurl could not be initialised\n", prog, url);
            return NULL;
        }
        inited = 1;
    }
    const char *b = url + 5, *slash = strchr(b, '/');
    if (!slash || slash == b || !slash[1]) {
        fprintf(stderr, "%s: %s: expected s3://BUCKET/KEY\n", prog, url);
        return NULL;
    }
    if (slash[strlen(slash) - 1] == '/') {
        fprintf(stderr, "%s: %s: names a prefix, not an object (reading every object under a "
                        "prefix is not supported yet)\n",
                prog, url);
        return NULL;
    }
    pl_s3src *s = calloc(1, sizeof *s);
    char *bucket = strndup(b, (size_t)(slash - b));
    if (!s || !bucket) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(s);
        free(bucket);
        return NULL;
    }
    const char *region = env("AWS_REGION");
    if (!region)
        region = env("AWS_DEFAULT_REGION");
    snprintf(s->cfg.region, sizeof s->cfg.region, "%s", region ? region : "us-east-1");
    char aws[160];
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL_S3");
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL");
    if (!endpoint) {
        snprintf(aws, sizeof aws, "https://s3.%s.amazonaws.com", s->cfg.region);
        endpoint = aws;
    }
    char why[200];
    if (pl_s3cfg_endpoint(&s->cfg, endpoint, why, sizeof why)) {
        fprintf(stderr, "%s: endpoint '%s': %s\n", prog, endpoint, why);
        free(bucket);
        free(s);
        return NULL;
    }
    s->cfg.akid = env("AWS_ACCESS_KEY_ID");
    s->cfg.secret = env("AWS_SECRET_ACCESS_KEY");
    s->cfg.token = env("AWS_SESSION_TOKEN");
    if (!!s->cfg.akid != !!s->cfg.secret) {
        fprintf(stderr, "%s: %s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set "
                        "together\n",
                prog, url);
        free(bucket);
        free(s);
        return NULL;
    }
    pl_s3req rq = {.bucket = bucket, .key = slash + 1};
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

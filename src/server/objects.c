/*
 * objects.c — the object API around SelectObjectContent: ListBuckets, CreateBucket,
 * DeleteBucket, HeadBucket, GetBucketLocation, ListObjects (V1 and V2), PutObject,
 * CopyObject, GetObject (with Range), HeadObject, DeleteObject, DeleteObjects and the
 * multipart upload calls the AWS CLI uses for large files.  Enough for `aws s3 cp/ls/rm/rb`
 * and boto3's upload/download helpers; not versioning, ACLs, tagging or metadata storage.
 */
#define _GNU_SOURCE /* statx */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "server/gzidx.h"
#include "server/srv.h"
#include "server/store.h"
#include "server/xmlreq.h"

#define XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static int open_bucket_or_answer(pl_req *r, enum MHD_Result *res)
{
    int bfd = pl_open_bucket(r->srv->rootfd, r->bucket);
    if (bfd < 0)
        *res = pl_send_errno(r, bfd == -ENOTDIR || bfd == -ELOOP ? -ENOENT : bfd, 1);
    /* (EMFILE and the like are 503 SlowDown in pl_send_errno) */
    return bfd;
}

/* ---- buckets --------------------------------------------------------------------------- */

typedef struct bucket_ent {
    char name[64];
    struct timespec t;
} bucket_ent;

static int cmp_bucket(const void *a, const void *b)
{
    return strcmp(((const bucket_ent *)a)->name, ((const bucket_ent *)b)->name);
}

/* A bucket's CreationDate: the directory's birth time where the file system keeps one,
 * else the time CreateBucket recorded (user.pluck.created), else its mtime.  Never the
 * mtime alone where better is known: it moves whenever a top-level key is written. */
static struct timespec bucket_created(int rootfd, const char *name, const struct stat *st)
{
    struct statx sx;
    if (statx(rootfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 &&
        (sx.stx_mask & STATX_BTIME))
        return (struct timespec){.tv_sec = sx.stx_btime.tv_sec, .tv_nsec = sx.stx_btime.tv_nsec};
    int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32];
        ssize_t n = fgetxattr(fd, "user.pluck.created", buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *e;
            long long t = strtoll(buf, &e, 10);
            if (*e == 0 && t > 0)
                return (struct timespec){.tv_sec = (time_t)t, .tv_nsec = 0};
        }
    }
    return st->st_mtim;
}

static enum MHD_Result list_buckets(pl_req *r)
{
    int fd = dup(r->srv->rootfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return pl_send_errno(r, errno, 1);
    }
    rewinddir(d);
    bucket_ent *v = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (!pl_valid_bucket(de->d_name) ||
            fstatat(r->srv->rootfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        bucket_ent *nv = realloc(v, (n + 1) * sizeof *v);
        if (!nv)
            break;
        v = nv;
        memcpy(v[n].name, de->d_name, strlen(de->d_name) + 1); /* valid names are <= 63 */
        v[n].t = bucket_created(r->srv->rootfd, de->d_name, &st);
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_bucket);
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<ListAllMyBucketsResult xmlns=\"" XMLNS "\"><Owner><ID>pluck</ID>"
                              "<DisplayName>pluck</DisplayName></Owner><Buckets>");
    for (size_t i = 0; i < n; i++) {
        char date[40];
        pl_iso_date(&v[i].t, date, sizeof date);
        pl_sbuf_adds(&b, "<Bucket>");
        pl_sbuf_xml_elem(&b, "Name", v[i].name);
        pl_sbuf_xml_elem(&b, "CreationDate", date);
        pl_sbuf_adds(&b, "</Bucket>");
    }
    pl_sbuf_adds(&b, "</Buckets></ListAllMyBucketsResult>");
    free(v);
    return pl_send_xml(r, 200, &b);
}

static enum MHD_Result create_bucket(pl_req *r)
{
    if (!pl_valid_bucket(r->bucket))
        return pl_send_error(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
    if (mkdirat(r->srv->rootfd, r->bucket, 0755) < 0) {
        struct stat st;
        if (errno != EEXIST)
            return pl_send_errno(r, errno, 1);
        if (fstatat(r->srv->rootfd, r->bucket, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            return pl_send_error(r, 409, "BucketAlreadyExists",
                                 "The requested bucket name is not available.");
        /* us-east-1 answers 200 when the caller already owns the bucket */
    } else {
        int fd = openat(r->srv->rootfd, r->bucket, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) { /* CreationDate where the file system keeps no birth time */
            char t[32];
            int tl = snprintf(t, sizeof t, "%lld", (long long)time(NULL));
            fsetxattr(fd, "user.pluck.created", t, (size_t)tl, 0);
            if (r->srv->fsync)
                fsync(r->srv->rootfd);
            close(fd);
        }
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    char loc[80];
    snprintf(loc, sizeof loc, "/%s", r->bucket);
    MHD_add_response_header(resp, "Location", loc);
    return pl_queue(r, 200, resp);
}

static enum MHD_Result delete_bucket(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    int empty = pl_bucket_empty(bfd);
    if (empty <= 0) {
        close(bfd);
        if (empty < 0)
            return pl_send_errno(r, empty, 1);
        return pl_send_error(r, 409, "BucketNotEmpty",
                             "The bucket you tried to delete is not empty");
    }
    /* Again under the lock, as a PUT may have published since: no key is being started or
     * published meanwhile (start_write, pl_upload_commit), so the PUT that got there first
     * made the bucket non-empty and the one after finds it gone (NoSuchBucket). */
    pthread_rwlock_wrlock(&r->srv->bucket_lock);
    empty = pl_bucket_empty(bfd);
    int rc = empty < 0 ? empty : !empty ? -ENOTEMPTY : pl_remove_bucket(r->srv->rootfd, r->bucket);
    pthread_rwlock_unlock(&r->srv->bucket_lock);
    close(bfd);
    if (rc == -ENOTEMPTY)
        return pl_send_error(r, 409, "BucketNotEmpty",
                             "The bucket you tried to delete is not empty");
    if (rc < 0)
        return pl_send_errno(r, rc, 1);
    pl_gzidx_forget_bucket(r->srv->rootfd, r->bucket); /* the gzip indexes of its objects */
    return pl_send_empty(r, 204);
}

static enum MHD_Result head_bucket(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    close(bfd);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "x-amz-bucket-region", "us-east-1");
    return pl_queue(r, 200, resp);
}

static enum MHD_Result bucket_location(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    close(bfd);
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<LocationConstraint xmlns=\"" XMLNS "\"/>");
    return pl_send_xml(r, 200, &b);
}

/* ---- listing ----------------------------------------------------------------------------- */

typedef struct lister {
    pl_req *r;
    const char *prefix, *delim;
    const char *skip_prefix; /* a common prefix already returned */
    int url;                 /* encoding-type=url */
    size_t max, count;
    int truncated;
    pl_sbuf contents, prefixes;
    char last[PL_MAX_KEY + 8]; /* last key or common prefix returned */
    int last_is_prefix;
} lister;

static void add_text(pl_sbuf *b, const char *tag, const char *s, int url)
{
    if (!url) {
        pl_sbuf_xml_elem(b, tag, s);
        return;
    }
    char *e = pl_uri_encode(s, strlen(s), 1);
    pl_sbuf_xml_elem(b, tag, e ? e : "");
    free(e);
}

static int list_one(void *ctx, const char *key, int dirfd, const char *leaf, const struct stat *st)
{
    lister *l = ctx;
    if (l->skip_prefix && !strncmp(key, l->skip_prefix, strlen(l->skip_prefix)))
        return 0;
    size_t pl = l->prefix ? strlen(l->prefix) : 0;
    if (l->delim && *l->delim) {
        const char *d = strstr(key + pl, l->delim);
        if (d) {
            size_t cl = (size_t)(d - key) + strlen(l->delim);
            if (l->last_is_prefix && strlen(l->last) == cl && !strncmp(l->last, key, cl))
                return 0; /* same common prefix as the previous key */
            if (l->count >= l->max) {
                l->truncated = 1;
                return 1;
            }
            memcpy(l->last, key, cl);
            l->last[cl] = 0;
            l->last_is_prefix = 1;
            pl_sbuf_adds(&l->prefixes, "<CommonPrefixes>");
            add_text(&l->prefixes, "Prefix", l->last, l->url);
            pl_sbuf_adds(&l->prefixes, "</CommonPrefixes>");
            l->count++;
            return 0;
        }
    }
    if (l->count >= l->max) {
        l->truncated = 1;
        return 1;
    }
    char date[40], etag[80];
    pl_iso_date(&st->st_mtim, date, sizeof date);
    pl_etag_at(dirfd, leaf, st, etag, sizeof etag);
    pl_sbuf_adds(&l->contents, "<Contents>");
    add_text(&l->contents, "Key", key, l->url);
    pl_sbuf_xml_elem(&l->contents, "LastModified", date);
    pl_sbuf_xml_elem(&l->contents, "ETag", etag);
    pl_sbuf_printf(&l->contents, "<Size>%llu</Size><StorageClass>STANDARD</StorageClass>",
                   (unsigned long long)st->st_size);
    if (l->r->op == OP_LIST_OBJECTS && (!pl_query_has(l->r, "list-type") ||
                                        pl_query_has(l->r, "fetch-owner")))
        pl_sbuf_adds(&l->contents,
                     "<Owner><ID>pluck</ID><DisplayName>pluck</DisplayName></Owner>");
    pl_sbuf_adds(&l->contents, "</Contents>");
    snprintf(l->last, sizeof l->last, "%s", key);
    l->last_is_prefix = 0;
    l->count++;
    return 0;
}

static char *hex_token(const char *kind, const char *s)
{
    size_t n = strlen(s);
    char *t = malloc(2 * n + 4);
    if (!t)
        return NULL;
    t[0] = kind[0];
    pl_hex((const unsigned char *)s, n, t + 1);
    return t;
}

static char *unhex_token(const char *t, int *is_prefix)
{
    size_t n = strlen(t);
    if (n < 1 || (t[0] != 'K' && t[0] != 'P') || (n - 1) % 2)
        return NULL;
    char *o = malloc(n / 2 + 1);
    if (!o)
        return NULL;
    for (size_t i = 0; i < (n - 1) / 2; i++) {
        unsigned v;
        if (sscanf(t + 1 + 2 * i, "%2x", &v) != 1) {
            free(o);
            return NULL;
        }
        o[i] = (char)v;
    }
    o[(n - 1) / 2] = 0;
    if (strlen(o) != (n - 1) / 2) {
        free(o);
        return NULL;
    }
    *is_prefix = t[0] == 'P';
    return o;
}

static enum MHD_Result list_objects(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    int v2 = pl_query_has(r, "list-type") && !strcmp(pl_query_get(r, "list-type"), "2");
    lister l;
    memset(&l, 0, sizeof l);
    l.r = r;
    l.prefix = pl_query_get(r, "prefix");
    l.delim = pl_query_get(r, "delimiter");
    const char *enc = pl_query_get(r, "encoding-type");
    if (enc && strcmp(enc, "url")) {
        close(bfd);
        return pl_send_error(r, 400, "InvalidArgument", "Invalid Encoding Method specified in "
                                                        "Request");
    }
    l.url = enc != NULL;
    l.max = 1000;
    const char *mk = pl_query_get(r, "max-keys");
    if (mk) {
        char *e;
        long v = strtol(mk, &e, 10);
        if (*e || v < 0) {
            close(bfd);
            return pl_send_error(r, 400, "InvalidArgument",
                                 "Provided max-keys not an integer or within integer range");
        }
        if (v < 1000)
            l.max = (size_t)v;
    }
    const char *after = NULL;
    char *tok = NULL;
    const char *ctoken = v2 ? pl_query_get(r, "continuation-token") : NULL;
    const char *start_after = v2 ? pl_query_get(r, "start-after") : NULL;
    const char *marker = v2 ? NULL : pl_query_get(r, "marker");
    if (ctoken) {
        int isp = 0;
        tok = unhex_token(ctoken, &isp);
        if (!tok) {
            close(bfd);
            return pl_send_error(r, 400, "InvalidArgument",
                                 "The continuation token provided is incorrect");
        }
        after = tok;
        if (isp)
            l.skip_prefix = tok;
    } else if (start_after && *start_after) {
        after = start_after;
    } else if (marker && *marker) {
        after = marker;
        if (l.delim && *l.delim && strlen(marker) >= strlen(l.delim) &&
            !strcmp(marker + strlen(marker) - strlen(l.delim), l.delim))
            l.skip_prefix = marker;
    }
    int rc = l.max ? pl_walk_bucket(bfd, l.prefix, after, list_one, &l) : 0;
    close(bfd);
    if (rc < 0) {
        free(tok);
        pl_sbuf_free(&l.contents);
        pl_sbuf_free(&l.prefixes);
        return pl_send_errno(r, rc, 1);
    }
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<ListBucketResult xmlns=\"" XMLNS "\">");
    pl_sbuf_xml_elem(&b, "Name", r->bucket);
    add_text(&b, "Prefix", l.prefix ? l.prefix : "", l.url);
    if (v2) {
        pl_sbuf_printf(&b, "<KeyCount>%zu</KeyCount>", l.count);
        if (ctoken)
            pl_sbuf_xml_elem(&b, "ContinuationToken", ctoken);
        if (start_after)
            add_text(&b, "StartAfter", start_after, l.url);
    } else {
        add_text(&b, "Marker", marker ? marker : "", l.url);
    }
    pl_sbuf_printf(&b, "<MaxKeys>%zu</MaxKeys>", l.max);
    if (l.delim)
        add_text(&b, "Delimiter", l.delim, l.url);
    if (l.url)
        pl_sbuf_adds(&b, "<EncodingType>url</EncodingType>");
    pl_sbuf_printf(&b, "<IsTruncated>%s</IsTruncated>", l.truncated ? "true" : "false");
    if (l.truncated) {
        if (v2) {
            char *t = hex_token(l.last_is_prefix ? "P" : "K", l.last);
            if (t)
                pl_sbuf_xml_elem(&b, "NextContinuationToken", t);
            free(t);
        } else if (l.delim) {
            add_text(&b, "NextMarker", l.last, l.url);
        }
    }
    if (l.contents.len)
        pl_sbuf_add(&b, l.contents.data, l.contents.len);
    if (l.prefixes.len)
        pl_sbuf_add(&b, l.prefixes.data, l.prefixes.len);
    pl_sbuf_adds(&b, "</ListBucketResult>");
    pl_sbuf_free(&l.contents);
    pl_sbuf_free(&l.prefixes);
    free(tok);
    return pl_send_xml(r, 200, &b);
}

/* ---- objects ----------------------------------------------------------------------------- */

static void object_headers(struct MHD_Response *resp, int fd, const struct stat *st)
{
    char etag[80], date[64];
    pl_etag(fd, st, etag, sizeof etag);
    pl_http_date(st->st_mtim.tv_sec, date, sizeof date);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", date);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Content-Type", "binary/octet-stream");
}

/* RFC 9110 single byte range against size; 1 with [*a, *b] set, 0 for no usable range
 * (serve everything), -1 when unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
    if (strncmp(h, "bytes=", 6) || strchr(h, ','))
        return 0;
    const char *s = h + 6;
    char *e;
    if (*s == '-') {
        unsigned long long n = strtoull(s + 1, &e, 10);
        if (e == s + 1 || *e)
            return 0;
        if (n == 0)
            return -1;
        *a = n >= size ? 0 : size - n;
        *b = size ? size - 1 : 0;
        return size ? 1 : -1;
    }
    unsigned long long x = strtoull(s, &e, 10);
    if (e == s || *e != '-')
        return 0;
    const char *t = e + 1;
    unsigned long long y = size ? size - 1 : 0;
    if (*t) {
        y = strtoull(t, &e, 10);
        if (e == t || *e || y < x)
            return 0;
        if (y >= size)
            y = size ? size - 1 : 0;
    }
    if (x >= size)
        return -1;
    *a = x;
    *b = y;
    return 1;
}

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls, (void)pos, (void)buf, (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result get_object(pl_req *r, int head)
{
    struct stat st;
    int fd = pl_open_object(r->srv->rootfd, r->bucket, r->key, &st);
    if (fd < 0)
        return pl_send_open_error(r, fd);
    uint64_t size = (uint64_t)st.st_size, a = 0, b = size ? size - 1 : 0;
    const char *rh = pl_header(r, "range");
    int ranged = rh && !head ? parse_range(rh, size, &a, &b) : 0;
    if (ranged < 0) {
        close(fd);
        return pl_send_error(r, 416, "InvalidRange", "The requested range is not satisfiable");
    }
    uint64_t len = ranged ? b - a + 1 : size;
    struct MHD_Response *resp;
    if (head) {
        resp = MHD_create_response_from_callback(size, 4096, no_body, NULL, NULL);
    } else if (len == 0) {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        int dfd = dup(fd); /* MHD owns and closes the descriptor it is given */
        if (dfd < 0) {
            int e = errno;
            close(fd);
            return pl_send_errno(r, e, 0);
        }
        resp = MHD_create_response_from_fd_at_offset64(len, dfd, a);
        if (!resp)
            close(dfd);
    }
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    object_headers(resp, fd, &st);
    close(fd);
    if (ranged) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, size);
        MHD_add_response_header(resp, "Content-Range", cr);
    }
    return pl_queue(r, ranged ? 206 : 200, resp);
}

static int delete_key(pl_req *r, int bfd, const char *key, const char **code, const char **msg)
{
    const char *bad = pl_key_problem(key, strlen(key));
    if (bad) {
        *code = pl_key_problem_code(bad);
        *msg = bad;
        return -1;
    }
    const char *leaf;
    int dfd = pl_open_parent(bfd, key, 0, &leaf);
    if (dfd < 0) {
        if (dfd == -ENOENT || dfd == -ENOTDIR) {
            pl_gzidx_forget(r->srv->rootfd, r->bucket, key);
            return 0; /* deleting a missing key succeeds, as in S3 */
        }
        *code = dfd == -ELOOP ? "AccessDenied" : "InternalError";
        *msg = dfd == -ELOOP ? "The path reaches a symbolic link." : strerror(-dfd);
        return -1;
    }
    struct stat st;
    int rc = 0;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        if (unlinkat(dfd, leaf, 0) < 0 && errno != ENOENT) {
            *code = errno == EACCES || errno == EPERM ? "AccessDenied" : "InternalError";
            *msg = strerror(errno);
            rc = -1;
        }
    }
    close(dfd);
    if (!rc) {
        pl_prune_dirs(bfd, key);
        pl_gzidx_forget(r->srv->rootfd, r->bucket, key); /* its gzip index, if any */
    }
    return rc;
}

static enum MHD_Result delete_object(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    const char *code = NULL, *msg = NULL;
    int rc = delete_key(r, bfd, r->key, &code, &msg);
    close(bfd);
    if (rc)
        return pl_send_error(r, !strcmp(code, "AccessDenied") ? 403 : 500, code, "%s", msg);
    return pl_send_empty(r, 204);
}

/* DeleteObjects body */
typedef struct del_req {
    char **keys;
    size_t n;
    int quiet;
    int too_many;
} del_req;

static int del_xml(void *ctx, const char *path, int depth, const char *text, size_t len)
{
    del_req *d = ctx;
    if (!text) {
        if (depth == 1 && strcmp(path, "Delete"))
            return -1;
        return 0;
    }
    if (!strcmp(path, "Delete/Quiet")) {
        d->quiet = len == 4 && !strncasecmp(text, "true", 4);
    } else if (!strcmp(path, "Delete/Object/Key")) {
        if (d->n >= 1000) {
            d->too_many = 1;
            return -1;
        }
        char **k = realloc(d->keys, (d->n + 1) * sizeof *k);
        if (!k)
            return -1;
        d->keys = k;
        k[d->n] = malloc(len + 1);
        if (!k[d->n])
            return -1;
        memcpy(k[d->n], text, len);
        k[d->n][len] = 0;
        if (strlen(k[d->n]) != len)
            k[d->n][0] = 0; /* NUL inside: refused as an empty key */
        d->n++;
    }
    return 0;
}

static enum MHD_Result delete_objects(pl_req *r)
{
    enum MHD_Result res;
    const char *cmd5 = pl_header(r, "content-md5");
    if (cmd5) {
        unsigned char md5[16];
        unsigned int ml = 16;
        char want[64];
        EVP_Digest(r->body.data ? r->body.data : "", r->body.len, md5, &ml, EVP_md5(), NULL);
        EVP_EncodeBlock((unsigned char *)want, md5, 16);
        if (strcmp(want, cmd5))
            return pl_send_error(r, 400, "BadDigest",
                                 "The Content-MD5 you specified did not match what we received.");
    }
    del_req d = {0};
    char err[300];
    int xrc = pl_xml_parse(r->body.data ? r->body.data : "", r->body.len, del_xml, &d, err,
                           sizeof err);
    if (xrc || d.n == 0) {
        for (size_t i = 0; i < d.n; i++)
            free(d.keys[i]);
        free(d.keys);
        return pl_send_error(r, 400, "MalformedXML", "%s",
                             d.too_many ? "A DeleteObjects request holds at most 1000 keys."
                             : xrc == -1 ? err
                                         : "The XML you provided was not well-formed or did not "
                                           "validate against our published schema.");
    }
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0) {
        for (size_t i = 0; i < d.n; i++)
            free(d.keys[i]);
        free(d.keys);
        return res;
    }
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<DeleteResult xmlns=\"" XMLNS "\">");
    for (size_t i = 0; i < d.n; i++) {
        const char *code = NULL, *msg = NULL;
        if (delete_key(r, bfd, d.keys[i], &code, &msg)) {
            pl_sbuf_adds(&b, "<Error>");
            pl_sbuf_xml_elem(&b, "Key", d.keys[i]);
            pl_sbuf_xml_elem(&b, "Code", code);
            pl_sbuf_xml_elem(&b, "Message", msg);
            pl_sbuf_adds(&b, "</Error>");
        } else if (!d.quiet) {
            pl_sbuf_adds(&b, "<Deleted>");
            pl_sbuf_xml_elem(&b, "Key", d.keys[i]);
            pl_sbuf_adds(&b, "</Deleted>");
        }
        free(d.keys[i]);
    }
    free(d.keys);
    close(bfd);
    pl_sbuf_adds(&b, "</DeleteResult>");
    return pl_send_xml(r, 200, &b);
}

/* ---- writes ------------------------------------------------------------------------------ */

/* Open (creating directories) the destination of r->key and start a temporary file. */
static int start_write(pl_req *r, enum MHD_Result *res)
{
    int bfd = open_bucket_or_answer(r, res);
    if (bfd < 0)
        return -1;
    const char *leaf;
    /* a DeleteBucket waits until the directories and the temporary file exist (its
     * remove_tree then takes them, and the publish finds the bucket gone) */
    pthread_rwlock_rdlock(&r->srv->bucket_lock);
    int dfd = pl_open_parent(bfd, r->key, r->srv->fsync ? 2 : 1, &leaf);
    int rc = dfd < 0 ? dfd : pl_upload_begin(r, dfd, leaf, 0);
    pthread_rwlock_unlock(&r->srv->bucket_lock);
    close(bfd);
    if (dfd == -ENOTDIR || dfd == -EEXIST || dfd == -EISDIR) {
        *res = pl_send_error(r, 409, "OperationAborted",
                             "A parent of the key is itself an object.");
        return -1;
    }
    if (rc < 0) {
        if (pl_resource_errno(rc) || (rc != -ENOENT && rc != -ENOTDIR)) {
            *res = pl_send_errno(r, rc, 0);
        } else {
            pl_fail_write_errno(r, -ENOENT);
            *res = pl_send_error(r, r->err_status, r->err_code, "%s", r->err_msg);
        }
        return -1;
    }
    return 0;
}

static enum MHD_Result send_pending(pl_req *r)
{
    if (r->up) {
        pl_upload_abort(r->up);
        r->up = NULL;
    }
    return pl_send_error(r, r->err_status ? r->err_status : 500,
                         r->err_code ? r->err_code : "InternalError", "%s", r->err_msg);
}

static enum MHD_Result put_object(pl_req *r)
{
    enum MHD_Result res = MHD_YES;
    if (!r->up) { /* headers only so far: open the destination before the body comes */
        if (start_write(r, &res))
            return res;
        return MHD_YES;
    }
    char etag[96];
    if (pl_upload_commit(r, etag, sizeof etag))
        return send_pending(r);
    pl_upload_abort(r->up); /* published: this only frees */
    r->up = NULL;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "ETag", etag);
    return pl_queue(r, 200, resp);
}

/* Copy an open file into the current upload, block by block. */
static int copy_into(pl_req *r, int fd)
{
    char *buf = malloc(256 * 1024);
    if (!buf) {
        pl_fail(r, 500, "InternalError", "Out of memory.");
        return -1;
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 256 * 1024);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            pl_fail(r, 500, "InternalError", "Reading the source failed: %s.", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if ((rc = pl_upload_data(r, buf, (size_t)n)))
            break;
    }
    free(buf);
    return rc;
}

static enum MHD_Result copy_object(pl_req *r)
{
    const char *src = pl_header(r, "x-amz-copy-source");
    size_t sl = strcspn(src, "?");
    size_t dl;
    char *dec = pl_uri_decode(src, sl, &dl);
    if (!dec || strlen(dec) != dl) {
        free(dec);
        return pl_send_error(r, 400, "InvalidArgument", "Copy Source must mention the source "
                                                        "bucket and key: sourcebucket/sourcekey");
    }
    char *p = dec + (dec[0] == '/');
    char *sl2 = strchr(p, '/');
    if (!sl2 || !sl2[1]) {
        free(dec);
        return pl_send_error(r, 400, "InvalidArgument", "Copy Source must mention the source "
                                                        "bucket and key: sourcebucket/sourcekey");
    }
    *sl2 = 0;
    const char *sbucket = p, *skey = sl2 + 1;
    const char *bad = pl_key_problem(skey, strlen(skey));
    if (bad || !pl_valid_bucket(sbucket)) {
        free(dec);
        return pl_send_error(r, 400, bad ? pl_key_problem_code(bad) : "InvalidArgument",
                             "The copy source cannot be read: %s.",
                             bad ? bad : "invalid bucket name");
    }
    struct stat st;
    int fd = pl_open_object(r->srv->rootfd, sbucket, skey, &st);
    int bfd = fd < 0 && !pl_resource_errno(fd) ? pl_open_bucket(r->srv->rootfd, sbucket) : 0;
    if (bfd > 0)
        close(bfd);
    free(dec);
    if (fd < 0 && (pl_resource_errno(fd) || pl_resource_errno(bfd)))
        return pl_send_errno(r, pl_resource_errno(fd) ? fd : bfd, 0);
    if (fd < 0)
        return pl_send_errno(r, bfd < 0 ? -ENOENT : fd, bfd < 0);
    enum MHD_Result res;
    if (start_write(r, &res)) {
        close(fd);
        return res;
    }
    pl_upload_internal(r->up, NULL);
    char etag[96];
    if (copy_into(r, fd) || pl_upload_commit(r, etag, sizeof etag)) {
        close(fd);
        return send_pending(r);
    }
    close(fd);
    pl_upload_abort(r->up);
    r->up = NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char date[40];
    pl_iso_date(&now, date, sizeof date);
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<CopyObjectResult xmlns=\"" XMLNS "\">");
    pl_sbuf_xml_elem(&b, "LastModified", date);
    pl_sbuf_xml_elem(&b, "ETag", etag);
    pl_sbuf_adds(&b, "</CopyObjectResult>");
    return pl_send_xml(r, 200, &b);
}

/* ---- multipart uploads ------------------------------------------------------------------- */

static int valid_upload_id(const char *id)
{
    if (!id || strlen(id) != 32)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

/* PartNumber: a plain decimal integer (digits only: no sign, space or other character) in
 * 1..10000; 0 and larger numbers are read as 0 (out of range: InvalidPart).  Not a number:
 * -1 (MalformedXML, as S3 answers an element that does not validate as an integer). */
static int part_number(const char *t, size_t n)
{
    if (n == 0)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        if (v <= 10000)
            v = v * 10 + (t[i] - '0');
    }
    return n > 5 || v > 10000 ? 0 : v;
}

/* Open the upload's directory, checking it belongs to this bucket and key. */
static int open_upload(pl_req *r, enum MHD_Result *res)
{
    const char *id = pl_query_get(r, "uploadId");
    int ufd = -1;
    if (valid_upload_id(id)) {
        char path[64];
        snprintf(path, sizeof path, "%s/%s", PL_UPLOADS_DIR, id);
        int top = openat(r->srv->rootfd, PL_UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (top >= 0) {
            ufd = openat(top, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(top);
        }
        (void)path;
    }
    if (ufd >= 0) {
        char meta[PL_MAX_KEY + 128];
        int mfd = openat(ufd, "meta", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        ssize_t n = mfd >= 0 ? read(mfd, meta, sizeof meta - 1) : -1;
        if (mfd >= 0)
            close(mfd);
        int ok = 0;
        if (n > 0) {
            meta[n] = 0;
            char *nl = strchr(meta, '\n');
            if (nl) {
                *nl = 0;
                ok = !strcmp(meta, r->bucket) && !strcmp(nl + 1, r->key);
            }
        }
        if (ok)
            return ufd;
        close(ufd);
    }
    *res = pl_send_error(r, 404, "NoSuchUpload",
                         "The specified multipart upload does not exist. The upload ID may be "
                         "invalid, or the upload may have been aborted or completed.");
    return -1;
}

static void remove_upload_dir(pl_req *r, int ufd)
{
    pthread_mutex_lock(&r->srv->mpu_lock); /* no part is published while this runs */
    int fd = dup(ufd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                unlinkat(ufd, de->d_name, 0);
        closedir(d);
    } else if (fd >= 0) {
        close(fd);
    }
    int top = openat(r->srv->rootfd, PL_UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top >= 0) {
        unlinkat(top, pl_query_get(r, "uploadId"), AT_REMOVEDIR);
        close(top);
    }
    pthread_mutex_unlock(&r->srv->mpu_lock);
}

static enum MHD_Result mpu_create(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    close(bfd);
    mkdirat(r->srv->rootfd, PL_UPLOADS_DIR, 0700);
    int top = openat(r->srv->rootfd, PL_UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0)
        return pl_send_errno(r, errno, 0);
    char id[33];
    pl_random_hex(id, 32);
    if (mkdirat(top, id, 0700) < 0) {
        int e = errno;
        close(top);
        return pl_send_errno(r, e, 0);
    }
    int ufd = openat(top, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(top);
    int mfd = ufd >= 0 ? openat(ufd, "meta", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (mfd < 0) {
        int e = errno;
        if (ufd >= 0)
            close(ufd);
        return pl_send_errno(r, e, 0);
    }
    /* a full disk must not leave an upload with an empty meta behind a 200 */
    int wr = dprintf(mfd, "%s\n%s", r->bucket, r->key);
    int werr = wr < 0 ? errno : wr != (int)(strlen(r->bucket) + 1 + strlen(r->key)) ? ENOSPC : 0;
    if (!werr && r->srv->fsync && (fsync(mfd) < 0 || fsync(ufd) < 0))
        werr = errno;
    if (close(mfd) < 0 && !werr)
        werr = errno;
    if (werr) {
        unlinkat(ufd, "meta", 0);
        close(ufd);
        int t2 = openat(r->srv->rootfd, PL_UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t2 >= 0) {
            unlinkat(t2, id, AT_REMOVEDIR);
            close(t2);
        }
        return pl_send_errno(r, werr, 0);
    }
    close(ufd);
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<InitiateMultipartUploadResult xmlns=\"" XMLNS "\">");
    pl_sbuf_xml_elem(&b, "Bucket", r->bucket);
    pl_sbuf_xml_elem(&b, "Key", r->key);
    pl_sbuf_xml_elem(&b, "UploadId", id);
    pl_sbuf_adds(&b, "</InitiateMultipartUploadResult>");
    return pl_send_xml(r, 200, &b);
}

static enum MHD_Result mpu_part(pl_req *r)
{
    enum MHD_Result res = MHD_YES;
    if (!r->up) {
        const char *pn = pl_query_get(r, "partNumber");
        int part = part_number(pn, strlen(pn));
        if (part < 1)
            return pl_send_error(r, 400, "InvalidArgument",
                                 "Part number must be an integer between 1 and 10000, "
                                 "inclusive");
        int ufd = open_upload(r, &res);
        if (ufd < 0)
            return res;
        int rc = pl_upload_begin(r, ufd, NULL, part);
        if (rc < 0)
            return pl_send_errno(r, rc, 0);
        return MHD_YES;
    }
    /* The upload may have been aborted (or completed) while this part arrived: publish the
     * part only while the upload still exists, under the lock that AbortMultipartUpload and
     * CompleteMultipartUpload take to remove it (F9: it was a 500, and a part renamed in
     * between the removal's unlinks and its rmdir left an orphan directory). */
    char etag[96];
    pthread_mutex_lock(&r->srv->mpu_lock);
    int ufd = open_upload(r, &res);
    if (ufd < 0) {
        pthread_mutex_unlock(&r->srv->mpu_lock);
        pl_upload_abort(r->up);
        r->up = NULL;
        return res; /* 404 NoSuchUpload */
    }
    close(ufd);
    int crc = pl_upload_commit(r, etag, sizeof etag);
    pthread_mutex_unlock(&r->srv->mpu_lock);
    if (crc)
        return send_pending(r);
    pl_upload_abort(r->up);
    r->up = NULL;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "ETag", etag);
    return pl_queue(r, 200, resp);
}

typedef struct mpu_parts {
    int n;
    int num[10000];
    char etag[10000][33];
    int cur_num;
    char cur_etag[80];
    int bad;
    char badnum[24]; /* a PartNumber that is not an integer (MalformedXML), shown */
} mpu_parts;

static int mpu_xml(void *ctx, const char *path, int depth, const char *text, size_t len)
{
    mpu_parts *m = ctx;
    if (!text) {
        if (depth == 1 && strcmp(path, "CompleteMultipartUpload"))
            return -1;
        if (!strcmp(path, "CompleteMultipartUpload/Part")) {
            m->cur_num = 0;
            m->cur_etag[0] = 0;
        }
        return 0;
    }
    if (!strcmp(path, "CompleteMultipartUpload/Part/PartNumber")) {
        m->cur_num = part_number(text, len);
        if (m->cur_num < 0) {
            size_t show = len < sizeof m->badnum - 1 ? len : sizeof m->badnum - 1;
            memcpy(m->badnum, text, show);
            m->badnum[show] = 0;
            for (size_t i = 0; i < show; i++)
                if ((unsigned char)m->badnum[i] < 0x20 || (unsigned char)m->badnum[i] >= 0x7f)
                    m->badnum[i] = '?';
            return 3;
        }
    } else if (!strcmp(path, "CompleteMultipartUpload/Part/ETag")) {
        size_t o = 0, l = len;
        while (l && (text[o] == '"' || text[o] == ' ')) {
            o++;
            l--;
        }
        while (l && (text[o + l - 1] == '"' || text[o + l - 1] == ' '))
            l--;
        if (l >= sizeof m->cur_etag)
            return -1;
        memcpy(m->cur_etag, text + o, l);
        m->cur_etag[l] = 0;
    } else if (!strcmp(path, "CompleteMultipartUpload/Part")) {
        if (m->n >= 10000)
            return -1;
        if (m->cur_num < 1 || m->cur_num > 10000 || strlen(m->cur_etag) != 32) {
            m->bad = 1;
            return 2;
        }
        for (int i = 0; i < 32; i++) {
            char c = m->cur_etag[i];
            if (c >= 'A' && c <= 'F')
                m->cur_etag[i] = (char)(c - 'A' + 'a');
        }
        m->num[m->n] = m->cur_num;
        memcpy(m->etag[m->n], m->cur_etag, 33);
        m->n++;
    }
    return 0;
}

static enum MHD_Result mpu_complete(pl_req *r)
{
    enum MHD_Result res;
    mpu_parts *m = calloc(1, sizeof *m);
    if (!m)
        return MHD_NO;
    char err[300];
    int xrc = pl_xml_parse(r->body.data ? r->body.data : "", r->body.len, mpu_xml, m, err,
                           sizeof err);
    if (xrc == 3) {
        res = pl_send_error(r, 400, "MalformedXML",
                            "The XML you provided was not well-formed or did not validate "
                            "against our published schema (PartNumber '%s' is not an integer).",
                            m->badnum);
        free(m);
        return res;
    }
    if (xrc == 2 || m->bad) {
        free(m);
        return pl_send_error(r, 400, "InvalidPart",
                             "One or more of the specified parts could not be found.");
    }
    if (xrc || m->n == 0) {
        free(m);
        return pl_send_error(r, 400, "MalformedXML", "%s",
                             xrc == -1 ? err
                                       : "You must specify at least one part.");
    }
    for (int i = 1; i < m->n; i++)
        if (m->num[i] <= m->num[i - 1]) {
            free(m);
            return pl_send_error(r, 400, "InvalidPartOrder",
                                 "The list of parts was not in ascending order. The parts list "
                                 "must be specified in order by part number.");
        }
    int ufd = open_upload(r, &res);
    if (ufd < 0) {
        free(m);
        return res;
    }
    /* every part must exist before anything is written; they are then opened one at a
     * time (1,100 parts under `ulimit -n 1024` once answered InvalidPart: finding 6) */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_md5(), NULL);
    int ok = 1, serr = 0;
    for (int i = 0; i < m->n; i++) {
        char name[64];
        struct stat pst;
        snprintf(name, sizeof name, "%05d.%s", m->num[i], m->etag[i]);
        if (fstatat(ufd, name, &pst, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(pst.st_mode)) {
            ok = 0;
            if (errno != ENOENT && errno != ENOTDIR)
                serr = errno;
        }
        unsigned char bin[16];
        for (int k = 0; k < 16; k++) {
            unsigned v;
            sscanf(m->etag[i] + 2 * k, "%2x", &v);
            bin[k] = (unsigned char)v;
        }
        EVP_DigestUpdate(md, bin, 16);
    }
    unsigned char fin[16];
    unsigned int fl = 16;
    EVP_DigestFinal_ex(md, fin, &fl);
    EVP_MD_CTX_free(md);
    char etag[80], hex[33];
    pl_hex(fin, 16, hex);
    snprintf(etag, sizeof etag, "%s-%d", hex, m->n);
    if (!ok) {
        free(m);
        close(ufd);
        if (pl_resource_errno(serr))
            return pl_send_errno(r, serr, 0);
        return pl_send_error(r, 400, "InvalidPart",
                             "One or more of the specified parts could not be found.");
    }
    enum MHD_Result wres;
    int rc = start_write(r, &wres);
    if (!rc)
        pl_upload_internal(r->up, etag);
    for (int i = 0; i < m->n && !rc; i++) {
        char name[64];
        snprintf(name, sizeof name, "%05d.%s", m->num[i], m->etag[i]);
        int pfd = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0) {
            int e = errno;
            pl_fail(r, pl_resource_errno(e) ? 503 : 400, pl_resource_errno(e) ? "SlowDown" : "InvalidPart",
                    pl_resource_errno(e) ? "Please reduce your request rate (%s)."
                                         : "One or more of the specified parts could not be "
                                           "found (%s).",
                    strerror(e));
            rc = -1;
            break;
        }
        rc = copy_into(r, pfd);
        close(pfd);
    }
    free(m);
    char qetag[96];
    if (!rc && r->up)
        rc = pl_upload_commit(r, qetag, sizeof qetag);
    if (rc) {
        close(ufd);
        return r->up || r->err_status ? send_pending(r) : wres;
    }
    pl_upload_abort(r->up);
    r->up = NULL;
    remove_upload_dir(r, ufd);
    close(ufd);
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<CompleteMultipartUploadResult xmlns=\"" XMLNS "\">");
    char loc[PL_MAX_KEY + 100];
    snprintf(loc, sizeof loc, "/%s/%s", r->bucket, r->key);
    pl_sbuf_xml_elem(&b, "Location", loc);
    pl_sbuf_xml_elem(&b, "Bucket", r->bucket);
    pl_sbuf_xml_elem(&b, "Key", r->key);
    pl_sbuf_xml_elem(&b, "ETag", qetag);
    pl_sbuf_adds(&b, "</CompleteMultipartUploadResult>");
    return pl_send_xml(r, 200, &b);
}

static enum MHD_Result mpu_abort(pl_req *r)
{
    enum MHD_Result res;
    int ufd = open_upload(r, &res);
    if (ufd < 0)
        return res;
    remove_upload_dir(r, ufd);
    close(ufd);
    return pl_send_empty(r, 204);
}

/* ListMultipartUploads: the bucket's uploads in progress (key, then upload id order; up to
 * max-uploads, default 1000, from key-marker / upload-id-marker; prefix), so a client can
 * find uploads a crash left and abort them. */
typedef struct mpu_ent {
    char *key;
    char id[40];
    struct timespec t;
} mpu_ent;

static int cmp_mpu(const void *a, const void *b)
{
    const mpu_ent *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->id, y->id);
}

static enum MHD_Result mpu_list(pl_req *r)
{
    enum MHD_Result res;
    int bfd = open_bucket_or_answer(r, &res);
    if (bfd < 0)
        return res;
    close(bfd);
    const char *prefix = pl_query_get(r, "prefix"), *km = pl_query_get(r, "key-marker"),
               *im = pl_query_get(r, "upload-id-marker"), *mx = pl_query_get(r, "max-uploads");
    long max = 1000;
    if (mx) {
        char *e;
        max = strtol(mx, &e, 10);
        if (*e || max < 0)
            return pl_send_error(r, 400, "InvalidArgument",
                                 "Argument max-uploads must be an integer between 0 and "
                                 "2147483647");
        if (max > 1000)
            max = 1000;
    }
    mpu_ent *v = NULL;
    size_t n = 0, cap = 0;
    int top = openat(r->srv->rootfd, PL_UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = top >= 0 ? fdopendir(top) : NULL;
    if (top >= 0 && !d) {
        int e = errno;
        close(top);
        return pl_send_errno(r, e, 0);
    }
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!valid_upload_id(de->d_name))
            continue;
        int ufd = openat(top, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int mfd = ufd >= 0 ? openat(ufd, "meta", O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        char meta[PL_MAX_KEY + 128];
        ssize_t ml = mfd >= 0 ? read(mfd, meta, sizeof meta - 1) : -1;
        struct stat st;
        int sok = mfd >= 0 && fstat(mfd, &st) == 0;
        if (mfd >= 0)
            close(mfd);
        if (ufd >= 0)
            close(ufd);
        if (ml <= 0 || !sok)
            continue;
        meta[ml] = 0;
        char *nl = strchr(meta, '\n');
        if (!nl || strncmp(meta, r->bucket, (size_t)(nl - meta)) || strlen(r->bucket) != (size_t)(nl - meta))
            continue;
        const char *key = nl + 1;
        if (prefix && strncmp(key, prefix, strlen(prefix)))
            continue;
        if (km && (strcmp(key, km) < 0 || (!strcmp(key, km) && (!im || strcmp(de->d_name, im) <= 0))))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            mpu_ent *nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[n].key = strdup(key);
        if (!v[n].key)
            break;
        snprintf(v[n].id, sizeof v[n].id, "%.32s", de->d_name); /* valid ids are 32 hex */
        v[n].t = st.st_mtim;
        n++;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_mpu);
    int trunc = (long)n > max;
    size_t shown = trunc ? (size_t)max : n;
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, XML_HEAD "<ListMultipartUploadsResult xmlns=\"" XMLNS "\">");
    pl_sbuf_xml_elem(&b, "Bucket", r->bucket);
    pl_sbuf_xml_elem(&b, "KeyMarker", km ? km : "");
    pl_sbuf_xml_elem(&b, "UploadIdMarker", im ? im : "");
    if (shown) {
        pl_sbuf_xml_elem(&b, "NextKeyMarker", v[shown - 1].key);
        pl_sbuf_xml_elem(&b, "NextUploadIdMarker", v[shown - 1].id);
    }
    if (prefix)
        pl_sbuf_xml_elem(&b, "Prefix", prefix);
    pl_sbuf_printf(&b, "<MaxUploads>%ld</MaxUploads><IsTruncated>%s</IsTruncated>", max,
                   trunc ? "true" : "false");
    for (size_t i = 0; i < shown; i++) {
        char date[40];
        pl_iso_date(&v[i].t, date, sizeof date);
        pl_sbuf_adds(&b, "<Upload>");
        pl_sbuf_xml_elem(&b, "Key", v[i].key);
        pl_sbuf_xml_elem(&b, "UploadId", v[i].id);
        pl_sbuf_adds(&b, "<Initiator><ID>pluck</ID><DisplayName>pluck</DisplayName></Initiator>"
                         "<Owner><ID>pluck</ID><DisplayName>pluck</DisplayName></Owner>"
                         "<StorageClass>STANDARD</StorageClass>");
        pl_sbuf_xml_elem(&b, "Initiated", date);
        pl_sbuf_adds(&b, "</Upload>");
    }
    pl_sbuf_adds(&b, "</ListMultipartUploadsResult>");
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
    return pl_send_xml(r, 200, &b);
}

enum MHD_Result pl_handle_object_op(pl_req *r)
{
    switch (r->op) {
    case OP_LIST_BUCKETS: return list_buckets(r);
    case OP_CREATE_BUCKET: return create_bucket(r);
    case OP_DELETE_BUCKET: return delete_bucket(r);
    case OP_HEAD_BUCKET: return head_bucket(r);
    case OP_BUCKET_LOCATION: return bucket_location(r);
    case OP_LIST_OBJECTS: return list_objects(r);
    case OP_DELETE_OBJECTS: return delete_objects(r);
    case OP_PUT_OBJECT: return put_object(r);
    case OP_COPY_OBJECT: return copy_object(r);
    case OP_GET_OBJECT: return get_object(r, 0);
    case OP_HEAD_OBJECT: return get_object(r, 1);
    case OP_DELETE_OBJECT: return delete_object(r);
    case OP_MPU_CREATE: return mpu_create(r);
    case OP_MPU_PART: return mpu_part(r);
    case OP_MPU_COMPLETE: return mpu_complete(r);
    case OP_MPU_ABORT: return mpu_abort(r);
    case OP_MPU_LIST: return mpu_list(r);
    default: return pl_send_error(r, 405, "MethodNotAllowed", "The specified method is not allowed "
                                                               "against this resource.");
    }
}

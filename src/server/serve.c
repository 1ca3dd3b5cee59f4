/*
 * serve.c — `pluck serve`: an S3-compatible HTTP endpoint for SelectObjectContent and the
 * object calls clients need around it (see man/pluck-serve.1).
 *
 * Design:
 *  - libmicrohttpd, one thread per connection (MHD_USE_THREAD_PER_CONNECTION with an internal
 *    polling thread for accepts).  A select is CPU-bound and runs inside MHD's content-reader
 *    callback of its own connection (select.c): the reader pulls a block of the object, feeds
 *    it to the engine and frames what came out, so the scan advances exactly as fast as the
 *    client reads, nothing is buffered beyond one block's output, and no extra thread or
 *    queue is needed.  The kernel spreads the connection threads over all cores; a thread
 *    pool of N would instead let N long scans stall every other request.
 *  - The raw request target is captured in MHD's URI-log callback (MHD's own url argument is
 *    already percent-decoded, which would hide encoded slashes from the key checks and break
 *    the SigV4 canonical request), and becomes the per-request object.
 *  - Every request is authenticated (sigv4.c) as soon as its headers are in, before any body
 *    byte is read, so unsigned or badly signed uploads are refused without being stored.
 *  - Limits: URL length (8 KiB), header size (MHD's per-connection memory pool), XML bodies
 *    (--max-xml-size), object bodies (--max-object-size), idle time (--idle-timeout).
 */
#include "server/serve.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "pluck.h"
#include "server/guard.h"
#include "server/gzidx.h"
#include "server/srv.h"
#include "server/store.h"
#include "server/upstream.h"

static const char *log_safe(const char *in, char *out, size_t cap);

#define MAX_URL 8192
#define DEFAULT_LISTEN "127.0.0.1:9000"

/* ---- small helpers ------------------------------------------------------------------- */

double pl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pl_http_date(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void pl_iso_date(const struct timespec *t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t->tv_sec, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec / 1000000);
}

#define ETAG_XATTR "user.pluck.etag"

/* The xattr holds "ETAG SIZE MTIME_NS"; it is trusted only while size and mtime still match,
 * so a file rewritten in place by someone else falls back to the derived ETag. */
static int etag_from_xattr(const char *x, ssize_t n, const struct stat *st, char *out, size_t cap)
{
    char buf[256];
    if (n <= 0 || (size_t)n >= sizeof buf)
        return -1;
    memcpy(buf, x, (size_t)n);
    buf[n] = 0;
    char tag[160];
    unsigned long long size, mt;
    if (sscanf(buf, "%159s %llu %llu", tag, &size, &mt) != 3)
        return -1;
    unsigned long long want = (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
                              (unsigned long long)st->st_mtim.tv_nsec;
    if (size != (unsigned long long)st->st_size || mt != want)
        return -1;
    snprintf(out, cap, "\"%s\"", tag);
    return 0;
}

static void derived_etag(const struct stat *st, char *out, size_t cap)
{
    char in[96];
    unsigned char h[32];
    char hex[65];
    snprintf(in, sizeof in, "%llu:%llu:%lld.%ld", (unsigned long long)st->st_ino,
             (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    pl_sha256(in, strlen(in), h);
    pl_hex(h, 16, hex);
    snprintf(out, cap, "\"%s-1\"", hex);
}

void pl_etag(int fd, const struct stat *st, char *out, size_t cap)
{
    char x[256];
    ssize_t n = fgetxattr(fd, ETAG_XATTR, x, sizeof x);
    if (etag_from_xattr(x, n, st, out, cap))
        derived_etag(st, out, cap);
}

void pl_etag_at(int dirfd, const char *leaf, const struct stat *st, char *out, size_t cap)
{
    int fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        derived_etag(st, out, cap);
        return;
    }
    pl_etag(fd, st, out, cap);
    close(fd);
}

void pl_etag_record(int fd, const char *etag)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    char x[256];
    int n = snprintf(x, sizeof x, "%s %llu %llu", etag, (unsigned long long)st.st_size,
                     (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                         (unsigned long long)st.st_mtim.tv_nsec);
    fsetxattr(fd, ETAG_XATTR, x, (size_t)n, 0); /* best effort: not every file system has it */
}

const char *pl_query_get(const pl_req *r, const char *name)
{
    for (size_t i = 0; i < r->nquery; i++)
        if (!strcmp(r->query[i].name, name))
            return r->query[i].value;
    return NULL;
}

int pl_query_has(const pl_req *r, const char *name) { return pl_query_get(r, name) != NULL; }

const char *pl_header(const pl_req *r, const char *name)
{
    for (size_t i = 0; i < r->nhdrs; i++)
        if (!strcasecmp(r->hdrs[i].name, name))
            return r->hdrs[i].value;
    return NULL;
}

/* ---- answering ---------------------------------------------------------------------- */

void pl_common_headers(pl_req *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "x-amz-request-id", r->reqid);
    MHD_add_response_header(resp, "x-amz-id-2", r->reqid);
    MHD_add_response_header(resp, "Server", "pluck");
}

enum MHD_Result pl_queue(pl_req *r, int status, struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    pl_common_headers(r, resp);
    if (r->close_after)
        MHD_add_response_header(resp, "Connection", "close");
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES) {
        r->queued = 1;
        r->status = status;
    }
    return rc;
}

enum MHD_Result pl_send_xml(pl_req *r, int status, pl_sbuf *body)
{
    size_t len = body->len;
    char *data = pl_sbuf_take(body);
    if (!data)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/xml");
    return pl_queue(r, status, resp);
}

enum MHD_Result pl_send_empty(pl_req *r, int status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return pl_queue(r, status, resp);
}

static enum MHD_Result send_error_text(pl_req *r, int status, const char *code, const char *msg)
{
    pl_sbuf b = {0};
    pl_sbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    pl_sbuf_xml_elem(&b, "Code", code);
    pl_sbuf_xml_elem(&b, "Message", msg);
    if (r->bucket)
        pl_sbuf_xml_elem(&b, "BucketName", r->bucket);
    if (r->key)
        pl_sbuf_xml_elem(&b, "Key", r->key);
    if (r->path)
        pl_sbuf_xml_elem(&b, "Resource", r->path);
    pl_sbuf_xml_elem(&b, "RequestId", r->reqid);
    pl_sbuf_xml_elem(&b, "HostId", r->reqid);
    pl_sbuf_adds(&b, "</Error>");
    if (r->srv->verbose) {
        char t1[1024], t2[1024], t3[64];
        fprintf(stderr, "pluck serve: %s %s -> %d %s: %s\n", log_safe(r->method, t3, sizeof t3),
                log_safe(r->uri, t1, sizeof t1), status, code, log_safe(msg, t2, sizeof t2));
    }
    /* HEAD answers carry no body; MHD drops it, and S3 clients read the status alone */
    return pl_send_xml(r, status, &b);
}

/* For -v: the text with control bytes (and bytes of 0x7f and above) written as \xNN, so a
 * request target cannot forge log lines or terminal escapes, and the value of every
 * X-Amz-Signature / Signature parameter replaced by "REDACTED" (a presigned URL in a log is
 * a credential until it expires). */
static const char *log_safe(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    if (!in)
        in = "-";
    for (size_t i = 0; in[i] && o + 5 < cap; i++) {
        int at_param = i == 0 || in[i - 1] == '?' || in[i - 1] == '&';
        if (at_param && (!strncasecmp(in + i, "X-Amz-Signature=", 16) ||
                         !strncasecmp(in + i, "Signature=", 10))) {
            size_t k = strchr(in + i, '=') - (in + i) + 1;
            if (o + k + 9 >= cap)
                break;
            memcpy(out + o, in + i, k);
            o += k;
            memcpy(out + o, "REDACTED", 8);
            o += 8;
            i += k;
            while (in[i] && in[i] != '&')
                i++;
            i--;
            continue;
        }
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

enum MHD_Result pl_send_error(pl_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_error_text(r, status, code, msg);
}

void pl_fail(pl_req *r, int status, const char *code, const char *fmt, ...)
{
    if (r->err_status)
        return;
    r->err_status = status;
    r->err_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
}

enum MHD_Result pl_send_errno(pl_req *r, int err, int for_bucket)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        if (for_bucket)
            return pl_send_error(r, 404, "NoSuchBucket", "The specified bucket does not exist");
        return pl_send_error(r, 404, "NoSuchKey", "The specified key does not exist.");
    case EINVAL:
        return pl_send_error(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
    case ELOOP:
        return pl_send_error(r, 403, "AccessDenied",
                             "Access Denied: the path reaches a symbolic link, which pluck serve "
                             "never follows.");
    case EACCES:
    case EPERM:
        return pl_send_error(r, 403, "AccessDenied", "Access Denied: %s", strerror(err));
    case EISDIR:
    case ENOTEMPTY:
    case EEXIST:
        return pl_send_error(r, 409, "OperationAborted",
                             "The key conflicts with a directory of other keys (%s).",
                             strerror(err));
    case ENOSPC:
    case EDQUOT:
        return pl_send_error(r, 507, "InsufficientStorage", "No space left on the device.");
    case ENAMETOOLONG:
        return pl_send_error(r, 400, "KeyTooLongError", "Your key is too long.");
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
        /* out of descriptors or memory: the request may succeed later, the object exists */
        return pl_send_error(r, 503, "SlowDown", "Please reduce your request rate (%s).",
                             strerror(err));
    default:
        return pl_send_error(r, 500, "InternalError", "We encountered an internal error: %s.",
                             strerror(err));
    }
}

int pl_resource_errno(int err)
{
    err = err < 0 ? -err : err;
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
}

enum MHD_Result pl_send_open_error(pl_req *r, int fd)
{
    if (pl_resource_errno(fd))
        return pl_send_errno(r, fd, 0);
    int bfd = pl_open_bucket(r->srv->rootfd, r->bucket);
    if (bfd < 0)
        return pl_send_errno(r, pl_resource_errno(bfd) || bfd == -EINVAL ? bfd : -ENOENT, 1);
    close(bfd);
    return pl_send_errno(r, fd, 0);
}

void pl_fail_write_errno(pl_req *r, int err)
{
    err = err < 0 ? -err : err;
    if (err == ENOENT) {
        int bfd = pl_open_bucket(r->srv->rootfd, r->bucket);
        if (bfd >= 0) {
            close(bfd);
            pl_fail(r, 503, "SlowDown",
                    "Please reduce your request rate (a directory of the key was removed by "
                    "a concurrent request; retry).");
        } else {
            pl_fail(r, 404, "NoSuchBucket", "The specified bucket does not exist");
        }
        return;
    }
    pl_fail(r, 500, "InternalError", "Writing the object failed: %s.", strerror(err));
}

/* ---- request target ------------------------------------------------------------------- */

static int add_query(pl_req *r, const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    size_t kl = eq ? (size_t)(eq - s) : n;
    size_t nl, vl;
    char *name = pl_uri_decode(s, kl, &nl);
    char *value = eq ? pl_uri_decode(eq + 1, n - kl - 1, &vl) : strdup("");
    if (!eq)
        vl = 0;
    if (!name || !value || strlen(name) != nl || strlen(value) != vl) {
        free(name);
        free(value);
        return -1;
    }
    pl_kv *q = realloc(r->query, (r->nquery + 1) * sizeof *q);
    if (!q) {
        free(name);
        free(value);
        return -1;
    }
    r->query = q;
    q[r->nquery].name = name;
    q[r->nquery].value = value;
    r->nquery++;
    return 0;
}

/* Split the raw target into path (decoded) and query; find bucket and key.  The bucket is
 * the first raw path segment, so an encoded slash can never move the bucket boundary. */
static int parse_target(pl_req *r)
{
    const char *u = r->uri;
    if (u[0] != '/')
        return -1;
    size_t plen = strcspn(u, "?");
    size_t dl;
    r->path = pl_uri_decode(u, plen, &dl);
    if (!r->path || strlen(r->path) != dl)
        return -1; /* malformed escape or NUL */
    if (u[plen] == '?') {
        const char *q = u + plen + 1;
        while (*q) {
            size_t n = strcspn(q, "&");
            if (n && add_query(r, q, n))
                return -1;
            q += n + (q[n] == '&');
        }
    }
    const char *b = u + 1;
    size_t bl = strcspn(b, "/?");
    if (bl) {
        r->bucket = pl_uri_decode(b, bl, &dl);
        if (!r->bucket || strlen(r->bucket) != dl)
            return -1;
        const char *k = b + bl;
        if (*k == '/' && k[1] != '?' && k[1]) {
            k++;
            size_t kl = strcspn(k, "?");
            r->key = pl_uri_decode(k, kl, &dl);
            if (!r->key)
                return -1;
            if (strlen(r->key) != dl) {
                r->key[0] = 0; /* NUL inside: caught by the key check with a clear message */
                free(r->key);
                r->key = malloc(2);
                if (!r->key)
                    return -1;
                memcpy(r->key, "\0", 2);
                return -2;
            }
        }
    }
    return 0;
}

static enum pl_op route(pl_req *r, const char **why)
{
    const char *m = r->method;
    int get = !strcmp(m, "GET"), head = !strcmp(m, "HEAD"), put = !strcmp(m, "PUT"),
        post = !strcmp(m, "POST"), del = !strcmp(m, "DELETE");
    *why = NULL;
    static const char *unsupported[] = {"acl", "tagging", "versioning", "policy", "cors",
                                        "lifecycle", "website", "logging", "notification",
                                        "replication", "encryption", "object-lock", "retention",
                                        "legal-hold", "torrent", "restore", "versions",
                                        "accelerate", "requestPayment", "inventory", "metrics",
                                        "analytics", "ownershipControls", "intelligent-tiering",
                                        "publicAccessBlock", "attributes", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (pl_query_has(r, unsupported[i])) {
            *why = unsupported[i];
            return OP_NONE;
        }
    if (!r->bucket) {
        if (get)
            return OP_LIST_BUCKETS;
        return OP_NONE;
    }
    if (!r->key) {
        if (get && pl_query_has(r, "location"))
            return OP_BUCKET_LOCATION;
        if (get && pl_query_has(r, "uploads"))
            return OP_MPU_LIST;
        if (get)
            return OP_LIST_OBJECTS;
        if (head)
            return OP_HEAD_BUCKET;
        if (put)
            return OP_CREATE_BUCKET;
        if (del)
            return OP_DELETE_BUCKET;
        if (post && pl_query_has(r, "delete"))
            return OP_DELETE_OBJECTS;
        return OP_NONE;
    }
    if (post && pl_query_has(r, "select"))
        return OP_SELECT;
    if (post && pl_query_has(r, "uploads"))
        return OP_MPU_CREATE;
    if (post && pl_query_has(r, "uploadId"))
        return OP_MPU_COMPLETE;
    if (put && pl_query_has(r, "uploadId") && pl_query_has(r, "partNumber")) {
        if (pl_header(r, "x-amz-copy-source")) {
            *why = "UploadPartCopy";
            return OP_NONE;
        }
        return OP_MPU_PART;
    }
    if (del && pl_query_has(r, "uploadId"))
        return OP_MPU_ABORT;
    if (get && pl_query_has(r, "uploadId")) {
        *why = "ListParts";
        return OP_NONE;
    }
    if (put)
        return pl_header(r, "x-amz-copy-source") ? OP_COPY_OBJECT : OP_PUT_OBJECT;
    if (get)
        return OP_GET_OBJECT;
    if (head)
        return OP_HEAD_OBJECT;
    if (del)
        return OP_DELETE_OBJECT;
    return OP_NONE;
}

/* ---- MHD callbacks ------------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    pl_server *s = cls;
    pl_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = s;
    r->conn = conn;
    r->t0 = pl_now();
    uint64_t n = atomic_fetch_add(&s->seq, 1) + 1;
    snprintf(r->reqid, sizeof r->reqid, "%08X%08X", (unsigned)getpid() & 0xFFFFFFFFu,
             (unsigned)n);
    size_t ul = strlen(uri);
    r->uri = strndup(uri, ul > MAX_URL ? MAX_URL : ul);
    if (ul > MAX_URL)
        r->status = -414; /* remembered; answered once headers are in */
    return r;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    pl_req *r = cls;
    pl_kv *h = realloc(r->hdrs, (r->nhdrs + 1) * sizeof *h);
    if (!h)
        return MHD_NO;
    r->hdrs = h;
    h[r->nhdrs].name = strdup(key);
    h[r->nhdrs].value = strdup(value ? value : "");
    if (!h[r->nhdrs].name || !h[r->nhdrs].value) {
        free(h[r->nhdrs].name);
        free(h[r->nhdrs].value);
        return MHD_NO;
    }
    r->nhdrs++;
    return MHD_YES;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Headers are in: authenticate, route, check what can be checked before the body. */
static enum MHD_Result begin(pl_req *r)
{
    pl_server *s = r->srv;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, r);
    if (r->status == -414) {
        r->status = 0;
        return pl_send_error(r, 414, "RequestURITooLong",
                             "The request URI is longer than %d bytes.", MAX_URL);
    }
    int prc = r->uri ? parse_target(r) : -1;
    if (prc == -1)
        return pl_send_error(r, 400, "InvalidURI", "Couldn't parse the specified URI.");

    pl_auth_in in = {.method = r->method,
                     .path = r->path,
                     .query = r->query,
                     .nquery = r->nquery,
                     .headers = r->hdrs,
                     .nheaders = r->nhdrs,
                     .now = time(NULL),
                     .akid = s->akid,
                     .secret = s->secret,
                     .anonymous_ok = s->anonymous};
    pl_auth_err ae;
    if (pl_auth_check(&in, &r->auth, &ae)) {
        /* the connection goes too: only a signed request keeps a connection past its
         * headers, so an unsigned client cannot hold slots with quick keep-alive requests
         * that each reset the header wait the slot reserve goes by (guard.c) */
        r->close_after = 1;
        return pl_send_error(r, ae.status, ae.code, "%s", ae.message);
    }

    const char *why;
    r->op = route(r, &why);
    if (s->upstream && r->op != OP_SELECT)
        return pl_upstream_forward(r); /* upstream.c: GET/HEAD forwarded, others 501 */
    if (r->op == OP_NONE) {
        if (why)
            return pl_send_error(r, 501, "NotImplemented",
                                 "A header or query you provided implies functionality that is "
                                 "not implemented (%s).",
                                 why);
        return pl_send_error(r, 405, "MethodNotAllowed",
                             "The specified method is not allowed against this resource.");
    }
    if (r->bucket && !pl_valid_bucket(r->bucket) && r->op != OP_CREATE_BUCKET)
        return pl_send_error(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
    if (r->key) {
        const char *bad = prc == -2 ? "the key contains a NUL byte"
                                    : pl_key_problem(r->key, strlen(r->key));
        if (bad)
            return pl_send_error(r, 400, pl_key_problem_code(bad),
                                 "Object key cannot be stored under the server root: %s.", bad);
    }

    /* body policy */
    const char *cl = pl_header(r, "content-length");
    const char *md5h = pl_header(r, "content-md5");
    if (md5h) { /* S3: malformed is InvalidDigest, well-formed but wrong BadDigest */
        size_t ml = strlen(md5h), k = 0;
        while (k < 22 && (isalnum((unsigned char)md5h[k]) || md5h[k] == '+' || md5h[k] == '/'))
            k++;
        if (ml != 24 || k != 22 || strcmp(md5h + 22, "=="))
            return pl_send_error(r, 400, "InvalidDigest",
                                 "The Content-MD5 you specified was invalid.");
    }
    const char *dcl = pl_header(r, "x-amz-decoded-content-length");
    unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
    unsigned long long dlen = dcl ? strtoull(dcl, NULL, 10) : len;
    const char *ph = r->auth.payload_hash;
    int streaming = !strncmp(ph, "STREAMING-", 10);
    switch (r->op) {
    case OP_PUT_OBJECT:
    case OP_MPU_PART:
        if (dlen > s->max_object || (!streaming && len > s->max_object))
            return pl_send_error(r, 400, "EntityTooLarge",
                                 "Your proposed upload exceeds the maximum allowed object size "
                                 "(%llu bytes).",
                                 (unsigned long long)s->max_object);
        r->body_kind = BODY_UPLOAD;
        break;
    case OP_SELECT:
    case OP_DELETE_OBJECTS:
    case OP_MPU_COMPLETE:
    case OP_CREATE_BUCKET:
        if (len > s->max_xml)
            return pl_send_error(r, 400, "MaxMessageLengthExceeded",
                                 "Your request was too big: XML request bodies are limited to "
                                 "%zu bytes.",
                                 s->max_xml);
        r->body_kind = BODY_BUFFER;
        break;
    default:
        if (streaming)
            return pl_send_error(r, 400, "InvalidRequest",
                                 "aws-chunked bodies are only accepted by PutObject and "
                                 "UploadPart.");
        r->body_kind = BODY_IGNORE;
        break;
    }
    if (streaming && strcmp(ph, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") &&
        strcmp(ph, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
        return pl_send_error(r, 501, "NotImplemented",
                             "x-amz-content-sha256 %s is not implemented.", ph);
    if (streaming && !strcmp(ph, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")) {
        /* the trailing checksum is the body's only integrity check: it must be one we verify */
        const char *t = pl_header(r, "x-amz-trailer");
        if (!t || strcasecmp(t, "x-amz-checksum-crc32"))
            return pl_send_error(r, 400, "InvalidRequest",
                                 "STREAMING-UNSIGNED-PAYLOAD-TRAILER needs the header x-amz-trailer: "
                                 "x-amz-checksum-crc32 (the trailing checksum pluck serve checks).");
    }
    if (streaming && !strcmp(ph, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") &&
        r->auth.kind != PL_AUTH_HEADER && s->akid)
        return pl_send_error(r, 400, "InvalidRequest",
                             "Signed aws-chunked uploads need an Authorization header.");
    if (!streaming && strcmp(ph, "UNSIGNED-PAYLOAD")) {
        if (!is_hex64(ph))
            return pl_send_error(r, 400, "InvalidArgument",
                                 "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a hex SHA-256.");
        r->sha = EVP_MD_CTX_new();
        if (!r->sha || !EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL))
            return MHD_NO;
    }
    if (r->body_kind == BODY_UPLOAD)
        return pl_handle_object_op(r); /* opens the destination (may answer at once) */
    return MHD_YES;
}

static enum MHD_Result take_body(pl_req *r, const char *data, size_t n)
{
    pl_server *s = r->srv;
    r->body_raw += n;
    if (r->err_status)
        return MHD_YES; /* discard the rest; the error is sent at the end */
    if (r->sha)
        EVP_DigestUpdate(r->sha, data, n);
    switch (r->body_kind) {
    case BODY_BUFFER:
        if (r->body.len + n > s->max_xml) {
            pl_fail(r, 400, "MaxMessageLengthExceeded",
                    "Your request was too big: XML request bodies are limited to %zu bytes.",
                    s->max_xml);
            break;
        }
        if (pl_sbuf_add(&r->body, data, n))
            pl_fail(r, 500, "InternalError", "Out of memory.");
        break;
    case BODY_UPLOAD:
        pl_upload_data(r, data, n);
        break;
    default:
        break;
    }
    /* A body without Content-Length (chunked transfer) can go on forever: stop reading
     * once it is clearly over every limit. */
    if (r->err_status && r->body_raw > s->max_object + (1u << 20))
        return MHD_NO;
    return MHD_YES;
}

static enum MHD_Result finish(pl_req *r)
{
    if (r->err_status) {
        if (r->up) {
            pl_upload_abort(r->up);
            r->up = NULL;
        }
        return pl_send_error(r, r->err_status, r->err_code, "%s", r->err_msg);
    }
    if (r->sha) {
        unsigned char h[32];
        char hex[65];
        unsigned int hl = 32;
        EVP_DigestFinal_ex(r->sha, h, &hl);
        pl_hex(h, 32, hex);
        if (strcmp(hex, r->auth.payload_hash)) {
            if (r->up) {
                pl_upload_abort(r->up);
                r->up = NULL;
            }
            return pl_send_error(r, 400, "XAmzContentSHA256Mismatch",
                                 "The provided 'x-amz-content-sha256' header does not match what "
                                 "was computed.");
        }
    }
    if (r->op == OP_SELECT)
        return pl_handle_select(r);
    return pl_handle_object_op(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls, (void)url, (void)version;
    pl_req *r = *con_cls;
    if (!r)
        return MHD_NO; /* out of memory in on_uri */
    if (r->queued) {
        *upload_data_size = 0; /* answered early; MHD closes after the response */
        return MHD_YES;
    }
    if (!r->started) {
        r->started = 1;
        pl_guard_headers_done(conn);
        r->conn = conn;
        r->method = method;
        return begin(r);
    }
    if (*upload_data_size) {
        enum MHD_Result rc = take_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc;
    }
    return finish(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    pl_server *s = cls;
    pl_req *r = *con_cls;
    pl_guard_request_done(conn);
    if (!r)
        return;
    if (s->verbose) {
        char t1[1024], t3[64];
        fprintf(stderr, "pluck serve: %s %s %d %.1f ms%s\n", log_safe(r->method, t3, sizeof t3),
                log_safe(r->uri, t1, sizeof t1), r->status, (pl_now() - r->t0) * 1000,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    }
    if (r->up)
        pl_upload_abort(r->up);
    /* a failed write may have created directories for its key: remove them if empty */
    if ((r->op == OP_PUT_OBJECT || r->op == OP_COPY_OBJECT || r->op == OP_MPU_COMPLETE) &&
        (r->status < 200 || r->status >= 300) && r->bucket && r->key) {
        int bfd = pl_open_bucket(s->rootfd, r->bucket);
        if (bfd >= 0) {
            pl_prune_dirs(bfd, r->key);
            close(bfd);
        }
    }
    if (r->sha)
        EVP_MD_CTX_free(r->sha);
    for (size_t i = 0; i < r->nquery; i++) {
        free(r->query[i].name);
        free(r->query[i].value);
    }
    for (size_t i = 0; i < r->nhdrs; i++) {
        free(r->hdrs[i].name);
        free(r->hdrs[i].value);
    }
    free(r->query);
    free(r->hdrs);
    free(r->uri);
    free(r->path);
    free(r->bucket);
    free(r->key);
    pl_sbuf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    pl_server *s = cls;
    if (!s->verbose)
        return;
    fputs("pluck serve: microhttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- command line --------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pluck serve --root DIR [--listen ADDR:PORT] [--access-key-id ID\n"
            "                   --secret-access-key KEY] [--anonymous] [OPTIONS]\n"
            "Serve the directories under DIR as S3 buckets: SelectObjectContent over plain or\n"
            "compressed CSV objects, plus the object calls the AWS CLI and SDKs need (create\n"
            "and delete buckets, put/get/head/delete/list objects, multipart uploads).\n"
            "\n"
            "  --root DIR               directory whose subdirectories are the buckets\n"
            "  --listen ADDR:PORT       address to listen on (default " DEFAULT_LISTEN ");\n"
            "                           port 0 picks a free port; the URL is printed on\n"
            "                           standard output\n"
            "  --access-key-id ID       credentials clients sign with (default: the\n"
            "  --secret-access-key KEY  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables)\n"
            "  --anonymous              also accept unsigned requests\n"
            "  --upstream URL           instead of --root: run SelectObjectContent over\n"
            "                           the objects of the S3 store at URL (streamed with\n"
            "                           signed GETs; keys from PLUCK_UPSTREAM_ACCESS_KEY_ID\n"
            "                           and PLUCK_UPSTREAM_SECRET_ACCESS_KEY, else AWS_*);\n"
            "                           other GETs and HEADs are forwarded, writes get 501\n"
            "  --upstream-region NAME   region the store signs for (default AWS_REGION, else\n"
            "                           us-east-1)\n"
            "  --max-object-size BYTES  largest object body accepted (default 5G)\n"
            "  --max-xml-size BYTES     largest XML request body (default 2M)\n"
            "  --max-window BYTES       largest zstd window or xz dictionary an object may\n"
            "                           need; more is InvalidCompressionFormat (default 128M)\n"
            "  --max-connections N      concurrent connections, one thread each (default\n"
            "                           256); an eighth is kept free for clients that send\n"
            "                           their request at once (see pluck-serve(1))\n"
            "  --max-connections-per-ip N  from one client address (default 32)\n"
            "  --header-timeout SECS    all of a request's headers must arrive within this\n"
            "                           (default 20)\n"
            "  --idle-timeout SECS      close connections idle this long (default 60)\n"
            "  --fsync always|never     sync each written object and its directory before\n"
            "                           answering (default always)\n"
            "  --keepalive MS           send a Cont event after this long without output\n"
            "                           during a select (default 1000)\n"
            "  --progress-interval MS   Progress events at most this often (default 1000)\n"
            "  --shutdown-grace SECS    on SIGTERM, let running selects finish this long\n"
            "                           before ending them with an error event (default 5)\n"
            "  -v, --verbose            log every request to standard error\n"
            "  -h, --help               show this help\n"
            "\n"
            "Example:\n"
            "  AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s pluck serve --root /srv/s3\n"
            "  aws --endpoint-url http://127.0.0.1:9000 s3 cp data.csv.gz s3://bucket/\n"
            "See pluck-serve(1).\n");
}

static int parse_size(const char *v, uint64_t *out)
{
    char *e;
    unsigned long long n = strtoull(v, &e, 10);
    if (e == v)
        return -1;
    unsigned shift = 0;
    if (*e == 'K' || *e == 'k')
        shift = 10;
    else if (*e == 'M' || *e == 'm')
        shift = 20;
    else if (*e == 'G' || *e == 'g')
        shift = 30;
    else if (*e == 'T' || *e == 't')
        shift = 40;
    if (shift)
        e++;
    if (*e || n > (1ull << (63 - shift)))
        return -1;
    *out = n << shift;
    return 0;
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    char *h = host;
    if (h[0] == '[') {
        size_t n = strlen(h);
        if (h[n - 1] != ']')
            return -1;
        h[n - 1] = 0;
        h++;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res;
    if (getaddrinfo(h, colon + 1, &hints, &res) || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int pl_serve_main(int argc, char **argv)
{
    static pl_server srv;
    pl_server *s = &srv;
    const char *root = NULL, *listen_spec = DEFAULT_LISTEN, *upstream = NULL,
               *upstream_region = NULL;
    uint64_t max_obj = 5ull << 30, max_xml = 2u << 20, conns = 256, idle = 60, keepalive = 1000,
             progress_ms = 1000, grace = 5, per_ip = 32, header_timeout = 20,
             max_window = 128u << 20;
    s->fsync = 1;
    s->akid = getenv("AWS_ACCESS_KEY_ID");
    s->secret = getenv("AWS_SECRET_ACCESS_KEY");
    enum { O_ROOT = 1000, O_LISTEN, O_AKID, O_SECRET, O_ANON, O_MAXOBJ, O_MAXXML, O_CONNS,
           O_IDLE, O_KEEPALIVE, O_PROGRESS, O_GRACE, O_PERIP, O_HDRTIMEOUT, O_DURABLE,
           O_UPSTREAM, O_UPSTREAM_REGION, O_MAXWINDOW };
    static const struct option opts[] = {
        {"root", required_argument, NULL, O_ROOT},
        {"listen", required_argument, NULL, O_LISTEN},
        {"access-key-id", required_argument, NULL, O_AKID},
        {"secret-access-key", required_argument, NULL, O_SECRET},
        {"anonymous", no_argument, NULL, O_ANON},
        {"max-object-size", required_argument, NULL, O_MAXOBJ},
        {"max-xml-size", required_argument, NULL, O_MAXXML},
        {"max-connections", required_argument, NULL, O_CONNS},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"keepalive", required_argument, NULL, O_KEEPALIVE},
        {"progress-interval", required_argument, NULL, O_PROGRESS},
        {"shutdown-grace", required_argument, NULL, O_GRACE},
        {"max-connections-per-ip", required_argument, NULL, O_PERIP},
        {"header-timeout", required_argument, NULL, O_HDRTIMEOUT},
        {"fsync", required_argument, NULL, O_DURABLE},
        {"upstream", required_argument, NULL, O_UPSTREAM},
        {"upstream-region", required_argument, NULL, O_UPSTREAM_REGION},
        {"max-window", required_argument, NULL, O_MAXWINDOW},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
        uint64_t *num = NULL;
        switch (ch) {
        case 'h': usage(stdout); return 0;
        case 'v': s->verbose = 1; break;
        case O_ROOT: root = optarg; break;
        case O_LISTEN: listen_spec = optarg; break;
        case O_AKID: s->akid = optarg; break;
        case O_SECRET: s->secret = optarg; break;
        case O_ANON: s->anonymous = 1; break;
        case O_MAXOBJ: num = &max_obj; break;
        case O_MAXXML: num = &max_xml; break;
        case O_CONNS: num = &conns; break;
        case O_IDLE: num = &idle; break;
        case O_KEEPALIVE: num = &keepalive; break;
        case O_PROGRESS: num = &progress_ms; break;
        case O_GRACE: num = &grace; break;
        case O_PERIP: num = &per_ip; break;
        case O_HDRTIMEOUT: num = &header_timeout; break;
        case O_MAXWINDOW: num = &max_window; break;
        case O_DURABLE:
            if (strcmp(optarg, "always") && strcmp(optarg, "never")) {
                fprintf(stderr, "pluck serve: --fsync takes always or never, not '%s'\n", optarg);
                return 2;
            }
            s->fsync = !strcmp(optarg, "always");
            break;
        case O_UPSTREAM: upstream = optarg; break;
        case O_UPSTREAM_REGION: upstream_region = optarg; break;
        default:
            fprintf(stderr, "pluck serve: unrecognized option '%s'\n"
                            "Try 'pluck serve --help' for more information.\n",
                    argv[optind - 1]);
            return 2;
        }
        if (num && parse_size(optarg, num)) {
            fprintf(stderr, "pluck serve: invalid number '%s' for --%s\n", optarg,
                    opts[ch - O_ROOT].name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pluck serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!root && !upstream) {
        fprintf(stderr, "pluck serve: --root DIR is required\n"
                        "Try 'pluck serve --help' for more information.\n");
        return 2;
    }
    if (root && upstream) {
        fprintf(stderr, "pluck serve: --root and --upstream cannot be used together\n");
        return 2;
    }
    if (upstream) {
        char why[300];
        if (pl_upstream_configure(s, upstream, upstream_region, why, sizeof why)) {
            fprintf(stderr, "pluck serve: --upstream '%s': %s\n", upstream, why);
            return 2;
        }
    }
    if (s->akid && !*s->akid)
        s->akid = NULL;
    if (s->secret && !*s->secret)
        s->secret = NULL;
    if (!!s->akid != !!s->secret) {
        fprintf(stderr, "pluck serve: both an access key id and a secret access key are needed\n");
        return 2;
    }
    if (!s->akid && !s->anonymous) {
        fprintf(stderr,
                "pluck serve: no credentials: pass --access-key-id and --secret-access-key (or "
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or --anonymous to accept "
                "unsigned requests\n");
        return 2;
    }
    if (conns < 1 || conns > 65536 || per_ip < 1 || header_timeout < 1 || header_timeout > 3600 || max_xml < 1024 || max_xml > (64u << 20) ||
        max_window < 1024 || max_window > (1ull << 32)) {
        fprintf(stderr, "pluck serve: option value out of range\n");
        return 2;
    }
    s->root = root;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; /* descriptors are the server's working set */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    pthread_mutex_init(&s->mpu_lock, NULL);
    pthread_rwlock_init(&s->bucket_lock, NULL);
    s->max_object = max_obj;
    s->max_xml = (size_t)max_xml;
    s->max_window = max_window;
    s->keepalive_ms = (unsigned)(keepalive ? keepalive : 1);
    s->progress_ms = (unsigned)progress_ms;
    s->rootfd = upstream ? -1 : open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!upstream && s->rootfd < 0) {
        fprintf(stderr, "pluck serve: cannot open root directory '%s': %s\n", root,
                strerror(errno));
        return 1;
    }
    size_t cleaned = s->rootfd >= 0 ? pl_clean_tmp(s->rootfd) : 0; /* what a crash left */
    if (cleaned && s->verbose)
        fprintf(stderr, "pluck serve: removed %zu temporary files a crash left\n", cleaned);
    if (s->rootfd >= 0)
        pl_gzidx_start(s->rootfd); /* gzip indexes whose object is gone or changed */
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if (parse_listen(listen_spec, &ss, &sl)) {
        fprintf(stderr, "pluck serve: invalid --listen '%s' (want ADDR:PORT, e.g. "
                        "127.0.0.1:9000 or [::1]:9000)\n",
                listen_spec);
        return 2;
    }
    (void)sl;

    /* The server never wants SIGPIPE (MHD sends with MSG_NOSIGNAL; this covers the rest), and
     * SIGINT/SIGTERM are taken synchronously by the main thread below: block them before
     * MHD starts its threads so that they inherit the mask. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned reserve = (unsigned)(conns / 8);
    pl_guard *guard = pl_guard_start((unsigned)conns, reserve, (unsigned)header_timeout);
    if (!guard) {
        fprintf(stderr, "pluck serve: cannot start: %s\n", strerror(errno));
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)conns, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)idle, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u, MHD_OPTION_NOTIFY_CONNECTION, pl_guard_notify,
        guard, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip, MHD_OPTION_END);
    if (!d) {
        int e = errno;
        pl_guard_stop(guard);
        fprintf(stderr, "pluck serve: cannot listen on %s: %s\n", listen_spec,
                e ? strerror(e) : "microhttpd could not start");
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (di && getsockname(di->listen_fd, (struct sockaddr *)&bound, &bl) == 0) {
        if (bound.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&bound;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&bound;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
    }
    int v6 = bound.ss_family == AF_INET6;
    printf("http://%s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "", port);
    fflush(stdout);
    fprintf(stderr,
            "pluck serve: listening on http://%s%s%s:%u, %s %s%s, libpluck %s, %s%s\n",
            v6 ? "[" : "", host, v6 ? "]" : "", port, upstream ? "upstream" : "root",
            upstream ? pl_upstream_endpoint(s) : root,
            upstream && !pl_upstream_signed(s) ? " (unsigned)" : "", pluck_version_string(),
            s->akid ? "SigV4 required" : "no credentials",
            s->anonymous ? (s->akid ? ", unsigned requests allowed" : ", anonymous") : "");

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "pluck serve: signal %d, stopping\n", sig);
    /* Stop accepting, let running selects end normally for up to --shutdown-grace seconds,
     * then make the rest end with a ServiceUnavailable event and the chunked terminator
     * (their steps are bounded, so each notices within one step); then close. */
    MHD_socket lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    for (uint64_t ms = 0; ms < grace * 1000 && atomic_load(&s->selects_active); ms += 20)
        usleep(20 * 1000);
    atomic_store(&s->stop_selects, 1);
    for (int ms = 0; ms < 3000 && atomic_load(&s->selects_active); ms += 20)
        usleep(20 * 1000); /* each sends its error event and ends (a stalled reader may not) */
    MHD_stop_daemon(d);
    pl_guard_stop(guard);
    pl_gzidx_stop();
    if (s->rootfd >= 0)
        close(s->rootfd);
    return 0;
}

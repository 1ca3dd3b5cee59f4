/*
 * srv.h — shared state of `pluck serve`: the server, one request, and the helpers the
 * handlers use to answer.  Only src/server/ includes this; the engine is reached through
 * include/pluck.h alone.
 */
#ifndef PL_SRV_H
#define PL_SRV_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>

#include "server/sbuf.h"
#include "server/sigv4.h"

typedef struct pl_server {
    int rootfd;
    const char *root;
    const char *akid, *secret;
    int anonymous;
    uint64_t max_object;      /* largest PutObject / UploadPart body */
    size_t max_xml;           /* largest XML request body */
    uint64_t max_window;      /* largest zstd window / xz dictionary a select decodes */
    unsigned keepalive_ms;    /* Cont after this long without a message */
    unsigned progress_ms;     /* Progress at most this often (when requested) */
    int verbose;
    int fsync;                /* --fsync=always: sync data and directory before answering */
    atomic_uint_fast64_t seq; /* request ids */
    atomic_uint_fast64_t selects_active;
    atomic_int stop_selects;  /* shutdown: running selects end with an error event now */
    pthread_mutex_t mpu_lock; /* publishing a part vs removing its multipart upload */
    pthread_rwlock_t bucket_lock; /* DeleteBucket (write) vs making a key's directories and
                                   * temporary file, and publishing it (read): one wins */
    struct pl_upstream *upstream; /* --upstream: objects live in another S3 store */
} pl_server;

enum pl_op {
    OP_NONE = 0,
    OP_LIST_BUCKETS,
    OP_CREATE_BUCKET,
    OP_DELETE_BUCKET,
    OP_HEAD_BUCKET,
    OP_LIST_OBJECTS,
    OP_BUCKET_LOCATION,
    OP_DELETE_OBJECTS,
    OP_PUT_OBJECT,
    OP_COPY_OBJECT,
    OP_GET_OBJECT,
    OP_HEAD_OBJECT,
    OP_DELETE_OBJECT,
    OP_SELECT,
    OP_MPU_CREATE,
    OP_MPU_PART,
    OP_MPU_COMPLETE,
    OP_MPU_ABORT,
    OP_MPU_LIST,
};

typedef struct pl_upload pl_upload; /* upload.c */

typedef struct pl_req {
    pl_server *srv;
    struct MHD_Connection *conn;
    char *uri;          /* raw request target */
    char *path;         /* decoded path */
    pl_kv *query;       /* decoded query parameters */
    size_t nquery;
    pl_kv *hdrs;
    size_t nhdrs;
    const char *method;
    char *bucket, *key; /* decoded; NULL when absent */
    enum pl_op op;
    pl_auth auth;
    int started;
    int body_kind;      /* BODY_IGNORE, BODY_BUFFER, BODY_UPLOAD */
    pl_sbuf body;
    uint64_t body_raw;  /* raw body bytes received */
    void *sha;          /* EVP_MD_CTX over the raw body, when its hash must be checked */
    pl_upload *up;
    int queued;         /* a response was queued */
    int close_after;    /* answer with Connection: close (a request that failed SigV4) */
    int err_status;     /* an error found while the body arrives, sent once it is read */
    const char *err_code;
    char err_msg[400];
    int status;         /* for the access log */
    char reqid[24];
    double t0;
} pl_req;

enum { BODY_IGNORE = 0, BODY_BUFFER, BODY_UPLOAD };

/* Answering.  All return the MHD_Result to hand back to MHD. */
enum MHD_Result pl_send_error(pl_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record an error to answer with once the request body has been read (see serve.c). */
void pl_fail(pl_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum MHD_Result pl_send_xml(pl_req *r, int status, pl_sbuf *body); /* takes the buffer */
enum MHD_Result pl_send_empty(pl_req *r, int status);
enum MHD_Result pl_queue(pl_req *r, int status, struct MHD_Response *resp);
void pl_common_headers(pl_req *r, struct MHD_Response *resp);
/* Map a store errno for a bucket or object lookup to the S3 error and send it. */
enum MHD_Result pl_send_errno(pl_req *r, int err, int for_bucket);
/* Out of descriptors or memory (EMFILE, ENFILE, ENOMEM, ENOBUFS): answered 503 SlowDown with
 * Retry-After, never as a missing object or bucket (finding 6 of issue 13). */
int pl_resource_errno(int err);
/* pl_open_object() failed with fd (-errno): NoSuchBucket, NoSuchKey, or 503 SlowDown. */
enum MHD_Result pl_send_open_error(pl_req *r, int fd);
/* A write (making a key's directories, its temporary file, publishing it) met err (-errno
 * or errno): a directory that vanished (ENOENT) means a DeleteBucket that won the race
 * (404 NoSuchBucket) or, with the bucket still there, a racing delete of an emptied parent
 * (503 SlowDown: retry); anything else as pl_send_errno().  Sets it with pl_fail(). */
void pl_fail_write_errno(pl_req *r, int err);

const char *pl_query_get(const pl_req *r, const char *name);
int pl_query_has(const pl_req *r, const char *name);
const char *pl_header(const pl_req *r, const char *name); /* first value, case-insensitive */

/* "Wed, 12 Oct 2009 17:50:00 GMT" and "2009-10-12T17:50:30.000Z" */
void pl_http_date(time_t t, char *out, size_t cap);
void pl_iso_date(const struct timespec *t, char *out, size_t cap);
double pl_now(void);

/* ETag of a stored object: the MD5 recorded at upload, else derived from inode, size and
 * mtime (with a "-1" suffix, so checksum-validating clients do not take it for an MD5). */
void pl_etag(int fd, const struct stat *st, char *out, size_t cap);
void pl_etag_at(int dirfd, const char *leaf, const struct stat *st, char *out, size_t cap);
void pl_etag_record(int fd, const char *etag); /* store with the file's size and mtime */

/* Handlers (objects.c, select.c). */
enum MHD_Result pl_handle_object_op(pl_req *r);
enum MHD_Result pl_handle_select(pl_req *r);

/* Uploads (upload.c): a temporary file fed with the decoded body. */
/* Takes ownership of dirfd.  part > 0 names the file "NNNNN.<md5>" (a multipart part). */
int pl_upload_begin(pl_req *r, int dirfd, const char *leaf, int part);
int pl_upload_data(pl_req *r, const char *data, size_t n); /* 0, or -1 after pl_fail() */
void pl_upload_abort(pl_upload *u);                        /* removes the temp file, frees */
/* Verify and publish: 0 on success with the ETag (quoted) in etag; -1 after pl_fail(). */
int pl_upload_commit(pl_req *r, char *etag, size_t cap);
uint64_t pl_upload_size(const pl_upload *u);
/* Mark an upload as written by the server (no size limit, no client checksum headers);
 * etag (unquoted, may be NULL) replaces the MD5 ETag. */
void pl_upload_internal(pl_upload *u, const char *etag);

#endif

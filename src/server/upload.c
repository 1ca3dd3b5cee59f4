/*
 * upload.c — receiving an object body into a temporary file, then publishing it atomically.
 *
 * The body arrives in pieces from MHD.  Plain bodies are written as they come;
 * aws-chunked bodies (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER) are decoded by a small state machine:
 *
 *     hex-size [";chunk-signature=" sig] CRLF  data CRLF  ...  0 [;chunk-signature=sig] CRLF
 *     [trailer-name ":" value CRLF]...  CRLF
 *
 * Each signed chunk's signature is checked against the chain started by the request's own
 * signature (pl_auth_chunk) before its bytes count; x-amz-decoded-content-length must match.
 * The MD5 of the decoded bytes is the ETag (S3's for a single PUT) and checks Content-MD5.
 * Only a verified, complete body is renamed over the destination; anything else unlinks the
 * temporary file (also when the client disconnects: on_completed calls pl_upload_abort).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "server/gzidx.h"
#include "server/srv.h"
#include "server/store.h"

#define WBUF (256 * 1024)

enum { CS_SIZE = 0, CS_DATA, CS_DATA_END, CS_TRAILER, CS_DONE };

struct pl_upload {
    int dirfd;
    char *leaf;
    int part;
    char tmp[64];
    int fd;
    uint64_t size;
    uint64_t limit;
    EVP_MD_CTX *md5;
    char *wbuf;
    size_t wlen;
    /* aws-chunked */
    int chunked, signed_chunks;
    int cs;
    char line[1024];
    size_t llen;
    uint64_t remain;
    char sig[80];
    size_t siglen;
    EVP_MD_CTX *csha;
    uLong crc;
    char trailer_crc[64];
    int internal;        /* written by the server itself (copy, multipart completion) */
    char etag_override[80];
};

void pl_upload_internal(pl_upload *u, const char *etag)
{
    u->internal = 1;
    u->limit = UINT64_MAX;
    if (etag)
        snprintf(u->etag_override, sizeof u->etag_override, "%s", etag);
}

uint64_t pl_upload_size(const pl_upload *u) { return u->size; }

int pl_upload_begin(pl_req *r, int dirfd, const char *leaf, int part)
{
    pl_upload *u = calloc(1, sizeof *u);
    if (!u) {
        close(dirfd);
        return -ENOMEM;
    }
    u->dirfd = dirfd;
    u->fd = -1;
    u->part = part;
    u->limit = r->srv->max_object;
    u->leaf = strdup(leaf ? leaf : "");
    u->wbuf = malloc(WBUF);
    u->md5 = EVP_MD_CTX_new();
    u->crc = crc32(0L, Z_NULL, 0);
    if (!u->leaf || !u->wbuf || !u->md5 || !EVP_DigestInit_ex(u->md5, EVP_md5(), NULL)) {
        pl_upload_abort(u);
        return -ENOMEM;
    }
    const char *ph = r->auth.payload_hash;
    if (!strncmp(ph, "STREAMING-", 10)) {
        u->chunked = 1;
        u->signed_chunks = !strcmp(ph, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") &&
                           r->auth.kind == PL_AUTH_HEADER;
        u->csha = EVP_MD_CTX_new();
        if (!u->csha) {
            pl_upload_abort(u);
            return -ENOMEM;
        }
    }
    for (int tries = 0; tries < 8; tries++) {
        char rnd[17];
        pl_random_hex(rnd, 16);
        snprintf(u->tmp, sizeof u->tmp, "%s%s", PL_TMP_PREFIX, rnd);
        u->fd = openat(dirfd, u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (u->fd >= 0 || errno != EEXIST)
            break;
    }
    if (u->fd < 0) {
        int e = errno;
        u->tmp[0] = 0;
        pl_upload_abort(u);
        return -e;
    }
    r->up = u;
    return 0;
}

void pl_upload_abort(pl_upload *u)
{
    if (!u)
        return;
    if (u->fd >= 0)
        close(u->fd);
    if (u->tmp[0])
        unlinkat(u->dirfd, u->tmp, 0);
    if (u->dirfd >= 0)
        close(u->dirfd);
    EVP_MD_CTX_free(u->md5);
    EVP_MD_CTX_free(u->csha);
    free(u->wbuf);
    free(u->leaf);
    free(u);
}

static int flush_w(pl_req *r, pl_upload *u)
{
    size_t off = 0;
    while (off < u->wlen) {
        ssize_t n = write(u->fd, u->wbuf + off, u->wlen - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOSPC || errno == EDQUOT)
                pl_fail(r, 507, "InsufficientStorage", "No space left on the device.");
            else
                pl_fail(r, 500, "InternalError", "Writing the object failed: %s.",
                        strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    u->wlen = 0;
    return 0;
}

/* Decoded object bytes. */
static int sink(pl_req *r, pl_upload *u, const char *p, size_t n)
{
    if (u->size + n > u->limit) {
        pl_fail(r, 400, "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed object size (%llu bytes).",
                (unsigned long long)u->limit);
        return -1;
    }
    u->size += n;
    EVP_DigestUpdate(u->md5, p, n);
    u->crc = crc32(u->crc, (const Bytef *)p, (uInt)n);
    while (n) {
        size_t take = WBUF - u->wlen < n ? WBUF - u->wlen : n;
        memcpy(u->wbuf + u->wlen, p, take);
        u->wlen += take;
        p += take;
        n -= take;
        if (u->wlen == WBUF && flush_w(r, u))
            return -1;
    }
    return 0;
}

static int bad_chunk(pl_req *r, const char *what)
{
    pl_fail(r, 400, "IncompleteBody", "The aws-chunked request body is malformed (%s).", what);
    return -1;
}

/* A complete chunk header line (without CRLF). */
static int chunk_header(pl_req *r, pl_upload *u)
{
    u->line[u->llen] = 0;
    char *semi = strchr(u->line, ';');
    char *end;
    if (!isxdigit((unsigned char)u->line[0]))
        return bad_chunk(r, "chunk size");
    unsigned long long sz = strtoull(u->line, &end, 16);
    if (end != (semi ? semi : u->line + u->llen) || sz > (1ull << 32))
        return bad_chunk(r, "chunk size");
    u->siglen = 0;
    if (semi) {
        const char *k = "chunk-signature=";
        if (strncmp(semi + 1, k, strlen(k)))
            return bad_chunk(r, "chunk extension");
        const char *sig = semi + 1 + strlen(k);
        u->siglen = strlen(sig);
        if (u->siglen >= sizeof u->sig)
            return bad_chunk(r, "chunk signature");
        memcpy(u->sig, sig, u->siglen + 1);
    }
    if (u->signed_chunks && !u->siglen) {
        pl_fail(r, 403, "SignatureDoesNotMatch", "A chunk of the upload is not signed.");
        return -1;
    }
    u->remain = sz;
    EVP_DigestInit_ex(u->csha, EVP_sha256(), NULL);
    u->cs = CS_DATA;
    return 0;
}

static int chunk_done(pl_req *r, pl_upload *u, int last)
{
    if (u->signed_chunks) {
        unsigned char h[32];
        unsigned int hl = 32;
        EVP_DigestFinal_ex(u->csha, h, &hl);
        if (pl_auth_chunk(&r->auth, h, u->sig, u->siglen)) {
            pl_fail(r, 403, "SignatureDoesNotMatch",
                    "The chunk signature we calculated does not match the signature you "
                    "provided.");
            return -1;
        }
    }
    u->cs = last ? CS_TRAILER : CS_DATA_END;
    u->llen = 0;
    return 0;
}

static int trailer_line(pl_req *r, pl_upload *u)
{
    u->line[u->llen] = 0;
    if (u->llen == 0) {
        u->cs = CS_DONE;
        return 0;
    }
    char *colon = strchr(u->line, ':');
    if (!colon)
        return bad_chunk(r, "trailer");
    *colon = 0;
    char *v = colon + 1;
    while (*v == ' ')
        v++;
    if (strcasecmp(u->line, "x-amz-checksum-crc32") || u->trailer_crc[0])
        return bad_chunk(r, "trailer"); /* only the announced checksum, once */
    snprintf(u->trailer_crc, sizeof u->trailer_crc, "%s", v);
    return 0;
}

static int decode_chunked(pl_req *r, pl_upload *u, const char *p, size_t n)
{
    while (n) {
        switch (u->cs) {
        case CS_SIZE:
        case CS_TRAILER: {
            char c = *p++;
            n--;
            if (c == '\r')
                continue;
            if (c == '\n') {
                int rc = u->cs == CS_SIZE ? chunk_header(r, u) : trailer_line(r, u);
                u->llen = 0;
                if (rc)
                    return -1;
                if (u->cs == CS_DATA && u->remain == 0 && chunk_done(r, u, 1))
                    return -1;
                continue;
            }
            if (u->llen + 1 >= sizeof u->line)
                return bad_chunk(r, "line too long");
            u->line[u->llen++] = c;
            break;
        }
        case CS_DATA: {
            size_t take = n < u->remain ? n : (size_t)u->remain;
            if (u->signed_chunks)
                EVP_DigestUpdate(u->csha, p, take);
            if (sink(r, u, p, take))
                return -1;
            p += take;
            n -= take;
            u->remain -= take;
            if (!u->remain && chunk_done(r, u, 0))
                return -1;
            break;
        }
        case CS_DATA_END: {
            char c = *p++;
            n--;
            if (c == '\r')
                continue;
            if (c != '\n')
                return bad_chunk(r, "missing CRLF after chunk data");
            u->cs = CS_SIZE;
            break;
        }
        case CS_DONE:
            return bad_chunk(r, "data after the last chunk");
        }
    }
    return 0;
}

int pl_upload_data(pl_req *r, const char *data, size_t n)
{
    pl_upload *u = r->up;
    if (!u)
        return 0;
    if (u->chunked)
        return decode_chunked(r, u, data, n);
    return sink(r, u, data, n);
}

static int b64(const unsigned char *in, size_t n, char *out, size_t cap)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return len < 0 || (size_t)len >= cap ? -1 : 0;
}

/* Remove earlier files of the same part number ("00003.<md5>"). */
static void drop_part(int dirfd, int part)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    char pre[16];
    snprintf(pre, sizeof pre, "%05d.", part);
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, pre, strlen(pre)))
            unlinkat(dirfd, de->d_name, 0);
    closedir(d);
}

int pl_upload_commit(pl_req *r, char *etag, size_t cap)
{
    pl_upload *u = r->up;
    if (u->chunked && u->cs != CS_DONE) {
        pl_fail(r, 400, "IncompleteBody",
                "You did not provide the number of bytes specified by the aws-chunked encoding.");
        return -1;
    }
    const char *dcl = pl_header(r, "x-amz-decoded-content-length");
    if (u->chunked && dcl && strtoull(dcl, NULL, 10) != u->size) {
        pl_fail(r, 400, "IncompleteBody",
                "The decoded body has %llu bytes but x-amz-decoded-content-length says %s.",
                (unsigned long long)u->size, dcl);
        return -1;
    }
    unsigned char md5[16];
    unsigned int ml = 16;
    EVP_DigestFinal_ex(u->md5, md5, &ml);
    const char *cmd5 = u->internal ? NULL : pl_header(r, "content-md5");
    if (cmd5) {
        char want[64];
        if (b64(md5, 16, want, sizeof want) || strcmp(want, cmd5)) {
            pl_fail(r, 400, "BadDigest",
                    "The Content-MD5 you specified did not match what we received.");
            return -1;
        }
    }
    if (!u->trailer_crc[0] && !strcmp(r->auth.payload_hash, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")) {
        pl_fail(r, 400, "MalformedTrailerError",
                "The request contained trailing data that was not well-formed or did not "
                "conform to our published schema (no x-amz-checksum-crc32 trailer).");
        return -1;
    }
    const char *ccrc = u->trailer_crc[0] ? u->trailer_crc
                       : u->internal     ? NULL
                                         : pl_header(r, "x-amz-checksum-crc32");
    if (ccrc) {
        unsigned char c[4] = {(unsigned char)(u->crc >> 24), (unsigned char)(u->crc >> 16),
                              (unsigned char)(u->crc >> 8), (unsigned char)u->crc};
        char want[16];
        if (b64(c, 4, want, sizeof want) || strcmp(want, ccrc)) {
            pl_fail(r, 400, "BadDigest",
                    "The CRC32 you specified did not match the calculated checksum.");
            return -1;
        }
    }
    if (flush_w(r, u))
        return -1;
    char hex[33];
    pl_hex(md5, 16, hex);
    const char *tag = u->etag_override[0] ? u->etag_override : hex;
    snprintf(etag, cap, "\"%s\"", tag);
    pl_etag_record(u->fd, tag);
    /* --fsync=always (the default): the data before the name, the name before the answer,
     * so a 200 survives a power cut (finding 7 of issue 13) */
    if (r->srv->fsync && fsync(u->fd) < 0) {
        pl_fail(r, 500, "InternalError", "Syncing the object failed: %s.", strerror(errno));
        return -1;
    }
    if (close(u->fd) < 0) {
        u->fd = -1;
        pl_fail(r, 500, "InternalError", "Closing the object failed: %s.", strerror(errno));
        return -1;
    }
    u->fd = -1;
    char partname[64];
    const char *dest = u->leaf;
    if (u->part > 0) {
        drop_part(u->dirfd, u->part);
        snprintf(partname, sizeof partname, "%05d.%s", u->part, hex);
        dest = partname;
    }
    /* under the bucket lock: a DeleteBucket either saw this object or removed the temporary
     * file and the bucket before it (then ENOENT: NoSuchBucket) */
    pthread_rwlock_rdlock(&r->srv->bucket_lock);
    int renamed = renameat(u->dirfd, u->tmp, u->dirfd, dest);
    int e = errno;
    pthread_rwlock_unlock(&r->srv->bucket_lock);
    if (renamed < 0) {
        if (e == EISDIR || e == ENOTEMPTY || e == EEXIST)
            pl_fail(r, 409, "OperationAborted",
                    "The key names a directory that holds other keys.");
        else if (e == ENOENT)
            pl_fail_write_errno(r, e);
        else
            pl_fail(r, 500, "InternalError", "Publishing the object failed: %s.", strerror(e));
        return -1;
    }
    u->tmp[0] = 0; /* published: nothing to unlink */
    if (u->part == 0) /* an object replaced: its gzip index goes, a new one is queued */
        pl_gzidx_written(r->srv->rootfd, r->bucket, r->key);
    if (r->srv->fsync && fsync(u->dirfd) < 0) {
        pl_fail(r, 500, "InternalError", "Syncing the directory failed: %s.", strerror(errno));
        return -1;
    }
    return 0;
}

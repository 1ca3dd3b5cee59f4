/*
 * gzidx.c — checkpoint indexes of gzip objects (pluck-index(5)) for ScanRange over a
 * single-member gzip object (cscan.c).  A gzip member has no split points of its own; its
 * index lists checkpoints inside the deflate stream, where the library can start decoding.
 *
 * pluck serve keeps an object's index at <root>/.pluck-indexes/<bucket>/<key>.pluckidx: out
 * of the buckets (a bucket name cannot start with '.'), so it is never listed, read or
 * written as an object.  It is built on first use: a ScanRange over a single-member gzip
 * object without a valid index starts the build on a thread of its own (one at a time for
 * the whole server) and is answered 503 SlowDown with Retry-After, as are all ranges over
 * the object until the index is there: every range of a fan-out must cut the object at the
 * same split points, so none is answered with the index's and another without.  A gzip
 * object that cannot be indexed (corrupt, or not ISA-L) gets a marker,
 * <key>.pluckidx.none holding its size and mtime, and is then one split for good.  Never a
 * stale index: pluck_index_load() refuses one whose file size or head and tail hashes are
 * not the object's (then it is built again), and each split's data is checked against the
 * index's CRC-32s, so a wrong index is an error, never a wrong answer.  Temporary files are
 * named PL_TMP_PREFIX..., so a crash's are removed at the next start.
 */
#define _GNU_SOURCE
#include "server/gzidx.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/store.h"

#define INDEX_DIR ".pluck-indexes"
#define INDEX_MAX (256u << 20) /* a larger index file is not read */

static atomic_int building; /* one build at a time, server-wide */

/* The directory that holds key's index (created when create), *leaf its last component. */
static int index_dir(int rootfd, const char *bucket, const char *key, int create,
                     const char **leaf)
{
    if (create) {
        mkdirat(rootfd, INDEX_DIR, 0700);
    }
    int top = openat(rootfd, INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0)
        return -errno;
    if (create)
        mkdirat(top, bucket, 0700);
    int bfd = openat(top, bucket, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(top);
    if (bfd < 0)
        return -e;
    int dfd = pl_open_parent(bfd, key, create, leaf);
    close(bfd);
    return dfd;
}

static int index_name(char *buf, size_t cap, const char *leaf)
{
    int n = snprintf(buf, cap, "%s.pluckidx", leaf);
    return n > 0 && (size_t)n < cap && n <= 255 ? 0 : -1;
}

typedef struct build_job {
    int fd;    /* the object (a duplicate) */
    int dfd;   /* the index's directory */
    char name[256];
} build_job;

static int write_fd(void *opaque, const char *data, size_t len)
{
    int fd = *(int *)opaque;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* "size mtime" of the object: what a .none marker says it was made for. */
static int stamp(int fd, char *buf, size_t cap)
{
    struct stat st;
    if (fstat(fd, &st))
        return -1;
    return snprintf(buf, cap, "%lld %lld.%09ld\n", (long long)st.st_size,
                    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
}

/* Publish data[0, len) as dfd/name through a temporary file. */
static void publish(int dfd, const char *name, const pluck_index *ix, const char *data,
                    size_t len)
{
    char tmp[64], rnd[17];
    pl_random_hex(rnd, 16);
    snprintf(tmp, sizeof tmp, "%sidx-%s", PL_TMP_PREFIX, rnd);
    int out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return;
    pluck_error err;
    int ok = ix ? pluck_index_write(ix, write_fd, &out, &err) == PLUCK_OK
                : write_fd(&out, data, len) == 0;
    ok = close(out) == 0 && ok;
    if (!ok || renameat(dfd, tmp, dfd, name) < 0)
        unlinkat(dfd, tmp, 0);
}

static void *build(void *arg)
{
    build_job *j = arg;
    struct stat st;
    pluck_index *ix = NULL;
    pluck_error err = {0};
    if (fstat(j->fd, &st) == 0) {
        /* a checkpoint about every 1/32 of the object, 64 KiB to 4 MiB apart */
        uint64_t spacing = (uint64_t)st.st_size / 32;
        spacing = spacing < (64u << 10) ? (64u << 10) : spacing > (4u << 20) ? (4u << 20) : spacing;
        pluck_index_build(j->fd, spacing, &ix, &err);
    }
    if (ix) {
        publish(j->dfd, j->name, ix, NULL, 0);
        pluck_index_free(ix);
    } else if (err.code != PLUCK_E_OUT_OF_MEMORY && err.code != PLUCK_E_READ_ERROR) {
        char none[300], sb[64];
        int n = stamp(j->fd, sb, sizeof sb);
        snprintf(none, sizeof none, "%s.none", j->name);
        if (n > 0)
            publish(j->dfd, none, NULL, sb, (size_t)n);
    }
    close(j->fd);
    close(j->dfd);
    free(j);
    atomic_store(&building, 0);
    return NULL;
}

int pl_gzidx_get(int rootfd, const char *bucket, const char *key, int objfd, pluck_index **out)
{
    const char *leaf;
    char name[256];
    *out = NULL;
    int dfd = index_dir(rootfd, bucket, key, 0, &leaf);
    if (dfd >= 0 && index_name(name, sizeof name, leaf) == 0) {
        /* a marker for this very version of the object: it cannot be indexed */
        char none[300], want[64], got[64];
        snprintf(none, sizeof none, "%s.none", name);
        int nfd = openat(dfd, none, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd >= 0) {
            ssize_t gl = read(nfd, got, sizeof got - 1);
            int wl = stamp(objfd, want, sizeof want);
            close(nfd);
            if (gl > 0 && wl == gl && !memcmp(got, want, (size_t)wl)) {
                close(dfd);
                return 0;
            }
        }
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= INDEX_MAX) {
            char *data = malloc((size_t)st.st_size);
            pluck_index *ix = NULL;
            pluck_error err;
            if (data && pread(fd, data, (size_t)st.st_size, 0) == st.st_size)
                pluck_index_load(data, (size_t)st.st_size, objfd, &ix, &err);
            free(data);
            close(fd);
            if (ix) {
                close(dfd);
                *out = ix; /* valid for this very object */
                return 1;
            }
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (dfd >= 0)
        close(dfd);
    /* none, or stale: build it (again) in the background; until it is there, no range */
    if (atomic_exchange(&building, 1))
        return -1;
    build_job *j = calloc(1, sizeof *j);
    dfd = j ? index_dir(rootfd, bucket, key, 1, &leaf) : -1;
    if (!j || dfd < 0 || index_name(j->name, sizeof j->name, leaf) ||
        (j->fd = fcntl(objfd, F_DUPFD_CLOEXEC, 0)) < 0) {
        if (dfd >= 0)
            close(dfd);
        free(j);
        atomic_store(&building, 0);
        return -1;
    }
    j->dfd = dfd;
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, build, j)) {
        close(j->fd);
        close(j->dfd);
        free(j);
        atomic_store(&building, 0);
    }
    pthread_attr_destroy(&a);
    return -1;
}

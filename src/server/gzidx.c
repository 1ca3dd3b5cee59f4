/*
 * gzidx.c — checkpoint indexes of gzip objects (pluck-index(5)) for ScanRange over a
 * single-member gzip object (cscan.c).  A gzip member has no split points of its own; its
 * index lists checkpoints inside the deflate stream, where the library can start decoding.
 *
 * Where.  ROOT/.pluck-indexes/BUCKET/<SHA-256 of the key, hex>.pluckidx: out of the buckets
 * (a bucket name cannot start with '.'), so never listed, read or written as an object; one
 * flat directory per bucket, so a key of any length has a name and DeleteBucket removes one
 * directory.  The file starts with a stamp line naming the object it was made for (inode,
 * size, mtime to the nanosecond) and the key, then either a pluck-index(5) index or, for an
 * object that is one split for good, a line saying why (a "none" marker).
 *
 * When.  A write that publishes an object (PutObject, CopyObject, CompleteMultipartUpload:
 * pl_gzidx_written from pl_upload_commit) removes the key's old file and, for a gzip object,
 * queues its build; the answer to the write never waits for it.  A ScanRange over a single
 * gzip member without a valid file (a restart lost the queue, an object placed in ROOT by
 * hand) queues it too (first use).  Until the file is there every range over the object is
 * answered 503 SlowDown: all the ranges of a fan-out must cut the object at the same points,
 * so none is answered with the index's and another without.
 *
 * Bounds (pluck-serve(1), tests/HARDENING.md).  At most BUILDERS builds at once, on threads
 * at nice 10 that exist only while there is work; at most QUEUE_MAX queued (a key is queued
 * once; past that a write queues nothing and a ScanRange gets 503 until there is room), in
 * the order asked.  Before the library's builder (which cannot be stopped midway) decodes
 * the object, a check decodes it with zlib under a budget: at most RATIO_MAX decompressed
 * bytes per compressed byte (at least FLOOR_MAX), at most CPU_BASE + CPU_PER_GIB seconds of
 * CPU per GiB of the object; past either, or when the data is corrupt, the object gets a
 * "none" marker and is one split for good (until it is replaced), so a gzip bomb holds a
 * builder for a bounded time and every other object's build goes on meanwhile.  The index
 * holds at most 513 checkpoints (about 33 KiB each at worst), read at most INDEX_MAX bytes.
 *
 * Never stale.  A file is used only when its stamp is the object's (fstat of the very
 * descriptor the select reads), and pluck_index_load checks the size and head/tail hashes
 * again, and each split its data against the index's CRC-32s.  A build publishes under
 * `lock` only after checking that the key still names the file it read, and the hooks
 * remove a key's file under the same lock after the object was replaced or deleted, so a
 * build of old bytes never leaves a file behind (no orphans).  Temporary files are named
 * PL_TMP_PREFIX..., so a crash's are removed at the next start (pl_clean_tmp), and
 * pl_gzidx_start removes the files whose object is gone or changed.
 */
#define _GNU_SOURCE
#include "server/gzidx.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "server/sbuf.h"
#include "server/store.h"

#define INDEX_DIR ".pluck-indexes"
#define INDEX_SUFFIX ".pluckidx"
#define INDEX_MAX (32u << 20)  /* a larger index file is not read (513 checkpoints fit) */
#define BUILDERS 2             /* builds at once, server-wide: */
#define SMALL_MAX (64u << 20)  /* builder 1 takes only objects up to this size */
#define QUEUE_MAX 64           /* builds waiting */
#define RATIO_MAX 100          /* decompressed bytes a build may decode per compressed byte */
#define FLOOR_MAX (64u << 20)  /* ... and at least this many */
#define CPU_BASE 10.0          /* seconds of CPU the check may use, plus */
#define CPU_PER_GIB 100.0      /* ... this many per GiB of the object */
#define CHUNK (256u << 10)
#define HEAD_MAX (160 + PL_MAX_KEY) /* the stamp line and the key */
#define NAME_LEN (64 + sizeof INDEX_SUFFIX)

typedef struct job {
    struct job *next;
    atomic_int stale;  /* the object was replaced or deleted: stop, publish nothing */
    int from_write;    /* queued by a write: build only for a single gzip member */
    uint64_t size;     /* of the object when queued: builder 1 takes only small ones */
    char bucket[64];
    char key[PL_MAX_KEY + 1];
} job;

static struct {
    pthread_mutex_t lock; /* the queue, and publishing vs removing a key's file */
    int rootfd;           /* the builders' own descriptor of the root */
    job *head, *tail;
    size_t queued;
    job *running[BUILDERS];
    int alive[BUILDERS];  /* builder i's thread exists */
    atomic_int stopping;  /* pl_gzidx_stop: no more builds */
    pthread_cond_t idle;  /* a builder ended */
} G = {.lock = PTHREAD_MUTEX_INITIALIZER, .rootfd = -1, .idle = PTHREAD_COND_INITIALIZER};

/* ---- names and stamps ------------------------------------------------------------------- */

static void index_name(const char *key, char out[NAME_LEN])
{
    unsigned char md[32];
    unsigned int n = 0;
    if (!EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL) || n != 32)
        memset(md, 0, sizeof md); /* cannot happen; a shared name is still checked by stamp */
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[md[i] >> 4];
        out[2 * i + 1] = hx[md[i] & 15];
    }
    memcpy(out + 64, INDEX_SUFFIX, sizeof INDEX_SUFFIX);
}

/* The stamp of an index file for the object st named key: a line, then the key.  Returns
 * its length (it is not NUL-terminated), or 0 when it does not fit. */
static size_t stamp(char *buf, size_t cap, const char *kind, const struct stat *st,
                    const char *key)
{
    size_t kl = strlen(key);
    int n = snprintf(buf, cap, "pluck-serve-gzidx 1 %s %llu %llu %lld.%09ld %zu\n", kind,
                     (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
                     (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, kl);
    if (n <= 0 || (size_t)n + kl > cap)
        return 0;
    memcpy(buf + n, key, kl);
    return (size_t)n + kl;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The index directory of bucket (created when create), or -errno. */
static int bucket_dir(int rootfd, const char *bucket, int create)
{
    if (create)
        mkdirat(rootfd, INDEX_DIR, 0700);
    int top = openat(rootfd, INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0)
        return -errno;
    if (create)
        mkdirat(top, bucket, 0700);
    int bfd = openat(top, bucket, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(top);
    return bfd < 0 ? -e : bfd;
}

/* Read at most cap bytes of dfd/name into a new buffer: its length in *len, NULL if none. */
static char *slurp(int dfd, const char *name, size_t cap, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    char *data = NULL;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t n = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
        data = malloc(n);
        if (data && pread(fd, data, n, 0) == (ssize_t)n)
            *len = n;
        else {
            free(data);
            data = NULL;
        }
    }
    if (fd >= 0)
        close(fd);
    return data;
}

/* ---- the queue ---------------------------------------------------------------------------- */

static void *builder(void *arg);

static int running_live(const char *bucket, const char *key)
{
    for (int i = 0; i < BUILDERS; i++) {
        job *j = G.running[i];
        if (j && !atomic_load(&j->stale) && !strcmp(j->bucket, bucket) && !strcmp(j->key, key))
            return 1;
    }
    return 0;
}

/* The next queued job builder `slot` may take (G.lock held): builder 0 the oldest, builder
 * 1 the oldest small one, so objects up to SMALL_MAX are built even while two large ones
 * (bombs at their budget) would hold both builders. */
static job **next_job(int slot)
{
    job **pp = &G.head;
    while (*pp && slot == 1 && (*pp)->size > SMALL_MAX)
        pp = &(*pp)->next;
    return *pp ? pp : NULL;
}

/* Start the builders that have work and no thread (G.lock held); one that cannot be started
 * now is tried again at the next call. */
static void spawn(void)
{
    for (intptr_t i = 0; i < BUILDERS; i++) {
        if (G.alive[i] || !next_job((int)i))
            continue;
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &a, builder, (void *)i) == 0)
            G.alive[i] = 1;
        pthread_attr_destroy(&a);
    }
}

/* Queue a build of bucket/key unless it is queued or being built (G.lock held).  0, or -1
 * when the queue is full or nothing can be queued. */
static int enqueue(int rootfd, const char *bucket, const char *key, uint64_t size,
                   int from_write)
{
    if (atomic_load(&G.stopping))
        return -1;
    if (G.rootfd < 0 && (G.rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
        return -1;
    if (strlen(bucket) >= sizeof G.head->bucket || strlen(key) > PL_MAX_KEY)
        return -1;
    int rc = 0, found = running_live(bucket, key);
    for (job *j = G.head; j && !found; j = j->next)
        if (!strcmp(j->bucket, bucket) && !strcmp(j->key, key)) {
            j->from_write &= from_write; /* a ScanRange asked: build it whatever it is */
            found = 1;
        }
    job *j = found || G.queued >= QUEUE_MAX ? NULL : calloc(1, sizeof *j);
    if (j) {
        j->from_write = from_write;
        j->size = size;
        strcpy(j->bucket, bucket);
        strcpy(j->key, key);
        if (G.tail)
            G.tail->next = j;
        else
            G.head = j;
        G.tail = j;
        G.queued++;
    } else if (!found) {
        rc = -1;
    }
    spawn();
    return rc;
}

/* Mark the builds of bucket (and key, when not NULL) stale and drop the queued ones
 * (G.lock held); with keep_queued a queued build of key stays (it reads the new object). */
static void cancel(const char *bucket, const char *key, int keep_queued)
{
    for (int i = 0; i < BUILDERS; i++) {
        job *j = G.running[i];
        if (j && !strcmp(j->bucket, bucket) && (!key || !strcmp(j->key, key)))
            atomic_store(&j->stale, 1);
    }
    if (keep_queued)
        return;
    job **pp = &G.head, *prev = NULL;
    while (*pp) {
        job *j = *pp;
        if (!strcmp(j->bucket, bucket) && (!key || !strcmp(j->key, key))) {
            *pp = j->next;
            G.queued--;
            free(j);
        } else {
            prev = j;
            pp = &j->next;
        }
    }
    G.tail = prev;
}

/* ---- building ------------------------------------------------------------------------------ */

enum { CHECK_OK, CHECK_NONE, CHECK_ABORT };

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decode the whole object once under the budget (see the top): CHECK_OK when it decodes
 * within it, CHECK_NONE with why when it does not (a bomb, corrupt), CHECK_ABORT when the
 * build is to stop without a marker (stale, out of memory, unreadable). */
static int check(const job *j, int fd, uint64_t size, char *why, size_t cap)
{
    uint64_t limit = size * RATIO_MAX > FLOOR_MAX ? size * RATIO_MAX : FLOOR_MAX;
    double cpu_max = CPU_BASE + CPU_PER_GIB * (double)size / (double)(1u << 30);
    double cpu0 = thread_cpu();
    unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
    z_stream z = {0};
    int rc = CHECK_ABORT;
    if (!in || !out || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(in);
        free(out);
        return CHECK_ABORT;
    }
    uint64_t at = 0, total = 0;
    for (;;) {
        if (atomic_load(&j->stale) || atomic_load(&G.stopping))
            break;
        if (z.avail_in == 0 && at < size) {
            size_t want = size - at < CHUNK ? (size_t)(size - at) : CHUNK;
            ssize_t got = pread(fd, in, want, (off_t)at);
            if (got <= 0)
                break; /* unreadable: no marker, a later request tries again */
            at += (uint64_t)got;
            z.next_in = in;
            z.avail_in = (uInt)got;
        }
        z.next_out = out;
        z.avail_out = CHUNK;
        int zr = inflate(&z, Z_NO_FLUSH);
        total += CHUNK - z.avail_out;
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0 && at == size) {
                rc = CHECK_OK;
                break;
            }
            inflateReset(&z); /* another member follows (or garbage: Z_DATA_ERROR next) */
        } else if (zr == Z_MEM_ERROR) {
            break;
        } else if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_in == 0 && at < size)) {
            snprintf(why, cap, "the gzip data is corrupt or cut short (%s)",
                     z.msg ? z.msg : "unexpected end");
            rc = CHECK_NONE;
            break;
        }
        if (total > limit) {
            snprintf(why, cap, "it decompresses to more than %llu bytes (%d times its size, "
                               "at least %u MiB): a compression bomb is one split",
                     (unsigned long long)limit, RATIO_MAX, FLOOR_MAX >> 20);
            rc = CHECK_NONE;
            break;
        }
        if (thread_cpu() - cpu0 > cpu_max) {
            snprintf(why, cap, "decoding it took more than %.0f s of CPU", cpu_max);
            rc = CHECK_NONE;
            break;
        }
    }
    inflateEnd(&z);
    free(in);
    free(out);
    return rc;
}

static int write_fd(int fd, const char *data, size_t len)
{
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

/* Publish the file for j's object (st: fstat of the descriptor it was built from): the
 * stamp of kind, then data[0, len).  Written to a temporary file, renamed into place under
 * G.lock only while the key still names that very file and j is not stale. */
static void publish(const job *j, const struct stat *st, const char *kind, const char *data,
                    size_t len)
{
    char head[HEAD_MAX], tmp[64], rnd[17], name[NAME_LEN];
    size_t hl = stamp(head, sizeof head, kind, st, j->key);
    if (!hl)
        return;
    mkdirat(G.rootfd, INDEX_DIR, 0700);
    int top = openat(G.rootfd, INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0)
        return;
    pl_random_hex(rnd, 16);
    snprintf(tmp, sizeof tmp, "%sidx-%s", PL_TMP_PREFIX, rnd);
    int out = openat(top, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        close(top);
        return;
    }
    int ok = write_fd(out, head, hl) == 0 && write_fd(out, data, len) == 0;
    ok = close(out) == 0 && ok;
    int done = 0;
    if (ok) {
        index_name(j->key, name);
        pthread_mutex_lock(&G.lock);
        struct stat now;
        int fd = atomic_load(&j->stale) ? -1 : pl_open_object(G.rootfd, j->bucket, j->key, &now);
        if (fd >= 0) {
            close(fd);
            int bfd = same_file(st, &now) ? bucket_dir(G.rootfd, j->bucket, 1) : -1;
            if (bfd >= 0) {
                done = renameat(top, tmp, bfd, name) == 0;
                close(bfd);
            }
        }
        pthread_mutex_unlock(&G.lock);
    }
    if (!done)
        unlinkat(top, tmp, 0);
    close(top);
}

static void publish_none(const job *j, const struct stat *st, const char *why)
{
    char line[600];
    int n = snprintf(line, sizeof line, "%s\n", why);
    publish(j, st, "none", line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
}

typedef struct membuf {
    pl_sbuf b;
    int big; /* refused: it would be over INDEX_MAX with the stamp */
} membuf;

static int add_mem(void *opaque, const char *data, size_t len)
{
    membuf *m = opaque;
    if (len > INDEX_MAX - HEAD_MAX - m->b.len) {
        m->big = 1;
        return 1;
    }
    return pl_sbuf_add(&m->b, data, len) != 0;
}

/* Publish ix as fd's index, or a marker when it cannot be one: over INDEX_MAX (many members
 * the split finder did not take), or it does not load back (then the same build would
 * follow every ScanRange, each answered 503). */
static void publish_index(const job *j, int fd, const struct stat *st, pluck_index *ix)
{
    membuf m = {0};
    pluck_error err;
    pluck_index *back = NULL;
    pluck_code wc = pluck_index_write(ix, add_mem, &m, &err);
    pluck_index_free(ix);
    if (wc != PLUCK_OK) {
        if (m.big)
            publish_none(j, st, "its index would be larger than 32 MiB");
    } else if (pluck_index_load(m.b.data, m.b.len, fd, &back, &err) != PLUCK_OK) {
        if (err.code != PLUCK_E_OUT_OF_MEMORY && err.code != PLUCK_E_READ_ERROR) {
            char why[600];
            snprintf(why, sizeof why, "its index does not load back: %.500s", err.message);
            publish_none(j, st, why);
        }
    } else {
        publish(j, st, "index", m.b.data, m.b.len);
    }
    pluck_index_free(back);
    pl_sbuf_free(&m.b);
}

static void build(const job *j)
{
    struct stat st;
    int fd = pl_open_object(G.rootfd, j->bucket, j->key, &st);
    if (fd < 0)
        return; /* gone: nothing to index */
    unsigned char magic[2];
    pluck_split *sp = NULL;
    size_t k = 0;
    pluck_error err = {0};
    int gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    /* after a write: only what a ScanRange would ask for (select.c, apply_range): a single
     * gzip member; BGZF and other multi-member objects split at their members */
    if (gzip && j->from_write &&
        (pluck_splits_find(fd, NULL, 1, &sp, &k, &err) != PLUCK_OK || k != 1))
        gzip = 0;
    pluck_splits_free(sp);
    char why[200] = "";
    int verdict = gzip ? check(j, fd, (uint64_t)st.st_size, why, sizeof why) : CHECK_ABORT;
    if (verdict == CHECK_OK) {
        /* a checkpoint about every 1/32 of the object, 64 KiB to 4 MiB apart, and at most
         * 513 of them (the index a ScanRange reads stays under 17 MiB) */
        uint64_t size = (uint64_t)st.st_size, spacing = size / 32;
        spacing = spacing < (64u << 10) ? (64u << 10) : spacing > (4u << 20) ? (4u << 20) : spacing;
        if (spacing < size / 512)
            spacing = size / 512;
        pluck_index *ix = NULL;
        if (pluck_index_build(fd, spacing, &ix, &err) == PLUCK_OK && ix)
            publish_index(j, fd, &st, ix);
        else if (err.code != PLUCK_E_OUT_OF_MEMORY && err.code != PLUCK_E_READ_ERROR)
            publish_none(j, &st, err.message); /* damaged: one split */
    } else if (verdict == CHECK_NONE) {
        publish_none(j, &st, why);
    }
    close(fd);
}

static void *builder(void *arg)
{
    int slot = (int)(intptr_t)arg;
    /* below the selects and uploads that share the cores; named for ps and the tests */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_setname_np(pthread_self(), "pluck-gzidx");
    pthread_mutex_lock(&G.lock);
    job **pp;
    while (!atomic_load(&G.stopping) && (pp = next_job(slot))) {
        job *j = *pp;
        *pp = j->next;
        if (G.tail == j) {
            G.tail = NULL;
            for (job *t = G.head; t; t = t->next)
                G.tail = t;
        }
        G.queued--;
        G.running[slot] = j;
        pthread_mutex_unlock(&G.lock);
        build(j);
        pthread_mutex_lock(&G.lock);
        G.running[slot] = NULL;
        free(j);
    }
    G.alive[slot] = 0;
    pthread_cond_broadcast(&G.idle);
    pthread_mutex_unlock(&G.lock);
    return NULL;
}

/* ---- the server's calls ------------------------------------------------------------------ */

int pl_gzidx_get(int rootfd, const char *bucket, const char *key, int objfd, pluck_index **out)
{
    *out = NULL;
    char name[NAME_LEN], want[HEAD_MAX];
    struct stat st;
    size_t len = 0;
    char *data = NULL;
    int bfd = bucket_dir(rootfd, bucket, 0);
    if (fstat(objfd, &st))
        st.st_size = 0;
    else if (bfd >= 0) {
        index_name(key, name);
        data = slurp(bfd, name, INDEX_MAX, &len);
    }
    if (bfd >= 0)
        close(bfd);
    if (data) {
        /* only a file made for this very object (its stamp), then checked by the library */
        size_t wl = stamp(want, sizeof want, "none", &st, key);
        if (wl && len >= wl && !memcmp(data, want, wl)) {
            free(data);
            return 0;
        }
        wl = stamp(want, sizeof want, "index", &st, key);
        pluck_error err;
        if (wl && len > wl && !memcmp(data, want, wl))
            pluck_index_load(data + wl, len - wl, objfd, out, &err);
        free(data);
        if (*out)
            return 1;
    }
    /* none, or stale: build it (again) in the background; until it is there, no range */
    pthread_mutex_lock(&G.lock);
    enqueue(rootfd, bucket, key, (uint64_t)st.st_size, 0);
    pthread_mutex_unlock(&G.lock);
    return -1;
}

/* Remove key's file (G.lock held). */
static void remove_file(int rootfd, const char *bucket, const char *key)
{
    char name[NAME_LEN];
    int bfd = bucket_dir(rootfd, bucket, 0);
    if (bfd < 0)
        return;
    index_name(key, name);
    unlinkat(bfd, name, 0);
    close(bfd);
}

void pl_gzidx_written(int rootfd, const char *bucket, const char *key)
{
    pthread_mutex_lock(&G.lock);
    cancel(bucket, key, 1);
    remove_file(rootfd, bucket, key);
    pthread_mutex_unlock(&G.lock);
    struct stat st;
    unsigned char magic[2];
    int fd = pl_open_object(rootfd, bucket, key, &st);
    int gzip = fd >= 0 && pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (fd >= 0)
        close(fd);
    if (gzip) { /* whether it is a single member is found by the builder */
        pthread_mutex_lock(&G.lock);
        enqueue(rootfd, bucket, key, (uint64_t)st.st_size, 1);
        pthread_mutex_unlock(&G.lock);
    }
}

void pl_gzidx_forget(int rootfd, const char *bucket, const char *key)
{
    pthread_mutex_lock(&G.lock);
    cancel(bucket, key, 0);
    remove_file(rootfd, bucket, key);
    pthread_mutex_unlock(&G.lock);
}

/* Call each(dfd, entry, arg) for every entry but . and .. of the directory at/name (never a
 * symlink), dfd being that directory; the listing has a descriptor of its own, so each()
 * may use dfd freely.  False when the directory cannot be opened. */
static bool each_entry(int at, const char *name,
                       void (*each)(int dfd, const char *entry, void *arg), void *arg)
{
    int dfd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int ld = dfd >= 0 ? fcntl(dfd, F_DUPFD_CLOEXEC, 0) : -1;
    DIR *d = ld >= 0 ? fdopendir(ld) : NULL;
    if (!d) {
        if (ld >= 0)
            close(ld);
        if (dfd >= 0)
            close(dfd);
        return false;
    }
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            each(dfd, de->d_name, arg);
    closedir(d);
    close(dfd);
    return true;
}

static void unlink_entry(int dfd, const char *entry, void *arg)
{
    (void)arg;
    unlinkat(dfd, entry, 0);
}

/* Remove the flat directory top/name and the files in it. */
static void remove_dir(int top, const char *name)
{
    if (each_entry(top, name, unlink_entry, NULL))
        unlinkat(top, name, AT_REMOVEDIR);
}

void pl_gzidx_forget_bucket(int rootfd, const char *bucket)
{
    pthread_mutex_lock(&G.lock);
    cancel(bucket, NULL, 0);
    int top = openat(rootfd, INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top >= 0) {
        remove_dir(top, bucket);
        close(top);
    }
    pthread_mutex_unlock(&G.lock);
}

/* At start: 1 when the file bfd/name is still the index or marker of a live object. */
static int still_valid(int rootfd, const char *bucket, int bfd, const char *name)
{
    size_t len = 0;
    char *data = slurp(bfd, name, HEAD_MAX, &len);
    if (!data)
        return 0;
    char kind[8], key[PL_MAX_KEY + 1], want[HEAD_MAX], expect[NAME_LEN];
    unsigned long long ino, size;
    long long sec;
    long nsec;
    size_t kl;
    int hl = 0, ok = 0;
    char line[160];
    const char *nl = memchr(data, '\n', len < sizeof line ? len : sizeof line);
    if (nl) {
        memcpy(line, data, (size_t)(nl - data));
        line[nl - data] = 0;
        hl = (int)(nl - data) + 1;
    }
    if (nl && sscanf(line, "pluck-serve-gzidx 1 %7s %llu %llu %lld.%ld %zu", kind, &ino, &size,
                     &sec, &nsec, &kl) == 6 &&
        kl <= PL_MAX_KEY && (size_t)hl + kl <= len) {
        memcpy(key, data + hl, kl);
        key[kl] = 0;
        struct stat st;
        index_name(key, expect);
        int fd = strlen(key) == kl && !strcmp(expect, name)
                     ? pl_open_object(rootfd, bucket, key, &st)
                     : -1;
        if (fd >= 0) {
            close(fd);
            size_t wl = stamp(want, sizeof want, kind, &st, key);
            ok = wl && wl <= len && !memcmp(want, data, wl);
        }
    }
    free(data);
    return ok;
}

/* At start: a bucket's index files whose object is gone or changed are removed. */
typedef struct sweep {
    int rootfd;
    const char *bucket;
} sweep;

static void unlink_if_stale(int bfd, const char *entry, void *arg)
{
    const sweep *sw = arg;
    if (!still_valid(sw->rootfd, sw->bucket, bfd, entry))
        unlinkat(bfd, entry, 0);
}

/* ... and the directories of buckets that are gone. */
static void sweep_bucket(int top, const char *b, void *arg)
{
    sweep sw = {.rootfd = *(const int *)arg, .bucket = b};
    int bucket = pl_valid_bucket(b) ? pl_open_bucket(sw.rootfd, b) : -1;
    if (bucket < 0) { /* the bucket is gone */
        remove_dir(top, b);
        return;
    }
    close(bucket);
    each_entry(top, b, unlink_if_stale, &sw);
}

void pl_gzidx_start(int rootfd)
{
    pthread_mutex_lock(&G.lock);
    if (G.rootfd < 0)
        G.rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    each_entry(rootfd, INDEX_DIR, sweep_bucket, &rootfd);
    pthread_mutex_unlock(&G.lock);
}

void pl_gzidx_stop(void)
{
    pthread_mutex_lock(&G.lock);
    atomic_store(&G.stopping, 1);
    for (int i = 0; i < BUILDERS; i++)
        if (G.running[i])
            atomic_store(&G.running[i]->stale, 1);
    while (G.head) {
        job *j = G.head;
        G.head = j->next;
        free(j);
    }
    G.tail = NULL;
    G.queued = 0;
    /* a check ends within a chunk; the library's builder cannot be stopped: 2 s at most */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    while ((G.alive[0] || G.alive[1]) && pthread_cond_timedwait(&G.idle, &G.lock, &ts) == 0)
        ;
    pthread_mutex_unlock(&G.lock);
}

/*
 * store.c — safe mapping of buckets and keys to the file system (see store.h).
 */
#include "server/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int pl_valid_bucket(const char *b)
{
    /* S3's rules: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or
     * digit, no "..", not an IP address, none of the reserved prefixes and suffixes.  They also keep every bucket a plain directory name. */
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    if (b[0] == '.' || b[0] == '-' || b[n - 1] == '.' || b[n - 1] == '-' || strstr(b, ".."))
        return 0;
    /* prefixes and suffixes S3 reserves (access points, Object Lambda, directory buckets,
     * multi-Region access points, punycode) */
    static const char *const pre[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const suf[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"};
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++)
        if (!strncmp(b, pre[i], strlen(pre[i])))
            return 0;
    for (size_t i = 0; i < sizeof suf / sizeof *suf; i++) {
        size_t l = strlen(suf[i]);
        if (n > l && !strcmp(b + n - l, suf[i]))
            return 0;
    }
    int dots = 0, digits = 1;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '.')
            dots++;
        else if (b[i] < '0' || b[i] > '9')
            digits = 0;
    }
    return !(dots == 3 && digits);
}

static const char key_too_long[] = "the key is longer than 1024 bytes";
static const char component_too_long[] = "a path component of the key is longer than 255 bytes";

const char *pl_key_problem_code(const char *problem)
{
    return problem == key_too_long || problem == component_too_long ? "KeyTooLongError"
                                                                     : "InvalidArgument";
}

const char *pl_key_problem(const char *key, size_t len)
{
    if (len == 0)
        return "the key is empty";
    if (len > PL_MAX_KEY)
        return key_too_long;
    if (memchr(key, 0, len))
        return "the key contains a NUL byte";
    if (key[0] == '/')
        return "the key is an absolute path";
    if (key[len - 1] == '/')
        return "keys ending in '/' (folder markers) cannot be stored as files";
    const char *s = key, *end = key + len;
    while (s < end) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
        if (n == 0)
            return "the key has an empty path component ('//')";
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return "the key has a '.' or '..' path component";
        if (n > 255)
            return component_too_long;
        if (n >= sizeof PL_TMP_PREFIX - 1 && !memcmp(s, PL_TMP_PREFIX, sizeof PL_TMP_PREFIX - 1))
            return "names starting with '" PL_TMP_PREFIX "' are reserved for uploads";
        s += n + 1;
    }
    return NULL;
}

/* openat(O_DIRECTORY | O_NOFOLLOW) of a symlink fails with ENOTDIR; say ELOOP for it so
 * callers can tell "refused: symlink" from "missing". */
static int open_dir_at(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    struct stat st;
    if ((e == ENOTDIR || e == ELOOP) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return -ELOOP;
    return -e;
}

int pl_open_bucket(int rootfd, const char *bucket)
{
    if (!pl_valid_bucket(bucket))
        return -EINVAL;
    return open_dir_at(rootfd, bucket);
}

int pl_open_parent(int bucketfd, const char *key, int create, const char **leaf)
{
    int dfd = dup(bucketfd);
    if (dfd < 0)
        return -errno;
    const char *s = key;
    for (;;) {
        const char *sl = strchr(s, '/');
        if (!sl)
            break;
        char comp[256];
        size_t n = (size_t)(sl - s);
        if (n == 0 || n >= sizeof comp) {
            close(dfd);
            return -EINVAL;
        }
        memcpy(comp, s, n);
        comp[n] = 0;
        int nfd = open_dir_at(dfd, comp);
        if (nfd == -ENOENT && create) {
            if (mkdirat(dfd, comp, 0755) < 0 && errno != EEXIST) {
                int e = errno;
                close(dfd);
                return -e;
            }
            /* create == 2: the new directory's entry is made durable (--fsync=always) */
            if (create == 2 && fsync(dfd) < 0) {
                int e = errno;
                close(dfd);
                return -e;
            }
            nfd = open_dir_at(dfd, comp);
        }
        if (nfd < 0) {
            close(dfd);
            return nfd;
        }
        close(dfd);
        dfd = nfd;
        s = sl + 1;
    }
    *leaf = s;
    return dfd;
}

int pl_open_object(int rootfd, const char *bucket, const char *key, struct stat *st)
{
    int bfd = pl_open_bucket(rootfd, bucket);
    if (bfd < 0)
        return bfd;
    const char *leaf;
    int dfd = pl_open_parent(bfd, key, 0, &leaf);
    close(bfd);
    if (dfd < 0)
        return dfd;
    /* O_NONBLOCK: a FIFO planted in the tree must not hang the request */
    int fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    int e = errno;
    close(dfd);
    if (fd < 0)
        return -e;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -ENOENT;
    }
    fcntl(fd, F_SETFL, 0);
    return fd;
}

void pl_prune_dirs(int bucketfd, const char *key)
{
    /* Open the chain of parent directories one component at a time without following
     * symlinks (as pl_open_parent does), then remove them deepest first while empty.  Never
     * a path with several components: unlinkat would follow symlinks inside it. */
    if (pl_key_problem(key, strlen(key)))
        return;
    enum { MAXD = 128 };
    int fds[MAXD + 1];
    char names[MAXD][256];
    int n = 0;
    fds[0] = bucketfd;
    const char *s = key;
    for (;;) {
        const char *sl = strchr(s, '/');
        if (!sl || n >= MAXD)
            break;
        size_t len = (size_t)(sl - s);
        memcpy(names[n], s, len);
        names[n][len] = 0;
        int fd = open_dir_at(fds[n], names[n]);
        if (fd < 0)
            break;
        fds[++n] = fd;
        s = sl + 1;
    }
    int removing = 1;
    for (int i = n; i >= 1; i--) {
        close(fds[i]);
        if (removing && unlinkat(fds[i - 1], names[i - 1], AT_REMOVEDIR) < 0)
            removing = 0;
    }
}

typedef struct ent {
    char *name;   /* sort key: name, plus '/' for directories */
    int is_dir;
    struct stat st;
} ent;

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const ent *)a)->name, ((const ent *)b)->name);
}

static int is_tmp(const char *name)
{
    return !strncmp(name, PL_TMP_PREFIX, sizeof PL_TMP_PREFIX - 1);
}

/* Read and sort one directory's entries; returns count or -errno. */
static int read_dir(int dfd, ent **out)
{
    int fd = dup(dfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    rewinddir(d);
    ent *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || is_tmp(nm))
            continue;
        struct stat st;
        if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue; /* symlinks, FIFOs, sockets, devices are not objects */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            ent *nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                goto oom;
            v = nv;
        }
        size_t l = strlen(nm);
        char *s = malloc(l + 2);
        if (!s)
            goto oom;
        memcpy(s, nm, l);
        if (S_ISDIR(st.st_mode))
            s[l++] = '/';
        s[l] = 0;
        v[n].name = s;
        v[n].is_dir = S_ISDIR(st.st_mode);
        v[n].st = st;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_ent);
    *out = v;
    return (int)n;
oom:
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    closedir(d);
    return -ENOMEM;
}

static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* A listing keeps the descriptors of this many directory levels open while it is below
 * them; deeper, a level's descriptor is closed while a subdirectory is walked and opened
 * again from the bucket afterwards, so a listing holds at most WALK_HELD + 3 descriptors
 * however deep its keys go (a 1024-byte key can be 512 levels deep). */
#define WALK_HELD 16

/* Open the directory of key prefix path[0, len) ("a/b/") below the bucket, one component
 * at a time, never following symbolic links; -errno on failure. */
static int reopen_dir(int bfd, const char *path, size_t len)
{
    int cur = bfd;
    size_t i = 0;
    while (i < len) {
        const char *sl = memchr(path + i, '/', len - i);
        size_t n = sl ? (size_t)(sl - path - i) : len - i;
        char nm[256];
        if (n == 0 || n >= sizeof nm) {
            if (cur != bfd)
                close(cur);
            return -ENOENT;
        }
        memcpy(nm, path + i, n);
        nm[n] = 0;
        int fd = openat(cur, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        if (cur != bfd)
            close(cur);
        if (fd < 0)
            return -e;
        cur = fd;
        i += n + 1;
    }
    return cur == bfd ? dup(bfd) : cur;
}

static int is_resource_errno(int e) { return e == EMFILE || e == ENFILE || e == ENOMEM; }

/* buf[0, blen): the key prefix of this directory ("" or "a/b/"), with room to grow in buf.
 * Takes dfd (closed at the end unless it is bfd, the bucket's). */
static int walk_dir(int bfd, int dfd, int depth, char *buf, size_t blen, const char *prefix,
                    const char *after, pl_walk_fn fn, void *ctx)
{
    ent *v = NULL;
    int n = read_dir(dfd, &v);
    if (n < 0) {
        if (dfd != bfd)
            close(dfd);
        return n;
    }
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        size_t l = strlen(v[i].name);
        if (blen + l > PL_MAX_KEY)
            continue; /* unreachable as a key */
        memcpy(buf + blen, v[i].name, l + 1);
        if (v[i].is_dir) {
            /* descend only where the prefix and the continuation point allow any key */
            if (prefix && !starts(buf, prefix) && !starts(prefix, buf))
                continue;
            if (after && strcmp(buf, after) < 0 && !starts(after, buf))
                continue;
            char nm[256];
            memcpy(nm, v[i].name, l - 1);
            nm[l - 1] = 0;
            int sfd = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd < 0 && is_resource_errno(errno)) {
                rc = -errno; /* never a listing silently missing a subtree */
                break;
            }
            if (sfd < 0)
                continue;
            int drop = depth >= WALK_HELD && dfd != bfd;
            if (drop)
                close(dfd);
            rc = walk_dir(bfd, sfd, depth + 1, buf, blen + l, prefix, after, fn, ctx);
            if (drop) {
                buf[blen] = 0;
                dfd = rc ? -1 : reopen_dir(bfd, buf, blen);
                if (dfd < 0 && !rc && is_resource_errno(-dfd))
                    rc = dfd;
                if (dfd < 0)
                    break; /* (a directory removed meanwhile: its keys are gone) */
            }
        } else {
            if (prefix && !starts(buf, prefix))
                continue;
            if (after && strcmp(buf, after) <= 0)
                continue;
            rc = fn(ctx, buf, dfd, v[i].name, &v[i].st);
        }
    }
    buf[blen] = 0;
    for (int i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    if (dfd >= 0 && dfd != bfd)
        close(dfd);
    return rc;
}

int pl_walk_bucket(int bucketfd, const char *prefix, const char *after, pl_walk_fn fn, void *ctx)
{
    char buf[PL_MAX_KEY + 260];
    buf[0] = 0;
    if (prefix && !*prefix)
        prefix = NULL;
    if (after && !*after)
        after = NULL;
    int rc = walk_dir(bucketfd, bucketfd, 0, buf, 0, prefix, after, fn, ctx);
    return rc < 0 ? rc : 0;
}

static int found_one(void *ctx, const char *key, int dfd, const char *leaf, const struct stat *st)
{
    (void)key, (void)dfd, (void)leaf, (void)st;
    *(int *)ctx = 1;
    return 1;
}

int pl_bucket_empty(int bucketfd)
{
    int found = 0;
    int rc = pl_walk_bucket(bucketfd, NULL, NULL, found_one, &found);
    if (rc < 0)
        return rc;
    return !found;
}

static int remove_tree(int dfd)
{
    int fd = dup(dfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        struct stat st;
        if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sfd = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd >= 0) {
                remove_tree(sfd);
                close(sfd);
            }
            if (unlinkat(dfd, nm, AT_REMOVEDIR) < 0)
                rc = -errno;
        } else if (is_tmp(nm)) {
            unlinkat(dfd, nm, 0);
        } else {
            rc = -ENOTEMPTY;
        }
    }
    closedir(d);
    return rc;
}

int pl_remove_bucket(int rootfd, const char *bucket)
{
    int bfd = pl_open_bucket(rootfd, bucket);
    if (bfd < 0)
        return bfd;
    int rc = remove_tree(bfd);
    close(bfd);
    if (rc < 0)
        return rc;
    return unlinkat(rootfd, bucket, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Remove the temporary files a crash left (PL_TMP_PREFIX) under dfd, recursively, never
 * following symbolic links; returns how many were removed. */
static size_t clean_tmp(int dfd, int depth)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        struct stat st;
        if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode) && is_tmp(nm)) {
            n += unlinkat(dfd, nm, 0) == 0;
        } else if (S_ISDIR(st.st_mode) && depth < 600) {
            int sfd = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd >= 0) {
                n += clean_tmp(sfd, depth + 1);
                close(sfd);
            }
        }
    }
    closedir(d);
    return n;
}

size_t pl_clean_tmp(int rootfd)
{
    return clean_tmp(rootfd, 0);
}

void pl_random_hex(char *out, size_t n)
{
    static const char d[] = "0123456789abcdef";
    unsigned char r[64];
    if (n > 2 * sizeof r)
        n = 2 * sizeof r;
    if (getrandom(r, (n + 1) / 2, 0) < 0)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(rand() ^ (int)getpid());
    for (size_t i = 0; i < n; i++)
        out[i] = d[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[n] = 0;
}

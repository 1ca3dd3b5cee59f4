/*
 * index.c — gzip checkpoint indexes in the CLI (see index.h; the format is pluck-index(5)).
 *
 * `pluck index [--spacing SIZE] [-v] FILE...` writes FILE.pluckidx beside each gzip FILE
 * (pluck_index_build, pluck_index_write).  The file is written under a new temporary name
 * in the same directory (random, created exclusively: see create_temp) and renamed, so a
 * reader never sees half an index and a planted symlink is never followed.  Exit status as
 * pluck's: 0, 1 when a FILE could not be indexed, 2 usage error.
 */
#include "cli/index.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INDEX_SUFFIX ".pluckidx"
#define INDEX_MAX (1ull << 30) /* a larger file beside a FILE is not an index of it */

static void index_help(void)
{
    printf("Usage: pluck index [--spacing SIZE] [-v] FILE ...\n"
           "Write FILE.pluckidx beside each gzip FILE: a checkpoint index (pluck-index(5))\n"
           "that lets pluck split a single-member gzip file across threads (--threads) as\n"
           "it splits BGZF and multi-frame zstd files.  pluck reads FILE.pluckidx when it\n"
           "queries FILE with two or more threads, and ignores it with a warning when it\n"
           "no longer matches FILE.  Building reads and decodes the whole file once.\n"
           "\n"
           "  --spacing SIZE   compressed bytes between checkpoints (K, M, G suffixes;\n"
           "                   default 4M): each checkpoint costs about 10-20 KB of index\n"
           "  -v, --verbose    print what each index holds and how long it took\n"
           "  -h, --help       show this help and exit\n"
           "\n"
           "'pluck --write-index SQL FILE' builds the index while it runs the query.\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static int fd_write(void *opaque, const char *data, size_t len)
{
    int fd = *(int *)opaque;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Create a new temporary file beside dst for writing: dst + ".tmp." + 16 random hex digits,
 * opened with O_CREAT | O_EXCL | O_NOFOLLOW so that nothing already at that name (a symlink
 * planted in a shared directory, a file) is ever opened, let alone truncated or followed;
 * another name is tried when one exists.  Mode 0666 less the umask, as the index itself
 * would get.  Returns the descriptor (the name in tmp) or -1 with errno set. */
static int create_temp(const char *dst, char *tmp, size_t cap)
{
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[8];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        uint64_t v = 0;
        for (size_t i = 0; i < sizeof r; i++)
            v = v << 8 | r[i];
        if ((size_t)snprintf(tmp, cap, "%s.tmp.%016llx", dst, (unsigned long long)v) >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Write ix as path.pluckidx: into a new temporary file in the same directory, renamed over
 * it once complete and on disk, so a reader never sees half an index; the temporary file is
 * removed on every failure. */
static int write_index(const pluck_index *ix, const char *prog, const char *path)
{
    size_t len = strlen(path);
    size_t cap = len + sizeof INDEX_SUFFIX + 32;
    char *dst = malloc(cap), *tmp = malloc(cap);
    if (!dst || !tmp) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(dst);
        free(tmp);
        return 1;
    }
    snprintf(dst, cap, "%s%s", path, INDEX_SUFFIX);
    int ex = 0;
    int fd = create_temp(dst, tmp, cap);
    pluck_error err;
    if (fd < 0) {
        fprintf(stderr, "%s: cannot write '%s': %s\n", prog, dst, strerror(errno));
        ex = 1;
    } else if (pluck_index_write(ix, fd_write, &fd, &err) != PLUCK_OK || fsync(fd) ||
               close(fd) || (fd = -1, rename(tmp, dst))) {
        int e = errno;
        fprintf(stderr, "%s: cannot write '%s': %s\n", prog, dst, strerror(e));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        ex = 1;
    }
    free(dst);
    free(tmp);
    return ex;
}

static int index_file(const char *path, uint64_t spacing, bool verbose)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "pluck index: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    double t0 = now();
    pluck_index *ix;
    pluck_error err;
    if (pluck_index_build(fd, spacing, &ix, &err) != PLUCK_OK) {
        fprintf(stderr, "pluck index: %s: %s: %s\n", path, pluck_code_name(err.code),
                err.message);
        close(fd);
        return 1;
    }
    close(fd);
    int ex = write_index(ix, "pluck index", path);
    if (!ex && verbose) {
        pluck_index_info in;
        pluck_index_get_info(ix, &in);
        struct stat sb;
        char dst[4096];
        snprintf(dst, sizeof dst, "%s%s", path, INDEX_SUFFIX);
        long long isz = stat(dst, &sb) == 0 ? (long long)sb.st_size : -1;
        printf("%s: %llu checkpoints (%llu members), %llu compressed bytes, %llu "
               "decompressed; index %lld bytes; %.2f s\n",
               dst, (unsigned long long)in.checkpoints, (unsigned long long)in.members,
               (unsigned long long)in.file_size, (unsigned long long)in.uncompressed_size, isz,
               now() - t0);
    }
    pluck_index_free(ix);
    return ex;
}

int pl_cli_index(int argc, char **argv)
{
    static const struct option opts[] = {{"spacing", required_argument, NULL, 's'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    uint64_t spacing = 0;
    bool verbose = false;
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (!parse_size(optarg, &spacing)) {
                fprintf(stderr, "pluck index: --spacing: '%s' is not a size (e.g. 4M)\n",
                        optarg);
                return 2;
            }
            break;
        case 'v': verbose = true; break;
        case 'h': index_help(); return 0;
        case ':':
            fprintf(stderr, "pluck index: option '%s' requires an argument\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "pluck index: unrecognized option '%s'\n"
                            "Try 'pluck index --help' for more information.\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "pluck index: missing FILE\n"
                        "Try 'pluck index --help' for more information.\n");
        return 2;
    }
    int ex = 0;
    for (int i = optind; i < argc; i++) {
        int x = index_file(argv[i], spacing, verbose);
        if (x > ex)
            ex = x;
    }
    if (fflush(stdout)) {
        fprintf(stderr, "pluck index: error writing output: %s\n", strerror(errno));
        return 1;
    }
    return ex;
}

/* Load path + suffix with `load` against fd: the index, or NULL (absent: quietly; unusable:
 * with a warning). */
static pluck_index *load_beside(const char *prog, const char *path, int fd, const char *suffix,
                                pluck_code (*load)(const void *, size_t, int, pluck_index **,
                                                   pluck_error *),
                                bool *present)
{
    char ipath[4096];
    *present = false;
    if ((size_t)snprintf(ipath, sizeof ipath, "%s%s", path, suffix) >= sizeof ipath)
        return NULL;
    int ifd = open(ipath, O_RDONLY);
    if (ifd < 0)
        return NULL; /* no index: nothing to say */
    *present = true;
    struct stat sb;
    pluck_index *ix = NULL;
    char *data = NULL;
    if (fstat(ifd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > INDEX_MAX ||
        !(data = malloc(sb.st_size ? (size_t)sb.st_size : 1))) {
        fprintf(stderr, "%s: warning: %s: not a usable index; ignoring it\n", prog, ipath);
        goto out;
    }
    size_t len = (size_t)sb.st_size, got = 0;
    while (got < len) {
        ssize_t n = read(ifd, data + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    pluck_error err;
    if (got != len) {
        fprintf(stderr, "%s: warning: %s: cannot be read; ignoring it\n", prog, ipath);
    } else if (load(data, len, fd, &ix, &err) != PLUCK_OK) {
        fprintf(stderr, "%s: warning: %s: %s Ignoring it%s.\n", prog, ipath, err.message,
                strcmp(suffix, INDEX_SUFFIX) ? "" : " (rebuild it with 'pluck index FILE')");
        ix = NULL;
    }
out:
    free(data);
    close(ifd);
    return ix;
}

pluck_index *pl_cli_index_load(const char *prog, const char *path, int fd)
{
    bool present;
    pluck_index *ix = load_beside(prog, path, fd, INDEX_SUFFIX, pluck_index_load, &present);
    if (!ix && !present) /* bgzip -i's index of a BGZF file */
        ix = load_beside(prog, path, fd, ".gzi", pluck_index_load_gzi, &present);
    return ix;
}

bool pl_cli_index_side_start(pl_index_side *side, pluck_run *r, int fd)
{
    memset(side, 0, sizeof *side);
    unsigned char m[2];
    if (pread(fd, m, 2, 0) != 2 || m[0] != 0x1f || m[1] != 0x8b)
        return false;
    pluck_run_build_index(r, 0);
    side->r = r;
    side->fd = fd;
    return side->started = true;
}

int pl_cli_index_side_end(pl_index_side *side, const char *prog, const char *path)
{
    if (!side->started)
        return 0;
    side->started = false;
    pluck_index *ix = NULL;
    pluck_error err;
    pluck_code rc = pluck_run_take_index(side->r, side->fd, &ix, &err);
    if (rc == PLUCK_E_INVALID_REQUEST_PARAMETER) /* the query stopped early: decode the rest */
        rc = pluck_index_build(side->fd, 0, &ix, &err);
    if (rc != PLUCK_OK) {
        fprintf(stderr, "%s: --write-index: %s: %s: %s\n", prog, path, pluck_code_name(err.code),
                err.message);
        return 1;
    }
    int ex = write_index(ix, prog, path);
    pluck_index_free(ix);
    return ex;
}

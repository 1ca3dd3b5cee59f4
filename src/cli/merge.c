/*
 * merge.c — `pluck merge [PARTIAL ...]`: reads partials written by `pluck --partial` (files,
 * or standard input for none or "-"), in the order given, and writes the result the query
 * would have given over all their inputs in that order (pluck_merge in include/pluck.h; the
 * format is pluck-partial(5)).  Exit status as pluck's: 0, 1 data error, 2 usage error.
 */
#include "cli/merge.h"

#include "pluck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int out_write(void *opaque, const char *data, size_t len)
{
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static void merge_help(void)
{
    printf("Usage: pluck merge [PARTIAL ...]\n"
           "Combine partial aggregates written by 'pluck --partial' into the query's result,\n"
           "byte for byte what one run over all the inputs (in the order given) writes.\n"
           "Reads standard input when no PARTIAL or '-' is given; a file may hold several\n"
           "partials one after another.  The format is described in pluck-partial(5).\n"
           "\n"
           "Example:\n"
           "  pluck --partial -H \"SELECT COUNT(*), SUM(s.x) FROM S3Object s\" a.csv.gz > a.part\n"
           "  pluck --partial -H \"SELECT COUNT(*), SUM(s.x) FROM S3Object s\" b.csv.gz > b.part\n"
           "  pluck merge a.part b.part\n");
}

/* Feed one file; returns 0, or the exit status of a failure already reported. */
static int feed_file(pluck_merge *m, const char *path)
{
    int fd = 0;
    if (strcmp(path, "-")) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "pluck: merge: cannot open '%s': %s\n", path, strerror(errno));
            return 1;
        }
    }
    static char buf[1 << 16];
    int ex = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "pluck: merge: cannot read '%s': %s\n", path, strerror(errno));
            ex = 1;
            break;
        }
        if (n == 0 || pluck_is_error(pluck_merge_feed(m, buf, (size_t)n)))
            break;
    }
    if (fd)
        close(fd);
    return ex;
}

int pl_cli_merge(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        merge_help();
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--"))
        first = 2;
    else if (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
        fprintf(stderr, "pluck: merge: unknown option '%s'\nTry 'pluck merge --help'.\n", argv[1]);
        return 2;
    }
    pluck_merge *m = pluck_merge_create(out_write, NULL);
    if (!m) {
        fprintf(stderr, "pluck: merge: out of memory\n");
        return 1;
    }
    int ex = 0;
    const char *name = "standard input";
    if (first >= argc) {
        ex = feed_file(m, "-");
    } else {
        for (int i = first; i < argc && !ex; i++) {
            name = argv[i];
            ex = feed_file(m, argv[i]);
            if (pluck_is_error(pluck_merge_error(m)->code))
                break;
        }
    }
    if (!ex && !pluck_is_error(pluck_merge_error(m)->code))
        pluck_merge_finish(m);
    const pluck_error *e = pluck_merge_error(m);
    if (!ex && pluck_is_error(e->code)) {
        fprintf(stderr, "pluck: merge: %s: %s (%s)\n", pluck_code_name(e->code), e->message, name);
        pluck_code_class c = pluck_code_get_class(e->code);
        ex = c == PLUCK_CLASS_REQUEST ? 2 : c == PLUCK_CLASS_QUERY ? 3 : 1;
    }
    pluck_merge_free(m);
    if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE && !ex) {
        fprintf(stderr, "pluck: merge: error writing output: %s\n", strerror(errno));
        ex = 1;
    }
    return ex;
}

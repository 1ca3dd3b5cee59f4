/*
 * main.c — the `pluck` command: a thin client of include/pluck.h.
 *
 *   pluck [OPTIONS] SQL [FILE ...]
 *
 * Every serialization option comes from the library's parameter table, so the CLI, the C API
 * and the server accept the same names and values.  Each FILE is queried on its own, as S3
 * queries one object, and the results are written one after another; no FILE or "-" reads
 * standard input.
 *
 * Exit status: 0 success; 1 input or data error (unreadable file, corrupt compression,
 * malformed CSV, a value that fails to convert); 2 usage error (bad option or option value);
 * 3 query error (the SQL does not parse or bind).
 */
#include "pluck.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/escape.h"
#include "cli/progress.h"
#include "cli/s3src.h"

enum { EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_QUERY = 3 };

/* Options of the CLI itself; serialization options get ids PARAM_BASE + pluck_param. */
enum {
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_HEADER = 'H',
    OPT_DELIM = 'd',
    OPT_EXT = 'X',
    OPT_JSON = 1000,
    OPT_STATS,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_EXPLAIN,
    OPT_LINE_BUFFERED,
    OPT_ENDPOINT,
    PARAM_BASE = 2000
};

typedef struct cli {
    const char *prog;
    pluck_params *params;
    int stats, progress; /* progress: -1 auto, 0 off, 1 on */
    int live;            /* records go out as soon as a read completes them */
    int exit_code;
    int broken_pipe;
    const char *endpoint; /* --endpoint-url, for s3:// sources */
} cli;

static void usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    exit(EXIT_USAGE);
}

static void print_help(void)
{
    printf("Usage: pluck [OPTIONS] SQL [FILE ...]\n"
           "Run an S3 Select SQL query over CSV files, plain or compressed (gzip, zstd, bzip2,\n"
           "xz; detected from the data).  Reads standard input when no FILE or '-' is given.\n"
           "A FILE s3://BUCKET/KEY is streamed from S3 (see --endpoint-url), and\n"
           "s3://BUCKET/PREFIX/ stands for every object under the prefix.\n"
           "\n"
           "Examples:\n"
           "  pluck -H \"SELECT s.name FROM S3Object s WHERE s.iso_country = 'US' LIMIT 10\" "
           "airports.csv.gz\n"
           "  zcat log.gz | pluck \"SELECT COUNT(*) FROM S3Object WHERE _4 = 'FAIL'\"\n"
           "  pluck -d '\\t' --json 'SELECT _1, _3 FROM S3Object' data.tsv.zst\n"
           "\n"
           "Input and output serialization (S3 InputSerialization / OutputSerialization):\n");
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        char arg[48];
        if (pi->kind == PLUCK_KIND_ENUM)
            snprintf(arg, sizeof arg, "%s", pi->values);
        else if (pi->kind == PLUCK_KIND_BOOL)
            snprintf(arg, sizeof arg, "TRUE|FALSE");
        else if (pi->kind == PLUCK_KIND_SIZE)
            snprintf(arg, sizeof arg, pi->id == PLUCK_PARAM_MAX_GROUPS ? "N" : "BYTES");
        else if (pi->kind == PLUCK_KIND_INT)
            snprintf(arg, sizeof arg, "N");
        else if (pi->kind == PLUCK_KIND_PATH)
            snprintf(arg, sizeof arg, "DIR");
        else
            snprintf(arg, sizeof arg, "CHAR%s", pi->kind == PLUCK_KIND_CHARS ? "S" : "");
        char opt[96];
        snprintf(opt, sizeof opt, "--%s %s", pi->cli_name, arg);
        printf("  %-46s %s\n", opt, pi->help);
    }
    printf("\nShort forms:\n"
           "  -H                                    --file-header-info USE\n"
           "  -d CHAR                               --field-delimiter CHAR\n"
           "  --json                                --output-format JSON\n"
           "  -X                                    --extensions TRUE: GROUP BY, HAVING,\n"
           "                                        ORDER BY [NULLS FIRST|LAST] of any size,\n"
           "                                        DISTINCT, COUNT/SUM/AVG(DISTINCT x)\n"
           "                                        (pluck extensions, not in S3)\n"
           "Character values accept C escapes: \\t \\n \\r \\\\ \\xNN (e.g. --record-delimiter "
           "'\\r\\n').\n"
           "An empty --comments or --quote-character turns that feature off.\n"
           "\n"
           "Other options:\n"
           "  --stats          print BytesScanned, BytesProcessed, BytesReturned, records,\n"
           "                   elapsed time, codec and scan kernel to standard error\n"
           "  --progress       show a progress bar on standard error even for small inputs\n"
           "  --no-progress    never show the progress bar (default: shown when standard\n"
           "                   error is a terminal and the input is larger than 64 MiB)\n"
           "  --explain        print the query plan (columns read, predicates in the scan,\n"
           "                   literal prefilter, how GROUP BY / DISTINCT / ORDER BY run and\n"
           "                   their memory) and exit without reading input\n"
           "  --line-buffered  write each record as soon as the input completing it is read\n"
           "                   (the default when standard output is a terminal)\n"
           "  --endpoint-url URL  S3 endpoint for s3://BUCKET/KEY sources (default:\n"
           "                   AWS_ENDPOINT_URL, else AWS); keys from AWS_ACCESS_KEY_ID,\n"
           "                   AWS_SECRET_ACCESS_KEY, region from AWS_REGION\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show version, codecs and scan kernel, and exit\n"
           "\n"
           "pluck serve --root DIR [--listen ADDR:PORT] ...  serves DIR as an S3-compatible\n"
           "endpoint for SelectObjectContent; see 'pluck serve --help' and pluck-serve(1).\n"
           "\n"
           "Exit status: 0 success, 1 input or data error, 2 usage error, 3 query error.\n"
           "Errors are reported with S3 Select's error code names.  See pluck(1).\n");
}

static void print_version(void)
{
    printf("pluck %s (libpluck %s)\n", PLUCK_VERSION_STRING, pluck_version_string());
    printf("codecs: %s\n", pluck_features());
    printf("scan kernels: %s (PLUCK_FORCE_IMPL chooses one)\n", pluck_scan_kernels());
}

/* Decode a character option's C escapes (escape.c); a bad escape is a usage error. */
static size_t unescape(const char *s, char *out, const char *prog)
{
    const char *bad;
    size_t n = pl_cli_unescape(s, out, &bad);
    if (n == (size_t)-1) {
        if (bad[1] == 'x')
            usage_error(prog, "invalid escape '\\x' without hex digits");
        usage_error(prog, "unknown escape sequence in option value '%s'", bad);
    }
    return n;
}

static void set_param(cli *c, pluck_param id, const char *value)
{
    const pluck_param_info *pi = pluck_param_get_info(id);
    size_t len = strlen(value);
    char *buf = malloc(len + 1);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        exit(EXIT_DATA);
    }
    if (pi->kind == PLUCK_KIND_CHAR || pi->kind == PLUCK_KIND_CHARS)
        len = unescape(value, buf, c->prog);
    else
        memcpy(buf, value, len);
    pluck_error err;
    if (pluck_params_set(c->params, id, buf, len, &err) != PLUCK_OK) {
        fprintf(stderr, "%s: --%s: %s: %s\nTry '%s --help' for more information.\n", c->prog,
                pi->cli_name, pluck_code_name(err.code), err.message, c->prog);
        free(buf);
        exit(EXIT_USAGE);
    }
    free(buf);
}

static int exit_for(pluck_code code)
{
    switch (pluck_code_get_class(code)) {
    case PLUCK_CLASS_QUERY: return EXIT_QUERY;
    case PLUCK_CLASS_REQUEST: return EXIT_USAGE;
    case PLUCK_CLASS_NONE: return 0;
    default: return EXIT_DATA;
    }
}

/* Show the offending SQL line with a caret under the error column. */
static void show_sql_position(const char *sql, const pluck_error *e)
{
    if (!e->sql_line)
        return;
    const char *line = sql;
    for (uint32_t l = 1; l < e->sql_line && line; l++) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!line)
        return;
    size_t len = strcspn(line, "\n");
    if (len > 200)
        return;
    fprintf(stderr, "  %.*s\n  ", (int)len, line);
    for (uint32_t i = 1; i < e->sql_column; i++)
        fputc(' ', stderr);
    fputs("^\n", stderr);
}

static int stdout_write(void *opaque, const char *data, size_t len)
{
    cli *c = opaque;
    if (fwrite(data, 1, len, stdout) != len || (c->live && fflush(stdout) != 0)) {
        if (errno == EPIPE)
            c->broken_pipe = 1;
        return -1;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stats(const pluck_stats *st, double secs)
{
    fprintf(stderr,
            "BytesScanned: %llu\nBytesProcessed: %llu\nBytesReturned: %llu\n"
            "RecordsScanned: %llu\nRecordsReturned: %llu\nElapsed: %.3f s\n"
            "Codec: %s\nScanKernel: %s\n",
            (unsigned long long)st->bytes_scanned, (unsigned long long)st->bytes_processed,
            (unsigned long long)st->bytes_returned, (unsigned long long)st->records_scanned,
            (unsigned long long)st->records_returned, secs, st->codec, st->scan_kernel);
}

/* Run the query over one file ("-" for standard input); returns the exit code. */
static int run_file(cli *c, const pluck_query *q, const char *sql, const char *path)
{
    int fd = 0;
    const char *name = path;
    pl_s3src *s3 = NULL;
    if (pl_s3src_is_url(path)) {
        s3 = pl_s3src_open(path, c->endpoint, c->prog); /* fd stays 0, unused */
        if (!s3)
            return EXIT_DATA;
    } else if (!strcmp(path, "-")) {
        name = "standard input";
    } else {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "%s: cannot open '%s': %s\n", c->prog, path, strerror(errno));
            return EXIT_DATA;
        }
    }
    struct stat sb;
    uint64_t size = s3 ? pl_s3src_size(s3) : 0;
    if (!s3 && fstat(fd, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "%s: '%s' is a directory\n", c->prog, path);
            if (fd)
                close(fd);
            return EXIT_DATA;
        }
        if (S_ISREG(sb.st_mode))
            size = (uint64_t)sb.st_size;
    }
    pluck_run *r = pluck_run_create(q, stdout_write, c);
    if (!r) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        if (fd)
            close(fd);
        pl_s3src_close(s3);
        return EXIT_DATA;
    }
    pluck_run_set_source_size(r, size);
    pluck_run_set_live(r, c->live);
    pl_progress prog;
    /* never on a standard error that is not a terminal (pluck(1)), even with --progress */
    bool show = isatty(STDERR_FILENO) &&
                (c->progress == 1 || (c->progress == -1 && size > (64u << 20)));
    if (show) {
        pl_progress_init(&prog, name);
        pluck_run_set_progress(r, pl_progress_update, &prog);
    }
    double t0 = now();
    pluck_code rc = s3 ? pluck_run_read(r, pl_s3src_read, s3) : pluck_run_fd(r, fd);
    double secs = now() - t0;
    if (show)
        pl_progress_clear(&prog);
    if (fd)
        close(fd);
    if (fflush(stdout) != 0 && errno == EPIPE)
        c->broken_pipe = 1;
    pluck_stats st;
    pluck_run_stats(r, &st);
    int ex = 0;
    if (pluck_is_error(rc)) {
        const pluck_error *e = pluck_run_error(r);
        if (c->broken_pipe) {
            ex = 0; /* the reader went away (e.g. `| head`): a quiet, successful stop */
        } else if (e->sql_line && e->record) { /* an expression failed on a value */
            fprintf(stderr, "%s: %s: %s (%s, record %llu, byte %llu)\n", c->prog,
                    pluck_code_name(e->code), e->message, name, (unsigned long long)e->record,
                    (unsigned long long)e->byte_offset);
            show_sql_position(sql, e);
            ex = exit_for(e->code);
        } else if (e->sql_line) {
            fprintf(stderr, "%s: %s: %s\n", c->prog, pluck_code_name(e->code), e->message);
            show_sql_position(sql, e);
            ex = exit_for(e->code);
        } else if (s3 && *pl_s3src_error(s3)) { /* the store's own words */
            fprintf(stderr, "%s: %s: %s\n", c->prog, name, pl_s3src_error(s3));
            ex = EXIT_DATA;
        } else if (e->record) {
            fprintf(stderr, "%s: %s: %s (%s, record %llu, byte %llu)\n", c->prog,
                    pluck_code_name(e->code), e->message, name, (unsigned long long)e->record,
                    (unsigned long long)e->byte_offset);
            ex = exit_for(e->code);
        } else {
            fprintf(stderr, "%s: %s: %s (%s)\n", c->prog, pluck_code_name(e->code), e->message,
                    name);
            ex = exit_for(e->code);
        }
    }
    if (c->stats)
        print_stats(&st, secs);
    pluck_run_free(r);
    pl_s3src_close(s3);
    return ex;
}

/* `pluck serve ARGS` is the pluck-serve executable installed beside this one (or else the
 * one on PATH), run in this process with argv[0] "pluck serve" (what ps shows). */
static int run_serve(char **argv)
{
    static char name[] = "pluck serve";
    argv[0] = name;
    char self[4096], path[4096 + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/pluck-serve", self);
            execv(path, argv);
        }
    }
    execvp("pluck-serve", argv);
    fprintf(stderr, "pluck: serve: cannot run pluck-serve: %s\n", strerror(errno));
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return run_serve(argv + 1);
    cli c = {.prog = "pluck", .progress = -1};
    /* Restore the default so `pluck ... | head` ends quietly at the next write even if the
     * shell started us with SIGPIPE ignored. */
    signal(SIGPIPE, SIG_DFL);
    c.params = pluck_params_create();
    if (!c.params) {
        fprintf(stderr, "pluck: out of memory\n");
        return EXIT_DATA;
    }
    /* The CLI uses the cores by default (capped at 16): decompression on one core and
     * scanning on another, or the blocks or splits of a file on all of them. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 1) {
        char nth[8];
        int len = snprintf(nth, sizeof nth, "%ld", cores < 16 ? cores : 16);
        pluck_params_set(c.params, PLUCK_PARAM_THREADS, nth, (size_t)len, NULL);
    }

    struct option opts[PLUCK_PARAM_COUNT + 16];
    int n = 0;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        opts[n++] = (struct option){pi->cli_name, required_argument, NULL, PARAM_BASE + i};
    }
    opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    opts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    opts[n++] = (struct option){"stats", no_argument, NULL, OPT_STATS};
    opts[n++] = (struct option){"progress", no_argument, NULL, OPT_PROGRESS};
    opts[n++] = (struct option){"no-progress", no_argument, NULL, OPT_NO_PROGRESS};
    opts[n++] = (struct option){"explain", no_argument, NULL, OPT_EXPLAIN};
    opts[n++] = (struct option){"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED};
    opts[n++] = (struct option){"endpoint-url", required_argument, NULL, OPT_ENDPOINT};
    opts[n++] = (struct option){NULL, 0, NULL, 0};

    int ch, explain = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:hVHXd:", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_HELP:
            print_help();
            pluck_params_free(c.params);
            return 0;
        case OPT_VERSION:
            print_version();
            pluck_params_free(c.params);
            return 0;
        case OPT_HEADER: set_param(&c, PLUCK_PARAM_FILE_HEADER_INFO, "USE"); break;
        case OPT_DELIM: set_param(&c, PLUCK_PARAM_FIELD_DELIMITER, optarg); break;
        case OPT_EXT: set_param(&c, PLUCK_PARAM_EXTENSIONS, "TRUE"); break;
        case OPT_JSON: set_param(&c, PLUCK_PARAM_OUTPUT_FORMAT, "JSON"); break;
        case OPT_STATS: c.stats = 1; break;
        case OPT_PROGRESS: c.progress = 1; break;
        case OPT_NO_PROGRESS: c.progress = 0; break;
        case OPT_EXPLAIN: explain = 1; break;
        case OPT_LINE_BUFFERED: c.live = 1; break;
        case OPT_ENDPOINT: c.endpoint = optarg; break;
        case ':':
            usage_error(c.prog, "option '%s' requires an argument", argv[optind - 1]);
            break;
        case '?':
            if (optopt)
                usage_error(c.prog, "invalid or incomplete option '-%c'", optopt);
            usage_error(c.prog, "unrecognized option '%s'", argv[optind - 1]);
            break;
        default:
            if (ch >= PARAM_BASE && ch < PARAM_BASE + PLUCK_PARAM_COUNT)
                set_param(&c, (pluck_param)(ch - PARAM_BASE), optarg);
            break;
        }
    }
    if (optind >= argc)
        usage_error(c.prog, "%s", "missing SQL query");
    const char *sql = argv[optind++];
    pluck_error err;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), c.params, &err);
    if (!q) {
        fprintf(stderr, "%s: %s: %s\n", c.prog, pluck_code_name(err.code), err.message);
        show_sql_position(sql, &err);
        if (err.code == PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME)
            fprintf(stderr, "hint: GROUP BY, HAVING and ORDER BY are pluck extensions beyond S3 "
                            "Select: add -X (--extensions TRUE)\n");
        if (err.code == PLUCK_E_INVALID_COLUMN_INDEX && strstr(err.message, "column index")) {
            char v[16];
            pluck_params_get(c.params, PLUCK_PARAM_FILE_HEADER_INFO, v, sizeof v);
            if (strcasecmp(v, "USE"))
                fprintf(stderr, "hint: column names need a header row: add -H "
                                "(--file-header-info USE)\n");
        }
        pluck_params_free(c.params);
        return exit_for(err.code);
    }
    if (explain) {
        /* the plan, then exit without reading any input */
        size_t len = pluck_query_explain(q, NULL, 0);
        char *plan = malloc(len + 1);
        int rc = plan ? 0 : EXIT_DATA;
        if (plan) {
            pluck_query_explain(q, plan, len + 1);
            fputs(plan, stdout);
            free(plan);
        }
        pluck_query_free(q);
        pluck_params_free(c.params);
        return rc;
    }
    /* At a terminal (or with --line-buffered, as grep) each record goes out as soon as the
     * read that completed it; the library hands over output per read, never per record. */
    if (isatty(STDOUT_FILENO))
        c.live = 1;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    int ex = 0;
    char **files = NULL; /* the FILEs, each s3://BUCKET/PREFIX/ expanded (s3src.c) */
    int nfiles = 0;
    if (optind >= argc) {
        ex = run_file(&c, q, sql, "-");
    } else if (pl_s3src_expand(argv + optind, argc - optind, c.endpoint, c.prog, &files,
                               &nfiles)) {
        ex = EXIT_DATA;
    } else {
        for (int i = 0; i < nfiles && !ex && !c.broken_pipe; i++)
            ex = run_file(&c, q, sql, files[i]);
    }
    pl_s3src_free_list(files, nfiles);
    pluck_query_free(q);
    pluck_params_free(c.params);
    if (!c.broken_pipe && (ferror(stdout) || fclose(stdout) != 0) && errno != EPIPE) {
        fprintf(stderr, "%s: error writing output: %s\n", c.prog, strerror(errno));
        return EXIT_DATA;
    }
    return ex;
}

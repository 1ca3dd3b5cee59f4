/*
 * main.c — the `pluck` command: a thin client of include/pluck.h.
 *
 *   pluck [OPTIONS] SQL [FILE ...]
 *
 * Every serialization option comes from the library's parameter table, so the CLI, the C API
 * and the server accept the same names and values.  Each FILE is queried on its own, as S3
 * queries one object, and the results are written one after another; no FILE or "-" reads
 * standard input.  As grep does, a FILE that fails is reported by name and the others are
 * still queried; the exit status tells at the end.  With --union all FILEs form one table
 * (pluck_run_end_input between them); a zip or tar archive is one table of its members
 * (archive.c).
 *
 * Exit status: 0 success; 1 input or data error (unreadable file, corrupt compression,
 * malformed CSV, a value that fails to convert); 2 usage error (bad option or option value);
 * 3 query error (the SQL does not parse or bind).  With several FILEs, the highest.
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

#include "cli/archive.h"
#include "cli/escape.h"
#include "cli/index.h"
#include "cli/merge.h"
#include "cli/hints.h"
#include "cli/output.h"
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
    OPT_PARTIAL,
    OPT_EXPLAIN,
    OPT_LINE_BUFFERED,
    OPT_UNION,
    OPT_WITH_FILENAME,
    OPT_MEMBER,
    OPT_ENDPOINT,
    OPT_WRITE_INDEX,
    PARAM_BASE = 2000
};

typedef struct cli {
    const char *prog;
    pluck_params *params;
    int stats, progress; /* progress: -1 auto, 0 off, 1 on */
    int partial;         /* --partial: write the aggregate state (pluck-partial(5)) */
    int live;            /* records go out as soon as a read completes them */
    int unite;           /* --union */
    int with_filename;
    int threads_given;
    const char *member;  /* --member NAME */
    const char *endpoint; /* --endpoint-url, for s3:// sources */
    int write_index;     /* --write-index: FILE.pluckidx recorded by FILE's decode */
    bool same_terminal;  /* standard output and error are the same terminal */
    pl_output out;
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

/* Print text at column `indent`, wrapped to fit 79 columns. */
static void print_wrapped(const char *text, int indent)
{
    int col = indent;
    printf("%*s", indent, "");
    while (*text) {
        size_t w = strcspn(text, " ");
        if (col > indent && col + 1 + (int)w > 79) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)w, text);
        col += (int)w;
        text += w;
        while (*text == ' ')
            text++;
    }
    putchar('\n');
}

static void print_help(void)
{
    printf("Usage: pluck [OPTIONS] SQL [FILE ...]\n"
           "Run an S3 Select SQL query over CSV files, plain or compressed (gzip, zstd,\n"
           "bzip2, xz; detected from the data), or over the CSV members of zip and tar\n"
           "archives.  Reads standard input when no FILE or '-' is given.\n"
           "A FILE s3://BUCKET/KEY is streamed from S3 (see --endpoint-url);\n"
           "s3://BUCKET/PREFIX/ stands for every object under the prefix.\n"
           "\n"
           "Examples:\n"
           "  pluck -H \"SELECT s.name FROM S3Object s WHERE s.iso_country = 'US' LIMIT 10\" \\\n"
           "        airports.csv.gz\n"
           "  zcat log.gz | pluck \"SELECT COUNT(*) FROM S3Object WHERE _4 = 'FAIL'\"\n"
           "  pluck -d '\\t' --json 'SELECT _1, _3 FROM S3Object' data.tsv.zst\n"
           "  tail -f app.csv | pluck \"SELECT * FROM S3Object WHERE _3 LIKE '%%FAIL%%'\"\n"
           "\n"
           "Input and output serialization (S3 InputSerialization / OutputSerialization):\n");
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        char arg[48];
        if (pi->id == PLUCK_PARAM_OUTPUT_HEADER)
            snprintf(arg, sizeof arg, "[=TRUE|FALSE]");
        else if (pi->kind == PLUCK_KIND_ENUM)
            snprintf(arg, sizeof arg, " %s", pi->values);
        else if (pi->kind == PLUCK_KIND_BOOL)
            snprintf(arg, sizeof arg, " TRUE|FALSE");
        else if (pi->kind == PLUCK_KIND_SIZE)
            snprintf(arg, sizeof arg, pi->id == PLUCK_PARAM_MAX_GROUPS ? " N" : " BYTES");
        else if (pi->kind == PLUCK_KIND_INT)
            snprintf(arg, sizeof arg, " N");
        else if (pi->kind == PLUCK_KIND_PATH)
            snprintf(arg, sizeof arg, " DIR");
        else
            snprintf(arg, sizeof arg, " CHAR%s", pi->kind == PLUCK_KIND_CHARS ? "S" : "");
        printf("  --%s%s\n", pi->cli_name, arg);
        print_wrapped(pi->help, 8);
    }
    printf("\nShort forms:\n"
           "  -H               --file-header-info USE\n"
           "  -d CHAR          --field-delimiter CHAR\n"
           "  --json           --output-format JSON\n"
           "  -X               --extensions TRUE: GROUP BY, HAVING, ORDER BY [NULLS\n"
           "                   FIRST|LAST] of any size, DISTINCT, COUNT/SUM/AVG(DISTINCT x)\n"
           "                   (pluck extensions, not in S3)\n"
           "Character values accept C escapes: \\t \\n \\r \\\\ \\xNN (e.g. --record-delimiter\n"
           "'\\r\\n').  An empty --comments or --quote-character turns that feature off.\n"
           "\n"
           "Several files:\n"
           "  Each FILE is queried on its own, one result after another; a file that cannot\n"
           "  be read is reported and skipped, and the exit status says so at the end.\n"
           "  --union          all FILE operands form one table: one header row each\n"
           "                   (with -H) is not data, one result, aggregates across files\n"
           "  --with-filename  prefix each record with its file's name (CSV: a first\n"
           "                   field; JSON: a \"file\" member)\n"
           "  --member NAME    read only member NAME of a zip or tar archive (default:\n"
           "                   all its members form one table)\n"
           "\n"
           "Other options:\n"
           "  --line-buffered  write each record as soon as the input completing it is\n"
           "                   read (the default when standard output is a terminal)\n"
           "  --stats          print BytesScanned, BytesProcessed, BytesReturned, records,\n"
           "                   comment records, elapsed time, codec and scan kernel to\n"
           "                   standard error\n"
           "  --progress       show a progress bar on standard error even for small inputs\n"
           "  --no-progress    never show the progress bar (default: shown when standard\n"
           "                   error is a terminal and the input is larger than 64 MiB)\n"
           "  --partial        write the query's partial aggregate state instead of its\n"
           "                   result; 'pluck merge' combines partials (pluck-partial(5))\n"
           "  --write-index    build FILE.pluckidx (as 'pluck index FILE') from the decode\n"
           "                   that feeds the query of a gzip FILE; a FILE.pluckidx\n"
           "                   beside FILE is read with --threads 2 or more (pluck-index(5))\n"
           "  --explain        print the query plan (columns read, predicates in the scan,\n"
           "                   literal prefilter, how GROUP BY / DISTINCT / ORDER BY run and\n"
           "                   their memory) and exit without reading input\n"
           "  --endpoint-url URL  S3 endpoint for s3://BUCKET/KEY sources (default:\n"
           "                   AWS_ENDPOINT_URL, else AWS); keys from AWS_ACCESS_KEY_ID,\n"
           "                   AWS_SECRET_ACCESS_KEY, region from AWS_REGION\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show version, codecs and scan kernel, and exit\n"
           "\n"
           "pluck merge PARTIAL ...  combines partials (--partial; 'pluck merge --help').\n"
           "pluck index FILE ...  writes FILE.pluckidx, a checkpoint index that splits a\n"
           "gzip FILE across --threads ('pluck index --help', pluck-index(5)).\n"
           "pluck serve --root DIR [--listen ADDR:PORT] ...  serves DIR as an S3-compatible\n"
           "endpoint for SelectObjectContent; see 'pluck serve --help' and pluck-serve(1).\n"
           "\n"
           "Exit status: 0 success, 1 input or data error (in any FILE), 2 usage error,\n"
           "3 query error.  Errors are reported with S3 Select's error code names.\n"
           "See pluck(1).\n");
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
        fprintf(stderr, "%s: --%s: %s: %s\n", c->prog, pi->cli_name, pluck_code_name(err.code),
                err.message);
        if (pi->kind == PLUCK_KIND_CHAR || pi->kind == PLUCK_KIND_CHARS)
            fprintf(stderr, "hint: got '%s': %s\n", value, pl_hint_char_value(value));
        fprintf(stderr, "Try '%s --help' for more information.\n", c->prog);
        free(buf);
        exit(EXIT_USAGE);
    }
    if (id == PLUCK_PARAM_THREADS)
        c->threads_given = 1;
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
            "RecordsScanned: %llu\nRecordsReturned: %llu\nCommentRecords: %llu\n"
            "Elapsed: %.3f s\nCodec: %s\nScanKernel: %s\n",
            (unsigned long long)st->bytes_scanned, (unsigned long long)st->bytes_processed,
            (unsigned long long)st->bytes_returned, (unsigned long long)st->records_scanned,
            (unsigned long long)st->records_returned,
            (unsigned long long)st->comment_records, secs, st->codec, st->scan_kernel);
}

/* One table: a run over one FILE, or over all of them with --union. */
typedef struct table {
    pluck_run *r;
    pl_progress bar;
    bool show_bar;
    char current[1024]; /* the input being read, for messages: "FILE" or "FILE:MEMBER" */
    double t0;
    int ex;             /* exit status of failures met outside the run (files, archives) */
    char s3err[512];    /* what an s3:// source said when a read failed */
} table;

static const char *display_name(const char *path)
{
    return strcmp(path, "-") ? path : "(standard input)";
}

/* Show the bar when asked, or by default for a terminal and more than 64 MiB of input (the
 * size may become known only once an s3:// object is opened). */
static void table_bar(cli *c, table *t, uint64_t size)
{
    /* never on a standard error that is not a terminal (pluck(1)), even with --progress */
    if (t->show_bar || !isatty(STDERR_FILENO) ||
        !(c->progress == 1 || (c->progress == -1 && size > (64u << 20))))
        return;
    t->show_bar = true;
    pl_progress_init(&t->bar, t->current[0] ? t->current : "input");
    pluck_run_set_progress(t->r, pl_progress_update, &t->bar);
    c->out.bar = c->same_terminal ? &t->bar : NULL;
}

static int table_open(cli *c, const pluck_query *q, table *t, uint64_t size)
{
    memset(t, 0, sizeof *t);
    t->r = pluck_run_create(q, pl_output_write, &c->out);
    if (!t->r) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return EXIT_DATA;
    }
    pluck_run_set_source_size(t->r, size);
    if (c->partial && pluck_run_set_partial(t->r) != PLUCK_OK) {
        const pluck_error *e = pluck_run_error(t->r);
        fprintf(stderr, "%s: --partial: %s: %s\n", c->prog, pluck_code_name(e->code), e->message);
        pluck_run_free(t->r);
        t->r = NULL;
        return EXIT_QUERY;
    }
    pluck_run_set_live(t->r, c->live);
    table_bar(c, t, size);
    t->t0 = now();
    return 0;
}

/* Read one FILE operand into the table's run: a file, standard input, or the members of an
 * archive.  A file that cannot be opened is reported and skipped (t->ex). */
static pluck_code table_add(cli *c, table *t, const char *path)
{
    pluck_code rc = PLUCK_OK;
    int fd = 0;
    const char *name = display_name(path);
    if (pl_s3src_is_url(path)) {
        pl_s3src *s3 = pl_s3src_open(path, c->endpoint, c->prog); /* says why it failed */
        if (!s3) {
            t->ex = EXIT_DATA;
            return rc;
        }
        snprintf(t->current, sizeof t->current, "%s", name);
        t->bar.name = name;
        if (c->with_filename)
            c->out.prefix = name;
        pluck_stats st; /* the object's Content-Length joins the table's size (the bar) */
        pluck_run_stats(t->r, &st);
        pluck_run_set_source_size(t->r, st.source_size + pl_s3src_size(s3));
        table_bar(c, t, st.source_size + pl_s3src_size(s3));
        rc = pluck_run_read_input(t->r, pl_s3src_read, s3);
        if (*pl_s3src_error(s3))
            snprintf(t->s3err, sizeof t->s3err, "%s", pl_s3src_error(s3));
        pl_s3src_close(s3);
        return rc;
    }
    if (strcmp(path, "-")) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "%s: cannot open '%s': %s\n", c->prog, path, strerror(errno));
            t->ex = EXIT_DATA;
            return rc;
        }
    } else if (isatty(STDIN_FILENO)) {
        fprintf(stderr, "%s: reading CSV from the terminal (standard input): type records "
                        "and end with Ctrl-D, or name a FILE\n", c->prog);
    }
    struct stat sb;
    bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: '%s' is a directory\n", c->prog, path);
        t->ex = EXIT_DATA;
        close(fd);
        return rc;
    }
    snprintf(t->current, sizeof t->current, "%s", name);
    t->bar.name = name;
    if (c->with_filename)
        c->out.prefix = name;
    if (c->member || (regular && pl_archive_detect(fd, path))) {
        char member[512] = "", msg[512] = "";
        rc = pl_archive_run(t->r, fd, c->member, member, sizeof member, msg, sizeof msg);
        if (member[0])
            snprintf(t->current, sizeof t->current, "%s:%s", name, member);
        if (msg[0]) {
            fprintf(stderr, "%s: %s: %s\n", c->prog, name, msg);
            t->ex = EXIT_DATA;
        }
    } else {
        /* one file read whole can be split across threads (BGZF, zstd frames); --union's
         * files are inputs of one run */
        /* a gzip FILE's checkpoint index (FILE.pluckidx) splits it too; --write-index has
         * the run's decode record one */
        pluck_index *ix = NULL;
        pl_index_side side = {0};
        char tv[16];
        pluck_params_get(c->params, PLUCK_PARAM_THREADS, tv, sizeof tv);
        if (regular && !c->unite && strcmp(path, "-")) {
            if (c->write_index)
                pl_cli_index_side_start(&side, t->r, fd);
            else if (atoi(tv) > 1)
                ix = pl_cli_index_load(c->prog, path, fd);
        }
        pluck_run_set_index(t->r, ix);
        rc = c->unite ? pluck_run_fd_input(t->r, fd) : pluck_run_fd(t->r, fd);
        pluck_run_set_index(t->r, NULL);
        pluck_index_free(ix);
        int x = pl_cli_index_side_end(&side, c->prog, path);
        if (x > t->ex)
            t->ex = x;
    }
    if (fd)
        close(fd);
    return rc;
}

/* Finish the table's run, report its error naming the input it came from, print --stats. */
static int table_close(cli *c, table *t, const char *sql)
{
    pluck_code rc = pluck_run_finish(t->r);
    double secs = now() - t->t0;
    if (t->show_bar)
        pl_progress_clear(&t->bar);
    c->out.bar = NULL;
    if (fflush(stdout) != 0 && errno == EPIPE)
        c->out.broken_pipe = true;
    int ex = t->ex;
    if (pluck_is_error(rc) && !c->out.broken_pipe && t->s3err[0] &&
        pluck_run_error(t->r)->code == PLUCK_E_READ_ERROR) {
        fprintf(stderr, "%s: %s: %s\n", c->prog, t->current, t->s3err); /* the store's words */
        if (ex < EXIT_DATA)
            ex = EXIT_DATA;
    } else if (pluck_is_error(rc) && !c->out.broken_pipe) {
        /* (a broken pipe is the reader going away, e.g. `| head`: a quiet, successful stop) */
        const pluck_error *e = pluck_run_error(t->r);
        const char *name = t->current;
        char msg[1024];
        pl_hint_message(e->message, msg, sizeof msg);
        if (e->record && !strncmp(msg, "CSV error at record ", 20)) /* says where itself */
            fprintf(stderr, "%s: %s: %s (%s)\n", c->prog, pluck_code_name(e->code), msg, name);
        else if (e->record) /* an expression failed on a value, or the data is bad: where */
            fprintf(stderr, "%s: %s: %s (%s, record %llu, byte %llu)\n", c->prog,
                    pluck_code_name(e->code), msg, name, (unsigned long long)e->record,
                    (unsigned long long)e->byte_offset);
        else
            fprintf(stderr, "%s: %s: %s (%s)\n", c->prog, pluck_code_name(e->code), msg, name);
        show_sql_position(sql, e);
        int x = exit_for(e->code);
        if (x > ex)
            ex = x;
    }
    if (c->stats) {
        pluck_stats st;
        pluck_run_stats(t->r, &st);
        print_stats(&st, secs);
    }
    pluck_run_free(t->r);
    t->r = NULL;
    return ex;
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    if (!strcmp(path, "-"))
        return fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
}

/* Query the FILE operands: each its own table, or all one table (--union). */
static int run_files(cli *c, const pluck_query *q, const char *sql, char **files, int n)
{
    static char *stdin_only[] = {"-"};
    if (n == 0) {
        files = stdin_only;
        n = 1;
    }
    int ex = 0;
    table t;
    if (c->unite) {
        uint64_t total = 0;
        for (int i = 0; i < n; i++)
            total += file_size(files[i]);
        if ((ex = table_open(c, q, &t, total)))
            return ex;
        for (int i = 0; i < n && !c->out.broken_pipe; i++) {
            pluck_code rc = table_add(c, &t, files[i]);
            if (rc == PLUCK_STOP || pluck_is_error(pluck_run_error(t.r)->code))
                break; /* LIMIT met, or one table's first error ends it */
        }
        return table_close(c, &t, sql);
    }
    for (int i = 0; i < n && !c->out.broken_pipe; i++) {
        int x = table_open(c, q, &t, file_size(files[i]));
        if (!x) {
            table_add(c, &t, files[i]);
            x = table_close(c, &t, sql);
        }
        if (x > ex)
            ex = x;
    }
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

/* Output settings the --with-filename prefix needs to find record boundaries. */
static void output_setup(cli *c)
{
    pl_output *o = &c->out;
    char v[16];
    pluck_params_get(c->params, PLUCK_PARAM_OUTPUT_FORMAT, v, sizeof v);
    o->json = !strcasecmp(v, "JSON");
    pluck_params_get(c->params, PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER, v, sizeof v);
    o->quote = v[0];
    pluck_params_get(c->params, PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER, v, sizeof v);
    o->escape = v[0];
    o->fdlen = pluck_params_get(c->params, PLUCK_PARAM_OUTPUT_FIELD_DELIMITER, o->fdelim,
                                sizeof o->fdelim);
    o->rdlen = pluck_params_get(c->params, PLUCK_PARAM_OUTPUT_RECORD_DELIMITER, o->rdelim,
                                sizeof o->rdelim);
    if (o->fdlen > sizeof o->fdelim - 1)
        o->fdlen = sizeof o->fdelim - 1;
    if (o->rdlen > sizeof o->rdelim - 1)
        o->rdlen = sizeof o->rdelim - 1;
    o->at_start = true;
    o->live = c->live;
}

/* Standard output and standard error are one terminal: rows and the bar share its lines. */
static bool same_terminal(void)
{
    struct stat a, b;
    return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && fstat(STDOUT_FILENO, &a) == 0 &&
           fstat(STDERR_FILENO, &b) == 0 && a.st_rdev == b.st_rdev;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return run_serve(argv + 1);
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return pl_cli_merge(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "index"))
        return pl_cli_index(argc - 1, argv + 1);
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
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu > 1) {
        char nth[8];
        int len = snprintf(nth, sizeof nth, "%ld", ncpu < 16 ? ncpu : 16);
        pluck_params_set(c.params, PLUCK_PARAM_THREADS, nth, (size_t)len, NULL);
    }

    struct option opts[PLUCK_PARAM_COUNT + 16];
    int n = 0;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        /* --output-header alone means TRUE (a switch, as in other tools) */
        int has = i == PLUCK_PARAM_OUTPUT_HEADER ? optional_argument : required_argument;
        opts[n++] = (struct option){pi->cli_name, has, NULL, PARAM_BASE + i};
    }
    opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    opts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    opts[n++] = (struct option){"stats", no_argument, NULL, OPT_STATS};
    opts[n++] = (struct option){"progress", no_argument, NULL, OPT_PROGRESS};
    opts[n++] = (struct option){"no-progress", no_argument, NULL, OPT_NO_PROGRESS};
    opts[n++] = (struct option){"partial", no_argument, NULL, OPT_PARTIAL};
    opts[n++] = (struct option){"explain", no_argument, NULL, OPT_EXPLAIN};
    opts[n++] = (struct option){"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED};
    opts[n++] = (struct option){"union", no_argument, NULL, OPT_UNION};
    opts[n++] = (struct option){"with-filename", no_argument, NULL, OPT_WITH_FILENAME};
    opts[n++] = (struct option){"member", required_argument, NULL, OPT_MEMBER};
    opts[n++] = (struct option){"endpoint-url", required_argument, NULL, OPT_ENDPOINT};
    opts[n++] = (struct option){"write-index", no_argument, NULL, OPT_WRITE_INDEX};
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
        case OPT_PARTIAL: c.partial = 1; break;
        case OPT_EXPLAIN: explain = 1; break;
        case OPT_LINE_BUFFERED: c.live = 1; break;
        case OPT_UNION: c.unite = 1; break;
        case OPT_WITH_FILENAME: c.with_filename = 1; break;
        case OPT_MEMBER: c.member = optarg; break;
        case OPT_ENDPOINT: c.endpoint = optarg; break;
        case OPT_WRITE_INDEX: c.write_index = 1; break;
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
                set_param(&c, (pluck_param)(ch - PARAM_BASE), optarg ? optarg : "TRUE");
            break;
        }
    }
    if (optind >= argc)
        usage_error(c.prog, "%s", "missing SQL query");
    if (c.unite && c.with_filename)
        usage_error(c.prog, "%s", "--with-filename and --union do not go together: with "
                                  "--union the files form one table");
    /* More threads than cores only adds switching: use as many as there are cores. */
    char tv[16];
    pluck_params_get(c.params, PLUCK_PARAM_THREADS, tv, sizeof tv);
    if (c.threads_given && ncpu > 0 && atol(tv) > ncpu) {
        char nv[16];
        int len = snprintf(nv, sizeof nv, "%ld", ncpu);
        pluck_params_set(c.params, PLUCK_PARAM_THREADS, nv, (size_t)len, NULL);
        fprintf(stderr, "%s: --threads %s: this machine has %ld cores; using %ld\n", c.prog, tv,
                ncpu, ncpu);
    }
    const char *sql = argv[optind++];
    pluck_error err;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), c.params, &err);
    if (!q) {
        struct stat sb;
        if (stat(sql, &sb) == 0 || (optind < argc && pl_hint_looks_like_sql(argv[optind]))) {
            /* `pluck FILE SQL` */
            fprintf(stderr, "%s: the arguments look swapped: the SQL query comes first, then "
                            "the files: pluck [OPTIONS] SQL [FILE ...]\n", c.prog);
            pluck_params_free(c.params);
            return EXIT_USAGE;
        }
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
    c.same_terminal = same_terminal();
    output_setup(&c);
    pl_progress_signals();
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    int ex;
    char **files = NULL; /* the FILEs, each s3://BUCKET/PREFIX/ expanded (s3src.c) */
    int nfiles = 0;
    if (optind < argc &&
        pl_s3src_expand(argv + optind, argc - optind, c.endpoint, c.prog, &files, &nfiles))
        ex = EXIT_DATA;
    else
        ex = run_files(&c, q, sql, files, nfiles);
    pl_s3src_free_list(files, nfiles);
    pluck_query_free(q);
    pluck_params_free(c.params);
    if (!c.out.broken_pipe && (ferror(stdout) || fclose(stdout) != 0) && errno != EPIPE) {
        fprintf(stderr, "%s: error writing output: %s\n", c.prog, strerror(errno));
        return EXIT_DATA;
    }
    return ex;
}

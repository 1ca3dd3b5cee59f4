/*
 * feed.c — libpluck's push API: the caller reads the input itself and hands it over in
 * pieces of any size (from a socket, a decompressor of its own, an HTTP body ...).  Each
 * FILE argument is one input of the same table (pluck_run_end_input between them), so
 * `feed SQL a.csv b.csv.gz` counts across both; with no FILE it reads standard input.
 * Records are written as soon as the piece completing them arrives.
 *
 *   cc feed.c $(pkg-config --cflags --libs pluck) -o feed
 *   ./feed "SELECT COUNT(*) FROM S3Object s WHERE s.iso_country = 'US'" a.csv b.csv.gz
 */
#include <pluck.h>
#include <stdio.h>
#include <string.h>

static int to_stdout(void *opaque, const char *data, size_t len)
{
    (void)opaque;
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return -1; /* the run then fails with PLUCK_E_WRITE_ERROR */
    return 0;
}

/* Push one input into the run in 4 KiB pieces.  Returns PLUCK_OK to go on. */
static pluck_code push(pluck_run *run, FILE *in)
{
    char buf[4096];
    size_t n;
    pluck_code rc = PLUCK_OK;
    while (rc == PLUCK_OK && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = pluck_run_feed(run, buf, n); /* PLUCK_STOP: LIMIT met, no more input needed */
    if (rc == PLUCK_OK && ferror(in))
        return PLUCK_E_READ_ERROR;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SQL [FILE ...]\n", argv[0]);
        return 2;
    }
    pluck_params *params = pluck_params_create();
    pluck_error err;
    if (!params ||
        pluck_params_set(params, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, &err) != PLUCK_OK) {
        fprintf(stderr, "out of memory\n");
        pluck_params_free(params);
        return 1;
    }
    pluck_query *q = pluck_query_compile(argv[1], strlen(argv[1]), params, &err);
    if (!q) {
        fprintf(stderr, "%s: %s\n", pluck_code_name(err.code), err.message);
        pluck_params_free(params);
        return 3;
    }
    pluck_run *run = pluck_run_create(q, to_stdout, NULL);
    pluck_code rc = run ? PLUCK_OK : PLUCK_E_OUT_OF_MEMORY;
    if (argc == 2 && run)
        rc = push(run, stdin);
    for (int i = 2; i < argc && rc == PLUCK_OK; i++) {
        FILE *in = fopen(argv[i], "rb");
        if (!in) {
            perror(argv[i]);
            rc = PLUCK_E_READ_ERROR;
            break;
        }
        rc = push(run, in);
        fclose(in);
        if (rc == PLUCK_OK)
            rc = pluck_run_end_input(run); /* the next file starts a new input */
    }
    if (run) {
        /* always finish: it emits aggregates and hands over what was produced before an
         * error; the first error is the run's */
        pluck_code fin = pluck_run_finish(run);
        if (pluck_is_error(fin))
            rc = fin;
        else if (rc == PLUCK_STOP)
            rc = PLUCK_OK;
    }
    if (pluck_is_error(rc)) {
        const pluck_error *e = run ? pluck_run_error(run) : NULL;
        fprintf(stderr, "%s: %s\n", pluck_code_name(rc),
                e && e->code ? e->message : "the input could not be read");
    }
    pluck_run_free(run);
    pluck_query_free(q);
    pluck_params_free(params);
    return pluck_is_error(rc) ? 1 : 0;
}

/*
 * select.c — the smallest complete use of libpluck: run one query over standard input and
 * write the result to standard output, reporting errors by S3 code name.
 *
 *   cc select.c $(pkg-config --cflags --libs pluck) -o select
 *   zcat data.csv.gz | ./select "SELECT COUNT(*) FROM S3Object"
 */
#include <pluck.h>
#include <stdio.h>
#include <string.h>

static int to_stdout(void *opaque, const char *data, size_t len)
{
    (void)opaque;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SQL < input.csv\n", argv[0]);
        return 2;
    }
    pluck_params *params = pluck_params_create();
    pluck_params_set(params, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, NULL);
    pluck_error err;
    pluck_query *q = pluck_query_compile(argv[1], strlen(argv[1]), params, &err);
    if (!q) {
        fprintf(stderr, "%s: %s\n", pluck_code_name(err.code), err.message);
        pluck_params_free(params);
        return 3;
    }
    pluck_run *run = pluck_run_create(q, to_stdout, NULL);
    pluck_code rc = run ? pluck_run_fd(run, 0) : PLUCK_E_OUT_OF_MEMORY;
    if (pluck_is_error(rc))
        fprintf(stderr, "%s: %s\n", pluck_code_name(rc),
                run ? pluck_run_error(run)->message : "out of memory");
    pluck_stats st;
    if (run) {
        pluck_run_stats(run, &st);
        fprintf(stderr, "scanned %llu bytes, processed %llu, returned %llu\n",
                (unsigned long long)st.bytes_scanned, (unsigned long long)st.bytes_processed,
                (unsigned long long)st.bytes_returned);
    }
    pluck_run_free(run);
    pluck_query_free(q);
    pluck_params_free(params);
    return pluck_is_error(rc) ? 1 : 0;
}

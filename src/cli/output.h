/*
 * output.h — the CLI's write callback: result records to standard output, as soon as the
 * library hands them over when the output is live (a terminal, --line-buffered), never on
 * the same line as the progress bar, and with --with-filename each record prefixed with the
 * name of the file it came from (a first CSV field, or a "file" member in JSON).
 */
#ifndef PL_CLI_OUTPUT_H
#define PL_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/progress.h"

typedef struct pl_output {
    bool live;               /* flush after every chunk */
    bool broken_pipe;        /* the reader went away */
    pl_progress *bar;        /* a bar to clear before writing (same terminal), or NULL */
    /* --with-filename */
    const char *prefix;      /* the current file's name, or NULL */
    bool json;
    char quote, escape;      /* output quote and quote-escape characters (CSV) */
    char fdelim[8], rdelim[8];
    size_t fdlen, rdlen;
    bool at_start;           /* the next byte starts a record */
    bool in_quotes, skip_next, after_brace;
    size_t rd_match;         /* bytes of the record delimiter matched so far */
} pl_output;

/* A pluck_write_fn over a pl_output. */
int pl_output_write(void *opaque, const char *data, size_t len);

#endif

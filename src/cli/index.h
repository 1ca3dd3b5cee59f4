/*
 * index.h — gzip checkpoint indexes in the CLI (index.c): `pluck index FILE...`, the
 * FILE.pluckidx read beside a FILE before it is queried, and --write-index.
 */
#ifndef PL_CLI_INDEX_H
#define PL_CLI_INDEX_H

#include "pluck.h"

#include <stdbool.h>

/* argv[0] is "index"; returns the exit status. */
int pl_cli_index(int argc, char **argv);

/* The index beside path (path + ".pluckidx") checked against the file open on fd, or NULL
 * when there is none; one that cannot be used (stale, damaged) is reported as a warning on
 * standard error and ignored. */
pluck_index *pl_cli_index_load(const char *prog, const char *path, int fd);

/* --write-index: the index of the gzip file on fd recorded by the run's own decode of it
 * (pluck_run_build_index), written beside it by pl_cli_index_side_end; when the query
 * stopped before the end (LIMIT) the index is built by a decode of its own then. */
typedef struct pl_index_side {
    bool started;
    pluck_run *r;
    int fd;
} pl_index_side;

/* Ask r to record the index when the file on fd is a gzip file (false: nothing asked). */
bool pl_cli_index_side_start(pl_index_side *side, pluck_run *r, int fd);
/* After the run: write path.pluckidx (or say why not); returns 0 or the exit status of a
 * failure. */
int pl_cli_index_side_end(pl_index_side *side, const char *prog, const char *path);

#endif /* PL_CLI_INDEX_H */

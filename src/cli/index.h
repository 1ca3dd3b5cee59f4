/*
 * index.h — gzip checkpoint indexes in the CLI (index.c): `pluck index FILE...`, the
 * FILE.pluckidx read beside a FILE before it is queried, and --write-index.
 */
#ifndef PL_CLI_INDEX_H
#define PL_CLI_INDEX_H

#include "pluck.h"

#include <pthread.h>
#include <stdbool.h>

/* argv[0] is "index"; returns the exit status. */
int pl_cli_index(int argc, char **argv);

/* The index beside path (path + ".pluckidx") checked against the file open on fd, or NULL
 * when there is none; one that cannot be used (stale, damaged) is reported as a warning on
 * standard error and ignored. */
pluck_index *pl_cli_index_load(const char *prog, const char *path, int fd);

/* --write-index: an index of the gzip file on fd built on a thread of its own while the
 * query reads the file, written beside it by pl_cli_index_bg_end. */
typedef struct pl_index_bg {
    bool started;
    int fd;             /* a duplicate of the file's descriptor */
    pluck_index *ix;
    pluck_error err;
    pluck_code rc;
    pthread_t th;
} pl_index_bg;

/* Start when the file on fd is a gzip file (false: nothing started). */
bool pl_cli_index_bg_start(pl_index_bg *bg, int fd);
/* Wait for the build, write path.pluckidx (or say why not); returns 0 or the exit status of
 * a failure. */
int pl_cli_index_bg_end(pl_index_bg *bg, const char *prog, const char *path);

#endif /* PL_CLI_INDEX_H */

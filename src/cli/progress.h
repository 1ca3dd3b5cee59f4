/*
 * progress.h — the CLI's progress bar on standard error: bytes processed, rate, and an ETA
 * from the position in the (compressed) source.  Driven by the library's progress hook.
 */
#ifndef PL_CLI_PROGRESS_H
#define PL_CLI_PROGRESS_H

#include "pluck.h"

typedef struct pl_progress {
    const char *name;
    double start, last;
    int drawn;
} pl_progress;

void pl_progress_init(pl_progress *p, const char *name);
int pl_progress_update(void *opaque, const pluck_stats *st); /* a pluck_progress_fn */
void pl_progress_clear(pl_progress *p);

#endif

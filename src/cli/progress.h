/*
 * progress.h — the CLI's progress bar on standard error: bytes processed, rate, and an ETA
 * from the position in the (compressed) source.  Driven by the library's progress hook.
 *
 * The bar is one line that never wraps: it is sized to the terminal (TIOCGWINSZ, asked again
 * after SIGWINCH) and kept one column short of it.  It never shares a line with result rows:
 * the output writer (output.c) clears it before it writes rows to the same terminal and
 * draws it again below them, and
 * Ctrl-C (SIGINT, SIGTERM) clears it before pluck dies of the signal.
 */
#ifndef PL_CLI_PROGRESS_H
#define PL_CLI_PROGRESS_H

#include "pluck.h"

typedef struct pl_progress {
    const char *name;
    double start, last;
    int drawn;
    int width; /* columns of the terminal on standard error */
    char line[512]; /* the bar as last drawn ("" before the first) */
    int hold;       /* the rows on the terminal end mid-record: do not draw now */
} pl_progress;

/* Install the SIGWINCH/SIGINT/SIGTERM handlers the bar needs (once, before any bar). */
void pl_progress_signals(void);
void pl_progress_init(pl_progress *p, const char *name);
int pl_progress_update(void *opaque, const pluck_stats *st); /* a pluck_progress_fn */
void pl_progress_clear(pl_progress *p);
/* Draw the last bar again (below rows just written); nothing before the first draw. */
void pl_progress_redraw(pl_progress *p);

#endif

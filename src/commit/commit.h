/*
 * commit.h — the ordered committer: the one place output, counts and errors of the
 * executors meet the caller.  It alone owns the record numbering across blocks, the LIMIT,
 * the first error in input order, the output counters and flushing to the write callback.
 *
 * One executor (the run's main one) hands its output here at each flush point and its counts
 * after each window (pl_commit_take).  N parallel executors each scan a block of whole
 * records on their own; their blocks are committed strictly in input order
 * (pl_commit_lane): the block's output is handed over in the chunks the main executor would
 * have flushed, its counts and aggregate folded in — or, when the block failed or reaches
 * the LIMIT, the block is run again on the main executor positioned where the committed
 * input ends, so errors, record numbers and the LIMIT cut come out exactly as in a
 * one-thread run.
 */
#ifndef PL_COMMIT_H
#define PL_COMMIT_H

#include "exec/exec.h"

typedef struct pl_commit {
    const pluck_query *q;
    pluck_write_fn write;
    void *wop;
    pluck_error err;  /* the first error in input order */
    pluck_code state; /* PLUCK_OK, PLUCK_STOP or that error */
    uint64_t bytes_returned;
    uint64_t records_scanned, records_returned;
    uint64_t emitted; /* output records so far (the LIMIT counts them) */
} pl_commit;

void pl_commit_init(pl_commit *c, const pluck_query *q, pluck_write_fn write, void *opaque);

/* Hand buf's bytes to the write callback and empty it.  A refusal fails the run with
 * WriteError (the bytes are never offered again). */
pluck_code pl_commit_write(pl_commit *c, pl_buf *buf);

/* Take the main executor's counts and state (its first error, or STOP at the LIMIT) and set
 * its LIMIT budget for what follows.  Its output stays buffered until a flush point. */
pluck_code pl_commit_take(pl_commit *c, pl_exec *x);

/* A source failed (read, codec): the run fails with this error unless one came first. */
pluck_code pl_commit_fail(pl_commit *c, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);

/* Run one block again on the main executor (the parallel driver supplies it). */
typedef pluck_code (*pl_redo_fn)(void *arg);

/* Commit a parallel executor's block, in input order (see above); main is the run's main
 * executor.  Returns c->state. */
pluck_code pl_commit_lane(pl_commit *c, pl_exec *main, pl_exec *lane, pl_redo_fn redo,
                          void *arg);

#endif /* PL_COMMIT_H */

/*
 * cscan.h — ScanRange over a compressed object (cscan.c): the range's splits, run by
 * pluck_run_split() on a thread whose output the connection takes in bounded pieces.
 */
#ifndef PL_CSCAN_H
#define PL_CSCAN_H

#include "pluck.h"
#include "server/sbuf.h"

typedef struct pl_cscan pl_cscan;

/* The coarse splits of the object open on fd (size bytes; ix: a gzip object's checkpoint
 * index, or NULL) for the compressed byte range [start, end]: out[*i] is the range's, *n of them in all (0: the range owns no record).
 * Returns 0, or -1 with err set (the object could not be read). */
int pl_cscan_plan(int fd, uint64_t size, const pluck_params *p, const pluck_index *ix,
                  uint64_t start, uint64_t end, pluck_split out[3], size_t *n, size_t *i,
                  pluck_error *err);

/* A scan of split i of sp[0, n) (from pl_cscan_plan, with the same index ix or NULL) of fd
 * (duplicated) with query q; it takes the ownership of q and ix (also on failure).  NULL
 * on out of memory or descriptors. */
pl_cscan *pl_cscan_create(pluck_query *q, pluck_index *ix, int fd, const pluck_split *sp,
                          size_t n, size_t i);
/* Its run: for settings before pl_cscan_start(), and for stats and the error once
 * pl_cscan_take() has said it is done. */
pluck_run *pl_cscan_run_of(pl_cscan *c);
/* Start the thread: 0, or -1 when none can be started. */
int pl_cscan_start(pl_cscan *c);
/* Move at most max bytes of output into `into`, waiting up to wait_ms for some when there
 * is none.  Returns 1 once the run has ended and all its output was taken (*rc: the run's
 * result), else 0. */
int pl_cscan_take(pl_cscan *c, pl_sbuf *into, size_t max, unsigned wait_ms, pluck_code *rc);
/* Cancel (the next write is refused) and free; a run still going frees itself when it
 * ends.  Accepts NULL. */
void pl_cscan_stop(pl_cscan *c);

#endif /* PL_CSCAN_H */

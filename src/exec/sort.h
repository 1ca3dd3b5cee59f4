/*
 * sort.h — ORDER BY (a pluck extension): rows with their sort keys in, rows out in order.
 *
 * Two strategies behind one interface:
 *   - a top-n heap when the query has a small LIMIT (at most PL_SORT_HEAP_MAX rows): each
 *     row either beats the worst row kept or is dropped at once; should the kept rows
 *     outgrow the budget, they become the first sorted run of the external sort;
 *   - otherwise an external merge sort: rows accumulate in memory until the budget
 *     (max-memory) is reached, are sorted (stable merge sort on a 64-bit key prefix, then
 *     the full keys) and written as a run to a temporary file (spill.c); at the end the
 *     runs and the last in-memory batch are merged.  With a LIMIT each run keeps only its
 *     first LIMIT rows, and a batch that fits is truncated in memory instead of spilled.
 * Both are stable: rows with equal keys come out in arrival order.
 *
 * Order of values (pluck(1) "ORDER BY"): NULL and MISSING, then BOOL, numbers, timestamps,
 * strings (bytewise, as LC_ALL=C sort); an untyped CSV field that reads as a number is that
 * number.  DESC reverses all of it.  NULLS FIRST / NULLS LAST place NULL, MISSING and empty
 * CSV fields first or last whatever the direction.
 */
#ifndef PL_SORT_H
#define PL_SORT_H

#include "exec/program.h"

#define PL_SORT_HEAP_MAX 65536 /* LIMITs up to this use the heap */

typedef struct pl_sorter pl_sorter;

/* Keys, directions and NULLS placement from q; limit UINT64_MAX for none. */
pl_sorter *pl_sorter_create(const struct pluck_query *q, uint64_t limit);
void pl_sorter_free(pl_sorter *s); /* accepts NULL */

/* Offer a row: its sort keys (q->norder_by values) and its rendered output bytes. */
pluck_code pl_sorter_add(pl_sorter *s, const pl_value *keys, const char *row, size_t len);
/* Top-n heap: the row with these keys would be dropped at once (the heap holds LIMIT rows
 * and the worst of them comes first), so it need not even be rendered. */
bool pl_sorter_rejects(pl_sorter *s, const pl_value *keys);
/* No more rows: sort what is in memory, prepare the merge. */
pluck_code pl_sorter_finish(pl_sorter *s);
/* The next row in order: PLUCK_OK with *row and *len (valid until the next call), PLUCK_STOP
 * after the last, or an error (message in pl_sorter_message). */
pluck_code pl_sorter_next(pl_sorter *s, const char **row, size_t *len);
/* pl_sorter_next() with the row's sort keys as the sorter holds them (a CSV field that reads
 * as a number is that number; an empty one placed by NULLS FIRST/LAST is NULL; text is a
 * STRING), valid until the next call: added again, they sort the row to the same place
 * (partial.c writes ORDER BY's top-n candidates with them). */
pluck_code pl_sorter_next_keyed(pl_sorter *s, pl_value *keys, const char **row, size_t *len);
const char *pl_sorter_message(const pl_sorter *s);

/* Parallel executors (commit/lanes.c) sort in input order through the main executor's
 * sorter: a lane's sorter keeps only its block — its records, encoded once, in arrival order
 * (run mode), or the block's top n (heap mode) — and pl_sorter_take, called as the block is
 * committed in input order, moves them into s and empties the lane's sorter.  A lane's heap
 * over its share of the budget fails the block, which is then run again on the main
 * executor. */
void pl_sorter_set_lane(pl_sorter *lane);
void pl_sorter_reset(pl_sorter *lane); /* forget the block (the lane starts another) */
pluck_code pl_sorter_take(pl_sorter *s, pl_sorter *lane);

/* What happened, for --stats and the tests: runs written to disk, bytes spilled. */
size_t pl_sorter_runs(const pl_sorter *s);
uint64_t pl_sorter_spilled(const pl_sorter *s);

/* The plan pl_sorter_create will follow for q, in words (for --explain). */
const char *pl_sort_strategy(const struct pluck_query *q);

#endif /* PL_SORT_H */

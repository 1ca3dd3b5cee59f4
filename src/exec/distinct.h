/*
 * distinct.h — the sets behind SELECT DISTINCT and COUNT/SUM/AVG(DISTINCT x) (pluck
 * extensions): byte strings seen so far, in a hash table whose memory (table and bytes)
 * is capped by max-memory.  Past the cap an insert fails with TooManyGroups and a message
 * naming --max-memory: pluck does not spill these sets to disk.
 *
 * SELECT DISTINCT * and DISTINCT over aggregates keep the rendered output rows (so two
 * rows print alike exactly when they are the same row); an aggregate's DISTINCT keeps
 * (group number, value) pairs.  SELECT DISTINCT over plain expressions is a GROUP BY of
 * the SELECT list instead (bind.c), bounded the same way by group.c.
 */
#ifndef PL_DISTINCT_H
#define PL_DISTINCT_H

#include "exec/program.h"

typedef struct pl_distinct pl_distinct;

pl_distinct *pl_distinct_create(size_t max_memory);
void pl_distinct_free(pl_distinct *d); /* accepts NULL */

/* Add n bytes; *is_new tells whether they were new.  TooManyGroups past the memory cap
 * (message in pl_distinct_message), OutOfMemory. */
pluck_code pl_distinct_add(pl_distinct *d, const void *p, size_t n, bool *is_new);

/* An aggregate's DISTINCT: evaluate a's argument for the current record and tell whether
 * its value is new for group number `group`.  Absent values count as new (the aggregate
 * skips them anyway).  Numbers count by value (1, 1.0 and 1.00 are one, as GROUP BY keys);
 * CSV text is read as a number for SUM and AVG, and counts as written for COUNT, MIN and
 * MAX (the texts 1 and 1.0 are two values). */
pluck_code pl_distinct_step(pl_distinct *d, pl_eval_ctx *ctx, const pl_aggregate *a,
                            uint64_t group, bool *is_new);

const char *pl_distinct_message(const pl_distinct *d);

#endif /* PL_DISTINCT_H */

/*
 * group.h — the state behind pluck's GROUP BY and ORDER BY extensions: a hash table of
 * groups (key values -> aggregate states) and a bounded top-n heap of rendered rows.
 * Memory grows with the number of groups (capped by max-groups), never with the rows read.
 */
#ifndef PL_GROUP_H
#define PL_GROUP_H

#include "exec/program.h"

typedef struct pl_group {
    pl_value *keys;      /* nkeys values, strings copied into the table's arena */
    pl_agg_state *aggs;  /* naggs states */
} pl_group;

typedef struct pl_groups pl_groups;

pl_groups *pl_groups_create(uint32_t nkeys, uint32_t naggs, size_t max_groups);
void pl_groups_free(pl_groups *g); /* accepts NULL */
/* The group for keys, created on first sight.  PLUCK_E_TOO_MANY_GROUPS past max_groups. */
pluck_code pl_groups_find(pl_groups *g, const pl_value *keys, pl_group **out);
size_t pl_groups_count(const pl_groups *g);
pl_group *pl_groups_at(pl_groups *g, size_t i); /* in order of first appearance */

/* Rows kept in ORDER BY order; with a limit only the best `limit` rows are kept. */
typedef struct pl_topn pl_topn;

pl_topn *pl_topn_create(uint32_t nkeys, const bool *desc, size_t limit, size_t max_rows);
void pl_topn_free(pl_topn *t); /* accepts NULL */
/* Offer a row: its sort keys and its rendered output bytes (both copied when kept). */
pluck_code pl_topn_offer(pl_topn *t, const pl_value *keys, const char *row, size_t len);
/* Sort what is kept; then rows are read with pl_topn_row(0..count-1). */
size_t pl_topn_finish(pl_topn *t);
const char *pl_topn_row(const pl_topn *t, size_t i, size_t *len);
/* The sort keys of row i (after pl_topn_finish), for partial results (partial.c). */
const pl_value *pl_topn_keys(const pl_topn *t, size_t i);

#endif /* PL_GROUP_H */

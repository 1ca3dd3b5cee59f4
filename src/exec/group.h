/*
 * group.h — the state behind pluck's GROUP BY extension (and SELECT DISTINCT over plain
 * expressions): a hash table of groups (key values -> aggregate states).  Memory grows
 * with the number of groups, capped by max-groups and by max-memory, never with the rows
 * read.  ORDER BY is sort.h's.
 */
#ifndef PL_GROUP_H
#define PL_GROUP_H

#include "exec/program.h"

typedef struct pl_group {
    uint64_t id;         /* 0, 1, ... in order of first appearance */
    pl_value *keys;      /* nkeys values, strings copied into the table's arena */
    pl_agg_state *aggs;  /* naggs states */
} pl_group;

typedef struct pl_groups pl_groups;

pl_groups *pl_groups_create(uint32_t nkeys, uint32_t naggs, size_t max_groups, size_t max_memory);
void pl_groups_free(pl_groups *g); /* accepts NULL */
/* The group for keys, created on first sight.  PLUCK_E_TOO_MANY_GROUPS past max_groups or
 * max_memory (pl_groups_over_memory tells which). */
pluck_code pl_groups_find(pl_groups *g, const pl_value *keys, pl_group **out);
size_t pl_groups_count(const pl_groups *g);
bool pl_groups_over_memory(const pl_groups *g);
pl_group *pl_groups_at(pl_groups *g, size_t i); /* in order of first appearance */

#endif /* PL_GROUP_H */

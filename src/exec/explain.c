/*
 * explain.c — pluck_query_explain(): the compiled plan in words, for `pluck --explain`.
 *
 * It reads only the bound program (program.h) and says what the executor will do with it:
 * which columns the scanner cuts, which WHERE conjuncts run on raw field bytes in the scan
 * and which literal prefilter skips lines before they are parsed, how GROUP BY / DISTINCT /
 * ORDER BY run and within which memory budget, and the ordering rule for CSV text.
 */
#include "exec/program.h"
#include "exec/sort.h"

#include <stdio.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void add(out *o, const char *fmt, ...) PL_PRINTF(2, 3);
static void add(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(p, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void colref(out *o, const struct pluck_query *q, uint32_t i)
{
    const pl_colref *c = &q->colrefs[i];
    if (c->name)
        add(o, c->quoted ? "\"%s\"" : "%s", c->name);
    else
        add(o, "_%u", c->index);
}

/* A bound expression in SQL-like text (enough to recognise it). */
static void expr(out *o, const struct pluck_query *q, const pl_node *n, int depth)
{
    static const char *cmp[] = {"=", "<>", "<", "<=", ">", ">="};
    if (!n) {
        add(o, "?");
        return;
    }
    if (depth > 6) {
        add(o, "...");
        return;
    }
    switch ((pl_node_op)n->op) {
    case PL_N_CONST: {
        char tmp[PL_TEXT_MAX];
        const char *p;
        size_t len = pl_value_text(&n->k, tmp, &p);
        if (n->k.type == PL_STRING)
            add(o, "'%.*s'", (int)(len > 40 ? 40 : len), p);
        else if (pl_v_absent(&n->k))
            add(o, n->k.type == PL_NULL ? "NULL" : "MISSING");
        else
            add(o, "%.*s", (int)len, p);
        return;
    }
    case PL_N_COL: colref(o, q, n->colref); return;
    case PL_N_AGG: {
        static const char *names[] = {"COUNT", "COUNT", "SUM", "AVG", "MIN", "MAX"};
        const pl_aggregate *a = &q->aggs[n->agg];
        add(o, "%s(%s", names[a->kind], a->distinct ? "DISTINCT " : "");
        if (a->arg)
            expr(o, q, a->arg, depth + 1);
        else
            add(o, "*");
        add(o, ")");
        return;
    }
    case PL_N_GROUPKEY: expr(o, q, q->group_by[n->key], depth + 1); return;
    case PL_N_CMP:
    case PL_N_CMP_STR:
    case PL_N_CMP_NUM:
        expr(o, q, n->args[0], depth + 1);
        add(o, " %s ", cmp[n->sub < 6 ? n->sub : 0]);
        expr(o, q, n->args[1], depth + 1);
        return;
    case PL_N_LIKE_LIT: {
        bool lead = n->sub == PL_LIKE_SUFFIX || n->sub == PL_LIKE_CONTAINS;
        bool trail = n->sub == PL_LIKE_PREFIX || n->sub == PL_LIKE_CONTAINS;
        expr(o, q, n->args[0], depth + 1);
        add(o, n->negated ? " NOT LIKE " : " LIKE ");
        add(o, "'%s%.*s%s'", lead ? "%" : "", (int)n->k.u.s.len, n->k.u.s.p, trail ? "%" : "");
        return;
    }
    case PL_N_AND:
    case PL_N_OR:
        add(o, "(");
        expr(o, q, n->args[0], depth + 1);
        add(o, n->op == PL_N_AND ? " AND " : " OR ");
        expr(o, q, n->args[1], depth + 1);
        add(o, ")");
        return;
    case PL_N_FUNC:
        add(o, "%s(", n->fn ? n->fn->name : "?");
        for (uint32_t i = 0; i < n->nargs; i++) {
            if (i)
                add(o, ", ");
            expr(o, q, n->args[i], depth + 1);
        }
        add(o, ")");
        return;
    case PL_N_CAST: {
        static const char *types[] = {"BOOL", "INT", "FLOAT", "DECIMAL", "STRING", "TIMESTAMP"};
        add(o, "CAST(");
        expr(o, q, n->args[0], depth + 1);
        add(o, " AS %s)", types[n->sub < 6 ? n->sub : 0]);
        return;
    }
    case PL_N_ARITH:
    case PL_N_CONCAT:
        add(o, "(");
        expr(o, q, n->args[0], depth + 1);
        if (n->op == PL_N_CONCAT)
            add(o, " || ");
        else
            add(o, " %c ", n->sub);
        expr(o, q, n->args[1], depth + 1);
        add(o, ")");
        return;
    default: {
        /* the rest: name the operator and its operands */
        static const char *names[] = {[PL_N_NEG] = "-", [PL_N_NOT] = "NOT", [PL_N_LIKE] = "LIKE",
                                      [PL_N_BETWEEN] = "BETWEEN", [PL_N_IN] = "IN",
                                      [PL_N_IS] = "IS", [PL_N_CASE] = "CASE"};
        const char *nm = n->op < PL_ARRAY_SIZE(names) && names[n->op] ? names[n->op] : "expr";
        add(o, "%s%s(", n->negated ? "NOT " : "", nm);
        for (uint32_t i = 0; i < n->nargs; i++) {
            if (i)
                add(o, ", ");
            expr(o, q, n->args[i], depth + 1);
        }
        add(o, ")");
        return;
    }
    }
}

/* The AND chain of WHERE, one conjunct a line, saying which run on raw field bytes. */
static void conjuncts(out *o, const struct pluck_query *q, const pl_node *n)
{
    if (n->op == PL_N_AND) {
        conjuncts(o, q, n->args[0]);
        conjuncts(o, q, n->args[1]);
        return;
    }
    add(o, "  - ");
    expr(o, q, n, 0);
    bool raw = (n->op == PL_N_CMP_STR || n->op == PL_N_CMP_NUM || n->op == PL_N_LIKE_LIT) &&
               n->args[0]->op == PL_N_COL;
    add(o, raw ? "   [in the scan, on the raw field bytes]\n" : "   [evaluated per row]\n");
}

static void mib(out *o, size_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        add(o, "%zu MiB", bytes >> 20);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        add(o, "%zu KiB", bytes >> 10);
    else
        add(o, "%zu bytes", bytes);
}

size_t pluck_query_explain(const pluck_query *q, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    if (!q)
        return 0;
    const struct pluck_params *p = &q->params;

    add(&o, "columns read: ");
    if (q->select_star) {
        add(&o, "all (SELECT *)");
    } else if (!q->ncolrefs) {
        add(&o, "none");
    } else {
        /* each distinct reference once */
        for (uint32_t i = 0; i < q->ncolrefs; i++) {
            bool dup = false;
            for (uint32_t j = 0; j < i && !dup; j++) {
                const pl_colref *a = &q->colrefs[i], *b = &q->colrefs[j];
                dup = a->name ? b->name && a->quoted == b->quoted && !strcmp(a->name, b->name)
                              : !b->name && a->index == b->index;
            }
            if (dup)
                continue;
            if (i)
                add(&o, ", ");
            colref(&o, q, i);
        }
        if (!q->uses_names)
            add(&o, " (the scanner cuts only the first %u fields of each record)",
                q->max_positional);
        else
            add(&o, " (matched to the header row; the scanner stops after the last one used)");
    }
    add(&o, "\n");

    if (q->where) {
        add(&o, "filter (WHERE, an AND chain evaluated a batch of records at a time):\n");
        conjuncts(&o, q, q->where);
    } else {
        add(&o, "filter: none\n");
    }
    if (q->prefilter_len)
        add(&o, "literal prefilter: '%.*s' (lines without these bytes are skipped before they "
                "are parsed)\n",
            (int)q->prefilter_len, q->prefilter);
    else
        add(&o, "literal prefilter: none\n");

    if (q->is_aggregate) {
        if (q->ngroup_by) {
            add(&o, "%s: hash table on ", q->distinct && !q->distinct_rows ? "DISTINCT (as GROUP BY of the SELECT list)" : "GROUP BY");
            for (uint32_t i = 0; i < q->ngroup_by; i++) {
                if (i)
                    add(&o, ", ");
                expr(&o, q, q->group_by[i], 0);
            }
            add(&o, "; at most %zu groups (--max-groups) and ", p->max_groups);
            mib(&o, p->max_memory);
            add(&o, " (--max-memory), else TooManyGroups; groups come out in order of first "
                    "appearance\n");
        } else {
            add(&o, "aggregate: one group over all records%s\n",
                q->has_distinct_aggs ? "" : " (plain files: two threads, states merged)");
        }
        if (q->has_distinct_aggs) {
            add(&o, "aggregate DISTINCT: a set of (group, value) pairs per DISTINCT aggregate, "
                    "within ");
            mib(&o, p->max_memory);
            add(&o, " each (--max-memory), else TooManyGroups\n");
        }
        if (q->having) {
            add(&o, "HAVING: ");
            expr(&o, q, q->having, 0);
            add(&o, " (per group)\n");
        }
    }
    if (q->distinct_rows) {
        add(&o, "DISTINCT: a set of the output rows as written, within ");
        mib(&o, p->max_memory);
        add(&o, " (--max-memory), else TooManyGroups; first occurrences are kept\n");
    }
    if (q->norder_by) {
        add(&o, "ORDER BY: %s; ", pl_sort_strategy(q));
        mib(&o, p->max_memory);
        if (q->has_limit && q->limit <= PL_SORT_HEAP_MAX)
            add(&o, " (--max-memory) for the kept rows, past that they become the first "
                    "sorted run of the external merge sort (spilling to %s)\n",
                p->temp_dir[0] ? p->temp_dir : "$TMPDIR (else /tmp)");
        else
            add(&o, " in memory (--max-memory), then sorted runs spill to %s and are merged\n",
                p->temp_dir[0] ? p->temp_dir : "$TMPDIR (else /tmp)");
        for (uint32_t i = 0; i < q->norder_by; i++) {
            add(&o, "  key %u: ", i + 1);
            expr(&o, q, q->order_by[i], 0);
            add(&o, " %s", q->order_desc[i] ? "DESC" : "ASC");
            if (q->order_nulls[i])
                add(&o, " NULLS %s; NULL, MISSING and empty CSV fields go %s",
                    q->order_nulls[i] == PL_NULLS_FIRST ? "FIRST" : "LAST",
                    q->order_nulls[i] == PL_NULLS_FIRST ? "first" : "last");
            else
                add(&o, "; NULL and MISSING go %s, an empty CSV field is text (after every "
                        "number%s)",
                    q->order_desc[i] ? "last" : "first",
                    q->order_desc[i] ? ", so first in DESC" : "");
            add(&o, "\n");
        }
        add(&o, "  order of values: NULL/MISSING < BOOL < numbers < timestamps < strings "
                "(bytewise, as LC_ALL=C sort); CSV text that reads as a number (12, 1.5, 1E2) "
                "sorts as that number; CAST(x AS STRING) sorts it as text; equal keys keep "
                "input order\n");
    }
    if (q->has_limit)
        add(&o, "LIMIT %llu%s\n", (unsigned long long)q->limit,
            q->is_aggregate || q->norder_by ? "" : ": reading stops once it is reached");
    add(&o, "threads: %u%s\n", p->threads,
        p->threads > 1 ? (q->norder_by || q->ngroup_by || q->distinct_rows || q->has_distinct_aggs
                              ? " (decompression on its own thread; one thread evaluates)"
                              : " (decompression on its own thread; a plain file is split "
                                "across threads)")
                       : "");
    return o.len;
}

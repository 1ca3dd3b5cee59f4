/*
 * query.c — compiling SQL into an immutable pluck_query (parse, then bind), and the version
 * and feature queries of the public API.
 */
#include "codec/codec.h"
#include "exec/program.h"
#include "sql/suggest.h"

#include <stdlib.h>
#include <string.h>

#define PL_MAX_SQL (256 * 1024) /* S3: ExpressionTooLong above 256 KB */

const char *pluck_version_string(void) { return PLUCK_VERSION_STRING; }
unsigned pluck_version_number(void) { return PLUCK_VERSION_NUMBER; }
const char *pluck_features(void) { return pl_codec_features(); }

pluck_query *pluck_query_compile(const char *sql, size_t len, const pluck_params *params,
                                 pluck_error *err)
{
    pluck_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (!sql)
        sql = "", len = 0;
    if (len > PL_MAX_SQL) {
        pl_error_set(err, PLUCK_E_EXPRESSION_TOO_LONG,
                     "The SQL expression is too long: %zu bytes, the maximum is %d.", len,
                     PL_MAX_SQL);
        return NULL;
    }
    pluck_query *q = calloc(1, sizeof *q);
    if (!q) {
        pl_error_set(err, PLUCK_E_OUT_OF_MEMORY, "Out of memory while compiling the query.");
        return NULL;
    }
    if (params)
        q->params = *params;
    else
        pl_params_defaults(&q->params);
    q->sql = pl_arena_strndup(&q->arena, sql, len);
    q->sql_len = len;
    pl_select *sel = NULL;
    pluck_code rc = q->sql ? PLUCK_OK : PLUCK_E_OUT_OF_MEMORY;
    if (rc)
        pl_error_set(err, rc, "Out of memory while compiling the query.");
    if (!rc)
        rc = pl_parse(q->sql, len, &q->arena, &sel, err);
    if (!rc)
        rc = pl_bind(q, sel, err);
    if (rc) {
        pl_suggest_reserved(err, sql, len);
        pluck_query_free(q);
        return NULL;
    }
    return q;
}

void pluck_query_free(pluck_query *q)
{
    if (!q)
        return;
    pl_arena_free(&q->arena);
    free(q);
}

int pluck_query_is_aggregate(const pluck_query *q) { return q && q->is_aggregate; }

uint32_t pluck_query_column_count(const pluck_query *q)
{
    return q && !q->select_star ? q->ncols : 0;
}

const char *pluck_query_column_name(const pluck_query *q, uint32_t i)
{
    return i < pluck_query_column_count(q) ? q->cols[i].name : NULL;
}

int64_t pluck_query_limit(const pluck_query *q)
{
    return q && q->has_limit && q->limit <= INT64_MAX ? (int64_t)q->limit : -1;
}

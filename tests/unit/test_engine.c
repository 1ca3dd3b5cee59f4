/*
 * test_engine.c — the whole library through its public API only (pluck.h): compile a query,
 * run it over in-memory CSV (plain, gzip, zstd), collect the output through the write
 * callback, and compare it byte for byte.
 *
 * Every query case is run three ways — the input in one feed, one byte per feed, and three
 * bytes per feed — and all three must give the same output and status, so the push API's
 * chunking never shows.  Error cases check S3's code, the SQL position for compile-time
 * errors, and the record number for evaluation errors.  Further tests cover LIMIT stopping
 * the input early, statistics, the write and progress callbacks, the pull API, and one
 * compiled query shared by four threads.
 */
#include <criterion/criterion.h>

#include "pluck.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* ---- helpers --------------------------------------------------------------------------- */

/* Parameters as (id, value) pairs; the list ends with {PLUCK_PARAM_COUNT, NULL}. */
typedef struct kv {
    pluck_param id;
    const char *v;
} kv;

#define END {PLUCK_PARAM_COUNT, NULL}
static const kv NOPARAMS[] = {END};
static const kv HDR[] = {{PLUCK_PARAM_FILE_HEADER_INFO, "USE"}, END};
static const kv JSON[] = {{PLUCK_PARAM_OUTPUT_FORMAT, "JSON"}, END};
static const kv HDR_JSON[] = {
    {PLUCK_PARAM_FILE_HEADER_INFO, "USE"}, {PLUCK_PARAM_OUTPUT_FORMAT, "JSON"}, END};

static pluck_params *make_params(const kv *list)
{
    pluck_params *p = pluck_params_create();
    cr_assert(p);
    for (; list && list->id != PLUCK_PARAM_COUNT; list++) {
        pluck_error err;
        pluck_code rc = pluck_params_set(p, list->id, list->v, strlen(list->v), &err);
        cr_assert_eq(rc, PLUCK_OK, "parameter %d = '%s': %s", (int)list->id, list->v,
                     err.message);
    }
    return p;
}

static pluck_query *compile_ok(const char *sql, const kv *list)
{
    pluck_params *p = make_params(list);
    pluck_error err;
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &err);
    pluck_params_free(p);
    cr_assert(q, "compile failed: %s: %s\n  SQL: %s", pluck_code_name(err.code), err.message,
              sql);
    return q;
}

/* Output collected from the write callback. */
typedef struct sink {
    char *p;
    size_t n, cap;
    size_t calls;
    int refuse;      /* return this from the callback */
    size_t max_call; /* largest single chunk */
} sink;

static int sink_write(void *opaque, const char *data, size_t len)
{
    sink *s = opaque;
    s->calls++;
    if (len > s->max_call)
        s->max_call = len;
    if (s->refuse)
        return s->refuse;
    if (s->n + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->n + len + 1)
            cap *= 2;
        s->p = realloc(s->p, cap);
        cr_assert(s->p);
        s->cap = cap;
    }
    memcpy(s->p + s->n, data, len);
    s->n += len;
    s->p[s->n] = '\0';
    return 0;
}

typedef struct outcome {
    char *out; /* NUL-terminated, owned */
    size_t n;
    pluck_code feed;   /* the first status other than PLUCK_OK from pluck_run_feed */
    size_t fed;        /* bytes handed to pluck_run_feed before it stopped asking */
    pluck_code finish; /* pluck_run_finish */
    pluck_error err;
    pluck_stats st;
    char codec[64];
} outcome;

#define WHOLE ((size_t)-1)

static outcome run_q(const pluck_query *q, const void *in, size_t n, size_t chunk)
{
    outcome o;
    memset(&o, 0, sizeof o);
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert(r);
    const char *p = in;
    size_t off = 0;
    o.feed = PLUCK_OK;
    while (off < n) {
        size_t k = n - off < chunk ? n - off : chunk;
        pluck_code rc = pluck_run_feed(r, p + off, k);
        off += k;
        if (rc != PLUCK_OK) {
            o.feed = rc;
            break;
        }
    }
    o.fed = off;
    o.finish = pluck_run_finish(r);
    o.err = *pluck_run_error(r);
    pluck_run_stats(r, &o.st);
    snprintf(o.codec, sizeof o.codec, "%s", o.st.codec ? o.st.codec : "(null)");
    o.st.codec = NULL;
    o.st.scan_kernel = NULL;
    pluck_run_free(r);
    o.out = s.p ? s.p : calloc(1, 1);
    o.n = s.n;
    return o;
}

static void outcome_free(outcome *o)
{
    free(o->out);
    o->out = NULL;
}

static const size_t chunkings[] = {WHOLE, 1, 3};

/* The query gives exactly `want` (and PLUCK_OK) however the input is cut. */
static void expect_p(const char *sql, const kv *params, const char *in, const char *want)
{
    pluck_query *q = compile_ok(sql, params);
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        outcome o = run_q(q, in, strlen(in), chunkings[c]);
        cr_assert_eq(o.finish, PLUCK_OK, "%s\n  failed: %s: %s (chunk %zu)", sql,
                     pluck_code_name(o.finish), o.err.message, chunkings[c]);
        cr_assert(o.feed == PLUCK_OK || o.feed == PLUCK_STOP, "%s: feed gave %s", sql,
                  pluck_code_name(o.feed));
        cr_assert_str_eq(o.out, want, "%s\n  output [%s]\n  want   [%s] (chunk %zu)", sql, o.out,
                         want, chunkings[c]);
        outcome_free(&o);
    }
    pluck_query_free(q);
}

static void expect(const char *sql, const char *in, const char *want)
{
    expect_p(sql, NOPARAMS, in, want);
}

/* The query fails at run time with `code`, reported at record `record` (1-based, counting
 * the header and comments; 0 when not about a record), after writing `want_out`. */
static void expect_run_error_p(const char *sql, const kv *params, const char *in,
                               pluck_code code, uint64_t record, const char *want_out)
{
    pluck_query *q = compile_ok(sql, params);
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        outcome o = run_q(q, in, strlen(in), chunkings[c]);
        cr_assert_eq(o.finish, code, "%s: finish gave %s, want %s (chunk %zu)", sql,
                     pluck_code_name(o.finish), pluck_code_name(code), chunkings[c]);
        cr_assert_eq(o.err.code, code, "%s: error %s", sql, pluck_code_name(o.err.code));
        cr_assert_neq(o.err.message[0], '\0');
        cr_assert_eq(o.err.record, record, "%s: error at record %llu, want %llu (chunk %zu)",
                     sql, (unsigned long long)o.err.record, (unsigned long long)record,
                     chunkings[c]);
        if (want_out)
            cr_assert_str_eq(o.out, want_out, "%s: output [%s], want [%s]", sql, o.out,
                             want_out);
        outcome_free(&o);
    }
    pluck_query_free(q);
}

static void expect_run_error(const char *sql, const char *in, pluck_code code, uint64_t record)
{
    expect_run_error_p(sql, NOPARAMS, in, code, record, NULL);
}

/* Compiling fails with `code` at 1-based line:column. */
static void expect_compile_error_p(const char *sql, const kv *params, pluck_code code,
                                   uint32_t line, uint32_t col)
{
    pluck_params *p = make_params(params);
    pluck_error err;
    memset(&err, 0x5a, sizeof err);
    pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &err);
    pluck_params_free(p);
    cr_assert_null(q, "%s: compiled but should fail with %s", sql, pluck_code_name(code));
    cr_assert_eq(err.code, code, "%s: got %s (%s), want %s", sql, pluck_code_name(err.code),
                 err.message, pluck_code_name(code));
    if (code != PLUCK_E_INTEGER_OVERFLOW) /* classed as an evaluation error */
        cr_assert_eq(pluck_code_get_class(err.code), PLUCK_CLASS_QUERY, "%s", sql);
    cr_assert(memchr(err.message, '\0', sizeof err.message) && err.message[0], "%s", sql);
    cr_assert_eq(err.sql_line, line, "%s: line %u, want %u (%s)", sql, err.sql_line, line,
                 err.message);
    cr_assert_eq(err.sql_column, col, "%s: column %u, want %u (%s)", sql, err.sql_column, col,
                 err.message);
    cr_assert_eq(err.record, 0);
}

static void expect_compile_error(const char *sql, pluck_code code, uint32_t line, uint32_t col)
{
    expect_compile_error_p(sql, NOPARAMS, code, line, col);
}

/* ---- projection ------------------------------------------------------------------------- */

Test(engine, select_star)
{
    expect("SELECT * FROM S3Object", "a,b\nc,d\n", "a,b\nc,d\n");
    expect("select * from s3object", "a,b\nc,d\n", "a,b\nc,d\n");
    expect("SELECT * FROM S3Object;", "x\n", "x\n");
    /* no final record delimiter: the last record still counts */
    expect("SELECT * FROM S3Object", "a,b\nc,d", "a,b\nc,d\n");
    expect("SELECT * FROM S3Object", "", "");
    /* records of different widths are written as they are */
    expect("SELECT * FROM S3Object", "a\nb,c,d\n", "a\nb,c,d\n");
}

Test(engine, positional_columns)
{
    expect("SELECT _2, _1 FROM S3Object", "a,b\nc,d\n", "b,a\nd,c\n");
    expect("SELECT _1, _1 FROM S3Object", "a,b\n", "a,a\n");
    /* a column past the end of the record is MISSING: an empty field */
    expect("SELECT _1, _3 FROM S3Object", "a,b\nc,d,e\n", "a,\nc,e\n");
    expect("SELECT s._2 FROM S3Object s", "a,b\n", "b\n");
    expect("SELECT S3Object._2 FROM S3Object", "a,b\n", "b\n");
}

Test(engine, header_names)
{
    const char *in = "name,Age\nann,3\nbob,40\n";
    expect_p("SELECT name, age FROM S3Object", HDR, in, "ann,3\nbob,40\n");
    expect_p("SELECT s.NAME, s.\"Age\" FROM S3Object AS s", HDR, in, "ann,3\nbob,40\n");
    expect_p("SELECT _2 FROM S3Object", HDR, in, "3\n40\n");
    expect_p("SELECT * FROM S3Object", HDR, in, "ann,3\nbob,40\n");
    expect_p("SELECT s.* FROM S3Object s", HDR, in, "ann,3\nbob,40\n");
    /* IGNORE skips the first record */
    static const kv IGN[] = {{PLUCK_PARAM_FILE_HEADER_INFO, "IGNORE"}, END};
    expect_p("SELECT _1 FROM S3Object", IGN, in, "ann\nbob\n");
    /* NONE: the first record is data */
    expect("SELECT _1 FROM S3Object", in, "name\nann\nbob\n");
}

Test(engine, quoted_input_requoted_on_output)
{
    expect("SELECT _1, _2 FROM S3Object", "\"a,b\",c\n\"say \"\"hi\"\"\",\"\"\n",
           "\"a,b\",c\n\"say \"\"hi\"\"\",\n");
    static const kv AQRD[] = {{PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, "TRUE"}, END};
    expect_p("SELECT _2 FROM S3Object", AQRD, "a,\"multi\nline\"\n", "\"multi\nline\"\n");
    /* without AllowQuotedRecordDelimiter a newline inside quotes is an error */
    expect_run_error("SELECT _2 FROM S3Object", "a,\"multi\nline\"\n",
                     PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, 1);
}

Test(engine, crlf_bom_comments_and_empty_records)
{
    expect("SELECT _2 FROM S3Object", "a,b\r\nc,d\r\n", "b\nd\n");
    expect("SELECT _1 FROM S3Object", "#comment\na\n# another\nb\n", "a\nb\n");
    expect("SELECT _1 FROM S3Object", "a\n\n\nb\n", "a\nb\n");
    expect_p("SELECT a FROM S3Object", HDR, "\xEF\xBB\xBF" "a,b\n1,2\n", "1\n");
}

Test(engine, literals_and_concat)
{
    expect("SELECT 1, 'x', 1.50, TRUE, FALSE, NULL, -2 FROM S3Object", "z\n",
           "1,x,1.50,true,false,,-2\n");
    expect("SELECT 'it''s' FROM S3Object", "z\n", "it's\n");
    expect("SELECT _1 || '-' || _2, 'a' || 1 || 1.50, _1 || _3 FROM S3Object", "5,x\n",
           "5-x,a11.50,\n");
}

Test(engine, arithmetic)
{
    expect("SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 2 + 3 * 4, (2 + 3) * 4 FROM S3Object", "z\n",
           "3,-3,1,-1,14,20\n");
    expect("SELECT 0.1 + 0.2, 1.10 * 2, 1.0 / 8, 161 / 2.0, 1e6, 1e6 + 1 FROM S3Object", "z\n",
           "0.3,2.20,0.125,80.5,1000000,1000001\n");
    /* CSV fields are read as numbers; one that is not a number gives NULL */
    expect("SELECT _1 + 1, _1 * 2, _2 + 1, -_1 FROM S3Object", "1.5,\n2,x\n",
           "2.5,3.0,,-1.5\n3,4,,-2\n");
    expect("SELECT _1 + _2 FROM S3Object", "9223372036854775806,1\n", "9223372036854775807\n");
}

/* ---- WHERE -------------------------------------------------------------------------------- */

Test(engine, where_untyped_vs_number)
{
    /* a field that is not a number makes the comparison unknown: the record is dropped */
    expect("SELECT _2 FROM S3Object WHERE _1 > 5", "10,a\n,b\nabc,c\n4,d\n6.5,e\n1e1,f\n",
           "a\ne\nf\n");
    expect("SELECT _1 FROM S3Object WHERE _1 = 10", "10\n10.0\n1e1\n010\n11\nx\n",
           "10\n10.0\n1e1\n010\n");
    expect("SELECT _1 FROM S3Object WHERE _1 <> 10", "10\n11\nx\n", "11\n");
    expect("SELECT _1 FROM S3Object WHERE _1 >= 1.5 AND _1 < 2", "1.49\n1.5\n1.99\n2\n",
           "1.5\n1.99\n");
    expect("SELECT _1 FROM S3Object WHERE -_1 < -5", "6\n5\n", "6\n");
}

Test(engine, where_untyped_vs_string)
{
    /* against a string literal a field is a string */
    expect("SELECT _1 FROM S3Object WHERE _1 = '10'", "10\n10.0\n", "10\n");
    expect("SELECT _1 FROM S3Object WHERE _1 > 'b'", "a\nb\nc\n", "c\n");
    expect("SELECT _1 FROM S3Object WHERE _1 = ''", "a,1\n,2\n", "\n");
}

Test(engine, where_two_fields)
{
    /* numbers when both parse, strings otherwise */
    expect("SELECT _1, _2 FROM S3Object WHERE _1 < _2", "2,10\n10,2\nb,a\na,b\n2,a\n",
           "2,10\na,b\n2,a\n");
    expect("SELECT _1 = _2 FROM S3Object", "1,1.0\n01,1\na,a\na,A\n",
           "true\ntrue\ntrue\nfalse\n");
}

Test(engine, three_valued_logic)
{
    expect("SELECT _1 > 5 OR TRUE, _1 > 5 AND FALSE, _1 > 5 AND TRUE, _1 > 5 OR FALSE, "
           "NOT (_1 > 5) FROM S3Object",
           "x\n", "true,false,,,\n");
    expect("SELECT NULL = NULL, 1 = NULL, NULL <> 1, _3 = 1, _3 IS MISSING FROM S3Object",
           "x\n", ",,,,true\n");
    /* NOT of unknown is unknown: neither the condition nor its negation keeps x */
    expect("SELECT _1 FROM S3Object WHERE NOT (_1 > 5)", "10\n1\nx\n", "1\n");
    expect("SELECT _1 FROM S3Object WHERE _1 > 5", "10\n1\nx\n", "10\n");
    expect("SELECT _1 FROM S3Object WHERE _1 > 5 OR _2 = 'y'", "x,y\nx,n\n7,n\n", "x\n7\n");
    expect("SELECT _1 FROM S3Object WHERE NOT (_1 > 5 AND _2 = 'y')", "x,n\nx,y\n9,y\n",
           "x\n");
    /* a non-boolean WHERE keeps nothing */
    expect("SELECT _1 FROM S3Object WHERE NULL", "a\n", "");
    expect("SELECT _1 FROM S3Object WHERE TRUE", "a\n", "a\n");
}

Test(engine, different_types_never_equal)
{
    expect("SELECT '1' = 1, '1' <> 1, '1' < 1, TRUE = 1, 'a' = 'a' FROM S3Object", "x\n",
           "false,true,,false,true\n");
    /* an untyped field reads as a boolean against TRUE / FALSE */
    expect("SELECT _1 = TRUE FROM S3Object", "true\nTRUE\nfalse\nx\n", "true\ntrue\nfalse\n\n");
}

Test(engine, like)
{
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE 'a%'", "abc\nba\na\nA\n", "abc\na\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE '_b_'", "abc\nab\n\xc3\xa9" "bc\nabcd\n",
           "abc\n\xc3\xa9" "bc\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE '%'", "a\n,\n", "a\n\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE 'abc'", "abc\nabcd\nABC\n", "abc\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE '%b%c'", "abxbc\nabcx\nbc\n", "abxbc\nbc\n");
    expect("SELECT _1 FROM S3Object WHERE _1 NOT LIKE '%b%'", "abc\nxyz\n", "xyz\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE '%!%%' ESCAPE '!'", "50%\n50\n%\n",
           "50%\n%\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE 'a\\_c' ESCAPE '\\'", "a_c\nabc\n", "a_c\n");
    expect("SELECT _1 FROM S3Object WHERE _1 LIKE 'a!!' ESCAPE '!'", "a!\na\n", "a!\n");
    expect("SELECT _1 LIKE 'a%', NULL LIKE 'a', _3 LIKE 'a' FROM S3Object", "abc\n",
           "true,,\n");
}

Test(engine, like_errors)
{
    expect_run_error("SELECT _1 FROM S3Object WHERE _1 LIKE 'a!' ESCAPE '!'", "abc\n",
                     PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE, 1);
    expect_run_error("SELECT _1 FROM S3Object WHERE _1 LIKE 'a!b' ESCAPE '!'", "abc\n",
                     PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE, 1);
    expect_run_error("SELECT _1 FROM S3Object WHERE _1 LIKE 'a' ESCAPE '!!'", "abc\n",
                     PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE, 1);
    expect_run_error("SELECT _1 FROM S3Object WHERE 1 LIKE 'a'", "abc\n",
                     PLUCK_E_LIKE_INVALID_INPUTS, 1);
}

Test(engine, between)
{
    expect("SELECT _1 FROM S3Object WHERE _1 BETWEEN 2 AND 10", "1\n2\n5\n10\n11\nx\n",
           "2\n5\n10\n");
    expect("SELECT _1 FROM S3Object WHERE _1 NOT BETWEEN 2 AND 10", "1\n2\n5\n10\n11\nx\n",
           "1\n11\n");
    expect("SELECT _1 FROM S3Object WHERE _1 BETWEEN 'b' AND 'd'", "a\nb\nc\nd\ne\n",
           "b\nc\nd\n");
    expect("SELECT _1 FROM S3Object WHERE _1 BETWEEN 1.5 AND 2.5", "1.4\n1.5\n2\n2.50\n2.51\n",
           "1.5\n2\n2.50\n");
    expect("SELECT 5 BETWEEN 10 AND 1, 5 BETWEEN NULL AND 10, 50 BETWEEN NULL AND 10 "
           "FROM S3Object",
           "x\n", "false,,false\n");
}

Test(engine, in_list)
{
    expect("SELECT _1 FROM S3Object WHERE _1 IN (1, 3, 'x')", "1\n2\n3\nx\n1.0\n",
           "1\n3\nx\n1.0\n");
    expect("SELECT _1 FROM S3Object WHERE _1 NOT IN (1, 3)", "1\n2\n3\n4\n", "2\n4\n");
    expect("SELECT _1 FROM S3Object WHERE _1 IN ('a', 'b')", "a\nb\nc\n", "a\nb\n");
    expect("SELECT 1 IN (2, NULL), 1 IN (1, NULL), 1 NOT IN (2, NULL), 1 NOT IN (1, 2) "
           "FROM S3Object",
           "x\n", ",true,,false\n");
}

Test(engine, is_null_missing)
{
    expect("SELECT _3 IS MISSING, _3 IS NULL, _3 IS NOT MISSING, _3 IS NOT NULL, "
           "_1 IS NULL, NULL IS MISSING, NULL IS NULL, MISSING IS NULL FROM S3Object",
           "a,b\na,b,c\n",
           "true,true,false,false,false,false,true,true\n"
           "false,false,true,true,false,false,true,true\n");
    /* an empty field is an empty string, not NULL */
    expect("SELECT _2 IS NULL, _2 = '' FROM S3Object", "a,\n", "false,true\n");
    expect("SELECT _1 FROM S3Object WHERE _2 IS MISSING", "a\nb,c\nd\n", "a\nd\n");
}

/* ---- CAST ----------------------------------------------------------------------------------- */

Test(engine, cast_types)
{
    expect("SELECT CAST(_1 AS INT), CAST(_1 AS FLOAT), CAST(_1 AS DECIMAL), CAST(_1 AS STRING) "
           "FROM S3Object",
           " 2.75 \n-2.75\n1e3\n7\n",
           "2,2.75,2.75, 2.75 \n-2,-2.75,-2.75,-2.75\n1000,1000,1000,1e3\n7,7,7,7\n");
    expect("SELECT CAST(_1 AS BOOL) FROM S3Object", "TRUE\nfalse\n true \n", "true\nfalse\ntrue\n");
    expect("SELECT CAST(_1 AS INTEGER), CAST(_1 AS NUMERIC) FROM S3Object", "12\n", "12,12\n");
    expect("SELECT CAST(1.5 AS INT), CAST(-1.5 AS INT), CAST(TRUE AS INT), CAST(3 AS BOOL), "
           "CAST(0 AS BOOL), CAST(1.25 AS STRING), CAST(0.1 AS FLOAT), CAST(1e2 AS DECIMAL) "
           "FROM S3Object",
           "x\n", "1,-1,1,true,false,1.25,0.1,100\n");
    expect("SELECT CAST(NULL AS INT), CAST(_9 AS INT), CAST(_9 AS STRING) IS MISSING "
           "FROM S3Object",
           "x\n", ",,true\n");
    /* casting makes a typed value: now '10' is compared as a number */
    expect("SELECT _1 FROM S3Object WHERE CAST(_1 AS INT) > 9", "10\n9\n", "10\n");
    expect("SELECT CAST(_1 AS STRING) = 10 FROM S3Object", "10\n", "false\n");
    expect("SELECT CAST(1.50 AS DECIMAL), CAST(_1 AS DECIMAL) * 2 FROM S3Object", "0.10\n",
           "1.50,0.20\n");
}

Test(engine, cast_failures)
{
    expect_run_error_p("SELECT CAST(_1 AS INT) FROM S3Object", NOPARAMS, "1\n2\nabc\n4\n",
                       PLUCK_E_CAST_FAILED, 3, "1\n2\n");
    /* the record number counts the header and comment lines */
    expect_run_error_p("SELECT CAST(h AS INT) FROM S3Object", HDR, "h\n1\n#c\n2\nabc\n4\n",
                       PLUCK_E_CAST_FAILED, 5, "1\n2\n");
    expect_run_error("SELECT CAST(_1 AS BOOL) FROM S3Object", "yes\n", PLUCK_E_CAST_FAILED, 1);
    expect_run_error("SELECT CAST(_1 AS FLOAT) FROM S3Object", "1;5\n", PLUCK_E_CAST_FAILED, 1);
    expect_run_error("SELECT CAST(_1 AS DECIMAL) FROM S3Object", "a\n", PLUCK_E_CAST_FAILED, 1);
    expect_run_error("SELECT CAST(_1 AS INT) FROM S3Object", ",\n", PLUCK_E_CAST_FAILED, 1);
    expect_run_error("SELECT CAST('9223372036854775808' AS INT) FROM S3Object", "x\n",
                     PLUCK_E_INTEGER_OVERFLOW, 1);
}

Test(engine, cast_failed_position)
{
    pluck_query *q = compile_ok("SELECT _1,\n  CAST(_2 AS INT) FROM S3Object", NOPARAMS);
    const char *in = "a,1\nb,2\nc,x\n";
    outcome o = run_q(q, in, strlen(in), WHOLE);
    cr_assert_eq(o.finish, PLUCK_E_CAST_FAILED);
    cr_assert_eq(o.err.record, 3);
    cr_assert_eq(o.err.byte_offset, 8);
    cr_assert_eq(o.err.sql_line, 2);
    cr_assert_eq(o.err.sql_column, 3);
    cr_assert_eq(pluck_code_get_class(o.err.code), PLUCK_CLASS_EVALUATION);
    cr_assert_str_eq(o.out, "a,1\nb,2\n");
    outcome_free(&o);
    pluck_query_free(q);
}

/* CAST of a float in exponent range to DECIMAL fails: 1e21 is 1000000000000000000000, well
 * within 38 digits, but the conversion goes through the float's text "1e21". */
Test(engine, cast_float_to_decimal_exponent_range)
{
    expect("SELECT CAST(1e21 AS DECIMAL), CAST(1e-8 AS DECIMAL) FROM S3Object", "x\n",
           "1000000000000000000000,0.00000001\n");
    expect("SELECT CAST(_1 AS DECIMAL) FROM S3Object", "1e21\n", "1000000000000000000000\n");
}

/* ---- CASE, COALESCE, NULLIF ------------------------------------------------------------------ */

Test(engine, case_expressions)
{
    expect("SELECT CASE _1 WHEN '1' THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END FROM S3Object",
           "1\n2\n3\nx\n", "one\ntwo\nmany\nmany\n");
    expect("SELECT CASE WHEN _1 > 2 THEN 'big' WHEN _1 > 1 THEN 'mid' END FROM S3Object",
           "1\n2\n3\nx\n", "\nmid\nbig\n\n");
    /* WHEN NULL never matches */
    expect("SELECT CASE _1 WHEN NULL THEN 'null' ELSE 'other' END FROM S3Object", "a\n",
           "other\n");
    expect("SELECT CASE WHEN _2 IS MISSING THEN 'short' ELSE _2 END FROM S3Object", "a\nb,c\n",
           "short\nc\n");
    /* the first true branch wins */
    expect("SELECT CASE WHEN TRUE THEN 1 WHEN TRUE THEN 2 END FROM S3Object", "a\n", "1\n");
}

Test(engine, coalesce_nullif)
{
    expect("SELECT COALESCE(_3, _2, 'z'), COALESCE(NULL, MISSING), COALESCE(_3, 'z') "
           "FROM S3Object",
           "a,b\na,,c\n", "b,,z\nc,,c\n");
    expect_p("SELECT COALESCE(NULL, MISSING) AS c, COALESCE(_9, 1) AS d FROM S3Object", JSON,
             "a\n", "{\"c\":null,\"d\":1}\n");
    expect("SELECT NULLIF(_1, 'a'), NULLIF(1, 1.0), NULLIF(1, 2), NULLIF(NULL, 1), "
           "NULLIF(_1, NULL) FROM S3Object",
           "a\nb\n", ",,1,,a\nb,,1,,b\n");
}

/* NULLIF(a, b) is CASE WHEN a = b THEN NULL ELSE a END, but for two CSV fields it compares
 * bytes while = compares them as numbers: with "1,1.0" `_1 = _2` is true, yet
 * NULLIF(_1, _2) returns '1' instead of NULL. */
Test(engine, nullif_agrees_with_equals)
{
    expect("SELECT _1 = _2, NULLIF(_1, _2) IS NULL FROM S3Object", "1,1.0\n1,2\n",
           "true,true\nfalse,false\n");
}

/* ---- string functions -------------------------------------------------------------------------- */

Test(engine, substring)
{
    expect("SELECT SUBSTRING('123456789', 0, 3), SUBSTRING('123456789' FROM 2 FOR 3), "
           "SUBSTRING('abc', 2), SUBSTRING('abc', -5, 3), SUBSTRING('abc', 5), "
           "SUBSTRING('abc', 2, 0), SUBSTRING('abc' FROM 2), SUBSTRING('abc', -1, 3) "
           "FROM S3Object",
           "x\n", "12,234,bc,,,,bc,a\n");
    /* characters, not bytes */
    expect("SELECT SUBSTRING('h\xc3\xa9llo', 2, 3), SUBSTRING(_1, 2) FROM S3Object",
           "a\xc3\xa9\xe6\x97\xa5x\n", "\xc3\xa9ll,\xc3\xa9\xe6\x97\xa5x\n");
    expect("SELECT SUBSTRING(_1, _2, _3) FROM S3Object", "abcdef,2,3\n", "bcd\n");
    expect("SELECT SUBSTRING(_9, 1), SUBSTRING(NULL, 1) IS NULL FROM S3Object", "x\n", ",true\n");
    expect_run_error("SELECT SUBSTRING('abc', 2, -1) FROM S3Object", "x\n",
                     PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT, 1);
}

/* SUBSTRING's positions are converted from float/decimal to int64 with an unchecked cast
 * (undefined behaviour out of range; INT64_MIN on x86): a huge start returns the whole
 * string, and a huge positive length is reported as negative. */
Test(engine, substring_huge_positions)
{
    expect("SELECT SUBSTRING('abcdef', 1e30), SUBSTRING('abcdef', 2, 1e19) FROM S3Object", "x\n",
           ",bcdef\n");
    expect("SELECT SUBSTRING(_1, _2) FROM S3Object", "abcdef,99999999999999999999\n", "\n");
}

Test(engine, trim)
{
    expect("SELECT TRIM('  a  '), TRIM(LEADING FROM '  a  '), TRIM(TRAILING FROM '  a  '), "
           "TRIM(BOTH 'xy' FROM 'xyaxy'), TRIM(BOTH FROM '  a  '), TRIM('x' FROM 'xxaxx') "
           "FROM S3Object",
           "z\n", "a,a  ,  a,a,a,a\n");
    expect("SELECT TRIM('\xc3\xa9' FROM '\xc3\xa9\xc3\xa9" "a\xc3\xa9'), TRIM(LEADING 'ab' FROM "
           "'abbaXab') FROM S3Object",
           "z\n", "a,Xab\n");
    expect("SELECT '[' || TRIM(_1) || ']' FROM S3Object", "  padded field  \n",
           "[padded field]\n");
    expect("SELECT TRIM('   '), CHAR_LENGTH(TRIM('   ')) FROM S3Object", "z\n", ",0\n");
}

Test(engine, char_length_and_case)
{
    expect("SELECT CHAR_LENGTH('h\xc3\xa9llo'), CHARACTER_LENGTH(_1), CHAR_LENGTH(''), "
           "CHAR_LENGTH(_2) FROM S3Object",
           "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e,\n", "5,3,0,0\n");
    expect("SELECT CHAR_LENGTH(_5) IS MISSING, CHAR_LENGTH(NULL) IS NULL FROM S3Object", "x\n",
           "true,true\n");
    /* Latin, Greek and Cyrillic letters change case; other scripts are unchanged */
    expect("SELECT UPPER('a\xc3\xa9z'), LOWER('ABC def'), UPPER(_1) FROM S3Object", "mIx\n",
           "A\xc3\x89Z,abc def,MIX\n");
    expect("SELECT LOWER('\xc3\x89T\xc3\x89'), UPPER('\xce\xb1\xce\xb2'), "
           "LOWER('\xd0\x94\xd0\x90'), UPPER('\xe6\x97\xa5x') FROM S3Object",
           "z\n", "\xc3\xa9t\xc3\xa9,\xce\x91\xce\x92,\xd0\xb4\xd0\xb0,\xe6\x97\xa5X\n");
    expect("SELECT _1 FROM S3Object WHERE LOWER(_1) = 'abc'", "ABC\naBc\nabd\n", "ABC\naBc\n");
}

Test(engine, function_errors)
{
    expect_run_error("SELECT LOWER(1) FROM S3Object", "x\n",
                     PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE, 1);
    expect_run_error("SELECT CHAR_LENGTH(5) FROM S3Object", "x\n",
                     PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE, 1);
    expect_run_error("SELECT 'a' + 1 FROM S3Object", "x\n", PLUCK_E_INVALID_DATA_TYPE, 1);
    expect_run_error("SELECT _1 / 0 FROM S3Object", "3\n", PLUCK_E_DIVISION_BY_ZERO, 1);
    expect_run_error("SELECT _1 / _2 FROM S3Object", "3,1\n4,2\n5,0\n",
                     PLUCK_E_DIVISION_BY_ZERO, 3);
    expect_run_error("SELECT _1 + 1 FROM S3Object", "1\n9223372036854775807\n",
                     PLUCK_E_INTEGER_OVERFLOW, 2);
    expect_run_error("SELECT -_1 FROM S3Object", "-9223372036854775808\n",
                     PLUCK_E_INTEGER_OVERFLOW, 1);
}

/* ---- aggregates ----------------------------------------------------------------------------------- */

Test(engine, aggregates)
{
    expect("SELECT COUNT(*), COUNT(_2), SUM(_1), AVG(_1), MIN(_1), MAX(_1) FROM S3Object",
           "1,a\n2\n4.5,c\n,d\nx,e\n", "5,4,7.5,2.5,1,x\n");
    expect("SELECT SUM(_1), AVG(_1) FROM S3Object", "80\n81\n", "161,80.5\n");
    expect("SELECT SUM(_1), AVG(_1) FROM S3Object", "0.1\n0.2\n", "0.3,0.15\n");
    expect("SELECT SUM(_1) FROM S3Object", "1\n2.50\n", "3.50\n");
    expect("SELECT SUM(_1) FROM S3Object", "1\n1e1\n", "11\n");
    expect("SELECT MIN(_1), MAX(_1) FROM S3Object", "b\n10\n9\na\n", "9,b\n");
    expect("SELECT MIN(_1), MAX(_1) FROM S3Object", "b\na\nc\n", "a,c\n");
    expect("SELECT COUNT(*) FROM S3Object WHERE _1 > 1", "1\n2\n3\n", "2\n");
    expect("SELECT COUNT(_1) AS n, SUM(_1) * 2 FROM S3Object", "1\n2\n", "2,6\n");
    expect("SELECT COUNT(_3) FROM S3Object", "a,b\na,b,c\n", "1\n");
    expect_p("SELECT MAX(age) FROM S3Object", HDR, "name,age\nann,3\nbob,40\ncy,7\n", "40\n");
}

Test(engine, aggregates_over_nothing)
{
    /* COUNT is 0, the others NULL (an empty field) */
    expect("SELECT COUNT(*), COUNT(_1), SUM(_1), AVG(_1), MIN(_1), MAX(_1) FROM S3Object", "",
           "0,0,,,,\n");
    expect_p("SELECT COUNT(*), SUM(h), AVG(h), MIN(h), MAX(h) FROM S3Object", HDR, "h\n",
             "0,,,,\n");
    expect("SELECT COUNT(*) FROM S3Object WHERE _1 > 100", "1\n2\n", "0\n");
    /* empty fields are present (COUNT counts them) but not numbers (SUM skips them) */
    expect("SELECT COUNT(_1), SUM(_1), AVG(_1) FROM S3Object", ",a\n,b\n", "2,,\n");
    expect_p("SELECT COUNT(*) AS n, SUM(_1) AS s FROM S3Object", JSON, "",
             "{\"n\":0,\"s\":null}\n");
}

Test(engine, aggregate_errors)
{
    expect_run_error("SELECT SUM(_1) FROM S3Object", "9223372036854775807\n1\n",
                     PLUCK_E_INTEGER_OVERFLOW, 2);
    expect_run_error("SELECT SUM('a') FROM S3Object", "1\n",
                     PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE, 1);
}

Test(engine, aggregate_strings_survive_records)
{
    /* MIN/MAX keep a copy of the string: later records overwrite the input buffer */
    char in[64 * 1024];
    size_t n = 0;
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, "k%05d\n", (i * 7919) % 3000);
    expect("SELECT MIN(_1), MAX(_1), COUNT(*) FROM S3Object", in, "k00000,k02999,3000\n");
}

/* ---- LIMIT ---------------------------------------------------------------------------------------- */

Test(engine, limit)
{
    expect("SELECT _1 FROM S3Object LIMIT 2", "1\n2\n3\n4\n", "1\n2\n");
    expect("SELECT _1 FROM S3Object LIMIT 0", "1\n2\n3\n4\n", "");
    expect("SELECT _1 FROM S3Object LIMIT 10", "1\n2\n", "1\n2\n");
    expect("SELECT _1 FROM S3Object WHERE _1 > 1 LIMIT 2", "1\n2\n3\n4\n", "2\n3\n");
    expect("SELECT COUNT(*) FROM S3Object LIMIT 1", "1\n2\n3\n4\n", "4\n");
}

Test(engine, limit_stops_feeding)
{
    char in[8192];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, "%d\n", i);
    pluck_query *q = compile_ok("SELECT _1 FROM S3Object LIMIT 3", NOPARAMS);

    /* one big feed: STOP at once */
    outcome o = run_q(q, in, n, WHOLE);
    cr_assert_eq(o.feed, PLUCK_STOP);
    cr_assert_eq(o.finish, PLUCK_OK);
    cr_assert_str_eq(o.out, "0\n1\n2\n");
    cr_assert_eq(o.st.records_returned, 3);
    outcome_free(&o);

    /* byte by byte: STOP right after the third record, long before the end */
    o = run_q(q, in, n, 1);
    cr_assert_eq(o.feed, PLUCK_STOP);
    cr_assert_lt(o.fed, 16, "fed %zu bytes before STOP", o.fed);
    cr_assert_eq(o.finish, PLUCK_OK);
    cr_assert_str_eq(o.out, "0\n1\n2\n");
    outcome_free(&o);

    /* more input after STOP is not wanted, and changes nothing */
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_feed(r, in, n), PLUCK_STOP);
    cr_assert_eq(pluck_run_feed(r, in, n), PLUCK_STOP);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    cr_assert_str_eq(s.p, "0\n1\n2\n");
    pluck_run_free(r);
    free(s.p);
    pluck_query_free(q);

    /* LIMIT 0 wants no input at all */
    q = compile_ok("SELECT _1 FROM S3Object LIMIT 0", NOPARAMS);
    memset(&s, 0, sizeof s);
    r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_feed(r, in, n), PLUCK_STOP);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    cr_assert_eq(s.n, 0);
    pluck_run_free(r);
    pluck_query_free(q);
}

/* ---- input errors and dialects ---------------------------------------------------------- */

Test(engine, input_errors)
{
    static const kv SMALL[] = {{PLUCK_PARAM_MAX_RECORD_SIZE, "16"}, END};
    expect_run_error_p("SELECT _1 FROM S3Object", SMALL,
                       "a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nc\n",
                       PLUCK_E_OVER_MAX_RECORD_SIZE, 2, "a\n");
    static const kv AQRD[] = {{PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, "TRUE"}, END};
    expect_run_error_p("SELECT _1 FROM S3Object", AQRD, "a\n\"unterminated\n",
                       PLUCK_E_CSV_PARSING_ERROR, 2, "a\n");
    expect_run_error_p("SELECT _1 FROM S3Object", NOPARAMS, "a\n\"x\"y,1\n",
                       PLUCK_E_CSV_UNESCAPED_QUOTE, 2, "a\n");
}

Test(engine, input_dialects)
{
    static const kv SEMI[] = {{PLUCK_PARAM_FIELD_DELIMITER, ";"},
                              {PLUCK_PARAM_RECORD_DELIMITER, "|"},
                              END};
    expect_p("SELECT _1, _2 FROM S3Object", SEMI, "a;b|c;d|", "a,b\nc,d\n");
    static const kv SQ[] = {{PLUCK_PARAM_QUOTE_CHARACTER, "'"}, END};
    expect_p("SELECT _2 FROM S3Object", SQ, "a,'b,c'\n", "\"b,c\"\n");
    static const kv NOCOMMENT[] = {{PLUCK_PARAM_COMMENTS, ""}, END};
    expect_p("SELECT _1 FROM S3Object", NOCOMMENT, "#x\n", "#x\n");
    /* a comment before the header is skipped; the header is the first real record */
    expect_p("SELECT name FROM S3Object", HDR, "#c\nname\nx\n", "x\n");
    /* fields past the header are keyed by position in JSON */
    expect_p("SELECT * FROM S3Object", HDR_JSON, "a,b\n1,2,3\n",
             "{\"a\":\"1\",\"b\":\"2\",\"_3\":\"3\"}\n");
}

/* ---- output formats ------------------------------------------------------------------------------- */

Test(engine, json_output)
{
    expect_p("SELECT _1, _2 FROM S3Object", JSON, "a,\"b,c\"\n\"x\"\"y\",\n",
             "{\"_1\":\"a\",\"_2\":\"b,c\"}\n{\"_1\":\"x\\\"y\",\"_2\":\"\"}\n");
    /* keys: header name, alias, or _N by position; MISSING left out; NULL is null */
    expect_p("SELECT * FROM S3Object", HDR_JSON, "name,age\nann,3\nbob\n",
             "{\"name\":\"ann\",\"age\":\"3\"}\n{\"name\":\"bob\"}\n");
    expect_p("SELECT s.name AS n, CAST(s.age AS INT), age FROM S3Object s", HDR_JSON,
             "name,age\nann,3\n", "{\"n\":\"ann\",\"_2\":3,\"age\":\"3\"}\n");
    expect_p("SELECT _1, _3, NULL AS z, 1.50 AS d, 2 AS i, 1e6 AS f, TRUE AS b, 'a\"b' AS q "
             "FROM S3Object",
             JSON, "x,y\n",
             "{\"_1\":\"x\",\"z\":null,\"d\":1.50,\"i\":2,\"f\":1000000,\"b\":true,"
             "\"q\":\"a\\\"b\"}\n");
    expect_p("SELECT _1 FROM S3Object", JSON, "tab\there\n", "{\"_1\":\"tab\\there\"}\n");
    expect_p("SELECT * FROM S3Object", JSON, "a,b\n", "{\"_1\":\"a\",\"_2\":\"b\"}\n");
    static const kv JSON_CRLF[] = {{PLUCK_PARAM_OUTPUT_FORMAT, "JSON"},
                                   {PLUCK_PARAM_OUTPUT_RECORD_DELIMITER, "\r\n"},
                                   END};
    expect_p("SELECT _1 FROM S3Object", JSON_CRLF, "a\nb\n",
             "{\"_1\":\"a\"}\r\n{\"_1\":\"b\"}\r\n");
}

Test(engine, csv_output_options)
{
    static const kv ALWAYS[] = {{PLUCK_PARAM_QUOTE_FIELDS, "ALWAYS"}, END};
    expect_p("SELECT _1, _2 FROM S3Object", ALWAYS, "a,\n\"\",b\n\"q\"\"q\",\"x,y\"\n",
             "\"a\",\"\"\n\"\",\"b\"\n\"q\"\"q\",\"x,y\"\n");
    static const kv PIPES[] = {{PLUCK_PARAM_OUTPUT_FIELD_DELIMITER, "|"},
                               {PLUCK_PARAM_OUTPUT_RECORD_DELIMITER, "\t"},
                               END};
    expect_p("SELECT _1, _2 FROM S3Object", PIPES, "a,\n\"x,y\",\"p|q\"\n",
             "a|\tx,y|\"p|q\"\t");
    static const kv TABS_IN[] = {{PLUCK_PARAM_FIELD_DELIMITER, "\t"},
                                 {PLUCK_PARAM_OUTPUT_FIELD_DELIMITER, "::"},
                                 END};
    expect_p("SELECT * FROM S3Object", TABS_IN, "a\tb,c\td\n", "a::b,c::d\n");
    static const kv SQ[] = {{PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER, "'"},
                            {PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER, "\\"},
                            END};
    expect_p("SELECT * FROM S3Object", SQ, "\"it's\",\"a\\b\",\"x,y\"\n",
             "'it\\'s','a\\\\b','x,y'\n");
}

/* ---- compile-time errors ---------------------------------------------------------------------------- */

Test(engine, compile_errors)
{
    expect_compile_error("SELECT FROM S3Object", PLUCK_E_PARSE_EMPTY_SELECT, 1, 8);
    expect_compile_error("SELECT _1 S3Object", PLUCK_E_PARSE_SELECT_MISSING_FROM, 1, 19);
    expect_compile_error("SELECT _1 FROM S3Object WHERE", PLUCK_E_PARSE_EXPECTED_EXPRESSION, 1,
                         30);
    expect_compile_error("SELECT _1\nFROM S3Object\nWHERE _1 = = 2",
                         PLUCK_E_PARSE_UNEXPECTED_OPERATOR, 3, 12);
    expect_compile_error("SELECT 'abc FROM S3Object", PLUCK_E_LEXER_INVALID_LITERAL, 1, 8);
    expect_compile_error("SELECT _1 FROM S3Object WHERE _1 ^ 2", PLUCK_E_LEXER_INVALID_CHAR, 1,
                         34);
    /* columns count characters, not bytes */
    expect_compile_error("SELECT 'h\xc3\xa9llo' ^ FROM S3Object", PLUCK_E_LEXER_INVALID_CHAR, 1,
                         16);
    expect_compile_error("SELECT FOO(1) FROM S3Object", PLUCK_E_UNSUPPORTED_FUNCTION, 1, 8);
    expect_compile_error("SELECT _0 FROM S3Object", PLUCK_E_INVALID_COLUMN_INDEX, 1, 8);
    expect_compile_error("SELECT name FROM S3Object", PLUCK_E_INVALID_COLUMN_INDEX, 1, 8);
    expect_compile_error("SELECT _1 FROM S3Object LIMIT -1", PLUCK_E_EVALUATOR_NEGATIVE_LIMIT,
                         1, 31);
    expect_compile_error("SELECT COUNT(*), _1 FROM S3Object", PLUCK_E_UNSUPPORTED_SQL_STRUCTURE,
                         1, 18);
    expect_compile_error("SELECT _1 FROM S3Object WHERE SUM(_1) > 1",
                         PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, 1, 31);
    expect_compile_error("SELECT COUNT(_1, _2) FROM S3Object",
                         PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, 1, 8);
    expect_compile_error("SELECT x._1 FROM S3Object s", PLUCK_E_INVALID_TABLE_ALIAS, 1, 8);
    expect_compile_error("SELECT _1, * FROM S3Object",
                         PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, 1, 12);
    /* alias.* mixed with other items (this once crashed the parser) */
    expect_compile_error("SELECT _1, a.* FROM S3Object a",
                         PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, 1, 12);
    expect_compile_error("SELECT a.*, _1 FROM S3Object a",
                         PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, 1, 8);
    /* an integer literal beyond 64 bits stays exact: a DECIMAL */
    expect("SELECT 9223372036854775808 FROM S3Object", "x\n", "9223372036854775808\n");
    expect_compile_error("", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 1);
}

Test(engine, compile_misc)
{
    /* NULL error pointer, NUL-free length-delimited SQL, NULL params */
    cr_assert_null(pluck_query_compile("SELECT FROM S3Object", 20, NULL, NULL));
    const char sql[] = "SELECT _1 FROM S3Object garbage-after-length";
    pluck_error err;
    pluck_query *q = pluck_query_compile(sql, 23, NULL, &err);
    cr_assert(q, "%s", err.message);
    cr_assert_not(pluck_query_is_aggregate(q));
    pluck_query_free(q);
    q = pluck_query_compile("SELECT COUNT(*) FROM S3Object", 29, NULL, &err);
    cr_assert(q);
    cr_assert(pluck_query_is_aggregate(q));
    pluck_query_free(q);
    cr_assert_not(pluck_query_is_aggregate(NULL));
    pluck_query_free(NULL);
    pluck_run_free(NULL);
    cr_assert_null(pluck_run_create(NULL, sink_write, NULL));
}

/* ---- run-time header errors ----------------------------------------------------------------------- */

Test(engine, missing_headers)
{
    pluck_query *q = compile_ok("SELECT s.name,\n  s.nope FROM S3Object s", HDR);
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        outcome o = run_q(q, "name,age\nann,3\n", 15, chunkings[c]);
        cr_assert_eq(o.finish, PLUCK_E_MISSING_HEADERS, "%s", pluck_code_name(o.finish));
        cr_assert_eq(o.err.code, PLUCK_E_MISSING_HEADERS);
        cr_assert_eq(o.err.sql_line, 2);
        cr_assert_eq(o.err.sql_column, 3);
        cr_assert_str_eq(o.out, "");
        outcome_free(&o);
    }
    pluck_query_free(q);
}

Test(engine, ambiguous_and_exact_names)
{
    expect_run_error_p("SELECT a FROM S3Object", HDR, "a,A\n1,2\n",
                       PLUCK_E_AMBIGUOUS_FIELD_NAME, 0, "");
    expect_p("SELECT \"A\", \"a\" FROM S3Object", HDR, "a,A\n1,2\n", "2,1\n");
    /* an unquoted name matches whatever the case of the header */
    expect_p("SELECT NAME FROM S3Object", HDR, "name\nx\n", "x\n");
    expect_run_error_p("SELECT \"NAME\" FROM S3Object", HDR, "name\nx\n",
                       PLUCK_E_MISSING_HEADERS, 0, "");
}

/* ---- push API chunking on larger inputs ---------------------------------------------------------------- */

/* Deterministic CSV: id, name (with quotes and commas now and then), amount, flag. */
static char *gen_csv(int rows, size_t *len)
{
    size_t cap = (size_t)rows * 64 + 64, n = 0;
    char *s = malloc(cap);
    cr_assert(s);
    n += (size_t)snprintf(s + n, cap - n, "id,name,amount,flag\n");
    uint32_t x = 12345;
    for (int i = 0; i < rows; i++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 8) % 1000;
        char name[32];
        if (k % 11 == 0)
            snprintf(name, sizeof name, "\"Smith, J%u\"", k % 97);
        else if (k % 13 == 0)
            snprintf(name, sizeof name, "\"say \"\"hi\"\" %u\"", k % 97);
        else
            snprintf(name, sizeof name, "n%u", k % 97);
        n += (size_t)snprintf(s + n, cap - n, "%d,%s,%u.%02u,%s\r\n", i, name, k,
                              (x >> 16) % 100, k % 2 ? "true" : "false");
    }
    *len = n;
    return s;
}

Test(engine, chunking_never_shows)
{
    size_t n;
    char *in = gen_csv(3000, &n);
    static const char *const queries[] = {
        "SELECT * FROM S3Object",
        "SELECT id, name, amount * 2 FROM S3Object WHERE flag = TRUE AND amount > 500",
        "SELECT COUNT(*), SUM(amount), MIN(name), MAX(id), AVG(id) FROM S3Object",
        "SELECT name FROM S3Object WHERE name LIKE '%,%' LIMIT 5",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        pluck_query *q = compile_ok(queries[i], i == 2 ? HDR_JSON : HDR);
        outcome ref = run_q(q, in, n, WHOLE);
        cr_assert_eq(ref.finish, PLUCK_OK, "%s: %s", queries[i], ref.err.message);
        cr_assert_gt(ref.n, 0);
        static const size_t sizes[] = {1, 2, 7, 64, 4093, 65536};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            outcome o = run_q(q, in, n, sizes[k]);
            cr_assert_eq(o.finish, PLUCK_OK);
            cr_assert_eq(o.n, ref.n, "%s: chunk %zu gives %zu bytes, whole %zu", queries[i],
                         sizes[k], o.n, ref.n);
            cr_assert_eq(memcmp(o.out, ref.out, ref.n), 0, "%s: chunk %zu differs", queries[i],
                         sizes[k]);
            cr_assert_eq(o.st.records_returned, ref.st.records_returned);
            outcome_free(&o);
        }
        outcome_free(&ref);
        pluck_query_free(q);
    }
    free(in);
}

/* ---- compressed input ------------------------------------------------------------------------------------ */

static unsigned char *gzip_bytes(const char *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    cr_assert(out);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static unsigned char *zstd_bytes(const char *in, size_t n, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(n);
    unsigned char *out = malloc(cap);
    cr_assert(out);
    size_t r = ZSTD_compress(out, cap, in, n, 3);
    cr_assert_not(ZSTD_isError(r), "%s", ZSTD_getErrorName(r));
    *out_len = r;
    return out;
}

static void check_compressed(unsigned char *(*compress)(const char *, size_t, size_t *),
                             const char *kind, const char *codec_word)
{
    size_t n, zn;
    char *in = gen_csv(5000, &n);
    unsigned char *z = compress(in, n, &zn);
    const char *sql = "SELECT id, amount FROM S3Object WHERE CAST(id AS INT) % 7 = 0";
    pluck_query *plain = compile_ok(sql, HDR);
    outcome ref = run_q(plain, in, n, WHOLE);
    cr_assert_eq(ref.finish, PLUCK_OK);
    cr_assert_gt(ref.n, 1000);

    kv explicit_kind[] = {{PLUCK_PARAM_FILE_HEADER_INFO, "USE"},
                          {PLUCK_PARAM_COMPRESSION_TYPE, kind},
                          END};
    pluck_query *auto_q = compile_ok(sql, HDR);
    pluck_query *kind_q = compile_ok(sql, explicit_kind);
    const pluck_query *qs[] = {auto_q, kind_q};
    static const size_t sizes[] = {WHOLE, 1, 5, 4096};
    for (size_t qi = 0; qi < 2; qi++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            outcome o = run_q(qs[qi], z, zn, sizes[k]);
            cr_assert_eq(o.finish, PLUCK_OK, "%s chunk %zu: %s", kind, sizes[k], o.err.message);
            cr_assert_eq(o.n, ref.n);
            cr_assert_eq(memcmp(o.out, ref.out, ref.n), 0, "%s chunk %zu: output differs", kind,
                         sizes[k]);
            cr_assert_eq(o.st.bytes_scanned, zn);
            cr_assert_eq(o.st.bytes_processed, n);
            cr_assert_eq(o.st.bytes_returned, ref.n);
            cr_assert_eq(o.st.records_scanned, 5000);
            cr_assert_eq(o.st.records_returned, ref.st.records_returned);
            cr_assert(strstr(o.codec, codec_word), "codec '%s'", o.codec);
            outcome_free(&o);
        }
    }

    /* cut short: TruncatedInput at finish */
    outcome t = run_q(auto_q, z, zn / 2, WHOLE);
    cr_assert_eq(t.finish, PLUCK_E_TRUNCATED_INPUT, "%s truncated: %s", kind,
                 pluck_code_name(t.finish));
    cr_assert_eq(pluck_code_get_class(t.err.code), PLUCK_CLASS_INPUT);
    outcome_free(&t);

    outcome_free(&ref);
    pluck_query_free(plain);
    pluck_query_free(auto_q);
    pluck_query_free(kind_q);
    free(z);
    free(in);
}

Test(engine, gzip_input, .timeout = 60) { check_compressed(gzip_bytes, "GZIP", "gzip"); }
Test(engine, zstd_input, .timeout = 60) { check_compressed(zstd_bytes, "ZSTD", "zstd"); }

Test(engine, gzip_small_and_limit)
{
    const char *in = "a,1\nb,2\nc,3\n";
    size_t zn;
    unsigned char *z = gzip_bytes(in, strlen(in), &zn);
    pluck_query *q = compile_ok("SELECT _1 FROM S3Object WHERE _2 > 1 LIMIT 1", NOPARAMS);
    outcome o = run_q(q, z, zn, 1);
    cr_assert_eq(o.finish, PLUCK_OK, "%s", o.err.message);
    cr_assert_str_eq(o.out, "b\n");
    outcome_free(&o);
    pluck_query_free(q);
    free(z);
}

/* ---- statistics -------------------------------------------------------------------------------------------- */

Test(engine, stats_plain)
{
    const char *in = "h,v\n#comment\n1,a\n2,b\n3,c\n";
    size_t n = strlen(in);
    pluck_query *q = compile_ok("SELECT v FROM S3Object WHERE h > 1", HDR);
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        outcome o = run_q(q, in, n, chunkings[c]);
        cr_assert_eq(o.finish, PLUCK_OK);
        cr_assert_str_eq(o.out, "b\nc\n");
        cr_assert_eq(o.st.bytes_scanned, n);
        cr_assert_eq(o.st.bytes_processed, n);
        cr_assert_eq(o.st.bytes_returned, 4);
        cr_assert_eq(o.st.records_scanned, 3, "records_scanned %llu",
                     (unsigned long long)o.st.records_scanned);
        cr_assert_eq(o.st.records_returned, 2);
        cr_assert_str_eq(o.codec, "none");
        outcome_free(&o);
    }
    pluck_query_free(q);
}

Test(engine, stats_before_and_during)
{
    pluck_query *q = compile_ok("SELECT COUNT(*) FROM S3Object", NOPARAMS);
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    pluck_stats st;
    pluck_run_stats(r, &st);
    cr_assert_eq(st.bytes_scanned, 0);
    cr_assert_eq(st.records_returned, 0);
    cr_assert_str_eq(st.codec, "");
    cr_assert(st.scan_kernel && st.scan_kernel[0]);
    cr_assert_eq(pluck_run_error(r)->code, PLUCK_OK);
    pluck_run_set_source_size(r, 12345);
    cr_assert_eq(pluck_run_feed(r, "1\n2\n3\n", 6), PLUCK_OK);
    pluck_run_stats(r, &st);
    cr_assert_eq(st.bytes_scanned, 6);
    cr_assert_eq(st.source_size, 12345);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    pluck_run_stats(r, &st);
    cr_assert_eq(st.records_scanned, 3);
    cr_assert_eq(st.records_returned, 1);
    cr_assert_eq(st.bytes_returned, 2);
    cr_assert_str_eq(s.p, "3\n");
    /* finishing twice is harmless */
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    cr_assert_str_eq(s.p, "3\n");
    pluck_run_free(r);
    free(s.p);
    pluck_query_free(q);
}

/* ---- callbacks ------------------------------------------------------------------------------------------------- */

Test(engine, write_error)
{
    pluck_query *q = compile_ok("SELECT _1 FROM S3Object", NOPARAMS);
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        sink s;
        memset(&s, 0, sizeof s);
        s.refuse = -1;
        pluck_run *r = pluck_run_create(q, sink_write, &s);
        const char *in = "a\nb\nc\n";
        pluck_code rc = PLUCK_OK;
        for (size_t off = 0; off < 6 && rc == PLUCK_OK;) {
            size_t k = chunkings[c] < 6 - off ? chunkings[c] : 6 - off;
            rc = pluck_run_feed(r, in + off, k);
            off += k;
        }
        pluck_code fin = pluck_run_finish(r);
        cr_assert_eq(fin, PLUCK_E_WRITE_ERROR, "finish gave %s", pluck_code_name(fin));
        cr_assert(rc == PLUCK_OK || rc == PLUCK_E_WRITE_ERROR, "feed gave %s",
                  pluck_code_name(rc));
        cr_assert_eq(pluck_run_error(r)->code, PLUCK_E_WRITE_ERROR);
        cr_assert_geq(s.calls, 1);
        pluck_stats st;
        pluck_run_stats(r, &st);
        cr_assert_eq(st.bytes_returned, 0);
        pluck_run_free(r);
    }
    pluck_query_free(q);

    /* an aggregate's single record is written at finish */
    q = compile_ok("SELECT COUNT(*) FROM S3Object", NOPARAMS);
    sink s;
    memset(&s, 0, sizeof s);
    s.refuse = 1;
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_feed(r, "a\nb\n", 4), PLUCK_OK);
    cr_assert_eq(pluck_run_finish(r), PLUCK_E_WRITE_ERROR);
    pluck_run_free(r);
    pluck_query_free(q);
}

/* Once the write callback has refused data the run has failed; pluck_run_finish must not
 * offer the same bytes to the callback again. */
Test(engine, refused_write_not_retried)
{
    pluck_query *q = compile_ok("SELECT _1 FROM S3Object", NOPARAMS);
    sink s;
    memset(&s, 0, sizeof s);
    s.refuse = 1;
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_feed(r, "a\nb\nc\n", 6), PLUCK_E_WRITE_ERROR);
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(pluck_run_finish(r), PLUCK_E_WRITE_ERROR);
    cr_assert_eq(s.calls, 1, "the refused chunk was offered %zu times", s.calls);
    pluck_run_free(r);
    pluck_query_free(q);
}

Test(engine, output_chunks_bounded)
{
    /* more than 64 KiB of output arrives in several calls of at most about 64 KiB */
    size_t n;
    char *in = gen_csv(20000, &n);
    pluck_query *q = compile_ok("SELECT * FROM S3Object", HDR);
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_feed(r, in, n), PLUCK_OK);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    cr_assert_gt(s.calls, 2);
    cr_assert_leq(s.max_call, 64 * 1024 + 256, "a chunk of %zu bytes", s.max_call);
    /* every chunk ended on a record boundary: the concatenation is whole records */
    cr_assert_eq(s.p[s.n - 1], '\n');
    pluck_run_free(r);
    free(s.p);
    free(in);
    pluck_query_free(q);
}

typedef struct progress_ctx {
    int calls;
    int cancel_at; /* 0: never */
    uint64_t last_scanned;
    uint64_t source_size;
} progress_ctx;

static int on_progress(void *opaque, const pluck_stats *st)
{
    progress_ctx *p = opaque;
    p->calls++;
    cr_assert_geq(st->bytes_scanned, p->last_scanned);
    p->last_scanned = st->bytes_scanned;
    p->source_size = st->source_size;
    return p->cancel_at && p->calls >= p->cancel_at;
}

static pluck_code feed_in_pieces(pluck_run *r, const char *in, size_t n, size_t piece)
{
    for (size_t off = 0; off < n; off += piece) {
        size_t k = n - off < piece ? n - off : piece;
        pluck_code rc = pluck_run_feed(r, in + off, k);
        if (rc != PLUCK_OK)
            return rc;
    }
    return PLUCK_OK;
}

Test(engine, progress_callback, .timeout = 60)
{
    size_t n;
    char *in = gen_csv(400000, &n); /* about 10 MiB */
    cr_assert_gt(n, 8u << 20);
    pluck_query *q = compile_ok("SELECT COUNT(*) FROM S3Object", HDR);

    /* called with growing stats; returning 0 lets the run complete */
    progress_ctx pc = {0};
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    pluck_run_set_progress(r, on_progress, &pc);
    pluck_run_set_source_size(r, n);
    cr_assert_eq(feed_in_pieces(r, in, n, 65536), PLUCK_OK);
    cr_assert_eq(pluck_run_finish(r), PLUCK_OK);
    cr_assert_geq(pc.calls, 2, "progress called %d times", pc.calls);
    cr_assert_eq(pc.source_size, n);
    cr_assert_str_eq(s.p, "400000\n");
    pluck_run_free(r);
    free(s.p);

    /* returning non-zero cancels */
    progress_ctx cancel = {.cancel_at = 2};
    memset(&s, 0, sizeof s);
    r = pluck_run_create(q, sink_write, &s);
    pluck_run_set_progress(r, on_progress, &cancel);
    cr_assert_eq(feed_in_pieces(r, in, n, 65536), PLUCK_E_CANCELLED);
    cr_assert_eq(cancel.calls, 2);
    cr_assert_lt(cancel.last_scanned, n);
    cr_assert_eq(pluck_run_finish(r), PLUCK_E_CANCELLED);
    cr_assert_eq(pluck_run_error(r)->code, PLUCK_E_CANCELLED);
    cr_assert_eq(s.n, 0, "a cancelled aggregate wrote [%s]", s.p);
    pluck_run_free(r);
    free(s.p);

    /* cancelling on the first call */
    progress_ctx first = {.cancel_at = 1};
    r = pluck_run_create(q, NULL, NULL);
    pluck_run_set_progress(r, on_progress, &first);
    cr_assert_eq(pluck_run_feed(r, in, 1000), PLUCK_E_CANCELLED);
    cr_assert_eq(pluck_run_feed(r, in, 1000), PLUCK_E_CANCELLED);
    pluck_run_free(r);

    pluck_query_free(q);
    free(in);
}

/* ---- pull API ------------------------------------------------------------------------------------------------ */

typedef struct reader {
    const char *p;
    size_t n, off, step;
    int fail_at_end;
    size_t calls;
} reader;

static ptrdiff_t read_some(void *opaque, void *buf, size_t cap)
{
    reader *rd = opaque;
    rd->calls++;
    if (rd->off == rd->n)
        return rd->fail_at_end ? -1 : 0;
    size_t k = rd->n - rd->off;
    if (k > rd->step)
        k = rd->step;
    if (k > cap)
        k = cap;
    memcpy(buf, rd->p + rd->off, k);
    rd->off += k;
    return (ptrdiff_t)k;
}

Test(engine, pull_read)
{
    const char *in = "1\n2\n3\n4\n5\n";
    pluck_query *q = compile_ok("SELECT _1 FROM S3Object WHERE _1 % 2 = 1", NOPARAMS);
    sink s;
    memset(&s, 0, sizeof s);
    reader rd = {.p = in, .n = strlen(in), .step = 3};
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_read(r, read_some, &rd), PLUCK_OK);
    cr_assert_str_eq(s.p, "1\n3\n5\n");
    pluck_run_free(r);
    free(s.p);

    /* a failing source is ReadError; what was produced before is handed over */
    memset(&s, 0, sizeof s);
    reader bad = {.p = in, .n = strlen(in), .step = 4, .fail_at_end = 1};
    r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_read(r, read_some, &bad), PLUCK_E_READ_ERROR);
    cr_assert_eq(pluck_run_error(r)->code, PLUCK_E_READ_ERROR);
    pluck_run_free(r);
    free(s.p);
    pluck_query_free(q);

    /* LIMIT stops reading early */
    char big[4096];
    size_t n = 0;
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%d\n", i);
    q = compile_ok("SELECT _1 FROM S3Object LIMIT 2", NOPARAMS);
    memset(&s, 0, sizeof s);
    reader lim = {.p = big, .n = n, .step = 8};
    r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_read(r, read_some, &lim), PLUCK_OK);
    cr_assert_str_eq(s.p, "0\n1\n");
    cr_assert_lt(lim.off, n);
    pluck_run_free(r);
    free(s.p);
    pluck_query_free(q);
}

Test(engine, pull_fd)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    const char *in = "x,1\ny,2\n";
    cr_assert_eq(write(fds[1], in, strlen(in)), (ssize_t)strlen(in));
    close(fds[1]);
    pluck_query *q = compile_ok("SELECT _2, _1 FROM S3Object", NOPARAMS);
    sink s;
    memset(&s, 0, sizeof s);
    pluck_run *r = pluck_run_create(q, sink_write, &s);
    cr_assert_eq(pluck_run_fd(r, fds[0]), PLUCK_OK);
    cr_assert_str_eq(s.p, "1,x\n2,y\n");
    pluck_run_free(r);
    close(fds[0]);
    free(s.p);
    pluck_query_free(q);
}

Test(engine, threaded_decompression_pull, .timeout = 60)
{
    /* THREADS 2+: pluck_run_read decompresses on a second thread; output must not change */
    size_t n, zn;
    char *in = gen_csv(20000, &n);
    unsigned char *z = gzip_bytes(in, n, &zn);
    static const char *const sqls[] = {
        "SELECT id, name FROM S3Object WHERE CAST(id AS INT) % 5 = 0",
        "SELECT id FROM S3Object LIMIT 3",
        "SELECT COUNT(*), SUM(amount) FROM S3Object",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        pluck_query *q1 = compile_ok(sqls[i], HDR);
        outcome ref = run_q(q1, in, n, WHOLE);
        cr_assert_eq(ref.finish, PLUCK_OK);
        static const char *const threads[] = {"1", "2", "4"};
        for (size_t t = 0; t < 3; t++) {
            kv params[] = {{PLUCK_PARAM_FILE_HEADER_INFO, "USE"},
                           {PLUCK_PARAM_THREADS, threads[t]},
                           END};
            pluck_query *q = compile_ok(sqls[i], params);
            static const size_t steps[] = {1 << 20, 4096, 13};
            for (size_t k = 0; k < 3; k++) {
                sink s;
                memset(&s, 0, sizeof s);
                reader rd = {.p = (const char *)z, .n = zn, .step = steps[k]};
                pluck_run *r = pluck_run_create(q, sink_write, &s);
                pluck_code rc = pluck_run_read(r, read_some, &rd);
                cr_assert_eq(rc, PLUCK_OK, "%s threads %s: %s", sqls[i], threads[t],
                             pluck_run_error(r)->message);
                cr_assert_eq(s.n, ref.n, "%s threads %s step %zu: %zu bytes, want %zu", sqls[i],
                             threads[t], steps[k], s.n, ref.n);
                cr_assert_eq(memcmp(s.p, ref.out, ref.n), 0, "%s threads %s: output differs",
                             sqls[i], threads[t]);
                pluck_stats st;
                pluck_run_stats(r, &st);
                if (i != 1) {
                    cr_assert_eq(st.bytes_scanned, zn);
                    cr_assert_eq(st.bytes_processed, n);
                }
                cr_assert_eq(st.records_returned, ref.st.records_returned);
                pluck_run_free(r);
                free(s.p);
            }
            /* a source that fails mid-way is ReadError, whatever the threading */
            sink s;
            memset(&s, 0, sizeof s);
            reader bad = {.p = (const char *)z, .n = zn / 2, .step = 4096, .fail_at_end = 1};
            pluck_run *r = pluck_run_create(q, sink_write, &s);
            pluck_code rc = pluck_run_read(r, read_some, &bad);
            if (i != 1) /* LIMIT 3 may be met before the failure */
                cr_assert_eq(rc, PLUCK_E_READ_ERROR, "%s threads %s: %s", sqls[i], threads[t],
                             pluck_code_name(rc));
            pluck_run_free(r);
            free(s.p);
            pluck_query_free(q);
        }
        outcome_free(&ref);
        pluck_query_free(q1);
    }
    free(z);
    free(in);
}

/* F21 (tests/HARDENING.md): a compressed object that decodes to nothing (an empty .csv.gz;
 * a zstd stream of one skippable frame) pulled through pluck_run_read() left the window
 * without a buffer, and the final pass did pointer arithmetic on NULL (undefined; clang's
 * UBSan stops there).  Every way of running it must give an empty result. */
Test(engine, compressed_but_empty)
{
    size_t gzn;
    unsigned char *gz = gzip_bytes("", 0, &gzn);
    static const unsigned char skippable[] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'p', 'l', 'c', 'k'};
    const struct {
        const unsigned char *p;
        size_t n;
        const char *type;
    } inputs[] = {{gz, gzn, "GZIP"}, {gz, gzn, "AUTO"}, {skippable, sizeof skippable, "ZSTD"}};
    static const char *const sqls[] = {"SELECT * FROM S3Object", "SELECT COUNT(*) FROM S3Object"};
    static const char *const wants[] = {"", "0\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        for (size_t k = 0; k < sizeof sqls / sizeof sqls[0]; k++)
            for (int threads = 1; threads <= 2; threads++) {
                kv params[] = {{PLUCK_PARAM_COMPRESSION_TYPE, inputs[i].type},
                               {PLUCK_PARAM_THREADS, threads == 1 ? "1" : "2"},
                               END};
                pluck_query *q = compile_ok(sqls[k], params);
                sink s;
                memset(&s, 0, sizeof s);
                reader rd = {.p = (const char *)inputs[i].p, .n = inputs[i].n, .step = 5};
                pluck_run *r = pluck_run_create(q, sink_write, &s);
                cr_assert_eq(pluck_run_read(r, read_some, &rd), PLUCK_OK, "%s %s: %s",
                             inputs[i].type, sqls[k], pluck_run_error(r)->message);
                cr_assert_eq(s.n, strlen(wants[k]), "%s %s threads %d", inputs[i].type,
                             sqls[k], threads);
                cr_assert(!s.n || !memcmp(s.p, wants[k], s.n));
                pluck_run_free(r);
                free(s.p);
                outcome o = run_q(q, inputs[i].p, inputs[i].n, 1); /* pushed a byte at a time */
                cr_assert_eq(o.finish, PLUCK_OK);
                cr_assert_eq(o.n, strlen(wants[k]));
                outcome_free(&o);
                pluck_query_free(q);
            }
    free(gz);
}

/* ---- one query, many threads ----------------------------------------------------------------------------- */

typedef struct thread_job {
    const pluck_query *q;
    const char *in;
    size_t n;
    size_t chunk;
    int rounds;
    char *out[4];
    size_t out_n[4];
    pluck_code rc[4];
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    for (int round = 0; round < j->rounds; round++) {
        sink s;
        memset(&s, 0, sizeof s);
        pluck_run *r = pluck_run_create(j->q, sink_write, &s);
        if (!r) {
            j->rc[round] = PLUCK_E_OUT_OF_MEMORY;
            continue;
        }
        pluck_code rc = PLUCK_OK;
        for (size_t off = 0; off < j->n && rc == PLUCK_OK; off += j->chunk) {
            size_t k = j->n - off < j->chunk ? j->n - off : j->chunk;
            rc = pluck_run_feed(r, j->in + off, k);
        }
        j->rc[round] = pluck_run_finish(r);
        j->out[round] = s.p;
        j->out_n[round] = s.n;
        pluck_run_free(r);
    }
    return NULL;
}

Test(engine, shared_query_four_threads, .timeout = 120)
{
    size_t n;
    char *in = gen_csv(20000, &n);
    static const char *const queries[] = {
        "SELECT id, UPPER(name), amount * 3, CASE WHEN flag = TRUE THEN 'y' ELSE 'n' END "
        "FROM S3Object WHERE amount BETWEEN 100 AND 900 AND name LIKE '%1%'",
        "SELECT COUNT(*), SUM(amount), AVG(amount), MIN(name), MAX(name) FROM S3Object",
    };
    static const kv *const params[] = {HDR, HDR_JSON};
    for (size_t qi = 0; qi < 2; qi++) {
        pluck_query *q = compile_ok(queries[qi], params[qi]);
        outcome ref = run_q(q, in, n, WHOLE);
        cr_assert_eq(ref.finish, PLUCK_OK, "%s", ref.err.message);
        cr_assert_gt(ref.n, 0);

        static const size_t chunks[4] = {65536, 4093, 333, 17};
        thread_job jobs[4];
        pthread_t th[4];
        for (int t = 0; t < 4; t++) {
            memset(&jobs[t], 0, sizeof jobs[t]);
            jobs[t].q = q;
            jobs[t].in = in;
            jobs[t].n = n;
            jobs[t].chunk = chunks[t];
            jobs[t].rounds = 3;
            cr_assert_eq(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
        }
        for (int t = 0; t < 4; t++)
            cr_assert_eq(pthread_join(th[t], NULL), 0);
        for (int t = 0; t < 4; t++) {
            for (int round = 0; round < jobs[t].rounds; round++) {
                cr_assert_eq(jobs[t].rc[round], PLUCK_OK, "thread %d round %d: %s", t, round,
                             pluck_code_name(jobs[t].rc[round]));
                cr_assert_eq(jobs[t].out_n[round], ref.n, "thread %d round %d: %zu bytes", t,
                             round, jobs[t].out_n[round]);
                cr_assert_eq(memcmp(jobs[t].out[round], ref.out, ref.n), 0,
                             "thread %d round %d: output differs", t, round);
                free(jobs[t].out[round]);
            }
        }
        outcome_free(&ref);
        pluck_query_free(q);
    }
    free(in);
}

/* Fuzzing finding F2: which input error wins must not depend on how the input is fed.  An
 * invalid UTF-8 byte inside a record that is already too long there is OverMaxRecordSize
 * (that error comes first in the input); records before the invalid byte are output. */
Test(engine, encoding_error_vs_record_size_independent_of_split)
{
    static const kv MAX64[] = {{PLUCK_PARAM_MAX_RECORD_SIZE, "64"}, END};
    char in[200];
    int n = snprintf(in, sizeof in, "short\n%s\x91yyyyyyyy\nshort\n",
                     "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    cr_assert(n > 0 && (size_t)n < sizeof in);
    expect_run_error_p("SELECT * FROM S3Object", MAX64, in, PLUCK_E_OVER_MAX_RECORD_SIZE, 2,
                       "short\n");
    /* a sequence whose first byte is valid (0xD0) and the next is not: the record is judged
     * with that first byte in it, as a feed ending between the two would have it
     * (fuzz_csv, regression csv/encoding-vs-record-size-partial-sequence) */
    n = snprintf(in, sizeof in, "short\n%s\xd0\tyy\nshort\n",
                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    cr_assert(n > 0 && (size_t)n < sizeof in);
    expect_run_error_p("SELECT * FROM S3Object", MAX64, in, PLUCK_E_OVER_MAX_RECORD_SIZE, 2,
                       "short\n");
    /* the invalid byte before the record is too long: InvalidTextEncoding, after record 1 */
    expect_run_error_p("SELECT * FROM S3Object", MAX64, "short\nab\x91yy\nshort\n",
                       PLUCK_E_INVALID_TEXT_ENCODING, 0, "short\n");
}

/* The literal prefilter skips lines without the literal unread, but not a line too long:
 * OverMaxRecordSize is reported as without the prefilter (within the window and at the end
 * of input). */
Test(engine, prefilter_does_not_hide_over_long_records)
{
    static const kv MAX100[] = {{PLUCK_PARAM_MAX_RECORD_SIZE, "100"}, END};
    char in[600];
    char longf[201];
    memset(longf, 'y', 200);
    longf[200] = '\0';
    snprintf(in, sizeof in, "a,zzz\nb,c\n%s,d\ne,zzz\n", longf);
    expect_run_error_p("SELECT * FROM S3Object s WHERE s._2 = 'zzz'", MAX100, in,
                       PLUCK_E_OVER_MAX_RECORD_SIZE, 3, "a,zzz\n");
    snprintf(in, sizeof in, "a,zzz\nb,c\n%s", longf); /* the last line, no newline */
    expect_run_error_p("SELECT * FROM S3Object s WHERE s._2 = 'zzz'", MAX100, in,
                       PLUCK_E_OVER_MAX_RECORD_SIZE, 3, "a,zzz\n");
}

/* WHERE runs a batch one conjunct at a time (run.c: filter_batch); results and the error
 * reported must be those of a row-by-row run: the first error in input order, none past the
 * LIMIT, an output error of an earlier row before a WHERE error of a later one, and rows
 * with an unknown conjunct still evaluating the conjuncts after it. */
Test(engine, where_by_batch_matches_row_by_row)
{
    /* row 1 fails in the second conjunct, row 2 in the first: row 1's error */
    expect_run_error("SELECT _1 FROM S3Object WHERE CAST(_2 AS INT) > 0 AND CAST(_3 AS INT) > 0",
                     "a,1,x\nb,y,1\n", PLUCK_E_CAST_FAILED, 1);
    /* the LIMIT is met before the row that would fail */
    expect("SELECT _1 FROM S3Object WHERE CAST(_2 AS INT) > 0 LIMIT 1", "a,1\nb,x\n", "a\n");
    /* row 1's output fails before row 2's WHERE would */
    expect_run_error("SELECT CAST(_1 AS INT) FROM S3Object WHERE CAST(_2 AS INT) > 0",
                     "x,1\nb,y\n", PLUCK_E_CAST_FAILED, 1);
    /* MISSING in the first conjunct (unknown): the second is still evaluated, and fails */
    expect_run_error("SELECT _1 FROM S3Object WHERE _3 = 'a' AND CAST(_2 AS INT) > 0",
                     "1,5,a\n1,x\n", PLUCK_E_CAST_FAILED, 2);
    /* unknown AND TRUE selects nothing; FALSE AND error is FALSE */
    expect("SELECT _1 FROM S3Object WHERE _3 = 'a' AND CAST(_2 AS INT) > 0",
           "1,5\n2,5,a\n3,5,b\n", "2\n");
    expect("SELECT _1 FROM S3Object WHERE _2 = 'ok' AND CAST(_3 AS INT) > 0",
           "1,no,x\n2,ok,3\n", "2\n");
}

/*
 * test_parse.c — the SQL front end: tokenizer, reserved words, and the parser's trees and
 * errors.  Valid statements are checked by printing the tree as an S-expression, so a case
 * is one line of SQL and one line of expected structure; error cases check S3's code and
 * the 1-based line and column of the report.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "sql/ast.h"
#include "sql/tokenize.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- S-expression printer ------------------------------------------------------------- */

typedef struct sbuf {
    char s[8192];
    size_t n;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) PL_PRINTF(2, 3);
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (b->n < sizeof b->s) {
        int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
        if (k > 0)
            b->n += (size_t)k;
        if (b->n > sizeof b->s)
            b->n = sizeof b->s;
    }
    va_end(ap);
}

/* Text in q quotes with q doubled, as it would be written in SQL. */
static void put_quoted(sbuf *b, char q, const char *s)
{
    put(b, "%c", q);
    for (; *s; s++)
        put(b, *s == q ? "%c%c" : "%c", *s, *s);
    put(b, "%c", q);
}

static void put_name(sbuf *b, const char *s, bool quoted)
{
    if (quoted)
        put_quoted(b, '"', s);
    else
        put(b, "%s", s);
}

static const char *const cmp_names[] = {"=", "<>", "<", "<=", ">", ">="};
static const char *const type_names[] = {"bool", "int", "float", "decimal", "string", "timestamp"};
static const char *const part_names[] = {"none",   "year",   "month",         "day",
                                         "hour",   "minute", "second",        "timezone_hour",
                                         "timezone_minute"};

static void print_expr(sbuf *b, const pl_expr *e);

static void print_args(sbuf *b, const pl_expr *e, uint32_t from)
{
    for (uint32_t i = from; i < e->nargs; i++) {
        put(b, " ");
        print_expr(b, e->args[i]);
    }
}

static void print_expr(sbuf *b, const pl_expr *e)
{
    if (!e) {
        put(b, "<NULL>");
        return;
    }
    switch (e->kind) {
    case PL_E_LITERAL:
        switch (e->lit_kind) {
        case PL_LIT_NULL: put(b, "null"); break;
        case PL_LIT_MISSING: put(b, "missing"); break;
        case PL_LIT_TRUE: put(b, "true"); break;
        case PL_LIT_FALSE: put(b, "false"); break;
        case PL_LIT_STRING: put_quoted(b, '\'', e->text); break;
        case PL_LIT_ION: put(b, "`%s`", e->text); break;
        default: put(b, "%s", e->text); break;
        }
        break;
    case PL_E_COLUMN:
        put(b, "(col ");
        if (e->qualifier) {
            put_name(b, e->qualifier, e->qualifier_quoted);
            put(b, " ");
        }
        if (e->name)
            put_name(b, e->name, e->name_quoted);
        else
            put(b, "_%u", (unsigned)e->index);
        put(b, ")");
        break;
    case PL_E_NEG: put(b, "(neg"); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_NOT: put(b, "(not"); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_AND: put(b, "(and"); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_OR: put(b, "(or"); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_ARITH: put(b, "(%c", (char)e->op); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_CONCAT: put(b, "(||"); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_CMP: put(b, "(%s", cmp_names[e->op]); print_args(b, e, 0); put(b, ")"); break;
    case PL_E_LIKE:
        put(b, "(%slike", e->negated ? "not-" : "");
        print_args(b, e, 0);
        put(b, ")");
        break;
    case PL_E_BETWEEN:
        put(b, "(%sbetween", e->negated ? "not-" : "");
        print_args(b, e, 0);
        put(b, ")");
        break;
    case PL_E_IN:
        put(b, "(%sin", e->negated ? "not-" : "");
        print_args(b, e, 0);
        put(b, ")");
        break;
    case PL_E_IS:
        put(b, "(is-%s%s", e->negated ? "not-" : "", e->op == PL_IS_NULL ? "null" : "missing");
        print_args(b, e, 0);
        put(b, ")");
        break;
    case PL_E_CAST:
        put(b, "(cast");
        print_args(b, e, 0);
        put(b, " %s", type_names[e->cast_type]);
        if (e->type_p >= 0)
            put(b, " %d", e->type_p);
        if (e->type_s >= 0)
            put(b, " %d", e->type_s);
        put(b, ")");
        break;
    case PL_E_CASE: {
        put(b, "(case ");
        if (e->args[0])
            print_expr(b, e->args[0]);
        else
            put(b, "_");
        uint32_t end = e->has_else ? e->nargs - 1 : e->nargs;
        for (uint32_t i = 1; i + 1 < end; i += 2) {
            put(b, " (when ");
            print_expr(b, e->args[i]);
            put(b, " ");
            print_expr(b, e->args[i + 1]);
            put(b, ")");
        }
        if (e->has_else) {
            put(b, " (else ");
            print_expr(b, e->args[e->nargs - 1]);
            put(b, ")");
        }
        put(b, ")");
        break;
    }
    case PL_E_CALL:
        put(b, "(call %s", e->func);
        if (e->star)
            put(b, " *");
        switch (e->op) {
        case PL_FORM_TRIM_BOTH: put(b, " both"); break;
        case PL_FORM_TRIM_LEADING: put(b, " leading"); break;
        case PL_FORM_TRIM_TRAILING: put(b, " trailing"); break;
        case PL_FORM_DATEPART: put(b, " %s", part_names[e->datepart]); break;
        default: break;
        }
        print_args(b, e, 0);
        put(b, ")");
        break;
    }
}

static void print_select(sbuf *b, const pl_select *s)
{
    put(b, "(select (cols");
    if (s->select_star) {
        if (s->star_qualifier)
            put(b, " %s.*", s->star_qualifier);
        else
            put(b, " *");
    }
    for (uint32_t i = 0; i < s->nitems; i++) {
        const pl_select_item *it = &s->items[i];
        put(b, " ");
        if (!it->expr) {
            put(b, "(star)");
            continue;
        }
        if (it->alias)
            put(b, "(as ");
        print_expr(b, it->expr);
        if (it->alias)
            put(b, " %s)", it->alias);
    }
    put(b, ") (from %s", s->table_name);
    if (s->table_alias) {
        put(b, " ");
        put_name(b, s->table_alias, s->table_alias_quoted);
    }
    put(b, ")");
    if (s->where) {
        put(b, " (where ");
        print_expr(b, s->where);
        put(b, ")");
    }
    if (s->has_limit)
        put(b, " (limit %lld)", (long long)s->limit);
    put(b, ")");
}

/* Parse sql and print its tree into b; on error print "ERROR <name> L:C: message". */
static pluck_code parse_print(const char *sql, size_t len, sbuf *b, pluck_error *err)
{
    pl_arena arena = {0};
    pl_select *sel = NULL;
    memset(err, 0, sizeof *err);
    pluck_code rc = pl_parse(sql, len, &arena, &sel, err);
    b->n = 0;
    b->s[0] = '\0';
    if (rc == PLUCK_OK) {
        cr_assert_not_null(sel);
        print_select(b, sel);
    } else {
        cr_assert_null(sel);
        put(b, "ERROR %s %u:%u: %s", pluck_code_name(rc), (unsigned)err->sql_line,
            (unsigned)err->sql_column, err->message);
    }
    pl_arena_free(&arena);
    return rc;
}

/* ---- valid statements ------------------------------------------------------------------- */

typedef struct valid_case {
    const char *sql;
    const char *tree;
} valid_case;

#define F " (from S3Object)"
static const valid_case valid_cases[] = {
    /* projections and FROM */
    {"SELECT * FROM S3Object", "(select (cols *)" F ")"},
    {"select * from s3object", "(select (cols *) (from s3object))"},
    {"SELECT s.* FROM S3Object s", "(select (cols s.*) (from S3Object s))"},
    {"SELECT s.iso_country FROM S3Object s WHERE s.iso_country = 'US' LIMIT 10",
     "(select (cols (col s iso_country)) (from S3Object s) "
     "(where (= (col s iso_country) 'US')) (limit 10))"},
    {"SELECT _1, _2, _10 FROM S3Object", "(select (cols (col _1) (col _2) (col _10))" F ")"},
    {"SELECT s._3 FROM S3Object AS s", "(select (cols (col s _3)) (from S3Object s))"},
    {"SELECT S3Object._1 FROM S3Object", "(select (cols (col S3Object _1))" F ")"},
    {"SELECT \"Name\", s.\"na\"\"me\", s.\"_1\" FROM S3Object s",
     "(select (cols (col \"Name\") (col s \"na\"\"me\") (col s \"_1\")) (from S3Object s))"},
    {"SELECT \"s\".x, \"s\".\"Y\" FROM S3Object AS \"s\"",
     "(select (cols (col \"s\" x) (col \"s\" \"Y\")) (from S3Object \"s\"))"},
    {"SELECT a AS x, b y, c AS \"Z\", d \"W\" FROM S3Object",
     "(select (cols (as (col a) x) (as (col b) y) (as (col c) Z) (as (col d) W))" F ")"},
    {"SELECT s.*, s._1 FROM S3Object s", "(select (cols (star) (col s _1)) (from S3Object s))"},
    {"SELECT s.\"CAST\", \"year\" FROM S3Object s",
     "(select (cols (col s \"CAST\") (col \"year\")) (from S3Object s))"},
    {"SELECT s3object, utcnow, to_string, date_add FROM S3Object",
     "(select (cols (col s3object) (col utcnow) (col to_string) (col date_add))" F ")"},
    {"SELECT _01 FROM S3Object", "(select (cols (col _1))" F ")"},
    {"SELECT _a1, __1 FROM S3Object", "(select (cols (col _a1) (col __1))" F ")"},
    /* literals */
    {"SELECT 'it''s', '', '''' FROM S3Object", "(select (cols 'it''s' '' '''')" F ")"},
    {"SELECT 1, 1.5, .5, 5., 1e3, 2.5E-2, .5e+1, 007 FROM S3Object",
     "(select (cols 1 1.5 .5 5. 1e3 2.5E-2 .5e+1 007)" F ")"},
    {"SELECT TRUE, false, NULL, Missing FROM S3Object",
     "(select (cols true false null missing)" F ")"},
    {"SELECT `2010-01-01T`, `TRUE` FROM S3Object", "(select (cols `2010-01-01T` `TRUE`)" F ")"},
    {"SELECT 'a\"b', 'x--y', 'p/*q*/' FROM S3Object",
     "(select (cols 'a\"b' 'x--y' 'p/*q*/')" F ")"},
    /* arithmetic, precedence, associativity */
    {"SELECT 1 + 2 * 3 FROM S3Object", "(select (cols (+ 1 (* 2 3)))" F ")"},
    {"SELECT (1 + 2) * 3 FROM S3Object", "(select (cols (* (+ 1 2) 3))" F ")"},
    {"SELECT 1 - 2 - 3 FROM S3Object", "(select (cols (- (- 1 2) 3))" F ")"},
    {"SELECT 8 / 4 % 3 * 2 FROM S3Object", "(select (cols (* (% (/ 8 4) 3) 2))" F ")"},
    {"SELECT 1 - 2 + 3 FROM S3Object", "(select (cols (+ (- 1 2) 3))" F ")"},
    {"SELECT -_1 * 2 FROM S3Object", "(select (cols (* (neg (col _1)) 2))" F ")"},
    {"SELECT - - 1, +1, +-1, -+1 FROM S3Object",
     "(select (cols (neg (neg 1)) 1 (neg 1) (neg 1))" F ")"},
    {"SELECT 2 * -3 FROM S3Object", "(select (cols (* 2 (neg 3)))" F ")"},
    {"SELECT a * (b + c) / d FROM S3Object",
     "(select (cols (/ (* (col a) (+ (col b) (col c))) (col d)))" F ")"},
    {"SELECT ((((1)))) FROM S3Object", "(select (cols 1)" F ")"},
    /* concatenation */
    {"SELECT 'a' || 'b' || 'c' FROM S3Object", "(select (cols (|| (|| 'a' 'b') 'c'))" F ")"},
    {"SELECT 1 + 2 || 'x' FROM S3Object", "(select (cols (|| (+ 1 2) 'x'))" F ")"},
    {"SELECT * FROM S3Object WHERE a || b = 'xy'",
     "(select (cols *)" F " (where (= (|| (col a) (col b)) 'xy')))"},
    /* logic */
    {"SELECT * FROM S3Object WHERE a = 1 OR b = 2 AND c = 3",
     "(select (cols *)" F " (where (or (= (col a) 1) (and (= (col b) 2) (= (col c) 3)))))"},
    {"SELECT * FROM S3Object WHERE (a = 1 OR b = 2) AND c = 3",
     "(select (cols *)" F " (where (and (or (= (col a) 1) (= (col b) 2)) (= (col c) 3))))"},
    {"SELECT * FROM S3Object WHERE a OR b OR c",
     "(select (cols *)" F " (where (or (or (col a) (col b)) (col c))))"},
    {"SELECT * FROM S3Object WHERE a AND b AND c",
     "(select (cols *)" F " (where (and (and (col a) (col b)) (col c))))"},
    {"SELECT * FROM S3Object WHERE NOT a = 1 AND b = 2",
     "(select (cols *)" F " (where (and (not (= (col a) 1)) (= (col b) 2))))"},
    {"SELECT * FROM S3Object WHERE NOT NOT a",
     "(select (cols *)" F " (where (not (not (col a)))))"},
    {"SELECT * FROM S3Object WHERE a AND NOT b OR NOT c",
     "(select (cols *)" F " (where (or (and (col a) (not (col b))) (not (col c)))))"},
    {"SELECT * FROM S3Object WHERE NOT a BETWEEN 1 AND 2",
     "(select (cols *)" F " (where (not (between (col a) 1 2))))"},
    /* comparisons */
    {"SELECT * FROM S3Object WHERE a <> 1 AND b != 2",
     "(select (cols *)" F " (where (and (<> (col a) 1) (<> (col b) 2))))"},
    {"SELECT * FROM S3Object WHERE a < 1 OR a <= 2 OR a > 3 OR a >= 4",
     "(select (cols *)" F
     " (where (or (or (or (< (col a) 1) (<= (col a) 2)) (> (col a) 3)) (>= (col a) 4))))"},
    {"SELECT * FROM S3Object WHERE a = -1", "(select (cols *)" F " (where (= (col a) (neg 1))))"},
    {"SELECT * FROM S3Object WHERE a + 1 > b * 2",
     "(select (cols *)" F " (where (> (+ (col a) 1) (* (col b) 2))))"},
    {"SELECT * FROM S3Object WHERE a BETWEEN 1 AND 10 AND b = 2",
     "(select (cols *)" F " (where (and (between (col a) 1 10) (= (col b) 2))))"},
    {"SELECT * FROM S3Object WHERE a NOT BETWEEN 1 + 1 AND c || 'x'",
     "(select (cols *)" F " (where (not-between (col a) (+ 1 1) (|| (col c) 'x'))))"},
    {"SELECT * FROM S3Object WHERE a IN ('x', 'y')",
     "(select (cols *)" F " (where (in (col a) 'x' 'y')))"},
    {"SELECT * FROM S3Object WHERE a NOT IN (1, 2 + 3, (4))",
     "(select (cols *)" F " (where (not-in (col a) 1 (+ 2 3) 4)))"},
    {"SELECT * FROM S3Object WHERE a IN ['x', 'y']",
     "(select (cols *)" F " (where (in (col a) 'x' 'y')))"},
    {"SELECT * FROM S3Object WHERE a LIKE 'A%'",
     "(select (cols *)" F " (where (like (col a) 'A%')))"},
    {"SELECT * FROM S3Object WHERE a NOT LIKE 'x!%' ESCAPE '!'",
     "(select (cols *)" F " (where (not-like (col a) 'x!%' '!')))"},
    {"SELECT * FROM S3Object WHERE a IS NULL AND b IS NOT NULL AND c IS MISSING AND d IS NOT "
     "MISSING",
     "(select (cols *)" F " (where (and (and (and (is-null (col a)) (is-not-null (col b))) "
     "(is-missing (col c))) (is-not-missing (col d)))))"},
    {"SELECT * FROM S3Object WHERE a || 'x' LIKE b || '%'",
     "(select (cols *)" F " (where (like (|| (col a) 'x') (|| (col b) '%'))))"},
    /* CASE */
    {"SELECT CASE WHEN a = 1 THEN 'one' WHEN a = 2 THEN 'two' ELSE 'many' END FROM S3Object",
     "(select (cols (case _ (when (= (col a) 1) 'one') (when (= (col a) 2) 'two') "
     "(else 'many')))" F ")"},
    {"SELECT CASE a WHEN '' THEN NULL END FROM S3Object",
     "(select (cols (case (col a) (when '' null)))" F ")"},
    {"SELECT CASE WHEN a THEN CASE b WHEN 1 THEN 2 ELSE 3 END END x FROM S3Object",
     "(select (cols (as (case _ (when (col a) (case (col b) (when 1 2) (else 3)))) x))" F ")"},
    {"SELECT s._1 FROM S3Object s WHERE (CASE s._1 WHEN '' THEN NULL ELSE CAST(s._1 AS INT) "
     "END) > 10",
     "(select (cols (col s _1)) (from S3Object s) (where (> (case (col s _1) (when '' null) "
     "(else (cast (col s _1) int))) 10)))"},
    /* CAST */
    {"SELECT CAST(a AS INT), CAST(a AS integer), CAST(a AS BOOL), CAST(a AS boolean) FROM "
     "S3Object",
     "(select (cols (cast (col a) int) (cast (col a) int) (cast (col a) bool) "
     "(cast (col a) bool))" F ")"},
    {"SELECT CAST(a AS FLOAT), CAST(a AS STRING), CAST(a AS TIMESTAMP), CAST(a AS DECIMAL) "
     "FROM S3Object",
     "(select (cols (cast (col a) float) (cast (col a) string) (cast (col a) timestamp) "
     "(cast (col a) decimal))" F ")"},
    {"SELECT CAST(a AS DECIMAL(10,2)), CAST(a AS numeric(5)) FROM S3Object",
     "(select (cols (cast (col a) decimal 10 2) (cast (col a) decimal 5))" F ")"},
    {"SELECT CAST(CAST(a AS INT) + 1 AS STRING) FROM S3Object",
     "(select (cols (cast (+ (cast (col a) int) 1) string))" F ")"},
    /* aggregates and functions */
    {"SELECT COUNT(*) FROM S3Object", "(select (cols (call count *))" F ")"},
    {"SELECT count(*) AS n, SUM(CAST(_3 AS INT)) total FROM S3Object",
     "(select (cols (as (call count *) n) (as (call sum (cast (col _3) int)) total))" F ")"},
    {"SELECT COUNT(a), AVG(a), MIN(a), MAX(a) FROM S3Object",
     "(select (cols (call count (col a)) (call avg (col a)) (call min (col a)) "
     "(call max (col a)))" F ")"},
    {"SELECT SUM(CAST(_1 AS INT)) / COUNT(*) FROM S3Object",
     "(select (cols (/ (call sum (cast (col _1) int)) (call count *)))" F ")"},
    {"SELECT UTCNOW(), Coalesce(a, b, 'x'), NULLIF(a, '') FROM S3Object",
     "(select (cols (call utcnow) (call coalesce (col a) (col b) 'x') "
     "(call nullif (col a) ''))" F ")"},
    {"SELECT char_length(a), CHARACTER_LENGTH(a), LOWER(a), Upper(a) FROM S3Object",
     "(select (cols (call char_length (col a)) (call character_length (col a)) "
     "(call lower (col a)) (call upper (col a)))" F ")"},
    {"SELECT TO_STRING(a, 'y-MM-dd''T''H'), to_timestamp(a), foo(1, 2) FROM S3Object",
     "(select (cols (call to_string (col a) 'y-MM-dd''T''H') (call to_timestamp (col a)) "
     "(call foo 1 2))" F ")"},
    {"SELECT * FROM S3Object WHERE UPPER(TRIM(a)) LIKE '%X%'",
     "(select (cols *)" F " (where (like (call upper (call trim both (col a))) '%X%')))"},
    /* special forms */
    {"SELECT SUBSTRING(a FROM 2), SUBSTRING(a FROM 2 FOR 3) FROM S3Object",
     "(select (cols (call substring (col a) 2) (call substring (col a) 2 3))" F ")"},
    {"SELECT substring(a, 2), SUBSTRING(a, 2, 3) FROM S3Object",
     "(select (cols (call substring (col a) 2) (call substring (col a) 2 3))" F ")"},
    {"SELECT TRIM(a), TRIM(FROM a), TRIM(LEADING FROM a) FROM S3Object",
     "(select (cols (call trim both (col a)) (call trim both (col a)) "
     "(call trim leading (col a)))" F ")"},
    {"SELECT TRIM(TRAILING 'x' FROM a), TRIM(BOTH '12' FROM a), TRIM('x' FROM a) FROM S3Object",
     "(select (cols (call trim trailing (col a) 'x') (call trim both (col a) '12') "
     "(call trim both (col a) 'x'))" F ")"},
    {"SELECT EXTRACT(YEAR FROM a), extract(timezone_hour FROM `2017-01-02T03:04:05+07:08`) "
     "FROM S3Object",
     "(select (cols (call extract year (col a)) "
     "(call extract timezone_hour `2017-01-02T03:04:05+07:08`))" F ")"},
    {"SELECT EXTRACT(TIMEZONE_MINUTE FROM a), EXTRACT(second FROM a) FROM S3Object",
     "(select (cols (call extract timezone_minute (col a)) (call extract second (col a)))" F ")"},
    {"SELECT DATE_ADD(day, -1, a), date_diff(MONTH, a, b), Date_Add(hour, 1, UTCNOW()) "
     "FROM S3Object",
     "(select (cols (call date_add day (neg 1) (col a)) (call date_diff month (col a) (col b)) "
     "(call date_add hour 1 (call utcnow)))" F ")"},
    {"SELECT DATE_DIFF(year, `2010T`, `2011T`), DATE_ADD(minute, 5, a) FROM S3Object",
     "(select (cols (call date_diff year `2010T` `2011T`) (call date_add minute 5 (col a)))" F
     ")"},
    /* layout: comments, lines, case, separators */
    {"SELECT /* c */ a -- line comment\nFROM S3Object -- end", "(select (cols (col a))" F ")"},
    {"SELECT a\n  FROM S3Object s\n  WHERE s.a = 'x'\n  LIMIT 3",
     "(select (cols (col a)) (from S3Object s) (where (= (col s a) 'x')) (limit 3))"},
    {"SELECT\ta\r\nFROM\tS3Object\r\n", "(select (cols (col a))" F ")"},
    {"SELECT * FROM S3Object;", "(select (cols *)" F ")"},
    {"SELECT * FROM S3Object LIMIT 5 ; -- done\n", "(select (cols *)" F " (limit 5))"},
    {"SeLeCt a FrOm S3OBJECT wHeRe a Is NoT nUlL lImIt 0",
     "(select (cols (col a)) (from S3OBJECT) (where (is-not-null (col a))) (limit 0))"},
    {"SELECT(a)FROM S3Object WHERE(a=1)", "(select (cols (col a))" F " (where (= (col a) 1)))"},
    {"SELECT a/*x*/,/**/b FROM S3Object", "(select (cols (col a) (col b))" F ")"},
    {"SELECT 1--2\nFROM S3Object", "(select (cols 1)" F ")"},
    {"SELECT \"h\xc3\xa9llo\" FROM S3Object WHERE \"h\xc3\xa9llo\" = '\xc3\xbcn\xc3\xaf'",
     "(select (cols (col \"h\xc3\xa9llo\"))" F
     " (where (= (col \"h\xc3\xa9llo\") '\xc3\xbcn\xc3\xaf')))"},
    /* LIMIT */
    {"SELECT * FROM S3Object LIMIT +5", "(select (cols *)" F " (limit 5))"},
    {"SELECT * FROM S3Object LIMIT -0", "(select (cols *)" F " (limit 0))"},
    {"SELECT * FROM S3Object LIMIT 99999999999999999999",
     "(select (cols *)" F " (limit 9223372036854775807))"},
    {"SELECT * FROM \"S3Object\" WHERE TRUE", "(select (cols *)" F " (where true))"},
};
#undef F

ParameterizedTestParameters(parse, valid)
{
    static size_t idx[PL_ARRAY_SIZE(valid_cases)];
    for (size_t i = 0; i < PL_ARRAY_SIZE(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, PL_ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, parse, valid)
{
    const valid_case *c = &valid_cases[*i];
    sbuf b;
    pluck_error err;
    parse_print(c->sql, strlen(c->sql), &b, &err);
    cr_expect_str_eq(b.s, c->tree, "SQL: %s\n got: %s\nwant: %s", c->sql, b.s, c->tree);
}

/* ---- errors ------------------------------------------------------------------------------ */

typedef struct error_case {
    const char *sql;
    pluck_code code;
    unsigned line, column;
    const char *message; /* exact message, or NULL */
} error_case;

#define FROM_S " FROM S3Object"
#define W "SELECT * FROM S3Object WHERE "
static const error_case error_cases[] = {
    /* lexer */
    {"SELECT @ FROM S3Object", PLUCK_E_LEXER_INVALID_CHAR, 1, 8,
     "Invalid character '@' [U+0040] at line 1, column 8."},
    {W "a # 1", PLUCK_E_LEXER_INVALID_CHAR, 1, 32, NULL},
    {"SELECT $1" FROM_S, PLUCK_E_LEXER_INVALID_CHAR, 1, 8, NULL},
    {W "a ! 1", PLUCK_E_LEXER_INVALID_CHAR, 1, 32, NULL},
    {W "a | b", PLUCK_E_LEXER_INVALID_CHAR, 1, 32, NULL},
    {"SELECT \xc3\xa9" FROM_S, PLUCK_E_LEXER_INVALID_CHAR, 1, 8,
     "Invalid character '\xc3\xa9' [U+00E9] at line 1, column 8."},
    {"SELECT '\xc3\xa9', ?" FROM_S, PLUCK_E_LEXER_INVALID_CHAR, 1, 13, NULL},
    {"SELECT a\f" FROM_S, PLUCK_E_LEXER_INVALID_CHAR, 1, 9, NULL},
    {"SELECT 'abc" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8,
     "Unterminated string literal at line 1, column 8."},
    {"SELECT 'it''" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8, NULL},
    {"SELECT \"abc" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8, NULL},
    {"SELECT 1e" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8,
     "Invalid numeric literal '1e' at line 1, column 8."},
    {"SELECT 1e+" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8, NULL},
    {"SELECT 1.2.3" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8,
     "Invalid numeric literal '1.2.3' at line 1, column 8."},
    {"SELECT 12ab" FROM_S, PLUCK_E_LEXER_INVALID_LITERAL, 1, 8, NULL},
    {"SELECT `2010" FROM_S, PLUCK_E_LEXER_INVALID_ION_LITERAL, 1, 8, NULL},
    {"SELECT ``" FROM_S, PLUCK_E_LEXER_INVALID_ION_LITERAL, 1, 8, NULL},
    {"SELECT /* a" FROM_S, PLUCK_E_LEXER_INVALID_CHAR, 1, 8, NULL},
    /* lexical errors win over earlier syntax errors */
    {"SELECT FROM FROM 'x", PLUCK_E_LEXER_INVALID_LITERAL, 1, 18, NULL},
    /* statement structure */
    {"", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 1,
     "Expected keyword SELECT, found EOF at line 1, column 1."},
    {"UPDATE x", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 1, NULL},
    {"SELECT", PLUCK_E_PARSE_EMPTY_SELECT, 1, 7, NULL},
    {"SELECT FROM S3Object", PLUCK_E_PARSE_EMPTY_SELECT, 1, 8,
     "Expected a SELECT list, found KEYWORD:'from' at line 1, column 8."},
    {"SELECT a", PLUCK_E_PARSE_SELECT_MISSING_FROM, 1, 9, NULL},
    {"SELECT a WHERE a = 1", PLUCK_E_PARSE_SELECT_MISSING_FROM, 1, 10, NULL},
    {"SELECT *, a" FROM_S, PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, 1, 8, NULL},
    {"SELECT a, *" FROM_S, PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, 1, 11, NULL},
    {"SELECT DISTINCT a" FROM_S, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 8, NULL},
    {"SELECT a FROM S3Object s JOIN S3Object t", PLUCK_E_PARSE_MALFORMED_JOIN, 1, 26, NULL},
    {"SELECT a FROM S3Object s, S3Object t", PLUCK_E_PARSE_MALFORMED_JOIN, 1, 25, NULL},
    {"SELECT a FROM S3Object LEFT JOIN x", PLUCK_E_PARSE_MALFORMED_JOIN, 1, 24, NULL},
    {"SELECT a FROM S3Object GROUP BY a", PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, 1, 24,
     "GROUP is not supported at line 1, column 24."},
    {W "a = 1 ORDER BY a", PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, 1, 36,
     "ORDER is not supported at line 1, column 36."},
    {"SELECT a FROM S3Object s HAVING a", PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, 1, 26,
     NULL},
    {"SELECT a FROM S3Object[*]", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 23, NULL},
    {"SELECT a FROM S3Object[*].x s", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 23, NULL},
    {"SELECT a FROM mytable", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 15, NULL},
    {"SELECT a FROM (SELECT a FROM S3Object)", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 15, NULL},
    {"SELECT a FROM 'S3Object'", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 15, NULL},
    {"SELECT * FROM S3Object FROM", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 24,
     "Unexpected token found KEYWORD:'from' at line 1, column 24."},
    {"SELECT a FROM S3Object; SELECT b FROM S3Object", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 25,
     NULL},
    {"SELECT a FROM S3Object;;", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 24, NULL},
    {"SELECT a b c" FROM_S, PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 12,
     "Unexpected token found IDENTIFIER:'c' at line 1, column 12."},
    {"SELECT a," FROM_S, PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 11, NULL},
    /* LIMIT */
    {"SELECT a FROM S3Object LIMIT -1", PLUCK_E_EVALUATOR_NEGATIVE_LIMIT, 1, 30, NULL},
    {"SELECT a FROM S3Object LIMIT 1.5", PLUCK_E_PARSE_EXPECTED_NUMBER, 1, 30, NULL},
    {"SELECT a FROM S3Object LIMIT 'a'", PLUCK_E_PARSE_EXPECTED_NUMBER, 1, 30,
     "Expected number for LIMIT, found LITERAL:'a' at line 1, column 30."},
    {"SELECT a FROM S3Object LIMIT", PLUCK_E_PARSE_EXPECTED_NUMBER, 1, 29, NULL},
    {"SELECT a FROM S3Object LIMIT 1 2", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 32, NULL},
    {"SELECT a FROM S3Object LIMIT 1 WHERE a", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 32, NULL},
    /* aliases */
    {"SELECT a AS FROM S3Object", PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, 1, 13, NULL},
    {"SELECT a AS 'x'" FROM_S, PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, 1, 13,
     "Expected identifier for alias, found LITERAL:'x' at line 1, column 13."},
    {"SELECT a FROM S3Object AS WHERE a = 1", PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, 1, 27,
     NULL},
    {"SELECT a AS date" FROM_S, PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, 1, 13, NULL},
    /* names and paths */
    {"SELECT s.CAST FROM S3Object s", PLUCK_E_PARSE_INVALID_PATH_COMPONENT, 1, 10, NULL},
    {"SELECT * FROM S3Object s WHERE s.'odd' = 1", PLUCK_E_PARSE_INVALID_PATH_COMPONENT, 1, 34,
     "Invalid Path component, expecting either an IDENTIFIER or STAR, got: LITERAL,at line 1, "
     "column 34."},
    {"SELECT s. FROM S3Object s", PLUCK_E_PARSE_INVALID_PATH_COMPONENT, 1, 11, NULL},
    {"SELECT s.a.b FROM S3Object s", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 11, NULL},
    {W "s.* = 1", PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 32, NULL},
    {"SELECT year" FROM_S, PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 8,
     "Unexpected keyword found KEYWORD:'year' at line 1, column 8."},
    {"SELECT count" FROM_S, PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL, 1, 14,
     "Expected left parenthesis after COUNT, found KEYWORD:'from' at line 1, column 14."},
    /* expressions */
    {W, PLUCK_E_PARSE_EXPECTED_EXPRESSION, 1, 30,
     "Expected expression, found EOF at line 1, column 30."},
    {W "a = % 3", PLUCK_E_PARSE_UNEXPECTED_OPERATOR, 1, 34,
     "Unexpected operator OPERATOR:'%' at line 1, column 34."},
    {W "a = SELECT", PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 34, NULL},
    {W "a = b = c", PLUCK_E_PARSE_UNEXPECTED_OPERATOR, 1, 36, NULL},
    {W "a < b > c", PLUCK_E_PARSE_UNEXPECTED_OPERATOR, 1, 36, NULL},
    {W "a IS NULL IS NULL", PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 40, NULL},
    {W "a = 1 LIKE 'x'", PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 36, NULL},
    {W "a = NOT b", PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 34, NULL},
    {W "a NOT = 1", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 36, NULL},
    {W "a IS TRUE", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 35, NULL},
    {W "a BETWEEN 1 OR 2", PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 42, NULL},
    {W "a IN 1", PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, 1, 35, NULL},
    {W "a IN (1, 2", PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, 1, 40, NULL},
    {W "a IN ()", PLUCK_E_PARSE_EXPECTED_EXPRESSION, 1, 36, NULL},
    {W "(a = 1", PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, 1, 36, NULL},
    {W "a = 1)", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 35, NULL},
    {W "a = 1 JOIN", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 36, NULL},
    {W "a a", PLUCK_E_PARSE_UNEXPECTED_TOKEN, 1, 32, NULL},
    {"SELECT 1 +" FROM_S, PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 12, NULL},
    {"SELECT -" FROM_S, PLUCK_E_PARSE_UNEXPECTED_KEYWORD, 1, 10, NULL},
    /* CASE and CAST */
    {"SELECT CASE END" FROM_S, PLUCK_E_PARSE_EXPECTED_WHEN_CLAUSE, 1, 13, NULL},
    {"SELECT CASE a END" FROM_S, PLUCK_E_PARSE_EXPECTED_WHEN_CLAUSE, 1, 15,
     "Expected WHEN clause in CASE, found KEYWORD:'end' at line 1, column 15."},
    {"SELECT CASE WHEN a THEN b" FROM_S, PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 27, NULL},
    {"SELECT CASE WHEN a b END" FROM_S, PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 20, NULL},
    {"SELECT CAST(a AS \"true\")" FROM_S, PLUCK_E_PARSE_EXPECTED_TYPE_NAME, 1, 18,
     "Expected type name, found QUOTED_IDENTIFIER:'true' at line 1, column 18."},
    {"SELECT CAST(a AS VARCHAR)" FROM_S, PLUCK_E_PARSE_EXPECTED_TYPE_NAME, 1, 18, NULL},
    {"SELECT CAST(a AS)" FROM_S, PLUCK_E_PARSE_EXPECTED_TYPE_NAME, 1, 17, NULL},
    {"SELECT CAST a AS INT" FROM_S, PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_AFTER_CAST, 1, 13, NULL},
    {"SELECT CAST(a AS INT" FROM_S, PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL, 1,
     22, NULL},
    {"SELECT CAST(a)" FROM_S, PLUCK_E_PARSE_CAST_ARITY, 1, 14, NULL},
    {"SELECT CAST(a INT)" FROM_S, PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 15, NULL},
    {"SELECT CAST(a AS DECIMAL(x))" FROM_S, PLUCK_E_PARSE_INVALID_TYPE_PARAM, 1, 26, NULL},
    {"SELECT CAST(a AS DECIMAL(10 2))" FROM_S, PLUCK_E_PARSE_INVALID_TYPE_PARAM, 1, 29, NULL},
    {"SELECT CAST(a AS INT(3))" FROM_S, PLUCK_E_PARSE_INVALID_TYPE_PARAM, 1, 21, NULL},
    /* calls */
    {"SELECT SUM(a, b)" FROM_S, PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, 1, 8, NULL},
    {"SELECT COUNT()" FROM_S, PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, 1, 8, NULL},
    {"SELECT COUNT(*, a)" FROM_S, PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, 1, 8, NULL},
    {"SELECT SUM(*)" FROM_S, PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR, 1, 12, NULL},
    {"SELECT upper(*)" FROM_S, PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR, 1, 14, NULL},
    {"SELECT COUNT(DISTINCT a)" FROM_S, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, 1, 14, NULL},
    {"SELECT UPPER(a" FROM_S, PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL, 1, 16,
     NULL},
    {"SELECT COALESCE(a b)" FROM_S, PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL, 1,
     19, NULL},
    {"SELECT f(a,)" FROM_S, PLUCK_E_PARSE_EXPECTED_EXPRESSION, 1, 12, NULL},
    {"SELECT DATE_ADD(day 1, a)" FROM_S, PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, 1, 21, NULL},
    {"SELECT DATE_ADD(day, 1 a)" FROM_S, PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, 1, 24, NULL},
    {"SELECT DATE_ADD(week, 1, a)" FROM_S, PLUCK_E_PARSE_EXPECTED_DATE_PART, 1, 17,
     "Expected date part, found IDENTIFIER:'week' at line 1, column 17."},
    {"SELECT DATE_DIFF(timezone_hour, a, b)" FROM_S, PLUCK_E_PARSE_EXPECTED_DATE_PART, 1, 18,
     NULL},
    {"SELECT DATE_ADD('day', 1, a)" FROM_S, PLUCK_E_PARSE_EXPECTED_DATE_PART, 1, 17, NULL},
    {"SELECT EXTRACT(WEEK FROM a)" FROM_S, PLUCK_E_PARSE_EXPECTED_DATE_PART, 1, 16, NULL},
    {"SELECT EXTRACT(YEAR a)" FROM_S, PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 21, NULL},
    {"SELECT SUBSTRING(a)" FROM_S, PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, 1, 19, NULL},
    {"SELECT SUBSTRING(a FROM 1, 2)" FROM_S,
     PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL, 1, 26, NULL},
    {"SELECT TRIM(LEADING 'x' a)" FROM_S, PLUCK_E_PARSE_EXPECTED_KEYWORD, 1, 25, NULL},
    /* positions on later lines, and columns that count code points */
    {"SELECT a\nFROM S3Object\nWHERE a = @", PLUCK_E_LEXER_INVALID_CHAR, 3, 11, NULL},
    {"SELECT a,\n  b\n  FROM S3Object s\n  WHERE s.CAST = 1", PLUCK_E_PARSE_INVALID_PATH_COMPONENT,
     4, 11, "Invalid Path component, expecting either an IDENTIFIER or STAR, got: KEYWORD,at "
            "line 4, column 11."},
    {"SELECT a\r\nFROM S3Object\r\nLIMIT x", PLUCK_E_PARSE_EXPECTED_NUMBER, 3, 7, NULL},
    {"SELECT a -- comment\n  FROM S3Object /* multi\nline */ GROUP BY a",
     PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, 3, 9, NULL},
    {"SELECT '\xc3\xa9\xc3\xa9', % FROM S3Object", PLUCK_E_PARSE_UNEXPECTED_OPERATOR, 1, 14, NULL},
};
#undef W
#undef FROM_S

ParameterizedTestParameters(parse, errors)
{
    static size_t idx[PL_ARRAY_SIZE(error_cases)];
    for (size_t i = 0; i < PL_ARRAY_SIZE(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, PL_ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, parse, errors)
{
    const error_case *c = &error_cases[*i];
    sbuf b;
    pluck_error err;
    pluck_code rc = parse_print(c->sql, strlen(c->sql), &b, &err);
    if (rc == PLUCK_OK && (c->code == PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME ||
                           (c->code == PLUCK_E_PARSE_UNSUPPORTED_SYNTAX && strstr(c->sql, "DISTINCT")))) {
        /* GROUP BY / HAVING / ORDER BY and DISTINCT parse (they are pluck extensions);
         * without extensions enabled the binder rejects them with S3's code at the keyword */
        pluck_query *q = pluck_query_compile(c->sql, strlen(c->sql), NULL, &err);
        rc = q ? PLUCK_OK : err.code;
        pluck_query_free(q);
    }
    cr_expect_eq(rc, c->code, "SQL: %s\n got: %s\nwant: %s %u:%u", c->sql, b.s,
                 pluck_code_name(c->code), c->line, c->column);
    cr_expect_eq(err.code, c->code, "SQL: %s: err.code", c->sql);
    cr_expect_eq(err.sql_line, c->line, "SQL: %s\n got: %s\nwant line %u", c->sql, b.s, c->line);
    cr_expect_eq(err.sql_column, c->column, "SQL: %s\n got: %s\nwant column %u", c->sql, b.s,
                 c->column);
    if (c->message)
        cr_expect_str_eq(err.message, c->message, "SQL: %s", c->sql);
    /* every report names its position in S3's words */
    char tail[64];
    snprintf(tail, sizeof tail, "at line %u, column %u.", (unsigned)err.sql_line,
             (unsigned)err.sql_column);
    size_t n = strlen(err.message), t = strlen(tail);
    cr_expect(n >= t && strcmp(err.message + n - t, tail) == 0, "message: %s", err.message);
}

/* ---- positions, limits and odd inputs --------------------------------------------------- */

Test(parse, node_positions)
{
    const char *sql = "SELECT s.a AS x, COUNT(*) FROM S3Object s WHERE s.b = 1 LIMIT 5";
    pl_arena arena = {0};
    pl_select *sel;
    pluck_error err;
    cr_assert_eq(pl_parse(sql, strlen(sql), &arena, &sel, &err), PLUCK_OK, "%s", err.message);
    cr_assert_eq(sel->nitems, 2);
    cr_expect_eq(sel->items[0].pos, 7);
    cr_expect_eq(sel->items[0].expr->pos, 7);
    cr_expect_eq(sel->items[0].expr->qualifier_pos, 7);
    cr_expect_str_eq(sel->items[0].alias, "x");
    cr_expect_eq(sel->items[1].pos, 17);
    cr_expect(sel->items[1].expr->star);
    cr_expect_eq(sel->items[1].expr->nargs, 0);
    cr_expect_eq(sel->table_pos, 31);
    cr_expect_str_eq(sel->table_alias, "s");
    cr_expect(!sel->table_alias_quoted);
    cr_expect_eq(sel->where->pos, 48);
    cr_expect_eq(sel->where->args[1]->pos, 54);
    cr_expect_eq(sel->limit_pos, 62);
    cr_expect_eq(sel->limit, 5);
    cr_expect_null(sel->group_by);
    cr_expect_null(sel->having);
    cr_expect_null(sel->order_by);
    pl_arena_free(&arena);
}

Test(parse, literal_values)
{
    const char *sql = "SELECT 'a''b', \"x\"\"y\", -12, `2010T`, CAST(a AS INT) FROM S3Object";
    pl_arena arena = {0};
    pl_select *sel;
    pluck_error err;
    cr_assert_eq(pl_parse(sql, strlen(sql), &arena, &sel, &err), PLUCK_OK, "%s", err.message);
    const pl_expr *s = sel->items[0].expr;
    cr_expect_eq(s->lit_kind, PL_LIT_STRING);
    cr_expect_str_eq(s->text, "a'b");
    cr_expect_eq(s->text_len, 3);
    const pl_expr *q = sel->items[1].expr;
    cr_expect_str_eq(q->name, "x\"y");
    cr_expect(q->name_quoted);
    cr_expect_null(q->qualifier);
    const pl_expr *n = sel->items[2].expr;
    cr_expect_eq(n->kind, PL_E_NEG);
    cr_expect_eq(n->args[0]->lit_kind, PL_LIT_INT);
    cr_expect_str_eq(n->args[0]->text, "12");
    cr_expect_str_eq(sel->items[3].expr->text, "2010T");
    const pl_expr *c = sel->items[4].expr;
    cr_expect_eq(c->type_p, -1);
    cr_expect_eq(c->type_s, -1);
    cr_expect_eq(c->args[0]->index, 0);
    pl_arena_free(&arena);
}

Test(parse, sql_need_not_be_nul_terminated)
{
    const char sql[] = {'S', 'E', 'L', 'E', 'C', 'T', ' ', '*', ' ', 'F', 'R', 'O', 'M', ' ',
                        'S', '3', 'O', 'b', 'j', 'e', 'c', 't', 'X'};
    sbuf b;
    pluck_error err;
    cr_expect_eq(parse_print(sql, sizeof sql - 1, &b, &err), PLUCK_OK, "%s", b.s);
    cr_expect_str_eq(b.s, "(select (cols *) (from S3Object))");
    /* a NUL byte in the text is not a terminator but an invalid character */
    const char nul[] = "SELECT a\0 FROM S3Object";
    cr_expect_eq(parse_print(nul, sizeof nul - 1, &b, &err), PLUCK_E_LEXER_INVALID_CHAR, "%s",
                 b.s);
    cr_expect_eq(err.sql_column, 9);
}

Test(parse, null_error_pointer)
{
    pl_arena arena = {0};
    pl_select *sel;
    cr_expect_eq(pl_parse("SELECT @", 8, &arena, &sel, NULL), PLUCK_E_LEXER_INVALID_CHAR);
    cr_expect_eq(pl_parse("SELECT", 6, &arena, &sel, NULL), PLUCK_E_PARSE_EMPTY_SELECT);
    cr_expect_eq(pl_parse("SELECT a FROM S3Object", 22, &arena, &sel, NULL), PLUCK_OK);
    pl_arena_free(&arena);
}

/* "SELECT " open*n mid close*n " FROM S3Object" into buf; 0 when it does not fit. */
static size_t build_nested(char *buf, size_t cap, const char *open, const char *mid,
                           const char *close, int n)
{
    size_t k = 0, lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    const char *head = "SELECT ", *tail = " FROM S3Object";
    if (strlen(head) + (size_t)n * (lo + lc) + lm + strlen(tail) >= cap)
        return 0;
    memcpy(buf + k, head, strlen(head));
    k += strlen(head);
    for (int i = 0; i < n; i++, k += lo)
        memcpy(buf + k, open, lo);
    memcpy(buf + k, mid, lm);
    k += lm;
    for (int i = 0; i < n; i++, k += lc)
        memcpy(buf + k, close, lc);
    memcpy(buf + k, tail, strlen(tail));
    k += strlen(tail);
    buf[k] = '\0';
    return k;
}

Test(parse, depth_limits)
{
    static char buf[1 << 21];
    sbuf b;
    pluck_error err;
    struct {
        const char *open, *mid, *close;
        int n;
        pluck_code want;
    } cases[] = {
        {"(", "1", ")", 200, PLUCK_OK},
        {"(", "1", ")", PL_MAX_DEPTH - 10, PLUCK_OK},
        {"(", "1", ")", PL_MAX_DEPTH + 50, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"a = 1 OR ", "a", "", 600, PLUCK_OK}, /* flat chains of generated filters */
        {"(", "1", ")", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"- ", "1", "", 200, PLUCK_OK},
        {"- ", "1", "", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"NOT ", "a", "", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"1 + ", "1", "", 200, PLUCK_OK},
        {"1 + ", "1", "", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"1 || ", "1", "", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"a = 1 OR ", "a", "", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"f(", "1", ")", 100000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"CASE WHEN a THEN ", "1", " END", 50000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
        {"CAST(", "1", " AS INT)", 50000, PLUCK_E_MAX_OPERATORS_EXCEEDED},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        size_t n = build_nested(buf, sizeof buf, cases[i].open, cases[i].mid, cases[i].close,
                                cases[i].n);
        cr_assert_gt(n, 0);
        pluck_code rc = parse_print(buf, n, &b, &err);
        cr_expect_eq(rc, cases[i].want, "%s x%d: %.200s", cases[i].open, cases[i].n, b.s);
        if (rc == PLUCK_E_MAX_OPERATORS_EXCEEDED)
            cr_expect_eq(err.sql_line, 1);
    }
}

Test(parse, garbage_never_crashes)
{
    /* Every prefix of a rich statement must parse or fail cleanly (checked under ASan). */
    const char *sql =
        "SELECT s.\"a\"\"b\" AS x, CASE WHEN s._1 BETWEEN -1.5e3 AND .5 THEN 'y''z' ELSE "
        "`2010T` END, TRIM(LEADING 'x' FROM UPPER(s.c)), SUBSTRING(s.d FROM 1 FOR 2), "
        "CAST(s.e AS DECIMAL(10, 2)), DATE_ADD(day, 1, UTCNOW()), COUNT(*) FROM S3Object s "
        "/* c */ WHERE s.f NOT IN (1, 2) AND s.g IS NOT MISSING OR NOT s.h LIKE '%' ESCAPE '!' "
        "-- end\n LIMIT 10;";
    size_t len = strlen(sql);
    sbuf b;
    pluck_error err;
    for (size_t n = 0; n <= len; n++) {
        pluck_code rc = parse_print(sql, n, &b, &err);
        if (rc != PLUCK_OK)
            cr_expect(err.sql_line >= 1 && err.sql_column >= 1, "prefix %zu: %s", n, b.s);
    }
    cr_expect_eq(parse_print(sql, len, &b, &err), PLUCK_OK, "%s", b.s);
}

/* ---- tokenizer and reserved words ------------------------------------------------------- */

Test(tokenize, keyword_table_is_sorted_and_complete)
{
    cr_expect_eq(PL_KW_COUNT_ - 1, 242);
    for (int k = PL_KW_NONE + 2; k < PL_KW_COUNT_; k++)
        cr_expect_lt(strcmp(pl_keyword_name((pl_keyword)(k - 1)), pl_keyword_name((pl_keyword)k)),
                     0, "%s before %s", pl_keyword_name((pl_keyword)(k - 1)),
                     pl_keyword_name((pl_keyword)k));
    for (int k = PL_KW_NONE + 1; k < PL_KW_COUNT_; k++) {
        const char *w = pl_keyword_name((pl_keyword)k);
        cr_expect_eq(pl_keyword_lookup(w, strlen(w)), (pl_keyword)k, "%s", w);
        cr_expect(pl_is_reserved_word(w, strlen(w)), "%s", w);
    }
    cr_expect_str_eq(pl_keyword_name(PL_KW_NONE), "");
}

Test(tokenize, reserved_words)
{
    static const char *const yes[] = {"select", "SELECT", "Select", "end-exec", "END-EXEC",
                                      "timezone_minute", "current_timestamp", "absolute", "zone",
                                      "count", "year", "value", "missing", "leading", "string",
                                      "character_length", "both"};
    static const char *const no[] = {"s3object", "S3Object", "utcnow", "to_string",
                                     "to_timestamp", "date_add", "date_diff", "", "selectx",
                                     "zzz", "a", "current_timestamps", "_1", "end_exec"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(yes); i++)
        cr_expect(pl_is_reserved_word(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < PL_ARRAY_SIZE(no); i++)
        cr_expect(!pl_is_reserved_word(no[i], strlen(no[i])), "%s", no[i]);
    cr_expect(pl_is_reserved_word("selectx", 6)); /* len counts, not NUL */
    cr_expect(!pl_is_reserved_word("select", 5));
}

Test(tokenize, token_stream)
{
    const char *sql = "a \"B\"\"c\" 1 1.5 1e3 'x''y' `t` + - * / % || = <> != < <= > >= ( ) , . "
                      "; [ ] FROM -- c\n/* d */";
    static const pl_tok_type want[] = {
        PL_TK_IDENT,   PL_TK_QIDENT,  PL_TK_INT,    PL_TK_DECIMAL,  PL_TK_FLOAT,    PL_TK_STRING,
        PL_TK_ION,     PL_TK_PLUS,    PL_TK_MINUS,  PL_TK_STAR,     PL_TK_SLASH,    PL_TK_PERCENT,
        PL_TK_CONCAT,  PL_TK_EQ,      PL_TK_NE,     PL_TK_NE,       PL_TK_LT,       PL_TK_LE,
        PL_TK_GT,      PL_TK_GE,      PL_TK_LPAREN, PL_TK_RPAREN,   PL_TK_COMMA,    PL_TK_DOT,
        PL_TK_SEMI,    PL_TK_LBRACKET, PL_TK_RBRACKET, PL_TK_KEYWORD, PL_TK_EOF};
    pl_arena arena = {0};
    pl_token *tok;
    uint32_t n;
    pluck_error err;
    cr_assert_eq(pl_tokenize(sql, strlen(sql), &arena, &tok, &n, &err), PLUCK_OK, "%s",
                 err.message);
    cr_assert_eq(n, PL_ARRAY_SIZE(want));
    for (uint32_t i = 0; i < n; i++)
        cr_expect_eq(tok[i].type, want[i], "token %u", (unsigned)i);
    cr_expect_eq(tok[27].kw, PL_KW_FROM);
    cr_expect_eq(tok[n - 1].pos, strlen(sql));
    cr_expect_eq(tok[1].pos, 2);
    cr_expect_eq(tok[1].len, 6);
    uint32_t len;
    cr_expect_str_eq(pl_token_value(&arena, sql, &tok[1], &len), "B\"c");
    cr_expect_eq(len, 3);
    cr_expect_str_eq(pl_token_value(&arena, sql, &tok[5], &len), "x'y");
    cr_expect_str_eq(pl_token_value(&arena, sql, &tok[6], &len), "t");
    cr_expect_str_eq(pl_token_value(&arena, sql, &tok[4], &len), "1e3");
    pl_arena_free(&arena);
}

Test(tokenize, many_tokens)
{
    static char buf[200000];
    size_t k = 0;
    while (k + 2 < sizeof buf) {
        buf[k++] = 'a';
        buf[k++] = ',';
    }
    pl_arena arena = {0};
    pl_token *tok;
    uint32_t n;
    pluck_error err;
    cr_assert_eq(pl_tokenize(buf, k, &arena, &tok, &n, &err), PLUCK_OK);
    cr_expect_eq(n, k + 1);
    cr_expect_eq(tok[n - 2].type, PL_TK_COMMA);
    cr_expect_eq(tok[n - 2].pos, k - 1);
    pl_arena_free(&arena);
}

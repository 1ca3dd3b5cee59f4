/*
 * test_timestamp.c — Ion timestamps (src/exec/timestamp.c): text parsing and printing,
 * ordering as instants, TO_STRING / TO_TIMESTAMP patterns and their error codes, EXTRACT,
 * DATE_ADD, DATE_DIFF and UTCNOW.
 *
 * Cases are text on both sides: timestamps are written as Ion text, run through the
 * function, and the result is printed back with pl_ts_format so an expectation reads like
 * the S3 Select documentation (`DATE_ADD(month, 1, `2010T`)` = `2010-02T`).  Every example
 * of s3select-notes.md §3.9-§3.11 appears here verbatim.
 */
#include <criterion/criterion.h>

#include "exec/timestamp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------------------------- */

typedef struct tstext {
    char s[64];
} tstext;

static pl_ts ts(const char *s)
{
    pl_ts t;
    memset(&t, 0xAB, sizeof t); /* garbage in, so a field left unset shows up */
    cr_assert(pl_ts_parse(s, strlen(s), &t), "`%s` should parse", s);
    return t;
}

static tstext fmt(const pl_ts *t)
{
    tstext r;
    memset(r.s, 'Z', sizeof r.s);
    size_t n = pl_ts_format(t, r.s);
    cr_assert_lt(n, 48, "formatted text too long: %zu bytes", n);
    cr_assert_eq(r.s[n], '\0', "formatted text not terminated");
    return r;
}

/* Parse then print: the text comes back as `want`. */
static void canon(const char *in, const char *want)
{
    pl_ts t = ts(in);
    cr_expect_str_eq(fmt(&t).s, want, "`%s` printed as `%s`, want `%s`", in, fmt(&t).s, want);
}

static void roundtrip(const char *s)
{
    canon(s, s);
}

static void bad(const char *s)
{
    pl_ts t;
    cr_expect_not(pl_ts_parse(s, strlen(s), &t), "`%s` should not parse", s);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* pl_ts_cmp(a, b) has the sign `want`, and the reverse the opposite sign. */
static void cmp(const char *a, const char *b, int want)
{
    pl_ts x = ts(a), y = ts(b);
    cr_expect_eq(sign(pl_ts_cmp(&x, &y)), want, "cmp(`%s`, `%s`) = %d, want %d", a, b,
                 pl_ts_cmp(&x, &y), want);
    cr_expect_eq(sign(pl_ts_cmp(&y, &x)), -want, "cmp(`%s`, `%s`) not antisymmetric", b, a);
}

/* TO_STRING(`t`, pattern) = want. */
static void to_str(const char *t, const char *pattern, const char *want)
{
    pl_ts v = ts(t);
    pl_buf b = {0};
    char msg[160] = "";
    pluck_code rc = pl_ts_to_string(&v, pattern, strlen(pattern), &b, msg);
    cr_assert_eq(rc, PLUCK_OK, "TO_STRING(`%s`, '%s') failed: %s (%s)", t, pattern,
                 pluck_code_name(rc), msg);
    char got[256];
    snprintf(got, sizeof got, "%.*s", (int)b.len, b.data ? b.data : "");
    cr_expect_str_eq(got, want, "TO_STRING(`%s`, '%s') = '%s', want '%s'", t, pattern, got,
                     want);
    pl_buf_free(&b);
}

/* TO_STRING(`t`, pattern) fails with code; the output is untouched and msg is filled. */
static void to_str_err(const char *pattern, pluck_code want)
{
    pl_ts v = ts("1969-07-20T20:18Z");
    pl_buf b = {0};
    pl_buf_append(&b, "keep", 4);
    char msg[160] = "";
    pluck_code rc = pl_ts_to_string(&v, pattern, strlen(pattern), &b, msg);
    cr_expect_eq(rc, want, "TO_STRING('%s') gave %s, want %s", pattern, pluck_code_name(rc),
                 pluck_code_name(want));
    cr_expect(b.len == 4 && memcmp(b.data, "keep", 4) == 0, "output changed on error");
    cr_expect_neq(msg[0], '\0', "no message for '%s'", pattern);
    pl_buf_free(&b);
}

/* TO_TIMESTAMP(text, pattern) printed as Ion text = want. */
static void pp(const char *text, const char *pattern, const char *want)
{
    pl_ts t;
    char msg[160] = "";
    pluck_code rc = pl_ts_parse_pattern(text, strlen(text), pattern, strlen(pattern), &t, msg);
    cr_assert_eq(rc, PLUCK_OK, "TO_TIMESTAMP('%s', '%s') failed: %s (%s)", text, pattern,
                 pluck_code_name(rc), msg);
    cr_expect_str_eq(fmt(&t).s, want, "TO_TIMESTAMP('%s', '%s') = `%s`, want `%s`", text,
                     pattern, fmt(&t).s, want);
}

static void pp_err(const char *text, const char *pattern, pluck_code want)
{
    pl_ts t;
    char msg[160] = "";
    pluck_code rc = pl_ts_parse_pattern(text, strlen(text), pattern, strlen(pattern), &t, msg);
    cr_expect_eq(rc, want, "TO_TIMESTAMP('%s', '%s') gave %s, want %s", text, pattern,
                 pluck_code_name(rc), pluck_code_name(want));
    cr_expect_neq(msg[0], '\0', "no message for TO_TIMESTAMP('%s', '%s')", text, pattern);
}

static const char *part_name(pl_datepart p)
{
    static const char *const names[] = {"none",   "year",   "month",         "day",
                                        "hour",   "minute", "second",        "timezone_hour",
                                        "timezone_minute"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

/* DATE_ADD(part, n, `t`) = `want`. */
static void add(pl_datepart part, int64_t n, const char *t, const char *want)
{
    pl_ts v = ts(t), r;
    pluck_code rc = pl_ts_add(&v, part, n, &r);
    cr_assert_eq(rc, PLUCK_OK, "DATE_ADD(%s, %lld, `%s`) failed: %s", part_name(part),
                 (long long)n, t, pluck_code_name(rc));
    cr_expect_str_eq(fmt(&r).s, want, "DATE_ADD(%s, %lld, `%s`) = `%s`, want `%s`",
                     part_name(part), (long long)n, t, fmt(&r).s, want);
}

static void add_err(pl_datepart part, int64_t n, const char *t, pluck_code want)
{
    pl_ts v = ts(t), r;
    pluck_code rc = pl_ts_add(&v, part, n, &r);
    cr_expect_eq(rc, want, "DATE_ADD(%s, %lld, `%s`) gave %s, want %s", part_name(part),
                 (long long)n, t, pluck_code_name(rc), pluck_code_name(want));
}

/* DATE_DIFF(part, `a`, `b`) = want. */
static void diff(pl_datepart part, const char *a, const char *b, int64_t want)
{
    pl_ts x = ts(a), y = ts(b);
    int64_t got = 12345;
    pluck_code rc = pl_ts_diff(&x, &y, part, &got);
    cr_assert_eq(rc, PLUCK_OK, "DATE_DIFF(%s, `%s`, `%s`) failed: %s", part_name(part), a, b,
                 pluck_code_name(rc));
    cr_expect_eq(got, want, "DATE_DIFF(%s, `%s`, `%s`) = %lld, want %lld", part_name(part), a,
                 b, (long long)got, (long long)want);
}

/* EXTRACT(part FROM `t`) = want. */
static void extract(pl_datepart part, const char *t, int64_t want)
{
    pl_ts v = ts(t);
    int64_t got = 12345;
    cr_assert(pl_ts_extract(&v, part, &got), "EXTRACT(%s FROM `%s`) failed", part_name(part), t);
    cr_expect_eq(got, want, "EXTRACT(%s FROM `%s`) = %lld, want %lld", part_name(part), t,
                 (long long)got, (long long)want);
}

/* ---- Ion text: parse and format ---------------------------------------------------------- */

Test(ts_text, doc_forms_round_trip)
{
    roundtrip("2007T");
    roundtrip("2007-02T");
    roundtrip("2007-02-23T");
    roundtrip("2007-02-23T12:14Z");
    roundtrip("2007-02-23T12:14+05:30");
    roundtrip("2007-02-23T12:14-00:00");
    roundtrip("2007-02-23T12:14:33Z");
    roundtrip("2007-02-23T12:14:33.079-08:00");
    roundtrip("2017-10-13T16:02:11.123Z"); /* UTCNOW() doc output */
    roundtrip("2017-01-01T01:00-00:00");
    roundtrip("2017-01-02T03:04:06.006Z");
    roundtrip("2007-02-23T12:14:33.0Z");
    roundtrip("2007-02-23T12:14:33.000000001Z");
    roundtrip("2007-02-23T12:14:33.100-23:59");
    roundtrip("0001-01-01T");
    roundtrip("9999-12-31T23:59:59.999999999+23:59");
}

Test(ts_text, canonical_spellings)
{
    canon("2007-02-23", "2007-02-23T");            /* day precision prints its T (Ion) */
    canon("2007-02-23T12:14+00:00", "2007-02-23T12:14Z"); /* known zero offset is Z */
    canon("2007-02-23T12:14:33.1234567891234Z", "2007-02-23T12:14:33.123456789Z");
    canon("2007-02-23T12:14:33.5000-01:00", "2007-02-23T12:14:33.5000-01:00");
}

Test(ts_text, fields)
{
    pl_ts t = ts("2007-02-23T12:14:33.079-08:30");
    cr_expect_eq(t.year, 2007);
    cr_expect_eq(t.month, 2);
    cr_expect_eq(t.day, 23);
    cr_expect_eq(t.hour, 12);
    cr_expect_eq(t.minute, 14);
    cr_expect_eq(t.second, 33);
    cr_expect_eq(t.precision, PL_TS_FRACTION);
    cr_expect_eq(t.nanos, 79000000u);
    cr_expect_eq(t.frac_digits, 3);
    cr_expect_eq(t.offset_min, -510);
    cr_expect_not(t.offset_unknown);

    pl_ts y = ts("2007T");
    cr_expect_eq(y.precision, PL_TS_YEAR);
    cr_expect(y.month == 1 && y.day == 1 && y.hour == 0 && y.minute == 0 && y.second == 0 &&
                  y.nanos == 0 && y.offset_min == 0 && !y.offset_unknown,
              "fields below the precision are not at their minimum");

    pl_ts u = ts("2007-02-23T12:14-00:00");
    cr_expect(u.offset_unknown && u.offset_min == 0 && u.precision == PL_TS_MINUTE);
    pl_ts z = ts("2007-02-23T12:14+00:00");
    cr_expect(!z.offset_unknown && z.offset_min == 0);
    cr_expect_eq(ts("2007-02T").precision, PL_TS_MONTH);
    cr_expect_eq(ts("2007-02-23").precision, PL_TS_DAY);
    cr_expect_eq(ts("2007-02-23T").precision, PL_TS_DAY);
    cr_expect_eq(ts("2007-02-23T12:14:33Z").precision, PL_TS_SECOND);
    cr_expect_eq(sizeof(pl_ts), 16);
}

Test(ts_text, invalid)
{
    bad("2007");                     /* year precision needs the T */
    bad("2007-02");                  /* so does month precision */
    bad("2007-13T");
    bad("2007-00T");
    bad("2007-02-30");
    bad("2007-02-00");
    bad("2007-04-31");
    bad("2007-02-23T12:00");         /* a time needs an offset */
    bad("2007-02-23T12:00:00");
    bad("2007-02-23T12:14:33.079");
    bad("2007-02-23Z");              /* a date must not have one */
    bad("2007-02-23+01:00");
    bad("2007-02-23T+01:00");
    bad("2007T+01:00");
    bad("garbage");
    bad("");
    bad("0000T");
    bad("207T");
    bad("20070T");
    bad("2007-2-23");
    bad("2007-02-3");
    bad("2007-02T01");
    bad("2007-02-23T12Z");
    bad("2007-02-23T1:14Z");
    bad("2007-02-23T24:00Z");
    bad("2007-02-23T12:60Z");
    bad("2007-02-23T12:14:60Z");     /* no leap seconds */
    bad("2007-02-23T12:14:33.Z");
    bad("2007-02-23T12:14+24:00");
    bad("2007-02-23T12:14+05:60");
    bad("2007-02-23T12:14+0530");
    bad("2007-02-23T12:14+05");
    bad("2007-02-23t12:14z");
    bad(" 2007T");
    bad("2007T ");
    bad("2007-02-23T12:14Zx");
    bad("+2007T");
    bad("-2007T");
}

Test(ts_text, leap_years)
{
    roundtrip("2000-02-29T"); /* divisible by 400 */
    roundtrip("2024-02-29T");
    bad("1900-02-29");       /* divisible by 100 only */
    bad("2023-02-29");
    bad("2100-02-29");
    roundtrip("2400-02-29T");
}

Test(ts_text, not_nul_terminated)
{
    const char s[] = "2007-02-23T12:14Zjunk";
    pl_ts t;
    cr_expect(pl_ts_parse(s, 17, &t), "a prefix of the buffer is the text");
    cr_expect_not(pl_ts_parse(s, 16, &t));
}

/* ---- ordering ---------------------------------------------------------------------------- */

Test(ts_cmp, instants)
{
    cmp("2007T", "2007-01-01T00:00Z", 0); /* date-only = UTC midnight */
    cmp("2007T", "2007-01-01", 0);
    cmp("2007-02T", "2007-01-31", 1);
    cmp("2007-02-23T12:14Z", "2007-02-23T12:14+01:00", 1);
    cmp("2007-02-23T12:14Z", "2007-02-23T13:14+01:00", 0);
    cmp("2007-02-23T12:14:33.5Z", "2007-02-23T12:14:33.25Z", 1);
    cmp("2007-02-23T12:14:33.5Z", "2007-02-23T12:14:33.500000Z", 0); /* precision ignored */
    cmp("2007-02-23T12:14-00:00", "2007-02-23T12:14Z", 0);
    cmp("0001-01-01T00:00+01:00", "0001-01-01", -1); /* instant before year 1 */
    cmp("9999-12-31T23:59-23:59", "9999-12-31T23:59Z", 1);
}

Test(ts_cmp, negative_offsets_across_midnight)
{
    /* 23:00 at -05:00 is 04:00 the next day in UTC */
    cmp("2010-01-01T23:00-05:00", "2010-01-02T03:00Z", 1);
    cmp("2010-01-01T23:00-05:00", "2010-01-02T04:00Z", 0);
    cmp("2010-01-01T23:00-05:00", "2010-01-02", 1);
    cmp("2010-12-31T20:00-08:00", "2011T", 1);   /* across a year boundary */
    cmp("2010-12-31T15:59-08:00", "2011T", -1);
    cmp("2024-02-28T22:30-01:30", "2024-02-29T00:00Z", 0);
}

/* ---- TO_STRING --------------------------------------------------------------------------- */

Test(ts_to_string, doc_examples)
{
    const char *moon = "1969-07-20T20:18Z";
    to_str(moon, "MMMM d, y", "July 20, 1969");
    to_str(moon, "MMM d, yyyy", "Jul 20, 1969");
    to_str(moon, "M-d-yy", "7-20-69");
    to_str(moon, "MM-d-y", "07-20-1969");
    to_str(moon, "MMMM d, y h:m a", "July 20, 1969 8:18 PM");
    to_str(moon, "y-MM-dd'T'H:m:ssX", "1969-07-20T20:18:00Z");
    to_str("1969-07-20T20:18+08:00", "XXXX", "+0800");
    to_str("1969-07-20T20:18+08:00", "XXXXX", "+08:00");
}

Test(ts_to_string, letters)
{
    const char *t = "2007-02-03T04:05:06.789012345+07:00";
    to_str(t, "y yy yyy yyyy", "2007 07 2007 2007");
    to_str("0007T", "y|yy|yyy|yyyy", "7|07|007|0007");
    to_str(t, "M MM MMM MMMM MMMMM", "2 02 Feb February F");
    to_str("2007-12T", "MMM MMMM MMMMM", "Dec December D");
    to_str(t, "d dd", "3 03");
    to_str(t, "H HH h hh a", "4 04 4 04 AM");
    to_str(t, "m mm s ss", "5 05 6 06");
    to_str(t, "S SS SSS SSSS SSSSSS SSSSSSSSS", "7 78 789 7890 789012 789012345");
    to_str(t, "n", "789012345");
    to_str("2007-02-03T04:05:06.06Z", "n", "60000000");
    to_str("2007-02-03T04:05:06.079Z", "SSSSSS", "079000");
    to_str("2007-02-03T04:05:06Z", "SSS n", "000 0");
}

Test(ts_to_string, twelve_hour_clock)
{
    to_str("2007-02-03T00:30Z", "h:mm a", "12:30 AM");
    to_str("2007-02-03T12:30Z", "h:mm a", "12:30 PM");
    to_str("2007-02-03T23:59Z", "hh:mm a", "11:59 PM");
    to_str("2007-02-03T11:59Z", "hh:mm a HH", "11:59 AM 11");
}

Test(ts_to_string, offsets)
{
    const char *p8 = "2007-02-03T04:05+08:00";
    to_str(p8, "X|XX|XXX|XXXX|XXXXX", "+08|+0800|+08:00|+0800|+08:00");
    to_str(p8, "x|xx|xxx|xxxx|xxxxx", "+08|+0800|+08:00|+0800|+08:00");
    const char *m530 = "2007-02-03T04:05-05:30";
    to_str(m530, "X|XX|XXX", "-0530|-0530|-05:30");
    to_str(m530, "x|xxxxx", "-0530|-05:30");
    const char *z = "2007-02-03T04:05Z";
    to_str(z, "X|XX|XXX|XXXX|XXXXX", "Z|Z|Z|Z|Z");
    to_str(z, "x|xx|xxx|xxxx|xxxxx", "+00|+0000|+00:00|+0000|+00:00");
    to_str("2007-02-03T04:05-00:00", "X xxx", "Z +00:00"); /* unknown offset as zero */
    to_str("2007-02-03", "XXX xx", "Z +0000");              /* date-only: no offset */
}

Test(ts_to_string, literals_and_quotes)
{
    const char *moon = "1969-07-20T20:18Z";
    to_str(moon, "'T'", "T");
    to_str(moon, "''", "'");
    to_str(moon, "'it''s' y", "it's 1969");
    to_str(moon, "''''", "'"); /* Java: quoted text holding one escaped quote */
    to_str(moon, "y'' M", "1969' 7");
    to_str(moon, "'Year:' y, 'day' d", "Year: 1969, day 20");
    to_str(moon, "y/M/d #!_", "1969/7/20 #!_");
    to_str(moon, "'yMd aXx'", "yMd aXx");
    to_str(moon, "", "");
    to_str(moon, "yyyyMMddHHmmss", "19690720201800");
}

Test(ts_to_string, defaults_below_precision)
{
    to_str("2007T", "yyyy-MM-dd HH:mm:ss.SSS", "2007-01-01 00:00:00.000");
    to_str("2007-02T", "h a", "12 AM");
}

Test(ts_to_string, appends)
{
    pl_ts t = ts("2007T");
    pl_buf b = {0};
    char msg[160];
    pl_buf_append(&b, "x=", 2);
    cr_assert_eq(pl_ts_to_string(&t, "yyyy", 4, &b, msg), PLUCK_OK);
    cr_expect(b.len == 6 && memcmp(b.data, "x=2007", 6) == 0);
    /* the pattern is a counted string: bytes past plen are not read */
    cr_assert_eq(pl_ts_to_string(&t, "yyQQ", 2, &b, msg), PLUCK_OK);
    cr_expect(b.len == 8 && memcmp(b.data, "x=200707", 8) == 0);
    pl_buf_free(&b);
}

Test(ts_to_string, errors)
{
    /* letters outside the table fail PartiQL's lexer: ...PatternToken */
    to_str_err("q", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("yyyy-MM-dd E", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("asdf", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("T", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    /* a pattern letter repeated too often: ...PatternSymbol */
    to_str_err("yyyyy", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("MMMMMM", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("ddd", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("m hhh", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("HHH", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("mmm", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("sss", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("aa", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("nn", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("SSSSSSSSSS", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("XXXXXX", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    to_str_err("xxxxxx", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    /* the lexer runs over the whole pattern first, so a bad token wins over a bad symbol */
    to_str_err("ddd q", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    /* quotes left open */
    to_str_err("yy-mm-dd-'Thh:mm", PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("'", PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("'''", PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    to_str_err("y 'it''s", PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN);
}

Test(ts_to_string, null_msg_is_allowed)
{
    pl_ts t = ts("2007T");
    pl_buf b = {0};
    cr_expect_eq(pl_ts_to_string(&t, "q", 1, &b, NULL),
                 PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    pl_buf_free(&b);
}

/* ---- TO_TIMESTAMP with a pattern ----------------------------------------------------------- */

Test(ts_parse_pattern, fields)
{
    pp("7", "y", "0007T");
    pp("0007", "y", "0007T");
    pp("2007", "y", "2007T");
    pp("0007", "yyy", "0007T");
    pp("0007", "yyyy", "0007T");
    pp("00", "yy", "2000T");
    pp("69", "yy", "2069T");
    pp("70", "yy", "1970T");
    pp("99", "yy", "1999T");
    pp("2007 6", "y M", "2007-06T");
    pp("2007 06", "y M", "2007-06T");
    pp("2007 06", "y MM", "2007-06T");
    pp("2007 Jun", "y MMM", "2007-06T");
    pp("2007 jun", "y MMM", "2007-06T");
    pp("2007 june", "y MMMM", "2007-06T");
    pp("2007 SEPTEMBER", "y MMMM", "2007-09T");
    pp("2007 6 5", "y M d", "2007-06-05T");
    pp("2007 6 05", "y M dd", "2007-06-05T");
}

Test(ts_parse_pattern, times)
{
    pp("2007 6 5 9", "y M d H", "2007-06-05T09:00-00:00"); /* no offset: unknown */
    pp("2007 6 5 09", "y M d HH", "2007-06-05T09:00-00:00");
    pp("2007 6 5 9 am", "y M d h a", "2007-06-05T09:00-00:00");
    pp("2007 6 5 9 pm", "y M d h a", "2007-06-05T21:00-00:00");
    pp("2007 6 5 12 AM", "y M d h a", "2007-06-05T00:00-00:00");
    pp("2007 6 5 12 PM", "y M d h a", "2007-06-05T12:00-00:00");
    pp("PM 2007 6 5 1 2", "a y M d h m", "2007-06-05T13:02-00:00"); /* a before h */
    pp("2007 6 5 9 8", "y M d H m", "2007-06-05T09:08-00:00");
    pp("2007 6 5 9 8 06", "y M d H m ss", "2007-06-05T09:08:06-00:00");
    pp("2007 6 5 1 2 6 PM", "y M d h m s a", "2007-06-05T13:02:06-00:00");
    pp("2007 6 5 9 8 6 2", "y M d H m s S", "2007-06-05T09:08:06.2-00:00");
    pp("2007 6 5 9 8 6 256", "y M d H m s SSS", "2007-06-05T09:08:06.256-00:00");
    pp("2007 6 5 9 8 6 123456789", "y M d H m s SSSSSSSSS",
       "2007-06-05T09:08:06.123456789-00:00");
    pp("2007 6 5 9 8 6 100", "y M d H m s n", "2007-06-05T09:08:06.0000001-00:00");
    pp("2007 6 5 9 8 6 123456789", "y M d H m s n", "2007-06-05T09:08:06.123456789-00:00");
    pp("20070605040302", "yyyyMMddHHmmss", "2007-06-05T04:03:02-00:00");
    pp("Some2007crazy6delimiter5here", "'Some'y'crazy'M'delimiter'd'here'", "2007-06-05T");
}

Test(ts_parse_pattern, offsets)
{
    pp("1969 07 20 20 01 Z", "y M d H m X", "1969-07-20T20:01Z");
    pp("1969 07 20 20 01 Z", "y M d H m XXXXX", "1969-07-20T20:01Z");
    pp("1969 07 20 20 01 +0000", "y M d H m X", "1969-07-20T20:01Z");
    pp("1969 07 20 20 01 +0500", "y M d H m X", "1969-07-20T20:01+05:00");
    pp("1969 07 20 20 01 -02", "y M d H m X", "1969-07-20T20:01-02:00");
    pp("1969 07 20 20 01 -0203", "y M d H m X", "1969-07-20T20:01-02:03");
    pp("1969 07 20 20 01 -0203", "y M d H m XX", "1969-07-20T20:01-02:03");
    pp("1969 07 20 20 01 +02:03", "y M d H m XXX", "1969-07-20T20:01+02:03");
    pp("1969 07 20 20 01 +18:00", "y M d H m xxxxx", "1969-07-20T20:01+18:00");
    pp("1969 07 20 20 01 +23:59", "y M d H m xxx", "1969-07-20T20:01+23:59");
    pp("1969 07 20 20 01 +00", "y M d H m x", "1969-07-20T20:01Z");
    pp("1969 07 20 20 01 +0100", "y M d H m x", "1969-07-20T20:01+01:00");
    pp("1969-07-20T20:18:00-00:00", "y-MM-dd'T'H:m:ssXXXXX", "1969-07-20T20:18:00-00:00");
}

Test(ts_parse_pattern, inverse_of_to_string)
{
    pp("1969-07-20T20:18:00Z", "y-MM-dd'T'H:m:ssX", "1969-07-20T20:18:00Z");
    pp("July 20, 1969 8:18 PM", "MMMM d, y h:m a", "1969-07-20T20:18-00:00");
    pp("07-20-1969", "MM-d-y", "1969-07-20T");
    pp("1969T", "y'T'", "1969T");
    pp("1969-07T", "y-MM'T'", "1969-07T");
    pp("it's 1969", "'it''s' y", "1969T");
}

Test(ts_parse_pattern, pattern_errors)
{
    pp_err("x", "y MMMMM", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL_FOR_PARSING);
    pp_err("x", "MMMMM", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL_FOR_PARSING);
    pp_err("x", "y y", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "yy yyyy", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "M MMM", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "h H", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "n S", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "y x XXX", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS);
    pp_err("x", "yyyy M dd h m", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH);
    pp_err("x", "yyyy M dd H m a", PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH);
    /* incomplete patterns (PartiQL's EvaluatorIncompleteTimestampFormatPattern) */
    pp_err("x", "", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "'some text' /-,:.", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "M", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "yyyy-d", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "yyyy-M-d-m", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "y x", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    pp_err("x", "a", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN);
    /* lexer and symbol errors come first */
    pp_err("x", "asdfasdfasdf", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN);
    pp_err("x", "ddd", PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL);
    pp_err("x", "yy-mm-dd-'Thh:mm", PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN);
}

Test(ts_parse_pattern, text_mismatch)
{
    pp_err("asdf", "yyyy", PLUCK_E_CAST_FAILED);
    pp_err("0000-01-01", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-00-01", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-13-01", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-32", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-02-29", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 13:01 PM", "yyyy-MM-dd hh:mm a", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 00:01 PM", "yyyy-MM-dd hh:mm a", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 24:01", "yyyy-MM-dd HH:mm", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 01:60", "yyyy-MM-dd HH:mm", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 01:01:60", "yyyy-MM-dd HH:mm:ss", PLUCK_E_CAST_FAILED);
    pp_err(" 2017-01-01", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("2017-01-01 ", "yyyy-MM-dd", PLUCK_E_CAST_FAILED);
    pp_err("7 6 5 9 8 6", "yyyy M d H m s", PLUCK_E_CAST_FAILED); /* padding required */
    pp_err("7 6 5 9 8 6", "y MM d H m s", PLUCK_E_CAST_FAILED);
    pp_err("2007 Jux", "y MMM", PLUCK_E_CAST_FAILED);
    pp_err("1969 07 20 20 01 +2", "y M d H m x", PLUCK_E_CAST_FAILED);
    pp_err("1969 07 20 20 01 +2400", "y M d H m x", PLUCK_E_CAST_FAILED);
    pp_err("1969 07 20 20 01 Z", "y M d H m x", PLUCK_E_CAST_FAILED); /* x never takes Z */
    pp_err("1969 07 20 20 01 +0203", "y M d H m XXX", PLUCK_E_CAST_FAILED);
    pp_err("1969 07 20 20 01 xx", "y M d H m s", PLUCK_E_CAST_FAILED);
    pp_err("2007 6 5 9 8 6 25", "y M d H m s SSS", PLUCK_E_CAST_FAILED);
    pp_err("1969T", "y't'", PLUCK_E_CAST_FAILED); /* literals match exactly */
}

/* ---- EXTRACT ------------------------------------------------------------------------------- */

Test(ts_extract, doc_examples)
{
    const char *t = "2017-01-02T03:04:05+07:08";
    extract(PL_DP_TIMEZONE_HOUR, t, 7);
    extract(PL_DP_TIMEZONE_MINUTE, t, 8);
    extract(PL_DP_HOUR, t, 3); /* local hour, not UTC */
    extract(PL_DP_YEAR, t, 2017);
    extract(PL_DP_MONTH, t, 1);
    extract(PL_DP_DAY, t, 2);
    extract(PL_DP_MINUTE, t, 4);
    extract(PL_DP_SECOND, t, 5);
    extract(PL_DP_TIMEZONE_HOUR, "2017-01-02T03:04:05-07:08", -7);
    extract(PL_DP_TIMEZONE_MINUTE, "2017-01-02T03:04:05-07:08", -8);
    extract(PL_DP_TIMEZONE_MINUTE, "2017-01-02T03:04:05-00:30", -30);
}

Test(ts_extract, defaults)
{
    /* `2010T` is 2010-01-01T00:00:00.000Z for EXTRACT */
    extract(PL_DP_YEAR, "2010T", 2010);
    extract(PL_DP_MONTH, "2010T", 1);
    extract(PL_DP_DAY, "2010T", 1);
    extract(PL_DP_HOUR, "2010T", 0);
    extract(PL_DP_MINUTE, "2010-05T", 0);
    extract(PL_DP_SECOND, "2010-05-06", 0);
    extract(PL_DP_TIMEZONE_HOUR, "2010T", 0);
    extract(PL_DP_TIMEZONE_MINUTE, "2010-01-01T00:00-00:00", 0);
    extract(PL_DP_SECOND, "2010-01-01T00:00:59.999Z", 59);

    pl_ts t = ts("2010T");
    int64_t v;
    cr_expect_not(pl_ts_extract(&t, PL_DP_NONE, &v));
}

/* ---- DATE_ADD ------------------------------------------------------------------------------ */

Test(ts_add, doc_examples)
{
    add(PL_DP_MONTH, 1, "2010T", "2010-02T");
    add(PL_DP_MONTH, 13, "2010T", "2011-02T");
    add(PL_DP_DAY, -1, "2017-01-10T", "2017-01-09T");
    add(PL_DP_HOUR, 1, "2017T", "2017-01-01T01:00-00:00");
    add(PL_DP_SECOND, 1, "2017-01-02T03:04:05.006Z", "2017-01-02T03:04:06.006Z");
}

Test(ts_add, precision_grows)
{
    add(PL_DP_YEAR, 1, "2010T", "2011T");
    add(PL_DP_YEAR, 1, "2010-05T", "2011-05T");
    add(PL_DP_DAY, 1, "2010T", "2010-01-02T");
    add(PL_DP_DAY, 0, "2010-03T", "2010-03-01T");
    add(PL_DP_MINUTE, 90, "2017-01-01", "2017-01-01T01:30-00:00");
    add(PL_DP_SECOND, 1, "2017T", "2017-01-01T00:00:01-00:00");
    add(PL_DP_HOUR, 1, "2017-01-01T05:00Z", "2017-01-01T06:00Z");
    add(PL_DP_MINUTE, 1, "2017-01-01T05:00:00.5+02:00", "2017-01-01T05:01:00.5+02:00");
    add(PL_DP_MONTH, 1, "2017-01-01T05:00+02:00", "2017-02-01T05:00+02:00");
}

Test(ts_add, month_end_clamps)
{
    add(PL_DP_MONTH, 1, "2010-01-31", "2010-02-28T");
    add(PL_DP_MONTH, 1, "2024-01-31", "2024-02-29T");
    add(PL_DP_MONTH, 3, "2010-01-31T10:00Z", "2010-04-30T10:00Z");
    add(PL_DP_MONTH, -1, "2010-03-31", "2010-02-28T");
    add(PL_DP_YEAR, 1, "2024-02-29", "2025-02-28T");
    add(PL_DP_YEAR, 4, "2024-02-29", "2028-02-29T");
    add(PL_DP_YEAR, -100, "2000-02-29", "1900-02-28T");
    add(PL_DP_MONTH, -1, "2010-01T", "2009-12T");
    add(PL_DP_MONTH, -13, "2010-01T", "2008-12T");
    add(PL_DP_MONTH, -24, "2010-03T", "2008-03T");
}

Test(ts_add, carries)
{
    add(PL_DP_DAY, 1, "2024-02-28", "2024-02-29T");
    add(PL_DP_DAY, 1, "2023-02-28", "2023-03-01T");
    add(PL_DP_DAY, 1, "1900-02-28", "1900-03-01T");
    add(PL_DP_DAY, 1, "2000-02-28", "2000-02-29T");
    add(PL_DP_DAY, 366, "2024T", "2025-01-01T");
    add(PL_DP_HOUR, 1, "2010-12-31T23:30-05:00", "2011-01-01T00:30-05:00");
    add(PL_DP_MINUTE, -1, "2010-01-01T00:00Z", "2009-12-31T23:59Z");
    add(PL_DP_SECOND, -1, "2010-03-01T00:00:00.250Z", "2010-02-28T23:59:59.250Z");
    add(PL_DP_SECOND, 86400 * 365, "2023-06-15T12:00:00Z", "2024-06-14T12:00:00Z");
    add(PL_DP_HOUR, -24 * 365, "0002-01-01T00:00Z", "0001-01-01T00:00Z");
    add(PL_DP_DAY, 1, "9999-12-30", "9999-12-31T");
}

Test(ts_add, overflow)
{
    add_err(PL_DP_YEAR, 1, "9999T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_YEAR, -1, "0001T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_YEAR, INT64_MAX, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_YEAR, INT64_MIN, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_MONTH, 1, "9999-12T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_MONTH, INT64_MIN, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_DAY, 1, "9999-12-31", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_DAY, -1, "0001-01-01", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_SECOND, INT64_MAX, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_SECOND, INT64_MIN, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_HOUR, INT64_MAX / 3600, "2000T", PLUCK_E_INTEGER_OVERFLOW);
    add_err(PL_DP_TIMEZONE_HOUR, 1, "2000T", PLUCK_E_EVALUATOR_INVALID_ARGUMENTS);
}

/* ---- DATE_DIFF ----------------------------------------------------------------------------- */

Test(ts_diff, doc_examples)
{
    diff(PL_DP_YEAR, "2010-01-01T", "2011-01-01T", 1);
    diff(PL_DP_MONTH, "2010T", "2011T", 12);
    diff(PL_DP_MONTH, "2011T", "2010T", -12);
    diff(PL_DP_DAY, "2010-01-01T23:00Z", "2010-01-02T01:00Z", 0);
    diff(PL_DP_YEAR, "2010T", "2010-05T", 0); /* the doc's "4" is the month difference */
    diff(PL_DP_MONTH, "2010T", "2010-05T", 4);
}

Test(ts_diff, calendar_units)
{
    diff(PL_DP_MONTH, "2010-01-31", "2010-02-28", 0); /* day 28 < 31: month not complete */
    diff(PL_DP_MONTH, "2010-01-31", "2010-03-01", 1);
    diff(PL_DP_MONTH, "2010-03-01", "2010-01-31", -1);
    diff(PL_DP_MONTH, "2010-01-15", "2010-02-15", 1);
    diff(PL_DP_MONTH, "2010-01-15T23:00Z", "2010-02-15T01:00Z", 1); /* time of day ignored */
    diff(PL_DP_YEAR, "2000-02-29", "2001-02-28", 0);
    diff(PL_DP_YEAR, "2000-02-29", "2001-03-01", 1);
    diff(PL_DP_YEAR, "2000-02-29", "2004-02-29", 4);
    diff(PL_DP_YEAR, "2011-06-15", "2010-06-16", 0);
    diff(PL_DP_YEAR, "2011-06-15", "2009-06-15", -2);
    diff(PL_DP_YEAR, "0001T", "9999T", 9998);
}

Test(ts_diff, elapsed_units)
{
    diff(PL_DP_HOUR, "2010-01-01T00:00Z", "2010-01-01T05:59Z", 5);
    diff(PL_DP_HOUR, "2010-01-01T05:59Z", "2010-01-01T00:00Z", -5); /* toward zero */
    diff(PL_DP_MINUTE, "2010-01-01T00:00Z", "2010-01-01T01:01:59Z", 61);
    diff(PL_DP_SECOND, "2010-01-01T00:00:00.900Z", "2010-01-01T00:00:01.100Z", 1);
    diff(PL_DP_SECOND, "2010-01-01T00:00:01.100Z", "2010-01-01T00:00:00.900Z", -1);
    diff(PL_DP_DAY, "2010-01-01", "2010-03-01", 59);
    diff(PL_DP_DAY, "2012-01-01", "2012-03-01", 60);
    diff(PL_DP_HOUR, "2010-01-01", "2010-01-01T12:00+02:00", 10); /* date-only is UTC */
    diff(PL_DP_SECOND, "0001-01-01", "9999-12-31", INT64_C(315537811200));
}

Test(ts_diff, negative_offsets_across_midnight)
{
    diff(PL_DP_HOUR, "2010-01-01T22:00-05:00", "2010-01-02T03:00Z", 0); /* same instant */
    diff(PL_DP_DAY, "2010-01-01T23:00-05:00", "2010-01-03T03:00Z", 0);  /* 23 hours */
    diff(PL_DP_DAY, "2010-01-01T20:00-05:00", "2010-01-03T01:00Z", 1);  /* 24 hours */
    diff(PL_DP_DAY, "2024-02-28T23:00-02:00", "2024-03-01T01:00Z", 1);
    diff(PL_DP_MINUTE, "2010-12-31T23:59-00:30", "2011-01-01T00:30Z", 1);
    /* calendar units use each value's local date */
    diff(PL_DP_MONTH, "2010-01-31T23:00-05:00", "2010-02-01T04:00Z", 0);
    diff(PL_DP_YEAR, "2010-12-31T23:00-05:00", "2011-12-31T04:00Z", 1);
}

Test(ts_diff, bad_part)
{
    pl_ts a = ts("2010T"), b = ts("2011T");
    int64_t v;
    cr_expect_eq(pl_ts_diff(&a, &b, PL_DP_TIMEZONE_MINUTE, &v), PLUCK_E_EVALUATOR_INVALID_ARGUMENTS);
}

/* ---- calendar arithmetic over the whole range ---------------------------------------------- */

Test(ts_calendar, every_day_round_trips)
{
    /* Walk 0001-01-01 .. 9999-12-31 one day at a time: each day prints, re-parses, sorts
     * after its predecessor and is one day from it.  Failures are counted and asserted
     * once, since criterion reports every assertion to its runner. */
    pl_ts day = ts("0001-01-01"), next;
    long days = 0, failures = 0;
    char first_bad[64] = "";
    while (pl_ts_add(&day, PL_DP_DAY, 1, &next) == PLUCK_OK) {
        char buf[48];
        size_t n = pl_ts_format(&next, buf);
        pl_ts back;
        int64_t d = 0;
        bool ok = pl_ts_parse(buf, n, &back) && pl_ts_cmp(&back, &next) == 0 &&
                  pl_ts_cmp(&day, &next) < 0 && pl_ts_diff(&day, &next, PL_DP_DAY, &d) == 0 &&
                  d == 1 && (next.day == 1) == (next.month != day.month);
        if (!ok && failures++ == 0)
            snprintf(first_bad, sizeof first_bad, "%s", buf);
        day = next;
        days++;
    }
    cr_expect_eq(failures, 0, "%ld bad days, first %s", failures, first_bad);
    cr_expect_eq(days, 3652058L, "walked %ld days", days);
    cr_expect_str_eq(fmt(&day).s, "9999-12-31T");
}

/* ---- UTCNOW -------------------------------------------------------------------------------- */

Test(ts_now, utc_milliseconds)
{
    time_t before = time(NULL);
    pl_ts now = pl_ts_now();
    time_t after = time(NULL);
    cr_expect_eq(now.precision, PL_TS_FRACTION);
    cr_expect_eq(now.frac_digits, 3);
    cr_expect_eq(now.nanos % 1000000, 0);
    cr_expect(now.offset_min == 0 && !now.offset_unknown);
    pl_ts epoch = ts("1970-01-01T00:00Z");
    int64_t secs;
    cr_assert_eq(pl_ts_diff(&epoch, &now, PL_DP_SECOND, &secs), PLUCK_OK);
    cr_expect(secs >= (int64_t)before && secs <= (int64_t)after, "now %lld not in [%lld, %lld]",
              (long long)secs, (long long)before, (long long)after);
    /* prints as Ion text with a Z and three fraction digits */
    tstext s = fmt(&now);
    cr_expect_eq(strlen(s.s), strlen("2017-10-13T16:02:11.123Z"), "%s", s.s);
    pl_ts back = ts(s.s);
    cr_expect_eq(pl_ts_cmp(&back, &now), 0);
}

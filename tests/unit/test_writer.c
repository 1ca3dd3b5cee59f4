/*
 * test_writer.c — the output writers (src/out): CSV per S3's CSVOutput (QuoteFields
 * ASNEEDED / ALWAYS, what forces quoting, how quotes and a distinct escape character are
 * written, custom and multi-byte delimiters) and JSON per JSONOutput (RFC 8259 string
 * escaping, bare numbers and booleans, null, MISSING members left out, record delimiter).
 *
 * Each case writes whole records into a pl_writer and compares the buffer byte for byte.
 */
#include <criterion/criterion.h>

#include "out/out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------- */

static pl_out_dialect dialect(bool always)
{
    struct pluck_params p;
    pl_params_defaults(&p);
    p.out.quote_always = always;
    return p.out;
}

static void set_delim(pl_delim *d, const char *s)
{
    size_t n = strlen(s);
    cr_assert(n >= 1 && n <= PL_MAX_DELIM);
    memcpy(d->s, s, n);
    d->len = (uint8_t)n;
}

/* The buffer as a NUL-terminated string (the writer's buffer is not terminated). */
static const char *contents(pl_writer *w)
{
    static char out[4096];
    cr_assert_lt(w->buf.len, sizeof out);
    if (w->buf.len)
        memcpy(out, w->buf.data, w->buf.len);
    out[w->buf.len] = '\0';
    return out;
}

/* Write one CSV record of NUL-terminated fields (NULL ends the list). */
static const char *csv_record(const pl_out_dialect *d, const char *const *fields)
{
    pl_writer w;
    pl_writer_init(&w, d);
    for (size_t i = 0; fields[i]; i++)
        cr_assert(pl_csv_field(&w, fields[i], strlen(fields[i]), i == 0));
    cr_assert(pl_csv_end(&w));
    const char *s = contents(&w);
    pl_writer_free(&w);
    return s;
}

static void expect_csv(const pl_out_dialect *d, const char *const *fields, const char *want)
{
    const char *got = csv_record(d, fields);
    cr_assert_str_eq(got, want, "got [%s], want [%s]", got, want);
}

/* One field under ASNEEDED with default delimiters. */
static void expect_field(const char *field, const char *want)
{
    pl_out_dialect d = dialect(false);
    const char *const f[] = {field, NULL};
    expect_csv(&d, f, want);
}

/* One JSON record with a single member. */
static const char *json_one(const char *key, const pl_value *v)
{
    pl_out_dialect d = dialect(false);
    d.format = PL_OUT_JSON;
    pl_writer w;
    pl_writer_init(&w, &d);
    bool first = true;
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, key, strlen(key), v, &first));
    cr_assert(pl_json_end(&w));
    const char *s = contents(&w);
    pl_writer_free(&w);
    return s;
}

static void expect_json_string(const char *s, size_t n, const char *want)
{
    pl_value v = pl_v_str(s, (uint32_t)n, false);
    const char *got = json_one("k", &v);
    char full[1024];
    snprintf(full, sizeof full, "{\"k\":%s}\n", want);
    cr_assert_str_eq(got, full, "got [%s], want [%s]", got, full);
}

static void expect_json_value(pl_value v, const char *want)
{
    const char *got = json_one("k", &v);
    char full[1024];
    snprintf(full, sizeof full, "{\"k\":%s}\n", want);
    cr_assert_str_eq(got, full, "got [%s], want [%s]", got, full);
}

/* ---- CSV: ASNEEDED ----------------------------------------------------------------------- */

Test(writer_csv, plain_fields_unquoted)
{
    pl_out_dialect d = dialect(false);
    const char *const f[] = {"a", "b c", " padded ", "x\ty", NULL};
    expect_csv(&d, f, "a,b c, padded ,x\ty\n");
}

Test(writer_csv, quoting_triggers)
{
    expect_field("a,b", "\"a,b\"\n");
    expect_field("a\"b", "\"a\"\"b\"\n");
    expect_field("\"", "\"\"\"\"\n");
    expect_field("line\nbreak", "\"line\nbreak\"\n");
    expect_field("cr\rhere", "\"cr\rhere\"\n");
    expect_field("\r\n", "\"\r\n\"\n");
    expect_field(",", "\",\"\n");
    expect_field("'single'", "'single'\n");
    expect_field("back\\slash", "back\\slash\n");
}

Test(writer_csv, doubled_quotes)
{
    expect_field("say \"hi\"", "\"say \"\"hi\"\"\"\n");
    expect_field("\"\"", "\"\"\"\"\"\"\n");
}

Test(writer_csv, empty_string_never_quoted_asneeded)
{
    pl_out_dialect d = dialect(false);
    const char *const f[] = {"", "", "", NULL};
    expect_csv(&d, f, ",,\n");
    const char *const g[] = {"", NULL};
    expect_csv(&d, g, "\n");
}

Test(writer_csv, always_quotes_everything)
{
    pl_out_dialect d = dialect(true);
    const char *const f[] = {"a", "", "b\"c", "1.5", NULL};
    expect_csv(&d, f, "\"a\",\"\",\"b\"\"c\",\"1.5\"\n");
}

Test(writer_csv, values)
{
    pl_out_dialect d = dialect(false);
    pl_writer w;
    pl_writer_init(&w, &d);
    pl_value vs[] = {pl_v_int(-3),  pl_decimal_make(150, 2), pl_v_float(1e6),
                     pl_v_bool(true), pl_v_null(),            pl_v_missing(),
                     pl_v_str("x,y", 3, true)};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        cr_assert(pl_csv_value(&w, &vs[i], i == 0));
    cr_assert(pl_csv_end(&w));
    cr_assert_str_eq(contents(&w), "-3,1.50,1000000,true,,,\"x,y\"\n");
    pl_writer_free(&w);
}

Test(writer_csv, several_records)
{
    pl_out_dialect d = dialect(false);
    pl_writer w;
    pl_writer_init(&w, &d);
    cr_assert(pl_csv_field(&w, "a", 1, true));
    cr_assert(pl_csv_field(&w, "b", 1, false));
    cr_assert(pl_csv_end(&w));
    cr_assert(pl_csv_field(&w, "c", 1, true));
    cr_assert(pl_csv_end(&w));
    cr_assert_str_eq(contents(&w), "a,b\nc\n");
    pl_writer_free(&w);
}

Test(writer_csv, custom_field_delimiter)
{
    pl_out_dialect d = dialect(false);
    set_delim(&d.field_delim, "|");
    const char *const f[] = {"a,b", "c|d", "e", NULL};
    /* the comma is no longer special, the pipe is */
    expect_csv(&d, f, "a,b|\"c|d\"|e\n");
}

Test(writer_csv, multibyte_delimiters)
{
    pl_out_dialect d = dialect(false);
    set_delim(&d.field_delim, "::");
    set_delim(&d.record_delim, "\r\n");
    const char *const f[] = {"a", "b:c", "d", NULL};
    /* a single byte of a multi-byte delimiter is enough to force quotes */
    expect_csv(&d, f, "a::\"b:c\"::d\r\n");

    pl_out_dialect e = dialect(false);
    set_delim(&e.record_delim, "<EOR>");
    const char *const g[] = {"x", "R", "<", "plain", NULL};
    expect_csv(&e, g, "x,\"R\",\"<\",plain<EOR>");

    /* UTF-8 delimiter: any of its bytes forces quoting */
    pl_out_dialect u = dialect(false);
    set_delim(&u.field_delim, "\xc2\xa7"); /* § */
    const char *const h[] = {"a", "\xc2\xa9", "b", NULL}; /* © shares the lead byte */
    expect_csv(&u, h, "a\xc2\xa7\"\xc2\xa9\"\xc2\xa7" "b\n");
}

Test(writer_csv, custom_quote_character)
{
    pl_out_dialect d = dialect(false);
    d.quote = '\'';
    d.escape = '\'';
    const char *const f[] = {"it's", "a,b", "say \"x\"", NULL};
    /* a double quote is ordinary data once the quote character is ' */
    expect_csv(&d, f, "'it''s','a,b',say \"x\"\n");
}

Test(writer_csv, distinct_escape_character)
{
    pl_out_dialect d = dialect(false);
    d.escape = '\\';
    /* the quote is written as escape + quote, the escape itself is doubled */
    const char *const f[] = {"a\"b", "c\\d", "\\\"", "plain", NULL};
    expect_csv(&d, f, "\"a\\\"b\",\"c\\\\d\",\"\\\\\\\"\",plain\n");

    pl_out_dialect a = dialect(true);
    a.escape = '\\';
    const char *const g[] = {"x", "q\"", NULL};
    expect_csv(&a, g, "\"x\",\"q\\\"\"\n");
}

Test(writer_csv, long_field_with_every_byte_escaped)
{
    /* worst case growth: every byte is a quote */
    pl_out_dialect d = dialect(false);
    char in[1001];
    memset(in, '"', 1000);
    in[1000] = '\0';
    pl_writer w;
    pl_writer_init(&w, &d);
    cr_assert(pl_csv_field(&w, in, 1000, true));
    cr_assert_eq(w.buf.len, 2002);
    for (size_t i = 0; i < w.buf.len; i++)
        cr_assert_eq(w.buf.data[i], '"');
    pl_writer_free(&w);
}

Test(writer_csv, bytes_are_not_interpreted)
{
    /* UTF-8 and other high bytes pass through untouched and do not force quotes */
    expect_field("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac", "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac\n");
    pl_out_dialect d = dialect(false);
    pl_writer w;
    pl_writer_init(&w, &d);
    cr_assert(pl_csv_field(&w, "a\0b", 3, true)); /* an embedded NUL is data */
    cr_assert(pl_csv_end(&w));
    cr_assert_eq(w.buf.len, 4);
    cr_assert_eq(memcmp(w.buf.data, "a\0b\n", 4), 0);
    pl_writer_free(&w);
}

/* ---- JSON --------------------------------------------------------------------------------- */

Test(writer_json, string_escaping)
{
    expect_json_string("plain", 5, "\"plain\"");
    expect_json_string("", 0, "\"\"");
    expect_json_string("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    expect_json_string("C:\\dir", 6, "\"C:\\\\dir\"");
    expect_json_string("a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"");
    expect_json_string("\b\f", 2, "\"\\b\\f\"");
    expect_json_string("/", 1, "\"/\"");
}

Test(writer_json, control_characters)
{
    expect_json_string("\x01", 1, "\"\\u0001\"");
    expect_json_string("\x1f", 1, "\"\\u001f\"");
    expect_json_string("\x1b[0m", 4, "\"\\u001b[0m\"");
    expect_json_string("a\0b", 3, "\"a\\u0000b\"");
    expect_json_string("\x0b", 1, "\"\\u000b\"");
    /* DEL is not a control character for JSON */
    expect_json_string("\x7f", 1, "\"\x7f\"");
}

Test(writer_json, utf8_passthrough)
{
    expect_json_string("h\xc3\xa9llo", 6, "\"h\xc3\xa9llo\"");
    expect_json_string("\xe6\x97\xa5\xe6\x9c\xac", 6, "\"\xe6\x97\xa5\xe6\x9c\xac\"");
    expect_json_string("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
}

Test(writer_json, scalar_values)
{
    expect_json_value(pl_v_null(), "null");
    expect_json_value(pl_v_int(42), "42");
    expect_json_value(pl_v_int(-7), "-7");
    expect_json_value(pl_decimal_make(150, 2), "1.50");
    expect_json_value(pl_decimal_make(-5, 2), "-0.05");
    expect_json_value(pl_v_float(1e6), "1000000");
    expect_json_value(pl_v_float(0.1), "0.1");
    expect_json_value(pl_v_float(1e21), "1e21");
    expect_json_value(pl_v_bool(true), "true");
    expect_json_value(pl_v_bool(false), "false");
    /* a CSV field is a string even when it looks like a number */
    expect_json_value(pl_v_str("3", 1, true), "\"3\"");
}

Test(writer_json, non_finite_floats_are_strings)
{
    expect_json_value(pl_v_float(NAN), "\"NaN\"");
    expect_json_value(pl_v_float(INFINITY), "\"Infinity\"");
    expect_json_value(pl_v_float(-INFINITY), "\"-Infinity\"");
}

Test(writer_json, missing_members_omitted)
{
    pl_out_dialect d = dialect(false);
    d.format = PL_OUT_JSON;
    pl_writer w;
    pl_writer_init(&w, &d);
    pl_value miss = pl_v_missing(), one = pl_v_int(1), nul = pl_v_null();
    pl_value s = pl_v_str("x", 1, true);

    bool first = true;
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, "a", 1, &miss, &first)); /* first member missing: no comma */
    cr_assert(pl_json_member(&w, "b", 1, &one, &first));
    cr_assert(pl_json_member(&w, "c", 1, &miss, &first));
    cr_assert(pl_json_member(&w, "d", 1, &nul, &first));
    cr_assert(pl_json_member(&w, "e", 1, &s, &first));
    cr_assert(pl_json_end(&w));

    first = true; /* all members missing: an empty object */
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, "a", 1, &miss, &first));
    cr_assert(pl_json_end(&w));

    cr_assert_str_eq(contents(&w), "{\"b\":1,\"d\":null,\"e\":\"x\"}\n{}\n");
    pl_writer_free(&w);
}

Test(writer_json, keys_are_escaped)
{
    pl_value one = pl_v_int(1);
    cr_assert_str_eq(json_one("we\"ird\\key\n", &one), "{\"we\\\"ird\\\\key\\n\":1}\n");
    cr_assert_str_eq(json_one("\xc3\xa9t\xc3\xa9", &one), "{\"\xc3\xa9t\xc3\xa9\":1}\n");
}

Test(writer_json, custom_record_delimiter)
{
    pl_out_dialect d = dialect(false);
    d.format = PL_OUT_JSON;
    set_delim(&d.record_delim, "\r\n");
    pl_writer w;
    pl_writer_init(&w, &d);
    pl_value one = pl_v_int(1), two = pl_v_int(2);
    bool first = true;
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, "a", 1, &one, &first));
    cr_assert(pl_json_member(&w, "b", 1, &two, &first));
    cr_assert(pl_json_end(&w));
    first = true;
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, "a", 1, &two, &first));
    cr_assert(pl_json_end(&w));
    cr_assert_str_eq(contents(&w), "{\"a\":1,\"b\":2}\r\n{\"a\":2}\r\n");
    pl_writer_free(&w);
}

Test(writer_json, long_string_worst_case)
{
    /* every byte a control character: six output bytes each */
    char in[500];
    memset(in, 0x01, sizeof in);
    pl_value v = pl_v_str(in, sizeof in, false);
    pl_out_dialect d = dialect(false);
    d.format = PL_OUT_JSON;
    pl_writer w;
    pl_writer_init(&w, &d);
    bool first = true;
    cr_assert(pl_json_begin(&w));
    cr_assert(pl_json_member(&w, "k", 1, &v, &first));
    cr_assert(pl_json_end(&w));
    cr_assert_eq(w.buf.len, strlen("{\"k\":\"\"}\n") + 6 * sizeof in);
    cr_assert_eq(memcmp(w.buf.data + 6, "\\u0001\\u0001", 12), 0);
    pl_writer_free(&w);
}

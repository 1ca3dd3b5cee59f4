/*
 * params.c — the one table of serialization parameters.  Each row names an S3
 * InputSerialization / OutputSerialization field (or one of pluck's limits), its XML path,
 * its CLI long option, its kind and default.  pluck_params_set() parses a value by the row's
 * kind, so the C API, the CLI and the server's XML reader all validate values identically.
 */
#include "common/common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const pluck_param_info param_table[PLUCK_PARAM_COUNT] = {
    {PLUCK_PARAM_COMPRESSION_TYPE, "CompressionType", "InputSerialization/CompressionType",
     "compression-type", PLUCK_KIND_ENUM, "AUTO|NONE|GZIP|ZSTD|BZIP2|XZ", "AUTO", 0,
     "input compression; AUTO detects it from magic bytes"},
    {PLUCK_PARAM_FILE_HEADER_INFO, "FileHeaderInfo", "InputSerialization/CSV/FileHeaderInfo",
     "file-header-info", PLUCK_KIND_ENUM, "NONE|USE|IGNORE", "NONE", 0,
     "first record: NONE data, USE column names, IGNORE skipped"},
    {PLUCK_PARAM_FIELD_DELIMITER, "FieldDelimiter", "InputSerialization/CSV/FieldDelimiter",
     "field-delimiter", PLUCK_KIND_CHAR, NULL, ",", 0, "input field delimiter (one byte)"},
    {PLUCK_PARAM_RECORD_DELIMITER, "RecordDelimiter", "InputSerialization/CSV/RecordDelimiter",
     "record-delimiter", PLUCK_KIND_CHARS, NULL, "\n", 0,
     "input record delimiter (1-8 bytes; with \\n a CR before it is dropped)"},
    {PLUCK_PARAM_QUOTE_CHARACTER, "QuoteCharacter", "InputSerialization/CSV/QuoteCharacter",
     "quote-character", PLUCK_KIND_CHAR, NULL, "\"", 1, "input quote character; empty: no quoting"},
    {PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER, "QuoteEscapeCharacter",
     "InputSerialization/CSV/QuoteEscapeCharacter", "quote-escape-character", PLUCK_KIND_CHAR,
     NULL, "\"", 1, "escapes a quote inside a quoted field (default: doubled quote)"},
    {PLUCK_PARAM_COMMENTS, "Comments", "InputSerialization/CSV/Comments", "comments",
     PLUCK_KIND_CHAR, NULL, "#", 1, "records starting with this byte are skipped; empty: none"},
    {PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, "AllowQuotedRecordDelimiter",
     "InputSerialization/CSV/AllowQuotedRecordDelimiter", "allow-quoted-record-delimiter",
     PLUCK_KIND_BOOL, NULL, "FALSE", 0, "TRUE: record delimiters inside quotes are data"},
    {PLUCK_PARAM_OUTPUT_FORMAT, NULL, "OutputSerialization", "output-format", PLUCK_KIND_ENUM,
     "CSV|JSON|TYPED", "CSV", 0, "output format (TYPED: JSON arrays of type-tagged values)"},
    {PLUCK_PARAM_QUOTE_FIELDS, "QuoteFields", "OutputSerialization/CSV/QuoteFields",
     "quote-fields", PLUCK_KIND_ENUM, "ASNEEDED|ALWAYS", "ASNEEDED", 0,
     "quote every output field, or only those that need it"},
    {PLUCK_PARAM_OUTPUT_FIELD_DELIMITER, "FieldDelimiter", "OutputSerialization/CSV/FieldDelimiter",
     "output-field-delimiter", PLUCK_KIND_CHARS, NULL, ",", 0, "output field delimiter"},
    {PLUCK_PARAM_OUTPUT_RECORD_DELIMITER, "RecordDelimiter",
     "OutputSerialization/CSV/RecordDelimiter", "output-record-delimiter", PLUCK_KIND_CHARS, NULL,
     "\n", 0, "output record delimiter (CSV and JSON)"},
    {PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER, "QuoteCharacter", "OutputSerialization/CSV/QuoteCharacter",
     "output-quote-character", PLUCK_KIND_CHAR, NULL, "\"", 0, "output quote character"},
    {PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER, "QuoteEscapeCharacter",
     "OutputSerialization/CSV/QuoteEscapeCharacter", "output-quote-escape-character",
     PLUCK_KIND_CHAR, NULL, "\"", 0, "escapes a quote inside a quoted output field"},
    {PLUCK_PARAM_MAX_RECORD_SIZE, NULL, NULL, "max-record-size", PLUCK_KIND_SIZE, NULL, "1048576",
     0, "longest input record in bytes (K/M/G suffixes); longer is OverMaxRecordSize"},
    {PLUCK_PARAM_EXTENSIONS, NULL, NULL, "extensions", PLUCK_KIND_BOOL, NULL, "FALSE", 0,
     "TRUE: allow pluck's SQL beyond S3 Select (GROUP BY, HAVING, ORDER BY)"},
    {PLUCK_PARAM_MAX_GROUPS, NULL, NULL, "max-groups", PLUCK_KIND_SIZE, NULL, "1000000", 0,
     "most groups GROUP BY may hold; more is TooManyGroups"},
    {PLUCK_PARAM_THREADS, NULL, NULL, "threads", PLUCK_KIND_INT, NULL, "1", 0,
     "2 or more: split a plain file, a BGZF or multi-frame zstd file across N, else decompress on a second thread (1: one thread)"},
    {PLUCK_PARAM_MAX_MEMORY, NULL, NULL, "max-memory", PLUCK_KIND_SIZE, NULL, "268435456", 0,
     "memory for ORDER BY (then it spills sorted runs to --temp-dir; a top-n heap too), GROUP BY and DISTINCT (-X; these do not spill: TooManyGroups past it); 256 MiB"},
    {PLUCK_PARAM_TEMP_DIR, NULL, NULL, "temp-dir", PLUCK_KIND_PATH, NULL, "", 1,
     "directory for ORDER BY's sorted runs (default: $TMPDIR, else /tmp)"},
    {PLUCK_PARAM_OUTPUT_HEADER, NULL, NULL, "output-header", PLUCK_KIND_BOOL, NULL, "FALSE", 0,
     "TRUE: CSV output starts with the column names (JSON's keys)"},
    {PLUCK_PARAM_MAX_WINDOW, NULL, NULL, "max-window", PLUCK_KIND_SIZE, NULL, "1073741824", 0,
     "largest zstd window or xz dictionary an input may need; more is InvalidCompressionFormat"},
};

const pluck_param_info *pluck_param_get_info(pluck_param id)
{
    if ((unsigned)id >= PLUCK_PARAM_COUNT)
        return NULL;
    return &param_table[id];
}

pluck_param pluck_param_find(const char *name)
{
    /* CLI names are unique; S3 names repeat between input and output, so the input one
     * (listed first) wins for a bare S3 name. */
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++)
        if (!strcasecmp(name, param_table[i].cli_name))
            return (pluck_param)i;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++)
        if (param_table[i].s3_name && !strcasecmp(name, param_table[i].s3_name))
            return (pluck_param)i;
    return PLUCK_PARAM_COUNT;
}

void pl_params_defaults(struct pluck_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const char *d = param_table[i].default_value;
        pluck_params_set(p, (pluck_param)i, d, strlen(d), NULL);
    }
    /* the escape defaults to "the quote character", whatever the quote becomes */
    p->in_escape_set = p->out_escape_set = false;
}

pluck_params *pluck_params_create(void)
{
    pluck_params *p = malloc(sizeof *p);
    if (p)
        pl_params_defaults(p);
    return p;
}

pluck_params *pluck_params_clone(const pluck_params *src)
{
    pluck_params *p = malloc(sizeof *p);
    if (p && src)
        *p = *src;
    else if (p)
        pl_params_defaults(p);
    return p;
}

void pluck_params_free(pluck_params *p) { free(p); }

/* Index of value in "A|B|C" (case-insensitive), or -1. */
static int enum_index(const char *values, const char *v, size_t len)
{
    int idx = 0;
    const char *s = values;
    while (*s) {
        const char *e = strchr(s, '|');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == len && !strncasecmp(s, v, len))
            return idx;
        if (!e)
            break;
        s = e + 1;
        idx++;
    }
    return -1;
}

static pluck_code bad_value(pluck_error *err, const pluck_param_info *pi, const char *v, size_t len)
{
    pluck_code code = PLUCK_E_INVALID_REQUEST_PARAMETER;
    if (pi->id == PLUCK_PARAM_FILE_HEADER_INFO)
        code = PLUCK_E_INVALID_FILE_HEADER_INFO;
    else if (pi->id == PLUCK_PARAM_QUOTE_FIELDS)
        code = PLUCK_E_INVALID_QUOTE_FIELDS;
    else if (pi->id == PLUCK_PARAM_COMPRESSION_TYPE)
        code = PLUCK_E_INVALID_COMPRESSION_FORMAT;
    int shown = len > 40 ? 40 : (int)len;
    if (pi->kind == PLUCK_KIND_ENUM)
        pl_error_set(err, code, "Invalid value '%.*s' for %s: expected one of %s.", shown, v,
                     pi->s3_name ? pi->s3_name : pi->cli_name, pi->values);
    else if (pi->kind == PLUCK_KIND_BOOL)
        pl_error_set(err, code, "Invalid value '%.*s' for %s: expected TRUE or FALSE.", shown, v,
                     pi->s3_name);
    else if (pi->kind == PLUCK_KIND_SIZE)
        pl_error_set(err, code, "Invalid value '%.*s' for %s: expected %s.", shown, v,
                     pi->cli_name,
                     pi->id == PLUCK_PARAM_MAX_GROUPS   ? "a number of at least 1"
                     : pi->id == PLUCK_PARAM_MAX_MEMORY ? "a size in bytes (at least 4K)"
                     : pi->id == PLUCK_PARAM_MAX_WINDOW ? "a size in bytes (at least 1K)"
                                                        : "a size in bytes (at least 16)");
    else if (pi->kind == PLUCK_KIND_PATH)
        pl_error_set(err, code, "Invalid value for %s: expected a path of at most %d bytes.",
                     pi->cli_name, PLUCK_PATH_MAX - 1);
    else if (pi->kind == PLUCK_KIND_INT)
        pl_error_set(err, code, "Invalid value '%.*s' for %s: expected a number from 1 to 64.",
                     shown, v, pi->cli_name);
    else
        pl_error_set(err, code, "Invalid value for %s: expected %s%s.", pi->s3_name,
                     pi->kind == PLUCK_KIND_CHAR ? "a single ASCII character"
                                                  : "1 to 8 bytes of whole UTF-8 characters",
                     pi->empty_ok ? " or an empty value" : "");
    return code;
}

/* Whole, well-formed UTF-8 characters (no overlong forms, surrogates or values past
 * U+10FFFF).  A multi-byte delimiter made of whole characters can only match at character
 * boundaries of valid text; a lone byte of 0x80 or more could cut a character in two (F8 in
 * tests/HARDENING.md). */
static bool utf8_whole(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0 || len - i < n)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] >= 0xA0) ||
            (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))
            return false;
        i += n;
    }
    return true;
}

static bool parse_size(const char *v, size_t len, size_t min, size_t *out)
{
    size_t i = 0;
    unsigned long long n = 0;
    if (len == 0)
        return false;
    while (i < len && isdigit((unsigned char)v[i])) {
        if (n > (1ULL << 40))
            return false;
        n = n * 10 + (unsigned)(v[i++] - '0');
    }
    if (i == 0)
        return false;
    if (i < len) {
        int c = toupper((unsigned char)v[i++]);
        unsigned shift = c == 'K' ? 10 : c == 'M' ? 20 : c == 'G' ? 30 : 0;
        if (!shift || i != len || n > (1ULL << 32) >> shift)
            return false;
        n <<= shift;
    }
    if (n < min || n > (1ULL << 32))
        return false; /* above 4 Gi is a mistake for any of these */
    *out = (size_t)n;
    return true;
}

static void set_delim(pl_delim *d, const char *v, size_t len)
{
    memcpy(d->s, v, len);
    d->len = (uint8_t)len;
}

pluck_code pluck_params_set(pluck_params *p, pluck_param id, const char *v, size_t len,
                            pluck_error *err)
{
    const pluck_param_info *pi = pluck_param_get_info(id);
    if (!pi) {
        pl_error_set(err, PLUCK_E_INVALID_REQUEST_PARAMETER, "Unknown parameter %d.", (int)id);
        return PLUCK_E_INVALID_REQUEST_PARAMETER;
    }
    if (!v)
        v = "", len = 0;
    int ev = -1;
    bool bv = false;
    size_t sz = 0;
    switch (pi->kind) {
    case PLUCK_KIND_ENUM:
        if ((ev = enum_index(pi->values, v, len)) < 0)
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_BOOL:
        if (len == 4 && !strncasecmp(v, "TRUE", 4))
            bv = true;
        else if (!(len == 5 && !strncasecmp(v, "FALSE", 5)))
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_CHAR:
        /* one byte, and an ASCII one: a byte of 0x80 or more is part of a UTF-8 character,
         * and splitting text at it would cut characters in two */
        if (len > 1 || (len == 0 && !pi->empty_ok) || (len == 1 && (unsigned char)v[0] >= 0x80))
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_CHARS:
        if (len == 0 || len > PL_MAX_DELIM || !utf8_whole((const unsigned char *)v, len))
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_SIZE:
        /* a record needs at least a few bytes; a group count may be as small as 1 */
        if (!parse_size(v, len, id == PLUCK_PARAM_MAX_GROUPS ? 1 : id == PLUCK_PARAM_MAX_MEMORY ? 4096 : id == PLUCK_PARAM_MAX_WINDOW ? 1024 : 16, &sz))
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_PATH:
        if (len >= PLUCK_PATH_MAX || memchr(v, 0, len))
            return bad_value(err, pi, v, len);
        break;
    case PLUCK_KIND_INT:
        sz = 0;
        for (size_t i = 0; i < len && sz <= 64; i++)
            sz = isdigit((unsigned char)v[i]) ? sz * 10 + (size_t)(v[i] - '0') : 999;
        if (len == 0 || sz < 1 || sz > 64)
            return bad_value(err, pi, v, len);
        break;
    }
    int ch = len ? (unsigned char)v[0] : -1;
    switch (id) {
    case PLUCK_PARAM_COMPRESSION_TYPE: {
        static const pl_compression map[] = {PL_COMP_AUTO,  PL_COMP_NONE,  PL_COMP_GZIP,
                                             PL_COMP_ZSTD, PL_COMP_BZIP2, PL_COMP_XZ};
        p->compression = map[ev];
        break;
    }
    case PLUCK_PARAM_FILE_HEADER_INFO: {
        static const pl_header_info map[] = {PL_HDR_NONE, PL_HDR_USE, PL_HDR_IGNORE};
        p->header = map[ev];
        break;
    }
    case PLUCK_PARAM_FIELD_DELIMITER: p->in.field_delim = (unsigned char)ch; break;
    case PLUCK_PARAM_RECORD_DELIMITER: set_delim(&p->in.record_delim, v, len); break;
    case PLUCK_PARAM_QUOTE_CHARACTER:
        p->in.quote = ch;
        if (!p->in_escape_set)
            p->in.escape = ch;
        break;
    case PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER:
        p->in.escape = ch;
        p->in_escape_set = true;
        break;
    case PLUCK_PARAM_COMMENTS: p->in.comment = ch; break;
    case PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER: p->in.allow_quoted_record_delim = bv; break;
    case PLUCK_PARAM_OUTPUT_FORMAT: p->out.format = (pl_out_format)ev; break; /* table order */
    case PLUCK_PARAM_QUOTE_FIELDS: p->out.quote_always = ev == 1; break;
    case PLUCK_PARAM_OUTPUT_FIELD_DELIMITER: set_delim(&p->out.field_delim, v, len); break;
    case PLUCK_PARAM_OUTPUT_RECORD_DELIMITER: set_delim(&p->out.record_delim, v, len); break;
    case PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER:
        p->out.quote = (unsigned char)ch;
        if (!p->out_escape_set)
            p->out.escape = (unsigned char)ch;
        break;
    case PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER:
        p->out.escape = (unsigned char)ch;
        p->out_escape_set = true;
        break;
    case PLUCK_PARAM_MAX_RECORD_SIZE: p->max_record_size = sz; break;
    case PLUCK_PARAM_EXTENSIONS: p->extensions = bv; break;
    case PLUCK_PARAM_MAX_GROUPS: p->max_groups = sz; break;
    case PLUCK_PARAM_THREADS: p->threads = (unsigned)sz; break;
    case PLUCK_PARAM_MAX_MEMORY: p->max_memory = sz; break;
    case PLUCK_PARAM_TEMP_DIR:
        memcpy(p->temp_dir, v, len);
        p->temp_dir[len] = '\0';
        break;
    case PLUCK_PARAM_OUTPUT_HEADER: p->output_header = bv; break;
    case PLUCK_PARAM_MAX_WINDOW: p->max_window = sz; break;
    case PLUCK_PARAM_COUNT: break;
    }
    return PLUCK_OK;
}

static size_t put_text(char *buf, size_t cap, const char *s, size_t n)
{
    if (cap) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(buf, s, c);
        buf[c] = '\0';
    }
    return n;
}

static size_t put_enum(char *buf, size_t cap, const char *values, int idx)
{
    const char *s = values;
    while (idx-- > 0)
        s = strchr(s, '|') + 1;
    const char *e = strchr(s, '|');
    return put_text(buf, cap, s, e ? (size_t)(e - s) : strlen(s));
}

size_t pluck_params_get(const pluck_params *p, pluck_param id, char *buf, size_t cap)
{
    const pluck_param_info *pi = pluck_param_get_info(id);
    char c;
    if (!pi)
        return put_text(buf, cap, "", 0);
    switch (id) {
    case PLUCK_PARAM_COMPRESSION_TYPE: {
        /* pl_compression lists its values in the table's order */
        return put_enum(buf, cap, pi->values, (int)p->compression);
    }
    case PLUCK_PARAM_FILE_HEADER_INFO: {
        static const int idx[] = {0, 1, 2};
        return put_enum(buf, cap, pi->values, idx[p->header]);
    }
    case PLUCK_PARAM_FIELD_DELIMITER: c = (char)p->in.field_delim; return put_text(buf, cap, &c, 1);
    case PLUCK_PARAM_RECORD_DELIMITER:
        return put_text(buf, cap, p->in.record_delim.s, p->in.record_delim.len);
    case PLUCK_PARAM_QUOTE_CHARACTER:
    case PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER:
    case PLUCK_PARAM_COMMENTS: {
        int v = id == PLUCK_PARAM_QUOTE_CHARACTER ? p->in.quote
                : id == PLUCK_PARAM_COMMENTS      ? p->in.comment
                                                  : p->in.escape;
        c = (char)v;
        return put_text(buf, cap, &c, v < 0 ? 0 : 1);
    }
    case PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER:
        return put_text(buf, cap, p->in.allow_quoted_record_delim ? "TRUE" : "FALSE",
                        p->in.allow_quoted_record_delim ? 4 : 5);
    case PLUCK_PARAM_OUTPUT_FORMAT: return put_enum(buf, cap, pi->values, (int)p->out.format);
    case PLUCK_PARAM_QUOTE_FIELDS: return put_enum(buf, cap, pi->values, p->out.quote_always);
    case PLUCK_PARAM_OUTPUT_FIELD_DELIMITER:
        return put_text(buf, cap, p->out.field_delim.s, p->out.field_delim.len);
    case PLUCK_PARAM_OUTPUT_RECORD_DELIMITER:
        return put_text(buf, cap, p->out.record_delim.s, p->out.record_delim.len);
    case PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER:
        c = (char)p->out.quote;
        return put_text(buf, cap, &c, 1);
    case PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER:
        c = (char)p->out.escape;
        return put_text(buf, cap, &c, 1);
    case PLUCK_PARAM_TEMP_DIR: return put_text(buf, cap, p->temp_dir, strlen(p->temp_dir));
    case PLUCK_PARAM_MAX_RECORD_SIZE:
    case PLUCK_PARAM_MAX_GROUPS:
    case PLUCK_PARAM_MAX_MEMORY:
    case PLUCK_PARAM_MAX_WINDOW:
    case PLUCK_PARAM_THREADS: {
        char tmp[32];
        size_t v = id == PLUCK_PARAM_MAX_WINDOW   ? p->max_window
                   : id == PLUCK_PARAM_MAX_GROUPS ? p->max_groups
                   : id == PLUCK_PARAM_THREADS    ? p->threads
                   : id == PLUCK_PARAM_MAX_MEMORY ? p->max_memory
                                                  : p->max_record_size;
        int n = snprintf(tmp, sizeof tmp, "%zu", v);
        return put_text(buf, cap, tmp, (size_t)n);
    }
    case PLUCK_PARAM_EXTENSIONS:
        return put_text(buf, cap, p->extensions ? "TRUE" : "FALSE", p->extensions ? 4 : 5);
    case PLUCK_PARAM_OUTPUT_HEADER:
        return put_text(buf, cap, p->output_header ? "TRUE" : "FALSE", p->output_header ? 4 : 5);
    case PLUCK_PARAM_COUNT: break;
    }
    return put_text(buf, cap, "", 0);
}

/*
 * suggest.c — see suggest.h.  Near misses are judged by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours, case-insensitive): at most one edit for
 * names of up to four bytes, two up to eight, three beyond; the closest header name wins,
 * the first one on a tie.
 */
#include "sql/suggest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SUGGEST_MAX_NAME 64 /* longer names are not compared */

/* Damerau-Levenshtein (optimal string alignment) distance, case-insensitive. */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t d[SUGGEST_MAX_NAME + 1][SUGGEST_MAX_NAME + 1];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

/* Append printf-style to out (NUL-terminated, cap bytes), truncating. */
static void add(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

void pl_suggest_missing_column(const char *name, bool quoted, const char *const *hdr,
                               const uint32_t *hdr_len, uint32_t nhdr, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    size_t nl = strlen(name);
    const char *q = quoted ? "\"" : "'";
    /* the closest header name, and an exact match apart from case */
    const char *best = NULL;
    size_t best_len = 0, best_d = SIZE_MAX;
    const char *caseless = NULL;
    size_t caseless_len = 0;
    size_t allow = nl <= 4 ? 1 : nl <= 8 ? 2 : 3;
    for (uint32_t h = 0; h < nhdr; h++) {
        if (hdr_len[h] == nl && !strncasecmp(hdr[h], name, nl) && !caseless) {
            caseless = hdr[h];
            caseless_len = hdr_len[h];
        }
        if (nl > SUGGEST_MAX_NAME || hdr_len[h] > SUGGEST_MAX_NAME)
            continue;
        size_t d = edit_distance(name, nl, hdr[h], hdr_len[h]);
        if (d <= allow && d < best_d && d < nl) {
            best = hdr[h];
            best_len = hdr_len[h];
            best_d = d;
        }
    }
    if (quoted && caseless) {
        add(out, cap, &len, " A quoted name matches case exactly: did you mean \"%.*s\"?",
            (int)caseless_len, caseless);
    } else if (best) {
        add(out, cap, &len, " Did you mean %s%.*s%s?", q, (int)best_len, best, q);
    } else if (quoted) {
        add(out, cap, &len,
            " \"%.*s\" is a column name here: string literals take single quotes, '%.*s'.",
            (int)(nl > 80 ? 80 : nl), name, (int)(nl > 80 ? 80 : nl), name);
    }
    /* one header field holding tabs or semicolons: the file was read with the wrong delimiter */
    if (nhdr == 1) {
        const char *h0 = hdr[0];
        size_t n0 = hdr_len[0];
        if (memchr(h0, '\t', n0))
            add(out, cap, &len, " The header holds tabs: is the file tab-separated? "
                                "(FieldDelimiter '\\t', pluck -d '\\t')");
        else if (memchr(h0, ';', n0))
            add(out, cap, &len, " The header holds semicolons: is the file "
                                "semicolon-separated? (FieldDelimiter ';', pluck -d ';')");
        else if (memchr(h0, '|', n0))
            add(out, cap, &len, " The header holds '|': is the file pipe-separated? "
                                "(FieldDelimiter '|', pluck -d '|')");
    }
    if (nhdr > 1) {
        add(out, cap, &len, " The header has %u columns:", nhdr);
        for (uint32_t h = 0; h < nhdr; h++) {
            uint32_t hl = hdr_len[h] > 40 ? 40 : hdr_len[h];
            if (len + hl + 8 >= cap) {
                add(out, cap, &len, " ...");
                break;
            }
            add(out, cap, &len, "%s '%.*s'", h ? "," : "", (int)hl, hdr[h]);
        }
        add(out, cap, &len, ".");
    }
}

/* Reserved words that are also common column names. */
static const char *const reserved_names[] = {
    "date",  "value", "key",   "user",   "year",   "timestamp", "first", "last",  "count",
    "order", "group", "time",  "month",  "day",    "hour",      "minute", "second", "table",
    "index", "type",  "name",  "status", "level",  "position",  "size",  "limit", "values",
    "sum",   "avg",   "min",   "max",    "end",    "case",      "from",  "select", "where",
    "cast",  "like",  "in",    "is",     "null",   "missing",   "true",  "false", "by",
    "having", "distinct", "all", "as",   "and",    "or",        "not",   "between", "escape",
    "substring", "trim", "extract", "lower", "upper", "char_length", "character_length",
    "coalesce", "nullif", "utcnow", "to_string", "to_timestamp", "date_add", "date_diff",
    "current_date", "current_time", "current_user", "zone", "interval", "row", "rows",
};

static bool is_word(int c) { return isalnum(c) || c == '_'; }

/* The word [*b, *e) around or just before offset; false when there is none. */
static bool word_at(const char *sql, size_t len, size_t off, size_t *b, size_t *e)
{
    if (off > len)
        off = len;
    size_t i = off;
    if (i < len && is_word((unsigned char)sql[i])) {
        while (i > 0 && is_word((unsigned char)sql[i - 1]))
            i--;
    } else {
        return false;
    }
    size_t j = off;
    while (j < len && is_word((unsigned char)sql[j]))
        j++;
    *b = i;
    *e = j;
    return j > i;
}

static bool word_before(const char *sql, size_t off, size_t *b, size_t *e)
{
    size_t j = off;
    while (j > 0 && isspace((unsigned char)sql[j - 1]))
        j--;
    size_t i = j;
    while (i > 0 && is_word((unsigned char)sql[i - 1]))
        i--;
    *b = i;
    *e = j;
    return j > i && (i == 0 || sql[i - 1] != '"');
}

static bool reserved(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names; i++)
        if (strlen(reserved_names[i]) == n && !strncasecmp(reserved_names[i], w, n))
            return true;
    return false;
}

void pl_suggest_reserved(pluck_error *err, const char *sql, size_t len)
{
    if (!err || !sql || pluck_code_get_class(err->code) != PLUCK_CLASS_QUERY ||
        err->code == PLUCK_E_MISSING_HEADERS || !err->sql_line)
        return;
    size_t b = 0, e = 0, off = err->sql_offset;
    bool found = word_at(sql, len, off, &b, &e) && reserved(sql + b, e - b);
    /* "SELECT count FROM": the parser stops at FROM, after the word; "s.value": at it */
    if (!found || err->code == PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL) {
        size_t b2, e2;
        if (word_before(sql, off, &b2, &e2) && reserved(sql + b2, e2 - b2) &&
            (!found || err->code == PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL)) {
            b = b2;
            e = e2;
            found = true;
        }
    }
    /* only where a name could stand: the error names a keyword, or a call without '(' */
    if (!found || !(strstr(err->message, "KEYWORD") ||
                    err->code == PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL))
        return;
    size_t ml = strlen(err->message);
    snprintf(err->message + ml, sizeof err->message - ml,
             " '%.*s' is a reserved word: to use it as a column name, quote it: \"%.*s\".",
             (int)(e - b > 40 ? 40 : e - b), sql + b, (int)(e - b > 40 ? 40 : e - b), sql + b);
}

/*
 * timestamp.c — Ion timestamps for S3 Select: text parsing and printing, ordering, the
 * TO_STRING / TO_TIMESTAMP pattern language, and EXTRACT / DATE_ADD / DATE_DIFF.
 *
 * Calendar arithmetic uses Howard Hinnant's days-from-civil algorithms on the proleptic
 * Gregorian calendar, so nothing here depends on libc time zones, the locale or time_t
 * range.  Every function is pure except pl_ts_now(), which reads the clock.
 *
 * Decisions where the notes (s3select-notes.md §3.9-§3.11) are silent.  Where AWS is
 * undocumented we follow PartiQL (partiql-lang-kotlin), whose error codes S3 Select reports
 * word for word, so its behaviour is the best available evidence:
 *
 *  Text format (pl_ts_parse / pl_ts_format)
 *   - Strict Ion: upper-case `T` and `Z`, exactly 4 year digits (0001-9999), 2-digit fields,
 *     no surrounding white space (callers trim if they want to).  Leap seconds (:60) are
 *     rejected.  Fractions keep their first 9 digits; further digits are dropped.
 *   - Every precision prints as Ion text: `2007T`, `2007-02T`, `2007-02-23T` (day precision
 *     with its `T`, as AWS's DATE_ADD example prints `2015-01-01T`), `2007-02-23T12:14Z`,
 *     `2007-02-23T12:14:33Z`, `2007-02-23T12:14:33.079-08:00`; `2007-02-23` parses too.
 *   - Date-only values (YEAR/MONTH/DAY precision) are stored with offset_min 0 and
 *     offset_unknown false and order as UTC midnight.  When DATE_ADD gives one a time part,
 *     its offset becomes unknown (`-00:00`), as the doc example shows.  `+00:00` is a known
 *     zero offset and prints as `Z`; `-00:00` is unknown and prints as `-00:00`.
 *   - The local fields are range-checked (year 1..9999); the UTC instant may fall one day
 *     outside that range (0001-01-01T00:00+01:00), which orders correctly.
 *
 *  TO_STRING patterns (PartiQL's table; Java DateTimeFormatter semantics per letter)
 *   - y: year unpadded; yy: last two digits; yyy: at least 3 digits; yyyy: 4 digits.
 *     M..MMMMM, d dd, a, h hh, H HH, m mm, s ss, S x1..x9 (fraction truncated to that many
 *     digits), n (nanoseconds, unpadded), X..XXXXX, x..xxxxx.  X/XX/XXX print `Z` for a zero
 *     offset; one X or x prints minutes only when they are not zero (+05 / +0530), like Java.
 *   - Date-only values and the unknown offset format as offset zero (`Z`, `+00`), since the
 *     pattern letters cannot express "unknown"; fields below the precision print as their
 *     defaults (month/day 1, time 0).
 *   - Error codes follow PartiQL: a letter that is not a pattern letter is
 *     EvaluatorInvalidTimestampFormatPatternToken (PartiQL's lexer rejects it); a pattern
 *     letter repeated an invalid number of times (`yyyyy`, `ddd`, `aa`, `nn`, ten S) is
 *     EvaluatorInvalidTimestampFormatPatternSymbol; a quote left open is
 *     EvaluatorUnterminatedTimestampFormatPatternToken.
 *   - Quoting follows Java: 'text' is literal, '' inside or outside quoted text is one
 *     quote.  Every byte that is not an ASCII letter or a quote is copied as is (PartiQL
 *     only allows ` /-,:.` unquoted; accepting more never breaks a query that works on AWS).
 *
 *  TO_TIMESTAMP(text, pattern)
 *   - Checks, in PartiQL's order: lexing (Token / Unterminated / Symbol), MMMMM
 *     (...SymbolForParsing), a field given twice (...DuplicateFields), missing fields
 *     (PartiQL's EvaluatorIncompleteTimestampFormatPattern, which pluck.h lacks, reported as
 *     EvaluatorInvalidTimestampFormatPattern), then h without a / H with a (...Mismatch).
 *     Fields must form a prefix of year, month, day, hour, minute, second, fraction; an
 *     offset or a/PM needs year, month, day and hour.
 *   - One letter reads 1-2 digits (y: 1-4), two letters exactly 2 (yy: 2-digit year, 00-69
 *     is 20xx and 70-99 is 19xx as in PartiQL's tests), yyy 3-4 and yyyy exactly 4 digits;
 *     S x k exactly k digits; n 1-9 digits.  Month names and AM/PM match case-insensitively
 *     (ASCII), literal text exactly.  The whole text must be consumed.
 *   - Precision is the finest field; an hour without minutes gives minute precision.  n
 *     gives a fraction with its trailing zeros dropped (100 -> .0000001), as PartiQL does.
 *   - Offsets: X accepts Z too; X/x = +HH[MM], XX/XXXX = +HHMM, XXX/XXXXX = +HH:MM, hours up
 *     to 23.  A minus zero offset is the unknown offset.  Without an offset field, a value
 *     with a time part gets the unknown offset `-00:00` (PartiQL's result), not `Z`.
 *   - Impossible dates (2017-02-30) fail rather than being clamped.
 *
 *  EXTRACT / DATE_ADD / DATE_DIFF
 *   - EXTRACT(SECOND) is the whole second; TIMEZONE_* of a date-only value or an unknown
 *     offset is 0.
 *   - DATE_ADD works on the local fields (same result as on the instant, offsets being
 *     fixed); year/month addition clamps the day to the month's length; a local year outside
 *     1..9999 is PLUCK_E_INTEGER_OVERFLOW.
 *   - DATE_DIFF(year|month) compares the local dates only, like Java's Period.between (what
 *     PartiQL calls): months = (y2*12+m2) - (y1*12+m1), minus one when positive and the
 *     second day-of-month is smaller, plus one when negative and it is larger; years =
 *     months / 12 truncated.  Time of day is ignored: DATE_DIFF(month, `2010-01-31T23:00Z`,
 *     `2010-02-28T00:00Z`) = 0 and (month, `2010-01-15T23:00Z`, `2010-02-15T01:00Z`) = 1.
 *   - DATE_DIFF(day|hour|minute|second) is elapsed UTC time in whole seconds (fractions of a
 *     second ignored, as in PartiQL) divided by the unit, truncated toward zero.
 */
#include "exec/timestamp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SECS_PER_DAY 86400
#define MSG_CAP 160 /* the header promises msg has room for at least this many bytes */

/* ---- calendar ------------------------------------------------------------------------ */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const uint8_t dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).  Works
 * for any year that fits, including year 0 and negative years, because eras of 400 years
 * are computed with floor division. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse (Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool is_date_only(const pl_ts *t)
{
    return t->precision <= PL_TS_DAY;
}

/* Seconds since the epoch of the local date and time, as if they were UTC. */
static int64_t local_seconds(const pl_ts *t)
{
    return days_from_civil(t->year, t->month, t->day) * SECS_PER_DAY + t->hour * 3600 +
           t->minute * 60 + t->second;
}

/* Seconds since the epoch of the instant; date-only values count as UTC midnight whatever
 * their offset fields hold. */
static int64_t utc_seconds(const pl_ts *t)
{
    int64_t s = local_seconds(t);
    return is_date_only(t) ? s : s - (int64_t)t->offset_min * 60;
}

/* Set the local date and time from seconds since the epoch; false when the year leaves
 * 1..9999 (the fields are then unchanged). */
static bool set_local_seconds(pl_ts *t, int64_t secs)
{
    int64_t days = floor_div(secs, SECS_PER_DAY);
    int64_t sod = secs - days * SECS_PER_DAY;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return false;
    t->year = (int16_t)y;
    t->month = (uint8_t)m;
    t->day = (uint8_t)d;
    t->hour = (uint8_t)(sod / 3600);
    t->minute = (uint8_t)(sod / 60 % 60);
    t->second = (uint8_t)(sod % 60);
    return true;
}

static const uint32_t POW10[10] = {1,      10,      100,      1000,      10000,
                                   100000, 1000000, 10000000, 100000000, 1000000000};

/* ---- small text helpers ---------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Value of exactly k ASCII digits at p, or -1. */
static int32_t digits_at(const char *p, int k)
{
    int32_t v = 0;
    for (int i = 0; i < k; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Write v in decimal, zero-padded to at least width digits; returns the length. */
static size_t put_uint(char *b, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (int i = 0; i < n; i++)
        b[i] = tmp[n - 1 - i];
    return (size_t)n;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Case-insensitive (ASCII) prefix test: does text[0..tlen) start with word? */
static bool starts_with_ci(const char *text, size_t tlen, const char *word)
{
    size_t n = strlen(word);
    if (tlen < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(text[i]) != ascii_lower(word[i]))
            return false;
    return true;
}

static void set_msg(char *msg, const char *fmt, ...) PL_PRINTF(2, 3);
static void set_msg(char *msg, const char *fmt, ...)
{
    if (!msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, MSG_CAP, fmt, ap);
    va_end(ap);
}

/* Patterns are quoted in messages up to this many bytes so a message always fits. */
#define PAT_SHOWN 64
#define PAT_ARG(p, n) (int)((n) < PAT_SHOWN ? (n) : PAT_SHOWN), (p), ((n) > PAT_SHOWN ? "..." : "")

/* ---- Ion text ------------------------------------------------------------------------ */

bool pl_ts_parse(const char *p, size_t n, pl_ts *out)
{
    pl_ts t;
    memset(&t, 0, sizeof t);
    t.month = t.day = 1;

    /* YYYY then `T` (year precision) or `-MM` */
    if (n < 5)
        return false;
    int32_t v = digits_at(p, 4);
    if (v < 1)
        return false;
    t.year = (int16_t)v;
    if (p[4] == 'T' && n == 5) {
        t.precision = PL_TS_YEAR;
        goto done;
    }
    if (p[4] != '-' || n < 8 || (v = digits_at(p + 5, 2)) < 1 || v > 12)
        return false;
    t.month = (uint8_t)v;
    if (p[7] == 'T' && n == 8) {
        t.precision = PL_TS_MONTH;
        goto done;
    }
    if (p[7] != '-' || n < 10 || (v = digits_at(p + 8, 2)) < 1 || v > days_in_month(t.year, t.month))
        return false;
    t.day = (uint8_t)v;
    t.precision = PL_TS_DAY;
    if (n == 10 || (n == 11 && p[10] == 'T'))
        goto done;

    /* Thh:mm[:ss[.f+]] then the offset, which a time part requires */
    if (p[10] != 'T' || n < 16 || p[13] != ':')
        return false;
    int32_t hh = digits_at(p + 11, 2), mm = digits_at(p + 14, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return false;
    t.hour = (uint8_t)hh;
    t.minute = (uint8_t)mm;
    t.precision = PL_TS_MINUTE;
    size_t i = 16;
    if (i < n && p[i] == ':') {
        if (n - i < 3 || (v = digits_at(p + i + 1, 2)) < 0 || v > 59)
            return false;
        t.second = (uint8_t)v;
        t.precision = PL_TS_SECOND;
        i += 3;
        if (i < n && p[i] == '.') {
            i++;
            size_t start = i;
            uint32_t ns = 0;
            while (i < n && is_digit(p[i])) {
                if (i - start < 9)
                    ns = ns * 10 + (uint32_t)(p[i] - '0');
                i++;
            }
            size_t nd = i - start;
            if (nd == 0)
                return false;
            if (nd > 9)
                nd = 9; /* digits beyond nanoseconds are dropped */
            t.nanos = ns * POW10[9 - nd];
            t.frac_digits = (uint8_t)nd;
            t.precision = PL_TS_FRACTION;
        }
    }
    if (i < n && p[i] == 'Z') {
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        if (n - i < 6 || p[i + 3] != ':')
            return false;
        int32_t oh = digits_at(p + i + 1, 2), om = digits_at(p + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        int off = oh * 60 + om;
        if (p[i] == '-') {
            if (off == 0)
                t.offset_unknown = true; /* -00:00: the local offset is unknown */
            off = -off;
        }
        t.offset_min = (int16_t)off;
        i += 6;
    } else {
        return false;
    }
    if (i != n)
        return false;
done:
    *out = t;
    return true;
}

/* ±hh:mm, `Z` or `-00:00` into b; returns the length. */
static size_t put_offset(char *b, const pl_ts *t)
{
    if (t->offset_unknown) {
        memcpy(b, "-00:00", 6);
        return 6;
    }
    if (t->offset_min == 0) {
        b[0] = 'Z';
        return 1;
    }
    int off = t->offset_min;
    b[0] = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    put_uint(b + 1, (uint64_t)(off / 60), 2);
    b[3] = ':';
    put_uint(b + 4, (uint64_t)(off % 60), 2);
    return 6;
}

size_t pl_ts_format(const pl_ts *t, char *buf)
{
    size_t n = put_uint(buf, (uint64_t)(t->year > 0 ? t->year : 0), 4);
    if (t->precision <= PL_TS_YEAR) {
        buf[n++] = 'T';
        goto end;
    }
    buf[n++] = '-';
    n += put_uint(buf + n, t->month, 2);
    if (t->precision == PL_TS_MONTH) {
        buf[n++] = 'T';
        goto end;
    }
    buf[n++] = '-';
    n += put_uint(buf + n, t->day, 2);
    buf[n++] = 'T'; /* day precision too: `2015-01-01T`, as S3's DATE_ADD example prints */
    if (t->precision == PL_TS_DAY)
        goto end;
    n += put_uint(buf + n, t->hour, 2);
    buf[n++] = ':';
    n += put_uint(buf + n, t->minute, 2);
    if (t->precision >= PL_TS_SECOND) {
        buf[n++] = ':';
        n += put_uint(buf + n, t->second, 2);
    }
    if (t->precision >= PL_TS_FRACTION) {
        int fd = t->frac_digits >= 1 && t->frac_digits <= 9 ? t->frac_digits : 9;
        buf[n++] = '.';
        n += put_uint(buf + n, t->nanos % POW10[9] / POW10[9 - fd], fd);
    }
    n += put_offset(buf + n, t);
end:
    buf[n] = '\0'; /* a convenience: the length is the result */
    return n;
}

int pl_ts_cmp(const pl_ts *a, const pl_ts *b)
{
    int64_t sa = utc_seconds(a), sb = utc_seconds(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (a->nanos != b->nanos)
        return a->nanos < b->nanos ? -1 : 1;
    return 0;
}

/* ---- pattern lexer (shared by TO_STRING and TO_TIMESTAMP) -------------------------------- */

typedef struct ptok {
    char letter;      /* pattern letter, or 0 for literal text */
    size_t count;     /* how many times the letter repeats */
    const char *text; /* literal text; when quoted, each '' in it stands for one quote */
    size_t len;
    bool quoted;
} ptok;

typedef enum { TOK_END, TOK_OK, TOK_UNTERMINATED } tok_result;

static tok_result next_tok(const char *p, size_t n, size_t *pos, ptok *t)
{
    size_t i = *pos;
    if (i >= n)
        return TOK_END;
    memset(t, 0, sizeof *t);
    char c = p[i];
    if (c == '\'') {
        /* Java's rule: scan to the closing quote, '' inside being an escaped quote; an
         * empty pair ('') is itself a literal quote. */
        size_t j = i + 1;
        for (;;) {
            if (j >= n)
                return TOK_UNTERMINATED;
            if (p[j] == '\'') {
                if (j + 1 < n && p[j + 1] == '\'') {
                    j += 2;
                    continue;
                }
                break;
            }
            j++;
        }
        if (j == i + 1) {
            t->text = p + i;
            t->len = 1;
        } else {
            t->text = p + i + 1;
            t->len = j - i - 1;
            t->quoted = true;
        }
        *pos = j + 1;
        return TOK_OK;
    }
    if (is_letter(c)) {
        size_t j = i;
        while (j < n && p[j] == c)
            j++;
        t->letter = c;
        t->count = j - i;
        *pos = j;
        return TOK_OK;
    }
    size_t j = i;
    while (j < n && p[j] != '\'' && !is_letter(p[j]))
        j++;
    t->text = p + i;
    t->len = j - i;
    *pos = j;
    return TOK_OK;
}

/* 1 when the letter may repeat `count` times, 0 when the count is wrong (a bad symbol),
 * -1 when the letter is not a pattern letter at all (a bad token). */
static int symbol_kind(char letter, size_t count)
{
    size_t max;
    switch (letter) {
    case 'y': max = 4; break;
    case 'M': max = 5; break;
    case 'd': case 'h': case 'H': case 'm': case 's': max = 2; break;
    case 'a': case 'n': max = 1; break;
    case 'S': max = 9; break;
    case 'X': case 'x': max = 5; break;
    default: return -1;
    }
    return count <= max ? 1 : 0;
}

/* Lex the whole pattern and check every symbol; the codes come in PartiQL's order (lexer
 * errors before symbol errors). */
static pluck_code check_pattern(const char *pat, size_t plen, char *msg)
{
    size_t pos = 0, bad_pos = 0, bad_count = 0;
    char bad_letter = 0;
    ptok t;
    for (;;) {
        size_t at = pos;
        tok_result r = next_tok(pat, plen, &pos, &t);
        if (r == TOK_END)
            break;
        if (r == TOK_UNTERMINATED) {
            set_msg(msg, "Unterminated quoted text in timestamp format pattern '%.*s%s'.",
                    PAT_ARG(pat, plen));
            return PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN;
        }
        if (!t.letter)
            continue;
        int k = symbol_kind(t.letter, t.count);
        if (k < 0) {
            set_msg(msg,
                    "Timestamp format pattern '%.*s%s' contains the invalid token '%c' at "
                    "position %zu.",
                    PAT_ARG(pat, plen), t.letter, at + 1);
            return PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN;
        }
        if (k == 0 && !bad_letter) {
            bad_letter = t.letter;
            bad_count = t.count;
            bad_pos = at;
        }
    }
    if (bad_letter) {
        set_msg(msg,
                "Timestamp format pattern '%.*s%s' contains the invalid symbol '%c' repeated "
                "%zu times at position %zu.",
                PAT_ARG(pat, plen), bad_letter, bad_count, bad_pos + 1);
        return PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL;
    }
    return PLUCK_OK;
}

static const char *const MONTH_NAMES[12] = {"January", "February", "March",     "April",
                                            "May",     "June",     "July",      "August",
                                            "September", "October", "November", "December"};

/* ---- TO_STRING ------------------------------------------------------------------------- */

/* Offset for pattern letter X (z_for_zero) or x, count letters, into b; returns length. */
static size_t put_pattern_offset(char *b, int off, size_t count, bool z_for_zero)
{
    if (off == 0 && z_for_zero) {
        b[0] = 'Z';
        return 1;
    }
    size_t n = 0;
    b[n++] = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    n += put_uint(b + n, (uint64_t)(off / 60), 2);
    int mins = off % 60;
    if (count == 1 && mins == 0)
        return n; /* one letter: +HH, minutes only when not zero (Java's +HHmm) */
    if (count == 3 || count == 5)
        b[n++] = ':';
    n += put_uint(b + n, (uint64_t)mins, 2);
    return n;
}

/* Text of one pattern symbol for t into b (at least 24 bytes); returns the length. */
static size_t format_symbol(const pl_ts *t, char letter, size_t count, char *b)
{
    int hour12 = t->hour % 12 == 0 ? 12 : t->hour % 12;
    /* Patterns cannot express an unknown offset, and date-only values have none. */
    int off = (is_date_only(t) || t->offset_unknown) ? 0 : t->offset_min;
    switch (letter) {
    case 'y':
        if (count == 2)
            return put_uint(b, (uint64_t)(t->year % 100), 2);
        return put_uint(b, (uint64_t)t->year, (int)(count == 1 ? 1 : count));
    case 'M':
        if (count <= 2)
            return put_uint(b, t->month, (int)count);
        else {
            const char *name = MONTH_NAMES[(t->month - 1) % 12];
            size_t len = count == 3 ? 3 : count == 4 ? strlen(name) : 1;
            memcpy(b, name, len);
            return len;
        }
    case 'd': return put_uint(b, t->day, (int)count);
    case 'a': memcpy(b, t->hour < 12 ? "AM" : "PM", 2); return 2;
    case 'h': return put_uint(b, (uint64_t)hour12, (int)count);
    case 'H': return put_uint(b, t->hour, (int)count);
    case 'm': return put_uint(b, t->minute, (int)count);
    case 's': return put_uint(b, t->second, (int)count);
    case 'S': return put_uint(b, t->nanos % POW10[9] / POW10[9 - count], (int)count);
    case 'n': return put_uint(b, t->nanos, 1);
    case 'X': return put_pattern_offset(b, off, count, true);
    case 'x': return put_pattern_offset(b, off, count, false);
    default: return 0; /* unreachable: check_pattern accepted the symbol */
    }
}

/* Append literal text, turning each '' of quoted text into one quote. */
static bool append_literal(pl_buf *out, const ptok *t)
{
    if (!t->quoted)
        return pl_buf_append(out, t->text, t->len);
    size_t start = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->text[i] == '\'') { /* always the first of a pair inside quoted text */
            if (!pl_buf_append(out, t->text + start, i + 1 - start))
                return false;
            i++;
            start = i + 1;
        }
    }
    return pl_buf_append(out, t->text + start, t->len - start);
}

pluck_code pl_ts_to_string(const pl_ts *t, const char *pattern, size_t plen, pl_buf *out,
                           char *msg)
{
    pluck_code rc = check_pattern(pattern, plen, msg);
    if (rc != PLUCK_OK)
        return rc;
    size_t pos = 0, start_len = out->len;
    ptok tok;
    while (next_tok(pattern, plen, &pos, &tok) == TOK_OK) {
        bool ok;
        if (tok.letter) {
            char b[32];
            size_t n = format_symbol(t, tok.letter, tok.count, b);
            ok = pl_buf_append(out, b, n);
        } else {
            ok = append_literal(out, &tok);
        }
        if (!ok) {
            out->len = start_len;
            set_msg(msg, "Out of memory.");
            return PLUCK_E_OUT_OF_MEMORY;
        }
    }
    return PLUCK_OK;
}

/* ---- TO_TIMESTAMP with a pattern ----------------------------------------------------------- */

/* Fields a pattern can give; the first seven are ranked by precision. */
enum {
    F_YEAR,
    F_MONTH,
    F_DAY,
    F_HOUR,
    F_MINUTE,
    F_SECOND,
    F_FRACTION,
    F_OFFSET,
    F_AMPM,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {
    "YEAR",           "MONTH_OF_YEAR",      "DAY_OF_MONTH", "HOUR_OF_DAY", "MINUTE_OF_HOUR",
    "SECOND_OF_MINUTE", "FRACTION_OF_SECOND", "OFFSET",       "AM_PM"};

static int field_of(char letter)
{
    switch (letter) {
    case 'y': return F_YEAR;
    case 'M': return F_MONTH;
    case 'd': return F_DAY;
    case 'h': case 'H': return F_HOUR;
    case 'm': return F_MINUTE;
    case 's': return F_SECOND;
    case 'S': case 'n': return F_FRACTION;
    case 'X': case 'x': return F_OFFSET;
    default: return F_AMPM; /* 'a' */
    }
}

/* The parsing-only checks, after check_pattern accepted every token. */
static pluck_code check_pattern_for_parsing(const char *pat, size_t plen, char *msg)
{
    unsigned seen[F_COUNT] = {0};
    char hour_letter = 0;
    bool month5 = false;
    size_t pos = 0;
    ptok t;
    while (next_tok(pat, plen, &pos, &t) == TOK_OK) {
        if (!t.letter)
            continue;
        if (t.letter == 'M' && t.count == 5)
            month5 = true;
        int f = field_of(t.letter);
        seen[f]++;
        if (f == F_HOUR && !hour_letter)
            hour_letter = t.letter;
    }
    if (month5) {
        set_msg(msg,
                "Timestamp format pattern '%.*s%s' contains MMMMM (first letter of the "
                "month), which can format but not parse.",
                PAT_ARG(pat, plen));
        return PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL_FOR_PARSING;
    }
    for (int f = 0; f < F_COUNT; f++) {
        if (seen[f] > 1) {
            set_msg(msg, "Timestamp format pattern '%.*s%s' gives the field %s more than once.",
                    PAT_ARG(pat, plen), FIELD_NAMES[f]);
            return PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS;
        }
    }
    /* Fields must form a prefix of year..fraction; an offset or AM/PM needs an hour. */
    int finest = -1;
    for (int f = F_YEAR; f <= F_FRACTION; f++)
        if (seen[f])
            finest = f;
    if ((seen[F_OFFSET] || seen[F_AMPM]) && finest < F_HOUR)
        finest = F_HOUR;
    if (finest < 0)
        finest = F_YEAR;
    char missing[MSG_CAP] = "";
    size_t mlen = 0;
    for (int f = F_YEAR; f <= finest; f++) {
        if (!seen[f]) {
            int k = snprintf(missing + mlen, sizeof missing - mlen, "%s%s", mlen ? ", " : "",
                             FIELD_NAMES[f]);
            if (k > 0 && (size_t)k < sizeof missing - mlen)
                mlen += (size_t)k;
        }
    }
    if (mlen) {
        set_msg(msg, "Timestamp format pattern '%.*s%s' is missing fields: %s.",
                PAT_ARG(pat, plen), missing);
        return PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN;
    }
    if (hour_letter == 'h' && !seen[F_AMPM]) {
        set_msg(msg,
                "Timestamp format pattern '%.*s%s' has a 12-hour field (h) but no AM/PM "
                "field (a).",
                PAT_ARG(pat, plen));
        return PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH;
    }
    if (hour_letter == 'H' && seen[F_AMPM]) {
        set_msg(msg,
                "Timestamp format pattern '%.*s%s' has a 24-hour field (H) and also an AM/PM "
                "field (a).",
                PAT_ARG(pat, plen));
        return PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH;
    }
    return PLUCK_OK;
}

/* Read between min and max digits (greedy) at text[*i..n); -1 when fewer than min. */
static int64_t read_digits(const char *text, size_t n, size_t *i, size_t min, size_t max)
{
    size_t j = *i;
    int64_t v = 0;
    while (j < n && j - *i < max && is_digit(text[j]))
        v = v * 10 + (text[j++] - '0');
    if (j - *i < min)
        return -1;
    *i = j;
    return v;
}

/* An offset for X (allow_z) or x with `count` letters; false when the text has none. */
static bool read_offset(const char *text, size_t n, size_t *i, size_t count, bool allow_z,
                        int *off, bool *unknown)
{
    size_t j = *i;
    if (allow_z && j < n && text[j] == 'Z') {
        *i = j + 1;
        *off = 0;
        *unknown = false;
        return true;
    }
    if (j >= n || (text[j] != '+' && text[j] != '-'))
        return false;
    bool neg = text[j++] == '-';
    int64_t hh = read_digits(text, n, &j, 2, 2), mm = 0;
    if (hh < 0 || hh > 23)
        return false;
    if (count == 1) { /* +HH or +HHMM */
        if (j + 1 < n && is_digit(text[j]))
            mm = read_digits(text, n, &j, 2, 2);
    } else {
        if (count == 3 || count == 5) {
            if (j >= n || text[j] != ':')
                return false;
            j++;
        }
        mm = read_digits(text, n, &j, 2, 2);
    }
    if (mm < 0 || mm > 59)
        return false;
    *off = (int)(hh * 60 + mm) * (neg ? -1 : 1);
    *unknown = neg && hh == 0 && mm == 0; /* minus zero: unknown local offset, as in Ion */
    *i = j;
    return true;
}

/* Match the quoted or plain literal of t at text[*i..n). */
static bool match_literal(const char *text, size_t n, size_t *i, const ptok *t)
{
    size_t j = *i;
    for (size_t k = 0; k < t->len; k++) {
        if (j >= n || text[j] != t->text[k])
            return false;
        j++;
        if (t->quoted && t->text[k] == '\'')
            k++; /* '' in quoted text matches one quote */
    }
    *i = j;
    return true;
}

pluck_code pl_ts_parse_pattern(const char *text, size_t tlen, const char *pattern, size_t plen,
                               pl_ts *out, char *msg)
{
    pluck_code rc = check_pattern(pattern, plen, msg);
    if (rc == PLUCK_OK)
        rc = check_pattern_for_parsing(pattern, plen, msg);
    if (rc != PLUCK_OK)
        return rc;

    int64_t year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
    uint32_t nanos = 0;
    int frac_digits = 0, offset = 0, pm = -1, finest = F_YEAR;
    bool twelve = false, has_offset = false, unknown = false;
    size_t i = 0, pos = 0;
    ptok t;
    while (next_tok(pattern, plen, &pos, &t) == TOK_OK) {
        if (!t.letter) {
            if (!match_literal(text, tlen, &i, &t))
                goto mismatch;
            continue;
        }
        int f = field_of(t.letter);
        if (f <= F_FRACTION && f > finest)
            finest = f;
        size_t c = t.count;
        int64_t v = 0;
        switch (t.letter) {
        case 'y':
            v = c == 1 ? read_digits(text, tlen, &i, 1, 4)
                : c == 2 ? read_digits(text, tlen, &i, 2, 2)
                : c == 3 ? read_digits(text, tlen, &i, 3, 4)
                         : read_digits(text, tlen, &i, 4, 4);
            if (v < 0)
                goto mismatch;
            year = c == 2 ? (v < 70 ? 2000 + v : 1900 + v) : v;
            break;
        case 'M':
            if (c <= 2) {
                if ((month = read_digits(text, tlen, &i, c, 2)) < 0)
                    goto mismatch;
            } else {
                int found = -1;
                for (int m = 0; m < 12 && found < 0; m++) {
                    char abbr[4];
                    memcpy(abbr, MONTH_NAMES[m], 3);
                    abbr[3] = '\0';
                    const char *w = c == 3 ? abbr : MONTH_NAMES[m];
                    if (starts_with_ci(text + i, tlen - i, w)) {
                        found = m;
                        i += strlen(w);
                    }
                }
                if (found < 0)
                    goto mismatch;
                month = found + 1;
            }
            break;
        case 'd':
            if ((day = read_digits(text, tlen, &i, c, 2)) < 0)
                goto mismatch;
            break;
        case 'h':
        case 'H':
            if ((hour = read_digits(text, tlen, &i, c, 2)) < 0)
                goto mismatch;
            twelve = t.letter == 'h';
            break;
        case 'm':
            if ((minute = read_digits(text, tlen, &i, c, 2)) < 0)
                goto mismatch;
            break;
        case 's':
            if ((second = read_digits(text, tlen, &i, c, 2)) < 0)
                goto mismatch;
            break;
        case 'S':
            if ((v = read_digits(text, tlen, &i, c, c)) < 0)
                goto mismatch;
            nanos = (uint32_t)v * POW10[9 - c];
            frac_digits = (int)c;
            break;
        case 'n':
            if ((v = read_digits(text, tlen, &i, 1, 9)) < 0)
                goto mismatch;
            nanos = (uint32_t)v;
            frac_digits = 9;
            while (frac_digits > 1 && v % 10 == 0) { /* trailing zeros dropped, as PartiQL */
                v /= 10;
                frac_digits--;
            }
            break;
        case 'a':
            if (starts_with_ci(text + i, tlen - i, "AM"))
                pm = 0;
            else if (starts_with_ci(text + i, tlen - i, "PM"))
                pm = 1;
            else
                goto mismatch;
            i += 2;
            break;
        default: /* X, x */
            if (!read_offset(text, tlen, &i, c, t.letter == 'X', &offset, &unknown))
                goto mismatch;
            has_offset = true;
            break;
        }
    }
    if (i != tlen)
        goto mismatch;

    if (twelve) {
        if (hour < 1 || hour > 12)
            goto mismatch;
        hour = hour % 12 + (pm == 1 ? 12 : 0);
    }
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, (int)month) || hour > 23 || minute > 59 || second > 59)
        goto mismatch;

    pl_ts r;
    memset(&r, 0, sizeof r);
    r.year = (int16_t)year;
    r.month = (uint8_t)month;
    r.day = (uint8_t)day;
    r.hour = (uint8_t)hour;
    r.minute = (uint8_t)minute;
    r.second = (uint8_t)second;
    static const uint8_t PREC[] = {PL_TS_YEAR,   PL_TS_MONTH,  PL_TS_DAY,     PL_TS_MINUTE,
                                   PL_TS_MINUTE, PL_TS_SECOND, PL_TS_FRACTION};
    r.precision = PREC[finest];
    if (r.precision == PL_TS_FRACTION) {
        r.nanos = nanos;
        r.frac_digits = (uint8_t)frac_digits;
    }
    if (r.precision >= PL_TS_MINUTE) {
        if (has_offset) {
            r.offset_min = (int16_t)offset;
            r.offset_unknown = unknown;
        } else {
            r.offset_unknown = true; /* no offset field: unknown local offset (-00:00) */
        }
    }
    *out = r;
    return PLUCK_OK;

mismatch:
    set_msg(msg, "The text does not match the timestamp format pattern '%.*s%s'.",
            PAT_ARG(pattern, plen));
    return PLUCK_E_CAST_FAILED;
}

/* ---- EXTRACT, DATE_ADD, DATE_DIFF, UTCNOW -------------------------------------------------- */

bool pl_ts_extract(const pl_ts *t, pl_datepart part, int64_t *out)
{
    int off = (is_date_only(t) || t->offset_unknown) ? 0 : t->offset_min;
    switch (part) {
    case PL_DP_YEAR: *out = t->year; return true;
    case PL_DP_MONTH: *out = t->month; return true;
    case PL_DP_DAY: *out = t->day; return true;
    case PL_DP_HOUR: *out = t->hour; return true;
    case PL_DP_MINUTE: *out = t->minute; return true;
    case PL_DP_SECOND: *out = t->second; return true;
    /* C division truncates toward zero, so -07:08 gives -7 and -8 */
    case PL_DP_TIMEZONE_HOUR: *out = off / 60; return true;
    case PL_DP_TIMEZONE_MINUTE: *out = off % 60; return true;
    default: return false;
    }
}

/* Bring the day back into the month after year or month arithmetic (Jan 31 + 1 month). */
static void clamp_day(pl_ts *t)
{
    int dim = days_in_month(t->year, t->month);
    if (t->day > dim)
        t->day = (uint8_t)dim;
}

pluck_code pl_ts_add(const pl_ts *t, pl_datepart part, int64_t n, pl_ts *out)
{
    pl_ts r = *t;
    uint8_t need;
    int64_t unit = 0;
    switch (part) {
    case PL_DP_YEAR: {
        need = PL_TS_YEAR;
        /* bound n first so the sum cannot overflow int64 */
        int64_t y = n > 10000 || n < -10000 ? 0 : r.year + n;
        if (y < 1 || y > 9999)
            return PLUCK_E_INTEGER_OVERFLOW;
        r.year = (int16_t)y;
        clamp_day(&r);
        break;
    }
    case PL_DP_MONTH: {
        need = PL_TS_MONTH;
        if (n > 120000 || n < -120000)
            return PLUCK_E_INTEGER_OVERFLOW;
        int64_t total = (int64_t)r.year * 12 + (r.month - 1) + n;
        int64_t y = floor_div(total, 12);
        if (y < 1 || y > 9999)
            return PLUCK_E_INTEGER_OVERFLOW;
        r.year = (int16_t)y;
        r.month = (uint8_t)(total - y * 12 + 1);
        clamp_day(&r);
        break;
    }
    case PL_DP_DAY: need = PL_TS_DAY; unit = SECS_PER_DAY; break;
    case PL_DP_HOUR: need = PL_TS_MINUTE; unit = 3600; break; /* Ion has no hour precision */
    case PL_DP_MINUTE: need = PL_TS_MINUTE; unit = 60; break;
    case PL_DP_SECOND: need = PL_TS_SECOND; unit = 1; break;
    default: return PLUCK_E_EVALUATOR_INVALID_ARGUMENTS;
    }
    if (unit) {
        /* 10000 years of seconds is about 3.2e11: anything larger cannot land in range, and
         * the bound keeps n * unit far from int64 overflow. */
        const int64_t span = (int64_t)10000 * 366 * SECS_PER_DAY;
        if (n > span / unit || n < -span / unit)
            return PLUCK_E_INTEGER_OVERFLOW;
        if (!set_local_seconds(&r, local_seconds(&r) + n * unit))
            return PLUCK_E_INTEGER_OVERFLOW;
    }
    if (need > r.precision) {
        if (is_date_only(&r) && need >= PL_TS_MINUTE) {
            /* a date gaining a time part has no known offset: 2017-01-01T01:00-00:00 */
            r.offset_min = 0;
            r.offset_unknown = true;
        }
        r.precision = need;
    }
    *out = r;
    return PLUCK_OK;
}

pluck_code pl_ts_diff(const pl_ts *a, const pl_ts *b, pl_datepart part, int64_t *out)
{
    int64_t unit;
    switch (part) {
    case PL_DP_YEAR:
    case PL_DP_MONTH: {
        /* Java's Period.between on the local dates, which PartiQL uses */
        int64_t months = ((int64_t)b->year * 12 + b->month) - ((int64_t)a->year * 12 + a->month);
        int days = b->day - a->day;
        if (months > 0 && days < 0)
            months--;
        else if (months < 0 && days > 0)
            months++;
        *out = part == PL_DP_YEAR ? months / 12 : months;
        return PLUCK_OK;
    }
    case PL_DP_DAY: unit = SECS_PER_DAY; break;
    case PL_DP_HOUR: unit = 3600; break;
    case PL_DP_MINUTE: unit = 60; break;
    case PL_DP_SECOND: unit = 1; break;
    default: return PLUCK_E_EVALUATOR_INVALID_ARGUMENTS;
    }
    /* whole seconds of elapsed UTC time; C division truncates toward zero */
    *out = (utc_seconds(b) - utc_seconds(a)) / unit;
    return PLUCK_OK;
}

pl_ts pl_ts_now(void)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    pl_ts t;
    memset(&t, 0, sizeof t);
    if (!set_local_seconds(&t, (int64_t)ts.tv_sec))
        set_local_seconds(&t, 0); /* a clock outside 0001..9999 is broken: use the epoch */
    t.precision = PL_TS_FRACTION;
    t.nanos = (uint32_t)(ts.tv_nsec / 1000000) * 1000000u;
    t.frac_digits = 3;
    return t;
}

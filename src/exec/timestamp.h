/*
 * timestamp.h — S3 Select / Ion timestamps: an instant with its own precision and local
 * offset, as text (`2007T`, `2007-02-23T12:14:33.079-08:00`), patterns for TO_STRING and
 * TO_TIMESTAMP, and the date arithmetic of EXTRACT, DATE_ADD and DATE_DIFF.
 *
 * Pure functions over a 16-byte value type; no global state, no locale.  Rules follow
 * ../shared/s3select-notes.md §3.9 (date/time), §3.10 (pattern letters), §3.11 (text format).
 */
#ifndef PL_TIMESTAMP_H
#define PL_TIMESTAMP_H

#include "common/common.h"
#include "sql/ast.h" /* pl_datepart */

typedef enum pl_ts_precision {
    PL_TS_YEAR = 1,  /* 2007T */
    PL_TS_MONTH,     /* 2007-02T */
    PL_TS_DAY,       /* 2007-02-23T (2007-02-23 parses too) */
    PL_TS_MINUTE,    /* 2007-02-23T12:14Z */
    PL_TS_SECOND,    /* 2007-02-23T12:14:33Z */
    PL_TS_FRACTION   /* 2007-02-23T12:14:33.079Z (frac_digits digits) */
} pl_ts_precision;

/* Fields are the LOCAL date and time (as written); offset_min converts to UTC:
 * utc = local - offset.  Fields below the precision are at their minimum (month/day 1,
 * time 0).  Date-only precisions (YEAR, MONTH, DAY) carry no offset (UTC for ordering). */
typedef struct pl_ts {
    int16_t year;        /* 1..9999 */
    uint8_t month, day;  /* 1-based */
    uint8_t hour, minute, second;
    uint8_t precision;   /* pl_ts_precision */
    uint32_t nanos;      /* fraction of second in nanoseconds */
    uint8_t frac_digits; /* digits shown for PL_TS_FRACTION, 1..9 */
    bool offset_unknown; /* written -00:00 */
    int16_t offset_min;  /* local offset from UTC in minutes, -1439..1439 */
} pl_ts;

/* Parse Ion timestamp text (the whole of p[0..n)); false when it is not one. */
bool pl_ts_parse(const char *p, size_t n, pl_ts *out);

/* Ion text at the value's own precision into buf (at least 48 bytes); returns length.
 * E.g. 2010-02T, 2017-01-09T, 2017-01-01T01:00-00:00, 2017-01-02T03:04:06.006Z. */
size_t pl_ts_format(const pl_ts *t, char *buf);

/* Compare as instants (UTC); ties broken by nothing (equal instants compare 0). */
int pl_ts_cmp(const pl_ts *a, const pl_ts *b);

/* TO_STRING(t, pattern).  Appends to out.  Returns PLUCK_OK or one of the
 * EvaluatorInvalidTimestampFormatPattern* / EvaluatorUnterminatedTimestampFormatPatternToken
 * codes (add them to pluck.h and src/common/error.c: the lead does that) with a message in
 * msg (at least 160 bytes). */
pluck_code pl_ts_to_string(const pl_ts *t, const char *pattern, size_t plen, pl_buf *out,
                           char *msg);

/* TO_TIMESTAMP(text, pattern): parse text with a pattern.  PLUCK_OK, a pattern error code,
 * or PLUCK_E_CAST_FAILED when the text does not match. */
pluck_code pl_ts_parse_pattern(const char *text, size_t tlen, const char *pattern, size_t plen,
                               pl_ts *out, char *msg);

/* EXTRACT(part FROM t): local fields; TIMEZONE_HOUR / TIMEZONE_MINUTE from the offset.
 * Returns false when the part is not available (e.g. HOUR of a date-only value? — no:
 * missing fields are their defaults; only unknown parts return false). */
bool pl_ts_extract(const pl_ts *t, pl_datepart part, int64_t *out);

/* DATE_ADD(part, n, t): result precision grows to the part when finer (DATE_ADD(hour, 1,
 * `2017T`) = 2017-01-01T01:00-00:00).  Month arithmetic clamps the day to the month's length.
 * PLUCK_E_INTEGER_OVERFLOW or PLUCK_E_CAST_FAILED-ish out-of-range years give an error. */
pluck_code pl_ts_add(const pl_ts *t, pl_datepart part, int64_t n, pl_ts *out);

/* DATE_DIFF(part, a, b) = b - a in whole units: year/month by calendar fields, the rest by
 * elapsed time (truncated toward zero). */
pluck_code pl_ts_diff(const pl_ts *a, const pl_ts *b, pl_datepart part, int64_t *out);

/* Current time, UTC, millisecond precision (UTCNOW()). */
pl_ts pl_ts_now(void);

#endif /* PL_TIMESTAMP_H */

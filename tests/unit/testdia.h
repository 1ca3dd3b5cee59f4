/*
 * testdia.h — the dialect the scanner tests start from: RFC 4180 (comma, newline records, a
 * doubled quote inside quotes) with '#' comments; tests change fields from there.
 */
#ifndef PL_TESTDIA_H
#define PL_TESTDIA_H

#include <string.h>

#include "common/common.h"

static inline pl_dialect test_dialect(void)
{
    pl_dialect d;
    memset(&d, 0, sizeof d);
    d.field_delim = ',';
    d.record_delim.s[0] = '\n';
    d.record_delim.len = 1;
    d.quote = '"';
    d.escape = '"';
    d.comment = '#';
    d.allow_quoted_record_delim = false;
    return d;
}

#endif /* PL_TESTDIA_H */

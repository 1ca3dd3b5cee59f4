/*
 * hints.h — the CLI's share of messages that point at the fix: the library's messages name
 * S3's fields (AllowQuotedRecordDelimiter), a user of the command line needs its flags;
 * option values that are close to right (-d tab); arguments in the wrong order.  The
 * suggestions about the SQL and the data (did you mean, reserved words, delimiters) come
 * from the library itself (src/sql/suggest.c), for every client alike.
 */
#ifndef PL_CLI_HINTS_H
#define PL_CLI_HINTS_H

#include <stddef.h>

#include "pluck.h"

/* A library error message as the CLI prints it: "set <S3Field> to 'V'" becomes
 * "use --<flag> V".  out gets at most cap bytes, NUL-terminated. */
void pl_hint_message(const char *msg, char *out, size_t cap);

/* For a rejected value of a character option: a hint line ("for a tab write -d '\t'"), or
 * NULL. */
const char *pl_hint_char_value(const char *value);

/* True when s looks like the start of an SQL query (SELECT ...). */
int pl_hint_looks_like_sql(const char *s);

#endif

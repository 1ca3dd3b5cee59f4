/*
 * suggest.h — messages that point at the fix: what to say when a column is not in the
 * header (a near miss, a string literal in double quotes, a file cut with the wrong
 * delimiter) or when a reserved word is used as a column name.  Called where the error is
 * raised (run.c binding the header, query.c after a failed compile); every face of pluck
 * (CLI, server, Python) gets the same text.
 */
#ifndef PL_SQL_SUGGEST_H
#define PL_SQL_SUGGEST_H

#include "pluck.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sentences that follow a MissingHeaders message for column `name` (quoted: written as
 * "name"), given the header's nhdr names: "Did you mean 'name'?", a quoted name that is
 * a string literal, a header that holds tabs or semicolons, and the header names (as many
 * as fit).  Empty when there is nothing to add; always NUL-terminated within cap. */
void pl_suggest_missing_column(const char *name, bool quoted, const char *const *hdr,
                               const uint32_t *hdr_len, uint32_t nhdr, char *out, size_t cap);

/* After a failed compile: when the error sits on (or just after) a reserved word that is a
 * common column name (date, value, key, user, count, ...), append to err->message that it
 * is reserved and how to quote it. */
void pl_suggest_reserved(pluck_error *err, const char *sql, size_t len);

#endif /* PL_SQL_SUGGEST_H */

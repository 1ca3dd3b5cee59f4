/*
 * regex.h — a small regular expression engine for REGEXP_MATCHES (a pluck extension) that
 * runs in time linear in the text whatever the pattern: the pattern compiles to a program
 * of a Thompson NFA, run by a Pike VM that advances every live thread one character at a
 * time (no backtracking, so no catastrophic patterns).  Matching is on UTF-8 code points.
 *
 * Syntax (a subset of RE2 / POSIX ERE): literals, . (any character but newline), [abc],
 * [^a-z], \d \D \w \W \s \S (also inside classes), \t \n \r and escaped punctuation,
 * ^ and $ (start and end of the text), ( ), (?: ), |, * + ? (lazy forms accepted: the
 * answer is only whether a match exists), {m} {m,} {m,n} (m, n <= 1000).  Not supported:
 * backreferences, lookaround, flags such as (?i) — they are errors, never silently
 * misread.  The compiled program is one block of memory with no pointers, so it can be
 * copied (into a query's arena).
 */
#ifndef PL_REGEX_H
#define PL_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pl_regex pl_regex;

/* Compile; NULL with a message (naming the offset) on a bad or too large pattern, or out
 * of memory. */
pl_regex *pl_regex_compile(const char *pattern, size_t len, char *msg, size_t cap);
void pl_regex_free(pl_regex *re);
size_t pl_regex_size(const pl_regex *re); /* bytes of the block, for copying it */

/* 1 when the pattern matches somewhere in text, 0 when not, -1 out of memory. */
int pl_regex_search(const pl_regex *re, const char *text, size_t len);

#endif /* PL_REGEX_H */

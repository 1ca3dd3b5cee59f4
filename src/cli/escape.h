/*
 * escape.h — the C escapes of the CLI's character option values (--field-delimiter '\t',
 * --record-delimiter '\r\n', '\x1f'), shared with the conformance test runner, which must
 * decode the options of the tests/sql files exactly as the CLI does.
 */
#ifndef PL_CLI_ESCAPE_H
#define PL_CLI_ESCAPE_H

#include <stddef.h>

/* Decode \t \n \r \\ \0 \xN \xNN from s into out (room for strlen(s) bytes).  Returns the
 * decoded length, or (size_t)-1 with *bad at the backslash of an escape that is unknown or
 * a \x without hex digits. */
size_t pl_cli_unescape(const char *s, char *out, const char **bad);

/* The value of hex digit c, or -1. */
int pl_cli_hexval(char c);

#endif /* PL_CLI_ESCAPE_H */

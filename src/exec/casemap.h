/*
 * casemap.h — Unicode simple case mapping (UPPER, LOWER), generated from UnicodeData.txt by
 * scripts/gen_casemap.py into casemap.c.
 */
#ifndef PL_CASEMAP_H
#define PL_CASEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The simple uppercase (upper) or lowercase mapping of code point cp; cp itself when it has
 * none.  A mapped character is never more than one UTF-8 byte longer, and an ASCII one
 * stays ASCII. */
uint32_t pl_case_map(uint32_t cp, bool upper);

#endif /* PL_CASEMAP_H */

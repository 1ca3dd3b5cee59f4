/*
 * escape.c — decoding the C escapes of character option values (see escape.h).
 */
#include "cli/escape.h"

int pl_cli_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t pl_cli_unescape(const char *s, char *out, const char **bad)
{
    size_t n = 0;
    while (*s) {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        const char *at = s++;
        switch (*s) {
        case 't': out[n++] = '\t'; s++; break;
        case 'n': out[n++] = '\n'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case '0': out[n++] = '\0'; s++; break;
        case 'x': {
            int v = 0, k = 0;
            s++;
            while (k < 2 && pl_cli_hexval(*s) >= 0)
                v = v * 16 + pl_cli_hexval(*s++), k++;
            if (!k) {
                *bad = at;
                return (size_t)-1;
            }
            out[n++] = (char)v;
            break;
        }
        default: *bad = at; return (size_t)-1;
        }
    }
    return n;
}

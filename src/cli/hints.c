/*
 * hints.c — see hints.h.
 */
#include "cli/hints.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void pl_hint_message(const char *msg, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    while (*msg && len + 1 < cap) {
        /* "set Name to 'V'" -> "use --cli-name V" */
        if (!strncmp(msg, "set ", 4)) {
            const char *name = msg + 4, *to = strstr(name, " to '");
            size_t nl = to ? (size_t)(to - name) : 0;
            char pname[64];
            if (to && nl > 0 && nl < sizeof pname) {
                memcpy(pname, name, nl);
                pname[nl] = '\0';
                pluck_param id = pluck_param_find(pname);
                const char *v = to + 5, *vend = strchr(v, '\'');
                if (id != PLUCK_PARAM_COUNT && vend) {
                    int n = snprintf(out + len, cap - len, "use --%s %.*s",
                                     pluck_param_get_info(id)->cli_name, (int)(vend - v), v);
                    if (n > 0)
                        len = len + (size_t)n < cap ? len + (size_t)n : cap - 1;
                    msg = vend + 1;
                    continue;
                }
            }
        }
        out[len++] = *msg++;
        out[len] = '\0';
    }
}

const char *pl_hint_char_value(const char *value)
{
    static const struct {
        const char *word, *hint;
    } words[] = {
        {"tab", "for a tab write '\\t' (e.g. -d '\\t')"},
        {"\\\\t", "for a tab write '\\t' (one backslash, in single quotes)"},
        {"comma", "for a comma write ','"},
        {"semicolon", "for a semicolon write ';'"},
        {"pipe", "for a pipe write '|'"},
        {"space", "for a space write ' '"},
        {"crlf", "for CR LF write '\\r\\n'"},
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcasecmp(value, words[i].word))
            return words[i].hint;
    return "a character option takes one byte, or a C escape such as '\\t' or '\\x1f'";
}

int pl_hint_looks_like_sql(const char *s)
{
    while (isspace((unsigned char)*s) || *s == '(')
        s++;
    return !strncasecmp(s, "select", 6) && (isspace((unsigned char)s[6]) || s[6] == '*');
}

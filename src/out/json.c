/*
 * json.c — the JSON writer (rules in out.h).
 */
#include "out/out.h"

#include <math.h>
#include <stdio.h>

static bool json_string(pl_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!pl_buf_reserve(b, 6 * n + 2))
        return false;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            *o++ = '\\';
            switch (c) {
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return true;
}

bool pl_json_begin(pl_writer *w) { return pl_buf_append(&w->buf, "{", 1); }

bool pl_json_member(pl_writer *w, const char *key, size_t keylen, const pl_value *v, bool *first)
{
    if (v->type == PL_MISSING)
        return true;
    pl_buf *b = &w->buf;
    if (!*first && !pl_buf_append(b, ",", 1))
        return false;
    *first = false;
    if (!json_string(b, key, keylen) || !pl_buf_append(b, ":", 1))
        return false;
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n;
    switch (v->type) {
    case PL_NULL: return pl_buf_append(b, "null", 4);
    case PL_STRING: return json_string(b, v->u.s.p, v->u.s.len);
    case PL_TIMESTAMP:
        n = pl_value_text(v, tmp, &p);
        return json_string(b, p, n);
    case PL_FLOAT:
        if (!isfinite(v->u.f)) { /* JSON has no NaN/Infinity: give them as strings */
            n = pl_value_text(v, tmp, &p);
            return json_string(b, p, n);
        }
        /* fall through */
    default: n = pl_value_text(v, tmp, &p); return pl_buf_append(b, p, n);
    }
}

bool pl_json_end(pl_writer *w)
{
    return pl_buf_append(&w->buf, "}", 1) &&
           pl_buf_append(&w->buf, w->d.record_delim.s, w->d.record_delim.len);
}

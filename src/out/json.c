/*
 * json.c — the JSON writer (rules in out.h), and its TYPED variant: one JSON array per
 * record whose members are null or a string made of a type letter and the value's text
 * (b bool, i INT, d DECIMAL, f FLOAT, s STRING, t TIMESTAMP), so that a client (the Python
 * binding's pluck.rows) gets every value with its SQL type and exact text.
 */
#include "out/out.h"

#include <math.h>
#include <stdio.h>

/* A JSON string of p[0..n), after the type letter `tag` when tag is not 0. */
static bool json_string(pl_buf *b, char tag, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!pl_buf_reserve(b, 6 * n + 3))
        return false;
    char *o = b->data + b->len;
    *o++ = '"';
    if (tag)
        *o++ = tag;
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

bool pl_json_begin(pl_writer *w)
{
    return pl_buf_append(&w->buf, w->d.format == PL_OUT_TYPED ? "[" : "{", 1);
}

/* TYPED: every column has a member (MISSING is null too), keys are left out. */
static bool typed_member(pl_buf *b, const pl_value *v)
{
    static const char tag[] = {[PL_BOOL] = 'b', [PL_INT] = 'i',    [PL_FLOAT] = 'f',
                               [PL_DECIMAL] = 'd', [PL_STRING] = 's', [PL_TIMESTAMP] = 't'};
    if (pl_v_absent(v))
        return pl_buf_append(b, "null", 4);
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n = pl_value_text(v, tmp, &p);
    return json_string(b, tag[v->type], p, n);
}

bool pl_json_member(pl_writer *w, const char *key, size_t keylen, const pl_value *v, bool *first)
{
    if (v->type == PL_MISSING && w->d.format != PL_OUT_TYPED)
        return true;
    pl_buf *b = &w->buf;
    if (!*first && !pl_buf_append(b, ",", 1))
        return false;
    *first = false;
    if (w->d.format == PL_OUT_TYPED)
        return typed_member(b, v);
    if (!json_string(b, 0, key, keylen) || !pl_buf_append(b, ":", 1))
        return false;
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n;
    switch (v->type) {
    case PL_NULL: return pl_buf_append(b, "null", 4);
    case PL_STRING: return json_string(b, 0, v->u.s.p, v->u.s.len);
    case PL_TIMESTAMP:
        n = pl_value_text(v, tmp, &p);
        return json_string(b, 0, p, n);
    case PL_FLOAT:
        if (!isfinite(v->u.f)) { /* JSON has no NaN/Infinity: give them as strings */
            n = pl_value_text(v, tmp, &p);
            return json_string(b, 0, p, n);
        }
        /* fall through */
    default: n = pl_value_text(v, tmp, &p); return pl_buf_append(b, p, n);
    }
}

/* TYPED records always end with a newline (strings escape theirs), whatever the
 * OutputSerialization's RecordDelimiter. */
bool pl_json_end(pl_writer *w)
{
    if (w->d.format == PL_OUT_TYPED)
        return pl_buf_append(&w->buf, "]\n", 2);
    return pl_buf_append(&w->buf, "}", 1) &&
           pl_buf_append(&w->buf, w->d.record_delim.s, w->d.record_delim.len);
}

/*
 * output.c — see output.h.  Record boundaries for --with-filename are found by following
 * the output's own quoting (CSV: the quote and escape characters; JSON: strings and
 * backslash escapes), so a record delimiter inside a quoted field is not taken for the end
 * of a record, also when a record spans two chunks.
 */
#include "cli/output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool put(pl_output *o, const char *p, size_t n)
{
    return fwrite(p, 1, n, stdout) == n;
}

/* The file name as the first field of a CSV record, quoted when it must be. */
static bool put_csv_prefix(pl_output *o)
{
    const char *s = o->prefix;
    bool need = strpbrk(s, "\r\n") || strchr(s, o->quote) ||
                (o->fdlen && strstr(s, o->fdelim)) || (o->rdlen && strstr(s, o->rdelim));
    bool ok = true;
    if (need) {
        ok = put(o, &o->quote, 1);
        for (const char *c = s; *c && ok; c++) {
            if (*c == o->quote)
                ok = put(o, &o->escape, 1);
            ok = ok && put(o, c, 1);
        }
        ok = ok && put(o, &o->quote, 1);
    } else {
        ok = put(o, s, strlen(s));
    }
    return ok && put(o, o->fdelim, o->fdlen);
}

/* "file":"NAME" for a JSON record, the name escaped as a JSON string. */
static bool put_json_member(pl_output *o)
{
    bool ok = put(o, "\"file\":\"", 8);
    for (const unsigned char *c = (const unsigned char *)o->prefix; *c && ok; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            ok = put(o, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            ok = put(o, esc, 6);
        } else {
            ok = put(o, (const char *)c, 1);
        }
    }
    return ok && put(o, "\"", 1);
}

/* Copy data to stdout, inserting the prefix at the start of every record. */
static bool write_prefixed(pl_output *o, const char *data, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (o->after_brace) { /* JSON: the member goes right after '{' */
            o->after_brace = false;
            if (!put(o, data + from, i - from) || !put_json_member(o) ||
                (c != '}' && !put(o, ",", 1)))
                return false;
            from = i;
        }
        if (o->at_start) {
            o->at_start = false;
            if (!o->json) {
                if (!put(o, data + from, i - from) || !put_csv_prefix(o))
                    return false;
                from = i;
            } else if (c == '{') {
                o->after_brace = true;
            }
        }
        if (o->skip_next) {
            o->skip_next = false;
            continue;
        }
        if (o->json) {
            if (o->in_quotes && c == '\\') {
                o->skip_next = true;
                continue;
            }
            if (c == '"')
                o->in_quotes = !o->in_quotes;
        } else if (o->in_quotes && c == o->escape && o->escape != o->quote) {
            o->skip_next = true;
            continue;
        } else if (c == o->quote) {
            o->in_quotes = !o->in_quotes; /* a doubled quote toggles twice */
        }
        if (o->in_quotes) {
            o->rd_match = 0;
            continue;
        }
        if (c == o->rdelim[o->rd_match]) {
            if (++o->rd_match == o->rdlen) {
                o->rd_match = 0;
                o->at_start = true;
            }
        } else {
            o->rd_match = c == o->rdelim[0] ? 1 : 0;
            if (o->rd_match == o->rdlen) {
                o->rd_match = 0;
                o->at_start = true;
            }
        }
    }
    if (o->after_brace) {
        /* the chunk ended right after '{': the member goes in first thing next time */
        if (!put(o, data + from, len - from))
            return false;
        return true;
    }
    return put(o, data + from, len - from);
}

int pl_output_write(void *opaque, const char *data, size_t len)
{
    pl_output *o = opaque;
    bool redraw = false;
    if (o->bar && o->bar->drawn) {
        /* rows and the bar share the terminal: the bar goes before rows are written, and
         * comes back below them */
        fflush(stdout);
        pl_progress_clear(o->bar);
        redraw = true;
    }
    bool ok = o->prefix ? write_prefixed(o, data, len) : put(o, data, len);
    if (ok && (o->live || o->bar))
        ok = fflush(stdout) == 0;
    if (o->bar) /* a record longer than a chunk is still being written: no bar inside it */
        o->bar->hold = len < o->rdlen || memcmp(data + len - o->rdlen, o->rdelim, o->rdlen);
    if (ok && redraw)
        pl_progress_redraw(o->bar);
    if (!ok) {
        if (errno == EPIPE)
            o->broken_pipe = true;
        return -1;
    }
    return 0;
}

/*
 * xmlreq.c — expat-driven element walker (see xmlreq.h).
 */
#include "server/xmlreq.h"

#include <expat.h>
#include <stdio.h>
#include <string.h>

#include "server/sbuf.h"

#define MAX_DEPTH 16
#define MAX_PATH 512

typedef struct walk {
    XML_Parser p;
    pl_xml_fn fn;
    void *ctx;
    char path[MAX_PATH];
    size_t plen[MAX_DEPTH + 1];
    int depth;
    pl_sbuf text[MAX_DEPTH + 1];
    int rc;
    const char *why;
} walk;

static void stop(walk *w, int rc, const char *why)
{
    if (!w->rc) {
        w->rc = rc;
        w->why = why;
    }
    XML_StopParser(w->p, XML_FALSE);
}

static const char *local_name(const char *n)
{
    const char *s = strrchr(n, '\x01'); /* namespace separator given to XML_ParserCreateNS */
    return s ? s + 1 : n;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    (void)atts;
    walk *w = ud;
    if (w->rc)
        return;
    if (w->depth >= MAX_DEPTH) {
        stop(w, -1, "elements nested too deeply");
        return;
    }
    const char *ln = local_name(name);
    size_t cur = w->depth ? w->plen[w->depth] : 0, n = strlen(ln);
    if (cur + n + 2 >= MAX_PATH) {
        stop(w, -1, "element path too long");
        return;
    }
    if (w->depth)
        w->path[cur++] = '/';
    memcpy(w->path + cur, ln, n + 1);
    w->depth++;
    w->plen[w->depth] = cur + n;
    pl_sbuf_reset(&w->text[w->depth]);
    int rc = w->fn(w->ctx, w->path, w->depth, NULL, 0);
    if (rc)
        stop(w, rc, NULL);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    walk *w = ud;
    if (w->rc)
        return;
    pl_sbuf *t = &w->text[w->depth];
    int rc = w->fn(w->ctx, w->path, w->depth, t->data ? t->data : "", t->len);
    if (rc) {
        stop(w, rc, NULL);
        return;
    }
    w->depth--;
    w->path[w->depth ? w->plen[w->depth] : 0] = 0;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    walk *w = ud;
    if (w->rc || !w->depth)
        return;
    pl_sbuf *t = &w->text[w->depth];
    if (t->len + (size_t)len > (4u << 20) || pl_sbuf_add(t, s, (size_t)len))
        stop(w, -1, "element text too long");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    stop(ud, -1, "a DOCTYPE is not allowed");
}

int pl_xml_parse(const char *data, size_t len, pl_xml_fn fn, void *ctx, char *err, size_t cap)
{
    walk w;
    memset(&w, 0, sizeof w);
    w.fn = fn;
    w.ctx = ctx;
    w.p = XML_ParserCreateNS(NULL, '\x01');
    if (!w.p) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    XML_SetUserData(w.p, &w);
    XML_SetElementHandler(w.p, on_start, on_end);
    XML_SetCharacterDataHandler(w.p, on_text);
    XML_SetStartDoctypeDeclHandler(w.p, on_doctype);
    enum XML_Status st = XML_Parse(w.p, data, (int)len, XML_TRUE);
    int rc = 0;
    if (w.rc) {
        rc = w.rc;
        if (rc == -1)
            snprintf(err, cap, "The XML you provided was not well-formed or did not validate "
                               "against our published schema (%s).", w.why ? w.why : "");
    } else if (st != XML_STATUS_OK) {
        rc = -1;
        snprintf(err, cap,
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema (%s at line %lu, column %lu).",
                 XML_ErrorString(XML_GetErrorCode(w.p)),
                 (unsigned long)XML_GetCurrentLineNumber(w.p),
                 (unsigned long)XML_GetCurrentColumnNumber(w.p));
    }
    XML_ParserFree(w.p);
    for (int i = 0; i <= MAX_DEPTH; i++)
        pl_sbuf_free(&w.text[i]);
    return rc;
}

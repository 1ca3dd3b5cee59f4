/*
 * fuzz_xml.c — the XML request bodies of `pluck serve`.
 *
 * Every input is parsed by pl_xml_parse() (src/server/xmlreq.c, expat) three times, with
 * the element callbacks of the three requests that carry XML:
 *   - SelectObjectContentRequest (on_xml in src/server/select.c): each leaf is set through
 *     the parameter table; when the request is complete the Expression is compiled with the
 *     parameters it set, exactly as pl_handle_select() does;
 *   - Delete (del_xml in src/server/objects.c);
 *   - CompleteMultipartUpload (mpu_xml in src/server/objects.c).
 * The callbacks are static, so this file includes select.c and objects.c (the rest of the
 * server is linked from build/fuzz/libserver-fuzz.a).
 *
 * Checks: paths handed to callbacks are well formed ('/'-separated local names, depth equal
 * to the number of components, no NUL in element text); a refused document has a non-empty,
 * terminated message; an S3 error chosen by on_xml has a 4xx/5xx status and a name; the
 * compiled query never fails with InternalError/OutOfMemory; DeleteObjects keeps at most
 * 1000 keys; a CompleteMultipartUpload part is accepted only when its PartNumber is the
 * plain decimal number it is taken for.
 */
#include "server/select.c"
#include "server/objects.c"

#include "fuzz_common.h"

/* ---- path checks, wrapped around each callback ------------------------------------------ */

typedef struct wrap {
    pl_xml_fn inner;
    void *ctx;
    /* CompleteMultipartUpload: the strict reading of the current PartNumber */
    long strict_part;
} wrap;

static void check_path(const char *path, int depth, const char *text, size_t len)
{
    FUZZ_CHECK(depth >= 1 && depth <= 16, "depth %d", depth);
    int comps = 1;
    for (const char *p = path; *p; p++)
        comps += *p == '/';
    FUZZ_CHECK(comps == depth, "path %s at depth %d", path, depth);
    FUZZ_CHECK(path[0] && path[0] != '/' && path[strlen(path) - 1] != '/' && !strstr(path, "//"),
               "malformed path '%s'", path);
    if (text)
        FUZZ_CHECK(!memchr(text, 0, len), "NUL inside element text");
}

static int wrapped(void *ctx, const char *path, int depth, const char *text, size_t len)
{
    wrap *w = ctx;
    check_path(path, depth, text, len);
    return w->inner(w->ctx, path, depth, text, len);
}

/* strictly a decimal number 1..10000 without sign or spaces, else -1 */
static long strict_number(const char *t, size_t n)
{
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

static int mpu_wrapped(void *ctx, const char *path, int depth, const char *text, size_t len)
{
    wrap *w = ctx;
    check_path(path, depth, text, len);
    mpu_parts *m = w->ctx;
    if (text && !strcmp(path, "CompleteMultipartUpload/Part/PartNumber"))
        w->strict_part = strict_number(text, len);
    if (!text && !strcmp(path, "CompleteMultipartUpload/Part"))
        w->strict_part = -1;
    int before = m->n;
    int rc = mpu_xml(m, path, depth, text, len);
    if (m->n > before) {
        /* F6 (fixed in ba27227): PartNumber was read with atoi(), so "1%", "1-" and
         * "4294967297" were taken for part 1 (regressions/xml/mpu-partnumber-*). */
        FUZZ_CHECK(w->strict_part == m->num[m->n - 1],
                   "part accepted as number %d, but its PartNumber text reads %ld strictly",
                   m->num[m->n - 1], w->strict_part);
        FUZZ_CHECK(m->num[m->n - 1] >= 1 && m->num[m->n - 1] <= 10000, "part number %d",
                   m->num[m->n - 1]);
        FUZZ_CHECK(strlen(m->etag[m->n - 1]) == 32, "etag length");
    }
    return rc;
}

static void check_err(int rc, const char *err, size_t cap)
{
    if (rc == -1) {
        FUZZ_CHECK(memchr(err, 0, cap), "error message not terminated");
        FUZZ_CHECK(err[0], "refused without a message");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    const char *doc = (const char *)data;
    char err[400];

    /* SelectObjectContentRequest */
    {
        sel_xml x;
        memset(&x, 0, sizeof x);
        x.p = pluck_params_create();
        FUZZ_CHECK(x.p, "pluck_params_create");
        wrap w = {on_xml, &x, -1};
        memset(err, 0x5a, sizeof err);
        int rc = pl_xml_parse(doc, size, wrapped, &w, err, sizeof err);
        check_err(rc, err, sizeof err);
        if (x.code) {
            FUZZ_CHECK(x.status >= 400 && x.status < 600, "status %d for %s", x.status, x.code);
            FUZZ_CHECK(x.code[0] && memchr(x.msg, 0, sizeof x.msg), "bad S3 error");
        }
        if (rc == 0 && !x.code && x.have_expr) {
            pluck_error perr;
            pluck_query *q =
                pluck_query_compile(x.expr.data ? x.expr.data : "", x.expr.len, x.p, &perr);
            if (!q)
                FUZZ_CHECK(perr.code != PLUCK_E_INTERNAL_ERROR &&
                               perr.code != PLUCK_E_OUT_OF_MEMORY,
                           "compile: %s", perr.message);
            pluck_query_free(q);
        }
        pluck_params_free(x.p);
        pl_sbuf_free(&x.expr);
    }

    /* Delete */
    {
        del_req d = {0};
        wrap w = {del_xml, &d, -1};
        int rc = pl_xml_parse(doc, size, wrapped, &w, err, sizeof err);
        check_err(rc, err, sizeof err);
        FUZZ_CHECK(d.n <= 1000, "%zu keys", d.n);
        for (size_t i = 0; i < d.n; i++)
            free(d.keys[i]);
        free(d.keys);
    }

    /* CompleteMultipartUpload */
    {
        mpu_parts *m = calloc(1, sizeof *m);
        FUZZ_CHECK(m, "calloc");
        wrap w = {NULL, m, -1};
        int rc = pl_xml_parse(doc, size, mpu_wrapped, &w, err, sizeof err);
        check_err(rc, err, sizeof err);
        free(m);
    }
    return 0;
}

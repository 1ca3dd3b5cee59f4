#define _GNU_SOURCE /* memmem */
/*
 * select.c — SelectObjectContent: POST /{bucket}/{key}?select&select-type=2.
 *
 * 1. The XML body is walked with expat (xmlreq.c).  Every leaf is looked up by its path
 *    below the root in the library's parameter table (pluck_param_get_info()->xml_path) and
 *    set with pluck_params_set(), so the XML, the CLI options and the C API are validated by
 *    the same code and report the same S3 error codes.  An element whose parent path is an
 *    ENUM parameter's xml_path selects that value by its name (<OutputSerialization><JSON/>
 *    sets the output format).  Both root names (SelectObjectContentRequest, SelectRequest),
 *    with or without the S3 namespace, are accepted.
 * 2. The query is compiled and the object opened; ScanRange is turned into a byte window
 *    (s3select-notes §6): it starts at the first record that begins at or after Start and
 *    ends with the record that contains End, so adjacent ranges return every record once.
 *    When the window does not start at byte 0 and the first record is a header (USE or
 *    IGNORE), the header record is fed first so that names still bind; its bytes are not
 *    counted in BytesScanned/BytesProcessed (so the ranges of a split add up to the object).
 * 3. A few blocks are run before answering ("priming"), so errors found at the start of the
 *    data (MissingHeaders, InvalidCompressionFormat, ...) still get an HTTP status and an
 *    S3 XML error body, as S3 does; later errors become an error event.  Records produced
 *    before an error are always delivered: when the first block produced some, the answer
 *    is 200 with those Records and then the error event (S3 also reports an error after
 *    the first records in the stream).
 * 4. The response is an MHD callback response: each time MHD wants bytes, the reader
 *    feeds one more block of the object to pluck_run_feed(), frames the output collected by
 *    the write callback as Records events, adds Progress (when requested, at most every
 *    --progress-interval) and Cont (after --keepalive without any message), and finally
 *    Stats and End.  The scan runs only as fast as the client reads; a client that goes away
 *    makes MHD free the response, which frees the run: the scan stops at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pluck.h"
#include "server/cscan.h"
#include "server/evstream.h"
#include "server/gzidx.h"
#include "server/objsrc.h"
#include "server/srv.h"
#include "server/store.h"
#include "server/upstream.h"
#include "server/xmlreq.h"

#define BLOCK_PLAIN (128 * 1024)    /* object bytes fed per step, uncompressed */
#define BLOCK_PACKED (32 * 1024)    /* ... compressed: bounds the output one step can make */
#define FRAME_AT (32 * 1024)        /* frame collected output once this much is waiting */
#define FRAME_AFTER_MS 100          /* ... or once it has waited this long */
#define MAX_PENDING (8u << 20)      /* output of one step beyond this fails the run */
#define PRIME_BYTES (1u << 20)      /* run up to this much before answering ... */
#define PRIME_MS 250                /* ... or for this long */

/* ---- the XML request -------------------------------------------------------------------- */

typedef struct sel_xml {
    pluck_params *p;
    pl_sbuf expr;
    int have_expr, have_type, have_in, have_out;
    int in_formats, out_formats, in_unsupported;
    int progress;
    int has_range, has_start, has_end;
    unsigned long long start, end;
    int status;
    const char *code;
    char msg[512];
} sel_xml;

static int xfail(sel_xml *x, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int xfail(sel_xml *x, int status, const char *code, const char *fmt, ...)
{
    if (!x->code) {
        x->status = status;
        x->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->msg, sizeof x->msg, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* Parameter whose xml_path is `rel`; JSON output shares the record delimiter. */
static pluck_param param_for(const char *rel)
{
    if (!strcmp(rel, "OutputSerialization/JSON/RecordDelimiter"))
        rel = "OutputSerialization/CSV/RecordDelimiter";
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        if (pi && pi->xml_path && !strcmp(pi->xml_path, rel))
            return (pluck_param)i;
    }
    return PLUCK_PARAM_COUNT;
}

/* An element naming an ENUM value of the parameter at its parent path, e.g. the <JSON/> of
 * OutputSerialization: returns the parameter, or PLUCK_PARAM_COUNT. */
static pluck_param enum_child(const char *rel, const char **value)
{
    const char *sl = strrchr(rel, '/');
    if (!sl)
        return PLUCK_PARAM_COUNT;
    size_t plen = (size_t)(sl - rel);
    const char *name = sl + 1;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        if (!pi || !pi->xml_path || pi->kind != PLUCK_KIND_ENUM || strlen(pi->xml_path) != plen ||
            strncmp(pi->xml_path, rel, plen))
            continue;
        const char *v = pi->values;
        size_t nl = strlen(name);
        while (v && *v) {
            size_t n = strcspn(v, "|");
            if (n == nl && !strncasecmp(v, name, n)) {
                *value = name;
                return (pluck_param)i;
            }
            v += n + (v[n] == '|');
        }
    }
    return PLUCK_PARAM_COUNT;
}

static int parse_bool(const char *t, size_t n, int *out)
{
    if (n == 4 && !strncasecmp(t, "true", 4))
        *out = 1;
    else if (n == 5 && !strncasecmp(t, "false", 5))
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_ull(const char *t, size_t n, unsigned long long *out)
{
    while (n && (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')) {
        t++;
        n--;
    }
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '\t' || t[n - 1] == '\r'))
        n--;
    if (!n || n > 19)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(t[i] - '0');
    }
    *out = v;
    return 0;
}

static int on_xml(void *ctx, const char *path, int depth, const char *text, size_t len)
{
    sel_xml *x = ctx;
    if (depth == 1) {
        if (!text && strcmp(path, "SelectObjectContentRequest") && strcmp(path, "SelectRequest"))
            return xfail(x, 400, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema (unexpected root element %s).",
                         path);
        return 0;
    }
    const char *rel = strchr(path, '/') + 1;
    if (!text) { /* element start: containers and format choices */
        if (!strcmp(rel, "InputSerialization"))
            x->have_in = 1;
        else if (!strcmp(rel, "OutputSerialization"))
            x->have_out = 1;
        else if (!strcmp(rel, "ScanRange")) {
            if (x->has_range) /* a second one once silently replaced the first */
                return xfail(x, 400, "MalformedXML",
                             "The XML you provided was not well-formed or did not validate "
                             "against our published schema (ScanRange given twice).");
            x->has_range = 1;
        }
        else if (!strcmp(rel, "InputSerialization/CSV"))
            x->in_formats++;
        else if (!strcmp(rel, "InputSerialization/JSON") ||
                 !strcmp(rel, "InputSerialization/Parquet")) {
            x->in_formats++;
            x->in_unsupported = 1;
        } else if (depth == 3 && !strncmp(rel, "OutputSerialization/", 20)) {
            const char *v;
            pluck_param id = enum_child(rel, &v);
            if (id == PLUCK_PARAM_COUNT)
                return xfail(x, 400, "MalformedXML",
                             "The XML you provided was not well-formed or did not validate "
                             "against our published schema (unknown output format %s).",
                             rel + 20);
            x->out_formats++;
            pluck_error err;
            if (pluck_params_set(x->p, id, v, strlen(v), &err) != PLUCK_OK)
                return xfail(x, pluck_code_http_status(err.code), pluck_code_name(err.code),
                             "%s", err.message);
        }
        return 0;
    }
    /* element end */
    if (!strcmp(rel, "Expression")) {
        x->have_expr = 1;
        pl_sbuf_reset(&x->expr);
        if (pl_sbuf_add(&x->expr, text, len))
            return xfail(x, 500, "InternalError", "Out of memory.");
        return 0;
    }
    if (!strcmp(rel, "ExpressionType")) {
        x->have_type = 1;
        if (len != 3 || strncasecmp(text, "SQL", 3))
            return xfail(x, 400, "InvalidExpressionType",
                         "The ExpressionType is invalid. Only SQL expressions are supported.");
        return 0;
    }
    if (!strcmp(rel, "RequestProgress/Enabled")) {
        if (parse_bool(text, len, &x->progress))
            return xfail(x, 400, "InvalidRequestParameter",
                         "RequestProgress/Enabled must be TRUE or FALSE.");
        return 0;
    }
    if (!strcmp(rel, "ScanRange/Start") || !strcmp(rel, "ScanRange/End")) {
        int is_start = rel[10] == 'S';
        if (parse_ull(text, len, is_start ? &x->start : &x->end))
            return xfail(x, 400, "InvalidScanRange",
                         "The ScanRange %s is not a non-negative integer.",
                         is_start ? "Start" : "End");
        if (*(is_start ? &x->has_start : &x->has_end))
            return xfail(x, 400, "MalformedXML", "The ScanRange %s is given twice.",
                         is_start ? "Start" : "End");
        *(is_start ? &x->has_start : &x->has_end) = 1;
        return 0;
    }
    if (!strcmp(rel, "InputSerialization/JSON/Type"))
        return 0;
    static const char *containers[] = {"RequestProgress", "InputSerialization",
                                       "InputSerialization/CSV", "InputSerialization/JSON",
                                       "InputSerialization/Parquet", "OutputSerialization",
                                       "ScanRange", NULL};
    for (int i = 0; containers[i]; i++)
        if (!strcmp(rel, containers[i]))
            return 0;
    pluck_param id = param_for(rel);
    if (id != PLUCK_PARAM_COUNT) {
        pluck_error err;
        if (pluck_params_set(x->p, id, text, len, &err) != PLUCK_OK)
            return xfail(x, pluck_code_http_status(err.code), pluck_code_name(err.code), "%s",
                         err.message);
        return 0;
    }
    if (depth == 3 && !strncmp(rel, "OutputSerialization/", 20))
        return 0; /* <CSV>/<JSON>: handled at its start */
    return xfail(x, 400, "MalformedXML",
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema (unrecognized element %s).",
                 rel);
}

/* ---- the running select ----------------------------------------------------------------- */

enum { ST_RUN = 0, ST_FAILED, ST_FINISHED };

typedef struct sel {
    pl_server *srv;
    pluck_params *p;
    pluck_query *q;
    pluck_run *run;
    pl_objsrc *obj;          /* a file under --root, or an --upstream object */
    uint64_t pos, stop;      /* object bytes still to feed: [pos, stop) */
    char *prefix;            /* header record fed first for ranges starting past it */
    size_t prefix_len;
    char *blk;
    size_t blksz;
    size_t blk_off, blk_len; /* the block read last: [blk_off, blk_len) not taken yet */
    int more;                /* the engine stopped at its step bound: call again */
    int progress;
    int state;
    int overflow;
    pluck_code err;
    const char *errcode;     /* an S3 code that is no pluck_code (shutdown), else NULL */
    char errmsg[600];
    pl_sbuf out;             /* engine output not framed yet */
    pl_sbuf wire;            /* framed bytes not sent yet */
    double last_msg, last_progress, out_since;
    pl_cscan *cs;            /* a ScanRange over a compressed object (cscan.c), else NULL */
    pluck_index *ix;         /* ... a gzip object's checkpoint index (gzidx.c), or NULL */
    pluck_split csp[3];      /* ... its coarse splits (apply_range), csn of them: csi's */
    size_t csn, csi;
    int compressed_range;
} sel;

static int collect(void *opaque, const char *data, size_t len)
{
    sel *s = opaque;
    if (s->out.len + len > MAX_PENDING) {
        s->overflow = 1;
        return 1;
    }
    if (!s->out.len)
        s->out_since = pl_now();
    return pl_sbuf_add(&s->out, data, len);
}

static void sel_free(void *cls)
{
    sel *s = cls;
    if (!s)
        return;
    atomic_fetch_sub(&s->srv->selects_active, 1);
    if (s->cs) {
        pl_cscan_stop(s->cs); /* it owns the run and the query */
        s->run = NULL;
        s->q = NULL;
    }
    pluck_run_free(s->run);
    pluck_query_free(s->q);
    pluck_index_free(s->ix);
    pluck_params_free(s->p);
    pl_objsrc_close(s->obj);
    free(s->prefix);
    free(s->blk);
    pl_sbuf_free(&s->out);
    pl_sbuf_free(&s->wire);
    free(s);
}

static void stats_of(sel *s, uint64_t *scanned, uint64_t *processed, uint64_t *returned)
{
    pluck_stats st;
    pluck_run_stats(s->run, &st);
    uint64_t pre = s->prefix_len;
    *scanned = st.bytes_scanned > pre ? st.bytes_scanned - pre : 0;
    *processed = st.bytes_processed > pre ? st.bytes_processed - pre : 0;
    *returned = st.bytes_returned;
}

static void frame_output(sel *s)
{
    if (!s->out.len)
        return;
    pl_ev_records(&s->wire, s->out.data, s->out.len);
    pl_sbuf_reset(&s->out);
    s->last_msg = pl_now();
}

static void set_error(sel *s, pluck_code code)
{
    s->state = ST_FAILED;
    s->err = code;
    const pluck_error *e = pluck_run_error(s->run);
    if (s->overflow)
        snprintf(s->errmsg, sizeof s->errmsg,
                 "One step of the select produced more than %u bytes of output.", MAX_PENDING);
    else if (e->record)
        snprintf(s->errmsg, sizeof s->errmsg, "%s (record %llu, byte %llu)", e->message,
                 (unsigned long long)e->record, (unsigned long long)e->byte_offset);
    else
        snprintf(s->errmsg, sizeof s->errmsg, "%s", e->message[0] ? e->message : "Error.");
}

/* One step: one bounded call of the engine (pluck_run_feed_step: about 1 MiB decompressed,
 * whatever the ratio), reading the next block when the last one was taken; finish at the end.
 * Bounded steps are what let keep-alives go out, a disconnect be noticed and a shutdown stop
 * the scan within a second (finding 3 of issue 13); the output of one step is bounded by
 * the same 1 MiB times the query's expansion, and by MAX_PENDING (finding 4). */
static void step(sel *s)
{
    if (s->state != ST_RUN)
        return;
    if (atomic_load(&s->srv->stop_selects)) {
        s->state = ST_FAILED;
        s->err = PLUCK_E_INTERNAL_ERROR;
        s->errcode = "ServiceUnavailable";
        snprintf(s->errmsg, sizeof s->errmsg,
                 "The server is shutting down; the select was stopped. Please retry.");
        return;
    }
    pluck_code rc = PLUCK_OK;
    if (s->cs) {
        /* the range's run is on its thread: take what it wrote, waiting a little */
        size_t room = s->out.len < FRAME_AT ? FRAME_AT - s->out.len : 0;
        unsigned wait = s->srv->keepalive_ms < 200 ? s->srv->keepalive_ms : 200;
        if (!room || !pl_cscan_take(s->cs, &s->out, room, wait, &rc))
            return;
        if (!s->out.len || s->out_since == 0)
            s->out_since = pl_now();
        if (pluck_is_error(rc))
            set_error(s, rc);
        else
            s->state = ST_FINISHED;
        return;
    }
    if (s->prefix) {
        rc = pluck_run_feed(s->run, s->prefix, s->prefix_len);
        free(s->prefix);
        s->prefix = NULL; /* prefix_len stays: it is subtracted from the stats */
    } else {
        if (s->blk_off == s->blk_len && !s->more && s->pos < s->stop) {
            size_t want = s->stop - s->pos < s->blksz ? (size_t)(s->stop - s->pos) : s->blksz;
            ssize_t n = pl_objsrc_pread(s->obj, s->blk, want, s->pos);
            if (n <= 0) {
                s->state = ST_FAILED;
                s->err = PLUCK_E_READ_ERROR;
                snprintf(s->errmsg, sizeof s->errmsg, "The object could not be read: %.480s.",
                         n < 0 ? s->obj->err : "it shrank while being read");
                return;
            }
            s->pos += (uint64_t)n;
            s->blk_off = 0;
            s->blk_len = (size_t)n;
        }
        int end = s->pos >= s->stop;
        size_t used = 0;
        rc = pluck_run_feed_step(s->run, s->blk + s->blk_off, s->blk_len - s->blk_off, end, &used,
                                 &s->more);
        s->blk_off += used;
        if (rc == PLUCK_OK && (!end || s->more || s->blk_off < s->blk_len))
            return;
    }
    if (rc == PLUCK_OK && s->prefix == NULL && s->pos < s->stop)
        return; /* the header prefix was fed: the window comes next */
    if (rc == PLUCK_STOP || rc == PLUCK_OK) {
        rc = pluck_run_finish(s->run);
        if (rc == PLUCK_OK) {
            s->state = ST_FINISHED;
            return;
        }
    }
    if (pluck_is_error(rc)) {
        /* A failed feed keeps the complete records it produced before the error until
         * finish() hands them over (include/pluck.h): collect them, so that they are framed
         * as Records before the error event (F1).  finish() returns the same error. */
        pluck_run_finish(s->run);
        set_error(s, rc);
    }
}

/* Turn the state into wire bytes: Records, Progress, Cont, and the closing events. */
static void produce(sel *s)
{
    double t = pl_now();
    if (s->out.len && (s->out.len >= FRAME_AT || s->state != ST_RUN ||
                       (t - s->out_since) * 1000 >= FRAME_AFTER_MS))
        frame_output(s);
    uint64_t a, b, c;
    if (s->progress && !s->cs && s->state == ST_RUN &&
        (t - s->last_progress) * 1000 >= s->srv->progress_ms) {
        stats_of(s, &a, &b, &c);
        pl_ev_stats(&s->wire, "Progress", a, b, c);
        s->last_progress = s->last_msg = t;
    }
    if (s->state == ST_FINISHED) {
        stats_of(s, &a, &b, &c);
        if (s->progress)
            pl_ev_stats(&s->wire, "Progress", a, b, c);
        pl_ev_stats(&s->wire, "Stats", a, b, c);
        pl_ev_end(&s->wire);
        s->state = ST_FINISHED + 1; /* closed */
    } else if (s->state == ST_FAILED) {
        pl_ev_error(&s->wire, s->errcode ? s->errcode : pluck_code_name(s->err), s->errmsg);
        s->state = ST_FINISHED + 1;
    } else if (s->wire.len == s->wire.off && (t - s->last_msg) * 1000 >= s->srv->keepalive_ms) {
        pl_ev_cont(&s->wire);
        s->last_msg = t;
    }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sel *s = cls;
    for (;;) {
        size_t avail = s->wire.len - s->wire.off;
        if (avail) {
            size_t n = avail < max ? avail : max;
            memcpy(buf, s->wire.data + s->wire.off, n);
            s->wire.off += n;
            pl_sbuf_compact(&s->wire);
            return (ssize_t)n;
        }
        pl_sbuf_reset(&s->wire);
        if (s->state > ST_FINISHED)
            return MHD_CONTENT_READER_END_OF_STREAM;
        step(s);
        produce(s);
    }
}

/* ---- ScanRange --------------------------------------------------------------------------- */

/* End offset of the first delimiter lying wholly inside [from, limit) (limit <= size): 0 with
 * *out set, 1 when there is none (*out = limit), -1 on a read error.  Reads through a 64 KiB
 * buffer, never more than limit - from bytes (finding 2 of issue 13: nothing past the
 * maximum record size is read for a ScanRange). */
static int delim_end(pl_objsrc *o, uint64_t from, uint64_t limit, const char *d, size_t dl,
                     uint64_t *out)
{
    char buf[64 * 1024];
    uint64_t pos = from;
    size_t step = 256; /* grows: short lines (comments before a header) cost little */
    while (pos < limit) {
        if (step < dl + 16)
            step = dl + 16;
        size_t want = limit - pos < step ? (size_t)(limit - pos) : step;
        if (step < sizeof buf)
            step *= 2;
        ssize_t n = pl_objsrc_pread(o, buf, want, pos);
        if (n <= 0)
            return -1;
        char *hit = memmem(buf, (size_t)n, d, dl);
        if (hit) {
            *out = pos + (uint64_t)(hit - buf) + dl;
            return 0;
        }
        if ((size_t)n < dl || pos + (uint64_t)n >= limit)
            break;
        pos += (uint64_t)n - (dl - 1);
    }
    *out = limit;
    return 1;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static int is_compressed(const unsigned char *m, size_t n)
{
    return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) || (n >= 3 && !memcmp(m, "BZh", 3)) ||
           (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4)) ||
           (n >= 4 && (m[0] & 0xF0) == 0x50 && !memcmp(m + 1, "\x2a\x4d\x18", 3)) || /* zstd
                                                          * skippable frame (pzstd starts so) */
           (n >= 6 && !memcmp(m, "\xfd\x37\x7a\x58\x5a\x00", 6));
}

/* Apply the ScanRange; on a problem returns -1 with (status, code, msg) set. */
static int apply_range(sel *s, const pl_req *r, const sel_xml *x, uint64_t size, int *status,
                       const char **code, char *msg, size_t cap)
{
    char v[16], delim[16], comm[4], aq[8];
    pluck_params_get(s->p, PLUCK_PARAM_COMPRESSION_TYPE, v, sizeof v);
    pluck_params_get(s->p, PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, aq, sizeof aq);
    unsigned char magic[8];
    ssize_t mn = pl_objsrc_pread(s->obj, magic, sizeof magic, 0);
    int compressed = strcasecmp(v, "AUTO") ? strcasecmp(v, "NONE") != 0
                                           : mn > 0 && is_compressed(magic, (size_t)mn);
    /* bzip2's block boundaries are found only by decoding every block: a small bomb would
     * cost minutes of CPU before the first byte, so its ScanRange is refused as AWS does */
    int bzip2 = compressed && mn >= 3 && !memcmp(magic, "BZh", 3);
    if (!strcasecmp(aq, "TRUE") || (compressed && s->obj->fd < 0) || bzip2) {
        *status = 400;
        *code = "UnsupportedScanRangeInput";
        snprintf(msg, cap, "%s", bzip2 ? "ScanRange over a bzip2 object is not supported."
                                 : compressed && s->obj->fd < 0
                                     ? "ScanRange over a compressed object is supported only "
                                       "for objects under --root."
                                     : "ScanRange is supported only for CSV with "
                                       "AllowQuotedRecordDelimiter FALSE.");
        return -1;
    }
    if (!x->has_start && !x->has_end) {
        *status = 400;
        *code = "InvalidScanRange";
        snprintf(msg, cap, "The ScanRange must contain Start, End, or both.");
        return -1;
    }
    uint64_t start, end;
    if (x->has_start && x->has_end) {
        start = x->start;
        end = x->end;
    } else if (x->has_start) {
        start = x->start;
        end = size ? size - 1 : 0;
        if (start >= size) { /* past the end: no records, as pluck-serve(1) says */
            s->pos = s->stop = size;
            return 0;
        }
    } else { /* End only: the last End bytes */
        start = x->end >= size ? 0 : size - x->end;
        end = size ? size - 1 : 0;
    }
    if (start > end) {
        *status = 400;
        *code = "InvalidScanRange";
        snprintf(msg, cap, "The ScanRange Start (%llu) is greater than its End (%llu).",
                 (unsigned long long)start, (unsigned long long)end);
        return -1;
    }
    if (compressed) { /* pluck extension: offsets are compressed bytes (cscan.c) */
        pluck_error e;
        if (mn >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
            /* a single gzip member splits only at the checkpoints of its index (gzidx.c) */
            pluck_split *one = NULL;
            size_t k = 0;
            if (pluck_splits_find(s->obj->fd, s->p, 1, &one, &k, &e) == PLUCK_OK && k == 1 &&
                pl_gzidx_get(s->srv->rootfd, r->bucket, r->key, s->obj->fd, &s->ix) < 0) {
                pluck_splits_free(one);
                *status = 503;
                *code = "SlowDown";
                snprintf(msg, cap, "Please reduce your request rate: the checkpoint index of "
                                   "this gzip object is being built for ScanRange.");
                return -1;
            }
            pluck_splits_free(one);
        }
        if (pl_cscan_plan(s->obj->fd, size, s->p, s->ix, start, end, s->csp, &s->csn, &s->csi,
                          &e)) {
            *status = pluck_code_http_status(e.code);
            *code = pluck_code_name(e.code);
            snprintf(msg, cap, "%.200s", e.message);
            return -1;
        }
        s->compressed_range = 1;
        if (!s->csn)
            s->pos = s->stop = size; /* no split point in the range: no records */
        return 0;
    }
    size_t dl = pluck_params_get(s->p, PLUCK_PARAM_RECORD_DELIMITER, delim, sizeof delim);
    size_t cl = pluck_params_get(s->p, PLUCK_PARAM_COMMENTS, comm, sizeof comm);
    char mr[32];
    pluck_params_get(s->p, PLUCK_PARAM_MAX_RECORD_SIZE, mr, sizeof mr);
    uint64_t maxrec = strtoull(mr, NULL, 10);
    if (!maxrec)
        maxrec = 1u << 20;
    /* a record may span at most maxrec bytes plus its delimiter (and a CR before it) */
    uint64_t span = maxrec + dl + 1;
    uint64_t b0 = 0, b1 = size;
    int f;
    if (start >= size) {
        s->pos = s->stop = size; /* past the end: no records */
        return 0;
    }
    if (start > 0) {
        /* the first record that begins inside the range begins after the first delimiter
         * ending at or after Start; none before End + 1: no record begins inside */
        uint64_t from = start >= dl ? start - dl : 0;
        uint64_t lim = min64(min64(end + 1, size), from + span);
        if ((f = delim_end(s->obj, from, lim, delim, dl, &b0)) < 0)
            goto io;
        if (f == 1) {
            if (lim < min64(end + 1, size))
                goto too_long; /* the record in progress at Start is over the limit */
            b0 = size;
        }
    }
    if (b0 < size && b0 <= end && end + 1 < size) {
        /* the last record: the first delimiter ending after End */
        uint64_t from = end + 1 >= dl ? end + 1 - dl : 0;
        if (from < b0)
            from = b0;
        uint64_t lim = min64(size, from + span);
        if ((f = delim_end(s->obj, from, lim, delim, dl, &b1)) < 0)
            goto io;
        if (f == 1 && lim < size)
            goto too_long;
        if (b1 <= end)
            b1 = end + 1; /* cannot happen; keeps the window sane */
    }
    if (b0 > end || b0 >= size) {
        b0 = b1 = size; /* no record begins inside the range */
    }
    s->pos = b0;
    s->stop = b1 < b0 ? b0 : b1;
    /* header record for a window that starts after it: skip empty and comment lines (a
     * streaming pass), then read the header line alone, at most maxrec bytes */
    char hdr[16];
    pluck_params_get(s->p, PLUCK_PARAM_FILE_HEADER_INFO, hdr, sizeof hdr);
    if (b0 > 0 && strcasecmp(hdr, "NONE")) {
        uint64_t p = 0, e;
        unsigned char first[4];
        if (size >= 3 && pl_objsrc_pread(s->obj, first, 3, 0) == 3 &&
            !memcmp(first, "\xEF\xBB\xBF", 3))
            p = 3;
        while (p < b0) {
            unsigned char c0 = 0;
            if (pl_objsrc_pread(s->obj, &c0, 1, p) != 1)
                goto io;
            if ((f = delim_end(s->obj, p, min64(size, p + span), delim, dl, &e)) < 0)
                goto io;
            if (f == 1 && e < size)
                goto too_long;
            uint64_t rl = e - p;
            int empty = rl == dl || (rl == dl + 1 && c0 == '\r' && dl == 1 && delim[0] == '\n');
            if (empty || (cl == 1 && c0 == (unsigned char)comm[0])) {
                p = e;
                continue;
            }
            s->prefix_len = (size_t)(e - p);
            s->prefix = malloc(s->prefix_len ? s->prefix_len : 1);
            if (!s->prefix ||
                pl_objsrc_pread(s->obj, s->prefix, s->prefix_len, p) != (ssize_t)(e - p))
                goto io;
            break;
        }
    }
    return 0;
too_long:
    *status = 400;
    *code = "OverMaxRecordSize";
    snprintf(msg, cap,
             "The length of a record in the input or result is greater than maxCharsPerRecord "
             "of %llu bytes.",
             (unsigned long long)maxrec);
    return -1;
io:
    *status = 500;
    *code = "InternalError";
    snprintf(msg, cap, "The object could not be read for the ScanRange.");
    return -1;
}

/* ---- the request ----------------------------------------------------------------------- */

enum MHD_Result pl_handle_select(pl_req *r)
{
    pl_server *srv = r->srv;
    if (!pl_query_has(r, "select-type") || strcmp(pl_query_get(r, "select-type"), "2"))
        return pl_send_error(r, 400, "InvalidArgument",
                             "SelectObjectContent needs the query ?select&select-type=2.");
    if (pl_header(r, "range"))
        return pl_send_error(r, 400, "UnsupportedRangeHeader",
                             "Range header is not supported for this operation.");
    if (r->body.len == 0)
        return pl_send_error(r, 400, "EmptyRequestBody", "Request body cannot be empty.");

    sel_xml x;
    memset(&x, 0, sizeof x);
    x.p = pluck_params_create();
    if (!x.p)
        return MHD_NO;
    char mw[24]; /* the decompressor's window is part of the per-connection bound (LIMITS) */
    int mwn = snprintf(mw, sizeof mw, "%llu", (unsigned long long)srv->max_window);
    pluck_params_set(x.p, PLUCK_PARAM_MAX_WINDOW, mw, (size_t)mwn, NULL);
    char err[400];
    int xrc = pl_xml_parse(r->body.data, r->body.len, on_xml, &x, err, sizeof err);
    enum MHD_Result res;
    if (xrc == -1) {
        res = pl_send_error(r, 400, "MalformedXML", "%s", err);
        goto fail;
    }
    if (x.code) {
        res = pl_send_error(r, x.status, x.code, "%s", x.msg);
        goto fail;
    }
    if (!x.have_expr || !x.have_type || !x.have_in || !x.have_out) {
        res = pl_send_error(r, 400, "MissingRequiredParameter",
                            "The SelectRequest entity is missing a required parameter: %s.",
                            !x.have_expr ? "Expression"
                            : !x.have_type ? "ExpressionType"
                            : !x.have_in   ? "InputSerialization"
                                           : "OutputSerialization");
        goto fail;
    }
    if (x.in_formats > 1 || x.out_formats > 1) {
        res = pl_send_error(r, 400, "ObjectSerializationConflict",
                            "%s Serialization must specify exactly one format.",
                            x.in_formats > 1 ? "Input" : "Output");
        goto fail;
    }
    if (x.in_formats == 0 || x.in_unsupported) {
        res = pl_send_error(r, 400, pluck_code_name(PLUCK_E_INVALID_DATA_SOURCE),
                            "Invalid data source type: pluck serve reads CSV input only.");
        goto fail;
    }
    if (x.out_formats == 0) {
        res = pl_send_error(r, 400, "MissingRequiredParameter",
                            "The OutputSerialization must contain CSV or JSON.");
        goto fail;
    }

    pluck_error perr;
    pluck_query *q = pluck_query_compile(x.expr.data ? x.expr.data : "", x.expr.len, x.p, &perr);
    if (!q) {
        res = pl_send_error(r, pluck_code_http_status(perr.code), pluck_code_name(perr.code),
                            "%s", perr.message);
        goto fail;
    }
    pl_objsrc *obj = NULL;
    if (srv->upstream) {
        int status;
        char code[64], msg[600];
        obj = pl_upstream_object(srv, r->bucket, r->key, &status, code, msg, sizeof msg);
        if (!obj) {
            pluck_query_free(q);
            res = pl_send_error(r, status, code, "%s", msg);
            goto fail;
        }
    } else {
        struct stat st;
        int fd = pl_open_object(srv->rootfd, r->bucket, r->key, &st);
        if (fd < 0) {
            pluck_query_free(q);
            res = pl_send_open_error(r, fd);
            goto fail;
        }
        obj = pl_objsrc_file(fd, (uint64_t)st.st_size);
    }
    sel *s = obj ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        pl_objsrc_close(obj);
        pluck_query_free(q);
        res = MHD_NO;
        goto fail;
    }
    atomic_fetch_add(&srv->selects_active, 1);
    s->srv = srv;
    s->p = x.p;
    x.p = NULL;
    s->q = q;
    s->obj = obj;
    s->pos = 0;
    s->stop = obj->size;
    s->progress = x.progress;
    s->last_msg = s->last_progress = pl_now();
    if (x.has_range) {
        int status;
        const char *code;
        char msg[300];
        if (apply_range(s, r, &x, obj->size, &status, &code, msg, sizeof msg)) {
            sel_free(s);
            res = pl_send_error(r, status, code, "%s", msg);
            goto fail;
        }
    }
    obj->seq_start = s->pos; /* the window step() reads in order */
    obj->seq_end = s->stop;
    unsigned char magic[8];
    ssize_t mn = pl_objsrc_pread(obj, magic, sizeof magic, 0);
    s->blksz = mn > 0 && is_compressed(magic, (size_t)mn) ? BLOCK_PACKED : BLOCK_PLAIN;
    s->blk = malloc(s->blksz);
    if (s->compressed_range && s->csn) {
        s->cs = pl_cscan_create(q, s->ix, obj->fd, s->csp, s->csn, s->csi);
        s->q = NULL; /* the scan owns them now */
        s->ix = NULL;
        s->run = s->cs ? pl_cscan_run_of(s->cs) : NULL;
    } else {
        s->run = pluck_run_create(q, collect, s);
    }
    if (!s->blk || !s->run) {
        sel_free(s);
        res = pl_send_error(r, 500, "InternalError", "Out of memory.");
        goto fail;
    }
    pluck_run_set_source_size(s->run, obj->size);
    /* pluck extension: "x-pluck-partial: true" asks for the partial aggregate state
     * (pluck-partial(5)) in the Records events, for fan-out clients that merge */
    const char *partial = pl_header(r, "x-pluck-partial");
    if (partial && strcasecmp(partial, "false")) {
        if (strcasecmp(partial, "true")) {
            sel_free(s);
            res = pl_send_error(r, 400, "InvalidArgument",
                                "x-pluck-partial must be true or false.");
            goto fail;
        }
        if (pluck_run_set_partial(s->run) != PLUCK_OK) {
            const pluck_error *e = pluck_run_error(s->run);
            res = pl_send_error(r, pluck_code_http_status(e->code), pluck_code_name(e->code),
                                "%s", e->message);
            sel_free(s);
            goto fail;
        }
    }

    if (s->cs && pl_cscan_start(s->cs)) {
        sel_free(s);
        res = pl_send_error(r, 503, "SlowDown", "Please reduce your request rate (no thread).");
        goto fail;
    }
    /* priming: errors at the start of the data still get an HTTP status */
    double t0 = pl_now();
    uint64_t p0 = s->pos;
    while (s->state == ST_RUN && !s->out.len && s->pos - p0 < PRIME_BYTES &&
           (pl_now() - t0) * 1000 < PRIME_MS)
        step(s);
    if (s->state == ST_FAILED && !s->out.len) {
        res = pl_send_error(r, pluck_code_http_status(s->err), pluck_code_name(s->err), "%s",
                            s->errmsg);
        sel_free(s);
        goto fail;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  reader, s, sel_free);
    if (!resp) {
        sel_free(s);
        res = MHD_NO;
        goto fail;
    }
    /* AWS sends no Content-Type here (s3select-notes §2.1); clients go by the operation.
     * The event-stream media type is the honest one for anything else that looks. */
    MHD_add_response_header(resp, "Content-Type", "application/vnd.amazon.eventstream");
    res = pl_queue(r, 200, resp);
fail:
    pluck_params_free(x.p);
    pl_sbuf_free(&x.expr);
    return res;
}

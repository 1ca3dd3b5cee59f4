/*
 * evstream.c — event-stream message encoder (see evstream.h and s3select-notes §2).
 *
 * Header order follows MinIO (:message-type, :content-type, :event-type); the worked
 * examples of the notes use that order, so tests/server can compare bytes exactly.  Cont and
 * End carry no :content-type, as on AWS.
 */
#include "server/evstream.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int pl_ev_message(pl_sbuf *out, const pl_ev_header *h, size_t n, const void *payload, size_t len)
{
    size_t hlen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(h[i].name), vl = strlen(h[i].value);
        if (nl > 127 || vl > 65535)
            return -1;
        hlen += 1 + nl + 1 + 2 + vl;
    }
    size_t total = 16 + hlen + len;
    if (total > UINT32_MAX || pl_sbuf_reserve(out, total))
        return -1;
    unsigned char *m = (unsigned char *)out->data + out->len;
    put32(m, (uint32_t)total);
    put32(m + 4, (uint32_t)hlen);
    put32(m + 8, (uint32_t)crc32(0L, m, 8));
    unsigned char *p = m + 12;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(h[i].name), vl = strlen(h[i].value);
        *p++ = (unsigned char)nl;
        memcpy(p, h[i].name, nl);
        p += nl;
        *p++ = 7; /* string */
        *p++ = (unsigned char)(vl >> 8);
        *p++ = (unsigned char)vl;
        memcpy(p, h[i].value, vl);
        p += vl;
    }
    if (len)
        memcpy(p, payload, len);
    p += len;
    put32(p, (uint32_t)crc32(0L, m, (uInt)(total - 4)));
    out->len += total;
    return 0;
}

int pl_ev_records(pl_sbuf *out, const void *data, size_t len)
{
    static const pl_ev_header h[] = {{":message-type", "event"},
                                     {":content-type", "application/octet-stream"},
                                     {":event-type", "Records"}};
    const char *p = data;
    while (len) {
        size_t n = len > PL_EV_MAX_PAYLOAD ? PL_EV_MAX_PAYLOAD : len;
        if (pl_ev_message(out, h, 3, p, n))
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

int pl_ev_stats(pl_sbuf *out, const char *event, uint64_t scanned, uint64_t processed,
                uint64_t returned)
{
    const pl_ev_header h[] = {
        {":message-type", "event"}, {":content-type", "text/xml"}, {":event-type", event}};
    char x[512];
    int n = snprintf(x, sizeof x,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><%s><BytesScanned>%" PRIu64
                     "</BytesScanned><BytesProcessed>%" PRIu64
                     "</BytesProcessed><BytesReturned>%" PRIu64 "</BytesReturned></%s>",
                     event, scanned, processed, returned, event);
    return pl_ev_message(out, h, 3, x, (size_t)n);
}

int pl_ev_cont(pl_sbuf *out)
{
    static const pl_ev_header h[] = {{":message-type", "event"}, {":event-type", "Cont"}};
    return pl_ev_message(out, h, 2, NULL, 0);
}

int pl_ev_end(pl_sbuf *out)
{
    static const pl_ev_header h[] = {{":message-type", "event"}, {":event-type", "End"}};
    return pl_ev_message(out, h, 2, NULL, 0);
}

int pl_ev_error(pl_sbuf *out, const char *code, const char *message)
{
    const pl_ev_header h[] = {
        {":message-type", "error"}, {":error-code", code}, {":error-message", message}};
    return pl_ev_message(out, h, 3, NULL, 0);
}

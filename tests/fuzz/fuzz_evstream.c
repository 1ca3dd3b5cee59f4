/*
 * fuzz_evstream.c — the AWS event-stream encoder of `pluck serve` (src/server/evstream.c),
 * checked by a decoder written here from the format's description.
 *
 * The input is a program of events: each step's first byte picks Records (payload from the
 * input, sometimes repeated past 64 KiB so it must be split), Progress/Stats (three numbers),
 * Cont, End, an error event (code and message from the input) or a raw message with up to
 * four arbitrary headers.  Everything is encoded into one buffer, which is then decoded:
 * every prelude CRC and message CRC must verify (zlib crc32), lengths must add up, headers
 * must be string-typed with the names and values given, Records payloads must be at most
 * 64 KiB and concatenate to the bytes given, Stats/Progress payloads must be the XML with
 * the three numbers, and nothing may be left over.  Headers that the format cannot carry
 * (name > 127 bytes, value > 65535 bytes) must make the encoder refuse (-1), adding nothing.
 */
#include "fuzz_common.h"

#include <inttypes.h>
#include <zlib.h>

#include "server/evstream.h"

typedef struct exp_hdr {
    char name[300];
    char *value;
} exp_hdr;

typedef struct expect {
    int kind; /* 0 records, 1 stats-like, 2 cont, 3 end, 4 error, 5 raw */
    char event[16];
    uint64_t a, b, c;
    exp_hdr h[4];
    size_t nh;
    const unsigned char *payload;
    size_t plen;
} expect;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct msg {
    const unsigned char *headers;
    size_t hlen;
    const unsigned char *payload;
    size_t plen;
} msg;

/* Decode the message at *pos; checks the framing and CRCs. */
static void next_msg(const pl_sbuf *b, size_t *pos, msg *m)
{
    const unsigned char *p = (const unsigned char *)b->data + *pos;
    size_t left = b->len - *pos;
    FUZZ_CHECK(left >= 16, "truncated message (%zu bytes left)", left);
    uint32_t total = be32(p), hlen = be32(p + 4), pcrc = be32(p + 8);
    FUZZ_CHECK(pcrc == (uint32_t)crc32(0L, p, 8), "prelude CRC");
    FUZZ_CHECK(total >= 16 && total <= left, "total length %u (left %zu)", total, left);
    FUZZ_CHECK(hlen <= total - 16, "headers length %u of %u", hlen, total);
    FUZZ_CHECK(be32(p + total - 4) == (uint32_t)crc32(0L, p, total - 4), "message CRC");
    m->headers = p + 12;
    m->hlen = hlen;
    m->payload = p + 12 + hlen;
    m->plen = total - 16 - hlen;
    *pos += total;
}

/* Headers of m must be exactly h[0..n) (string type 7, in order). */
static void check_headers(const msg *m, const exp_hdr *h, size_t n)
{
    size_t off = 0, i = 0;
    while (off < m->hlen) {
        FUZZ_CHECK(i < n, "more headers than encoded");
        size_t nl = m->headers[off++];
        FUZZ_CHECK(off + nl + 3 <= m->hlen, "header name overruns");
        FUZZ_CHECK(nl == strlen(h[i].name) && !memcmp(m->headers + off, h[i].name, nl),
                   "header %zu name", i);
        off += nl;
        FUZZ_CHECK(m->headers[off] == 7, "header type %u", m->headers[off]);
        size_t vl = (size_t)m->headers[off + 1] << 8 | m->headers[off + 2];
        off += 3;
        FUZZ_CHECK(off + vl <= m->hlen, "header value overruns");
        FUZZ_CHECK(vl == strlen(h[i].value) && !memcmp(m->headers + off, h[i].value, vl),
                   "header %s value", h[i].name);
        off += vl;
        i++;
    }
    FUZZ_CHECK(i == n, "%zu headers decoded, %zu encoded", i, n);
}

/* A NUL-free string from the input (NULs become 'x'). */
static char *take_str(fz_in *in, size_t len)
{
    char *s = malloc(len + 1);
    FUZZ_CHECK(s, "malloc");
    for (size_t i = 0; i < len; i++) {
        unsigned c = in->n ? fz_byte(in) : 'y';
        s[i] = c ? (char)c : 'x';
    }
    s[len] = 0;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    fz_in in = {data, size};
    pl_sbuf out = {0};
    expect ex[32];
    size_t nex = 0;
    unsigned char *blobs[32];
    size_t nblobs = 0;
    char *strs[300];
    size_t nstrs = 0;

    while (in.n && nex < 32) {
        unsigned op = fz_byte(&in) % 7;
        expect *e = &ex[nex];
        memset(e, 0, sizeof *e);
        size_t before = out.len;
        int rc;
        switch (op) {
        case 0: { /* Records, possibly longer than one message holds */
            size_t n = fz_u16(&in) % 512;
            unsigned rep = fz_byte(&in);
            size_t reps = rep > 250 ? 300 : 1; /* 300 x up to 511 bytes: beyond 64 KiB */
            if (n > in.n)
                n = in.n;
            unsigned char *blob = malloc(n * reps + 1);
            FUZZ_CHECK(blob, "malloc");
            for (size_t r = 0; r < reps; r++)
                memcpy(blob + r * n, in.p, n);
            in.p += n;
            in.n -= n;
            blobs[nblobs++] = blob;
            e->kind = 0;
            e->payload = blob;
            e->plen = n * reps;
            rc = pl_ev_records(&out, blob, e->plen);
            FUZZ_CHECK(rc == 0, "pl_ev_records failed");
            break;
        }
        case 1:
        case 2: {
            e->kind = 1;
            snprintf(e->event, sizeof e->event, "%s", op == 1 ? "Stats" : "Progress");
            uint64_t v[3];
            for (int i = 0; i < 3; i++) {
                v[i] = 0;
                for (int k = 0; k < 8; k++)
                    v[i] = v[i] << 8 | fz_byte(&in);
            }
            e->a = v[0], e->b = v[1], e->c = v[2];
            rc = pl_ev_stats(&out, e->event, e->a, e->b, e->c);
            FUZZ_CHECK(rc == 0, "pl_ev_stats failed");
            break;
        }
        case 3:
            e->kind = 2;
            FUZZ_CHECK(pl_ev_cont(&out) == 0, "pl_ev_cont failed");
            break;
        case 4:
            e->kind = 3;
            FUZZ_CHECK(pl_ev_end(&out) == 0, "pl_ev_end failed");
            break;
        case 5: { /* error event; a message over 65535 bytes cannot be framed */
            size_t cl = fz_byte(&in) % 40, ml = fz_u16(&in);
            if (ml > 1000 && ml < 65000)
                ml %= 1000;
            else if (ml >= 65000)
                ml = 65535 + (ml & 1); /* the longest value there is, or one byte more */
            char *code = take_str(&in, cl), *m = take_str(&in, ml);
            strs[nstrs++] = code;
            strs[nstrs++] = m;
            rc = pl_ev_error(&out, code, m);
            if (ml > 65535) {
                FUZZ_CHECK(rc == -1 && out.len == before, "an unframeable error was encoded");
                continue;
            }
            FUZZ_CHECK(rc == 0, "pl_ev_error failed");
            e->kind = 4;
            snprintf(e->h[0].name, sizeof e->h[0].name, ":message-type");
            e->h[0].value = "error";
            snprintf(e->h[1].name, sizeof e->h[1].name, ":error-code");
            e->h[1].value = code;
            snprintf(e->h[2].name, sizeof e->h[2].name, ":error-message");
            e->h[2].value = m;
            e->nh = 3;
            break;
        }
        default: { /* a raw message: up to 4 headers of any length, a payload */
            pl_ev_header h[4];
            size_t nh = fz_byte(&in) % 5;
            int bad = 0;
            for (size_t i = 0; i < nh; i++) {
                size_t nl = fz_byte(&in);
                nl = nl > 200 ? 128 + nl % 4 : nl % 20; /* sometimes just over 127 */
                size_t vl = fz_u16(&in) % 200;
                char *nm = take_str(&in, nl), *v = take_str(&in, vl);
                strs[nstrs++] = nm;
                strs[nstrs++] = v;
                h[i].name = nm;
                h[i].value = v;
                if (nl > 127)
                    bad = 1;
                snprintf(e->h[i].name, sizeof e->h[i].name, "%s", nm);
                e->h[i].value = v;
            }
            size_t pl = fz_byte(&in);
            if (pl > in.n)
                pl = in.n;
            e->payload = in.p;
            e->plen = pl;
            in.p += pl;
            in.n -= pl;
            rc = pl_ev_message(&out, h, nh, e->payload, pl);
            if (bad) {
                FUZZ_CHECK(rc == -1 && out.len == before, "an unframeable header was encoded");
                continue;
            }
            FUZZ_CHECK(rc == 0, "pl_ev_message failed");
            e->kind = 5;
            e->nh = nh;
            break;
        }
        }
        nex++;
    }

    /* decode */
    size_t pos = 0;
    for (size_t i = 0; i < nex; i++) {
        expect *e = &ex[i];
        msg m;
        switch (e->kind) {
        case 0: {
            exp_hdr h[3] = {{":message-type", "event"},
                            {":content-type", "application/octet-stream"},
                            {":event-type", "Records"}};
            size_t got = 0;
            if (e->plen == 0)
                break; /* nothing to send: no message */
            do { /* one event per 64 KiB at most, in order */
                next_msg(&out, &pos, &m);
                check_headers(&m, h, 3);
                FUZZ_CHECK(m.plen <= PL_EV_MAX_PAYLOAD, "Records payload %zu", m.plen);
                FUZZ_CHECK(got + m.plen <= e->plen && !memcmp(m.payload, e->payload + got, m.plen),
                           "Records payload differs at %zu", got);
                FUZZ_CHECK(m.plen > 0, "an empty Records message");
                got += m.plen;
            } while (got < e->plen);
            break;
        }
        case 1: {
            exp_hdr h[3] = {{":message-type", "event"}, {":content-type", "text/xml"},
                            {":event-type", ""}};
            h[2].value = e->event;
            next_msg(&out, &pos, &m);
            check_headers(&m, h, 3);
            char want[600];
            int n = snprintf(want, sizeof want,
                             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><%s><BytesScanned>%" PRIu64
                             "</BytesScanned><BytesProcessed>%" PRIu64
                             "</BytesProcessed><BytesReturned>%" PRIu64 "</BytesReturned></%s>",
                             e->event, e->a, e->b, e->c, e->event);
            FUZZ_CHECK(m.plen == (size_t)n && !memcmp(m.payload, want, m.plen), "%s payload",
                       e->event);
            break;
        }
        case 2:
        case 3: {
            exp_hdr h[2] = {{":message-type", "event"}, {":event-type", ""}};
            h[1].value = e->kind == 2 ? "Cont" : "End";
            next_msg(&out, &pos, &m);
            check_headers(&m, h, 2);
            FUZZ_CHECK(m.plen == 0, "%s with a payload", h[1].value);
            break;
        }
        case 4:
        case 5:
            next_msg(&out, &pos, &m);
            check_headers(&m, e->h, e->nh);
            FUZZ_CHECK(m.plen == e->plen && (!m.plen || !memcmp(m.payload, e->payload, m.plen)),
                       "payload");
            break;
        }
    }
    FUZZ_CHECK(pos == out.len, "%zu bytes after the last message", out.len - pos);

    pl_sbuf_free(&out);
    for (size_t i = 0; i < nblobs; i++)
        free(blobs[i]);
    for (size_t i = 0; i < nstrs; i++)
        free(strs[i]);
    return 0;
}

/*
 * evstream.h — AWS event-stream message framing for SelectObjectContent responses.
 *
 * A message is: total length (u32 BE), headers length (u32 BE), CRC32 of those 8 bytes,
 * headers, payload, CRC32 of everything before it (s3select-notes §2.2).  S3 Select uses only
 * string-valued headers (type 7), so that is all this encoder writes.  The CRC is zlib's
 * crc32 (CRC-32/ISO-HDLC), not CRC32C.
 */
#ifndef PL_EVSTREAM_H
#define PL_EVSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "server/sbuf.h"

/* Largest Records payload per message: well under the 128 KiB the Java v1 SDK can hold. */
#define PL_EV_MAX_PAYLOAD (64 * 1024)

typedef struct pl_ev_header {
    const char *name;
    const char *value;
} pl_ev_header;

/* Append one message with n headers and the payload to out; 0 or -1 on out of memory. */
int pl_ev_message(pl_sbuf *out, const pl_ev_header *h, size_t n, const void *payload,
                  size_t len);

/* The S3 Select events.  Records payloads longer than PL_EV_MAX_PAYLOAD are split over
 * several messages (clients must not assume record-aligned frames; S3 splits too). */
int pl_ev_records(pl_sbuf *out, const void *data, size_t len);
int pl_ev_stats(pl_sbuf *out, const char *event, uint64_t scanned, uint64_t processed,
                uint64_t returned); /* event: "Stats" or "Progress" */
int pl_ev_cont(pl_sbuf *out);
int pl_ev_end(pl_sbuf *out);
int pl_ev_error(pl_sbuf *out, const char *code, const char *message);

#endif

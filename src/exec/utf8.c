/*
 * utf8.c — the executor's text-encoding check.
 *
 * S3 requires UTF-8 and answers InvalidTextEncoding otherwise.  The check covers the first
 * 64 KiB of decompressed input: that is what catches the common mistake (compressed or binary
 * data read as text) without a second pass over every byte (MinIO checks 128 KiB).
 */
#include "exec/exec.h"

/* Length of the valid UTF-8 sequence at p (end: buffer end): 1-4, 0 if invalid, -1 if it
 * may be valid but is cut by the buffer end.  *valid: how many bytes at p are a valid
 * start of a sequence (the bytes before the one that proves it invalid, or all that
 * arrived).  Each byte is judged as soon as it arrives (the second byte's range depends on
 * the first: no overlong forms, surrogates or code points past U+10FFFF), so an invalid
 * sequence is found at the same byte however the input is split into feeds. */
static int utf8_seq(const unsigned char *p, const unsigned char *end, size_t *valid)
{
    unsigned c = p[0];
    *valid = 0;
    if (c < 0x80)
        return 1;
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    for (int i = 1; i < n; i++) {
        *valid = (size_t)i;
        if (p + i >= end)
            return -1;
        unsigned lo = 0x80, hi = 0xBF;
        if (i == 1) {
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
            else if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        }
        if (p[i] < lo || p[i] > hi)
            return 0;
    }
    return n;
}

/* Check what arrived of the first 64 KiB; on an invalid sequence *bad is set to its window
 * position and *seen to the end of its valid start (what a feed that ended just before the
 * offending byte would have held), else both are left alone. */
void pl_exec_check_utf8(pl_exec *x, const char *win, size_t wlen, uint64_t wbase, bool final,
                        size_t *bad, size_t *seen)
{
    if (x->utf8_ok >= PL_UTF8_CHECKED)
        return;
    const unsigned char *w = (const unsigned char *)win;
    const unsigned char *end = w + wlen;
    uint64_t from = x->utf8_ok > wbase ? x->utf8_ok : wbase;
    const unsigned char *p = w + (from - wbase);
    const unsigned char *stop = wbase + wlen > PL_UTF8_CHECKED ? w + (PL_UTF8_CHECKED - wbase) : end;
    while (p < stop) {
        size_t valid;
        int n = utf8_seq(p, end, &valid);
        if (n < 0 && !final)
            break; /* the rest of the sequence has not arrived yet */
        if (n <= 0) {
            *bad = (size_t)(p - w);
            *seen = *bad + valid;
            break;
        }
        p += n;
    }
    x->utf8_ok = wbase + (uint64_t)(p - w);
    if (p >= stop && stop != end)
        x->utf8_ok = PL_UTF8_CHECKED;
}


/*
 * spill.h — the temporary file behind ORDER BY's external sort: sorted runs written one
 * after another into one anonymous file (created in the temp directory and unlinked at
 * once, so nothing is left behind whatever happens to the process), and buffered readers
 * that stream records back from any run with pread.
 *
 * A record is a 32-bit length followed by that many bytes; sort.c decides what they hold.
 */
#ifndef PL_SPILL_H
#define PL_SPILL_H

#include "common/common.h"

typedef struct pl_spill {
    int fd;               /* -1 until the first run is written */
    uint64_t size;        /* bytes written so far (the end of the last run) */
    pl_buf out;           /* write buffer */
    char path[PLUCK_PATH_MAX + 32];
    char message[PLUCK_PATH_MAX + 96]; /* the last I/O error */
} pl_spill;

/* A run: the byte range [begin, end) of the file. */
typedef struct pl_spill_run {
    uint64_t begin, end;
} pl_spill_run;

/* Create the file in dir ("" for $TMPDIR, else /tmp) on first use. */
bool pl_spill_open(pl_spill *s, const char *dir);
bool pl_spill_append(pl_spill *s, const void *p, size_t n); /* buffered */
bool pl_spill_flush(pl_spill *s);
void pl_spill_close(pl_spill *s);

typedef struct pl_spill_reader {
    const pl_spill *s;
    uint64_t off, end;    /* next byte of the run to read, end of the run */
    char *buf;
    size_t pos, len, cap; /* unread bytes are buf[pos, len) */
} pl_spill_reader;

bool pl_spill_reader_init(pl_spill_reader *r, const pl_spill *s, pl_spill_run run, size_t bufsize);
/* The next record's bytes (valid until the next call) and length: 1, 0 at the end of the
 * run, -1 on an I/O error or out of memory (described in message). */
int pl_spill_next(pl_spill_reader *r, const char **rec, uint32_t *len, char *message, size_t cap);
void pl_spill_reader_free(pl_spill_reader *r);

#endif /* PL_SPILL_H */

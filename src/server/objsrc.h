/*
 * objsrc.h — where SelectObjectContent reads an object from: a file under --root
 * (objsrc.c) or an object in the --upstream S3 store (upstream.c).
 *
 * select.c reads only through pl_objsrc_pread(); it announces the byte window it will then
 * read in order (seq_start, seq_end), so that the upstream source can fetch that window with
 * one ranged GET instead of one request per block.
 */
#ifndef PL_OBJSRC_H
#define PL_OBJSRC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct pl_objsrc pl_objsrc;
struct pl_objsrc {
    /* Read n bytes at off: returns n, fewer only at the end of the object, or -1 with err. */
    ssize_t (*pread)(pl_objsrc *o, void *buf, size_t n, uint64_t off);
    void (*close)(pl_objsrc *o);
    uint64_t size;
    uint64_t seq_start, seq_end; /* the window select.c will read in order */
    int fd;                      /* the file under --root; -1 for an --upstream object */
    char err[480];
};

static inline ssize_t pl_objsrc_pread(pl_objsrc *o, void *buf, size_t n, uint64_t off)
{
    return o->pread(o, buf, n, off);
}

static inline void pl_objsrc_close(pl_objsrc *o)
{
    if (o)
        o->close(o);
}

/* A source over an open file (takes the descriptor). NULL on out of memory (fd closed). */
pl_objsrc *pl_objsrc_file(int fd, uint64_t size);

#endif

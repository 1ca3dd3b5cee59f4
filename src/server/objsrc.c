/*
 * objsrc.c — a select's object read from a file under the server root (see objsrc.h).
 */
#include "server/objsrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct file_src {
    pl_objsrc base;
    int fd;
} file_src;

static ssize_t file_pread(pl_objsrc *o, void *buf, size_t n, uint64_t off)
{
    file_src *f = (file_src *)o;
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(o->err, sizeof o->err, "%s", strerror(errno));
            return -1;
        }
        if (k == 0)
            break;
        done += (size_t)k;
    }
    return (ssize_t)done;
}

static void file_close(pl_objsrc *o)
{
    file_src *f = (file_src *)o;
    close(f->fd);
    free(f);
}

pl_objsrc *pl_objsrc_file(int fd, uint64_t size)
{
    file_src *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->base.pread = file_pread;
    f->base.close = file_close;
    f->base.size = size;
    f->base.fd = fd;
    f->base.seq_end = size;
    return &f->base;
}

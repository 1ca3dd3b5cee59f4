/*
 * run.h — the struct behind the public pluck_run handle (run.c) and the parallel driver's
 * entry point (commit/lanes.c).  Internal: the handle is opaque in pluck.h.
 */
#ifndef PL_RUN_H
#define PL_RUN_H

#include "commit/commit.h"
#include "exec/exec.h"
#include "source/source.h"

struct pluck_run {
    const pluck_query *q;
    pl_source src;      /* the window and the byte counts */
    pl_push push;       /* pushed input: the codec */
    bool codec_external; /* a decompression thread feeds the window (source/pipe.c) */
    pl_exec *x;         /* the main executor */
    pl_commit c;        /* output, counts, LIMIT, the first error */
    pluck_progress_fn progress;
    void *pop;
    uint64_t next_progress;     /* the hook is due at these bytes in ... */
    uint64_t next_progress_out; /* ... and out */
    uint64_t source_size;
    bool finished;
    bool live;          /* pluck_run_set_live: no read waits on output that is ready */
    uint64_t inputs;    /* inputs ended by pluck_run_end_input() */
    const pluck_index *index; /* pluck_run_set_index: the gzip file's checkpoints */
    /* bzip2 splits of this run's file (run_splits): the combined CRC of the blocks of the
     * stream the committed splits end in (pl_bz2_chain), checked where each stream ends */
    bool bz2_chained;
    uint32_t bz2_crc;
};

/* Call the progress hook when due; returns the committer's state (CANCELLED when asked). */
pluck_code pl_run_progress(pluck_run *r);

/* commit/lanes.c: the rest of a plain input through parallel executors, committed in input
 * order into r's committer; r's executor is past the header and the checked first bytes, and
 * r's window holds the start of the next record.  fd (the regular file `read` reads, or -1)
 * is read in ranges with pread() when it can be.  Returns the committer's state, or a
 * source error (in r->src.err). */
pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque, int fd);

/* commit/lanes.c, split mode: splits [from, n) of the compressed file fd (kind, ending at
 * `end`) through parallel executors, committed in input order; ubase is the stream offset
 * where split `from` begins.  pl_split_main: split i on r's main executor, committed
 * (*extended: it decoded on to the end of the file, see pl_split_job; NULL: an error). */
pluck_code pl_splits_run(pluck_run *r, int fd, pl_compression kind, const pluck_split *splits,
                         size_t n, size_t from, uint64_t end, uint64_t ubase);
pluck_code pl_split_main(pluck_run *r, int fd, pl_compression kind, const pluck_split *splits,
                         size_t i, uint64_t end, uint64_t ubase, uint64_t *ulen, bool *extended);

#endif /* PL_RUN_H */

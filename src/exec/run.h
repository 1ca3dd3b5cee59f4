/*
 * run.h — the state of one run, shared by run.c (the sequential pipeline) and lanes.c (plain
 * input split across threads).  Internal: the public handle is opaque in pluck.h.
 *
 * A lane is a second pluck_run over the same query that processes whole blocks of records
 * (cut at record delimiters) for its parent and keeps the results until the parent commits
 * them in input order: output bytes with their flush points, counts, and the aggregate of a
 * query without GROUP BY.  A block that failed or would pass the LIMIT is not committed but
 * redone by the parent, so errors, record numbers and the LIMIT cut come out exactly as in a
 * sequential run.
 */
#ifndef PL_RUN_H
#define PL_RUN_H

#include "codec/codec.h"
#include "exec/group.h"
#include "exec/program.h"
#include "out/out.h"
#include "scan/scan.h"

#define CHUNK (256 * 1024)          /* decompressed bytes produced per decode step */
#define FLUSH_AT (64 * 1024)        /* hand output to the callback past this size */
#define PROGRESS_EVERY (4u << 20)   /* call the progress hook every 4 MiB of input */
#define BATCH_RECORDS 1024
#define STEP_BYTES (1u << 20)       /* decompressed bytes per pluck_run_feed_step() call */

struct pluck_run {
    const pluck_query *q;
    pluck_write_fn write;
    void *wop;
    pluck_progress_fn progress;
    void *pop;
    uint64_t next_progress;
    uint64_t next_progress_out; /* ... and every PROGRESS_EVERY decompressed bytes */
    size_t step_left;    /* pluck_run_feed_step(): bytes it may still decompress (else SIZE_MAX) */
    bool step_more;      /* ... it stopped at the bound: the codec may hold more output */
    bool input_ended;    /* pl_codec_end_input() was called */
    pluck_error err;
    pluck_stats stats;
    pluck_code state; /* PLUCK_OK, PLUCK_STOP, or the error */
    bool finished;
    bool live;        /* pluck_run_set_live: no read waits on output that is ready */

    pl_codec *codec;
    bool codec_external; /* a pipe's thread decompresses: no codec of our own */
    unsigned char sniff[16];
    size_t nsniff;

    char *win;
    size_t wlen, wcap;
    uint64_t wbase; /* stream offset of win[0] */
    bool bom_done;
    pl_scanner *scan;

    bool header_done;
    uint64_t skipped;    /* records the prefilter skipped unparsed (for record numbers) */
    uint64_t utf8_ok;    /* stream offset up to which the input was checked as UTF-8 */
    uint64_t pf_seen, pf_skipped; /* prefilter: bytes looked at, bytes skipped unparsed */
    bool pf_off;         /* the prefilter skipped too little to pay for itself */
    pl_arena hdr_arena;
    const char **hdr;
    uint32_t *hdr_len;
    uint32_t nhdr;
    int32_t *colmap;

    pl_arena scratch;
    pl_groups *groups;   /* aggregate queries: one group per GROUP BY key (one without) */
    pl_group *single;    /* the only group of an aggregate query without GROUP BY */
    pl_value *keys;      /* GROUP BY / ORDER BY values of the current record or group */
    pl_topn *topn;       /* ORDER BY (extension) */
    pl_writer out;
    uint64_t emitted;
    uint32_t max_fields; /* fields the scanner cuts (projection pushdown) */

    /* WHERE by batch: the conjuncts of its AND chain, the rows still in play, and whether a
     * row met an unknown (NULL/MISSING) conjunct (run.c: filter_batch) */
    const pl_node **conj;
    uint32_t nconj, nsel;
    uint32_t *sel;
    uint8_t *unknown;

    /* a lane holds its output for the parent; cuts: where a sequential run would have
     * flushed, so the parent hands the output over in the same chunks */
    bool is_lane;
    bool in_block; /* process() is scanning a lane's block: leave its bytes in place */
    size_t *cuts;
    size_t ncuts, cuts_cap;
};

/* One block of whole records for a lane: bytes in memory, or a range of a file read with
 * pread() through the run's window. */
typedef struct pl_block {
    char *buf;      /* the bytes (only read), or NULL: read [off, off + len) of fd */
    int fd;
    uint64_t off;
    size_t len;
    uint64_t base;  /* stream offset of the block's first byte */
    bool final;     /* the block ends the input */
} pl_block;

/* run.c: lanes */
pluck_run *pl_run_lane_create(const pluck_run *parent);
pluck_code pl_run_lane_block(pluck_run *lane, const pl_block *b);
pluck_code pl_run_lane_commit(pluck_run *r, pluck_run *lane, const pl_block *b);
bool pl_run_lanes_eligible(const pluck_run *r);
pluck_code pl_run_fail_msg(pluck_run *r, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);

/* lanes.c: the rest of a plain input through two threads, committing into r; fd (the
 * regular file `read` reads, or -1) is read in ranges with pread() when it can be */
pluck_code pl_lanes_run(pluck_run *r, pluck_read_fn read, void *opaque, int fd);

#endif /* PL_RUN_H */



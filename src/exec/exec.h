/*
 * exec.h — the executor: turns a window of decompressed bytes (starting at a record
 * boundary) into batches of records and those into output.  It knows nothing of how the
 * bytes arrived (a codec, a thread, a range of a file, a split of a compressed file): a
 * source hands it windows and keeps what it did not use; the committer (commit/commit.h)
 * takes its output and counts, in input order, and alone talks to the caller.
 *
 * An executor is either the run's main executor, whose output goes straight to the
 * committer at each flush point (x->sink), or one of N parallel executors that holds its
 * output, with the points where the main executor would have flushed (x->cuts), until the
 * committer takes it.  Internal: the public handle is opaque in pluck.h.
 */
#ifndef PL_EXEC_H
#define PL_EXEC_H

#include "exec/distinct.h"
#include "exec/group.h"
#include "exec/program.h"
#include "exec/sort.h"
#include "out/out.h"
#include "scan/scan.h"

#define PL_FLUSH_AT (64 * 1024)  /* hand output to the committer past this size */
#define PL_BATCH_RECORDS 1024    /* records per scanner batch */
#define PL_UTF8_CHECKED (64u * 1024) /* the first bytes checked as UTF-8 (exec.c) */

struct pl_commit;

typedef struct pl_exec {
    const pluck_query *q;
    pluck_error err;
    pluck_code state; /* PLUCK_OK, PLUCK_STOP (the LIMIT is met), or the error */

    pl_scanner *scan;
    bool bom_done;
    bool header_done;
    bool header_only;    /* stop once the header is read (a split run reading it) */
    bool header_out;     /* OUTPUT_HEADER: the record of column names is written */
    uint64_t inputs;     /* inputs ended before the current one (pluck_run_end_input) */
    uint64_t utf8_ok;    /* stream offset up to which the input was checked as UTF-8 */
    uint64_t pf_seen, pf_skipped; /* prefilter: bytes looked at, bytes skipped unparsed */
    bool pf_off;         /* the prefilter skipped too little to pay for itself */
    pl_arena hdr_arena;
    const char **hdr;
    uint32_t *hdr_len;
    uint32_t nhdr;
    int32_t *colmap;
    uint32_t max_fields; /* fields the scanner cuts (projection pushdown) */

    pl_arena scratch;
    pl_groups *groups;   /* aggregate queries: one group per GROUP BY key (one without) */
    pl_group *single;    /* the only group of an aggregate query without GROUP BY */
    pl_value *keys;      /* GROUP BY / ORDER BY values of the current record or group */
    pl_sorter *topn;     /* ORDER BY (extension): heap or external sort (sort.c) */
    pl_distinct *drows;  /* SELECT DISTINCT * / over aggregates: output rows seen */
    pl_distinct **daggs; /* [naggs]: an aggregate's DISTINCT values seen, or NULL */

    /* WHERE by batch: the conjuncts of its AND chain, the rows still in play, and whether a
     * row met an unknown (NULL/MISSING) conjunct (exec.c: filter_batch) */
    const pl_node **conj;
    uint32_t nconj, nsel;
    uint32_t *sel;
    uint8_t *unknown;

    /* output and the counts the committer has not taken yet */
    pl_writer out;
    uint64_t records_scanned, records_returned;
    uint64_t emitted;    /* output records since the committer last took the counts */
    uint64_t limit_left; /* LIMIT minus what was committed before (UINT64_MAX: none) */
    struct pl_commit *sink; /* main executor: output goes to the committer at flush points */
    size_t *cuts;        /* held output: where the main executor would have flushed */
    size_t ncuts, cuts_cap;
    bool partial;        /* pluck_run_set_partial: the end writes the state (partial.c) */
} pl_exec;

/* The run's main executor, its output handed to sink at flush points.  NULL on out of
 * memory. */
pl_exec *pl_exec_create(const pluck_query *q, struct pl_commit *sink);
/* A parallel executor over the same query, past the header and the checked first bytes of
 * parent (whose header it shares: parent must outlive it).  It holds its output. */
pl_exec *pl_exec_create_lane(const pl_exec *parent);
void pl_exec_free(pl_exec *x); /* accepts NULL */

/* Scan every complete record of data[0, len) (stream offset base; final: nothing follows)
 * and evaluate the query over them.  *used is set to the bytes consumed (through the last
 * complete record): the source keeps the rest and hands it again with more bytes after it.
 * Returns x->state. */
pluck_code pl_exec_window(pl_exec *x, const char *data, size_t len, uint64_t base, bool final,
                          size_t *used);

/* The header is taken care of elsewhere (a split after the stream's first): bind the columns
 * by position when there are no names to read. */
void pl_exec_skip_header(pl_exec *x);
/* The next bytes start a new input of the same table (pluck_run_end_input): its own BOM,
 * UTF-8 check, header row and record numbers. */
void pl_exec_next_input(pl_exec *x);

/* End of input: the rows of an aggregate or ORDER BY query.  Returns x->state. */
pluck_code pl_exec_end(pl_exec *x);

/* A parallel executor starts its next block: counts, output, scanner numbering and the
 * aggregate of a query without GROUP BY back to zero. */
void pl_exec_restart(pl_exec *x);
/* Fold the aggregate of `from` (a parallel executor's block) into x's. */
pluck_code pl_exec_merge(pl_exec *x, const pl_exec *from);

/* Fail with a message; returns code.  pl_exec_raise: the message is already in x->err. */
pluck_code pl_exec_fail(pl_exec *x, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);
pluck_code pl_exec_raise(pl_exec *x, pluck_code code);
/* Put the position of record i of b into x->err. */
void pl_exec_locate(pl_exec *x, const pl_batch *b, uint32_t i);

/* prefilter.c: skip the lines of data[pos, len) that cannot match (see bind.c) */
size_t pl_exec_prefilter(pl_exec *x, const char *w, size_t n, size_t pos, bool final,
                         size_t *limit);
/* utf8.c: check what arrived of the first PL_UTF8_CHECKED bytes (see there) */
void pl_exec_check_utf8(pl_exec *x, const char *w, size_t n, uint64_t base, bool final,
                        size_t *bad, size_t *seen);
/* emit.c: the output of one row, of the groups, of the ORDER BY rows */
pluck_code pl_exec_take_row(pl_exec *x, pl_eval_ctx *ctx, const pl_batch *b, uint32_t i);
pluck_code pl_exec_emit_groups(pl_exec *x);
pluck_code pl_exec_emit_sorted(pl_exec *x);
/* partial.c: instead of those, the aggregate state or the top-n candidates (pluck-partial(5)) */
pluck_code pl_partial_write(pl_exec *x);

#endif /* PL_EXEC_H */

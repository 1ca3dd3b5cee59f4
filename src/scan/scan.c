/*
 * scan.c — the scanner object, kernel choice, and what every pl_scan() call shares: the
 * batch, and the epilogue that turns a kernel's stop reason into consumed bytes or an
 * error.  The kernels themselves are in scan_scalar.c (the oracle) and scan_simd.c with a
 * stage 1 per instruction set (scan_sse42.c, scan_avx2.c, scan_neon.c).
 *
 * Errors found after some records were already cut in this call are not returned at once:
 * the batch ends just before the bad record, so the caller can process the good records
 * first, and the next call starts at the bad record and reports the error.  This keeps
 * output identical however the input is split into calls.
 *
 * Kernel choice happens once per scanner, at pl_scanner_create: the best kernel the CPU
 * runs (from CPUID through __builtin_cpu_supports, never from the build machine's flags),
 * unless PLUCK_FORCE_IMPL names another one (scalar, sse42, avx2, neon), which is how the
 * tests run every kernel on one machine.  A forced kernel the CPU cannot run, or a dialect
 * the SIMD kernels do not take (multi-byte record delimiter, delimiter and quote bytes that
 * coincide), gives the scalar kernel; pl_scanner_kernel() names the one actually used.
 */
#include "scan/scan_internal.h"

#include <stdlib.h>
#include <string.h>

/* Fields are uint32 lengths; a larger limit could not be honoured anyway. */
#define MAX_RECORD_CAP ((size_t)UINT32_MAX)

/* Stage 1 records positions as uint32 offsets into the buffer: a call with a larger window
 * (never seen in practice: windows are a record plus a decode chunk) runs scalar. */
#define SIMD_MAX_LEN ((size_t)UINT32_MAX - 4 * PL_EV_CAP)

static const char *const kernel_names[] = {"scalar", "sse42", "avx2", "neon"};

static bool cpu_has(pl_kernel k)
{
    switch (k) {
    case PL_K_SCALAR:
        return true;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    case PL_K_SSE42:
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul") &&
               __builtin_cpu_supports("popcnt");
    case PL_K_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("pclmul") &&
               __builtin_cpu_supports("popcnt");
#endif
#if defined(__aarch64__)
    case PL_K_NEON:
        return true; /* Advanced SIMD is part of the AArch64 base architecture */
#endif
    default:
        return false;
    }
}

/* Can the SIMD kernels take this dialect?  They find delimiters by byte compares over
 * whole blocks, so every byte with a meaning must be a single, distinct byte; the rest is
 * rare enough to leave to the scalar kernel. */
static bool simd_dialect(const pl_scanner *s)
{
    if (s->rdlen != 1)
        return false;
    int bytes[4] = {s->fd, s->rd0, s->quote, s->esc != s->quote ? s->esc : -1};
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (bytes[i] >= 0 && bytes[i] == bytes[j])
                return false;
    /* A CR before "\n" is cut by position, not by an event; it must not also be a
     * delimiter, quote or escape. */
    if (s->crlf)
        for (int i = 0; i < 4; i++)
            if (bytes[i] == '\r')
                return false;
    return true;
}

static pl_kernel choose_kernel(const pl_scanner *s)
{
    if (!simd_dialect(s))
        return PL_K_SCALAR;
    const char *force = getenv("PLUCK_FORCE_IMPL");
    if (force && *force) {
        for (size_t k = 0; k < PL_ARRAY_SIZE(kernel_names); k++)
            if (!strcmp(force, kernel_names[k]))
                return cpu_has((pl_kernel)k) ? (pl_kernel)k : PL_K_SCALAR;
        /* an unknown name is ignored: the automatic choice below */
    }
    if (cpu_has(PL_K_AVX2))
        return PL_K_AVX2;
    if (cpu_has(PL_K_SSE42))
        return PL_K_SSE42;
    if (cpu_has(PL_K_NEON))
        return PL_K_NEON;
    return PL_K_SCALAR;
}

static void set_kernel(pl_scanner *s, pl_kernel k)
{
    s->kernel = k;
    switch (k) {
#if defined(__x86_64__) || defined(__i386__)
    case PL_K_SSE42:
        s->stage1 = pl_stage1_sse42;
        s->fast = pl_fast_sse42;
        s->find = pl_find_sse42;
        s->skip = pl_skip_sse42;
        break;
    case PL_K_AVX2:
        s->stage1 = pl_stage1_avx2;
        s->fast = pl_fast_avx2;
        s->find = pl_find_avx2;
        s->skip = pl_skip_avx2;
        break;
#endif
#if defined(__aarch64__)
    case PL_K_NEON:
        s->stage1 = pl_stage1_neon;
        s->fast = pl_fast_neon;
        s->find = pl_find_neon;
        s->skip = pl_skip_neon;
        break;
#endif
    default:
        s->kernel = PL_K_SCALAR;
        s->stage1 = NULL;
        s->fast = NULL;
        s->find = pl_find_scalar;
        s->skip = NULL;
        break;
    }
}

static void setup_cfg(pl_scanner *s)
{
    pl_stage1_cfg *c = &s->cfg;
    c->fd = s->fd;
    c->rd = s->rd0;
    c->qon = s->quote >= 0 ? ~(uint64_t)0 : 0;
    c->eon = s->esc >= 0 && s->esc != s->quote ? ~(uint64_t)0 : 0;
    c->q = (unsigned char)(s->quote >= 0 ? s->quote : s->fd);
    c->esc = (unsigned char)(c->eon ? s->esc : s->fd);
    c->rd_masked = s->aqrd ? ~(uint64_t)0 : 0;
    unsigned char pad = 0;
    while (pad == c->fd || pad == c->rd || pad == c->q || pad == c->esc)
        pad++;
    c->pad = pad;
}

pl_scanner *pl_scanner_create(const pl_dialect *d, size_t max_record_size,
                              uint32_t batch_records)
{
    pl_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = d->field_delim;
    if (d->record_delim.len == 0 || d->record_delim.len > PL_MAX_DELIM) {
        /* Params validation rejects these; fall back to the default rather than index out
         * of range. */
        s->rd[0] = '\n';
        s->rdlen = 1;
    } else {
        memcpy(s->rd, d->record_delim.s, d->record_delim.len);
        s->rdlen = d->record_delim.len;
    }
    s->rd0 = (unsigned char)s->rd[0];
    s->crlf = s->rdlen == 1 && s->rd[0] == '\n';
    s->aqrd = d->allow_quoted_record_delim;
    s->quote = d->quote >= 0 && d->quote <= 255 ? d->quote : -1;
    /* An escape only matters inside quotes. */
    s->esc = s->quote >= 0 && d->escape >= 0 && d->escape <= 255 ? d->escape : -1;
    s->comment = d->comment >= 0 && d->comment <= 255 ? d->comment : -1;
    s->max_rec = max_record_size < MAX_RECORD_CAP ? max_record_size : MAX_RECORD_CAP;
    s->batch_cap = batch_records ? batch_records : 1;
    s->max_fields = UINT32_MAX;

    pl_batch *b = &s->batch;
    b->first = malloc(sizeof *b->first * s->batch_cap);
    b->nfields = malloc(sizeof *b->nfields * s->batch_cap);
    b->offset = malloc(sizeof *b->offset * s->batch_cap);
    b->recno = malloc(sizeof *b->recno * s->batch_cap);
    s->fcap = (size_t)s->batch_cap * 16;
    b->fields = malloc(sizeof *b->fields * s->fcap);
    if (!b->first || !b->nfields || !b->offset || !b->recno || !b->fields) {
        pl_scanner_free(s);
        return NULL;
    }

    set_kernel(s, choose_kernel(s));
    /* the skipper's masks read quoting as RFC 4180 does (a doubled quote inside quotes) and
     * lines as records */
    if (s->quote < 0 || s->esc != s->quote || !s->crlf || s->aqrd)
        s->skip = NULL;
    if (s->stage1) {
        setup_cfg(s);
        s->ev = malloc(sizeof *s->ev * PL_EV_CAP);
        if (!s->ev) {
            pl_scanner_free(s);
            return NULL;
        }
    }
    return s;
}

void pl_scanner_free(pl_scanner *s)
{
    if (!s)
        return;
    free(s->batch.first);
    free(s->batch.nfields);
    free(s->batch.offset);
    free(s->batch.recno);
    free(s->batch.fields);
    free(s->scratch);
    free(s->ev);
    free(s);
}

void pl_scanner_set_max_fields(pl_scanner *s, uint32_t max_fields) { s->max_fields = max_fields; }

uint64_t pl_scanner_recno(const pl_scanner *s) { return s->recno; }
void pl_scanner_set_recno(pl_scanner *s, uint64_t recno) { s->recno = recno; }
uint64_t pl_scanner_comments(const pl_scanner *s) { return s->comments; }
void pl_scanner_set_comments(pl_scanner *s, uint64_t n) { s->comments = n; }

size_t pl_scanner_find(const pl_scanner *s, const pl_find *f, const char *p, size_t n,
                       pl_find_pos *at)
{
    return s->find(f, p, n, at);
}

size_t pl_scanner_skip(const pl_scanner *s, const pl_skip *k, const char *p, size_t n,
                       size_t *lines)
{
    *lines = 0;
    /* the masks cannot measure a line shorter than their block */
    if (!s->skip || k->max_line < 64 || k->len == 0)
        return 0;
    return s->skip(s, k, p, n, lines);
}

const char *pl_scanner_kernel(const pl_scanner *s) { return kernel_names[s->kernel]; }

const char *pluck_scan_kernels(void)
{
    /* constant strings only: the answer depends on the build and the CPU, never on state */
#if defined(__x86_64__) || defined(__i386__)
    if (cpu_has(PL_K_AVX2))
        return "avx2 sse42 scalar (avx2 on this CPU)";
    if (cpu_has(PL_K_SSE42))
        return "avx2 sse42 scalar (sse42 on this CPU)";
    return "avx2 sse42 scalar (scalar on this CPU)";
#elif defined(__aarch64__)
    return cpu_has(PL_K_NEON) ? "neon scalar (neon on this CPU)" : "neon scalar (scalar on this CPU)";
#else
    return "scalar";
#endif
}

/* Make room for `want` fields in all. */
bool pl_scan_grow_fields(pl_scanner *s, size_t want)
{
    size_t cap = s->fcap;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / sizeof(pl_field))
            return false;
        cap *= 2;
    }
    pl_field *f = realloc(s->batch.fields, cap * sizeof *f);
    if (!f)
        return false;
    s->batch.fields = f;
    s->fcap = cap;
    return true;
}

pluck_code pl_scan(pl_scanner *s, const char *buf, size_t len, uint64_t base, bool final,
                   pl_batch **bp, size_t *consumed, pluck_error *err)
{
    pl_batch *b = &s->batch;
    b->nrec = 0;
    *bp = b;
    *consumed = 0;

    pl_scan_state st = {.buf = buf, .len = len, .base = base, .final = final,
                        .recno = s->recno, .comments = s->comments};
    if (s->stage1 && len <= SIMD_MAX_LEN)
        pl_scan_simd_loop(s, &st);
    else
        pl_scan_scalar_loop(s, &st);

    const size_t pos = st.pos, max_rec = s->max_rec;
    pl_scan_fail fail = st.fail;
    size_t fail_at = st.fail_at;
    if (fail == F_INCOMPLETE && !final) {
        /* The trailing bytes may still be a CR or the start of a multi-byte delimiter that
         * belongs to the record's end, so only what lies beyond them proves it too long. */
        size_t slack = s->crlf ? 1 : (size_t)s->rdlen - 1;
        if (len - pos > slack && len - pos - slack > max_rec) {
            fail = F_OVERSIZE;
            fail_at = pos;
        } else {
            fail = F_NONE;
        }
    }
    if (fail == F_OOM) {
        pl_error_set(err, PLUCK_E_OUT_OF_MEMORY, "out of memory while scanning CSV");
        b->nrec = 0;
        return PLUCK_E_OUT_OF_MEMORY;
    }
    if (fail == F_NONE || b->nrec > 0) {
        s->recno = st.recno;
        s->comments = st.comments;
        *consumed = pos;
        return PLUCK_OK;
    }

    pluck_code code;
    const char *what;
    switch (fail) {
    case F_OVERSIZE:
        code = PLUCK_E_OVER_MAX_RECORD_SIZE;
        what = "the record is longer than the maximum record size";
        break;
    case F_UNESCAPED_QUOTE:
        code = PLUCK_E_CSV_UNESCAPED_QUOTE;
        what = "a quote in a quoted field is not escaped (a closing quote must be followed by "
               "a field or record delimiter)";
        break;
    case F_ESCAPING_RD:
        code = PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER;
        what = "A quoted record delimiter was found in the file. To allow quoted record "
               "delimiters, set AllowQuotedRecordDelimiter to 'TRUE'.";
        break;
    default:
        code = PLUCK_E_CSV_PARSING_ERROR;
        what = "unterminated quoted field";
        break;
    }
    uint64_t rn = st.recno + 1;
    uint64_t off = base + fail_at;
    if (code == PLUCK_E_OVER_MAX_RECORD_SIZE)
        pl_error_set(err, code, "CSV error at record %llu, byte %llu: %s (%zu bytes).",
                     (unsigned long long)rn, (unsigned long long)off, what, max_rec);
    else
        pl_error_set(err, code, "CSV error at record %llu, byte %llu: %s",
                     (unsigned long long)rn, (unsigned long long)off, what);
    if (err) {
        err->record = rn;
        err->byte_offset = off;
    }
    /* Nothing is committed, so a retry over the same bytes reports the same error. */
    b->nrec = 0;
    return code;
}

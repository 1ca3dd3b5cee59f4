/*
 * fuzz_merge.c — bytes through pluck_merge (what `pluck merge` reads: partials from files,
 * pipes or other machines, pluck-partial(5)).
 *
 * Input: byte 0 seeds the chunk sizes; the rest is the partial text (the seeds are real
 * partials: aggregates with GROUP BY, FLOAT sums, ORDER BY top-n candidates).
 *
 * Checks:
 *  - the merge ends with OK or a data/request error (never InternalError, never an error
 *    code with an empty message);
 *  - fed again in other chunks, it writes the same bytes and ends with the same code: a
 *    merge does not depend on how its input is cut.
 */
#include "fuzz_common.h"

#include "pluck.h"

static int sink_write(void *opaque, const char *data, size_t len)
{
    return fz_sink_add(opaque, data, len);
}

static pluck_code merge_once(const uint8_t *p, size_t n, uint64_t seed, fz_sink *out,
                             char *msg, size_t msgcap)
{
    fz_rng rng;
    fz_rng_seed(&rng, seed);
    pluck_merge *m = pluck_merge_create(sink_write, out);
    FUZZ_CHECK(m, "pluck_merge_create failed");
    pluck_code rc = PLUCK_OK;
    size_t at = 0;
    while (at < n && !pluck_is_error(rc)) {
        size_t k = fz_rng_range(&rng, 1, 64);
        if (k > n - at)
            k = n - at;
        rc = pluck_merge_feed(m, p + at, k);
        at += k;
    }
    if (!pluck_is_error(rc))
        rc = pluck_merge_finish(m);
    const pluck_error *e = pluck_merge_error(m);
    if (pluck_is_error(rc)) {
        FUZZ_CHECK(e->message[0], "error %s without a message", pluck_code_name(rc));
        snprintf(msg, msgcap, "%s", e->message);
    }
    pluck_merge_free(m);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned seed = fz_byte(&in);
    fz_sink a = {.limit = 1 << 24}, b = {.limit = 1 << 24};
    char ma[512] = "", mb[512] = "";
    pluck_code ra = merge_once(in.p, in.n, seed, &a, ma, sizeof ma);
    pluck_code rb = merge_once(in.p, in.n, seed + 7919, &b, mb, sizeof mb);
    FUZZ_CHECK(ra != PLUCK_E_INTERNAL_ERROR, "InternalError: %s", ma);
    FUZZ_CHECK(ra == rb, "codes differ with other chunks: %s (%s) vs %s (%s)",
               pluck_code_name(ra), ma, pluck_code_name(rb), mb);
    FUZZ_CHECK(a.len == b.len && (!a.len || !memcmp(a.data, b.data, a.len)),
               "output differs with other chunks (%zu vs %zu bytes)", a.len, b.len);
    fz_sink_free(&a);
    fz_sink_free(&b);
    return 0;
}

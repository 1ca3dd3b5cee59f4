/*
 * fuzz_common.h — small helpers shared by the libFuzzer harnesses in tests/fuzz/.
 *
 * Every harness is a single C file with LLVMFuzzerTestOneInput(); scripts/fuzz.sh builds them
 * with clang -fsanitize=fuzzer,address,undefined against the library sources.  A failed
 * check calls FUZZ_CHECK's abort(), which libFuzzer reports as a crash and saves the input.
 */
#ifndef PL_FUZZ_COMMON_H
#define PL_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant: print what and where, then abort (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond, ...)                                                                \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "\nFUZZ CHECK FAILED at %s:%d: %s\n  ", __FILE__, __LINE__,      \
                    #cond);                                                                  \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* ---- consuming the input ------------------------------------------------------------- */

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline unsigned fz_byte(fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline unsigned fz_u16(fz_in *in)
{
    unsigned a = fz_byte(in);
    return a | (fz_byte(in) << 8);
}

/* A deterministic PRNG (xorshift64*) seeded from input bytes, for chunk sizes etc. */
typedef struct fz_rng {
    uint64_t s;
} fz_rng;

static inline void fz_rng_seed(fz_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    if (!r->s)
        r->s = 1;
}

static inline uint64_t fz_rng_next(fz_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* uniform-ish in [lo, hi] */
static inline size_t fz_rng_range(fz_rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(fz_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---- a growable output sink ------------------------------------------------------------ */

typedef struct fz_sink {
    char *data;
    size_t len, cap;
    size_t limit;   /* refuse (return non-zero) once more than this would be held; 0: none */
    size_t chunks;  /* write callback invocations */
    int refused;
} fz_sink;

static inline int fz_sink_add(fz_sink *s, const char *p, size_t n)
{
    if (s->limit && s->len + n > s->limit) {
        s->refused = 1;
        return 1;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d)
            abort();
        s->data = d;
        s->cap = cap;
    }
    if (n)
        memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = 0;
    return 0;
}

static inline void fz_sink_reset(fz_sink *s)
{
    s->len = 0;
    s->chunks = 0;
    s->refused = 0;
}

static inline void fz_sink_free(fz_sink *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

/* Dump bytes in C-string form to stderr (for a failed check's context). */
static inline void fz_dump(const char *what, const void *p, size_t n)
{
    const unsigned char *b = p;
    fprintf(stderr, "  %s (%zu bytes): \"", what, n);
    for (size_t i = 0; i < n && i < 400; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\')
            fputc(b[i], stderr);
        else
            fprintf(stderr, "\\x%02x", b[i]);
    }
    fprintf(stderr, "\"%s\n", n > 400 ? "..." : "");
}

#endif /* PL_FUZZ_COMMON_H */

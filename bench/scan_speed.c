/*
 * scan_speed.c — throughput of the CSV scanner alone (no decompression, no SQL).
 *
 * Generates TPC-H lineitem-like text in memory ('|'-delimited, 16 columns plus dbgen's
 * trailing '|', about 130 bytes a line) and runs pl_scan over it the way the run does: in
 * windows of a fixed size, keeping the unconsumed tail.  Reports MB/s for all fields and for
 * the first 11 and 7 (projection pushdown), next to a bare memchr line count as the ceiling, for
 * every scan kernel this machine runs (chosen through PLUCK_FORCE_IMPL).  A second input,
 * the same text with the comment and the ship instruction quoted (one with a doubled quote
 * now and then), shows the quoted-record path.
 *
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
 *      bench/scan_speed.c build/rel/libpluck.a -o scan_speed -lm   (or `sh bench/run.sh` builds it)
 *   ./scan_speed [megabytes (default 200)] [window KiB (default 1024)]
 */
#include "scan/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(uint32_t n)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return (uint32_t)(x % n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t gen_line(char *o, uint64_t orderkey, int line, bool quoted)
{
    static const char *instr[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"};
    static const char *mode[] = {"TRUCK", "MAIL", "REG AIR", "AIR", "FOB", "RAIL", "SHIP"};
    static const char *words[] = {"furiously", "regular", "courts", "above", "the", "slyly",
                                  "final", "pending", "ideas", "among", "carefully", "bold"};
    char comment[64];
    size_t cl = 0;
    int nw = 2 + (int)rnd(4);
    for (int i = 0; i < nw; i++) {
        const char *w = words[rnd(12)];
        size_t wl = strlen(w);
        if (cl + wl + 1 >= sizeof comment)
            break;
        if (i)
            comment[cl++] = ' ';
        memcpy(comment + cl, w, wl);
        cl += wl;
    }
    comment[cl] = 0;
    /* Drawn one by one: the order of evaluation of function arguments is unspecified, and
     * the data must not depend on the compiler. */
    uint32_t v[12];
    for (int i = 0; i < 12; i++) {
        static const uint32_t range[12] = {200000, 10000, 50, 100000, 100, 11, 9, 3, 2, 7, 12, 28};
        v[i] = rnd(range[i]);
    }
    int y = 1992 + (int)(v[9] % 7), m = 1 + (int)v[10], d = 1 + (int)v[11];
    const char *in = instr[rnd(4)], *md = mode[rnd(7)];
    if (quoted) {
        bool dq = rnd(10) == 0;
        return (size_t)sprintf(o,
                               "%llu|%u|%u|%d|%u|%u.%02u|0.%02u|0.%02u|%c|%c|%04d-%02d-%02d|"
                               "%04d-%02d-%02d|%04d-%02d-%02d|\"%s\"|%s|\"%s%s\"|\n",
                               (unsigned long long)orderkey, 1 + v[0], 1 + v[1], line,
                               1 + v[2], 900 + v[3], v[4], v[5], v[6], "NRA"[v[7]],
                               "OF"[v[8]], y, m, d, y, m, d % 28 + 1, y, m % 12 + 1, d, in, md,
                               comment, dq ? " \"\"so\"\" |" : "");
    }
    return (size_t)sprintf(o,
                           "%llu|%u|%u|%d|%u|%u.%02u|0.%02u|0.%02u|%c|%c|%04d-%02d-%02d|"
                           "%04d-%02d-%02d|%04d-%02d-%02d|%s|%s|%s|\n",
                           (unsigned long long)orderkey, 1 + v[0], 1 + v[1], line, 1 + v[2],
                           900 + v[3], v[4], v[5], v[6], "NRA"[v[7]], "OF"[v[8]], y, m, d, y, m,
                           d % 28 + 1, y, m % 12 + 1, d, in, md, comment);
}

static uint64_t scan_all(const char *data, size_t n, size_t window, uint32_t maxf,
                         uint64_t *recs)
{
    pl_dialect d;
    memset(&d, 0, sizeof d);
    d.field_delim = '|';
    d.record_delim.s[0] = '\n';
    d.record_delim.len = 1;
    d.quote = '"';
    d.escape = '"';
    d.comment = '#';
    pl_scanner *s = pl_scanner_create(&d, 1 << 20, 1024);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    pl_scanner_set_max_fields(s, maxf);
    uint64_t sum = 0;
    size_t pos = 0;
    *recs = 0;
    while (pos < n) {
        /* The window is a slice of the input that starts at a record boundary, as in a run
         * after the tail has been slid to the front. */
        size_t len = n - pos < window ? n - pos : window;
        bool final = pos + len == n;
        pl_batch *b;
        size_t used;
        pluck_error err;
        pluck_code rc = pl_scan(s, data + pos, len, pos, final, &b, &used, &err);
        if (rc != PLUCK_OK) {
            fprintf(stderr, "scan error: %s\n", err.message);
            exit(1);
        }
        for (uint32_t i = 0; i < b->nrec; i++)
            sum += b->nfields[i] ? b->fields[b->first[i]].len : 0;
        *recs += b->nrec;
        if (used == 0) {
            fprintf(stderr, "window too small\n");
            exit(1);
        }
        pos += used;
    }
    pl_scanner_free(s);
    return sum;
}

/* Does PLUCK_FORCE_IMPL=name give that kernel on this machine? */
static bool kernel_runs(const char *name)
{
    pl_dialect d;
    memset(&d, 0, sizeof d);
    d.field_delim = '|';
    d.record_delim.s[0] = '\n';
    d.record_delim.len = 1;
    d.quote = '"';
    d.escape = '"';
    pl_scanner *s = pl_scanner_create(&d, 1 << 20, 16);
    bool ok = s && !strcmp(pl_scanner_kernel(s), name);
    pl_scanner_free(s);
    return ok;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t c = 0;
    const char *e = p + n;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

static void measure(const char *data, size_t n, size_t window)
{
    double mbytes = (double)n / 1e6;
    static const char *const kernels[] = {"scalar", "sse42", "avx2", "neon"};
    const uint32_t maxfs[] = {UINT32_MAX, 11, 7}; /* 11: TPC-H Q6 reads _5.._11 */
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++) {
        setenv("PLUCK_FORCE_IMPL", kernels[ki], 1);
        if (!kernel_runs(kernels[ki]))
            continue;
        for (size_t k = 0; k < sizeof maxfs / sizeof maxfs[0]; k++) {
            double best = 1e9;
            uint64_t recs = 0, sum = 0;
            for (int rep = 0; rep < 5; rep++) {
                double t = now();
                sum += scan_all(data, n, window, maxfs[k], &recs);
                t = now() - t;
                if (t < best)
                    best = t;
            }
            char label[32];
            if (maxfs[k] == UINT32_MAX)
                snprintf(label, sizeof label, "all");
            else
                snprintf(label, sizeof label, "%u", maxfs[k]);
            printf("  %-6s max_fields=%-4s %8.0f MB/s  (%.1f M records/s, %llu records)\n",
                   kernels[ki], label, mbytes / best, (double)recs / best / 1e6,
                   (unsigned long long)recs);
            if (sum == 0)
                exit(1);
        }
    }
    unsetenv("PLUCK_FORCE_IMPL");
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 200;
    size_t window = (argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1024) * 1024;
    size_t cap = mb << 20;
    char *data = malloc(cap + 512);
    if (!data) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int quoted = 0; quoted < 2; quoted++) {
        rng_state = 0x2545F4914F6CDD1Dull;
        size_t n = 0;
        uint64_t ok = 1;
        while (n < cap) {
            int lines = 1 + (int)rnd(7);
            for (int l = 1; l <= lines && n < cap; l++)
                n += gen_line(data + n, ok, l, quoted);
            ok++;
        }
        double mbytes = (double)n / 1e6;
        printf("input: %.1f MB of lineitem-like text%s, window %zu KiB\n", mbytes,
               quoted ? " with 2 quoted fields a record" : "", window >> 10);
        double best = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            double t = now();
            size_t c = count_lines(data, n);
            t = now() - t;
            if (t < best)
                best = t;
            if (c == 0)
                return 1;
        }
        printf("  memchr line count (ceiling): %8.0f MB/s\n", mbytes / best);
        measure(data, n, window);
    }
    free(data);
    return 0;
}

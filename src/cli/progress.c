/*
 * progress.c — see progress.h.  Redraws at most 5 times a second and only after half a
 * second, so short runs never flash a bar.
 */
#include "cli/progress.h"

#include <stdio.h>
#include <time.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pl_progress_init(pl_progress *p, const char *name)
{
    p->name = name;
    p->start = p->last = mono();
    p->drawn = 0;
}

static void human(double v, char *out, size_t cap)
{
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

int pl_progress_update(void *opaque, const pluck_stats *st)
{
    pl_progress *p = opaque;
    double t = mono();
    if (t - p->start < 0.5 || t - p->last < 0.2)
        return 0;
    p->last = t;
    double el = t - p->start;
    char done[32], rate[32];
    human((double)st->bytes_processed, done, sizeof done);
    human((double)st->bytes_processed / el, rate, sizeof rate);
    if (st->source_size) {
        double frac = (double)st->bytes_scanned / (double)st->source_size;
        if (frac > 1)
            frac = 1;
        int w = 30, fill = (int)(frac * w);
        char bar[32];
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[w] = '\0';
        double eta = frac > 0 ? el / frac - el : 0;
        fprintf(stderr, "\r[%s] %3.0f%% %s %s/s ETA %.0fs  ", bar, frac * 100, done, rate, eta);
    } else {
        fprintf(stderr, "\r%s: %s %s/s  ", p->name, done, rate);
    }
    fflush(stderr);
    p->drawn = 1;
    return 0;
}

void pl_progress_clear(pl_progress *p)
{
    if (p->drawn)
        fprintf(stderr, "\r\033[K");
}

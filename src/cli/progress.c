/*
 * progress.c — see progress.h.  Redraws at most 5 times a second and only after half a
 * second, so short runs never flash a bar.  The signal handlers only set a flag (SIGWINCH)
 * or write the clearing sequence with write(2) and re-raise (SIGINT, SIGTERM).
 */
#include "cli/progress.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t bar_on_screen; /* a bar is drawn: a signal must clear it */
static volatile sig_atomic_t winch;         /* the terminal was resized */

static void on_winch(int sig)
{
    (void)sig;
    winch = 1;
}

static void on_fatal(int sig)
{
    if (bar_on_screen) {
        static const char clr[] = "\r\033[K";
        ssize_t n = write(STDERR_FILENO, clr, sizeof clr - 1);
        (void)n;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void pl_progress_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_winch;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &sa, NULL);
    sa.sa_handler = on_fatal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

void pl_progress_init(pl_progress *p, const char *name)
{
    p->name = name;
    p->start = p->last = mono();
    p->drawn = 0;
    p->width = term_width();
    p->line[0] = '\0';
    p->hold = 0;
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
    if (winch) {
        winch = 0;
        p->width = term_width();
        p->last = 0; /* redraw at the new width now */
    }
    if (t - p->start < 0.5 || t - p->last < 0.2)
        return 0;
    p->last = t;
    double el = t - p->start;
    char done[32], rate[32], text[160], line[sizeof p->line];
    human((double)st->bytes_processed, done, sizeof done);
    human((double)st->bytes_processed / el, rate, sizeof rate);
    int room = p->width - 1; /* the last column would wrap on some terminals */
    if (room > (int)sizeof line - 1)
        room = (int)sizeof line - 1;
    if (room < 1)
        return 0;
    if (st->source_size) {
        double frac = (double)st->bytes_scanned / (double)st->source_size;
        if (frac > 1)
            frac = 1;
        double eta = frac > 0 ? el / frac - el : 0;
        int tl = snprintf(text, sizeof text, " %3.0f%% %s %s/s ETA %.0fs", frac * 100, done, rate,
                          eta);
        int w = room - tl - 2; /* "[" bar "]" */
        if (w > 30)
            w = 30;
        if (w >= 5) {
            int fill = (int)(frac * w);
            line[0] = '[';
            for (int i = 0; i < w; i++)
                line[1 + i] = i < fill ? '=' : ' ';
            line[1 + w] = ']';
            snprintf(line + 2 + w, sizeof line - 2 - (size_t)w, "%s", text);
        } else {
            snprintf(line, sizeof line, "%s", text + 1);
        }
    } else {
        snprintf(line, sizeof line, "%s: %s %s/s", p->name, done, rate);
    }
    line[room] = '\0'; /* never wider than the terminal: a wrapped bar leaves lines behind */
    memcpy(p->line, line, sizeof p->line);
    pl_progress_redraw(p);
    return 0;
}

void pl_progress_redraw(pl_progress *p)
{
    if (!p->line[0] || p->hold)
        return;
    fprintf(stderr, "\r%s\033[K", p->line);
    fflush(stderr);
    p->drawn = 1;
    bar_on_screen = 1;
}

void pl_progress_clear(pl_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
    bar_on_screen = 0;
}

/*
 * guard.c — the connection guard (see guard.h): a list of open connections with the time
 * each began waiting for request headers, and a thread that closes the ones over their
 * deadline, or the oldest waiting ones when slots run short.
 *
 * Closing is shutdown(2) on the connection's socket, under the list lock: microhttpd calls
 * the CLOSED notification (which takes the same lock) before it closes the descriptor, so
 * the descriptor shut down is always still the connection's own.  The connection's thread
 * then sees end of file and tears the connection down as after any client hang-up.
 */
#define _GNU_SOURCE
#include "server/guard.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn_ent {
    struct conn_ent *prev, *next;
    struct MHD_Connection *c;
    int fd;
    int waiting;     /* waiting for request headers (or for the next request) */
    int closing;     /* shut down by the guard */
    double since;    /* when it began waiting */
    pl_guard *g;
} conn_ent;

struct pl_guard {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int stop;
    conn_ent head; /* circular list */
    unsigned n, max, reserve;
    double timeout;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cut(conn_ent *e)
{
    if (!e->closing) {
        e->closing = 1;
        shutdown(e->fd, SHUT_RDWR);
    }
}

static void sweep(pl_guard *g)
{
    double now = mono();
    unsigned live = 0;
    for (conn_ent *e = g->head.next; e != &g->head; e = e->next) {
        if (!e->closing && e->waiting && now - e->since > g->timeout)
            cut(e);
        live += !e->closing;
    }
    /* short of slots: the connections waiting longest for headers go first */
    while (g->max && live + g->reserve > g->max) {
        conn_ent *old = NULL;
        for (conn_ent *e = g->head.next; e != &g->head; e = e->next)
            if (!e->closing && e->waiting && now - e->since > 1.0 &&
                (!old || e->since < old->since))
                old = e;
        if (!old)
            break;
        cut(old);
        live--;
    }
}

static void *run(void *arg)
{
    pl_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g->cond, &g->lock, &ts);
        if (!g->stop)
            sweep(g);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

pl_guard *pl_guard_start(unsigned max_conns, unsigned reserve, unsigned header_timeout_s)
{
    pl_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->head.next = g->head.prev = &g->head;
    g->max = max_conns;
    g->reserve = reserve;
    g->timeout = header_timeout_s ? header_timeout_s : 1;
    if (pthread_create(&g->thread, NULL, run, g)) {
        free(g);
        return NULL;
    }
    return g;
}

void pl_guard_stop(pl_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    /* entries of connections still open are freed by their CLOSED notification */
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
    free(g);
}

void pl_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
    pl_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_ent *e = calloc(1, sizeof *e);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = e;
        if (!e || !ci)
            return;
        e->c = c;
        e->fd = ci->connect_fd;
        e->waiting = 1;
        e->since = mono();
        e->g = g;
        pthread_mutex_lock(&g->lock);
        e->next = &g->head;
        e->prev = g->head.prev;
        e->prev->next = e;
        g->head.prev = e;
        g->n++;
        sweep(g); /* a new connection may leave too few slots free */
        pthread_mutex_unlock(&g->lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_ent *e = *socket_context;
        *socket_context = NULL;
        if (!e)
            return;
        if (e->g) {
            pthread_mutex_lock(&g->lock);
            e->prev->next = e->next;
            e->next->prev = e->prev;
            g->n--;
            pthread_mutex_unlock(&g->lock);
        }
        free(e);
    }
}

static void set_waiting(struct MHD_Connection *c, int waiting)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_ent *e = ci ? ci->socket_context : NULL;
    if (!e || !e->g)
        return;
    pthread_mutex_lock(&e->g->lock);
    e->waiting = waiting;
    e->since = mono();
    pthread_mutex_unlock(&e->g->lock);
}

void pl_guard_headers_done(struct MHD_Connection *c)
{
    set_waiting(c, 0);
}

void pl_guard_request_done(struct MHD_Connection *c)
{
    set_waiting(c, 1);
}

unsigned pl_guard_count(pl_guard *g)
{
    pthread_mutex_lock(&g->lock);
    unsigned n = g->n;
    pthread_mutex_unlock(&g->lock);
    return n;
}

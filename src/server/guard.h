/*
 * guard.h — the connection guard of `pluck serve`: who may hold a connection slot, and for
 * how long (finding 5 of issue 13: 256 slowloris connections locked signed clients out).
 *
 * microhttpd gives one thread per connection and refuses connections past its limit; the
 * guard watches every connection between its start and its close (MHD's connection
 * notifications) and closes, with shutdown(2), those that hold a slot without sending a
 * request:
 *  - a request's headers (and an idle keep-alive connection's next request) must arrive
 *    within --header-timeout seconds as a whole, however slowly the bytes trickle;
 *  - when fewer than `reserve` slots are free, connections waiting for headers for more
 *    than a second are closed, oldest first, until `reserve` slots are free again, so a
 *    client that sends its request at once (a signed SDK) still finds a slot.
 * The per-address limit is microhttpd's own (MHD_OPTION_PER_IP_CONNECTION_LIMIT).
 */
#ifndef PL_GUARD_H
#define PL_GUARD_H

#include <microhttpd.h>

typedef struct pl_guard pl_guard;

pl_guard *pl_guard_start(unsigned max_conns, unsigned reserve, unsigned header_timeout_s);
void pl_guard_stop(pl_guard *g); /* accepts NULL */
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard). */
void pl_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
/* The connection's request headers are complete / its request is done. */
void pl_guard_headers_done(struct MHD_Connection *c);
void pl_guard_request_done(struct MHD_Connection *c);
/* Connections open now (for tests and -v). */
unsigned pl_guard_count(pl_guard *g);

#endif

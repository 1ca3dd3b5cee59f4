/*
 * main.c — the pluck-serve executable: `pluck serve ARGS` runs it (src/cli/main.c), and so
 * can a user directly.  It is its own program so that the pluck filter does not load
 * libmicrohttpd and its TLS stack (a few milliseconds at every start) to run a query.
 */
#include "server/serve.h"

int main(int argc, char **argv) { return pl_serve_main(argc, argv); }

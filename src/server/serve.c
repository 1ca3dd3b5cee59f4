/*
 * serve.c — placeholder until the endpoint lands: `pluck serve` is not built yet.
 * (The server engineer replaces this file.)
 */
#include "server/serve.h"

#include <stdio.h>

int pl_serve_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "pluck: serve: not implemented in this build\n");
    return 2;
}

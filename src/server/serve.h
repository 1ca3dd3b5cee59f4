/*
 * serve.h — `pluck serve`: the S3-compatible HTTP select endpoint (see man/pluck-serve.1).
 */
#ifndef PL_SERVE_H
#define PL_SERVE_H

/* Entry point for `pluck serve ARGS...`; argv[0] is "serve".  Returns the exit status. */
int pl_serve_main(int argc, char **argv);

#endif

/*
 * merge.h — `pluck merge PARTIAL...`: combines partial aggregates (pluck --partial) into the
 * final result (merge.c).
 */
#ifndef PL_CLI_MERGE_H
#define PL_CLI_MERGE_H

/* argv[0] is "merge"; returns the exit status. */
int pl_cli_merge(int argc, char **argv);

#endif /* PL_CLI_MERGE_H */

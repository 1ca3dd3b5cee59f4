/*
 * archive.h — zip and tar archives (also .tar.gz, .tar.zst, .tar.bz2, .tar.xz) read through
 * libarchive, streaming: each member is pushed into the run (pluck_run_feed) as libarchive
 * decodes it and ended with pluck_run_end_input(), so the members form one table.  Only the
 * CLI links libarchive; the library never sees an archive.
 */
#ifndef PL_CLI_ARCHIVE_H
#define PL_CLI_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "pluck.h"

/* True when the regular file at fd (named path) is a zip or tar archive: by its magic
 * bytes (zip; "ustar" at byte 257), or a compressed file whose name ends in .tar.* / .tgz /
 * .tbz2 / .txz / .tzst.  Reads with pread(), so the position of fd is unchanged. */
bool pl_archive_detect(int fd, const char *path);

/* Push the regular-file members of the archive at fd (all of them, or only the one named
 * `member`) into r, ending each with pluck_run_end_input().  Directory entries and macOS
 * resource forks (__MACOSX/, ._*) are skipped.  `current` (cur_cap bytes) holds the name
 * of the member being read, for error messages.  Returns PLUCK_OK or PLUCK_STOP; or an error code of the
 * run; or PLUCK_E_READ_ERROR with msg (cap bytes) filled when the archive itself is bad or
 * the member is missing. */
pluck_code pl_archive_run(pluck_run *r, int fd, const char *member, char *current,
                          size_t cur_cap, char *msg, size_t cap);

#endif

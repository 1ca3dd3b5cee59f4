/*
 * archive.c — see archive.h.
 */
#include "cli/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARCHIVE_BLOCK (256 * 1024)

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

bool pl_archive_detect(int fd, const char *path)
{
    unsigned char b[512];
    ssize_t n = pread(fd, b, sizeof b, 0);
    if (n < 4)
        return false;
    if (b[0] == 'P' && b[1] == 'K' && ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6)))
        return true;
    if (n >= 262 && !memcmp(b + 257, "ustar", 5))
        return true;
    bool compressed = (b[0] == 0x1f && b[1] == 0x8b) || !memcmp(b, "\x28\xb5\x2f\xfd", 4) ||
                      !memcmp(b, "BZh", 3) || !memcmp(b, "\xfd" "7zXZ", 5);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return compressed && (strstr(base, ".tar.") || ends_with(base, ".tgz") ||
                          ends_with(base, ".tbz2") || ends_with(base, ".tbz") ||
                          ends_with(base, ".txz") || ends_with(base, ".tzst"));
}

static bool skipped_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return !strncmp(name, "__MACOSX/", 9) || !strncmp(base, "._", 2);
}

pluck_code pl_archive_run(pluck_run *r, int fd, const char *member, char *current,
                          size_t cur_cap, char *msg, size_t cap)
{
    struct archive *a = archive_read_new();
    char *buf = malloc(ARCHIVE_BLOCK);
    char seen[256] = ""; /* member names, for "no member" */
    size_t seen_len = 0;
    pluck_code rc = PLUCK_OK;
    int found = 0;
    if (!a || !buf) {
        snprintf(msg, cap, "out of memory");
        rc = PLUCK_E_OUT_OF_MEMORY;
        goto out;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, ARCHIVE_BLOCK) != ARCHIVE_OK) {
        snprintf(msg, cap, "not a readable archive: %s", archive_error_string(a));
        rc = PLUCK_E_READ_ERROR;
        goto out;
    }
    struct archive_entry *e;
    int ar;
    while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
        const char *name = archive_entry_pathname(e);
        if (!name || archive_entry_filetype(e) != AE_IFREG || skipped_name(name))
            continue;
        if (seen_len + strlen(name) + 3 < sizeof seen)
            seen_len += (size_t)snprintf(seen + seen_len, sizeof seen - seen_len, "%s'%s'",
                                         seen_len ? ", " : "", name);
        else if (seen_len + 5 < sizeof seen && !strstr(seen, ", ..."))
            seen_len += (size_t)snprintf(seen + seen_len, sizeof seen - seen_len, ", ...");
        if (member && strcmp(name, member))
            continue;
        found++;
        snprintf(current, cur_cap, "%s", name);
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, ARCHIVE_BLOCK);
            if (n < 0) {
                snprintf(msg, cap, "member '%s': %s", name, archive_error_string(a));
                rc = PLUCK_E_READ_ERROR;
                goto out;
            }
            if (n == 0)
                break;
            rc = pluck_run_feed(r, buf, (size_t)n);
            if (rc != PLUCK_OK)
                goto out;
        }
        rc = pluck_run_end_input(r);
        if (rc != PLUCK_OK)
            goto out;
        if (member)
            break;
    }
    if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN && ar != ARCHIVE_EOF) {
        snprintf(msg, cap, "bad archive: %s", archive_error_string(a));
        rc = PLUCK_E_READ_ERROR;
    } else if (member && !found) {
        snprintf(msg, cap, "no member '%s' in the archive (members: %s)", member,
                 seen_len ? seen : "none");
        rc = PLUCK_E_READ_ERROR;
    }
out:
    if (a)
        archive_read_free(a);
    free(buf);
    return rc;
}

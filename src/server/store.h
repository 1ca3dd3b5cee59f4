/*
 * store.h — buckets and objects as directories and files under the server root.
 *
 * Buckets are the directories directly under the root whose names are valid S3 bucket names
 * (so ".", "..", hidden directories and the server's own ".pluck-uploads" can never be one);
 * keys are paths beneath them.  Every lookup walks the key one component at a time with
 * openat(O_NOFOLLOW), starting from a directory descriptor of the root opened once at start:
 * symbolic links are never followed, ".." and "." components and empty components are
 * refused before any system call, and a NUL byte cannot reach a path.  So no key, however
 * encoded, names anything outside the root.
 *
 * Writes go to a temporary file (".pluck-tmp-*") in the destination directory and are
 * renamed over the final name only when complete and verified, so a failed or interrupted
 * upload never leaves a partial object visible.  Listings skip the temporary files.
 */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define PL_TMP_PREFIX ".pluck-tmp-"
#define PL_UPLOADS_DIR ".pluck-uploads"
#define PL_MAX_KEY 1024

int pl_valid_bucket(const char *name);
/* NULL when the key can be stored, else a short reason. */
const char *pl_key_problem(const char *key, size_t len);
/* The S3 code for a reason pl_key_problem() gave: KeyTooLongError for a key over 1024
 * bytes or a path component over 255 (the file system's NAME_MAX), else InvalidArgument. */
const char *pl_key_problem_code(const char *problem);

/* Open the bucket directory (O_NOFOLLOW); -errno on failure. */
int pl_open_bucket(int rootfd, const char *bucket);
/* Open the directory that holds key's last component, creating missing directories when
 * create is set; *leaf points into key.  -errno on failure (ELOOP: a symlink was met). */
int pl_open_parent(int bucketfd, const char *key, int create, const char **leaf);
/* Open an object for reading; fills *st; -errno (ENOENT also for directories). */
int pl_open_object(int rootfd, const char *bucket, const char *key, struct stat *st);
/* Remove empty directories from key's parent up to (not including) the bucket. */
void pl_prune_dirs(int bucketfd, const char *key);
/* 1 when the bucket directory holds no object (temporary files and empty directories do not
 * count), 0 when it does, -errno on error. */
int pl_bucket_empty(int bucketfd);
/* Remove a bucket whose tree holds only empty directories; -errno on failure. */
int pl_remove_bucket(int rootfd, const char *bucket);

/* Walk the objects of a bucket in S3 key order (UTF-8 byte order).  `after` (may be NULL)
 * skips keys <= after; `prefix` (may be NULL) restricts to keys starting with it.  The
 * callback gets the key, the directory holding the file and its name there; it returns 0 to
 * go on, 1 to stop. */
typedef int (*pl_walk_fn)(void *ctx, const char *key, int dirfd, const char *leaf,
                          const struct stat *st);
int pl_walk_bucket(int bucketfd, const char *prefix, const char *after, pl_walk_fn fn, void *ctx);

/* A random hex name component (n hex digits). */
void pl_random_hex(char *out, size_t n);
/* At start: remove the temporary upload files (.pluck-tmp-*) a crash left anywhere under the
 * root, multipart upload directories included; the number removed. */
size_t pl_clean_tmp(int rootfd);

#endif

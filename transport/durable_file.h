/* durable_file.h -- crash-safe small files for the agent's state directory.
 *
 * Keys, the report sequence counter and spooled reports must survive power
 * loss without ever being seen half-written: write a temporary file, fsync
 * it, rename it over the target, fsync the directory. */
#ifndef MAMORI_DURABLE_FILE_H
#define MAMORI_DURABLE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Suffix of temporary files; readers of a directory skip and clean them. */
#define MAMORI_TMP_SUFFIX ".tmp"

/* Atomically replace path with data (mode for a new file).  0 on success;
 * -1 with errno set and a message naming the file in err. */
int mamori_durable_write(const char *path, const void *data, size_t len, mode_t mode, char *err,
                         size_t errlen);

/* Test seam: when set, called after the temporary file is fsync'd and
 * before it is renamed (crash tests kill the process here).  NULL in
 * production. */
extern void (*mamori_durable_before_rename)(const char *tmp_path);

/* fsync the directory holding path (after a rename or unlink). */
int mamori_fsync_parent(const char *path);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated buffer.
 * NULL with errno set (EFBIG when larger than max). */
char *mamori_read_file(const char *path, size_t max, size_t *len);

/* mkdir -p with mode for missing components.  0 or -1 with errno. */
int mamori_mkdirs(const char *path, mode_t mode);

#endif /* MAMORI_DURABLE_FILE_H */

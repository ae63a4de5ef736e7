/* spool.h -- durable, bounded, ordered queue of reports on disk.
 *
 * Every report is in the spool before anything tries to send it, and leaves
 * it only when the collector acknowledges it, so nothing is lost across
 * collector outages, agent restarts or power loss.
 *
 * Layout under the spool directory:
 *   <seq, 20 digits>.json   one sealed report payload (written .tmp, fsync,
 *                           rename, fsync dir); delivery is in seq order and
 *                           the courier signs it when it sends it
 *   <seq, 20 digits>.jws    a report spooled already signed (mamori 0.1.0
 *                           did so); delivered as it is
 *   rejected/<seq>.<ext>    reports the collector refused as replays; kept
 *                           for inspection, never retried
 *   dropped                 count of reports dropped for space, not yet
 *                           announced in a report
 * *.tmp files are leftovers of a crash mid-write and are removed on open.
 *
 * Bounds (defaults MAMORI_SPOOL_MAX_FILES / MAMORI_SPOOL_MAX_BYTES): when a
 * new report would exceed them, the OLDEST reports are dropped and counted,
 * because the newest posture matters most.  When the disk itself is full the
 * new report is refused with a clear error and nothing old is touched. */
#ifndef MAMORI_SPOOL_H
#define MAMORI_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAMORI_SPOOL_MAX_FILES 10000
#define MAMORI_SPOOL_MAX_BYTES (64ull * 1024 * 1024)

struct mamori_spool;

struct mamori_spool_stats {
    size_t count;
    uint64_t bytes;
    uint64_t oldest_seq; /* 0 when empty */
    uint64_t newest_seq;
    time_t oldest_time; /* mtime of the oldest file, 0 when empty */
    uint64_t dropped;   /* not yet announced */
    size_t rejected;
};

/* Open (creating) the spool directory.  max_files/max_bytes 0 = defaults. */
struct mamori_spool *mamori_spool_open(const char *dir, size_t max_files, uint64_t max_bytes,
                                       char *err, size_t errlen);
void mamori_spool_close(struct mamori_spool *sp);

/* Open for looking only (mamorictl queue while the agent runs): creates
 * nothing and removes no *.tmp file that a live writer may be filling. */
struct mamori_spool *mamori_spool_inspect(const char *dir, char *err, size_t errlen);

/* Store one report payload (<seq>.json).  Drops the oldest reports if the bounds require (the
 * number dropped is added to *dropped_now when non-NULL).  -1 with a clear
 * message on failure (e.g. disk full); older reports are untouched then. */
int mamori_spool_put(struct mamori_spool *sp, uint64_t seq, const char *data, size_t len,
                     size_t *dropped_now, char *err, size_t errlen);

/* Oldest report: 0 and a malloc'd copy, 1 when empty, -1 on read error.
 * *signed_jws (optional) tells a spooled JWS from a payload to sign. */
int mamori_spool_peek_oldest(struct mamori_spool *sp, uint64_t *seq, char **data, size_t *len,
                             bool *signed_jws, char *err, size_t errlen);

/* Remove an acknowledged report. */
int mamori_spool_ack(struct mamori_spool *sp, uint64_t seq, char *err, size_t errlen);

/* Move a refused report to rejected/ (it will not be retried). */
int mamori_spool_reject(struct mamori_spool *sp, uint64_t seq, char *err, size_t errlen);

/* Dropped count not yet announced; clear it once a report carrying it is
 * safely spooled. */
uint64_t mamori_spool_dropped(const struct mamori_spool *sp);
int mamori_spool_clear_dropped(struct mamori_spool *sp, uint64_t announced, char *err,
                               size_t errlen);

void mamori_spool_stats(const struct mamori_spool *sp, struct mamori_spool_stats *out);

/* seq of the i-th queued report in delivery order (i < count). */
uint64_t mamori_spool_seq_at(const struct mamori_spool *sp, size_t i);

#endif /* MAMORI_SPOOL_H */

/* outbox.h -- the agent's side of delivery: what waits on disk for the
 * collector, with no cryptography and no network.
 *
 * The resident agent owns one mamori_outbox.  put() seals a report (next
 * durable seq, the pending events, the spool's drop count) and writes the
 * payload into the spool (write, fsync, rename) before anything is sent;
 * oldest()/ack()/reject() walk the spool in seq order as the courier
 * (agent/courier.c, a separate unprivileged process) reports what the
 * collector answered.  Events are appended durably to
 * <state>/events.pending and travel in the next report put() seals.
 *
 * Signing is not done here: the payload is signed by whoever sends it
 * (the courier, `mamorictl report`), with the device key only they load.
 * Ed25519 is deterministic, so a payload signed again after a retry gives
 * byte-identical JWS.
 *
 * Retries back off exponentially with full jitter: mamori_backoff_delay(). */
#ifndef MAMORI_OUTBOX_H
#define MAMORI_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "spool.h"

#define MAMORI_BACKOFF_BASE_S      5
#define MAMORI_BACKOFF_MAX_S       (15 * 60)
#define MAMORI_EVENTS_PENDING_FILE "events.pending"
#define MAMORI_EVENTS_PENDING_MAX  (1024 * 1024)
/* Event emitted when the collector refuses a report as a replay. */
#define MAMORI_EV_REPORT_REJECTED "report.rejected"

struct mamori_outbox;

/* One queued report, as the courier needs it. */
struct mamori_outbox_item {
    uint64_t seq;
    char *data; /* malloc'd: the payload, or a JWS when signed_jws */
    size_t len;
    bool signed_jws;
};

/* Open <state_dir>/spool (creating it and the state directory, 0700).
 * max_files/max_bytes 0 = the spool's defaults.  NULL with a message. */
struct mamori_outbox *mamori_outbox_open(const char *state_dir, size_t max_files,
                                         uint64_t max_bytes, char *err, size_t errlen);
void mamori_outbox_close(struct mamori_outbox *ob);

/* Durably remember an event for the next report (takes ownership).
 * -1 with a message naming the file when it cannot be kept. */
int mamori_outbox_add_event(struct mamori_outbox *ob, cJSON *event, char *err, size_t errlen);

/* The same for every event of a JSON array (taken), with one fsync: the
 * agent gathers what one wake-up produced, so a burst of USB decisions does
 * not wait for a disk flush per event. */
int mamori_outbox_add_events(struct mamori_outbox *ob, cJSON *events, char *err, size_t errlen);

/* Seal a report (mamori_report_build; taken): assign the next seq, add the
 * pending events and the spool's drop count; give the payload text
 * (malloc'd).  The pending events stay pending: for `mamorictl report`,
 * which prints a report without spooling it.  NULL with a message. */
char *mamori_outbox_seal(struct mamori_outbox *ob, cJSON *report, uint64_t *seq, char *err,
                         size_t errlen);

/* Seal and spool a report (taken).  Once it is durable, the pending events
 * and the announced drop count are cleared.  *seq_out (optional) is its seq.
 * -1 with a message: the events stay pending for the next attempt. */
int mamori_outbox_put(struct mamori_outbox *ob, cJSON *report, uint64_t *seq_out, char *err,
                      size_t errlen);

/* The oldest queued report: 0, 1 when the spool is empty, -1 on error. */
int mamori_outbox_oldest(struct mamori_outbox *ob, struct mamori_outbox_item *item, char *err,
                         size_t errlen);
void mamori_outbox_item_free(struct mamori_outbox_item *item);

/* The collector stored seq (accepted or duplicate): remove it. */
int mamori_outbox_ack(struct mamori_outbox *ob, uint64_t seq, char *err, size_t errlen);

/* The collector refused seq as a replay: move it to spool/rejected/ and
 * queue a report.rejected event, so it is never retried and never silent. */
int mamori_outbox_reject(struct mamori_outbox *ob, uint64_t seq, char *err, size_t errlen);

void mamori_outbox_stats(const struct mamori_outbox *ob, struct mamori_spool_stats *out);

/* Full-jitter backoff delay for the given number of consecutive failures:
 * uniform in [1, min(MAX, BASE * 2^failures)] seconds. */
long mamori_backoff_delay(unsigned failures);

#endif /* MAMORI_OUTBOX_H */

/* delivery.h -- from report to collector: sign, spool, send, acknowledge.
 *
 * The agent daemon owns one mamori_delivery.  submit() signs a report with
 * the device key and puts it in the spool (durable before anything is sent);
 * run_once() sends queued reports oldest first and tells the daemon when to
 * call again.  Events handed to the delivery sink are appended durably to
 * <state>/events.pending and travel in the next submitted report.
 *
 * Server answers (docs/protocol.md): 200 accepted/duplicate -> remove from
 * spool; 409 replay -> move to spool/rejected/ and emit an event (never
 * loop); 401 unknown_node -> re-enrol (if a secret file is configured) and
 * retry; anything else -> retry with exponential backoff with full jitter,
 * base MAMORI_BACKOFF_BASE_S, capped at MAMORI_BACKOFF_MAX_S, reset on
 * success. */
#ifndef MAMORI_DELIVERY_H
#define MAMORI_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "event.h"

#define MAMORI_BACKOFF_BASE_S      5
#define MAMORI_BACKOFF_MAX_S       (15 * 60)
#define MAMORI_EVENTS_PENDING_FILE "events.pending"
#define MAMORI_EVENTS_PENDING_MAX  (1024 * 1024)
/* Event emitted when the collector refuses a report as a replay. */
#define MAMORI_EV_REPORT_REJECTED "report.rejected"

struct mamori_delivery_options {
    const char *server_url;  /* NULL: from <state>/enroll.json */
    const char *key_file;    /* NULL: <state>/device.key */
    const char *proxy;       /* policy report.proxy, NULL = none */
    const char *secret_file; /* for automatic re-enrolment on 401, may be NULL */
    size_t spool_max_files;  /* 0 = MAMORI_SPOOL_MAX_FILES */
    uint64_t spool_max_bytes;
};

struct mamori_delivery;

struct mamori_delivery *mamori_delivery_new(const char *state_dir,
                                            const struct mamori_delivery_options *opt, char *err,
                                            size_t errlen);
void mamori_delivery_free(struct mamori_delivery *d);

/* Take a report (mamori_report_build) and own it: assign the next seq, add
 * pending events and the spool's dropped count, sign and spool it.  On
 * success *seq_out (optional) is the seq.  -1 with a message otherwise. */
int mamori_delivery_submit(struct mamori_delivery *d, cJSON *report, uint64_t *seq_out, char *err,
                           size_t errlen);

/* Sign a report without spooling (mamorictl report).  Also assigns a seq. */
int mamori_delivery_sign(struct mamori_delivery *d, cJSON *report, char **jws, char *err,
                         size_t errlen);

/* Send as many queued reports as the collector accepts.  Returns the seconds
 * until the next attempt is due, or -1 when the spool is empty. */
long mamori_delivery_run_once(struct mamori_delivery *d);

/* Forget the backoff and try at the next run_once (the network came back,
 * or an operator asked). */
void mamori_delivery_kick(struct mamori_delivery *d);

/* Durably remember an event for the next report (takes ownership). */
void mamori_delivery_add_event(struct mamori_delivery *d, cJSON *event);

/* A sink for producers (enforce/, agent) that feeds add_event. */
struct mamori_event_sink mamori_delivery_event_sink(struct mamori_delivery *d);

/* {"queue_length","queue_bytes","oldest_seq","oldest_time","last_ack_time",
 *  "last_error","dropped","rejected","backoff_seconds","server"} */
cJSON *mamori_delivery_state(const struct mamori_delivery *d);

/* Full-jitter backoff delay for the given number of consecutive failures
 * (exposed for tests): uniform in [1, min(MAX, BASE * 2^failures)]. */
long mamori_backoff_delay(unsigned failures);

#endif /* MAMORI_DELIVERY_H */

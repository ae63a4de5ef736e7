/* metrics.h -- counters exported at /metrics in the Prometheus text format.
 *
 * Every ingest outcome has a name (the `result` label); workers bump them
 * with relaxed atomics, so counting costs nothing measurable. */
#ifndef MAMORI_SERVER_METRICS_H
#define MAMORI_SERVER_METRICS_H

#include <stddef.h>

enum mamori_ingest_outcome {
    MAMORI_OUT_ACCEPTED,
    MAMORI_OUT_DUPLICATE,
    MAMORI_OUT_REPLAY,
    MAMORI_OUT_UNKNOWN_NODE,
    MAMORI_OUT_NO_CLIENT_CERT,
    MAMORI_OUT_BAD_SIGNATURE,
    MAMORI_OUT_KID_MISMATCH,
    MAMORI_OUT_HOST_MISMATCH,
    MAMORI_OUT_MALFORMED,
    MAMORI_OUT_TOO_LARGE,
    MAMORI_OUT_TIME_WINDOW,
    MAMORI_OUT_BAD_CONTENT_TYPE,
    MAMORI_OUT_STORAGE_ERROR,
    MAMORI_OUT_REVOKED,
    MAMORI_OUT_COUNT
};

enum mamori_enroll_outcome {
    MAMORI_ENROLL_OK,
    MAMORI_ENROLL_BAD_SECRET,
    MAMORI_ENROLL_MALFORMED,
    MAMORI_ENROLL_ERROR,
    MAMORI_ENROLL_REVOKED, /* the key was revoked or replaced */
    MAMORI_ENROLL_KEY_IN_USE,
    MAMORI_ENROLL_COUNT
};

/* Label value of an outcome ("accepted", "bad_signature", ...). */
const char *mamori_outcome_name(enum mamori_ingest_outcome o);

void mamori_metrics_ingest(enum mamori_ingest_outcome o);
void mamori_metrics_enroll(enum mamori_enroll_outcome o);
unsigned long mamori_metrics_ingest_count(enum mamori_ingest_outcome o);
/* One group commit of n reports (ingest_queue.c): groups and their reports
 * are counted, so reports / groups is the mean group size. */
void mamori_metrics_group(int n);

/* The whole exposition text, malloc'd. */
char *mamori_metrics_text(void);

#endif

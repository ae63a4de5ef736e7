/* metrics.c -- process-wide counters and their Prometheus exposition. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_ulong ingest[MAMORI_OUT_COUNT];
static atomic_ulong enroll[MAMORI_ENROLL_COUNT];
static atomic_ulong groups, grouped_reports;

static const char *const ingest_names[MAMORI_OUT_COUNT] = {
    "accepted",      "duplicate",        "replay",        "unknown_node", "no_client_cert",
    "bad_signature", "kid_mismatch",     "host_mismatch", "malformed",    "too_large",
    "time_window",   "bad_content_type", "storage_error", "revoked",
};

static const char *const enroll_names[MAMORI_ENROLL_COUNT] = {
    "enrolled", "bad_secret", "malformed", "error", "revoked", "key_in_use",
};

const char *mamori_outcome_name(enum mamori_ingest_outcome o)
{
    return o < MAMORI_OUT_COUNT ? ingest_names[o] : "unknown";
}

void mamori_metrics_ingest(enum mamori_ingest_outcome o)
{
    if (o < MAMORI_OUT_COUNT)
        atomic_fetch_add_explicit(&ingest[o], 1, memory_order_relaxed);
}

void mamori_metrics_enroll(enum mamori_enroll_outcome o)
{
    if (o < MAMORI_ENROLL_COUNT)
        atomic_fetch_add_explicit(&enroll[o], 1, memory_order_relaxed);
}

void mamori_metrics_group(int n)
{
    atomic_fetch_add_explicit(&groups, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&grouped_reports, (unsigned long)n, memory_order_relaxed);
}

unsigned long mamori_metrics_ingest_count(enum mamori_ingest_outcome o)
{
    return o < MAMORI_OUT_COUNT ? atomic_load(&ingest[o]) : 0;
}

char *mamori_metrics_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    fprintf(f, "# HELP mamori_ingest_total Signed reports received, by outcome.\n"
               "# TYPE mamori_ingest_total counter\n");
    for (int i = 0; i < MAMORI_OUT_COUNT; i++)
        fprintf(f, "mamori_ingest_total{result=\"%s\"} %lu\n", ingest_names[i],
                atomic_load(&ingest[i]));
    fprintf(f, "# HELP mamori_enroll_total Enrolment requests, by outcome.\n"
               "# TYPE mamori_enroll_total counter\n");
    for (int i = 0; i < MAMORI_ENROLL_COUNT; i++)
        fprintf(f, "mamori_enroll_total{result=\"%s\"} %lu\n", enroll_names[i],
                atomic_load(&enroll[i]));
    fprintf(f,
            "# HELP mamori_ingest_commits_total Group commits of verified reports.\n"
            "# TYPE mamori_ingest_commits_total counter\n"
            "mamori_ingest_commits_total %lu\n"
            "# HELP mamori_ingest_committed_reports_total Reports stored by those commits.\n"
            "# TYPE mamori_ingest_committed_reports_total counter\n"
            "mamori_ingest_committed_reports_total %lu\n",
            atomic_load(&groups), atomic_load(&grouped_reports));
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

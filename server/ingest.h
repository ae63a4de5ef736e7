/* ingest.h -- accepting one signed report: the checks in the order they run.
 *
 * client certificate -> kid names the certificate's key -> JWS signature ->
 * payload shape -> time window, on the worker that read the request
 * (mamori_ingest_prepare); then, in storage, inside the group's transaction:
 * the key is the active key of the host the report names -> seq.  The
 * acknowledgement is built from storage's answer (mamori_ingest_answer)
 * only after the group's COMMIT returned.  Kept apart from HTTP so relays
 * and the offline bundle import run the very same checks
 * (mamori_ingest_jws). */
#ifndef MAMORI_SERVER_INGEST_H
#define MAMORI_SERVER_INGEST_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "jws.h"
#include "metrics.h"
#include "report_doc.h"
#include "server.h"
#include "store.h"

struct evhttp_request;

/* A verified report on its way to storage and back to its sender. */
struct mamori_ingest_job {
    struct mamori_ingest in; /* what storage gets; in.result is its answer */
    struct mamori_report report;
    char hash[65];
    char key_thumbprint[MAMORI_JWK_THUMBPRINT_LEN + 1];
    /* Completion, set by whoever queues the job (server.c). */
    void (*done)(struct mamori_ingest_job *job);
    void *owner;
    struct evhttp_request *req;
    struct mamori_ingest_job *next;
};

/* Every check that needs no storage.  jws (len bytes, NUL-terminated) is
 * borrowed: it must stay valid until the job is freed -- for HTTP it is the
 * request body, which lives until the request is answered.  0 with *job
 * ready for storage, or the HTTP status with *resp set (the rejection is
 * counted). */
int mamori_ingest_prepare(struct mamori_server *s, struct mamori_jws_verifier *v, const char *jws,
                          size_t len, int relay, struct mamori_ingest_job **job, cJSON **resp);
/* The HTTP status and body for a stored job (counted in metrics); a stored
 * report's acknowledgement names the central policy bundle for its host. */
int mamori_ingest_answer(struct mamori_server *s, const struct mamori_ingest_job *job,
                         cJSON **resp);
void mamori_ingest_job_free(struct mamori_ingest_job *job);

/* Verify and store the JWS compact (len bytes) from the host whose key is
 * pub, alone (a group of one), waiting for its commit.  Returns the HTTP
 * status and sets *resp (caller owns).  The outcome is counted in metrics. */
int mamori_ingest_jws(struct mamori_server *s, EVP_PKEY *pub, const char *jws, size_t len,
                      int relay, cJSON **resp);

#endif

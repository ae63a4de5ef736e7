/* ingest.c -- POST /v1/reports: verify a host's signed report and store it.
 *
 * The TLS layer already checked that a presented client certificate chains
 * to our CA.  On the worker: the JWS kid must name the certificate's key and
 * the signature must verify with it (one verifier per connection, see
 * mamori_http_peer_verifier); only then is the payload parsed.  The verified
 * report then goes to the group-commit writer (ingest_queue.c), where
 * storage checks, in the same transaction that stores it, that the key is
 * the active key of the host the report names (a revoked or replaced key is
 * "revoked", any other key "unknown_node") and that seq moves forward.  The answer is sent once the
 * group is committed: an acknowledged report is on disk. */
#include "ingest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/evp.h>

#include "digest.h"
#include "http.h"
#include "ingest_queue.h"
#include "policy_central.h"

static int reject(enum mamori_ingest_outcome o, int status, const char *detail, cJSON **resp)
{
    mamori_metrics_ingest(o);
    *resp = cJSON_CreateObject();
    cJSON_AddStringToObject(*resp, "error", mamori_outcome_name(o));
    if (detail != NULL)
        cJSON_AddStringToObject(*resp, "detail", detail);
    return status;
}

static int outside_window(const struct mamori_server_config *c, time_t t)
{
    time_t now = time(NULL);
    return t < now - c->time_window_past_seconds || t > now + c->time_window_future_seconds;
}

void mamori_ingest_job_free(struct mamori_ingest_job *job)
{
    if (job == NULL)
        return;
    if (job->report.doc != NULL)
        mamori_report_free(&job->report);
    free(job);
}

/* Signature, then shape, then time: all on the caller's thread. */
static int verify_and_parse(struct mamori_server *s, struct mamori_jws_verifier *v,
                            struct mamori_ingest_job *job, size_t len, cJSON **resp)
{
    char why[256];
    const char *payload = NULL;
    size_t payload_len = 0;
    int rc, status = 0;

    rc =
        mamori_jws_verifier_check(v, job->in.jws, len, 1, &payload, &payload_len, why, sizeof(why));
    if (rc == MAMORI_JWS_KID_MISMATCH)
        return reject(MAMORI_OUT_KID_MISMATCH, 403, "kid is not the enrolled key", resp);
    if (rc != 0)
        return reject(MAMORI_OUT_BAD_SIGNATURE, 403, why, resp);
    if (mamori_report_parse(payload, payload_len, &job->report, why, sizeof(why)) != 0)
        status = reject(MAMORI_OUT_MALFORMED, 400, why, resp);
    else if (outside_window(&s->cfg, job->report.time))
        status = reject(MAMORI_OUT_TIME_WINDOW, 422, "time outside the accepted window", resp);
    return status;
}

int mamori_ingest_prepare(struct mamori_server *s, struct mamori_jws_verifier *v, const char *jws,
                          size_t len, int relay, struct mamori_ingest_job **out, cJSON **resp)
{
    struct mamori_ingest_job *job;
    int status;

    *out = NULL;
    if (len > (size_t)s->cfg.max_body_bytes)
        return reject(MAMORI_OUT_TOO_LARGE, 413, NULL, resp);
    if (v == NULL)
        return reject(MAMORI_OUT_UNKNOWN_NODE, 401, NULL, resp);
    job = calloc(1, sizeof(*job));
    if (job == NULL)
        return reject(MAMORI_OUT_STORAGE_ERROR, 503, "memory", resp);
    job->in.jws = jws;
    status = verify_and_parse(s, v, job, len, resp);
    if (status != 0) {
        mamori_ingest_job_free(job);
        return status;
    }
    snprintf(job->key_thumbprint, sizeof(job->key_thumbprint), "%s", mamori_jws_verifier_kid(v));
    mamori_sha256_hex(jws, len, job->hash);
    job->in = (struct mamori_ingest){.report = &job->report,
                                     .jws = jws,
                                     .jws_len = len,
                                     .hash_hex = job->hash,
                                     .key_thumbprint = job->key_thumbprint,
                                     .received = time(NULL),
                                     .relay = relay};
    *out = job;
    return 0;
}

static cJSON *answer(const char *status, const struct mamori_ingest_job *job)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "status", status);
    cJSON_AddNumberToObject(doc, "seq", (double)job->report.seq);
    return doc;
}

int mamori_ingest_answer(struct mamori_server *s, const struct mamori_ingest_job *job, cJSON **resp)
{
    const struct mamori_report *rep = &job->report;

    switch (job->in.result) {
    case MAMORI_INGEST_ACCEPTED:
        mamori_metrics_ingest(MAMORI_OUT_ACCEPTED);
        *resp = answer("accepted", job);
        cJSON_AddStringToObject(*resp, "policy_version", rep->policy_version);
        mamori_policy_ack(s, rep->host_id, rep->segment, rep->department, *resp);
        return 200;
    case MAMORI_INGEST_DUPLICATE:
        mamori_metrics_ingest(MAMORI_OUT_DUPLICATE);
        *resp = answer("duplicate", job);
        mamori_policy_ack(s, rep->host_id, rep->segment, rep->department, *resp);
        return 200;
    case MAMORI_INGEST_REPLAY:
        return reject(MAMORI_OUT_REPLAY, 409, NULL, resp);
    case MAMORI_INGEST_UNKNOWN_HOST:
        return reject(MAMORI_OUT_UNKNOWN_NODE, 401, NULL, resp);
    case MAMORI_INGEST_HOST_MISMATCH:
        return reject(MAMORI_OUT_HOST_MISMATCH, 403, "host.id is not the enrolled host", resp);
    case MAMORI_INGEST_REVOKED:
        return reject(MAMORI_OUT_REVOKED, 403, "this key was revoked or replaced", resp);
    default:
        return reject(MAMORI_OUT_STORAGE_ERROR, 503, NULL, resp);
    }
}

int mamori_ingest_jws(struct mamori_server *s, EVP_PKEY *pub, const char *jws, size_t len,
                      int relay, cJSON **resp)
{
    struct mamori_jws_verifier *v = pub ? mamori_jws_verifier_new(pub) : NULL;
    struct mamori_ingest_job *job = NULL;
    struct mamori_ingest *in;
    int status;

    status = mamori_ingest_prepare(s, v, jws, len, relay, &job, resp);
    mamori_jws_verifier_free(v);
    if (status != 0)
        return status;
    in = &job->in;
    s->store->ops->ingest(s->store, &in, 1);
    status = mamori_ingest_answer(s, job, resp);
    mamori_ingest_job_free(job);
    return status;
}

static void handle_reports(struct mamori_http_request *r)
{
    const char *ctype =
        evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
    struct mamori_ingest_job *job = NULL;
    cJSON *resp = NULL;
    int status;

    if (r->body_len > (size_t)r->srv->cfg.max_body_bytes)
        status = reject(MAMORI_OUT_TOO_LARGE, 413, NULL, &resp);
    else if (r->peer == NULL)
        status = reject(MAMORI_OUT_NO_CLIENT_CERT, 401, "client certificate required", &resp);
    else if (ctype == NULL || strncasecmp(ctype, "application/jose", 16) != 0)
        status = reject(MAMORI_OUT_BAD_CONTENT_TYPE, 415, "Content-Type: application/jose", &resp);
    else
        status = mamori_ingest_prepare(r->srv, mamori_http_peer_verifier(r), r->body, r->body_len,
                                       r->srv->cfg.upstream_url[0] != '\0', &job, &resp);
    if (job != NULL) {
        mamori_http_defer_ingest(r, job); /* answered once committed */
        return;
    }
    mamori_http_json(r, status, resp);
}

const struct mamori_route mamori_ingest_routes[] = {
    {EVHTTP_REQ_POST, "/v1/reports", 0, MAMORI_AUTH_NONE, handle_reports},
    {0, NULL, 0, 0, NULL},
};

/* ingest.c -- POST /v1/reports: verify a host's signed report and store it.
 *
 * The TLS layer already checked that a presented client certificate chains
 * to our CA; here the certificate's key must be the key the host enrolled
 * (revoked or replaced keys are unknown), the JWS kid must name that key,
 * and the signature must verify with it.  Only then is the payload parsed. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "http.h"
#include "jws.h"
#include "report_doc.h"

void mamori_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

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

static int store_verified(struct mamori_server *s, const struct mamori_report *rep, const char *jws,
                          size_t len, int relay, cJSON **resp)
{
    char hash[65];
    int64_t seq = 0;
    struct mamori_ingest in = {.report = rep,
                               .jws = jws,
                               .jws_len = len,
                               .hash_hex = hash,
                               .received = time(NULL),
                               .relay = relay};
    mamori_sha256_hex(jws, len, hash);
    switch (s->store->ops->ingest(s->store, &in, &seq)) {
    case MAMORI_INGEST_ACCEPTED:
        mamori_metrics_ingest(MAMORI_OUT_ACCEPTED);
        *resp = cJSON_CreateObject();
        cJSON_AddStringToObject(*resp, "status", "accepted");
        cJSON_AddNumberToObject(*resp, "seq", (double)seq);
        cJSON_AddStringToObject(*resp, "policy_version", rep->policy_version);
        return 200;
    case MAMORI_INGEST_DUPLICATE:
        mamori_metrics_ingest(MAMORI_OUT_DUPLICATE);
        *resp = cJSON_CreateObject();
        cJSON_AddStringToObject(*resp, "status", "duplicate");
        cJSON_AddNumberToObject(*resp, "seq", (double)seq);
        return 200;
    case MAMORI_INGEST_REPLAY:
        return reject(MAMORI_OUT_REPLAY, 409, NULL, resp);
    case MAMORI_INGEST_UNKNOWN_HOST:
        return reject(MAMORI_OUT_UNKNOWN_NODE, 401, NULL, resp);
    default:
        return reject(MAMORI_OUT_STORAGE_ERROR, 503, NULL, resp);
    }
}

int mamori_ingest_jws(struct mamori_server *s, EVP_PKEY *pub, const char *jws, size_t len,
                      int relay, cJSON **resp)
{
    struct mamori_host_record host;
    struct mamori_report rep;
    char thumb[MAMORI_JWK_THUMBPRINT_LEN + 1], kid[MAMORI_JWK_THUMBPRINT_LEN + 8], why[256];
    char *payload = NULL;
    size_t payload_len = 0;
    int found, status;

    if (len > (size_t)s->cfg.max_body_bytes)
        return reject(MAMORI_OUT_TOO_LARGE, 413, NULL, resp);
    if (pub == NULL || mamori_jwk_thumbprint(pub, thumb, sizeof(thumb)) != 0)
        return reject(MAMORI_OUT_UNKNOWN_NODE, 401, NULL, resp);
    found = s->store->ops->host_by_key(s->store, thumb, &host);
    if (found != 0)
        return found < 0 ? reject(MAMORI_OUT_STORAGE_ERROR, 503, NULL, resp)
                         : reject(MAMORI_OUT_UNKNOWN_NODE, 401, NULL, resp);
    if (mamori_jws_peek_kid(jws, len, kid, sizeof(kid)) != 0 || strcmp(kid, thumb) != 0) {
        mamori_host_record_clear(&host);
        return reject(MAMORI_OUT_KID_MISMATCH, 403, "kid is not the enrolled key", resp);
    }
    if (mamori_jws_verify(jws, len, pub, &payload, &payload_len, why, sizeof(why)) != 0) {
        mamori_host_record_clear(&host);
        return reject(MAMORI_OUT_BAD_SIGNATURE, 403, why, resp);
    }
    if (mamori_report_parse(payload, payload_len, &rep, why, sizeof(why)) != 0) {
        status = reject(MAMORI_OUT_MALFORMED, 400, why, resp);
    } else if (strcmp(rep.host_id, host.id) != 0) {
        status = reject(MAMORI_OUT_HOST_MISMATCH, 403, "host.id is not the enrolled host", resp);
    } else if (outside_window(&s->cfg, rep.time)) {
        status = reject(MAMORI_OUT_TIME_WINDOW, 422, "time outside the accepted window", resp);
    } else {
        status = store_verified(s, &rep, jws, len, relay, resp);
    }
    if (rep.doc != NULL)
        mamori_report_free(&rep);
    free(payload);
    mamori_host_record_clear(&host);
    return status;
}

static void handle_reports(struct mamori_http_request *r)
{
    const char *ctype =
        evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
    cJSON *resp = NULL;
    int status;

    if (r->body_len > (size_t)r->srv->cfg.max_body_bytes)
        status = reject(MAMORI_OUT_TOO_LARGE, 413, NULL, &resp);
    else if (r->peer == NULL)
        status = reject(MAMORI_OUT_NO_CLIENT_CERT, 401, "client certificate required", &resp);
    else if (ctype == NULL || strncasecmp(ctype, "application/jose", 16) != 0)
        status = reject(MAMORI_OUT_BAD_CONTENT_TYPE, 415, "Content-Type: application/jose", &resp);
    else
        status = mamori_ingest_jws(r->srv, X509_get0_pubkey(r->peer), r->body, r->body_len,
                                   r->srv->cfg.upstream_url[0] != '\0', &resp);
    mamori_http_json(r, status, resp);
}

const struct mamori_route mamori_ingest_routes[] = {
    {EVHTTP_REQ_POST, "/v1/reports", 0, MAMORI_AUTH_NONE, handle_reports},
    {0, NULL, 0, 0, NULL},
};

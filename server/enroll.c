/* enroll.c -- POST /v1/enroll: enrolment secret + CSR -> client certificate.
 *
 * A PC proves it was installed by the municipality (the shared enrolment
 * secret, compared in constant time) and sends a CSR for its Ed25519 device
 * key with CN = its host id.  Enrolling again is allowed and idempotent:
 * the same key gets a fresh certificate and the host keeps its seq (an
 * agent re-enrols by itself when the collector lost it), and a new key
 * replaces the old one, which is revoked at once.  A revoked key never
 * enrols again (403 "revoked"), so an agent shut out by
 * `mamori-server host revoke` cannot let itself back in, and two PCs that
 * share a host id cannot take it from each other in turn; a key another
 * host uses is refused with 409 "key_in_use". */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "http.h"
#include "jws.h"
#include "metrics.h"
#include "policy_central.h"
#include "report_doc.h"

static const char *member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Constant time in the secret's content; lengths differ -> still one compare. */
static int secret_ok(const struct mamori_server *s, const char *given)
{
    size_t n = given ? strlen(given) : 0;
    int same_len = n == s->secret_len;
    if (s->secret_len == 0 || given == NULL)
        return 0;
    return (CRYPTO_memcmp(same_len ? given : s->secret, s->secret, s->secret_len) == 0) & same_len;
}

static int fill_host(const cJSON *host, struct mamori_host_record *h)
{
    const char *id = member(host, "id"), *name = member(host, "hostname");
    const char *seg = member(host, "segment"), *dep = member(host, "department");
    const char *mun = member(host, "municipality");
    if (!mamori_host_id_valid(id) || name == NULL || name[0] == '\0')
        return -1;
    snprintf(h->id, sizeof(h->id), "%s", id);
    snprintf(h->hostname, sizeof(h->hostname), "%s", name);
    snprintf(h->segment, sizeof(h->segment), "%s", seg ? seg : "");
    snprintf(h->department, sizeof(h->department), "%s", dep ? dep : "");
    snprintf(h->municipality, sizeof(h->municipality), "%s", mun ? mun : "");
    return 0;
}

static cJSON *enrolled_reply(struct mamori_server *s, const struct mamori_host_record *h)
{
    cJSON *doc = cJSON_CreateObject();
    char *ca = mamori_cert_pem(s->ca.cert);
    cJSON_AddStringToObject(doc, "certificate", h->cert_pem);
    cJSON_AddStringToObject(doc, "ca", ca ? ca : "");
    cJSON_AddStringToObject(doc, "host_id", h->id);
    cJSON_AddStringToObject(doc, "kid", h->key_thumbprint);
    mamori_policy_enrol_reply(s, doc);
    free(ca);
    return doc;
}

/* The HTTP status of a store refusal, with its reason. */
static int refused(int rc, char *why, size_t whylen)
{
    if (rc == MAMORI_STORE_KEY_REVOKED) {
        snprintf(why, whylen, "this key was revoked or replaced; enrol with a new key");
        return 403;
    }
    if (rc == MAMORI_STORE_KEY_IN_USE) {
        snprintf(why, whylen, "this key is enrolled for another host id");
        return 409;
    }
    snprintf(why, whylen, "storage error");
    return 503;
}

static int enroll(struct mamori_server *s, const cJSON *req, cJSON **resp, char *why, size_t whylen)
{
    struct mamori_host_record h = {0};
    const char *csr = member(req, "csr");
    EVP_PKEY *pub = NULL;
    int rc;

    if (csr == NULL || fill_host(cJSON_GetObjectItemCaseSensitive(req, "host"), &h) != 0) {
        snprintf(why, whylen, "need csr and host{id (64 hex), hostname}");
        return 400;
    }
    if (s->ca.key == NULL) {
        snprintf(why, whylen, "this server cannot enrol (no CA key)");
        return 503;
    }
    if (mamori_ca_sign_csr(&s->ca, csr, strlen(csr), h.id, &h.cert_pem, h.cert_serial, &pub, why,
                           whylen) != 0)
        return 400;
    rc = mamori_jwk_thumbprint(pub, h.key_thumbprint, sizeof(h.key_thumbprint));
    EVP_PKEY_free(pub);
    h.enrolled = time(NULL);
    if (rc == 0)
        rc = s->store->ops->enroll(s->store, &h);
    if (rc != 0) {
        mamori_host_record_clear(&h);
        return refused(rc, why, whylen);
    }
    *resp = enrolled_reply(s, &h);
    mamori_host_record_clear(&h);
    return 200;
}

static enum mamori_enroll_outcome enroll_outcome(int status, bool revoked)
{
    switch (status) {
    case 200:
        return MAMORI_ENROLL_OK;
    case 403:
        return revoked ? MAMORI_ENROLL_REVOKED : MAMORI_ENROLL_BAD_SECRET;
    case 409:
        return MAMORI_ENROLL_KEY_IN_USE;
    case 400:
        return MAMORI_ENROLL_MALFORMED;
    default:
        return MAMORI_ENROLL_ERROR;
    }
}

static const char *error_code(int status, bool revoked)
{
    if (status == 403)
        return revoked ? "revoked" : "bad_secret";
    return status == 409 ? "key_in_use" : "enroll";
}

static void handle_enroll(struct mamori_http_request *r)
{
    cJSON *req = cJSON_ParseWithLength(r->body, r->body_len), *resp = NULL;
    char why[256] = "";
    bool revoked = false;
    int status;

    if (!cJSON_IsObject(req)) {
        status = 400;
        snprintf(why, sizeof(why), "body is not a JSON object");
    } else if (!secret_ok(r->srv, member(req, "secret"))) {
        status = 403;
        snprintf(why, sizeof(why), "bad enrolment secret");
    } else {
        status = enroll(r->srv, req, &resp, why, sizeof(why));
        revoked = status == 403; /* the secret was right: the key is refused */
    }
    cJSON_Delete(req);
    mamori_metrics_enroll(enroll_outcome(status, revoked));
    if (resp == NULL) {
        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "error", error_code(status, revoked));
        cJSON_AddStringToObject(resp, "detail", why);
    }
    mamori_http_json(r, status, resp);
}

const struct mamori_route mamori_enroll_routes[] = {
    {EVHTTP_REQ_POST, "/v1/enroll", 0, MAMORI_AUTH_NONE, handle_enroll},
    {0, NULL, 0, 0, NULL},
};

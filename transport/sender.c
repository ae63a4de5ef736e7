/* sender.c -- sign and POST one report, classify the answer; see sender.h. */
#include "sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "device_key.h"
#include "https_client.h"
#include "jws.h"
#include "policy_fetch.h"

struct mamori_sender {
    char server[1024];
    char url[1100];
    char policy_offer[MAMORI_POLICY_VERSION_MAX];
    char *proxy;
    char *ca_pem, *cert_pem, *key_pem;
    EVP_PKEY *key;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void mamori_sender_free(struct mamori_sender *s)
{
    if (!s)
        return;
    EVP_PKEY_free(s->key);
    free(s->proxy);
    free(s->ca_pem);
    free(s->cert_pem);
    if (s->key_pem) {
        /* The device key leaves this process's memory with us. */
        explicit_bzero(s->key_pem, strlen(s->key_pem));
        free(s->key_pem);
    }
    free(s);
}

struct mamori_sender *mamori_sender_new(const struct mamori_sender_config *cfg, char *err,
                                        size_t errlen)
{
    struct mamori_sender *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!cfg->server_url || !cfg->ca_pem || !cfg->cert_pem || !cfg->key_pem) {
        snprintf(err, errlen, "not enrolled: collector, CA, certificate and key are all needed");
        goto fail;
    }
    if (snprintf(s->server, sizeof s->server, "%s", cfg->server_url) >= (int)sizeof s->server ||
        snprintf(s->url, sizeof s->url, "%s/v1/reports", cfg->server_url) >= (int)sizeof s->url) {
        snprintf(err, errlen, "collector address too long");
        goto fail;
    }
    s->proxy = dup_or_null(cfg->proxy);
    s->ca_pem = strdup(cfg->ca_pem);
    s->cert_pem = strdup(cfg->cert_pem);
    s->key_pem = strdup(cfg->key_pem);
    if ((cfg->proxy && !s->proxy) || !s->ca_pem || !s->cert_pem || !s->key_pem) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->key = mamori_pem_parse_private(s->key_pem, strlen(s->key_pem), "device key", err, errlen);
    if (!s->key)
        goto fail;
    return s;
fail:
    mamori_sender_free(s);
    return NULL;
}

static void response_field(const struct mamori_https_response *r, const char *name, char *buf,
                           size_t size)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->len);
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
    snprintf(buf, size, "%s", v ? v : "");
    cJSON_Delete(j);
}

static enum mamori_send_outcome classify(struct mamori_sender *s, uint64_t seq,
                                         const struct mamori_https_response *r, char *err,
                                         size_t errlen)
{
    char field[64];
    if (r->status == 200) {
        response_field(r, "status", field, sizeof field);
        if (strcmp(field, "accepted") == 0 || strcmp(field, "duplicate") == 0) {
            mamori_ack_policy_bundle(r->body, r->len, s->policy_offer, sizeof s->policy_offer);
            return MAMORI_SEND_STORED;
        }
    }
    if (r->status == 409) {
        snprintf(err, errlen, "report %llu: the collector refused it as a replay",
                 (unsigned long long)seq);
        return MAMORI_SEND_REFUSED;
    }
    response_field(r, "error", field, sizeof field);
    if (r->status == 401 && strcmp(field, "unknown_node") == 0) {
        snprintf(err, errlen, "report %llu: the collector does not know this PC (unknown_node)",
                 (unsigned long long)seq);
        return MAMORI_SEND_UNKNOWN_NODE;
    }
    if (r->status == 403 && strcmp(field, "revoked") == 0) {
        snprintf(err, errlen, "report %llu: the collector revoked this PC's key (revoked)",
                 (unsigned long long)seq);
        return MAMORI_SEND_REVOKED;
    }
    snprintf(err, errlen, "report %llu: collector answered HTTP %ld %.120s",
             (unsigned long long)seq, r->status, r->body ? r->body : "");
    return MAMORI_SEND_RETRY;
}

enum mamori_send_outcome mamori_sender_send(struct mamori_sender *s, uint64_t seq, const char *data,
                                            size_t len, bool signed_jws, char *err, size_t errlen)
{
    char *jws = NULL;
    if (!signed_jws && mamori_jws_sign(s->key, data, len, &jws) < 0) {
        snprintf(err, errlen, "report %llu: cannot sign it", (unsigned long long)seq);
        return MAMORI_SEND_RETRY;
    }
    const char *body = signed_jws ? data : jws;
    size_t body_len = signed_jws ? len : strlen(jws);
    struct mamori_https_config cfg = {
        .ca_pem = s->ca_pem, .cert_pem = s->cert_pem, .key_pem = s->key_pem, .proxy = s->proxy};
    struct mamori_https_response r;
    enum mamori_send_outcome o = MAMORI_SEND_RETRY;
    if (mamori_https_post(&cfg, s->url, "application/jose", body, body_len, &r, err, errlen) == 0) {
        o = classify(s, seq, &r, err, errlen);
        mamori_https_response_free(&r);
    }
    free(jws);
    return o;
}

const char *mamori_sender_policy_offer(const struct mamori_sender *s)
{
    return s->policy_offer;
}

int mamori_sender_fetch_policy(struct mamori_sender *s, const char *have, char **jws, size_t *len,
                               char *err, size_t errlen)
{
    struct mamori_https_config cfg = {
        .ca_pem = s->ca_pem, .cert_pem = s->cert_pem, .key_pem = s->key_pem, .proxy = s->proxy};

    return mamori_policy_fetch(&cfg, s->server, have, jws, len, err, errlen);
}

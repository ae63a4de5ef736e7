/* policy_fetch.c -- the acknowledgement's policy version and the bundle
 * fetch (see policy_fetch.h). */
#include "policy_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bundle_sig.h"

void mamori_ack_policy_bundle(const char *body, size_t len, char *out, size_t outlen)
{
    cJSON *doc = body ? cJSON_ParseWithLength(body, len) : NULL;
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "policy_bundle"));
    int printable =
        v != NULL && v[0] != '\0' && strlen(v) < outlen && strlen(v) < MAMORI_POLICY_VERSION_MAX;

    for (const char *p = v; printable && *p; p++)
        printable = *p > 0x20 && *p < 0x7f;
    snprintf(out, outlen, "%s", printable ? v : "");
    cJSON_Delete(doc);
}

int mamori_policy_fetch(const struct mamori_https_config *given, const char *server_url,
                        const char *have, char **jws, size_t *len, char *err, size_t errlen)
{
    struct mamori_https_config cfg = *given;
    struct mamori_https_response r;
    char url[1100], *body;
    cJSON *req = cJSON_CreateObject();
    int rc = -1;

    *jws = NULL;
    *len = 0;
    cJSON_AddStringToObject(req, "have", have ? have : "");
    body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    snprintf(url, sizeof(url), "%s/v1/policy", server_url);
    cfg.max_response = MAMORI_POLICY_BUNDLE_MAX;
    if (body == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (mamori_https_post(&cfg, url, "application/json", body, strlen(body), &r, err, errlen) !=
        0) {
        free(body);
        return -1;
    }
    free(body);
    if (r.status == 200) {
        *jws = r.body;
        *len = r.len;
        r.body = NULL;
        rc = 0;
    } else if (r.status == 404) {
        rc = 1;
    } else {
        snprintf(err, errlen, "%s: collector answered HTTP %ld %.120s", url, r.status,
                 r.body ? r.body : "");
    }
    mamori_https_response_free(&r);
    return rc;
}

/* bundle.c -- the policy bundle document (see bundle.h). */
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

char *mamori_bundle_build(const char *group, const char *version, time_t issued,
                          const char *policy_json)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *policy = cJSON_Parse(policy_json);
    char stamp[32];
    struct tm tm;
    char *text = NULL;

    if (doc == NULL || policy == NULL || !cJSON_IsObject(policy) || gmtime_r(&issued, &tm) == NULL)
        goto out;
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddNumberToObject(doc, "schema", 1);
    cJSON_AddStringToObject(doc, "type", MAMORI_BUNDLE_TYPE);
    cJSON_AddStringToObject(doc, "group", group);
    cJSON_AddStringToObject(doc, "version", version);
    cJSON_AddStringToObject(doc, "issued", stamp);
    cJSON_AddItemToObject(doc, "policy", policy);
    policy = NULL;
    text = cJSON_PrintUnformatted(doc);
out:
    cJSON_Delete(policy);
    cJSON_Delete(doc);
    return text;
}

static int bundle_fail(struct mamori_policy_error *err, const char *path, const char *msg)
{
    memset(err, 0, sizeof(*err));
    snprintf(err->path, sizeof(err->path), "%s", path);
    snprintf(err->message, sizeof(err->message), "%s", msg);
    return -1;
}

static const char *string_member(const cJSON *doc, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, key);

    return cJSON_IsString(s) && s->valuestring[0] ? s->valuestring : NULL;
}

static int parse_inner(const cJSON *doc, struct mamori_policy **out,
                       struct mamori_policy_error *err)
{
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(doc, "policy");
    const char *version = string_member(doc, "version");
    char *text;
    int rc;

    if (!cJSON_IsObject(policy))
        return bundle_fail(err, "policy", "the bundle carries no policy object");
    text = cJSON_PrintUnformatted(policy);
    if (text == NULL)
        return bundle_fail(err, "", "out of memory");
    rc = mamori_policy_parse(text, strlen(text), "policy bundle", out, err);
    free(text);
    if (rc != 0) {
        char inner[sizeof(err->path) - sizeof("policy.")];

        snprintf(inner, sizeof(inner), "%.*s", (int)sizeof(inner) - 1, err->path);
        snprintf(err->path, sizeof(err->path), "policy.%s", inner);
        err->line = err->column = 0; /* lines of a re-serialized object mean nothing */
        return -1;
    }
    free((*out)->version);
    (*out)->version = strdup(version);
    if ((*out)->version == NULL) {
        mamori_policy_free(*out);
        *out = NULL;
        return bundle_fail(err, "", "out of memory");
    }
    return 0;
}

int mamori_bundle_parse(const char *payload, size_t len, struct mamori_policy **out,
                        char **group_out, struct mamori_policy_error *err)
{
    struct mamori_policy_error scratch;
    cJSON *doc = cJSON_ParseWithLength(payload, len);
    const cJSON *schema;
    const char *type, *group;
    int rc = -1;

    if (err == NULL)
        err = &scratch;
    if (doc == NULL || !cJSON_IsObject(doc)) {
        bundle_fail(err, "", "the policy bundle is not a JSON object");
        goto out;
    }
    schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    type = string_member(doc, "type");
    group = string_member(doc, "group");
    if (!cJSON_IsNumber(schema) || schema->valueint != 1)
        bundle_fail(err, "schema", "unsupported bundle schema (this agent reads schema 1)");
    else if (type == NULL || strcmp(type, MAMORI_BUNDLE_TYPE) != 0)
        bundle_fail(err, "type", "not a policy bundle (type must be \"" MAMORI_BUNDLE_TYPE "\")");
    else if (group == NULL)
        bundle_fail(err, "group", "missing group name");
    else if (string_member(doc, "version") == NULL)
        bundle_fail(err, "version", "missing bundle version");
    else if (parse_inner(doc, out, err) == 0)
        rc = 0;
    if (rc == 0 && group_out != NULL && (*group_out = strdup(group)) == NULL) {
        mamori_policy_free(*out);
        *out = NULL;
        rc = bundle_fail(err, "", "out of memory");
    }
out:
    cJSON_Delete(doc);
    return rc;
}

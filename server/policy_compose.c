/* policy_compose.c -- the bundle one PC should run (see policy_central.h).
 *
 * group policy  +  usb.allow: the group's own entries, then the ledger media
 * of the 所属 (in use, not expired), then the exceptions in force for the
 * host or its group.  The version is a hash of the group name and the
 * composed policy, so it changes exactly when something the PC enforces
 * changes -- including an expiry, because an expired medium or exception
 * drops out -- and never merely because time passed.  The composition is
 * checked with the agents' own parser before it is offered: the collector
 * never signs a bundle a PC would refuse. */
#include "policy_central.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "digest.h"
#include "policy_store.h"

void mamori_composed_bundle_clear(struct mamori_composed_bundle *b)
{
    free(b->payload);
    memset(b, 0, sizeof(*b));
}

static cJSON *object_member(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

    return cJSON_IsObject(o) ? o : cJSON_AddObjectToObject(parent, key);
}

/* The PCs of a group report the 所属 their media are registered under. */
static void default_department(cJSON *policy, const char *department)
{
    cJSON *org;

    if (department == NULL || department[0] == '\0')
        return;
    org = object_member(policy, "organization");
    if (org != NULL && cJSON_GetObjectItemCaseSensitive(org, "department") == NULL)
        cJSON_AddStringToObject(org, "department", department);
}

static cJSON *allow_array(cJSON *policy)
{
    cJSON *usb = object_member(policy, "usb"), *allow;

    if (usb == NULL)
        return NULL;
    allow = cJSON_GetObjectItemCaseSensitive(usb, "allow");
    return cJSON_IsArray(allow) ? allow : cJSON_AddArrayToObject(usb, "allow");
}

static void content_version(const char *group, const char *policy, char *out, size_t len)
{
    uint8_t md[MAMORI_SHA256_LEN];
    char hex[2 * MAMORI_SHA256_LEN + 1];
    size_t glen = strlen(group), plen = strlen(policy);
    char *both = malloc(glen + 1 + plen);

    if (both == NULL) {
        snprintf(out, len, "b-unknown");
        return;
    }
    memcpy(both, group, glen + 1); /* the NUL separates the two */
    memcpy(both + glen + 1, policy, plen);
    mamori_sha256(both, glen + 1 + plen, md);
    free(both);
    mamori_hex(md, 8, hex);
    snprintf(out, len, "b-%s", hex);
}

/* The agents' rules, applied here first. */
static int check_like_an_agent(const struct mamori_composed_bundle *b, char *err, size_t errlen)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error pe;
    char msg[700];

    if (mamori_bundle_parse(b->payload, strlen(b->payload), &p, NULL, &pe) == 0) {
        mamori_policy_free(p);
        return 0;
    }
    mamori_policy_error_format(&pe, "bundle", msg, sizeof(msg));
    snprintf(err, errlen, "group %s: the composed policy would be refused by the PCs: %s", b->group,
             msg);
    return -1;
}

static int add_allowances(struct mamori_store *s, const struct mamori_policy_host *h,
                          const struct mamori_policy_group *g, time_t now, cJSON *policy,
                          time_t *next_change)
{
    const char *department = g->department[0] ? g->department : h->department;
    cJSON *allow = allow_array(policy);

    if (allow == NULL)
        return -1;
    default_department(policy, department);
    if (department != NULL && department[0] &&
        mamori_pstore_ledger_allow(s, department, now, allow, next_change) != 0)
        return -1;
    return mamori_pstore_exception_allow(s, h->id, g->name, now, allow, next_change);
}

int mamori_policy_compose(struct mamori_store *s, const struct mamori_policy_host *h, time_t now,
                          struct mamori_composed_bundle *out, char *err, size_t errlen)
{
    struct mamori_policy_group g;
    cJSON *policy = NULL;
    char *text = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = mamori_pstore_group_for_host(s, h->id, h->segment, h->department, &g, &out->assigned);
    if (rc != 0) {
        if (rc < 0)
            snprintf(err, errlen, "storage error while finding the host's policy group");
        return rc;
    }
    rc = -1;
    snprintf(out->group, sizeof(out->group), "%s", g.name);
    policy = cJSON_Parse(g.policy);
    if (!cJSON_IsObject(policy)) {
        snprintf(err, errlen, "group %s: its stored policy is not a JSON object", g.name);
        goto out;
    }
    if (add_allowances(s, h, &g, now, policy, &out->next_change) != 0) {
        snprintf(err, errlen, "storage error while composing group %s", g.name);
        goto out;
    }
    text = cJSON_PrintUnformatted(policy);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    content_version(g.name, text, out->version, sizeof(out->version));
    out->payload = mamori_bundle_build(g.name, out->version, now, text);
    if (out->payload == NULL)
        snprintf(err, errlen, "out of memory");
    else
        rc = check_like_an_agent(out, err, errlen);
out:
    if (rc != 0)
        mamori_composed_bundle_clear(out);
    free(text);
    cJSON_Delete(policy);
    mamori_policy_group_clear(&g);
    return rc;
}

/* agentd_policy.c -- where the agent's policy comes from: the local file,
 * or the central bundle its collector signs (docs/central-policy.md).
 *
 * A PC enrolled with a collector that distributes policy pinned the
 * collector's policy key (<state>/policy-key.json).  Each report
 * acknowledgement names the bundle version the collector holds for the PC
 * and the courier passes it on; when it is neither the version in force nor
 * one already refused, the delivery asks the courier to fetch the signed
 * bundle (agentd_delivery.c) and hands it here.  The agent checks it --
 * signature against the pinned key (bundle_sig.h, nettle: the courier, which
 * parsed what the network sent, is trusted with nothing), then the very same
 * validation as a local file (mamori_bundle_parse) -- keeps it as
 * <state>/policy.bundle (write, fsync, rename) so a restart starts from it,
 * and installs it through the path SIGHUP takes (agentd_install_policy).  A
 * bundle that fails any of this is refused with an event naming why, the
 * policy in force stays, and that version is not fetched again.
 *
 * At start and on SIGHUP the stored bundle, when there is one and a pinned
 * key, is the policy; otherwise the local file is (stand-alone PCs).
 * Registrations and exceptions carry their end time, so the agent also
 * re-judges USB devices when one ends, even if the collector is out of
 * reach (agentd_policy_expiry_tick). */
#include "agentd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_sig.h"
#include "durable_file.h"

#define BUNDLE_FILE "policy.bundle"

static void state_file(const struct agentd *a, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", a->opt.state_dir, name);
}

static bool key_pinned(const struct agentd *a)
{
    char key[PATH_MAX];

    state_file(a, MAMORI_POLICY_KEY_FILE, key, sizeof(key));
    return access(key, F_OK) == 0;
}

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%.*s", (int)len - 1, src ? src : "");
}

/* ---- checking a bundle: the one place that trusts it or not ---------- */

/* Verify jws against the pinned key and validate what it carries.  0 with
 * *out and *group, or -1 with msg. */
static int check_bundle(const struct agentd *a, const char *jws, size_t len,
                        struct mamori_policy **out, char **group, char *msg, size_t msglen)
{
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    struct mamori_policy_error err;
    char keyfile[PATH_MAX], why[400], *payload = NULL;
    size_t plen = 0;
    int rc;

    state_file(a, MAMORI_POLICY_KEY_FILE, keyfile, sizeof(keyfile));
    if (mamori_policy_key_load(keyfile, pub, why, sizeof(why)) != 0 ||
        mamori_bundle_verify(jws, len, pub, &payload, &plen, why, sizeof(why)) != 0) {
        snprintf(msg, msglen, "central policy bundle refused: %s", why);
        return -1;
    }
    rc = mamori_bundle_parse(payload, plen, out, group, &err);
    free(payload);
    if (rc != 0) {
        mamori_policy_error_format(&err, "central policy bundle", why, sizeof(why));
        snprintf(msg, msglen, "central policy bundle refused: %s", why);
        return -1;
    }
    return 0;
}

int agentd_policy_load(struct agentd *a, bool fallback, struct mamori_policy **out, char **group,
                       char *msg, size_t msglen)
{
    struct mamori_policy_error err;
    char bundle[PATH_MAX], *jws;
    size_t len = 0;
    int rc;

    *group = NULL;
    state_file(a, BUNDLE_FILE, bundle, sizeof(bundle));
    jws = key_pinned(a) ? mamori_read_file(bundle, MAMORI_POLICY_BUNDLE_MAX, &len) : NULL;
    if (jws != NULL) {
        rc = check_bundle(a, jws, len, out, group, msg, msglen);
        free(jws);
        if (rc == 0 || !fallback)
            return rc;
        agentd_log(LOG_ERR, "%s; starting with the local policy file", msg);
        copy(a->reload_error, sizeof(a->reload_error), msg);
    }
    if (mamori_policy_load(a->opt.policy_path, out, &err) != 0) {
        mamori_policy_error_format(&err, a->opt.policy_path, msg, msglen);
        return -1;
    }
    return 0;
}

/* ---- what the collector offers ------------------------------------------ */

static void refuse(struct agentd *a, const char *offered, const char *msg)
{
    cJSON *ev = mamori_event_new(MAMORI_EV_POLICY_REJECTED, "error", time(NULL),
                                 "集中管理ポリシーは検証できないため適用しませんでした"
                                 "（従来のポリシーを維持）",
                                 "the central policy bundle failed verification and was not "
                                 "applied (the previous policy stays)");

    copy(a->reload_error, sizeof(a->reload_error), msg);
    agentd_log(LOG_ERR, "%s; keeping policy %s", msg, a->policy->version);
    if (ev != NULL) {
        cJSON_AddStringToObject(mamori_event_facts(ev), "source", "central");
        cJSON_AddStringToObject(mamori_event_facts(ev), "offered_version", offered);
        cJSON_AddStringToObject(mamori_event_facts(ev), "error", msg);
        cJSON_AddStringToObject(mamori_event_facts(ev), "kept_version", a->policy->version);
    }
    mamori_event_emit(&a->sink, ev);
}

void agentd_policy_announce(struct agentd *a)
{
    if (a->reload_error[0])
        refuse(a, "", a->reload_error);
}

bool agentd_central_wants(struct agentd *a, const char *offer)
{
    copy(a->central.offered, sizeof(a->central.offered), offer);
    if (offer == NULL || offer[0] == '\0' || strcmp(offer, a->policy->version) == 0 ||
        strcmp(offer, a->central.refused) == 0)
        return false;
    if (!key_pinned(a)) {
        snprintf(a->central.last_error, sizeof(a->central.last_error),
                 "the collector offers central policy %s but no policy key is pinned: enrol"
                 " again (mamorictl enroll)",
                 offer);
        return false;
    }
    return true;
}

void agentd_central_unavailable(struct agentd *a, const char *offer, const char *why)
{
    snprintf(a->central.last_error, sizeof(a->central.last_error), "version %s not fetched: %s",
             offer, why);
    agentd_log(LOG_WARNING, "central policy %s", a->central.last_error);
}

void agentd_central_receive(struct agentd *a, const char *offer, const char *jws, size_t len)
{
    struct mamori_policy *fresh = NULL;
    char path[PATH_MAX], msg[600], *group = NULL;

    if (check_bundle(a, jws, len, &fresh, &group, msg, sizeof(msg)) != 0) {
        refuse(a, offer, msg);
        copy(a->central.refused, sizeof(a->central.refused), offer);
        copy(a->central.last_error, sizeof(a->central.last_error), msg);
        return;
    }
    /* Kept on disk before it is installed: a restart keeps it. */
    state_file(a, BUNDLE_FILE, path, sizeof(path));
    if (mamori_durable_write(path, jws, len, 0600, msg, sizeof(msg)) != 0)
        agentd_log(LOG_ERR, "central policy not kept for a restart: %s", msg);
    a->central.last_error[0] = '\0';
    /* The collector learns the version in force with the posture under it. */
    a->run.report_after = true;
    agentd_install_policy(a, fresh, group);
    free(group);
}

static void add_string_or_null(cJSON *o, const char *key, const char *v)
{
    if (v[0])
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *agentd_central_state(const struct agentd *a)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "key_pinned", key_pinned(a));
    add_string_or_null(o, "offered", a->central.offered);
    add_string_or_null(o, "refused", a->central.refused);
    add_string_or_null(o, "last_error", a->central.last_error);
    return o;
}

/* ---- expiry ------------------------------------------------------------ */

void agentd_policy_expiry_tick(struct agentd *a, time_t now)
{
    bool ended = false;

    for (size_t i = 0; i < a->policy->usb.n_allow; i++) {
        time_t until = a->policy->usb.allow[i].until;

        ended |= until != 0 && until >= a->expiry_checked && until < now;
    }
    a->expiry_checked = now;
    if (ended) {
        agentd_log(LOG_INFO, "a USB registration or exception ended: judging devices again");
        agentd_enforce_set_policy(a);
    }
}

/* exception_cli.c -- `mamori-server exception add|list|revoke`: 例外措置.
 *
 *   exception add (--host NAME | --group GROUP) --device VID:PID [--serial S]
 *                 [--from TIME] --until TIME --approver NAME --reason TEXT
 *   exception list [--all] [--json]
 *   exception revoke ID --reason TEXT
 *
 * An exception lets one device (vendor:product, and the serial when given)
 * be used on one PC, or on every PC of a policy group, for a limited time.
 * Who approved it and why are required, kept for ever (revoking records
 * when and why, it deletes nothing) and appear in the audit export.  It
 * stops applying at --until with no action from anyone: the collector
 * leaves it out of the bundle from that instant, and the PC's own copy
 * carries the same end time. */
#include "policy_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_store.h"

#define TEXT_MAX 500

static void usage(void)
{
    fputs(_("usage: mamori-server exception add (--host NAME | --group GROUP) --device VID:PID"
            " [--serial S] [--from TIME] --until TIME --approver NAME --reason TEXT\n"
            "       mamori-server exception list [--all] [--json]\n"
            "       mamori-server exception revoke ID --reason TEXT\n"
            "  TIME: YYYY-MM-DD (through the end of that day), YYYY-MM-DDTHH:MM (local time)"
            " or RFC 3339\n"),
          stderr);
}

static int valid_device(const char *d, char out[10])
{
    unsigned v, p;
    int used = 0;

    if (strlen(d) != 9 || d[4] != ':' || sscanf(d, "%4x:%4x%n", &v, &p, &used) != 2 || used != 9)
        return 0;
    for (int i = 0; i < 9; i++)
        if (i != 4 && !((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f') ||
                        (d[i] >= 'A' && d[i] <= 'F')))
            return 0;
    snprintf(out, 10, "%04x:%04x", v, p);
    return 1;
}

static int need_text(const char *value, const char *option)
{
    if (value != NULL && value[0] != '\0' && strlen(value) <= TEXT_MAX)
        return 1;
    fprintf(stderr, _("mamori-server exception add: %s is required (at most %d bytes)\n"), option,
            TEXT_MAX);
    return 0;
}

static int check_times(const struct pcli *c, struct mamori_policy_exception *e, time_t now)
{
    e->starts = now;
    if (c->from != NULL && mamori_pcli_parse_when(c->from, 0, &e->starts) != 0) {
        fprintf(stderr, _("mamori-server exception add: --from \"%s\" is not a time\n"), c->from);
        return -1;
    }
    if (c->until == NULL || mamori_pcli_parse_when(c->until, 1, &e->until) != 0) {
        fprintf(stderr, _("mamori-server exception add: --until is required: YYYY-MM-DD,"
                          " YYYY-MM-DDTHH:MM or RFC 3339\n"));
        return -1;
    }
    if (e->until <= now || e->until <= e->starts) {
        fprintf(stderr, _("mamori-server exception add: --until must be later than now and than"
                          " --from\n"));
        return -1;
    }
    return 0;
}

/* --host or --group: which one, resolved to what is stored. */
static int resolve_target(struct mamori_server *s, const struct pcli *c,
                          struct mamori_policy_exception *e)
{
    struct mamori_host_record h;
    struct mamori_policy_group g;
    int rc;

    if ((c->host == NULL) == (c->group == NULL)) {
        fprintf(stderr, _("mamori-server exception add: give exactly one of --host and --group\n"));
        return 2;
    }
    if (c->host != NULL) {
        rc = s->store->ops->host_by_name(s->store, c->host, &h);
        if (rc == 0) {
            snprintf(e->scope, sizeof(e->scope), "host");
            snprintf(e->target, sizeof(e->target), "%s", h.id);
            snprintf(e->target_name, sizeof(e->target_name), "%s", h.hostname);
            mamori_host_record_clear(&h);
        } else if (rc > 0) {
            fprintf(stderr, _("mamori-server: no host named %s\n"), c->host);
        }
        return rc < 0 ? 1 : rc > 0 ? 2 : 0;
    }
    rc = mamori_pstore_group_get(s->store, c->group, &g);
    if (rc == 0) {
        snprintf(e->scope, sizeof(e->scope), "group");
        snprintf(e->target, sizeof(e->target), "%s", g.name);
        snprintf(e->target_name, sizeof(e->target_name), "%s", g.name);
        mamori_policy_group_clear(&g);
    } else if (rc > 0) {
        fprintf(stderr, _("mamori-server policy: no group named %s\n"), c->group);
    }
    return rc < 0 ? 1 : rc > 0 ? 2 : 0;
}

static int exception_add(struct mamori_server *s, const struct pcli *c)
{
    struct mamori_policy_exception e = {0};
    char from[32], until[32];
    time_t now = time(NULL);
    int rc;

    if (c->nargs != 0) {
        usage();
        return 2;
    }
    if (c->device == NULL || !valid_device(c->device, e.device)) {
        fprintf(stderr, _("mamori-server exception add: --device VID:PID (hexadecimal, e.g."
                          " 0781:5567) is required\n"));
        return 2;
    }
    if (!need_text(c->approver, "--approver") || !need_text(c->reason, "--reason") ||
        (c->serial != NULL && !need_text(c->serial, "--serial")) || check_times(c, &e, now) != 0)
        return 2;
    if ((rc = resolve_target(s, c, &e)) != 0)
        return rc;
    snprintf(e.serial, sizeof(e.serial), "%s", c->serial ? c->serial : "");
    snprintf(e.approver, sizeof(e.approver), "%s", c->approver);
    snprintf(e.reason, sizeof(e.reason), "%s", c->reason);
    e.created = now;
    if (mamori_pstore_exception_add(s->store, &e) != 0) {
        fprintf(stderr, _("mamori-server exception add: storage error: not recorded\n"));
        return 1;
    }
    mamori_pcli_local_time(e.starts, from, sizeof(from));
    mamori_pcli_local_time(e.until, until, sizeof(until));
    printf(_("exception #%lld recorded: %s %s on %s %s, from %s until %s (approved by %s)\n"),
           (long long)e.id, e.device, e.serial[0] ? e.serial : _("(any serial)"),
           strcmp(e.scope, "host") == 0 ? _("host") : _("group"), e.target_name, from, until,
           e.approver);
    return 0;
}

static const char *state_label(const char *state)
{
    if (strcmp(state, "active") == 0)
        return _("active");
    if (strcmp(state, "pending") == 0)
        return _("pending");
    if (strcmp(state, "expired") == 0)
        return _("expired");
    return strcmp(state, "revoked") == 0 ? _("revoked") : state;
}

static int exception_list(struct mamori_server *s, const struct pcli *c)
{
    cJSON *all = mamori_pstore_exceptions(s->store, time(NULL)), *e, *shown;

    if (all == NULL)
        return 1;
    shown = cJSON_CreateArray();
    cJSON_ArrayForEach(e, all)
    {
        const char *st = mamori_pcli_str(e, "state");

        if (c->all || strcmp(st, "active") == 0 || strcmp(st, "pending") == 0)
            cJSON_AddItemToArray(shown, cJSON_Duplicate(e, 1));
    }
    cJSON_Delete(all);
    if (c->json) {
        mamori_pcli_print_json(shown);
        cJSON_Delete(shown);
        return 0;
    }
    cJSON_ArrayForEach(e, shown)
    {
        printf("#%-4d %-8s %-5s %-20s %s %-16s %s .. %s  %s: %s  %s: %s\n",
               cJSON_GetObjectItem(e, "id")->valueint, state_label(mamori_pcli_str(e, "state")),
               mamori_pcli_str(e, "scope"), mamori_pcli_str(e, "target_name"),
               mamori_pcli_str(e, "device"),
               mamori_pcli_str(e, "serial")[0] ? mamori_pcli_str(e, "serial") : "*",
               mamori_pcli_str(e, "from"), mamori_pcli_str(e, "until"), _("approver"),
               mamori_pcli_str(e, "approver"), _("reason"), mamori_pcli_str(e, "reason"));
    }
    if (cJSON_GetArraySize(shown) == 0)
        printf(_("no exceptions in force (--all lists expired and revoked ones too)\n"));
    cJSON_Delete(shown);
    return 0;
}

static int exception_revoke(struct mamori_server *s, const struct pcli *c)
{
    char *end = NULL;
    long long id;
    int rc;

    if (c->nargs != 1 || (id = strtoll(c->args[0], &end, 10)) <= 0 || *end != '\0') {
        usage();
        return 2;
    }
    if (!need_text(c->reason, "--reason"))
        return 2;
    rc = mamori_pstore_exception_revoke(s->store, id, c->reason, time(NULL));
    if (rc == 1)
        fprintf(stderr, _("mamori-server exception revoke: no exception #%lld in force\n"), id);
    else if (rc == 0)
        printf(_("exception #%lld revoked\n"), id);
    return rc == 0 ? 0 : rc == 1 ? 2 : 1;
}

int mamori_pcli_exception(struct mamori_server *s, const struct pcli *c)
{
    if (strcmp(c->what, "add") == 0)
        return exception_add(s, c);
    if (strcmp(c->what, "list") == 0)
        return exception_list(s, c);
    if (strcmp(c->what, "revoke") == 0)
        return exception_revoke(s, c);
    usage();
    return 2;
}

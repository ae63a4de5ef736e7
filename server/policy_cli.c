/* policy_cli.c -- `mamori-server policy ...` and the dispatch of the central
 * policy commands (docs/central-policy.md):
 *
 *   policy set GROUP --file POLICY.json [--segment S [--department 所属]]
 *                    [--department 所属] [--description TEXT]
 *   policy show [GROUP | --host NAME] [--json]
 *   policy assign HOST (GROUP | --none)
 *   policy remove GROUP
 *   policy keygen
 *
 * (each with [--config FILE]).  `usb ...` is ledger_cli.c, `exception ...`
 * exception_cli.c.  A policy is validated with the agents' own loader
 * before it is stored, so a group can never hold a policy the PCs refuse. */
#include "policy_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_key.h"
#include "durable_file.h"
#include "jws.h"
#include "policy.h"
#include "policy_central.h"
#include "policy_store.h"
#include "report_doc.h"
#include "utf8.h"

static void usage(FILE *out)
{
    fputs(_("usage: mamori-server policy set GROUP --file POLICY.json [--segment SEGMENT]"
            " [--department DEPT] [--description TEXT]\n"
            "       mamori-server policy show [GROUP | --host NAME] [--json]\n"
            "       mamori-server policy assign HOST (GROUP | --none)\n"
            "       mamori-server policy remove GROUP\n"
            "       mamori-server policy keygen\n"
            "       mamori-server usb import-ledger FILE.csv [--encoding auto|utf8|cp932]"
            " [--dry-run]\n"
            "       mamori-server usb ledger [--json]\n"
            "       mamori-server exception add (--host NAME | --group GROUP) --device VID:PID"
            " [--serial S] [--from TIME] --until TIME --approver NAME --reason TEXT\n"
            "       mamori-server exception list [--all] [--json]\n"
            "       mamori-server exception revoke ID --reason TEXT\n"
            "  (each with [--config FILE])\n"),
          out);
}

/* ---- helpers shared by the three commands ---- */

const char *mamori_pcli_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

void mamori_pcli_print_json(const cJSON *doc)
{
    char *text = cJSON_Print(doc);

    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
}

void mamori_pcli_local_time(time_t t, char *buf, size_t len)
{
    struct tm tm;

    if (t <= 0 || localtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "-");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

int mamori_pcli_parse_when(const char *s, int end_of_day, time_t *out)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, se = 0, used = 0;

    if (mamori_rfc3339_parse(s, out) == 0)
        return 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return -1;
    if (s[used] == '\0') {
        if (end_of_day) {
            h = 23;
            mi = se = 59;
        }
    } else if (s[used] != 'T' && s[used] != ' ') {
        return -1;
    } else {
        int more = 0;

        if (sscanf(s + used + 1, "%2d:%2d%n", &h, &mi, &more) != 2)
            return -1;
        used += 1 + more;
        if (s[used] == ':' && sscanf(s + used + 1, "%2d%n", &se, &more) == 1)
            used += 1 + more;
        if (s[used] != '\0' || h > 23 || mi > 59 || se > 59)
            return -1;
    }
    tm = (struct tm){.tm_year = y - 1900,
                     .tm_mon = mo - 1,
                     .tm_mday = d,
                     .tm_hour = h,
                     .tm_min = mi,
                     .tm_sec = se,
                     .tm_isdst = -1};
    *out = mktime(&tm);
    /* mktime moves 2027-02-30 to March: such a date does not exist. */
    return *out == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1 ? -1 : 0;
}

/* ---- policy set ---- */

static int valid_group_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= MAMORI_GROUP_NAME_MAX ||
        mamori_utf8_invalid_at((const unsigned char *)name, n) != n)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* The group's selectors must agree with what its policy says. */
static int check_selectors(const struct pcli *c, const struct mamori_policy *pol)
{
    enum mamori_segment seg;

    if (c->segment != NULL && mamori_segment_from_name(c->segment, &seg) != 0) {
        fprintf(stderr,
                _("mamori-server policy set: --segment: unknown segment \"%s\""
                  " (mynumber, lgwan or internet)\n"),
                c->segment);
        return -1;
    }
    if (c->segment != NULL && seg != pol->segment) {
        fprintf(stderr,
                _("mamori-server policy set: the policy is for segment %s but the group"
                  " is for %s\n"),
                mamori_segment_name(pol->segment), c->segment);
        return -1;
    }
    if (c->department != NULL && pol->department != NULL &&
        strcmp(c->department, pol->department) != 0) {
        fprintf(stderr,
                _("mamori-server policy set: the policy names department \"%s\" but"
                  " the group is for \"%s\"\n"),
                pol->department, c->department);
        return -1;
    }
    return 0;
}

/* The validated file as compact JSON: what the group stores. */
static char *normalized(const char *path)
{
    char *text = mamori_read_file(path, MAMORI_POLICY_MAX_BYTES, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    char *compact = doc ? cJSON_PrintUnformatted(doc) : NULL;

    cJSON_Delete(doc);
    free(text);
    return compact;
}

static int policy_set(struct mamori_server *s, const struct pcli *c)
{
    struct mamori_policy_group g = {0};
    struct mamori_policy_error err;
    struct mamori_policy *pol = NULL;
    char msg[800], conflict[MAMORI_GROUP_NAME_MAX] = "";
    int rc;

    if (c->nargs != 1 || c->file == NULL || (c->department != NULL && c->department[0] == '\0')) {
        usage(stderr);
        return 2;
    }
    if (!valid_group_name(c->args[0])) {
        fprintf(stderr, _("mamori-server policy set: a group name is 1-127 bytes of UTF-8"
                          " without control characters\n"));
        return 2;
    }
    if (mamori_policy_load(c->file, &pol, &err) != 0) {
        mamori_policy_error_format(&err, c->file, msg, sizeof(msg));
        fprintf(stderr, _("mamori-server policy set: invalid policy: %s\n"), msg);
        return 2;
    }
    rc = check_selectors(c, pol);
    mamori_policy_free(pol);
    if (rc != 0)
        return 2;
    snprintf(g.name, sizeof(g.name), "%s", c->args[0]);
    snprintf(g.segment, sizeof(g.segment), "%s", c->segment ? c->segment : "");
    snprintf(g.department, sizeof(g.department), "%s", c->department ? c->department : "");
    snprintf(g.description, sizeof(g.description), "%s", c->description ? c->description : "");
    g.updated = time(NULL);
    g.policy = normalized(c->file);
    rc = g.policy ? mamori_pstore_group_set(s->store, &g, conflict, sizeof(conflict)) : -1;
    free(g.policy);
    if (rc == 2) {
        fprintf(stderr,
                _("mamori-server policy set: group \"%s\" already covers segment %s and"
                  " department \"%s\"\n"),
                conflict, g.segment, g.department);
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, _("mamori-server policy set: the policy could not be stored\n"));
        return 1;
    }
    printf(_("policy group %s saved"), g.name);
    if (g.segment[0])
        printf(_(" (matched to PCs of segment %s%s%s)"), g.segment, g.department[0] ? " / " : "",
               g.department);
    printf("\n");
    return 0;
}

/* ---- policy show ---- */

static int show_groups(struct mamori_server *s, const struct pcli *c)
{
    cJSON *groups = mamori_pstore_groups(s->store), *doc, *g;

    if (groups == NULL)
        return 1;
    if (c->json) {
        doc = cJSON_CreateObject();
        cJSON_AddItemToObject(doc, "groups", groups);
        cJSON_AddItemToObject(doc, "assignments", mamori_pstore_assignments(s->store));
        cJSON_AddBoolToObject(doc, "signing_key", mamori_policy_service_enabled(s));
        mamori_pcli_print_json(doc);
        cJSON_Delete(doc);
        return 0;
    }
    if (!mamori_policy_service_enabled(s))
        printf(_("NOTE: no policy signing key: nothing is distributed until"
                 " `mamori-server policy keygen`\n"));
    printf("%-24s %-9s %-20s %8s  %s\n", _("group"), _("segment"), _("department"), _("assigned"),
           _("description"));
    cJSON_ArrayForEach(g, groups)
    {
        const char *seg = mamori_pcli_str(g, "segment");

        printf("%-24s %-9s %-20s %8d  %s\n", mamori_pcli_str(g, "name"), seg[0] ? seg : "-",
               mamori_pcli_str(g, "department")[0] ? mamori_pcli_str(g, "department") : "-",
               cJSON_GetObjectItem(g, "assigned")->valueint, mamori_pcli_str(g, "description"));
    }
    cJSON_Delete(groups);
    return 0;
}

static int show_group(struct mamori_server *s, const struct pcli *c, const char *name)
{
    struct mamori_policy_group g;
    cJSON *doc, *policy;
    char when[32];
    int rc = mamori_pstore_group_get(s->store, name, &g);

    if (rc != 0) {
        if (rc > 0)
            fprintf(stderr, _("mamori-server policy: no group named %s\n"), name);
        return rc > 0 ? 2 : 1;
    }
    policy = cJSON_Parse(g.policy);
    if (c->json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "name", g.name);
        cJSON_AddStringToObject(doc, "segment", g.segment);
        cJSON_AddStringToObject(doc, "department", g.department);
        cJSON_AddStringToObject(doc, "description", g.description);
        mamori_rfc3339_format(g.updated, when, sizeof(when));
        cJSON_AddStringToObject(doc, "updated", when);
        cJSON_AddItemToObject(doc, "policy", policy);
        mamori_pcli_print_json(doc);
        cJSON_Delete(doc);
    } else {
        mamori_pcli_local_time(g.updated, when, sizeof(when));
        printf("%s: %s\n%s: %s\n%s: %s\n%s: %s\n", _("group"), g.name, _("segment"),
               g.segment[0] ? g.segment : _("(by assignment only)"), _("department"),
               g.department[0] ? g.department : _("(each PC's own)"), _("updated"), when);
        mamori_pcli_print_json(policy);
        cJSON_Delete(policy);
    }
    mamori_policy_group_clear(&g);
    return 0;
}

static void print_allow(const cJSON *bundle)
{
    const cJSON *usb = cJSON_GetObjectItem(cJSON_GetObjectItem(bundle, "policy"), "usb");
    const cJSON *a;

    printf(_("registered media and exceptions allowed (usb.allow):\n"));
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(usb, "allow"))
    {
        const char *until = mamori_pcli_str(a, "until");

        printf("  %-20s %s %-24s %s %s\n", mamori_pcli_str(a, "label"), mamori_pcli_str(a, "id"),
               mamori_pcli_str(a, "serial")[0] ? mamori_pcli_str(a, "serial") : "-",
               until[0] ? _("until") : "", until);
    }
}

static int show_host(struct mamori_server *s, const struct pcli *c)
{
    struct mamori_host_record h;
    struct mamori_composed_bundle b;
    char err[512], when[32];
    cJSON *doc, *bundle;
    int rc = s->store->ops->host_by_name(s->store, c->host, &h);

    if (rc != 0) {
        if (rc > 0)
            fprintf(stderr, _("mamori-server: no host named %s\n"), c->host);
        return rc > 0 ? 2 : 1;
    }
    rc =
        mamori_policy_compose(s->store, &(struct mamori_policy_host){h.id, h.segment, h.department},
                              time(NULL), &b, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "mamori-server policy show: %s\n", err);
    else if (rc == 1 && !c->json)
        printf(_("%s: no central policy applies (the PC keeps its local policy file)\n"),
               h.hostname);
    if (rc == 0 || (rc == 1 && c->json)) {
        bundle = rc == 0 ? cJSON_Parse(b.payload) : NULL;
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "host", h.hostname);
        cJSON_AddStringToObject(doc, "host_id", h.id);
        cJSON_AddStringToObject(doc, "group", rc == 0 ? b.group : "");
        cJSON_AddStringToObject(doc, "how", rc != 0 ? "none" : b.assigned ? "assigned" : "matched");
        cJSON_AddStringToObject(doc, "version", rc == 0 ? b.version : "");
        mamori_rfc3339_format(b.next_change, when, sizeof(when));
        cJSON_AddStringToObject(doc, "next_change", b.next_change ? when : "");
        if (c->json) {
            cJSON_AddItemToObject(doc, "bundle", bundle ? bundle : cJSON_CreateNull());
            mamori_pcli_print_json(doc);
        } else {
            mamori_pcli_local_time(b.next_change, when, sizeof(when));
            printf("%s: %s (%s)\n%s: %s (%s)\n%s: %s\n", _("host"), h.hostname, h.id, _("group"),
                   b.group, b.assigned ? _("assigned") : _("matched by segment/department"),
                   _("bundle version"), b.version);
            if (b.next_change)
                printf(_("changes by itself at: %s (an expiry or a start)\n"), when);
            print_allow(bundle);
            cJSON_Delete(bundle);
        }
        cJSON_Delete(doc);
        mamori_composed_bundle_clear(&b);
    }
    mamori_host_record_clear(&h);
    return rc < 0 ? 1 : 0;
}

/* ---- assign, remove, keygen ---- */

static int policy_assign(struct mamori_server *s, const struct pcli *c)
{
    struct mamori_host_record h;
    struct mamori_policy_group g;
    int rc;

    if (c->nargs != (c->none ? 1 : 2)) {
        usage(stderr);
        return 2;
    }
    rc = s->store->ops->host_by_name(s->store, c->args[0], &h);
    if (rc != 0) {
        if (rc > 0)
            fprintf(stderr, _("mamori-server: no host named %s\n"), c->args[0]);
        return rc > 0 ? 2 : 1;
    }
    if (!c->none && (rc = mamori_pstore_group_get(s->store, c->args[1], &g)) != 0) {
        if (rc > 0)
            fprintf(stderr, _("mamori-server policy: no group named %s\n"), c->args[1]);
        mamori_host_record_clear(&h);
        return rc > 0 ? 2 : 1;
    }
    if (!c->none)
        mamori_policy_group_clear(&g);
    rc = mamori_pstore_assign(s->store, h.id, c->none ? NULL : c->args[1]);
    if (rc == 0 && c->none)
        printf(_("%s: assignment removed (the group matching its segment/department applies)\n"),
               h.hostname);
    else if (rc == 0)
        printf(_("%s: assigned to policy group %s\n"), h.hostname, c->args[1]);
    else if (rc == 1)
        printf(_("%s: had no assignment\n"), h.hostname);
    mamori_host_record_clear(&h);
    return rc < 0 ? 1 : 0;
}

static int policy_remove(struct mamori_server *s, const struct pcli *c)
{
    int rc;

    if (c->nargs != 1) {
        usage(stderr);
        return 2;
    }
    rc = mamori_pstore_group_remove(s->store, c->args[0]);
    if (rc == 1)
        fprintf(stderr, _("mamori-server policy: no group named %s\n"), c->args[0]);
    else if (rc == 0)
        printf(_("policy group %s removed (with its assignments)\n"), c->args[0]);
    return rc == 0 ? 0 : rc == 1 ? 2 : 1;
}

static int policy_keygen(struct mamori_server *s)
{
    char err[512], kid[MAMORI_JWK_THUMBPRINT_LEN + 1] = "?";
    int rc = mamori_policy_keygen(s->cfg.policy_key, err, sizeof(err));
    EVP_PKEY *key;

    if (rc < 0) {
        fprintf(stderr, "mamori-server policy keygen: %s\n", err);
        return 1;
    }
    key = mamori_pem_load_private(s->cfg.policy_key, err, sizeof(err));
    if (key != NULL)
        mamori_jwk_thumbprint(key, kid, sizeof(kid));
    EVP_PKEY_free(key);
    printf(rc == 1 ? _("policy signing key already exists: %s (kid %s)\n")
                   : _("policy signing key created: %s (kid %s)\n"),
           s->cfg.policy_key, kid);
    if (rc == 0)
        printf(_("Restart `mamori-server serve`. PCs pin this key when they enrol: PCs enrolled"
                 " before now must enrol again (mamorictl enroll) to receive central policy.\n"));
    return 0;
}

int mamori_pcli_policy(struct mamori_server *s, const struct pcli *c)
{
    if (strcmp(c->what, "set") == 0)
        return policy_set(s, c);
    if (strcmp(c->what, "show") == 0) {
        if (c->host != NULL)
            return show_host(s, c);
        return c->nargs == 1 ? show_group(s, c, c->args[0]) : show_groups(s, c);
    }
    if (strcmp(c->what, "assign") == 0)
        return policy_assign(s, c);
    if (strcmp(c->what, "remove") == 0)
        return policy_remove(s, c);
    if (strcmp(c->what, "keygen") == 0)
        return policy_keygen(s);
    usage(stderr);
    return 2;
}

/* ---- dispatch ---- */

static int parse(int argc, char **argv, struct pcli *c)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"file", required_argument, NULL, 'f'},
        {"segment", required_argument, NULL, 's'},
        {"department", required_argument, NULL, 'd'},
        {"description", required_argument, NULL, 'D'},
        {"encoding", required_argument, NULL, 'e'},
        {"host", required_argument, NULL, 'H'},
        {"group", required_argument, NULL, 'g'},
        {"device", required_argument, NULL, 'v'},
        {"serial", required_argument, NULL, 'S'},
        {"from", required_argument, NULL, 'F'},
        {"until", required_argument, NULL, 'u'},
        {"approver", required_argument, NULL, 'a'},
        {"reason", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"dry-run", no_argument, NULL, 'n'},
        {"none", no_argument, NULL, 'N'},
        {"all", no_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    const char **field[128] = {
        ['c'] = &c->config,      ['f'] = &c->file,     ['s'] = &c->segment, ['d'] = &c->department,
        ['D'] = &c->description, ['e'] = &c->encoding, ['H'] = &c->host,    ['g'] = &c->group,
        ['v'] = &c->device,      ['S'] = &c->serial,   ['F'] = &c->from,    ['u'] = &c->until,
        ['a'] = &c->approver,    ['r'] = &c->reason,
    };
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'j')
            c->json = 1;
        else if (ch == 'n')
            c->dry_run = 1;
        else if (ch == 'N')
            c->none = 1;
        else if (ch == 'A')
            c->all = 1;
        else if (ch > 0 && ch < 128 && field[ch] != NULL)
            *field[ch] = optarg;
        else
            return -1;
    }
    if (optind >= argc)
        return -1;
    c->what = argv[optind];
    c->args = argv + optind + 1;
    c->nargs = argc - optind - 1;
    return 0;
}

int mamori_policy_cli_main(const char *cmd, int argc, char **argv, const char *default_config)
{
    struct pcli c = {.config = getenv("MAMORI_SERVER_CONFIG")};
    struct mamori_server s;
    char err[512];
    int rc;

    if (parse(argc, argv, &c) != 0) {
        usage(stderr);
        return 2;
    }
    if (c.config == NULL)
        c.config = default_config;
    if (mamori_server_open(&s, c.config, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server: %s\n", err);
        mamori_server_close(&s);
        return 1;
    }
    if (strcmp(cmd, "policy") == 0)
        rc = mamori_pcli_policy(&s, &c);
    else if (strcmp(cmd, "usb") == 0)
        rc = mamori_pcli_usb(&s, &c);
    else
        rc = mamori_pcli_exception(&s, &c);
    mamori_server_close(&s);
    return rc;
}

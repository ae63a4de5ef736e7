/* fleet.c -- fleet summary, per-host view and their terminal rendering. */
#include "fleet.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "catalogue.h"
#include "report_doc.h"

#define _(s) gettext(s)

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* The object in array whose "name" (or "id") is key, created when missing. */
static cJSON *bucket(cJSON *array, const char *field, const char *key)
{
    cJSON *b;
    cJSON_ArrayForEach(b, array)
    {
        if (strcmp(str(b, field), key) == 0)
            return b;
    }
    b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, field, key);
    cJSON_AddNumberToObject(b, "pass", 0);
    cJSON_AddNumberToObject(b, "fail", 0);
    cJSON_AddNumberToObject(b, "error", 0);
    cJSON_AddNumberToObject(b, "not_applicable", 0);
    cJSON_AddItemToArray(array, b);
    return b;
}

static void bump(cJSON *b, const char *verdict)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(b, verdict);
    if (cJSON_IsNumber(n))
        cJSON_SetNumberValue(n, n->valuedouble + 1);
}

/* Hosts count per group as compliant (no fail/error) or not. */
static void count_group(cJSON *array, const char *key, int compliant)
{
    cJSON *b = bucket(array, "name", key[0] ? key : "-");
    cJSON *hosts = cJSON_GetObjectItem(b, "hosts"), *ok = cJSON_GetObjectItem(b, "compliant");
    if (hosts == NULL) {
        hosts = cJSON_AddNumberToObject(b, "hosts", 0);
        ok = cJSON_AddNumberToObject(b, "compliant", 0);
    }
    cJSON_SetNumberValue(hosts, hosts->valuedouble + 1);
    if (compliant)
        cJSON_SetNumberValue(ok, ok->valuedouble + 1);
}

static void add_failing(cJSON *check_bucket, const cJSON *host, const cJSON *check)
{
    cJSON *failing = cJSON_GetObjectItem(check_bucket, "failing"), *f;
    if (failing == NULL)
        failing = cJSON_AddArrayToObject(check_bucket, "failing");
    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "hostname", str(host, "hostname"));
    cJSON_AddStringToObject(f, "department", str(host, "department"));
    cJSON_AddStringToObject(f, "verdict", str(check, "verdict"));
    cJSON_AddStringToObject(f, "since", str(check, "since"));
    cJSON_AddItemToArray(failing, f);
}

static int host_is_silent(const cJSON *host, time_t now, long silent_after)
{
    time_t seen = 0;
    const char *last = str(host, "last_seen");
    if (last[0] == '\0' || mamori_rfc3339_parse(last, &seen) != 0)
        return 1; /* enrolled but never reported */
    return now - seen > silent_after;
}

static void summarize_host(cJSON *sum, const cJSON *host, time_t now, long silent_after)
{
    cJSON *checks = cJSON_GetObjectItem(sum, "checks");
    const cJSON *c;
    int compliant = 1;

    cJSON_ArrayForEach(c, cJSON_GetObjectItem(host, "checks"))
    {
        const char *verdict = str(c, "verdict");
        cJSON *b = bucket(checks, "id", str(c, "id"));
        bump(b, verdict);
        if (strcmp(verdict, "fail") == 0 || strcmp(verdict, "error") == 0) {
            compliant = 0;
            add_failing(b, host, c);
        }
    }
    count_group(cJSON_GetObjectItem(sum, "departments"), str(host, "department"), compliant);
    count_group(cJSON_GetObjectItem(sum, "segments"), str(host, "segment"), compliant);
    if (host_is_silent(host, now, silent_after)) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "hostname", str(host, "hostname"));
        cJSON_AddStringToObject(s, "department", str(host, "department"));
        cJSON_AddItemToObject(s, "last_seen",
                              cJSON_Duplicate(cJSON_GetObjectItem(host, "last_seen"), 1));
        cJSON_AddItemToArray(cJSON_GetObjectItem(sum, "silent"), s);
    }
}

cJSON *mamori_fleet_summary(const cJSON *hosts, time_t now, long silent_after_seconds)
{
    cJSON *sum = cJSON_CreateObject();
    const cJSON *h;
    char buf[32];

    mamori_rfc3339_format(now, buf, sizeof(buf));
    cJSON_AddStringToObject(sum, "generated", buf);
    cJSON_AddNumberToObject(sum, "hosts", cJSON_GetArraySize(hosts));
    cJSON_AddNumberToObject(sum, "silent_after_seconds", (double)silent_after_seconds);
    cJSON_AddArrayToObject(sum, "checks");
    cJSON_AddArrayToObject(sum, "departments");
    cJSON_AddArrayToObject(sum, "segments");
    cJSON_AddArrayToObject(sum, "silent");
    cJSON_ArrayForEach(h, hosts)
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(h, "revoked")))
            summarize_host(sum, h, now, silent_after_seconds);
    }
    return sum;
}

cJSON *mamori_fleet_host(struct mamori_server *s, const char *name)
{
    struct mamori_host_record rec;
    struct mamori_event_filter f = {.limit = 100};
    cJSON *hosts, *h, *found = NULL;

    if (s->store->ops->host_by_name(s->store, name, &rec) != 0)
        return NULL;
    hosts = s->store->ops->hosts(s->store);
    cJSON_ArrayForEach(h, hosts)
    {
        if (strcmp(str(h, "id"), rec.id) == 0) {
            found = cJSON_Duplicate(h, 1);
            break;
        }
    }
    cJSON_Delete(hosts);
    if (found != NULL) {
        f.host = rec.id;
        cJSON_AddStringToObject(found, "cert_serial", rec.cert_serial);
        cJSON_AddStringToObject(found, "kid", rec.key_thumbprint);
        cJSON_AddItemToObject(found, "history", s->store->ops->history(s->store, rec.id, 50));
        cJSON_AddItemToObject(found, "events", s->store->ops->events(s->store, &f));
    }
    mamori_host_record_clear(&rec);
    return found;
}

static int num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void print_groups(FILE *out, const char *title, const cJSON *groups)
{
    const cJSON *g;
    fprintf(out, "\n%s\n", title);
    cJSON_ArrayForEach(g, groups)
    {
        fprintf(out, "  %-24s %s %d / %d\n", str(g, "name"), _("compliant"), num(g, "compliant"),
                num(g, "hosts"));
    }
}

void mamori_fleet_print(FILE *out, const cJSON *sum)
{
    const cJSON *c, *f;
    fprintf(out, "%s: %d  (%s %s)\n", _("Hosts"), num(sum, "hosts"), _("as of"),
            str(sum, "generated"));
    fprintf(out, "\n%s\n", _("Compliance per check (pass / fail / error / n.a.)"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(sum, "checks"))
    {
        fprintf(out, "  %-36s %4d %4d %4d %4d\n", str(c, "id"), num(c, "pass"), num(c, "fail"),
                num(c, "error"), num(c, "not_applicable"));
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(c, "failing"))
        {
            fprintf(out, "      %s %-24s %s %s\n", str(f, "verdict"), str(f, "hostname"),
                    _("since"), str(f, "since"));
        }
    }
    print_groups(out, _("Per department"), cJSON_GetObjectItem(sum, "departments"));
    print_groups(out, _("Per segment"), cJSON_GetObjectItem(sum, "segments"));
    fprintf(out, "\n%s\n", _("Silent hosts (no recent report)"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(sum, "silent"))
    {
        const cJSON *seen = cJSON_GetObjectItem(c, "last_seen");
        fprintf(out, "  %-24s %s %s\n", str(c, "hostname"), _("last report"),
                cJSON_IsString(seen) ? seen->valuestring : _("never"));
    }
}

/* Japanese when the messages locale is Japanese, as gettext would choose. */
static int japanese(void)
{
    const char *loc = setlocale(LC_MESSAGES, NULL);
    return loc != NULL && strncmp(loc, "ja", 2) == 0;
}

/* A check's title comes from the catalogue by id (reports do not carry it). */
static const char *check_title(const char *id)
{
    const struct mamori_check_text *t = mamori_catalogue_find(id);
    return t == NULL ? "" : japanese() ? t->title_ja : t->title_en;
}

void mamori_fleet_print_events(FILE *out, const cJSON *events)
{
    const cJSON *e;
    int ja = japanese();
    cJSON_ArrayForEach(e, events)
    {
        const cJSON *summary = cJSON_GetObjectItem(e, "summary");
        fprintf(out, "%s  %-20s %-24s %s\n", str(e, "time"), str(e, "hostname"), str(e, "type"),
                str(summary, ja ? "ja" : "en"));
    }
}

void mamori_fleet_print_host(FILE *out, const cJSON *host)
{
    const cJSON *c;
    fprintf(out, "%s: %s (%s)\n", _("Host"), str(host, "hostname"), str(host, "id"));
    fprintf(out, "%s: %s / %s: %s\n", _("Department"), str(host, "department"), _("Segment"),
            str(host, "segment"));
    fprintf(out, "%s: %s (seq %d)\n", _("Last report"), str(host, "last_seen"),
            num(host, "last_seq"));
    fprintf(out, "\n%s\n", _("Checks"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(host, "checks"))
    {
        fprintf(out, "  %-36s %-15s %s %s  %s\n", str(c, "id"), str(c, "verdict"), _("since"),
                str(c, "since"), check_title(str(c, "id")));
    }
    fprintf(out, "\n%s\n", _("Recent reports"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(host, "history"))
    {
        fprintf(out, "  seq %-8d %s\n", num(c, "seq"), str(c, "time"));
    }
    fprintf(out, "\n%s\n", _("Events"));
    mamori_fleet_print_events(out, cJSON_GetObjectItem(host, "events"));
}

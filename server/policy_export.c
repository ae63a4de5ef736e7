/* policy_export.c -- central policy in the audit export:
 * `mamori-server export --csv --table exceptions|ledger|policy`.
 *
 * Same CSV as the host table (UTF-8 BOM, CRLF, formulas neutralized):
 *   exceptions  every 例外措置 ever recorded, with approver, reason, period
 *               and its state now (active / pending / expired / revoked)
 *   ledger      the registered-media ledger as last imported, in the
 *               ledger's own columns, so the file can be imported again
 *   policy      one row per PC: its group, how it got it, the bundle version
 *               it should run and the version it last reported */
#include "policy_central.h"

#include <string.h>
#include <time.h>

#include "fleet.h"
#include "policy_store.h"

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static void row(FILE *out, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mamori_csv_cell(out, cells[i] ? cells[i] : "", i + 1 == n);
}

static int export_exceptions(struct mamori_server *s, FILE *out)
{
    static const char *const header[] = {"id",       "scope", "target",  "target name",  "device",
                                         "serial",   "from",  "until",   "approver",     "reason",
                                         "recorded", "state", "revoked", "revoke reason"};
    cJSON *all = mamori_pstore_exceptions(s->store, time(NULL)), *e;
    char id[24];

    if (all == NULL)
        return -1;
    row(out, header, 14);
    cJSON_ArrayForEach(e, all)
    {
        const char *cells[] = {id,
                               str(e, "scope"),
                               str(e, "target"),
                               str(e, "target_name"),
                               str(e, "device"),
                               str(e, "serial"),
                               str(e, "from"),
                               str(e, "until"),
                               str(e, "approver"),
                               str(e, "reason"),
                               str(e, "created"),
                               str(e, "state"),
                               str(e, "revoked"),
                               str(e, "revoke_reason")};

        snprintf(id, sizeof(id), "%d", cJSON_GetObjectItem(e, "id")->valueint);
        row(out, cells, 14);
    }
    cJSON_Delete(all);
    return 0;
}

static const char *ledger_state(const char *state)
{
    if (strcmp(state, "in_use") == 0)
        return "利用中";
    if (strcmp(state, "returned") == 0)
        return "返却済";
    if (strcmp(state, "disposed") == 0)
        return "廃棄";
    return strcmp(state, "lost") == 0 ? "紛失" : state;
}

/* 有効期限 as the ledger writes it: the local date. */
static void ledger_date(const char *rfc3339, char *buf, size_t len)
{
    time_t t;
    struct tm tm;

    buf[0] = '\0';
    if (rfc3339[0] && mamori_rfc3339_parse(rfc3339, &t) == 0 && localtime_r(&t, &tm) != NULL)
        strftime(buf, len, "%Y/%m/%d", &tm);
}

static int export_ledger(struct mamori_server *s, FILE *out)
{
    static const char *const header[] = {"管理番号", "所属",     "管理者", "VID:PID",
                                         "シリアル", "有効期限", "状態",   "ハッシュ"};
    cJSON *media = mamori_pstore_ledger(s->store), *m;
    char date[16];

    if (media == NULL)
        return -1;
    row(out, header, 8);
    cJSON_ArrayForEach(m, media)
    {
        const char *cells[] = {str(m, "number"),
                               str(m, "department"),
                               str(m, "custodian"),
                               str(m, "id"),
                               str(m, "serial"),
                               date,
                               ledger_state(str(m, "state")),
                               str(m, "hash")};

        ledger_date(str(m, "until"), date, sizeof(date));
        row(out, cells, 8);
    }
    cJSON_Delete(media);
    return 0;
}

static void policy_row(struct mamori_server *s, FILE *out, const cJSON *h)
{
    struct mamori_composed_bundle b;
    char err[512];
    const char *reported = str(h, "policy_version");
    int rc = mamori_policy_compose(
        s->store,
        &(struct mamori_policy_host){str(h, "id"), str(h, "segment"), str(h, "department")},
        time(NULL), &b, err, sizeof(err));
    const char *cells[] = {str(h, "id"),
                           str(h, "hostname"),
                           str(h, "department"),
                           str(h, "segment"),
                           rc == 0 ? b.group : "",
                           rc == 0   ? (b.assigned ? "assigned" : "matched")
                           : rc == 1 ? "none"
                                     : "error",
                           rc == 0 ? b.version : "",
                           reported,
                           rc == 0 ? (strcmp(b.version, reported) == 0 ? "yes" : "no") : ""};

    row(out, cells, 9);
    if (rc == 0)
        mamori_composed_bundle_clear(&b);
}

static int export_policy(struct mamori_server *s, FILE *out)
{
    static const char *const header[] = {"host",           "hostname",         "department",
                                         "segment",        "policy group",     "how",
                                         "bundle version", "version in force", "up to date"};
    cJSON *hosts = s->store->ops->hosts(s->store), *h;

    if (hosts == NULL)
        return -1;
    row(out, header, 9);
    cJSON_ArrayForEach(h, hosts)
    {
        policy_row(s, out, h);
    }
    cJSON_Delete(hosts);
    return 0;
}

int mamori_policy_export_csv(struct mamori_server *s, const char *table, FILE *out)
{
    int rc;

    if (strcmp(table, "exceptions") != 0 && strcmp(table, "ledger") != 0 &&
        strcmp(table, "policy") != 0)
        return -2;
    fputs("\xEF\xBB\xBF", out);
    if (strcmp(table, "exceptions") == 0)
        rc = export_exceptions(s, out);
    else if (strcmp(table, "ledger") == 0)
        rc = export_ledger(s, out);
    else
        rc = export_policy(s, out);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

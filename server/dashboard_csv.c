/* dashboard_csv.c -- every dashboard table as a CSV download for Excel.
 *
 * Same rules as `mamori-server export --csv` (export_csv.c): UTF-8 with a
 * BOM (Excel otherwise reads Shift_JIS and garbles Japanese), CRLF, RFC 4180
 * quoting, and cells that a spreadsheet would run as a formula (leading
 * = + - @ tab CR, and their full-width forms, which Japanese Excel also
 * accepts) neutralized with a leading apostrophe -- hostnames and event
 * text come from PCs and may be hostile.  Times stay RFC 3339 so the file
 * sorts and compares without a locale. */
#include "dashboard_views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard_data.h"
#include "fleet.h"

#define CSV_ALL_ROWS 10000000

struct csv {
    struct mamori_dash *d;
    struct evbuffer *out;
};

static int formula_start(const char *v)
{
    static const char *const fullwidth[] = {"\xEF\xBC\x9D", "\xEF\xBC\x8B", "\xEF\xBC\x8D",
                                            "\xEF\xBC\xA0"}; /* ＝ ＋ － ＠ */
    if (v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL)
        return 1;
    for (size_t i = 0; i < sizeof(fullwidth) / sizeof(fullwidth[0]); i++)
        if (strncmp(v, fullwidth[i], 3) == 0)
            return 1;
    return 0;
}

static void cell(struct csv *c, const char *v, int last)
{
    int neutralize = formula_start(v);
    int quote = neutralize || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        evbuffer_add(c->out, "\"", 1);
    if (neutralize)
        evbuffer_add(c->out, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            evbuffer_add(c->out, "\"", 1);
        evbuffer_add(c->out, p, 1);
    }
    if (quote)
        evbuffer_add(c->out, "\"", 1);
    evbuffer_add(c->out, last ? "\r\n" : ",", last ? 2 : 1);
}

static void number(struct csv *c, double v, int last)
{
    evbuffer_add_printf(c->out, "%.0f%s", v, last ? "\r\n" : ",");
}

/* A header row of "ja|en" pairs in the page's language. */
static void header(struct csv *c, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr(names[i], '|');
        char label[128];
        if (c->d->en && bar != NULL)
            snprintf(label, sizeof(label), "%s", bar + 1);
        else
            snprintf(label, sizeof(label), "%.*s", bar ? (int)(bar - names[i]) : 127, names[i]);
        cell(c, label, i + 1 == n);
    }
}

#define HEADER(c, ...)                                                                             \
    do {                                                                                           \
        static const char *const names_[] = {__VA_ARGS__};                                         \
        header(c, names_, sizeof(names_) / sizeof(names_[0]));                                     \
    } while (0)

static void checks_csv(struct csv *c, const cJSON *ov)
{
    const cJSON *k;
    HEADER(c, "点検項目ID|check", "点検項目|title", "合格|pass", "不合格|fail", "エラー|error",
           "対象外|not_applicable");
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(ov, "checks"))
    {
        const char *id = mamori_dash_str(k, "id"), *title = mamori_dash_check_title(id, c->d->en);
        cell(c, id, 0);
        cell(c, title ? title : "", 0);
        number(c, mamori_dash_num(k, "pass"), 0);
        number(c, mamori_dash_num(k, "fail"), 0);
        number(c, mamori_dash_num(k, "error"), 0);
        number(c, mamori_dash_num(k, "not_applicable"), 1);
    }
}

static void groups_csv(struct csv *c, const cJSON *groups, int segments)
{
    const cJSON *g;
    if (segments)
        HEADER(c, "系|segment", "端末数|hosts", "遵守|compliant", "不遵守|not_compliant");
    else
        HEADER(c, "所属|department", "端末数|hosts", "遵守|compliant", "不遵守|not_compliant");
    cJSON_ArrayForEach(g, groups)
    {
        double hosts = mamori_dash_num(g, "hosts"), ok = mamori_dash_num(g, "compliant");
        cell(c, mamori_dash_str(g, "name"), 0);
        number(c, hosts, 0);
        number(c, ok, 0);
        number(c, hosts - ok, 1);
    }
}

static void trend_csv(struct csv *c, const cJSON *trend)
{
    const cJSON *t;
    HEADER(c, "日付|day", "端末数|hosts", "遵守|compliant", "報告なし|silent");
    cJSON_ArrayForEach(t, trend)
    {
        cell(c, mamori_dash_str(t, "day"), 0);
        number(c, mamori_dash_num(t, "hosts"), 0);
        number(c, mamori_dash_num(t, "compliant"), 0);
        number(c, mamori_dash_num(t, "silent"), 1);
    }
}

static void failing_csv(struct csv *c, const cJSON *failing)
{
    const cJSON *f;
    HEADER(c, "点検項目ID|check", "端末|hostname", "所属|department", "判定|verdict",
           "不合格となった日時|since");
    cJSON_ArrayForEach(f, failing)
    {
        cell(c, mamori_dash_str(f, "check_id"), 0);
        cell(c, mamori_dash_str(f, "hostname"), 0);
        cell(c, mamori_dash_str(f, "department"), 0);
        cell(c, mamori_dash_str(f, "verdict"), 0);
        cell(c, mamori_dash_str(f, "since"), 1);
    }
}

static void silent_csv(struct csv *c, const cJSON *silent)
{
    const cJSON *s;
    HEADER(c, "端末|hostname", "所属|department", "最終報告|last_seen");
    cJSON_ArrayForEach(s, silent)
    {
        cell(c, mamori_dash_str(s, "hostname"), 0);
        cell(c, mamori_dash_str(s, "department"), 0);
        cell(c, mamori_dash_str(s, "last_seen"), 1);
    }
}

static void events_csv(struct csv *c, const cJSON *events)
{
    const cJSON *e;
    HEADER(c, "日時|time", "端末|hostname", "ホストID|host_id", "種別|type", "重大度|severity",
           "内容|summary", "詳細|facts");
    cJSON_ArrayForEach(e, events)
    {
        char *facts = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "facts"));
        cell(c, mamori_dash_str(e, "time"), 0);
        cell(c, mamori_dash_str(e, "hostname"), 0);
        cell(c, mamori_dash_str(e, "host_id"), 0);
        cell(c, mamori_dash_str(e, "type"), 0);
        cell(c, mamori_dash_str(e, "severity"), 0);
        cell(c, mamori_dash_bi(e, "summary", c->d->en), 0);
        cell(c, facts ? facts : "", 1);
        cJSON_free(facts);
    }
}

static void host_checks_csv(struct csv *c, const cJSON *host)
{
    const cJSON *k;
    HEADER(c, "端末|hostname", "点検項目ID|check", "点検項目|title", "判定|verdict",
           "判定の開始|since", "詳細|detail", "対処方法|remediation", "規定|clause");
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(host, "checks"))
    {
        const char *title = mamori_dash_bi(k, "title", c->d->en);
        const char *known = mamori_dash_check_title(mamori_dash_str(k, "id"), c->d->en);
        cell(c, mamori_dash_str(host, "hostname"), 0);
        cell(c, mamori_dash_str(k, "id"), 0);
        cell(c, title[0] ? title : known ? known : "", 0);
        cell(c, mamori_dash_str(k, "verdict"), 0);
        cell(c, mamori_dash_str(k, "since"), 0);
        cell(c, mamori_dash_bi(k, "detail", c->d->en), 0);
        cell(c, mamori_dash_bi(k, "remediation", c->d->en), 0);
        cell(c, mamori_dash_str(k, "clause"), 1);
    }
}

static void history_csv(struct csv *c, const cJSON *host)
{
    const cJSON *r;
    HEADER(c, "端末|hostname", "seq", "報告時刻|time", "受信時刻|received", "SHA-256");
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(host, "history"))
    {
        cell(c, mamori_dash_str(host, "hostname"), 0);
        number(c, mamori_dash_num(r, "seq"), 0);
        cell(c, mamori_dash_str(r, "time"), 0);
        cell(c, mamori_dash_str(r, "received"), 0);
        cell(c, mamori_dash_str(r, "sha256"), 1);
    }
}

/* ---- which table ---- */

static int overview_table(struct csv *c, struct mamori_server *s, const char *name)
{
    static const char *const names[] = {"checks", "departments", "segments", "trend"};
    cJSON *ov = NULL;
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]) && strcmp(name, names[i]) != 0; i++)
        ;
    if (i == sizeof(names) / sizeof(names[0]))
        return 1;
    ov = mamori_dash_overview(s, time(NULL), 1);
    if (ov == NULL)
        return -1;
    if (i == 0)
        checks_csv(c, ov);
    else if (i == 1 || i == 2)
        groups_csv(c, cJSON_GetObjectItem(ov, i == 1 ? "departments" : "segments"), i == 2);
    else
        trend_csv(c, cJSON_GetObjectItem(ov, "trend"));
    cJSON_Delete(ov);
    return 0;
}

static int events_table(struct csv *c, struct mamori_server *s, const char *name)
{
    struct mamori_event_filter f = {.limit = 100000};
    cJSON *events;
    if (strcmp(name, "usb-blocks") == 0)
        f.type = "usb.blocked";
    else if (strcmp(name, "net-blocks") == 0)
        f.type = "net.refused";
    else if (strcmp(name, "events") != 0)
        return 1;
    else if (mamori_dash_event_filter(c->d, &f) != 0)
        return 1;
    events = s->store->ops->events(s->store, &f);
    if (events == NULL)
        return -1;
    events_csv(c, events);
    cJSON_Delete(events);
    return 0;
}

static int host_table(struct csv *c, struct mamori_server *s, const char *name)
{
    const char *which = mamori_dash_param(c->d, "host");
    cJSON *host;
    if (strcmp(name, "host-checks") != 0 && strcmp(name, "host-history") != 0)
        return 1;
    host = which ? mamori_dash_host(s, which) : NULL;
    if (host == NULL)
        return 1;
    if (strcmp(name, "host-checks") == 0)
        host_checks_csv(c, host);
    else
        history_csv(c, host);
    cJSON_Delete(host);
    return 0;
}

static int list_table(struct csv *c, struct mamori_server *s, const char *name)
{
    struct mamori_sqldb *db = mamori_dash_db(s);
    cJSON *list;
    if (strcmp(name, "failing") == 0)
        list = mamori_dash_failing(db, CSV_ALL_ROWS);
    else if (strcmp(name, "silent") == 0)
        list = mamori_dash_silent(db, time(NULL) - mamori_dash_silent_after(s), CSV_ALL_ROWS);
    else
        return 1;
    if (list == NULL)
        return -1;
    if (strcmp(name, "failing") == 0)
        failing_csv(c, list);
    else
        silent_csv(c, list);
    cJSON_Delete(list);
    return 0;
}

/* The collector's own audit table (export_csv.c), BOM included. */
static int audit_table(struct csv *c, struct mamori_server *s)
{
    cJSON *hosts = s->store->ops->hosts(s->store);
    char *text = NULL;
    size_t len = 0;
    FILE *mem;
    int rc = -1;
    if (hosts == NULL)
        return -1;
    mem = open_memstream(&text, &len);
    if (mem != NULL) {
        rc = mamori_export_csv(mem, hosts);
        if (fclose(mem) != 0)
            rc = -1;
    }
    if (rc == 0)
        evbuffer_add(c->out, text, len);
    free(text);
    cJSON_Delete(hosts);
    return rc;
}

void mamori_dash_csv(struct mamori_dash *d, struct mamori_server *s, const char *name)
{
    struct csv c = {d, evbuffer_new()};
    char filename[96], stamp[16];
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    if (c.out == NULL) {
        mamori_dash_message(d, 500, "内部エラー", "Internal error");
        return;
    }
    if (strcmp(name, "audit") == 0) {
        rc = audit_table(&c, s);
    } else {
        evbuffer_add(c.out, "\xEF\xBB\xBF", 3);
        rc = overview_table(&c, s, name);
        if (rc == 1)
            rc = list_table(&c, s, name);
        if (rc == 1)
            rc = events_table(&c, s, name);
        if (rc == 1)
            rc = host_table(&c, s, name);
    }
    if (rc == 0) {
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d", &tm);
        snprintf(filename, sizeof(filename), "mamori-%s-%s.csv", name, stamp);
        mamori_dash_send_file(d, "text/csv; charset=utf-8", filename, c.out);
    } else if (rc == 1) {
        mamori_dash_message(d, 404, "該当する表がありません", "No such table");
    } else {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
    }
    evbuffer_free(c.out);
}

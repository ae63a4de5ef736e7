/* dashboard_data.c -- queries behind the dashboard pages (see dashboard_data.h).
 *
 * Written once against mamori_sqldb with $n placeholders, like store_core.c,
 * so SQLite and PostgreSQL run the same statements.  Results are cJSON so
 * the HTML pages and the CSV downloads render the same data. */
#include "dashboard_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "catalogue.h"
#include "report_doc.h"

/* The trend table, and indexes that keep the overview fast at 100,000 PCs
 * (bench/dashboard).  They cost ingest little: check_state rows are written
 * only when a verdict changes, and the failing index holds only fail/error
 * rows. */
static const char *const dashboard_schema[] = {
    "CREATE TABLE IF NOT EXISTS ui_trend (day TEXT PRIMARY KEY, hosts BIGINT NOT NULL,"
    " compliant BIGINT NOT NULL, silent BIGINT NOT NULL, updated BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ui_check_state_failing ON check_state (since)"
    " WHERE verdict IN ('fail', 'error')",
    "CREATE INDEX IF NOT EXISTS ui_check_state_verdicts ON check_state (check_id, verdict)",
    "CREATE INDEX IF NOT EXISTS ui_events_host ON events (host_id, time)",
    NULL,
};

static long exec(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                 mamori_sql_row_fn row, void *arg)
{
    return db->db->exec(db, sql, p, n, row, arg);
}

int mamori_dash_schema_apply(struct mamori_sqldb *db, const char *const *statements)
{
    /* PostgreSQL is the backend with row locks: collectors starting together
     * serialize on the advisory lock the main schema uses. */
    int pg = db->lock_row != NULL && db->lock_row[0] != '\0';
    if (db->db->begin(db) != 0)
        return -1;
    if (pg && exec(db, "SELECT pg_advisory_xact_lock(7349)", NULL, 0, NULL, NULL) < 0)
        goto fail;
    for (int i = 0; statements[i] != NULL; i++)
        if (exec(db, statements[i], NULL, 0, NULL, NULL) < 0)
            goto fail;
    return db->db->commit(db);
fail:
    db->db->rollback(db);
    return -1;
}

int mamori_dash_data_prepare(struct mamori_sqldb *db)
{
    return mamori_dash_schema_apply(db, dashboard_schema);
}

struct mamori_sqldb *mamori_dash_db(struct mamori_server *s)
{
    return (struct mamori_sqldb *)s->store;
}

long mamori_dash_silent_after(const struct mamori_server *s)
{
    return s->cfg.report_interval_seconds * s->cfg.silent_after_intervals;
}

static long num(const char *v)
{
    return v ? strtol(v, NULL, 10) : 0;
}

/* UNIX seconds as RFC 3339, or JSON null for 0 ("never"). */
static void add_time(cJSON *o, const char *name, const char *v)
{
    char buf[32];
    time_t t = v ? (time_t)strtoll(v, NULL, 10) : 0;
    if (t <= 0) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    mamori_rfc3339_format(t, buf, sizeof(buf));
    cJSON_AddStringToObject(o, name, buf);
}

static void add_str(cJSON *o, const char *name, const char *v)
{
    cJSON_AddStringToObject(o, name, v ? v : "");
}

/* ---- overview ---- */

static cJSON *find_by(cJSON *array, const char *field, const char *key)
{
    cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, field);
        if (cJSON_IsString(v) && strcmp(v->valuestring, key) == 0)
            return item;
    }
    return NULL;
}

static void add_to(cJSON *o, const char *name, long n)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (v == NULL)
        cJSON_AddNumberToObject(o, name, (double)n);
    else
        cJSON_SetNumberValue(v, v->valuedouble + (double)n);
}

struct check_counts {
    cJSON *checks;
    int sign; /* +1: every host; -1: take the revoked hosts out again */
};

static int check_count_row(void *arg, int ncol, const char *const *c)
{
    struct check_counts *cc = arg;
    cJSON *b;
    if (ncol < 3 || c[0] == NULL || c[1] == NULL || !mamori_verdict_valid(c[1]))
        return 0;
    b = find_by(cc->checks, "id", c[0]);
    if (b == NULL) {
        b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "id", c[0]);
        cJSON_AddNumberToObject(b, "pass", 0);
        cJSON_AddNumberToObject(b, "fail", 0);
        cJSON_AddNumberToObject(b, "error", 0);
        cJSON_AddNumberToObject(b, "not_applicable", 0);
        cJSON_AddItemToArray(cc->checks, b);
    }
    add_to(b, c[1], cc->sign * num(c[2]));
    return 0;
}

static void add_group(cJSON *groups, const char *name, long hosts, long compliant)
{
    cJSON *g = find_by(groups, "name", name[0] ? name : "-");
    if (g == NULL) {
        g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "name", name[0] ? name : "-");
        cJSON_AddItemToArray(groups, g);
    }
    add_to(g, "hosts", hosts);
    add_to(g, "compliant", compliant);
}

/* One row per (department, segment): hosts, compliant, silent. */
static int group_row(void *arg, int ncol, const char *const *c)
{
    cJSON *ov = arg;
    long hosts, compliant;
    if (ncol < 5)
        return -1;
    hosts = num(c[2]);
    compliant = num(c[3]);
    add_group(cJSON_GetObjectItem(ov, "departments"), c[0] ? c[0] : "", hosts, compliant);
    add_group(cJSON_GetObjectItem(ov, "segments"), c[1] ? c[1] : "", hosts, compliant);
    add_to(ov, "hosts", hosts);
    add_to(ov, "compliant", compliant);
    add_to(ov, "silent", num(c[4]));
    return 0;
}

/* Per check and verdict.  Counting every row reads only the
 * ui_check_state_verdicts index; the few revoked hosts are then subtracted
 * (cheaper than joining 1,000,000 rows with hosts). */
static int check_counts(struct mamori_sqldb *db, cJSON *ov)
{
    struct check_counts all = {cJSON_AddArrayToObject(ov, "checks"), 1};
    struct check_counts revoked = {all.checks, -1};
    return exec(db,
                "SELECT check_id, verdict, COUNT(*) FROM check_state"
                " GROUP BY check_id, verdict ORDER BY check_id",
                NULL, 0, check_count_row, &all) < 0 ||
                   exec(db,
                        "SELECT c.check_id, c.verdict, COUNT(*) FROM hosts h"
                        " JOIN check_state c ON c.host_id = h.id WHERE h.revoked <> 0"
                        " GROUP BY c.check_id, c.verdict",
                        NULL, 0, check_count_row, &revoked) < 0
               ? -1
               : 0;
}

static int overview_counts(struct mamori_sqldb *db, cJSON *ov, time_t cutoff)
{
    const struct mamori_sqlv p[] = {SQLV_I(cutoff)};
    cJSON_AddNumberToObject(ov, "hosts", 0);
    cJSON_AddNumberToObject(ov, "compliant", 0);
    cJSON_AddNumberToObject(ov, "silent", 0);
    cJSON_AddArrayToObject(ov, "departments");
    cJSON_AddArrayToObject(ov, "segments");
    if (check_counts(db, ov) != 0)
        return -1;
    return exec(db,
                "SELECT h.department, h.segment, COUNT(*),"
                " SUM(CASE WHEN f.host_id IS NULL AND h.last_seen > 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN h.last_seen < $1 THEN 1 ELSE 0 END)"
                " FROM hosts h LEFT JOIN (SELECT DISTINCT host_id FROM check_state"
                " WHERE verdict IN ('fail', 'error')) f ON f.host_id = h.id"
                " WHERE h.revoked = 0 GROUP BY h.department, h.segment"
                " ORDER BY h.department, h.segment",
                p, 1, group_row, ov) < 0
               ? -1
               : 0;
}

static int failing_row(void *arg, int ncol, const char *const *c)
{
    cJSON *f = cJSON_CreateObject();
    if (ncol < 5 || f == NULL) {
        cJSON_Delete(f);
        return -1;
    }
    add_str(f, "check_id", c[0]);
    add_str(f, "hostname", c[1]);
    add_str(f, "department", c[2]);
    add_str(f, "verdict", c[3]);
    add_time(f, "since", c[4]);
    cJSON_AddItemToArray(arg, f);
    return 0;
}

cJSON *mamori_dash_failing(struct mamori_sqldb *db, int limit)
{
    cJSON *a = cJSON_CreateArray();
    const struct mamori_sqlv p[] = {SQLV_I(limit)};
    if (exec(db,
             "SELECT c.check_id, h.hostname, h.department, c.verdict, c.since FROM check_state c"
             " JOIN hosts h ON h.id = c.host_id WHERE h.revoked = 0"
             " AND c.verdict IN ('fail', 'error') ORDER BY c.since, h.hostname, c.check_id"
             " LIMIT $1",
             p, 1, failing_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static int silent_row(void *arg, int ncol, const char *const *c)
{
    cJSON *s = cJSON_CreateObject();
    if (ncol < 3 || s == NULL) {
        cJSON_Delete(s);
        return -1;
    }
    add_str(s, "hostname", c[0]);
    add_str(s, "department", c[1]);
    add_time(s, "last_seen", c[2]);
    cJSON_AddItemToArray(arg, s);
    return 0;
}

cJSON *mamori_dash_silent(struct mamori_sqldb *db, time_t cutoff, int limit)
{
    cJSON *a = cJSON_CreateArray();
    const struct mamori_sqlv p[] = {SQLV_I(cutoff), SQLV_I(limit)};
    if (exec(db,
             "SELECT hostname, department, last_seen FROM hosts WHERE revoked = 0"
             " AND last_seen < $1 ORDER BY last_seen, hostname LIMIT $2",
             p, 2, silent_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* ---- trend ---- */

static void local_day(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "1970-01-01");
}

static int trend_row(void *arg, int ncol, const char *const *c)
{
    cJSON *t = cJSON_CreateObject();
    if (ncol < 4 || t == NULL) {
        cJSON_Delete(t);
        return -1;
    }
    add_str(t, "day", c[0]);
    cJSON_AddNumberToObject(t, "hosts", (double)num(c[1]));
    cJSON_AddNumberToObject(t, "compliant", (double)num(c[2]));
    cJSON_AddNumberToObject(t, "silent", (double)num(c[3]));
    cJSON_AddItemToArray(arg, t);
    return 0;
}

cJSON *mamori_dash_trend(struct mamori_sqldb *db, time_t now)
{
    char first[16];
    cJSON *a = cJSON_CreateArray();
    local_day(now - (time_t)(MAMORI_TREND_DAYS - 1) * 86400, first, sizeof(first));
    const struct mamori_sqlv p[] = {SQLV_S(first)};
    if (exec(db, "SELECT day, hosts, compliant, silent FROM ui_trend WHERE day >= $1 ORDER BY day",
             p, 1, trend_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

int mamori_dash_trend_record(struct mamori_sqldb *db, time_t now, long hosts, long compliant,
                             long silent)
{
    char day[16];
    local_day(now, day, sizeof(day));
    const struct mamori_sqlv p[] = {SQLV_S(day), SQLV_I(hosts), SQLV_I(compliant), SQLV_I(silent),
                                    SQLV_I(now)};
    return exec(db,
                "INSERT INTO ui_trend (day, hosts, compliant, silent, updated)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO UPDATE SET"
                " hosts = excluded.hosts, compliant = excluded.compliant,"
                " silent = excluded.silent, updated = excluded.updated",
                p, 5, NULL, NULL) < 0
               ? -1
               : 0;
}

/* ---- overview as a whole ---- */

static int add_list(cJSON *ov, const char *name, cJSON *list)
{
    if (list == NULL)
        return -1;
    cJSON_AddItemToObject(ov, name, list);
    return 0;
}

static long count_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

cJSON *mamori_dash_overview(struct mamori_server *s, time_t now, int list_limit)
{
    struct mamori_sqldb *db = mamori_dash_db(s);
    time_t cutoff = now - mamori_dash_silent_after(s);
    struct mamori_event_filter usb = {.type = "usb.blocked", .limit = list_limit};
    struct mamori_event_filter net = {.type = "net.refused", .limit = list_limit};
    cJSON *ov = cJSON_CreateObject();

    if (overview_counts(db, ov, cutoff) != 0 ||
        add_list(ov, "failing", mamori_dash_failing(db, list_limit)) != 0 ||
        add_list(ov, "silent_hosts", mamori_dash_silent(db, cutoff, list_limit)) != 0 ||
        add_list(ov, "usb", s->store->ops->events(s->store, &usb)) != 0 ||
        add_list(ov, "net", s->store->ops->events(s->store, &net)) != 0 ||
        mamori_dash_trend_record(db, now, count_of(ov, "hosts"), count_of(ov, "compliant"),
                                 count_of(ov, "silent")) != 0 ||
        add_list(ov, "trend", mamori_dash_trend(db, now)) != 0) {
        cJSON_Delete(ov);
        return NULL;
    }
    return ov;
}

/* ---- one host ---- */

static int state_row(void *arg, int ncol, const char *const *c)
{
    cJSON *check = cJSON_CreateObject();
    if (ncol < 4 || check == NULL) {
        cJSON_Delete(check);
        return -1;
    }
    add_str(check, "id", c[0]);
    add_str(check, "verdict", c[1]);
    add_time(check, "since", c[2]);
    add_time(check, "updated", c[3]);
    cJSON_AddItemToArray(arg, check);
    return 0;
}

struct latest_report {
    cJSON *host;
};

static int report_row(void *arg, int ncol, const char *const *c)
{
    struct latest_report *l = arg;
    cJSON *rep, *payload;
    if (ncol < 3)
        return -1;
    rep = cJSON_CreateObject();
    cJSON_ReplaceItemInObjectCaseSensitive(l->host, "report", rep);
    cJSON_AddNumberToObject(rep, "seq", (double)num(c[0]));
    add_time(rep, "time", c[1]);
    payload = c[2] ? mamori_dash_jws_payload(c[2], strlen(c[2])) : NULL;
    mamori_dash_merge_report(cJSON_GetObjectItem(l->host, "checks"), payload);
    cJSON_Delete(payload);
    return 0;
}

struct host_events {
    cJSON *array;
    const char *hostname;
};

/* Same shape as the store's events (store_core.c), for one host. */
static int host_event_row(void *arg, int ncol, const char *const *c)
{
    struct host_events *he = arg;
    cJSON *e, *summary, *facts;
    if (ncol < 8)
        return -1;
    e = cJSON_CreateObject();
    summary = cJSON_CreateObject();
    facts = c[7] ? cJSON_Parse(c[7]) : NULL;
    add_str(e, "host_id", c[0]);
    add_str(e, "hostname", he->hostname);
    cJSON_AddNumberToObject(e, "seq", (double)num(c[1]));
    add_str(e, "type", c[2]);
    add_time(e, "time", c[3]);
    add_str(e, "severity", c[4]);
    add_str(summary, "ja", c[5]);
    add_str(summary, "en", c[6]);
    cJSON_AddItemToObject(e, "summary", summary);
    cJSON_AddItemToObject(e, "facts", facts ? facts : cJSON_CreateObject());
    cJSON_AddItemToArray(he->array, e);
    return 0;
}

/* A host's newest events through ui_events_host (the store's filtered
 * query cannot use an index for one host). */
static cJSON *host_events(struct mamori_sqldb *db, const struct mamori_host_record *rec, int limit)
{
    struct host_events he = {cJSON_CreateArray(), rec->hostname};
    const struct mamori_sqlv p[] = {SQLV_S(rec->id), SQLV_I(limit)};
    if (exec(db,
             "SELECT host_id, seq, type, time, severity, summary_ja, summary_en, facts FROM events"
             " WHERE host_id = $1 ORDER BY time DESC, id DESC LIMIT $2",
             p, 2, host_event_row, &he) < 0) {
        cJSON_Delete(he.array);
        return NULL;
    }
    return he.array;
}

static cJSON *host_doc(const struct mamori_host_record *rec)
{
    char t[24];
    cJSON *h = cJSON_CreateObject();
    add_str(h, "id", rec->id);
    add_str(h, "hostname", rec->hostname);
    add_str(h, "segment", rec->segment);
    add_str(h, "department", rec->department);
    add_str(h, "municipality", rec->municipality);
    snprintf(t, sizeof(t), "%lld", (long long)rec->enrolled);
    add_time(h, "enrolled", t);
    snprintf(t, sizeof(t), "%lld", (long long)rec->last_seen);
    add_time(h, "last_seen", t);
    cJSON_AddBoolToObject(h, "revoked", rec->revoked != 0);
    cJSON_AddNullToObject(h, "report");
    return h;
}

cJSON *mamori_dash_host(struct mamori_server *s, const char *name)
{
    struct mamori_sqldb *db = mamori_dash_db(s);
    struct mamori_host_record rec;
    struct latest_report l;
    cJSON *h;

    if (s->store->ops->host_by_name(s->store, name, &rec) != 0)
        return NULL;
    h = host_doc(&rec);
    l.host = h;
    const struct mamori_sqlv p[] = {SQLV_S(rec.id)};
    if (exec(db,
             "SELECT check_id, verdict, since, updated FROM check_state WHERE host_id = $1"
             " ORDER BY check_id",
             p, 1, state_row, cJSON_AddArrayToObject(h, "checks")) < 0 ||
        exec(db, "SELECT seq, time, jws FROM reports WHERE host_id = $1 ORDER BY seq DESC LIMIT 1",
             p, 1, report_row, &l) < 0 ||
        add_list(h, "history", s->store->ops->history(s->store, rec.id, 30)) != 0 ||
        add_list(h, "events", host_events(db, &rec, 100)) != 0) {
        cJSON_Delete(h);
        h = NULL;
    }
    mamori_host_record_clear(&rec);
    return h;
}

/* ---- report content ---- */

cJSON *mamori_dash_jws_payload(const char *jws, size_t len)
{
    const char *dot1 = memchr(jws, '.', len), *dot2;
    size_t n, max;
    unsigned char *buf;
    long got;
    cJSON *doc = NULL;

    if (dot1 == NULL)
        return NULL;
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jws));
    if (dot2 == NULL)
        return NULL;
    n = (size_t)(dot2 - dot1 - 1);
    max = mamori_b64url_decoded_max(n);
    buf = malloc(max + 1);
    if (buf == NULL)
        return NULL;
    got = mamori_b64url_decode(dot1 + 1, n, buf, max);
    if (got > 0)
        doc = cJSON_ParseWithLength((const char *)buf, (size_t)got);
    free(buf);
    if (doc != NULL && !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    return doc;
}

static void copy_member(cJSON *to, const cJSON *from, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, name);
    if (v != NULL && cJSON_GetObjectItemCaseSensitive(to, name) == NULL)
        cJSON_AddItemToObject(to, name, cJSON_Duplicate(v, 1));
}

static void set_bilingual(cJSON *check, const char *member, const char *ja, const char *en)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "ja", ja);
    cJSON_AddStringToObject(b, "en", en);
    cJSON_DeleteItemFromObjectCaseSensitive(check, member);
    cJSON_AddItemToObject(check, member, b);
}

/* The catalogue's words win; a check this build does not know keeps what
 * its (schema 1) report carried. */
static void catalogue_text(cJSON *checks)
{
    cJSON *c;
    cJSON_ArrayForEach(c, checks)
    {
        const struct mamori_check_text *t =
            mamori_catalogue_find(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id")));
        if (t == NULL)
            continue;
        set_bilingual(c, "title", t->title_ja, t->title_en);
        set_bilingual(c, "remediation", t->remediation_ja, t->remediation_en);
        cJSON_DeleteItemFromObjectCaseSensitive(c, "clause");
        cJSON_AddStringToObject(c, "clause", t->clause);
    }
}

void mamori_dash_merge_report(cJSON *checks, const cJSON *payload)
{
    static const char *const members[] = {"title",  "detail",   "remediation",
                                          "clause", "evidence", "verdict"};
    const cJSON *rc;
    if (!cJSON_IsArray(checks))
        return;
    cJSON_ArrayForEach(rc, cJSON_GetObjectItemCaseSensitive(payload, "checks"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rc, "id");
        cJSON *mine;
        if (!cJSON_IsObject(rc) || !cJSON_IsString(id) || id->valuestring == NULL)
            continue;
        mine = find_by(checks, "id", id->valuestring);
        if (mine == NULL) {
            mine = cJSON_CreateObject();
            cJSON_AddStringToObject(mine, "id", id->valuestring);
            cJSON_AddItemToArray(checks, mine);
        }
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
            copy_member(mine, rc, members[i]);
    }
    catalogue_text(checks);
}

const char *mamori_dash_check_title(const char *id, int en)
{
    const struct mamori_check_text *t = mamori_catalogue_find(id);
    if (t == NULL)
        return NULL;
    return en ? t->title_en : t->title_ja;
}

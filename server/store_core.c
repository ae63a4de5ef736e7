/* store_core.c -- the collector's storage logic, once, over mamori_sqldb.
 *
 * Ingest runs in one transaction: lock the host row, decide accepted /
 * duplicate / replay from last_seq and the stored content hash, insert the
 * raw report, move check_state (keeping `since` while a verdict holds), add
 * events and, on a relay, queue the report for the upstream.  The unique key
 * (host_id, seq) makes a race between two servers on one PostgreSQL database
 * end in a duplicate/replay answer, never in two accepted copies. */
#include "sqldb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS hosts (id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
    " segment TEXT NOT NULL DEFAULT '', department TEXT NOT NULL DEFAULT '',"
    " municipality TEXT NOT NULL DEFAULT '', key_thumbprint TEXT NOT NULL UNIQUE,"
    " cert_pem TEXT, cert_serial TEXT NOT NULL, enrolled BIGINT NOT NULL,"
    " revoked BIGINT NOT NULL DEFAULT 0, last_seq BIGINT NOT NULL DEFAULT -1,"
    " last_seen BIGINT NOT NULL DEFAULT 0, last_report_time BIGINT NOT NULL DEFAULT 0,"
    " policy_version TEXT NOT NULL DEFAULT '', agent_version TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS revoked_keys (key_thumbprint TEXT PRIMARY KEY,"
    " host_id TEXT NOT NULL, cert_serial TEXT NOT NULL, revoked BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reports (host_id TEXT NOT NULL, seq BIGINT NOT NULL,"
    " time BIGINT NOT NULL, received BIGINT NOT NULL, hash TEXT NOT NULL, jws TEXT NOT NULL,"
    " PRIMARY KEY (host_id, seq))",
    "CREATE INDEX IF NOT EXISTS reports_received ON reports (received)",
    "CREATE TABLE IF NOT EXISTS check_state (host_id TEXT NOT NULL, check_id TEXT NOT NULL,"
    " verdict TEXT NOT NULL, since BIGINT NOT NULL, updated BIGINT NOT NULL,"
    " PRIMARY KEY (host_id, check_id))",
    "CREATE TABLE IF NOT EXISTS events (id @ID@, host_id TEXT NOT NULL, seq BIGINT NOT NULL,"
    " type TEXT NOT NULL, time BIGINT NOT NULL, severity TEXT NOT NULL DEFAULT '',"
    " summary_ja TEXT NOT NULL DEFAULT '', summary_en TEXT NOT NULL DEFAULT '',"
    " facts TEXT NOT NULL DEFAULT '{}')",
    "CREATE INDEX IF NOT EXISTS events_time ON events (time)",
    "CREATE TABLE IF NOT EXISTS relay_queue (id @ID@, host_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL, jws TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    /* Earlier collectors listed a host's own key as revoked when it
     * enrolled again with the same key; an active key is never revoked. */
    "DELETE FROM revoked_keys WHERE key_thumbprint IN"
    " (SELECT key_thumbprint FROM hosts WHERE revoked = 0)",
    NULL,
};

int mamori_sql_create_schema(struct mamori_sqldb *db, const char *id_column)
{
    for (int i = 0; schema[i] != NULL; i++) {
        char sql[1024];
        const char *at = strstr(schema[i], "@ID@");
        if (at != NULL)
            snprintf(sql, sizeof(sql), "%.*s%s%s", (int)(at - schema[i]), schema[i], id_column,
                     at + 4);
        else
            snprintf(sql, sizeof(sql), "%s", schema[i]);
        if (db->db->exec(db, sql, NULL, 0, NULL, NULL) < 0)
            return -1;
    }
    return 0;
}

#define DB(s) ((struct mamori_sqldb *)(s))

static long exec(struct mamori_store *s, const char *sql, const struct mamori_sqlv *p, int n,
                 mamori_sql_row_fn row, void *arg)
{
    return DB(s)->db->exec(DB(s), sql, p, n, row, arg);
}

void mamori_host_record_clear(struct mamori_host_record *h)
{
    free(h->cert_pem);
    memset(h, 0, sizeof(*h));
}

static void sql_close(struct mamori_store *s)
{
    DB(s)->db->close(DB(s));
}

/* ---- hosts ---- */

static int count_row(void *arg, int ncol, const char *const *c)
{
    (void)ncol;
    (void)c;
    (*(int *)arg)++;
    return 0;
}

/* May this key enrol as host id?  0, or the refusal. */
static int enrol_allowed(struct mamori_store *s, const struct mamori_host_record *h)
{
    const struct mamori_sqlv key[] = {SQLV_S(h->key_thumbprint)};
    const struct mamori_sqlv key_id[] = {SQLV_S(h->key_thumbprint), SQLV_S(h->id)};
    int revoked = 0, elsewhere = 0;

    if (exec(s, "SELECT 1 FROM revoked_keys WHERE key_thumbprint = $1", key, 1, count_row,
             &revoked) < 0 ||
        exec(s, "SELECT 1 FROM hosts WHERE key_thumbprint = $1 AND id <> $2", key_id, 2, count_row,
             &elsewhere) < 0)
        return -1;
    return revoked ? MAMORI_STORE_KEY_REVOKED : elsewhere ? MAMORI_STORE_KEY_IN_USE : 0;
}

/* A previous, different key of this host is revoked: remembered, and no
 * longer matched.  The same key again (re-enrolment after the collector
 * lost the host, or a retry) revokes nothing. */
static int revoke_previous_key(struct mamori_store *s, const struct mamori_host_record *h)
{
    const struct mamori_sqlv p[] = {SQLV_S(h->id), SQLV_I(h->enrolled), SQLV_S(h->key_thumbprint)};

    return exec(s,
                "INSERT INTO revoked_keys (key_thumbprint, host_id, cert_serial, revoked)"
                " SELECT key_thumbprint, id, cert_serial, CAST($2 AS BIGINT) FROM hosts"
                " WHERE id = $1 AND key_thumbprint <> $3 ON CONFLICT (key_thumbprint) DO NOTHING",
                p, 3, NULL, NULL) < 0
               ? -1
               : 0;
}

/* Insert the host, or give it the new certificate; last_seq stays. */
static int upsert_host(struct mamori_store *s, const struct mamori_host_record *h)
{
    const struct mamori_sqlv p[] = {
        SQLV_S(h->id),         SQLV_S(h->hostname),     SQLV_S(h->segment),
        SQLV_S(h->department), SQLV_S(h->municipality), SQLV_S(h->key_thumbprint),
        SQLV_S(h->cert_pem),   SQLV_S(h->cert_serial),  SQLV_I(h->enrolled),
    };

    return exec(s,
                "INSERT INTO hosts (id, hostname, segment, department, municipality,"
                " key_thumbprint, cert_pem, cert_serial, enrolled) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9)"
                " ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname,"
                " segment = excluded.segment, department = excluded.department,"
                " municipality = excluded.municipality, key_thumbprint = excluded.key_thumbprint,"
                " cert_pem = excluded.cert_pem, cert_serial = excluded.cert_serial,"
                " enrolled = excluded.enrolled, revoked = 0",
                p, 9, NULL, NULL) < 0
               ? -1
               : 0;
}

static int sql_enroll(struct mamori_store *s, const struct mamori_host_record *h)
{
    struct mamori_sqldb *db = DB(s);
    int rc;

    if (db->db->begin(db) != 0)
        return -1;
    rc = enrol_allowed(s, h);
    if (rc == 0 && (revoke_previous_key(s, h) != 0 || upsert_host(s, h) != 0))
        rc = -1;
    if (rc != 0) {
        db->db->rollback(db);
        return rc;
    }
    return db->db->commit(db);
}

/* Two statements in one transaction; the second's row count says whether
 * the host was there: 0 changed, 1 no such host, -1 error. */
static int change_host(struct mamori_store *s, const char *first, const char *second,
                       const struct mamori_sqlv *p, int n)
{
    struct mamori_sqldb *db = DB(s);
    long rows;

    if (db->db->begin(db) != 0)
        return -1;
    if (exec(s, first, p, n, NULL, NULL) < 0 || (rows = exec(s, second, p, n, NULL, NULL)) < 0) {
        db->db->rollback(db);
        return -1;
    }
    if (db->db->commit(db) != 0)
        return -1;
    return rows == 0 ? 1 : 0;
}

static int sql_remove_host(struct mamori_store *s, const char *host_id)
{
    const struct mamori_sqlv p[] = {SQLV_S(host_id)};

    return change_host(s, "DELETE FROM check_state WHERE host_id = $1",
                       "DELETE FROM hosts WHERE id = $1", p, 1);
}

static int sql_revoke_host(struct mamori_store *s, const char *host_id, time_t when)
{
    const struct mamori_sqlv p[] = {SQLV_S(host_id), SQLV_I(when)};

    return change_host(
        s,
        "INSERT INTO revoked_keys (key_thumbprint, host_id, cert_serial, revoked)"
        " SELECT key_thumbprint, id, cert_serial, CAST($2 AS BIGINT) FROM hosts WHERE id = $1"
        " ON CONFLICT (key_thumbprint) DO NOTHING",
        "UPDATE hosts SET revoked = $2 WHERE id = $1 AND revoked = 0", p, 2);
}

#define HOST_COLUMNS                                                                               \
    "id, hostname, segment, department, municipality, key_thumbprint, cert_serial, cert_pem,"      \
    " enrolled, revoked, last_seq, last_seen"

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static int host_row(void *arg, int ncol, const char *const *c)
{
    struct mamori_host_record *h = arg;
    if (ncol < 12)
        return -1;
    mamori_host_record_clear(h);
    copy(h->id, sizeof(h->id), c[0]);
    copy(h->hostname, sizeof(h->hostname), c[1]);
    copy(h->segment, sizeof(h->segment), c[2]);
    copy(h->department, sizeof(h->department), c[3]);
    copy(h->municipality, sizeof(h->municipality), c[4]);
    copy(h->key_thumbprint, sizeof(h->key_thumbprint), c[5]);
    copy(h->cert_serial, sizeof(h->cert_serial), c[6]);
    h->cert_pem = c[7] ? strdup(c[7]) : NULL;
    h->enrolled = c[8] ? strtoll(c[8], NULL, 10) : 0;
    h->revoked = c[9] ? strtoll(c[9], NULL, 10) : 0;
    h->last_seq = c[10] ? strtoll(c[10], NULL, 10) : -1;
    h->last_seen = c[11] ? strtoll(c[11], NULL, 10) : 0;
    return 0;
}

static int sql_host_by_key(struct mamori_store *s, const char *thumbprint,
                           struct mamori_host_record *out)
{
    const struct mamori_sqlv p[] = {SQLV_S(thumbprint)};
    long n;
    memset(out, 0, sizeof(*out));
    n = exec(s, "SELECT " HOST_COLUMNS " FROM hosts WHERE key_thumbprint = $1 AND revoked = 0", p,
             1, host_row, out);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

static int sql_host_by_name(struct mamori_store *s, const char *name,
                            struct mamori_host_record *out)
{
    const struct mamori_sqlv p[] = {SQLV_S(name)};
    long n;
    memset(out, 0, sizeof(*out));
    n = exec(s,
             "SELECT " HOST_COLUMNS " FROM hosts WHERE id = $1 OR hostname = $1"
             " ORDER BY last_seen DESC LIMIT 1",
             p, 1, host_row, out);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

/* ---- ingest ---- */

struct seq_state {
    int found;
    int64_t last_seq;
    char host_id[MAMORI_HOST_ID_LEN + 1];
    char hash[80];
};

static int seq_row(void *arg, int ncol, const char *const *c)
{
    struct seq_state *st = arg;
    st->found = 1;
    if (ncol >= 2 && c[0])
        copy(st->host_id, sizeof(st->host_id), c[0]);
    if (ncol >= 2 && c[1])
        st->last_seq = strtoll(c[1], NULL, 10);
    return 0;
}

static int hash_row(void *arg, int ncol, const char *const *c)
{
    struct seq_state *st = arg;
    if (ncol >= 1 && c[0])
        copy(st->hash, sizeof(st->hash), c[0]);
    return 0;
}

/* Same seq already stored: the same bytes again are a harmless retry. */
static enum mamori_ingest_result old_seq(struct mamori_store *s, const struct mamori_ingest *in)
{
    struct seq_state st = {0};
    const struct mamori_sqlv p[] = {SQLV_S(in->report->host_id), SQLV_I(in->report->seq)};
    if (exec(s, "SELECT hash FROM reports WHERE host_id = $1 AND seq = $2", p, 2, hash_row, &st) <
        0)
        return MAMORI_INGEST_ERROR;
    return strcmp(st.hash, in->hash_hex) == 0 ? MAMORI_INGEST_DUPLICATE : MAMORI_INGEST_REPLAY;
}

static const char *bilingual(const cJSON *obj, const char *member, const char *lang)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, member);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, lang);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static const char *member_string(const cJSON *obj, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, member);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* The host's stored verdicts are compared with the report's as they are
 * read, so only changed checks cost a write: fleets mostly report the same
 * verdicts.  `same` marks the report's checks whose verdict holds; a
 * parsed report has at most MAMORI_REPORT_MAX_CHECKS (report_doc.c). */
struct verdicts {
    const cJSON *checks;
    unsigned char same[MAMORI_REPORT_MAX_CHECKS];
};

static int verdict_row(void *arg, int ncol, const char *const *c)
{
    struct verdicts *v = arg;
    const cJSON *check;
    int i = 0;
    if (ncol < 2 || c[0] == NULL || c[1] == NULL)
        return 0;
    cJSON_ArrayForEach(check, v->checks)
    {
        if (i < MAMORI_REPORT_MAX_CHECKS && strcmp(member_string(check, "id"), c[0]) == 0) {
            v->same[i] = strcmp(member_string(check, "verdict"), c[1]) == 0;
            break;
        }
        i++;
    }
    return 0;
}

/* A verdict that holds keeps its `since`; a new or changed one starts now. */
static int store_checks(struct mamori_store *s, const struct mamori_report *r)
{
    struct verdicts cur = {.checks = r->checks};
    const struct mamori_sqlv host[] = {SQLV_S(r->host_id)};
    const cJSON *c;
    int i = 0;

    if (exec(s, "SELECT check_id, verdict FROM check_state WHERE host_id = $1", host, 1,
             verdict_row, &cur) < 0)
        return -1;
    cJSON_ArrayForEach(c, r->checks)
    {
        const struct mamori_sqlv p[] = {SQLV_S(r->host_id), SQLV_S(member_string(c, "id")),
                                        SQLV_S(member_string(c, "verdict")), SQLV_I(r->time)};
        if (i < MAMORI_REPORT_MAX_CHECKS && cur.same[i++])
            continue;
        if (exec(s,
                 "INSERT INTO check_state (host_id, check_id, verdict, since, updated)"
                 " VALUES ($1, $2, $3, $4, $4) ON CONFLICT (host_id, check_id) DO UPDATE SET"
                 " since = CASE WHEN check_state.verdict = excluded.verdict"
                 " THEN check_state.since ELSE excluded.since END,"
                 " verdict = excluded.verdict, updated = excluded.updated",
                 p, 4, NULL, NULL) < 0)
            return -1;
    }
    return 0;
}

static int store_events(struct mamori_store *s, const struct mamori_report *r)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, r->events)
    {
        time_t t = 0;
        char *facts = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "facts"));
        long rc;
        mamori_rfc3339_parse(member_string(e, "time"), &t);
        const struct mamori_sqlv p[] = {
            SQLV_S(r->host_id),
            SQLV_I(r->seq),
            SQLV_S(member_string(e, "type")),
            SQLV_I(t),
            SQLV_S(member_string(e, "severity")),
            SQLV_S(bilingual(e, "summary", "ja")),
            SQLV_S(bilingual(e, "summary", "en")),
            SQLV_S(facts ? facts : "{}"),
        };
        rc = exec(s,
                  "INSERT INTO events (host_id, seq, type, time, severity, summary_ja, summary_en,"
                  " facts) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                  p, 8, NULL, NULL);
        free(facts);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int store_report(struct mamori_store *s, const struct mamori_ingest *in)
{
    const struct mamori_report *r = in->report;
    const struct mamori_sqlv rep[] = {SQLV_S(r->host_id),   SQLV_I(r->seq),       SQLV_I(r->time),
                                      SQLV_I(in->received), SQLV_S(in->hash_hex), SQLV_S(in->jws)};
    const struct mamori_sqlv host[] = {SQLV_S(r->host_id),        SQLV_I(r->seq),
                                       SQLV_I(in->received),      SQLV_I(r->time),
                                       SQLV_S(r->hostname),       SQLV_S(r->segment),
                                       SQLV_S(r->department),     SQLV_S(r->municipality),
                                       SQLV_S(r->policy_version), SQLV_S(r->agent_version)};
    long n = exec(s,
                  "INSERT INTO reports (host_id, seq, time, received, hash, jws)"
                  " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (host_id, seq) DO NOTHING",
                  rep, 6, NULL, NULL);
    if (n <= 0)
        return n == 0 ? 1 : -1;
    if (exec(s,
             "UPDATE hosts SET last_seq = $2, last_seen = $3, last_report_time = $4,"
             " hostname = $5, segment = $6, department = $7, municipality = $8,"
             " policy_version = $9, agent_version = $10 WHERE id = $1",
             host, 10, NULL, NULL) < 0 ||
        store_checks(s, r) != 0 || store_events(s, r) != 0)
        return -1;
    if (in->relay) {
        const struct mamori_sqlv q[] = {SQLV_S(r->host_id), SQLV_I(r->seq), SQLV_S(in->jws)};
        if (exec(s, "INSERT INTO relay_queue (host_id, seq, jws) VALUES ($1, $2, $3)", q, 3, NULL,
                 NULL) < 0)
            return -1;
    }
    return 0;
}

/* A key no host has: revoked (or replaced) keys stay refused, for good;
 * any other key is unknown -- the collector lost or forgot the host, which
 * may then enrol again. */
static enum mamori_ingest_result key_revoked(struct mamori_store *s, const char *thumbprint)
{
    const struct mamori_sqlv p[] = {SQLV_S(thumbprint)};
    int revoked = 0;

    if (exec(s, "SELECT 1 FROM revoked_keys WHERE key_thumbprint = $1", p, 1, count_row, &revoked) <
        0)
        return MAMORI_INGEST_ERROR;
    return revoked ? MAMORI_INGEST_REVOKED : MAMORI_INGEST_UNKNOWN_HOST;
}

/* The signing key must be the active key of the host the report names:
 * checked here, inside the transaction, so a re-enrolment or revocation
 * that commits first is seen. */
static enum mamori_ingest_result ingest_locked(struct mamori_store *s,
                                               const struct mamori_ingest *in)
{
    struct mamori_sqldb *db = DB(s);
    struct seq_state st = {0};
    const struct mamori_sqlv p[] = {SQLV_S(in->key_thumbprint)};
    /* Literals, so the statement cache finds them at once. */
    const char *sql = db->lock_row[0] != '\0'
                          ? "SELECT id, last_seq FROM hosts WHERE key_thumbprint = $1"
                            " AND revoked = 0 FOR UPDATE"
                          : "SELECT id, last_seq FROM hosts WHERE key_thumbprint = $1"
                            " AND revoked = 0";
    int rc;

    if (exec(s, sql, p, 1, seq_row, &st) < 0)
        return MAMORI_INGEST_ERROR;
    if (!st.found)
        return key_revoked(s, in->key_thumbprint);
    if (strcmp(st.host_id, in->report->host_id) != 0)
        return MAMORI_INGEST_HOST_MISMATCH;
    if (in->report->seq <= st.last_seq)
        return old_seq(s, in);
    rc = store_report(s, in);
    if (rc == 1) /* another server stored this seq a moment ago */
        return old_seq(s, in);
    return rc == 0 ? MAMORI_INGEST_ACCEPTED : MAMORI_INGEST_ERROR;
}

static enum mamori_ingest_result ingest_checked(struct mamori_store *s,
                                                const struct mamori_ingest *in)
{
    return in->key_thumbprint != NULL ? ingest_locked(s, in) : MAMORI_INGEST_UNKNOWN_HOST;
}

/* One report under its own savepoint, so a refusal or failure undoes only
 * its own writes: the careful pass, taken after a fast pass failed. */
static enum mamori_ingest_result ingest_one(struct mamori_store *s, const struct mamori_ingest *in)
{
    enum mamori_ingest_result r;
    if (exec(s, "SAVEPOINT report", NULL, 0, NULL, NULL) < 0)
        return MAMORI_INGEST_ERROR;
    r = ingest_checked(s, in);
    if (r != MAMORI_INGEST_ACCEPTED &&
        exec(s, "ROLLBACK TO SAVEPOINT report", NULL, 0, NULL, NULL) < 0)
        r = MAMORI_INGEST_ERROR;
    if (exec(s, "RELEASE SAVEPOINT report", NULL, 0, NULL, NULL) < 0)
        r = MAMORI_INGEST_ERROR;
    return r;
}

/* Host rows are locked in key order, so two servers sharing a PostgreSQL
 * database cannot deadlock on each other's groups; reports of one key keep
 * their arrival order. */
struct arrival {
    struct mamori_ingest *in;
    int index;
};

static int by_key_then_arrival(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;
    int c = strcmp(x->in->key_thumbprint ? x->in->key_thumbprint : "",
                   y->in->key_thumbprint ? y->in->key_thumbprint : "");
    return c != 0 ? c : x->index - y->index;
}

/* The fast pass stores the group without savepoints: a refusal (replay,
 * duplicate, unknown key, ...) is decided before its report writes
 * anything, so only a storage error can leave a report half written.  Then
 * the whole transaction is rolled back and the group stored again in the
 * careful pass, a savepoint per report.  Returns 0 when the pass committed. */
static int store_pass(struct mamori_store *s, struct arrival *order, int n, int careful)
{
    struct mamori_sqldb *db = DB(s);
    int failed = 0;

    if (db->db->begin(db) != 0)
        return -1;
    for (int i = 0; i < n && !failed; i++) {
        order[i].in->result = careful ? ingest_one(s, order[i].in) : ingest_checked(s, order[i].in);
        failed = !careful && order[i].in->result == MAMORI_INGEST_ERROR;
    }
    if (failed) {
        db->db->rollback(db);
        return -1;
    }
    return db->db->commit(db);
}

static void sql_ingest(struct mamori_store *s, struct mamori_ingest *const *in, int n)
{
    struct arrival *order = n > 0 ? calloc((size_t)n, sizeof(*order)) : NULL;
    int ok;

    for (int i = 0; i < n; i++) {
        in[i]->result = MAMORI_INGEST_ERROR;
        if (order != NULL)
            order[i] = (struct arrival){in[i], i};
    }
    if (order == NULL)
        return;
    qsort(order, (size_t)n, sizeof(*order), by_key_then_arrival);
    ok = store_pass(s, order, n, 0) == 0 || store_pass(s, order, n, 1) == 0;
    for (int i = 0; !ok && i < n; i++)
        order[i].in->result = MAMORI_INGEST_ERROR; /* nothing of the group is stored */
    free(order);
}

/* ---- queries ---- */

static void add_int(cJSON *o, const char *name, const char *v)
{
    cJSON_AddNumberToObject(o, name, v ? (double)strtoll(v, NULL, 10) : 0);
}

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

struct host_list {
    cJSON *array;
    cJSON *current;
    char current_id[MAMORI_HOST_ID_LEN + 1];
};

/* One row per (host, check) joined; a host without checks appears once. */
static int hosts_row(void *arg, int ncol, const char *const *c)
{
    struct host_list *l = arg;
    cJSON *check;
    if (ncol < 13)
        return -1;
    if (l->current == NULL || strcmp(l->current_id, c[0] ? c[0] : "") != 0) {
        l->current = cJSON_CreateObject();
        copy(l->current_id, sizeof(l->current_id), c[0]);
        cJSON_AddStringToObject(l->current, "id", c[0] ? c[0] : "");
        cJSON_AddStringToObject(l->current, "hostname", c[1] ? c[1] : "");
        cJSON_AddStringToObject(l->current, "segment", c[2] ? c[2] : "");
        cJSON_AddStringToObject(l->current, "department", c[3] ? c[3] : "");
        cJSON_AddStringToObject(l->current, "municipality", c[4] ? c[4] : "");
        add_int(l->current, "last_seq", c[5]);
        add_time(l->current, "last_seen", c[6]);
        add_time(l->current, "last_report_time", c[7]);
        cJSON_AddStringToObject(l->current, "policy_version", c[8] ? c[8] : "");
        cJSON_AddBoolToObject(l->current, "revoked", c[12] && strcmp(c[12], "0") != 0);
        cJSON_AddItemToObject(l->current, "checks", cJSON_CreateArray());
        cJSON_AddItemToArray(l->array, l->current);
    }
    if (c[9] == NULL)
        return 0;
    check = cJSON_CreateObject();
    cJSON_AddStringToObject(check, "id", c[9]);
    cJSON_AddStringToObject(check, "verdict", c[10] ? c[10] : "");
    add_time(check, "since", c[11]);
    cJSON_AddItemToArray(cJSON_GetObjectItem(l->current, "checks"), check);
    return 0;
}

static cJSON *sql_hosts(struct mamori_store *s)
{
    struct host_list l = {.array = cJSON_CreateArray()};
    if (exec(s,
             "SELECT h.id, h.hostname, h.segment, h.department, h.municipality, h.last_seq,"
             " h.last_seen, h.last_report_time, h.policy_version, c.check_id, c.verdict, c.since,"
             " h.revoked FROM hosts h LEFT JOIN check_state c ON c.host_id = h.id"
             " ORDER BY h.hostname, h.id, c.check_id",
             NULL, 0, hosts_row, &l) < 0) {
        cJSON_Delete(l.array);
        return NULL;
    }
    return l.array;
}

static int event_row(void *arg, int ncol, const char *const *c)
{
    cJSON *e = cJSON_CreateObject(), *summary = cJSON_CreateObject();
    cJSON *facts = c[7] ? cJSON_Parse(c[7]) : NULL;
    if (ncol < 9)
        return -1;
    cJSON_AddStringToObject(e, "host_id", c[0] ? c[0] : "");
    cJSON_AddStringToObject(e, "hostname", c[8] ? c[8] : "");
    add_int(e, "seq", c[1]);
    cJSON_AddStringToObject(e, "type", c[2] ? c[2] : "");
    add_time(e, "time", c[3]);
    cJSON_AddStringToObject(e, "severity", c[4] ? c[4] : "");
    cJSON_AddStringToObject(summary, "ja", c[5] ? c[5] : "");
    cJSON_AddStringToObject(summary, "en", c[6] ? c[6] : "");
    cJSON_AddItemToObject(e, "summary", summary);
    cJSON_AddItemToObject(e, "facts", facts ? facts : cJSON_CreateObject());
    cJSON_AddItemToArray(arg, e);
    return 0;
}

static cJSON *sql_events(struct mamori_store *s, const struct mamori_event_filter *f)
{
    cJSON *a = cJSON_CreateArray();
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s%%", f->type ? f->type : "");
    const struct mamori_sqlv p[] = {SQLV_S(prefix), SQLV_S(f->host ? f->host : ""),
                                    SQLV_I(f->since), SQLV_I(f->limit > 0 ? f->limit : 1000)};
    if (exec(s,
             "SELECT e.host_id, e.seq, e.type, e.time, e.severity, e.summary_ja, e.summary_en,"
             " e.facts, h.hostname FROM events e LEFT JOIN hosts h ON h.id = e.host_id"
             " WHERE e.type LIKE $1 AND ($2 = '' OR e.host_id = $2 OR h.hostname = $2)"
             " AND e.time >= $3 ORDER BY e.time DESC, e.id DESC LIMIT $4",
             p, 4, event_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static int history_row(void *arg, int ncol, const char *const *c)
{
    cJSON *r = cJSON_CreateObject();
    if (ncol < 4)
        return -1;
    add_int(r, "seq", c[0]);
    add_time(r, "time", c[1]);
    add_time(r, "received", c[2]);
    cJSON_AddStringToObject(r, "sha256", c[3] ? c[3] : "");
    cJSON_AddItemToArray(arg, r);
    return 0;
}

static cJSON *sql_history(struct mamori_store *s, const char *host_id, int limit)
{
    cJSON *a = cJSON_CreateArray();
    const struct mamori_sqlv p[] = {SQLV_S(host_id), SQLV_I(limit > 0 ? limit : 50)};
    if (exec(s,
             "SELECT seq, time, received, hash FROM reports WHERE host_id = $1"
             " ORDER BY seq DESC LIMIT $2",
             p, 2, history_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

struct each_ctx {
    int (*fn)(void *arg, const struct mamori_host_record *h, const char *jws);
    void *arg;
    int stopped;
};

static int each_row(void *arg, int ncol, const char *const *c)
{
    struct each_ctx *e = arg;
    struct mamori_host_record h = {0};
    int rc;
    if (e->stopped || ncol < 13)
        return 0;
    host_row(&h, 12, c);
    rc = e->fn(e->arg, &h, c[12] ? c[12] : "");
    mamori_host_record_clear(&h);
    if (rc != 0)
        e->stopped = 1;
    return 0;
}

static int sql_each_report(struct mamori_store *s, time_t since,
                           int (*fn)(void *arg, const struct mamori_host_record *h,
                                     const char *jws),
                           void *arg)
{
    struct each_ctx e = {fn, arg, 0};
    const struct mamori_sqlv p[] = {SQLV_I(since)};
    long n = exec(s,
                  "SELECT h.id, h.hostname, h.segment, h.department, h.municipality,"
                  " h.key_thumbprint, h.cert_serial, h.cert_pem, h.enrolled, h.revoked,"
                  " h.last_seq, h.last_seen, r.jws FROM reports r JOIN hosts h ON h.id = r.host_id"
                  " WHERE r.received >= $1 ORDER BY r.host_id, r.seq",
                  p, 1, each_row, &e);
    return n < 0 || e.stopped ? -1 : 0;
}

static int relay_row(void *arg, int ncol, const char *const *c)
{
    cJSON *r = cJSON_CreateObject();
    if (ncol < 4)
        return -1;
    add_int(r, "id", c[0]);
    cJSON_AddStringToObject(r, "host_id", c[1] ? c[1] : "");
    add_int(r, "seq", c[2]);
    cJSON_AddStringToObject(r, "jws", c[3] ? c[3] : "");
    cJSON_AddItemToArray(arg, r);
    return 0;
}

static cJSON *sql_relay_pending(struct mamori_store *s, int max)
{
    cJSON *a = cJSON_CreateArray();
    const struct mamori_sqlv p[] = {SQLV_I(max)};
    if (exec(s, "SELECT id, host_id, seq, jws FROM relay_queue ORDER BY id LIMIT $1", p, 1,
             relay_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static int sql_relay_ack(struct mamori_store *s, int64_t upto_id)
{
    const struct mamori_sqlv p[] = {SQLV_I(upto_id)};
    return exec(s, "DELETE FROM relay_queue WHERE id <= $1", p, 1, NULL, NULL) < 0 ? -1 : 0;
}

static int sql_prune(struct mamori_store *s, time_t before)
{
    const struct mamori_sqlv p[] = {SQLV_I(before)};
    return exec(s, "DELETE FROM reports WHERE received < $1", p, 1, NULL, NULL) < 0 ? -1 : 0;
}

const struct mamori_store_ops mamori_sql_store_ops = {
    .close = sql_close,
    .enroll = sql_enroll,
    .remove_host = sql_remove_host,
    .revoke_host = sql_revoke_host,
    .host_by_key = sql_host_by_key,
    .host_by_name = sql_host_by_name,
    .ingest = sql_ingest,
    .hosts = sql_hosts,
    .events = sql_events,
    .history = sql_history,
    .each_report = sql_each_report,
    .relay_pending = sql_relay_pending,
    .relay_ack = sql_relay_ack,
    .prune = sql_prune,
};

/* policy_store.c -- central policy's tables, once, over mamori_sqldb.
 *
 * Written with $n placeholders like store_core.c, so SQLite and PostgreSQL
 * run the same statements.  Every mutation is one transaction that also
 * bumps counters.policy_revision; a ledger import replaces the whole table
 * inside that transaction, so a failed import leaves the previous ledger
 * exactly as it was. */
#include "policy_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_doc.h"
#include "sqldb.h"

#define DB(s) ((struct mamori_sqldb *)(s))

static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS policy_groups (name TEXT PRIMARY KEY,"
    " segment TEXT NOT NULL DEFAULT '', department TEXT NOT NULL DEFAULT '',"
    " description TEXT NOT NULL DEFAULT '', policy TEXT NOT NULL, updated BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS policy_assignments (host_id TEXT PRIMARY KEY,"
    " group_name TEXT NOT NULL, assigned BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_media (number TEXT PRIMARY KEY,"
    " department TEXT NOT NULL DEFAULT '', custodian TEXT NOT NULL DEFAULT '',"
    " device TEXT NOT NULL, serial TEXT NOT NULL DEFAULT '', hash TEXT NOT NULL DEFAULT '',"
    " until BIGINT NOT NULL DEFAULT 0, state TEXT NOT NULL, line BIGINT NOT NULL DEFAULT 0)",
    "CREATE INDEX IF NOT EXISTS ledger_media_department ON ledger_media (department)",
    "CREATE TABLE IF NOT EXISTS ledger_imports (id @ID@, imported BIGINT NOT NULL,"
    " file TEXT NOT NULL, sha256 TEXT NOT NULL, encoding TEXT NOT NULL, media BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS policy_exceptions (id @ID@, scope TEXT NOT NULL,"
    " target TEXT NOT NULL, target_name TEXT NOT NULL DEFAULT '', device TEXT NOT NULL,"
    " serial TEXT NOT NULL DEFAULT '', starts BIGINT NOT NULL, until BIGINT NOT NULL,"
    " approver TEXT NOT NULL, reason TEXT NOT NULL, created BIGINT NOT NULL,"
    " revoked BIGINT NOT NULL DEFAULT 0, revoke_reason TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS policy_exceptions_target ON policy_exceptions (scope, target)",
    NULL,
};

#define GROUP_COLUMNS "name, segment, department, description, policy, updated"

static long exec(struct mamori_store *s, const char *sql, const struct mamori_sqlv *p, int n,
                 mamori_sql_row_fn row, void *arg)
{
    return DB(s)->db->exec(DB(s), sql, p, n, row, arg);
}

static int is_pg(struct mamori_store *s)
{
    return DB(s)->lock_row != NULL && DB(s)->lock_row[0] != '\0';
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static time_t to_time(const char *v)
{
    return v ? (time_t)strtoll(v, NULL, 10) : 0;
}

static void add_time(cJSON *o, const char *name, time_t t)
{
    char buf[32];

    if (t <= 0) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    mamori_rfc3339_format(t, buf, sizeof(buf));
    cJSON_AddStringToObject(o, name, buf);
}

/* ---- schema, revision, transactions ---- */

int mamori_pstore_prepare(struct mamori_store *s)
{
    struct mamori_sqldb *db = DB(s);
    const char *id = is_pg(s) ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";

    if (db->db->begin(db) != 0)
        return -1;
    /* Collectors starting together on one PostgreSQL database serialize on
     * the advisory lock the main schema uses. */
    if (is_pg(s) && exec(s, "SELECT pg_advisory_xact_lock(7349)", NULL, 0, NULL, NULL) < 0)
        goto fail;
    for (int i = 0; schema[i] != NULL; i++) {
        char sql[1024];
        const char *at = strstr(schema[i], "@ID@");

        if (at != NULL)
            snprintf(sql, sizeof(sql), "%.*s%s%s", (int)(at - schema[i]), schema[i], id, at + 4);
        else
            snprintf(sql, sizeof(sql), "%s", schema[i]);
        if (exec(s, sql, NULL, 0, NULL, NULL) < 0)
            goto fail;
    }
    return db->db->commit(db);
fail:
    db->db->rollback(db);
    return -1;
}

static int int_row(void *arg, int ncol, const char *const *c)
{
    if (ncol >= 1 && c[0] != NULL)
        *(int64_t *)arg = strtoll(c[0], NULL, 10);
    return 0;
}

int64_t mamori_pstore_revision(struct mamori_store *s)
{
    int64_t v = 0;

    if (exec(s, "SELECT value FROM counters WHERE name = 'policy_revision'", NULL, 0, int_row, &v) <
        0)
        return -1;
    return v;
}

long mamori_pstore_group_count(struct mamori_store *s)
{
    int64_t v = 0;

    if (exec(s, "SELECT COUNT(*) FROM policy_groups", NULL, 0, int_row, &v) < 0)
        return -1;
    return (long)v;
}

static int bump_revision(struct mamori_store *s)
{
    return exec(s,
                "INSERT INTO counters (name, value) VALUES ('policy_revision', 1)"
                " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
                NULL, 0, NULL, NULL) < 0
               ? -1
               : 0;
}

/* Commit after bumping the revision, or roll back when rc says so. */
static int finish(struct mamori_store *s, int rc)
{
    struct mamori_sqldb *db = DB(s);

    if (rc == 0 && bump_revision(s) != 0)
        rc = -1;
    if (rc != 0) {
        db->db->rollback(db);
        return rc;
    }
    return db->db->commit(db) == 0 ? 0 : -1;
}

/* ---- groups ---- */

void mamori_policy_group_clear(struct mamori_policy_group *g)
{
    free(g->policy);
    memset(g, 0, sizeof(*g));
}

static int group_row(void *arg, int ncol, const char *const *c)
{
    struct mamori_policy_group *g = arg;

    if (ncol < 6)
        return -1;
    mamori_policy_group_clear(g);
    copy(g->name, sizeof(g->name), c[0]);
    copy(g->segment, sizeof(g->segment), c[1]);
    copy(g->department, sizeof(g->department), c[2]);
    copy(g->description, sizeof(g->description), c[3]);
    g->policy = strdup(c[4] ? c[4] : "{}");
    g->updated = to_time(c[5]);
    return g->policy ? 0 : -1;
}

static int text_row(void *arg, int ncol, const char *const *c)
{
    char *out = arg;

    if (ncol >= 1)
        copy(out, MAMORI_GROUP_NAME_MAX, c[0]);
    return 0;
}

int mamori_pstore_group_set(struct mamori_store *s, const struct mamori_policy_group *g,
                            char *conflict, size_t conflict_len)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv same[] = {SQLV_S(g->segment), SQLV_S(g->department), SQLV_S(g->name)};
    const struct mamori_sqlv p[] = {SQLV_S(g->name),       SQLV_S(g->segment),
                                    SQLV_S(g->department), SQLV_S(g->description),
                                    SQLV_S(g->policy),     SQLV_I(g->updated)};
    char other[MAMORI_GROUP_NAME_MAX] = "";

    if (db->db->begin(db) != 0)
        return -1;
    if (g->segment[0] &&
        exec(s,
             "SELECT name FROM policy_groups WHERE segment = $1 AND department = $2"
             " AND name <> $3",
             same, 3, text_row, other) < 0)
        return finish(s, -1);
    if (other[0]) {
        snprintf(conflict, conflict_len, "%s", other);
        db->db->rollback(db);
        return 2;
    }
    return finish(s, exec(s,
                          "INSERT INTO policy_groups (" GROUP_COLUMNS ")"
                          " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (name) DO UPDATE SET"
                          " segment = excluded.segment, department = excluded.department,"
                          " description = excluded.description, policy = excluded.policy,"
                          " updated = excluded.updated",
                          p, 6, NULL, NULL) < 0
                         ? -1
                         : 0);
}

int mamori_pstore_group_get(struct mamori_store *s, const char *name,
                            struct mamori_policy_group *out)
{
    const struct mamori_sqlv p[] = {SQLV_S(name)};
    long n;

    memset(out, 0, sizeof(*out));
    n = exec(s, "SELECT " GROUP_COLUMNS " FROM policy_groups WHERE name = $1", p, 1, group_row,
             out);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int mamori_pstore_group_remove(struct mamori_store *s, const char *name)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv p[] = {SQLV_S(name)};
    long n;

    if (db->db->begin(db) != 0)
        return -1;
    n = exec(s, "DELETE FROM policy_groups WHERE name = $1", p, 1, NULL, NULL);
    if (n == 0) {
        db->db->rollback(db);
        return 1;
    }
    if (n < 0 ||
        exec(s, "DELETE FROM policy_assignments WHERE group_name = $1", p, 1, NULL, NULL) < 0)
        return finish(s, -1);
    return finish(s, 0);
}

static int groups_row(void *arg, int ncol, const char *const *c)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL || ncol < 6)
        return -1;
    cJSON_AddStringToObject(o, "name", c[0] ? c[0] : "");
    cJSON_AddStringToObject(o, "segment", c[1] ? c[1] : "");
    cJSON_AddStringToObject(o, "department", c[2] ? c[2] : "");
    cJSON_AddStringToObject(o, "description", c[3] ? c[3] : "");
    add_time(o, "updated", to_time(c[4]));
    cJSON_AddNumberToObject(o, "assigned", c[5] ? strtod(c[5], NULL) : 0);
    cJSON_AddItemToArray(arg, o);
    return 0;
}

cJSON *mamori_pstore_groups(struct mamori_store *s)
{
    cJSON *a = cJSON_CreateArray();

    if (exec(s,
             "SELECT g.name, g.segment, g.department, g.description, g.updated,"
             " (SELECT COUNT(*) FROM policy_assignments a WHERE a.group_name = g.name)"
             " FROM policy_groups g ORDER BY g.name",
             NULL, 0, groups_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* ---- assignments ---- */

int mamori_pstore_assign(struct mamori_store *s, const char *host_id, const char *group)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv p[] = {SQLV_S(host_id), SQLV_S(group), SQLV_I(time(NULL))};
    long n;

    if (db->db->begin(db) != 0)
        return -1;
    if (group == NULL) {
        n = exec(s, "DELETE FROM policy_assignments WHERE host_id = $1", p, 1, NULL, NULL);
        if (n == 0) {
            db->db->rollback(db);
            return 1;
        }
        return finish(s, n < 0 ? -1 : 0);
    }
    return finish(s, exec(s,
                          "INSERT INTO policy_assignments (host_id, group_name, assigned)"
                          " VALUES ($1, $2, $3) ON CONFLICT (host_id) DO UPDATE SET"
                          " group_name = excluded.group_name, assigned = excluded.assigned",
                          p, 3, NULL, NULL) < 0
                         ? -1
                         : 0);
}

int mamori_pstore_group_for_host(struct mamori_store *s, const char *host_id, const char *segment,
                                 const char *department, struct mamori_policy_group *out,
                                 int *assigned)
{
    const struct mamori_sqlv h[] = {SQLV_S(host_id)};
    const struct mamori_sqlv m[] = {SQLV_S(segment ? segment : ""),
                                    SQLV_S(department ? department : "")};
    long n;

    memset(out, 0, sizeof(*out));
    *assigned = 0;
    n = exec(s,
             "SELECT g.name, g.segment, g.department, g.description, g.policy, g.updated"
             " FROM policy_groups g JOIN policy_assignments a ON a.group_name = g.name"
             " WHERE a.host_id = $1",
             h, 1, group_row, out);
    if (n != 0) {
        *assigned = n > 0;
        return n < 0 ? -1 : 0;
    }
    /* The most specific automatic group: segment and 所属, then segment alone. */
    n = exec(s,
             "SELECT " GROUP_COLUMNS " FROM policy_groups WHERE segment <> '' AND segment = $1"
             " AND (department = '' OR department = $2)"
             " ORDER BY CASE WHEN department = '' THEN 1 ELSE 0 END, name LIMIT 1",
             m, 2, group_row, out);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

static int assignment_row(void *arg, int ncol, const char *const *c)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL || ncol < 4)
        return -1;
    cJSON_AddStringToObject(o, "host_id", c[0] ? c[0] : "");
    cJSON_AddStringToObject(o, "hostname", c[1] ? c[1] : "");
    cJSON_AddStringToObject(o, "group", c[2] ? c[2] : "");
    add_time(o, "assigned", to_time(c[3]));
    cJSON_AddItemToArray(arg, o);
    return 0;
}

cJSON *mamori_pstore_assignments(struct mamori_store *s)
{
    cJSON *a = cJSON_CreateArray();

    if (exec(s,
             "SELECT a.host_id, h.hostname, a.group_name, a.assigned FROM policy_assignments a"
             " LEFT JOIN hosts h ON h.id = a.host_id ORDER BY a.group_name, h.hostname",
             NULL, 0, assignment_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* ---- ledger ---- */

static int insert_medium(struct mamori_store *s, const struct mamori_ledger_entry *e)
{
    char device[10];
    const struct mamori_sqlv p[] = {
        SQLV_S(e->number),
        SQLV_S(e->department ? e->department : ""),
        SQLV_S(e->custodian ? e->custodian : ""),
        SQLV_S(device),
        SQLV_S(e->serial ? e->serial : ""),
        SQLV_S(e->hash ? e->hash : ""),
        SQLV_I(e->until),
        SQLV_S(mamori_ledger_state_name(e->state)),
        SQLV_I(e->line),
    };

    snprintf(device, sizeof(device), "%04x:%04x", e->vid, e->pid);
    return exec(s,
                "INSERT INTO ledger_media (number, department, custodian, device, serial, hash,"
                " until, state, line) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                p, 9, NULL, NULL) < 0
               ? -1
               : 0;
}

int mamori_pstore_ledger_replace(struct mamori_store *s, const struct mamori_ledger *l,
                                 const char *origin, const char *sha256, const char *encoding,
                                 time_t now)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv rec[] = {SQLV_I(now), SQLV_S(origin), SQLV_S(sha256), SQLV_S(encoding),
                                      SQLV_I((int64_t)l->n)};
    int rc = 0;

    if (db->db->begin(db) != 0)
        return -1;
    if (exec(s, "DELETE FROM ledger_media", NULL, 0, NULL, NULL) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        rc = insert_medium(s, &l->entries[i]);
    if (rc == 0 && exec(s,
                        "INSERT INTO ledger_imports (imported, file, sha256, encoding, media)"
                        " VALUES ($1, $2, $3, $4, $5)",
                        rec, 5, NULL, NULL) < 0)
        rc = -1;
    return finish(s, rc);
}

static int medium_row(void *arg, int ncol, const char *const *c)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL || ncol < 9)
        return -1;
    cJSON_AddStringToObject(o, "number", c[0] ? c[0] : "");
    cJSON_AddStringToObject(o, "department", c[1] ? c[1] : "");
    cJSON_AddStringToObject(o, "custodian", c[2] ? c[2] : "");
    cJSON_AddStringToObject(o, "id", c[3] ? c[3] : "");
    cJSON_AddStringToObject(o, "serial", c[4] ? c[4] : "");
    cJSON_AddStringToObject(o, "hash", c[5] ? c[5] : "");
    add_time(o, "until", to_time(c[6]));
    cJSON_AddStringToObject(o, "state", c[7] ? c[7] : "");
    cJSON_AddNumberToObject(o, "line", c[8] ? strtod(c[8], NULL) : 0);
    cJSON_AddItemToArray(arg, o);
    return 0;
}

cJSON *mamori_pstore_ledger(struct mamori_store *s)
{
    cJSON *a = cJSON_CreateArray();

    if (exec(s,
             "SELECT number, department, custodian, device, serial, hash, until, state, line"
             " FROM ledger_media ORDER BY department, number",
             NULL, 0, medium_row, a) < 0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static int import_row(void *arg, int ncol, const char *const *c)
{
    cJSON **out = arg, *o = cJSON_CreateObject();

    if (o == NULL || ncol < 5)
        return -1;
    cJSON_Delete(*out);
    add_time(o, "imported", to_time(c[0]));
    cJSON_AddStringToObject(o, "file", c[1] ? c[1] : "");
    cJSON_AddStringToObject(o, "sha256", c[2] ? c[2] : "");
    cJSON_AddStringToObject(o, "encoding", c[3] ? c[3] : "");
    cJSON_AddNumberToObject(o, "media", c[4] ? strtod(c[4], NULL) : 0);
    *out = o;
    return 0;
}

cJSON *mamori_pstore_ledger_last_import(struct mamori_store *s)
{
    cJSON *o = NULL;

    if (exec(s,
             "SELECT imported, file, sha256, encoding, media FROM ledger_imports"
             " ORDER BY id DESC LIMIT 1",
             NULL, 0, import_row, &o) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

struct allow_ctx {
    cJSON *allow;
    time_t *next_change;
    time_t now;
};

static void lower(time_t *next_change, time_t t)
{
    if (t > 0 && (*next_change == 0 || t < *next_change))
        *next_change = t;
}

/* One usb.allow entry; until as an RFC 3339 instant so both ends agree on
 * the moment whatever their time zone. */
static cJSON *allow_entry(const char *device, const char *serial, const char *hash,
                          const char *label, time_t until)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "id", device);
    if (serial != NULL && serial[0])
        cJSON_AddStringToObject(o, "serial", serial);
    if (hash != NULL && hash[0])
        cJSON_AddStringToObject(o, "hash", hash);
    cJSON_AddStringToObject(o, "label", label);
    if (until > 0)
        add_time(o, "until", until);
    return o;
}

static int ledger_allow_row(void *arg, int ncol, const char *const *c)
{
    struct allow_ctx *x = arg;
    time_t until;

    if (ncol < 5)
        return -1;
    until = to_time(c[4]);
    lower(x->next_change, until + 1);
    cJSON_AddItemToArray(x->allow, allow_entry(c[1], c[2], c[3], c[0] ? c[0] : "", until));
    return 0;
}

int mamori_pstore_ledger_allow(struct mamori_store *s, const char *department, time_t now,
                               cJSON *allow, time_t *next_change)
{
    struct allow_ctx x = {allow, next_change, now};
    const struct mamori_sqlv p[] = {SQLV_S(department), SQLV_S("in_use"), SQLV_I(now)};

    return exec(s,
                "SELECT number, device, serial, hash, until FROM ledger_media"
                " WHERE department = $1 AND state = $2 AND (until = 0 OR until >= $3)"
                " ORDER BY number",
                p, 3, ledger_allow_row, &x) < 0
               ? -1
               : 0;
}

/* ---- exceptions ---- */

int mamori_pstore_exception_add(struct mamori_store *s, struct mamori_policy_exception *e)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv p[] = {
        SQLV_S(e->scope),  SQLV_S(e->target),  SQLV_S(e->target_name), SQLV_S(e->device),
        SQLV_S(e->serial), SQLV_I(e->starts),  SQLV_I(e->until),       SQLV_S(e->approver),
        SQLV_S(e->reason), SQLV_I(e->created),
    };
    int64_t id = 0;

    if (db->db->begin(db) != 0)
        return -1;
    if (exec(s,
             "INSERT INTO policy_exceptions (scope, target, target_name, device, serial, starts,"
             " until, approver, reason, created) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
             " RETURNING id",
             p, 10, int_row, &id) != 1 ||
        id <= 0)
        return finish(s, -1);
    e->id = id;
    return finish(s, 0);
}

int mamori_pstore_exception_revoke(struct mamori_store *s, int64_t id, const char *reason,
                                   time_t now)
{
    struct mamori_sqldb *db = DB(s);
    const struct mamori_sqlv p[] = {SQLV_I(id), SQLV_I(now), SQLV_S(reason)};
    long n;

    if (db->db->begin(db) != 0)
        return -1;
    n = exec(s,
             "UPDATE policy_exceptions SET revoked = $2, revoke_reason = $3"
             " WHERE id = $1 AND revoked = 0",
             p, 3, NULL, NULL);
    if (n == 0) {
        db->db->rollback(db);
        return 1;
    }
    return finish(s, n < 0 ? -1 : 0);
}

#define EXCEPTION_COLUMNS                                                                          \
    "id, scope, target, target_name, device, serial, starts, until, approver, reason, created,"    \
    " revoked, revoke_reason"

static const char *exception_state(time_t now, time_t starts, time_t until, time_t revoked)
{
    if (revoked > 0)
        return "revoked";
    if (now > until)
        return "expired";
    return now < starts ? "pending" : "active";
}

static int exceptions_row(void *arg, int ncol, const char *const *c)
{
    struct allow_ctx *x = arg;
    cJSON *o = cJSON_CreateObject();
    time_t starts = to_time(c[6]), until = to_time(c[7]), revoked = to_time(c[11]);

    if (o == NULL || ncol < 13)
        return -1;
    cJSON_AddNumberToObject(o, "id", c[0] ? strtod(c[0], NULL) : 0);
    cJSON_AddStringToObject(o, "scope", c[1] ? c[1] : "");
    cJSON_AddStringToObject(o, "target", c[2] ? c[2] : "");
    cJSON_AddStringToObject(o, "target_name", c[3] ? c[3] : "");
    cJSON_AddStringToObject(o, "device", c[4] ? c[4] : "");
    cJSON_AddStringToObject(o, "serial", c[5] ? c[5] : "");
    add_time(o, "from", starts);
    add_time(o, "until", until);
    cJSON_AddStringToObject(o, "approver", c[8] ? c[8] : "");
    cJSON_AddStringToObject(o, "reason", c[9] ? c[9] : "");
    add_time(o, "created", to_time(c[10]));
    add_time(o, "revoked", revoked);
    cJSON_AddStringToObject(o, "revoke_reason", c[12] ? c[12] : "");
    cJSON_AddStringToObject(o, "state", exception_state(x->now, starts, until, revoked));
    cJSON_AddItemToArray(x->allow, o);
    return 0;
}

cJSON *mamori_pstore_exceptions(struct mamori_store *s, time_t now)
{
    struct allow_ctx x = {cJSON_CreateArray(), NULL, now};

    if (exec(s, "SELECT " EXCEPTION_COLUMNS " FROM policy_exceptions ORDER BY id DESC", NULL, 0,
             exceptions_row, &x) < 0) {
        cJSON_Delete(x.allow);
        return NULL;
    }
    return x.allow;
}

static int exception_allow_row(void *arg, int ncol, const char *const *c)
{
    struct allow_ctx *x = arg;
    time_t starts, until;
    char label[64];

    if (ncol < 5)
        return -1;
    starts = to_time(c[3]);
    until = to_time(c[4]);
    if (x->now < starts) { /* not yet: only the moment it starts matters */
        lower(x->next_change, starts);
        return 0;
    }
    lower(x->next_change, until + 1);
    snprintf(label, sizeof(label), "例外#%s", c[0] ? c[0] : "?");
    cJSON_AddItemToArray(x->allow, allow_entry(c[1], c[2], NULL, label, until));
    return 0;
}

int mamori_pstore_exception_allow(struct mamori_store *s, const char *host_id, const char *group,
                                  time_t now, cJSON *allow, time_t *next_change)
{
    struct allow_ctx x = {allow, next_change, now};
    const struct mamori_sqlv p[] = {SQLV_S(host_id ? host_id : ""), SQLV_S(group ? group : ""),
                                    SQLV_I(now)};

    return exec(s,
                "SELECT id, device, serial, starts, until FROM policy_exceptions"
                " WHERE revoked = 0 AND until >= $3 AND ((scope = 'host' AND target = $1)"
                " OR (scope = 'group' AND target = $2)) ORDER BY id",
                p, 3, exception_allow_row, &x) < 0
               ? -1
               : 0;
}

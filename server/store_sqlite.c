/* store_sqlite.c -- the default storage backend: one SQLite file in WAL mode.
 *
 * One connection, serialized by a mutex held from BEGIN to COMMIT: SQLite has
 * a single writer anyway.  synchronous=FULL: a COMMIT has reached the disk
 * (the WAL is fsync'd) when it returns, because the collector acknowledges a
 * report only after its commit.  The cost of that fsync is shared by group
 * commit (ingest_queue.c stores many reports per transaction). */
#include "sqldb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define STMT_CACHE 48

/* Prepared statements by SQL text: parsing dominated ingest without it. */
struct stmt_slot {
    const char *sql; /* the caller's pointer last time (mostly a string literal) */
    sqlite3_stmt *st;
};

struct sqlite_db {
    struct mamori_sqldb base;
    sqlite3 *conn;
    struct stmt_slot cache[STMT_CACHE];
    char *cache_text[STMT_CACHE];
    pthread_mutex_t lock; /* recursive: exec runs inside begin..commit */
};

#define SQ(db) ((struct sqlite_db *)(db))

/* Parameters are named $1..$n (shared SQL with PostgreSQL); SQLite numbers
 * them by first appearance, so each of the statement's parameters is bound
 * to the value its name gives. */
static int bind_all(sqlite3_stmt *st, const struct mamori_sqlv *p, int n)
{
    int count = sqlite3_bind_parameter_count(st);
    for (int idx = 1; idx <= count; idx++) {
        const char *name = sqlite3_bind_parameter_name(st, idx);
        int i = name != NULL && name[0] == '$' ? atoi(name + 1) - 1 : -1, rc;
        if (i < 0 || i >= n)
            continue; /* no value given: stays NULL */
        if (p[i].type == SQLV_INT)
            rc = sqlite3_bind_int64(st, idx, p[i].i);
        else if (p[i].type == SQLV_TEXT && p[i].s != NULL)
            rc = sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

static long run_stmt(sqlite3_stmt *st, mamori_sql_row_fn row, void *arg)
{
    long rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cols[32];
        int n = sqlite3_column_count(st);
        if (n > 32)
            n = 32;
        for (int i = 0; i < n; i++)
            cols[i] = (const char *)sqlite3_column_text(st, i);
        rows++;
        if (row != NULL && row(arg, n, cols) != 0)
            return -1;
    }
    if (rc != SQLITE_DONE)
        return -1;
    return rows;
}

/* Caller holds the lock.  The statement stays owned by the cache. */
static sqlite3_stmt *prepared(struct sqlite_db *s, const char *sql)
{
    int i;
    /* The same literal comes back at the same address: try that first (the
     * text is still compared, since a reused buffer may hold other SQL). */
    for (i = 0; i < STMT_CACHE && s->cache[i].st != NULL; i++)
        if (s->cache[i].sql == sql && strcmp(s->cache_text[i], sql) == 0)
            return s->cache[i].st;
    for (i = 0; i < STMT_CACHE && s->cache[i].st != NULL; i++)
        if (strcmp(s->cache_text[i], sql) == 0) {
            s->cache[i].sql = sql;
            return s->cache[i].st;
        }
    if (i == STMT_CACHE) { /* full: the oldest goes */
        sqlite3_finalize(s->cache[0].st);
        free(s->cache_text[0]);
        memmove(&s->cache[0], &s->cache[1], sizeof(s->cache[0]) * (STMT_CACHE - 1));
        memmove(&s->cache_text[0], &s->cache_text[1], sizeof(char *) * (STMT_CACHE - 1));
        i = STMT_CACHE - 1;
    }
    if (sqlite3_prepare_v3(s->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->cache[i].st, NULL) !=
        SQLITE_OK) {
        s->cache[i].st = NULL;
        return NULL;
    }
    s->cache_text[i] = strdup(sql);
    s->cache[i].sql = sql;
    return s->cache[i].st;
}

static long sq_exec(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                    mamori_sql_row_fn row, void *arg)
{
    struct sqlite_db *s = SQ(db);
    sqlite3_stmt *st;
    long rows = -1;

    pthread_mutex_lock(&s->lock);
    st = prepared(s, sql);
    if (st == NULL || bind_all(st, p, n) != 0) {
        fprintf(stderr, "mamori-server: sqlite: %s\n", sqlite3_errmsg(s->conn));
        goto out;
    }
    rows = run_stmt(st, row, arg);
    if (rows < 0)
        fprintf(stderr, "mamori-server: sqlite: %s\n", sqlite3_errmsg(s->conn));
    else if (row == NULL)
        rows = sqlite3_changes(s->conn);
out:
    if (st != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rows;
}

static int plain(struct sqlite_db *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "mamori-server: sqlite: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sq_begin(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    pthread_mutex_lock(&s->lock); /* held until commit/rollback */
    if (plain(s, "BEGIN IMMEDIATE") != 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    return 0;
}

static int sq_commit(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    int rc = plain(s, "COMMIT");
    if (rc != 0 && !sqlite3_get_autocommit(s->conn))
        plain(s, "ROLLBACK"); /* a failed COMMIT leaves the transaction open */
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void sq_rollback(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    plain(s, "ROLLBACK");
    pthread_mutex_unlock(&s->lock);
}

static void sq_close(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache_text[i]);
    }
    sqlite3_close(s->conn);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct mamori_sqldb_ops sqlite_ops = {
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .close = sq_close,
};

static void init_lock(struct sqlite_db *s)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

struct mamori_store *mamori_store_sqlite_open(const char *path, char *err, size_t errlen)
{
    struct sqlite_db *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->base.store.ops = &mamori_sql_store_ops;
    s->base.db = &sqlite_ops;
    s->base.lock_row = "";
    if (sqlite3_open_v2(path, &s->conn,
                        /* NOMUTEX: every use holds s->lock already */
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->conn ? sqlite3_errmsg(s->conn) : "cannot open");
        sqlite3_close(s->conn);
        free(s);
        return NULL;
    }
    init_lock(s);
    sqlite3_busy_timeout(s->conn, 5000);
    if (plain(s, "PRAGMA journal_mode=WAL") != 0 || plain(s, "PRAGMA synchronous=FULL") != 0 ||
        plain(s, "PRAGMA foreign_keys=ON") != 0 ||
        mamori_sql_create_schema(&s->base, "INTEGER PRIMARY KEY AUTOINCREMENT") != 0) {
        snprintf(err, errlen, "%s: cannot set up the database: %s", path, sqlite3_errmsg(s->conn));
        sqlite3_close(s->conn);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return &s->base.store;
}

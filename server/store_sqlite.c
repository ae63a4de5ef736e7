/* store_sqlite.c -- the default storage backend: one SQLite file in WAL mode.
 *
 * One connection, serialized by a mutex: SQLite has a single writer anyway.
 * Writes are batched: the backend keeps one real transaction open and gives
 * each logical transaction a SAVEPOINT inside it, committing for real after
 * batch_reports logical commits or batch_ms milliseconds (a flusher thread
 * covers quiet periods).  A failed ingest rolls back only its savepoint.
 * batch_reports = 1 commits every report on its own. */
#include "sqldb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define STMT_CACHE 48

/* Prepared statements by SQL text: parsing dominated ingest without it. */
struct stmt_slot {
    const char *sql; /* the caller's text (string literals); compared by content too */
    sqlite3_stmt *st;
};

struct sqlite_db {
    struct mamori_sqldb base;
    sqlite3 *conn;
    struct stmt_slot cache[STMT_CACHE];
    char *cache_text[STMT_CACHE];
    pthread_mutex_t lock; /* recursive: exec runs inside begin..commit */
    pthread_t flusher;
    pthread_cond_t wake;
    int stop;
    int in_batch; /* a real transaction is open */
    int batched;  /* logical commits inside it */
    int batch_reports;
    int batch_ms;
    struct timespec batch_started;
};

#define SQ(db) ((struct sqlite_db *)(db))

/* Parameters are named $1..$n (shared SQL with PostgreSQL); SQLite numbers
 * them by first appearance, so bind by name. */
static int bind_all(sqlite3_stmt *st, const struct mamori_sqlv *p, int n)
{
    for (int i = 0; i < n; i++) {
        char name[16];
        int idx, rc;
        snprintf(name, sizeof(name), "$%d", i + 1);
        idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue; /* not used by this statement */
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
    for (i = 0; i < STMT_CACHE && s->cache[i].st != NULL; i++)
        if (strcmp(s->cache_text[i], sql) == 0)
            return s->cache[i].st;
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
    s->cache[i].sql = s->cache_text[i];
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

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Caller holds the lock. */
static int flush_batch(struct sqlite_db *s)
{
    if (!s->in_batch)
        return 0;
    s->in_batch = 0;
    s->batched = 0;
    return plain(s, "COMMIT");
}

static int sq_begin(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    pthread_mutex_lock(&s->lock); /* held until commit/rollback */
    if (!s->in_batch) {
        if (plain(s, "BEGIN IMMEDIATE") != 0) {
            pthread_mutex_unlock(&s->lock);
            return -1;
        }
        s->in_batch = 1;
        clock_gettime(CLOCK_MONOTONIC, &s->batch_started);
        pthread_cond_signal(&s->wake);
    }
    if (plain(s, "SAVEPOINT logical") != 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    return 0;
}

static int sq_commit(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    int rc = plain(s, "RELEASE logical");
    if (rc == 0 &&
        (++s->batched >= s->batch_reports || elapsed_ms(&s->batch_started) >= s->batch_ms))
        rc = flush_batch(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void sq_rollback(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    plain(s, "ROLLBACK TO logical");
    plain(s, "RELEASE logical");
    pthread_mutex_unlock(&s->lock);
}

/* Commits a batch that stopped growing before it filled. */
static void *flusher_main(void *arg)
{
    struct sqlite_db *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)s->batch_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (!s->in_batch)
            pthread_cond_wait(&s->wake, &s->lock);
        else
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (s->in_batch && elapsed_ms(&s->batch_started) >= s->batch_ms)
            flush_batch(s);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void sq_close(struct mamori_sqldb *db)
{
    struct sqlite_db *s = SQ(db);
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    flush_batch(s);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->flusher, NULL);
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache_text[i]);
    }
    sqlite3_close(s->conn);
    pthread_cond_destroy(&s->wake);
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

static int init_lock(struct sqlite_db *s)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    return pthread_cond_init(&s->wake, NULL);
}

struct mamori_store *mamori_store_sqlite_open(const char *path, int batch_reports, int batch_ms,
                                              char *err, size_t errlen)
{
    struct sqlite_db *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->base.store.ops = &mamori_sql_store_ops;
    s->base.db = &sqlite_ops;
    s->base.lock_row = "";
    s->batch_reports = batch_reports > 0 ? batch_reports : 1;
    s->batch_ms = batch_ms > 0 ? batch_ms : 1;
    if (sqlite3_open_v2(path, &s->conn,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->conn ? sqlite3_errmsg(s->conn) : "cannot open");
        sqlite3_close(s->conn);
        free(s);
        return NULL;
    }
    init_lock(s);
    sqlite3_busy_timeout(s->conn, 5000);
    if (plain(s, "PRAGMA journal_mode=WAL") != 0 || plain(s, "PRAGMA synchronous=NORMAL") != 0 ||
        plain(s, "PRAGMA foreign_keys=ON") != 0 ||
        mamori_sql_create_schema(&s->base, "INTEGER PRIMARY KEY AUTOINCREMENT") != 0 ||
        pthread_create(&s->flusher, NULL, flusher_main, s) != 0) {
        snprintf(err, errlen, "%s: cannot set up the database: %s", path, sqlite3_errmsg(s->conn));
        sqlite3_close(s->conn);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return &s->base.store;
}

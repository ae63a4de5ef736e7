/* store_pg.c -- PostgreSQL backend (libpq) for collectors that share one database.
 *
 * Several mamori-server instances may point at the same database: ingest
 * locks the host row (SELECT ... FOR UPDATE) and relies on the (host_id, seq)
 * primary key with ON CONFLICT, so concurrent servers agree on accepted /
 * duplicate / replay.  Inside one process the connection is shared under a
 * mutex held from BEGIN to COMMIT. */
#include "sqldb.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

struct pg_db {
    struct mamori_sqldb base;
    PGconn *conn;
    pthread_mutex_t lock; /* recursive */
};

#define PG(db)     ((struct pg_db *)(db))
#define MAX_PARAMS 16

static long pg_rows(PGresult *res, mamori_sql_row_fn row, void *arg)
{
    int nrows = PQntuples(res), ncols = PQnfields(res);
    if (ncols > 32)
        ncols = 32;
    for (int r = 0; r < nrows; r++) {
        const char *cols[32];
        for (int c = 0; c < ncols; c++)
            cols[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
        if (row != NULL && row(arg, ncols, cols) != 0)
            return -1;
    }
    return nrows;
}

static long pg_exec(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                    mamori_sql_row_fn row, void *arg)
{
    struct pg_db *g = PG(db);
    char ints[MAX_PARAMS][24];
    const char *values[MAX_PARAMS];
    PGresult *res;
    long rows = -1;

    if (n > MAX_PARAMS)
        return -1;
    for (int i = 0; i < n; i++) {
        if (p[i].type == SQLV_INT) {
            snprintf(ints[i], sizeof(ints[i]), "%" PRId64, p[i].i);
            values[i] = ints[i];
        } else {
            values[i] = p[i].type == SQLV_TEXT ? p[i].s : NULL;
        }
    }
    pthread_mutex_lock(&g->lock);
    res = PQexecParams(g->conn, sql, n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        rows = pg_rows(res, row, arg);
    else if (PQresultStatus(res) == PGRES_COMMAND_OK)
        rows = strtol(PQcmdTuples(res)[0] ? PQcmdTuples(res) : "0", NULL, 10);
    else
        fprintf(stderr, "mamori-server: postgresql: %s", PQresultErrorMessage(res));
    PQclear(res);
    pthread_mutex_unlock(&g->lock);
    return rows;
}

static int pg_begin(struct mamori_sqldb *db)
{
    struct pg_db *g = PG(db);
    pthread_mutex_lock(&g->lock);
    if (pg_exec(db, "BEGIN", NULL, 0, NULL, NULL) < 0) {
        pthread_mutex_unlock(&g->lock);
        return -1;
    }
    return 0;
}

static int pg_commit(struct mamori_sqldb *db)
{
    int rc = pg_exec(db, "COMMIT", NULL, 0, NULL, NULL) < 0 ? -1 : 0;
    pthread_mutex_unlock(&PG(db)->lock);
    return rc;
}

static void pg_rollback(struct mamori_sqldb *db)
{
    pg_exec(db, "ROLLBACK", NULL, 0, NULL, NULL);
    pthread_mutex_unlock(&PG(db)->lock);
}

static void pg_close(struct mamori_sqldb *db)
{
    struct pg_db *g = PG(db);
    PQfinish(g->conn);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static const struct mamori_sqldb_ops pg_ops = {
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .close = pg_close,
};

struct mamori_store *mamori_store_pg_open(const char *dsn, char *err, size_t errlen)
{
    struct pg_db *g = calloc(1, sizeof(*g));
    pthread_mutexattr_t attr;

    if (g == NULL)
        return NULL;
    g->base.store.ops = &mamori_sql_store_ops;
    g->base.db = &pg_ops;
    g->base.lock_row = " FOR UPDATE";
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&g->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    g->conn = PQconnectdb(dsn);
    if (PQstatus(g->conn) != CONNECTION_OK) {
        /* The message names host/port, never the password. */
        snprintf(err, errlen, "postgresql: %s", PQerrorMessage(g->conn));
        pg_close(&g->base);
        return NULL;
    }
    /* Concurrent servers may both try to create the schema: serialize them. */
    if (pg_exec(&g->base, "SET client_min_messages = warning", NULL, 0, NULL, NULL) < 0 ||
        pg_begin(&g->base) != 0 ||
        pg_exec(&g->base, "SELECT pg_advisory_xact_lock(7349)", NULL, 0, NULL, NULL) < 0 ||
        mamori_sql_create_schema(&g->base, "BIGSERIAL PRIMARY KEY") != 0 ||
        pg_commit(&g->base) != 0) {
        snprintf(err, errlen, "postgresql: cannot create the schema");
        pg_close(&g->base);
        return NULL;
    }
    return &g->base.store;
}

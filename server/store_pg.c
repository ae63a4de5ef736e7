/* store_pg.c -- PostgreSQL backend (libpq) for collectors that share one database.
 *
 * Several mamori-server instances may point at the same database: ingest
 * locks the host row (SELECT ... FOR UPDATE) and relies on the (host_id, seq)
 * primary key with ON CONFLICT, so concurrent servers agree on accepted /
 * duplicate / replay.  Inside one process the same holds between threads:
 * a small pool of connections, one bound to a thread from BEGIN to COMMIT,
 * lets several group-commit writers (ingest_queue.c) store groups of
 * different hosts at once.  Every statement is a round trip, so with one
 * connection the collector waited on the database more than it worked
 * (docs/server.md, "Ingest rate").  Connections open on demand, so a CLI
 * command uses one; a broken one is reset before it is used again. */
#include "sqldb.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define PG_MAX_CONNECTIONS 32

struct pg_db {
    struct mamori_sqldb base;
    char *dsn;
    PGconn *conn[PG_MAX_CONNECTIONS];
    int busy[PG_MAX_CONNECTIONS];
    int opened, max;
    pthread_mutex_t lock; /* guards conn[], busy[], opened */
    pthread_cond_t freed;
};

/* The connection of this thread's open transaction, if any. */
static _Thread_local struct pg_db *bound_db;
static _Thread_local int bound_slot = -1;

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

static void release(struct pg_db *g, int slot)
{
    pthread_mutex_lock(&g->lock);
    g->busy[slot] = 0;
    pthread_cond_signal(&g->freed);
    pthread_mutex_unlock(&g->lock);
}

/* A free connection, opened or reset as needed; waits while all are busy.
 * -1 when none can be opened. */
static int acquire(struct pg_db *g)
{
    int slot = -1;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        for (int i = 0; i < g->opened && slot < 0; i++)
            if (!g->busy[i])
                slot = i;
        if (slot < 0 && g->opened < g->max)
            slot = g->opened++;
        if (slot >= 0)
            break;
        pthread_cond_wait(&g->freed, &g->lock);
    }
    g->busy[slot] = 1;
    pthread_mutex_unlock(&g->lock);
    if (g->conn[slot] == NULL) {
        g->conn[slot] = PQconnectdb(g->dsn);
        if (PQstatus(g->conn[slot]) == CONNECTION_OK)
            PQclear(PQexec(g->conn[slot], "SET client_min_messages = warning"));
    } else if (PQstatus(g->conn[slot]) != CONNECTION_OK)
        PQreset(g->conn[slot]); /* the server restarted or the link broke */
    if (PQstatus(g->conn[slot]) != CONNECTION_OK) {
        fprintf(stderr, "mamori-server: postgresql: %s", PQerrorMessage(g->conn[slot]));
        release(g, slot);
        return -1;
    }
    return slot;
}

static long pg_exec(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                    mamori_sql_row_fn row, void *arg)
{
    struct pg_db *g = PG(db);
    char ints[MAX_PARAMS][24];
    const char *values[MAX_PARAMS];
    PGresult *res;
    long rows = -1;
    int slot;

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
    slot = bound_db == g ? bound_slot : acquire(g);
    if (slot < 0)
        return -1;
    res = PQexecParams(g->conn[slot], sql, n, NULL, values, NULL, NULL, 0);
    if (PQstatus(g->conn[slot]) == CONNECTION_BAD && (bound_db != g || strcmp(sql, "BEGIN") == 0)) {
        /* A connection the database server dropped (a restart) is found
         * dead only when used: outside a transaction, reconnect and run
         * the statement once more, so a restart costs no request. */
        PQclear(res);
        PQreset(g->conn[slot]);
        res = PQexecParams(g->conn[slot], sql, n, NULL, values, NULL, NULL, 0);
    }
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        rows = pg_rows(res, row, arg);
    else if (PQresultStatus(res) == PGRES_COMMAND_OK)
        rows = strtol(PQcmdTuples(res)[0] ? PQcmdTuples(res) : "0", NULL, 10);
    else
        fprintf(stderr, "mamori-server: postgresql: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (bound_db != g)
        release(g, slot);
    return rows;
}

/* BEGIN binds a connection to this thread until COMMIT or ROLLBACK. */
static int pg_begin(struct mamori_sqldb *db)
{
    struct pg_db *g = PG(db);
    int slot;
    if (bound_db != NULL) {
        fprintf(stderr, "mamori-server: postgresql: nested transaction\n");
        return -1;
    }
    if ((slot = acquire(g)) < 0)
        return -1;
    bound_db = g;
    bound_slot = slot;
    if (pg_exec(db, "BEGIN", NULL, 0, NULL, NULL) < 0) {
        bound_db = NULL;
        release(g, slot);
        return -1;
    }
    return 0;
}

static void unbind(struct pg_db *g)
{
    int slot = bound_slot;
    bound_db = NULL;
    bound_slot = -1;
    release(g, slot);
}

static int pg_commit(struct mamori_sqldb *db)
{
    int rc = pg_exec(db, "COMMIT", NULL, 0, NULL, NULL) < 0 ? -1 : 0;
    unbind(PG(db));
    return rc;
}

static void pg_rollback(struct mamori_sqldb *db)
{
    pg_exec(db, "ROLLBACK", NULL, 0, NULL, NULL);
    unbind(PG(db));
}

static void pg_close(struct mamori_sqldb *db)
{
    struct pg_db *g = PG(db);
    for (int i = 0; i < g->opened; i++)
        PQfinish(g->conn[i]);
    pthread_cond_destroy(&g->freed);
    pthread_mutex_destroy(&g->lock);
    free(g->dsn);
    free(g);
}

static const struct mamori_sqldb_ops pg_ops = {
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .close = pg_close,
};

struct mamori_store *mamori_store_pg_open_pool(const char *dsn, int connections, char *err,
                                               size_t errlen)
{
    struct pg_db *g = calloc(1, sizeof(*g));
    int slot;

    if (g == NULL || (g->dsn = strdup(dsn)) == NULL) {
        free(g);
        snprintf(err, errlen, "postgresql: out of memory");
        return NULL;
    }
    g->base.store.ops = &mamori_sql_store_ops;
    g->base.store.writers = connections < 1                    ? 1
                            : connections > PG_MAX_CONNECTIONS ? PG_MAX_CONNECTIONS
                                                               : connections;
    g->max = g->base.store.writers;
    g->base.db = &pg_ops;
    g->base.lock_row = " FOR UPDATE";
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->freed, NULL);
    if ((slot = acquire(g)) < 0) {
        /* The message names host/port, never the password. */
        snprintf(err, errlen, "postgresql: %s",
                 g->conn[0] ? PQerrorMessage(g->conn[0]) : "cannot connect");
        pg_close(&g->base);
        return NULL;
    }
    release(g, slot);
    /* Concurrent servers may both try to create the schema: serialize them. */
    if (pg_begin(&g->base) != 0 ||
        pg_exec(&g->base, "SELECT pg_advisory_xact_lock(7349)", NULL, 0, NULL, NULL) < 0 ||
        mamori_sql_create_schema(&g->base, "BIGSERIAL PRIMARY KEY") != 0 ||
        pg_commit(&g->base) != 0) {
        snprintf(err, errlen, "postgresql: cannot create the schema");
        pg_close(&g->base);
        return NULL;
    }
    return &g->base.store;
}

struct mamori_store *mamori_store_pg_open(const char *dsn, char *err, size_t errlen)
{
    return mamori_store_pg_open_pool(dsn, MAMORI_PG_DEFAULT_WRITERS, err, errlen);
}

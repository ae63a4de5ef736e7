/* sqldb.h -- the small SQL surface both storage backends provide.
 *
 * store_core.c writes every query once (PostgreSQL-style $1 placeholders,
 * which SQLite also accepts) against this interface; store_sqlite.c and
 * store_pg.c only know how to run a statement and frame a transaction.
 * Rows come back as text (NULL for SQL NULL), which both libraries give
 * cheaply. */
#ifndef MAMORI_SERVER_SQLDB_H
#define MAMORI_SERVER_SQLDB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct mamori_sqlv {
    enum { SQLV_NULL, SQLV_INT, SQLV_TEXT } type;
    int64_t i;
    const char *s;
};

#define SQLV_I(v) ((struct mamori_sqlv){.type = SQLV_INT, .i = (v)})
#define SQLV_S(v) ((struct mamori_sqlv){.type = SQLV_TEXT, .s = (v)})

typedef int (*mamori_sql_row_fn)(void *arg, int ncol, const char *const *cols);

struct mamori_sqldb;

struct mamori_sqldb_ops {
    /* Run sql with params; call row() per result row (may be NULL).  Returns
     * the number of rows affected or returned, -1 on error (logged). */
    long (*exec)(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                 mamori_sql_row_fn row, void *arg);
    int (*begin)(struct mamori_sqldb *db);
    int (*commit)(struct mamori_sqldb *db);
    void (*rollback)(struct mamori_sqldb *db);
    void (*close)(struct mamori_sqldb *db);
};

struct mamori_sqldb {
    struct mamori_store store; /* first: the store API sees this */
    const struct mamori_sqldb_ops *db;
    const char *lock_row; /* " FOR UPDATE" where the backend has it */
};

/* The store operations written against mamori_sqldb (store_core.c). */
extern const struct mamori_store_ops mamori_sql_store_ops;

/* Schema statements shared by both backends, NULL-terminated; id_column is
 * the auto-increment primary key spelling of the backend. */
int mamori_sql_create_schema(struct mamori_sqldb *db, const char *id_column);

#endif

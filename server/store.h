/* store.h -- storage interface of the collector (one vtable, two backends).
 *
 * SQLite (store_sqlite.c) is the default: one file, WAL.  PostgreSQL
 * (store_pg.c) lets several mamori-server instances share one database.
 * Both keep the same tables (docs/server.md): hosts, reports (raw JWS for
 * audit), check_state (current verdict per host and check, with the time it
 * began), events, relay_queue.  Queries return cJSON documents so the JSON
 * API and the CLI print the same data. */
#ifndef MAMORI_SERVER_STORE_H
#define MAMORI_SERVER_STORE_H

#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "report_doc.h"

struct mamori_store;

struct mamori_host_record {
    char id[MAMORI_HOST_ID_LEN + 1];
    char hostname[256];
    char segment[64];
    char department[256];
    char municipality[256];
    char key_thumbprint[64];
    char cert_serial[48];
    char *cert_pem; /* malloc'd, may be NULL */
    time_t enrolled;
    time_t revoked;   /* 0 when active */
    int64_t last_seq; /* -1 before the first report */
    time_t last_seen;
};

enum mamori_ingest_result {
    MAMORI_INGEST_ACCEPTED,
    MAMORI_INGEST_DUPLICATE,
    MAMORI_INGEST_REPLAY,
    MAMORI_INGEST_UNKNOWN_HOST,
    MAMORI_INGEST_HOST_MISMATCH, /* the key belongs to another host id */
    MAMORI_INGEST_REVOKED,       /* the key was revoked or replaced: never re-enrol it */
    MAMORI_INGEST_ERROR,
};

/* What enroll() answers besides 0 (enrolled) and -1 (storage error). */
enum mamori_store_enroll_refusal {
    MAMORI_STORE_KEY_REVOKED = 1, /* the key was revoked or replaced by another */
    MAMORI_STORE_KEY_IN_USE = 2,  /* the key is another host's active key */
};

/* What ingest hands to storage: the verified, parsed report and its raw
 * bytes; storage answers in result. */
struct mamori_ingest {
    const struct mamori_report *report;
    const char *jws;
    size_t jws_len;
    const char *hash_hex;       /* SHA-256 of the JWS bytes */
    const char *key_thumbprint; /* the key that signed it: must be the host's active key */
    time_t received;
    int relay; /* also queue for the upstream */
    enum mamori_ingest_result result;
};

struct mamori_event_filter {
    const char *type; /* prefix match ("usb." finds every USB event); NULL = any */
    const char *host; /* hostname or host id; NULL = any */
    time_t since;     /* 0 = any */
    int limit;
};

struct mamori_store_ops {
    void (*close)(struct mamori_store *s);
    /* Insert the host, or give it a new certificate and key; a previous,
     * different key is revoked.  The same key again keeps the host's seq
     * (re-enrolment is idempotent).  0, -1 on a storage error, or a
     * mamori_store_enroll_refusal. */
    int (*enroll)(struct mamori_store *s, const struct mamori_host_record *h);
    /* Forget a host (its row and current check states; its reports and
     * events stay for audit).  0 removed, 1 no such host id, -1 error. */
    int (*remove_host)(struct mamori_store *s, const char *host_id);
    /* Revoke a host's key for good: its reports and any enrolment with that
     * key are refused.  0 revoked, 1 no such host id, -1 error. */
    int (*revoke_host)(struct mamori_store *s, const char *host_id, time_t when);
    /* 0 found, 1 no active host with that key thumbprint, -1 error. */
    int (*host_by_key)(struct mamori_store *s, const char *thumbprint,
                       struct mamori_host_record *out);
    /* 0 found, 1 not found, -1 error; name is a hostname or a host id. */
    int (*host_by_name)(struct mamori_store *s, const char *name, struct mamori_host_record *out);
    /* Store n reports in one transaction (group commit): each is accepted,
     * a duplicate, a replay or refused on its own (a savepoint each), and
     * the results are set only after the COMMIT returned, so an "accepted"
     * report is durable.  If the commit fails every result is ERROR. */
    void (*ingest)(struct mamori_store *s, struct mamori_ingest *const *in, int n);
    /* Every host with its check states: [{host fields..., checks:[{id,verdict,since}]}] */
    cJSON *(*hosts)(struct mamori_store *s);
    cJSON *(*events)(struct mamori_store *s, const struct mamori_event_filter *f);
    /* Reports of one host, newest first: [{seq,time,received,hash}] */
    cJSON *(*history)(struct mamori_store *s, const char *host_id, int limit);
    /* Raw JWS of every report received at or after since, in order:
     * calls fn(host record, jws) for each; stops when fn returns non-zero. */
    int (*each_report)(struct mamori_store *s, time_t since,
                       int (*fn)(void *arg, const struct mamori_host_record *h, const char *jws),
                       void *arg);
    /* Relay queue: oldest first up to max; ack removes them. */
    cJSON *(*relay_pending)(struct mamori_store *s, int max);
    int (*relay_ack)(struct mamori_store *s, int64_t upto_id);
    /* Delete raw reports older than the retention time. */
    int (*prune)(struct mamori_store *s, time_t before);
};

struct mamori_store {
    const struct mamori_store_ops *ops;
    int writers; /* how many threads may call ops->ingest at once (0 or 1: one) */
};

/* PostgreSQL connections, and so parallel group-commit writers, by default. */
#define MAMORI_PG_DEFAULT_WRITERS 4

/* Open (creating the schema when missing).  NULL with err set on failure. */
struct mamori_store *mamori_store_sqlite_open(const char *path, char *err, size_t errlen);
struct mamori_store *mamori_store_pg_open(const char *dsn, char *err, size_t errlen);
/* With up to CONNECTIONS connections (1..32), opened on demand. */
struct mamori_store *mamori_store_pg_open_pool(const char *dsn, int connections, char *err,
                                               size_t errlen);

void mamori_host_record_clear(struct mamori_host_record *h);

#endif

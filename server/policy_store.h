/* policy_store.h -- what central policy keeps in the collector's database.
 *
 * Five tables, in both backends (SQLite and PostgreSQL, the same SQL over
 * mamori_sqldb like store_core.c), created by mamori_pstore_prepare:
 *
 *   policy_groups       a named policy; with a segment it is matched to PCs
 *                       automatically (segment x 所属), otherwise by assignment
 *   policy_assignments  host id -> group, overriding the automatic match
 *   ledger_media        the registered-media ledger (外部記録媒体管理台帳) as
 *                       last imported, one row per 管理番号
 *   ledger_imports      who imported which file when (audit)
 *   policy_exceptions   例外措置: a time-limited allow of one device for one
 *                       host or group, with approver and reason; never deleted
 *
 * Every change bumps counters.policy_revision in the same transaction, so a
 * running collector (another process) sees at once that bundles must be
 * recomposed (policy_service.c).  Times are seconds since the epoch. */
#ifndef MAMORI_SERVER_POLICY_STORE_H
#define MAMORI_SERVER_POLICY_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ledger.h"
#include "store.h"

#define MAMORI_GROUP_NAME_MAX 128

struct mamori_policy_group {
    char name[MAMORI_GROUP_NAME_MAX];
    char segment[16];     /* "" = assignment only */
    char department[256]; /* 所属 whose media it allows; "" = the PC's own */
    char description[256];
    char *policy; /* the policy object, compact JSON (malloc'd) */
    time_t updated;
};

struct mamori_policy_exception {
    int64_t id;
    char scope[8];         /* "host" or "group" */
    char target[256];      /* host id or group name */
    char target_name[256]; /* hostname for a host, for people */
    char device[10];       /* "vvvv:pppp" */
    char serial[256];      /* "" = any serial */
    time_t starts, until;  /* until: the last second it applies */
    char approver[128];
    char reason[512];
    time_t created;
    time_t revoked; /* 0 while not revoked */
    char revoke_reason[512];
};

/* Create the tables when missing (additive; safe on every start). */
int mamori_pstore_prepare(struct mamori_store *s);

/* The current revision (0 before any change), -1 on error. */
int64_t mamori_pstore_revision(struct mamori_store *s);
/* How many groups exist, -1 on error. */
long mamori_pstore_group_count(struct mamori_store *s);

/* Insert or replace a group (g->policy already validated).  0; 2 when
 * another group already has the same segment and 所属 (its name in
 * conflict); -1 error. */
int mamori_pstore_group_set(struct mamori_store *s, const struct mamori_policy_group *g,
                            char *conflict, size_t conflict_len);
/* 0 found, 1 no such group, -1 error.  Clear with mamori_policy_group_clear. */
int mamori_pstore_group_get(struct mamori_store *s, const char *name,
                            struct mamori_policy_group *out);
/* Remove a group and its assignments.  0, 1 no such group, -1 error. */
int mamori_pstore_group_remove(struct mamori_store *s, const char *name);
/* [{name,segment,department,description,updated,assigned}] by name. */
cJSON *mamori_pstore_groups(struct mamori_store *s);
void mamori_policy_group_clear(struct mamori_policy_group *g);

/* Assign a host to a group, or (group NULL) remove its assignment.
 * 0, 1 (unassign: there was none), -1 error. */
int mamori_pstore_assign(struct mamori_store *s, const char *host_id, const char *group);
/* The group for a host: its assignment, else the most specific automatic
 * group (segment and 所属 both equal beats segment alone).  0 found (with
 * *assigned 1 for an assignment), 1 none applies, -1 error. */
int mamori_pstore_group_for_host(struct mamori_store *s, const char *host_id, const char *segment,
                                 const char *department, struct mamori_policy_group *out,
                                 int *assigned);
/* [{host_id, hostname, group}] */
cJSON *mamori_pstore_assignments(struct mamori_store *s);

/* Replace the whole ledger with l in one transaction (all or nothing).
 * origin and sha256 name the file for the import record. */
int mamori_pstore_ledger_replace(struct mamori_store *s, const struct mamori_ledger *l,
                                 const char *origin, const char *sha256, const char *encoding,
                                 time_t now);
/* Every medium: [{number,department,custodian,id,serial,hash,until,state}]. */
cJSON *mamori_pstore_ledger(struct mamori_store *s);
/* The last import: {imported, file, sha256, encoding, media} or NULL. */
cJSON *mamori_pstore_ledger_last_import(struct mamori_store *s);
/* Append to allow (a cJSON array of policy usb.allow entries) the media of
 * department that are in use and not expired at now; *next_change is
 * lowered to the earliest expiry among them. */
int mamori_pstore_ledger_allow(struct mamori_store *s, const char *department, time_t now,
                               cJSON *allow, time_t *next_change);

/* Record an exception; e->id is set.  0 or -1. */
int mamori_pstore_exception_add(struct mamori_store *s, struct mamori_policy_exception *e);
/* 0 revoked, 1 no such exception or already revoked, -1 error. */
int mamori_pstore_exception_revoke(struct mamori_store *s, int64_t id, const char *reason,
                                   time_t now);
/* Every exception, newest first, each with "state" at now:
 * pending | active | expired | revoked. */
cJSON *mamori_pstore_exceptions(struct mamori_store *s, time_t now);
/* Append the exceptions in force at now for host_id or group to allow;
 * *next_change is lowered to the next instant one starts or ends. */
int mamori_pstore_exception_allow(struct mamori_store *s, const char *host_id, const char *group,
                                  time_t now, cJSON *allow, time_t *next_change);

#endif

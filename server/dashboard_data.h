/* dashboard_data.h -- what the dashboard pages show, read from the database.
 *
 * The overview is computed with a few aggregate SQL queries (GROUP BY over
 * hosts and check_state) rather than by loading every host, so it stays
 * fast at 100,000 PCs (bench/dashboard).  A host is compliant when it has
 * reported and none of its checks is fail or error -- unlike the CLI's
 * fleet view (fleet.c), a PC that enrolled but never reported is not
 * counted as compliant, since nothing is known about it.  Revoked hosts are
 * left out; a host is silent when its last report is older than
 * silent_after_intervals x report_interval_seconds.
 *
 * The 30-day trend comes from ui_trend, one row per local day, recorded
 * whenever the overview is computed and by `mamori-server admin snapshot`
 * (run it daily from a timer so days without a visit have a point too). */
#ifndef MAMORI_SERVER_DASHBOARD_DATA_H
#define MAMORI_SERVER_DASHBOARD_DATA_H

#include <time.h>

#include <cjson/cJSON.h>

#include "server.h"
#include "sqldb.h"

#define MAMORI_TREND_DAYS 30

/* Run schema statements (NULL-terminated) in one transaction, serialized
 * between collectors on PostgreSQL.  0 or -1. */
int mamori_dash_schema_apply(struct mamori_sqldb *db, const char *const *statements);
/* ui_trend.  0 or -1. */
int mamori_dash_data_prepare(struct mamori_sqldb *db);

/* The store as SQL (both backends are mamori_sqldb). */
struct mamori_sqldb *mamori_dash_db(struct mamori_server *s);
/* silent_after_intervals x report_interval_seconds */
long mamori_dash_silent_after(const struct mamori_server *s);

/* {hosts, compliant, silent, checks:[{id,pass,fail,error,not_applicable}],
 *  departments:[{name,hosts,compliant}], segments:[...],
 *  failing:[{check_id,hostname,department,verdict,since}] (oldest first,
 *  at most list_limit), silent_hosts:[{hostname,department,last_seen}],
 *  trend:[{day,hosts,compliant,silent}], usb:[events], net:[events]}
 * Records today's trend point.  NULL on a database error. */
cJSON *mamori_dash_overview(struct mamori_server *s, time_t now, int list_limit);
/* Every failing (fail/error) check of every active host, oldest first. */
cJSON *mamori_dash_failing(struct mamori_sqldb *db, int limit);
/* Active hosts without a report since cutoff (never reported first). */
cJSON *mamori_dash_silent(struct mamori_sqldb *db, time_t cutoff, int limit);
/* The last MAMORI_TREND_DAYS days of ui_trend, oldest first. */
cJSON *mamori_dash_trend(struct mamori_sqldb *db, time_t now);
/* Store today's point (local date).  0 or -1. */
int mamori_dash_trend_record(struct mamori_sqldb *db, time_t now, long hosts, long compliant,
                             long silent);

/* One host: {id, hostname, segment, department, municipality, enrolled,
 * last_seen, revoked, report:{seq,time} | null,
 * checks:[{id, verdict, since, title, detail, remediation, clause, evidence}],
 * history:[...], events:[...]}.  NULL when unknown or on error. */
cJSON *mamori_dash_host(struct mamori_server *s, const char *name);

/* The payload of a stored (already verified) JWS, parsed; NULL if it is not
 * a JSON object.  Reads report content, which PCs wrote. */
cJSON *mamori_dash_jws_payload(const char *jws, size_t len);
/* Merge a report payload's checks (detail, evidence, and what a schema-1
 * report carried: title, remediation, clause) into checks (from
 * check_state), matching by id; checks only in the payload are added.  Then
 * every check the catalogue knows takes its title, remediation and clause
 * from the catalogue (collectors/catalogue.h); an unknown id keeps the
 * report's. */
void mamori_dash_merge_report(cJSON *checks, const cJSON *payload);

/* Title of a known check id in Japanese or English (from the catalogue),
 * or NULL. */
const char *mamori_dash_check_title(const char *id, int en);

#endif

/* report_doc.h -- the report document a host signs, as the collector sees it.
 *
 * After the JWS signature checks out, ingest hands the payload bytes to
 * mamori_report_parse(), which checks the shape (schema 2, or schema 1 as
 * older agents still have spooled; docs/report-schema.md) and pulls out
 * what storage indexes on.  Everything else stays in the raw
 * JWS kept for audit.  The parser never trusts the bytes: it is fuzzed
 * (tests/fuzz/fuzz_ingest.c). */
#ifndef MAMORI_SERVER_REPORT_DOC_H
#define MAMORI_SERVER_REPORT_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#define MAMORI_HOST_ID_LEN 64
/* Most checks one report may carry (more is refused as malformed). */
#define MAMORI_REPORT_MAX_CHECKS 256

struct mamori_json_arena;

struct mamori_report {
    cJSON *doc;                      /* owns every string below; read-only (json_arena.h) */
    struct mamori_json_arena *arena; /* where doc lives, or NULL */
    int schema;                      /* 1 (checks carry their text) or 2 (compact) */
    int catalogue;                   /* schema 2: check catalogue version; 0 for schema 1 */
    const char *host_id;             /* 64 lowercase hex */
    const char *hostname;
    const char *segment;
    const char *department;   /* "" when absent */
    const char *municipality; /* "" when absent */
    int64_t seq;
    time_t time;
    const char *policy_version;
    const char *agent_version;
    const cJSON *checks; /* array, each with id and verdict validated */
    const cJSON *events; /* array, each with type and time validated */
};

/* Parse and validate.  0 on success (free with mamori_report_free), -1 with a
 * reason naming the offending member in err. */
int mamori_report_parse(const char *json, size_t len, struct mamori_report *out, char *err,
                        size_t errlen);
void mamori_report_free(struct mamori_report *r);

/* RFC 3339 ("2026-11-23T06:49:34Z", fraction and offset allowed) to time_t. */
int mamori_rfc3339_parse(const char *s, time_t *out);
/* time_t to "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void mamori_rfc3339_format(time_t t, char *buf, size_t len);

/* True for the four verdict names of collectors/check.h. */
int mamori_verdict_valid(const char *v);
/* True when s is exactly 64 lowercase hex digits. */
int mamori_host_id_valid(const char *s);

#endif

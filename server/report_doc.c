/* report_doc.c -- validation of signed report payloads (schemas 1 and 2).
 *
 * Schema 2 (current agents) carries compact checks and the check catalogue
 * version; schema 1 (older agents, and reports they spooled before an
 * upgrade) carries each check's title and remediation.  Both are accepted,
 * so no spooled report is lost when the agents are upgraded.
 *
 * Shape errors are answered with HTTP 400 and a message naming the member, so
 * a broken agent build is easy to diagnose from the collector log. */
#include "report_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "json_arena.h"

#define MAX_EVENTS 4096

static const char *verdicts[] = {"pass", "fail", "error", "not_applicable"};

int mamori_verdict_valid(const char *v)
{
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
        if (v != NULL && strcmp(v, verdicts[i]) == 0)
            return 1;
    return 0;
}

int mamori_host_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != MAMORI_HOST_ID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

int mamori_rfc3339_parse(const char *s, time_t *out)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    const char *p = s;

    if (s == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &se))
        return -1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
        oh > 23 || om > 59)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = timegm(&tm) - (time_t)sign * (oh * 3600 + om * 60);
    return 0;
}

void mamori_rfc3339_format(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A required string member; NULL (and a message) when missing or not a string. */
static const char *need_string(const cJSON *obj, const char *name, const char *where, char *err,
                               size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        snprintf(err, errlen, "%s.%s: missing or not a string", where, name);
        return NULL;
    }
    return v->valuestring;
}

static const char *opt_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static int parse_host(const cJSON *host, struct mamori_report *r, char *err, size_t errlen)
{
    if (!cJSON_IsObject(host)) {
        snprintf(err, errlen, "host: missing or not an object");
        return -1;
    }
    if (!(r->host_id = need_string(host, "id", "host", err, errlen)) ||
        !(r->hostname = need_string(host, "hostname", "host", err, errlen)))
        return -1;
    if (!mamori_host_id_valid(r->host_id)) {
        snprintf(err, errlen, "host.id: not 64 lowercase hex digits");
        return -1;
    }
    if (r->hostname[0] == '\0' || strlen(r->hostname) > 253) {
        snprintf(err, errlen, "host.hostname: empty or longer than 253");
        return -1;
    }
    r->segment = opt_string(host, "segment");
    r->department = opt_string(host, "department");
    r->municipality = opt_string(host, "municipality");
    return 0;
}

static int parse_checks(const cJSON *checks, char *err, size_t errlen)
{
    int i = 0;
    const cJSON *c;

    if (!cJSON_IsArray(checks)) {
        snprintf(err, errlen, "checks: missing or not an array");
        return -1;
    }
    if (cJSON_GetArraySize(checks) > MAMORI_REPORT_MAX_CHECKS) {
        snprintf(err, errlen, "checks: more than %d entries", MAMORI_REPORT_MAX_CHECKS);
        return -1;
    }
    cJSON_ArrayForEach(c, checks)
    {
        char where[32];
        const char *id, *verdict;
        snprintf(where, sizeof(where), "checks[%d]", i++);
        if (!cJSON_IsObject(c)) {
            snprintf(err, errlen, "%s: not an object", where);
            return -1;
        }
        if (!(id = need_string(c, "id", where, err, errlen)) ||
            !(verdict = need_string(c, "verdict", where, err, errlen)))
            return -1;
        if (id[0] == '\0' || strlen(id) > 64) {
            snprintf(err, errlen, "%s.id: empty or longer than 64", where);
            return -1;
        }
        if (!mamori_verdict_valid(verdict)) {
            snprintf(err, errlen, "%s.verdict: \"%.32s\" is not pass|fail|error|not_applicable",
                     where, verdict);
            return -1;
        }
    }
    return 0;
}

static int parse_events(const cJSON *events, char *err, size_t errlen)
{
    int i = 0;
    const cJSON *e;
    time_t t;

    if (events == NULL)
        return 0;
    if (!cJSON_IsArray(events) || cJSON_GetArraySize(events) > MAX_EVENTS) {
        snprintf(err, errlen, "events: not an array of at most %d", MAX_EVENTS);
        return -1;
    }
    cJSON_ArrayForEach(e, events)
    {
        char where[32];
        const char *ts;
        snprintf(where, sizeof(where), "events[%d]", i++);
        if (!cJSON_IsObject(e)) {
            snprintf(err, errlen, "%s: not an object", where);
            return -1;
        }
        if (!need_string(e, "type", where, err, errlen) ||
            !(ts = need_string(e, "time", where, err, errlen)))
            return -1;
        if (mamori_rfc3339_parse(ts, &t) != 0) {
            snprintf(err, errlen, "%s.time: not RFC 3339", where);
            return -1;
        }
    }
    return 0;
}

static int parse_catalogue(struct mamori_report *r, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->doc, "catalogue");
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1000000 ||
        v->valuedouble != (double)(int)v->valuedouble) {
        snprintf(err, errlen, "catalogue: missing or not a positive integer (schema 2)");
        return -1;
    }
    r->catalogue = (int)v->valuedouble;
    return 0;
}

static int parse_top(struct mamori_report *r, char *err, size_t errlen)
{
    const cJSON *doc = r->doc, *schema, *seq;
    const char *ts;

    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "payload: not a JSON object");
        return -1;
    }
    schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    if (!cJSON_IsNumber(schema) || (schema->valuedouble != 1 && schema->valuedouble != 2)) {
        snprintf(err, errlen, "schema: missing or not 1 or 2");
        return -1;
    }
    r->schema = (int)schema->valuedouble;
    if (r->schema == 2 && parse_catalogue(r, err, errlen) != 0)
        return -1;
    seq = cJSON_GetObjectItemCaseSensitive(doc, "seq");
    if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 || seq->valuedouble > 9007199254740991.0 ||
        seq->valuedouble != (double)(int64_t)seq->valuedouble) {
        snprintf(err, errlen, "seq: missing or not a non-negative integer");
        return -1;
    }
    r->seq = (int64_t)seq->valuedouble;
    if (!(ts = need_string(doc, "time", "payload", err, errlen)))
        return -1;
    if (mamori_rfc3339_parse(ts, &r->time) != 0) {
        snprintf(err, errlen, "time: \"%.40s\" is not RFC 3339", ts);
        return -1;
    }
    r->policy_version = opt_string(doc, "policy_version");
    r->agent_version = opt_string(doc, "agent_version");
    r->checks = cJSON_GetObjectItemCaseSensitive(doc, "checks");
    r->events = cJSON_GetObjectItemCaseSensitive(doc, "events");
    if (parse_host(cJSON_GetObjectItemCaseSensitive(doc, "host"), r, err, errlen) != 0 ||
        parse_checks(r->checks, err, errlen) != 0 || parse_events(r->events, err, errlen) != 0)
        return -1;
    return 0;
}

int mamori_report_parse(const char *json, size_t len, struct mamori_report *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->doc = mamori_json_arena_parse(json, len, &out->arena);
    if (out->doc == NULL) {
        snprintf(err, errlen, "payload: not valid JSON");
        return -1;
    }
    if (parse_top(out, err, errlen) != 0) {
        mamori_report_free(out);
        return -1;
    }
    return 0;
}

void mamori_report_free(struct mamori_report *r)
{
    mamori_json_arena_free(r->arena, r->doc);
    memset(r, 0, sizeof(*r));
}

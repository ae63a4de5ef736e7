/* report.c -- report document and durable sequence counter; see report.h. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "catalogue.h"
#include "durable_file.h"
#include "event.h"

static int seq_path(const char *state_dir, char *path, size_t size)
{
    return snprintf(path, size, "%s/" MAMORI_SEQ_FILE, state_dir) < (int)size ? 0 : -1;
}

int mamori_seq_peek(const char *state_dir, uint64_t *seq, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (seq_path(state_dir, path, sizeof path) < 0) {
        snprintf(err, errlen, "%s: state directory path too long", state_dir);
        return -1;
    }
    char *text = mamori_read_file(path, 64, NULL);
    if (!text) {
        if (errno == ENOENT) {
            *seq = 0;
            return 0;
        }
        snprintf(err, errlen, "%s: cannot read sequence counter: %s", path, strerror(errno));
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int bad = errno != 0 || end == text || (*end != '\n' && *end != '\0') || text[0] == '-';
    free(text);
    if (bad) {
        snprintf(err, errlen, "%s: corrupt sequence counter (expected a decimal number)", path);
        return -1;
    }
    *seq = v;
    return 0;
}

int mamori_seq_next(const char *state_dir, uint64_t *seq, char *err, size_t errlen)
{
    uint64_t last = 0;
    if (mamori_seq_peek(state_dir, &last, err, errlen) < 0)
        return -1;
    if (last == UINT64_MAX) {
        snprintf(err, errlen, "%s: sequence counter exhausted", state_dir);
        return -1;
    }
    char path[PATH_MAX];
    char text[32];
    seq_path(state_dir, path, sizeof path);
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", last + 1);
    if (mamori_durable_write(path, text, (size_t)n, 0600, err, errlen) < 0)
        return -1;
    *seq = last + 1;
    return 0;
}

static cJSON *host_json(const struct mamori_report_host *host)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "id", host->id ? host->id : "");
    cJSON_AddStringToObject(h, "hostname", host->hostname ? host->hostname : "");
    cJSON_AddStringToObject(h, "segment", host->segment ? host->segment : "");
    cJSON_AddStringToObject(h, "department", host->department ? host->department : "");
    cJSON_AddStringToObject(h, "municipality", host->municipality ? host->municipality : "");
    return h;
}

/* Drop what the catalogue says (title, remediation, clause) and the detail
 * of a pass, which only restates the title beside the evidence. */
static void compact_checks(cJSON *checks)
{
    cJSON *c;
    cJSON_ArrayForEach(c, checks)
    {
        const char *verdict = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "verdict"));
        cJSON_DeleteItemFromObjectCaseSensitive(c, "title");
        cJSON_DeleteItemFromObjectCaseSensitive(c, "remediation");
        cJSON_DeleteItemFromObjectCaseSensitive(c, "clause");
        if (verdict != NULL && strcmp(verdict, "pass") == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(c, "detail");
    }
}

cJSON *mamori_report_build(const struct mamori_report_host *host, uint64_t seq, time_t when,
                           const char *policy_version, cJSON *checks, cJSON *events,
                           uint64_t dropped)
{
    char stamp[32];
    mamori_time_rfc3339(when, stamp, sizeof stamp);
    cJSON *r = cJSON_CreateObject();
    if (!r) {
        cJSON_Delete(checks);
        cJSON_Delete(events);
        return NULL;
    }
    cJSON_AddNumberToObject(r, "schema", MAMORI_REPORT_SCHEMA);
    cJSON_AddItemToObject(r, "host", host_json(host));
    /* JSON numbers are doubles in cJSON: exact up to 2^53, ample for seq. */
    cJSON_AddNumberToObject(r, "seq", (double)seq);
    cJSON_AddStringToObject(r, "time", stamp);
    cJSON_AddStringToObject(r, "policy_version", policy_version ? policy_version : "");
    cJSON_AddStringToObject(r, "agent_version", MAMORI_VERSION);
    cJSON_AddNumberToObject(r, "catalogue", MAMORI_CATALOGUE_VERSION);
    compact_checks(checks);
    cJSON_AddItemToObject(r, "checks", checks ? checks : cJSON_CreateArray());
    cJSON_AddItemToObject(r, "events", events ? events : cJSON_CreateArray());
    cJSON *spool = cJSON_AddObjectToObject(r, "spool");
    cJSON_AddNumberToObject(spool, "dropped", (double)dropped);
    return r;
}

/* ---- host identity ------------------------------------------------------ */

static int is_lower_hex(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    return strspn(s, "0123456789abcdef") == n;
}

int mamori_host_id(const char *root, const char *override, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    if (outlen < MAMORI_HOST_ID_LEN + 1) {
        snprintf(err, errlen, "host id buffer too small");
        return -1;
    }
    if (override) {
        if (!is_lower_hex(override, MAMORI_HOST_ID_LEN)) {
            snprintf(err, errlen, "host id override must be 1-64 lowercase hex digits");
            return -1;
        }
        snprintf(out, outlen, "%s", override);
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/etc/machine-id", root ? root : "");
    size_t len = 0;
    char *content = mamori_read_file(path, 4096, &len);
    if (!content) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    while (len > 0 && strchr(" \t\r\n", content[len - 1]))
        len--;
    if (len == 0) {
        free(content);
        snprintf(err, errlen, "%s: empty machine-id", path);
        return -1;
    }
    mamori_sha256_hex(content, len, out);
    free(content);
    return 0;
}

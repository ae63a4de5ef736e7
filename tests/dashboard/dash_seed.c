/* dash_seed.c -- put a known fleet into a running mamori-server, the real way.
 *
 *   dash_seed URL CA_FILE SECRET_FILE FLEET.json WORKDIR
 *
 * For every host of FLEET.json it does what a PC does: creates a device key,
 * enrols with the collector (transport/enroll.c, TLS 1.3, pinned CA), then
 * signs its reports (JWS EdDSA) and posts them over mutual TLS to
 * /v1/reports.  The collector therefore stores exactly what production
 * ingest stores, and the dashboard tests can assert exact counts.
 *
 * FLEET.json: {"hosts":[{"hostname","segment","department","reports":N,
 *   "checks":[{id, verdict, title, detail, remediation, clause, evidence}],
 *   "events":[{type, severity, summary, facts, ago}]}]}
 * N reports are sent an hour apart, the last one ten minutes ago, all with
 * the same checks (so a failing check has failed since the first one);
 * events go with the last report; "reports": 0 enrols only (a silent PC).
 * The host id is the SHA-256 of the hostname, so reruns are stable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "device_key.h"
#include "enroll.h"
#include "event.h"
#include "https_client.h"
#include "jws.h"

struct seed {
    const char *url, *ca, *workdir;
    char *secret;
    time_t now;
};

static const char *str(const cJSON *o, const char *name, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : fallback;
}

static void host_id_of(const char *hostname, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(hostname, strlen(hostname), md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int enrol(const struct seed *s, const cJSON *h, const char *id, const char *dir)
{
    char err[512];
    struct mamori_enroll_params p = {
        .server_url = s->url,
        .secret = s->secret,
        .state_dir = dir,
        .ca_file = s->ca,
        .host_id = id,
        .hostname = str(h, "hostname", ""),
        .segment = str(h, "segment", ""),
        .department = str(h, "department", ""),
        .municipality = "テスト市",
    };
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return -1;
    }
    if (mamori_enroll(&p, err, sizeof(err)) != 0) {
        fprintf(stderr, "dash_seed: enrol %s: %s\n", p.hostname, err);
        return -1;
    }
    return 0;
}

static cJSON *events_at(const cJSON *events, time_t now)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        cJSON *copy = cJSON_Duplicate(e, 1);
        const cJSON *ago = cJSON_GetObjectItemCaseSensitive(e, "ago");
        char when[32];
        mamori_time_rfc3339(now - (cJSON_IsNumber(ago) ? (time_t)ago->valuedouble : 0), when,
                            sizeof(when));
        cJSON_DeleteItemFromObject(copy, "ago");
        cJSON_AddStringToObject(copy, "time", when);
        cJSON_AddItemToArray(out, copy);
    }
    return out;
}

static char *payload(const cJSON *h, const char *id, long seq, time_t when, int last)
{
    cJSON *doc = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(doc, "host");
    char t[32], *text;
    mamori_time_rfc3339(when, t, sizeof(t));
    cJSON_AddNumberToObject(doc, "schema", 1);
    cJSON_AddStringToObject(host, "id", id);
    cJSON_AddStringToObject(host, "hostname", str(h, "hostname", ""));
    cJSON_AddStringToObject(host, "segment", str(h, "segment", ""));
    cJSON_AddStringToObject(host, "department", str(h, "department", ""));
    cJSON_AddStringToObject(host, "municipality", "テスト市");
    cJSON_AddNumberToObject(doc, "seq", (double)seq);
    cJSON_AddStringToObject(doc, "time", t);
    cJSON_AddStringToObject(doc, "policy_version", "test-1");
    cJSON_AddStringToObject(doc, "agent_version", "dash_seed");
    cJSON_AddItemToObject(doc, "checks",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(h, "checks"), 1));
    cJSON_AddItemToObject(doc, "events",
                          last ? events_at(cJSON_GetObjectItemCaseSensitive(h, "events"), when)
                               : cJSON_CreateArray());
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(doc, "spool"), "dropped", 0);
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static int post(const struct seed *s, const char *dir, const char *jws)
{
    char cert[512], key[512], url[512], err[512];
    struct mamori_https_config cfg = {.ca_file = s->ca, .cert_file = cert, .key_file = key};
    struct mamori_https_response resp = {0};
    int ok;
    snprintf(cert, sizeof(cert), "%s/" MAMORI_DEVICE_CERT_FILE, dir);
    snprintf(key, sizeof(key), "%s/" MAMORI_DEVICE_KEY_FILE, dir);
    snprintf(url, sizeof(url), "%s/v1/reports", s->url);
    if (mamori_https_post(&cfg, url, "application/jose", jws, strlen(jws), &resp, err,
                          sizeof(err)) != 0) {
        fprintf(stderr, "dash_seed: post: %s\n", err);
        return -1;
    }
    ok = resp.status == 200 && resp.body && strstr(resp.body, "\"accepted\"") != NULL;
    if (!ok)
        fprintf(stderr, "dash_seed: report refused: %ld %s\n", resp.status,
                resp.body ? resp.body : "");
    mamori_https_response_free(&resp);
    return ok ? 0 : -1;
}

static int send_reports(const struct seed *s, const cJSON *h, const char *id, const char *dir)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "reports");
    int count = cJSON_IsNumber(n) ? n->valueint : 1;
    char err[256], keypath[512];
    EVP_PKEY *key;
    int rc = 0;

    snprintf(keypath, sizeof(keypath), "%s/" MAMORI_DEVICE_KEY_FILE, dir);
    key = mamori_pem_load_private(keypath, err, sizeof(err));
    if (key == NULL) {
        fprintf(stderr, "dash_seed: %s\n", err);
        return -1;
    }
    for (int i = 0; i < count && rc == 0; i++) {
        time_t when = s->now - 600 - (time_t)(count - 1 - i) * 3600;
        char *text = payload(h, id, i + 1, when, i == count - 1), *jws = NULL;
        rc = mamori_jws_sign(key, text, strlen(text), &jws) == 0 ? post(s, dir, jws) : -1;
        free(text);
        free(jws);
    }
    EVP_PKEY_free(key);
    return rc;
}

static int seed_host(const struct seed *s, const cJSON *h, int index)
{
    char id[65], dir[600];
    host_id_of(str(h, "hostname", ""), id);
    snprintf(dir, sizeof(dir), "%s/pc%02d", s->workdir, index);
    if (enrol(s, h, id, dir) != 0)
        return -1;
    return send_reports(s, h, id, dir);
}

static cJSON *load(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long len;
    cJSON *doc = NULL;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        if (f)
            fclose(f);
        return NULL;
    }
    buf = malloc((size_t)len + 1);
    if (buf != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len)
        doc = cJSON_ParseWithLength(buf, (size_t)len);
    free(buf);
    fclose(f);
    if (doc == NULL)
        fprintf(stderr, "dash_seed: %s: not JSON\n", path);
    return doc;
}

int main(int argc, char **argv)
{
    struct seed s = {0};
    char err[256];
    cJSON *fleet;
    const cJSON *h;
    int index = 0, rc = 0;

    if (argc != 6) {
        fprintf(stderr, "usage: dash_seed URL CA_FILE SECRET_FILE FLEET.json WORKDIR\n");
        return 2;
    }
    s.url = argv[1];
    s.ca = argv[2];
    s.workdir = argv[5];
    s.now = time(NULL);
    if (mkdir(s.workdir, 0700) != 0 && errno != EEXIST) {
        perror(s.workdir);
        return 1;
    }
    s.secret = mamori_enroll_read_secret(argv[3], err, sizeof(err));
    fleet = load(argv[4]);
    if (s.secret == NULL || fleet == NULL) {
        if (s.secret == NULL)
            fprintf(stderr, "dash_seed: %s\n", err);
        cJSON_Delete(fleet);
        free(s.secret);
        return 1;
    }
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(fleet, "hosts"))
    {
        if (rc == 0)
            rc = seed_host(&s, h, index++);
    }
    printf("dash_seed: %d hosts %s\n", index, rc == 0 ? "seeded" : "FAILED");
    cJSON_Delete(fleet);
    free(s.secret);
    return rc == 0 ? 0 : 1;
}

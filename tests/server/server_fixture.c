/* server_fixture.c -- see server_fixture.h. */
#include "server_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "device_key.h"
#include "init.h"
#include "json_arena.h"
#include "jws.h"
#include "report_doc.h"

static void *serve_thread(void *arg)
{
    mamori_server_run(arg, 0);
    return NULL;
}

/* PostgreSQL mode: every test starts from an empty schema. */
static void reset_pg(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    PGresult *r;
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "postgresql: %s", PQerrorMessage(c));
    r = PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE;"
                  " CREATE SCHEMA public");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

void tsrv_start(struct tsrv *t)
{
    tsrv_start_with(t, NULL, NULL);
}

void tsrv_start_with(struct tsrv *t, void (*tweak)(struct mamori_server_config *c, void *arg),
                     void *arg)
{
    static const char *const names[] = {"localhost", "127.0.0.1"};
    const char *dsn = getenv("MAMORI_TEST_PG_DSN");
    struct mamori_init_options o = {.names = names, .nnames = 2};
    char err[512], conf[300];
    FILE *devnull = fopen("/dev/null", "w");

    mamori_json_arena_install(); /* as mamori-server's main does, before threads */
    snprintf(t->dir, sizeof(t->dir), "/tmp/mamori-srv-XXXXXX");
    cr_assert_not_null(mkdtemp(t->dir));
    if (dsn != NULL) {
        reset_pg(dsn);
        o.db = "postgresql";
        o.dsn = dsn;
    }
    o.dir = t->dir;
    cr_assert_eq(mamori_server_init(&o, devnull, err, sizeof(err)), 0, "init: %s", err);
    fclose(devnull);
    snprintf(conf, sizeof(conf), "%s/server.conf", t->dir);
    cr_assert_eq(mamori_server_open(&t->srv, conf, 1, err, sizeof(err)), 0, "open: %s", err);
    snprintf(t->srv.cfg.listen_addr, sizeof(t->srv.cfg.listen_addr), "127.0.0.1");
    t->srv.cfg.listen_port = 0;
    t->srv.cfg.batch_reports = 1;
    if (tweak != NULL)
        tweak(&t->srv.cfg, arg);
    cr_assert_eq(mamori_server_listen(&t->srv, err, sizeof(err)), 0, "listen: %s", err);
    snprintf(t->url, sizeof(t->url), "https://localhost:%d", t->srv.port);
    cr_assert_eq(pthread_create(&t->thread, NULL, serve_thread, &t->srv), 0);
}

void tsrv_stop(struct tsrv *t)
{
    char cmd[300];
    mamori_server_stop(&t->srv);
    pthread_join(t->thread, NULL);
    mamori_server_close(&t->srv);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
    cr_assert_eq(system(cmd), 0);
}

void thost_new(struct thost *h, const char *hostname)
{
    unsigned char raw[32];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    memset(h, 0, sizeof(*h));
    cr_assert(RAND_bytes(raw, sizeof(raw)) == 1);
    for (int i = 0; i < 32; i++)
        snprintf(h->id + 2 * i, 3, "%02x", raw[i]);
    snprintf(h->hostname, sizeof(h->hostname), "%s", hostname);
    cr_assert(EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_keygen(ctx, &h->key) > 0);
    EVP_PKEY_CTX_free(ctx);
}

void thost_free(struct thost *h)
{
    EVP_PKEY_free(h->key);
    if (h->key_file[0])
        unlink(h->key_file);
    if (h->cert_file[0])
        unlink(h->cert_file);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct tresp *r = arg;
    size_t used = strlen(r->body), room = sizeof(r->body) - 1 - used;
    size_t take = size * n < room ? size * n : room;
    memcpy(r->body + used, data, take);
    r->body[used + take] = '\0';
    return size * n;
}

static struct tresp perform(struct tsrv *t, const struct thost *h, const char *path,
                            struct curl_slist *headers, const char *body, size_t len)
{
    struct tresp r = {0};
    char url[512], ca[300];
    CURL *c = curl_easy_init();
    snprintf(url, sizeof(url), "%s%s", t->url, path);
    snprintf(ca, sizeof(ca), "%s/ca.pem", t->dir);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (h != NULL && h->cert_file[0]) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, h->key_file);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    return r;
}

struct tresp tsrv_post(struct tsrv *t, const struct thost *h, const char *path, const char *ctype,
                       const char *body, size_t len)
{
    char hdr[128];
    struct curl_slist *headers;
    struct tresp r;
    snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
    headers = curl_slist_append(NULL, hdr);
    r = perform(t, h, path, headers, body, len);
    curl_slist_free_all(headers);
    return r;
}

struct tresp tsrv_get(struct tsrv *t, const char *path, const char *bearer)
{
    struct curl_slist *headers = NULL;
    struct tresp r;
    if (bearer != NULL) {
        char hdr[600];
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(NULL, hdr);
    }
    r = perform(t, NULL, path, headers, NULL, 0);
    curl_slist_free_all(headers);
    return r;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

struct tresp tsrv_enroll(struct tsrv *t, struct thost *h, const char *secret)
{
    cJSON *req = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(req, "host"), *resp;
    char *csr = mamori_csr_create_pem(h->key, h->id), *body;
    struct tresp r;
    FILE *f;

    cJSON_AddStringToObject(req, "secret", secret ? secret : t->srv.secret);
    cJSON_AddStringToObject(req, "csr", csr);
    cJSON_AddStringToObject(host, "id", h->id);
    cJSON_AddStringToObject(host, "hostname", h->hostname);
    cJSON_AddStringToObject(host, "segment", "lgwan");
    cJSON_AddStringToObject(host, "department", "総務課");
    body = cJSON_PrintUnformatted(req);
    r = tsrv_post(t, NULL, "/v1/enroll", "application/json", body, strlen(body));
    free(body);
    free(csr);
    cJSON_Delete(req);
    if (r.status != 200)
        return r;
    resp = cJSON_Parse(r.body);
    cr_assert_not_null(resp);
    snprintf(h->cert_file, sizeof(h->cert_file), "%s/%s.pem", t->dir, h->hostname);
    snprintf(h->key_file, sizeof(h->key_file), "%s/%s.key", t->dir, h->hostname);
    write_text(h->cert_file, cJSON_GetObjectItem(resp, "certificate")->valuestring);
    f = fopen(h->key_file, "w");
    cr_assert(PEM_write_PrivateKey(f, h->key, NULL, NULL, 0, NULL, NULL) == 1);
    fclose(f);
    cJSON_Delete(resp);
    return r;
}

char *treport_payload(const struct thost *h, long seq, long time_offset, const char *verdict)
{
    char when[32], *text;
    cJSON *doc = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(doc, "host");
    cJSON *checks = cJSON_AddArrayToObject(doc, "checks");
    cJSON *events = cJSON_AddArrayToObject(doc, "events"), *c, *e;

    mamori_rfc3339_format(time(NULL) + time_offset, when, sizeof(when));
    cJSON_AddNumberToObject(doc, "schema", 1);
    cJSON_AddStringToObject(host, "id", h->id);
    cJSON_AddStringToObject(host, "hostname", h->hostname);
    cJSON_AddStringToObject(host, "segment", "lgwan");
    cJSON_AddStringToObject(host, "department", "総務課");
    cJSON_AddNumberToObject(doc, "seq", (double)seq);
    cJSON_AddStringToObject(doc, "time", when);
    cJSON_AddStringToObject(doc, "policy_version", "p1");
    cJSON_AddStringToObject(doc, "agent_version", "test");
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", "usb.storage_blocked");
    cJSON_AddStringToObject(c, "verdict", verdict);
    cJSON_AddItemToArray(checks, c);
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", "av.resident");
    cJSON_AddStringToObject(c, "verdict", "pass");
    cJSON_AddItemToArray(checks, c);
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "usb.blocked");
    cJSON_AddStringToObject(e, "time", when);
    cJSON_AddStringToObject(e, "severity", "warning");
    cJSON_AddItemToObject(e, "facts", cJSON_CreateObject());
    cJSON_AddItemToArray(events, e);
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

char *treport_sign(const struct thost *h, EVP_PKEY *key, const char *payload)
{
    char *jws = NULL;
    cr_assert_eq(mamori_jws_sign(key ? key : h->key, payload, strlen(payload), &jws), 0);
    return jws;
}

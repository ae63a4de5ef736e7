/* relay.c -- relay forwarding, the upstream's /v1/relay/reports and bundles.
 *
 * The relay keeps every verified report in relay_queue (same transaction as
 * storing it) and a forwarder thread posts batches to the upstream with the
 * relay's client certificate; only the upstream's "acked" removes them, so a
 * link outage loses nothing.  The upstream admits relay batches only from a
 * client certificate it issued for a relay (CN "relay-..."), and trusts each
 * item on its own merits: certificate chain + JWS signature. */
#include "relay.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "http.h"
#include "https_client.h"
#include "ingest.h"
#include "jws.h"
#include "device_key.h"

#define RELAY_BATCH 200

static const char *member(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Does cert chain to our CA or to one of the trusted relay CAs? */
static int cert_trusted(struct mamori_server *s, X509 *cert)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = 0;
    if (store && ctx && X509_STORE_add_cert(store, s->ca.cert) == 1 &&
        (s->cfg.relay_ca_file[0] == '\0' ||
         X509_STORE_load_file(store, s->cfg.relay_ca_file) == 1) &&
        X509_STORE_CTX_init(ctx, store, cert, NULL) == 1)
        ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

static int cert_names_host(X509 *cert, const char *host_id)
{
    char cn[128];
    return X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) >
               0 &&
           strcmp(cn, host_id) == 0;
}

static void serial_hex(X509 *cert, char *out, size_t outlen)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(out, outlen, "%s", hex ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
}

/* Make the host known by this certificate's key (a new key replaces the old). */
static int adopt_host(struct mamori_server *s, const cJSON *host, X509 *cert, const char *pem)
{
    struct mamori_host_record h = {0}, known;
    const char *v;
    int rc;

    if (mamori_jwk_thumbprint(X509_get0_pubkey(cert), h.key_thumbprint, sizeof(h.key_thumbprint)) !=
        0)
        return -1;
    rc = s->store->ops->host_by_key(s->store, h.key_thumbprint, &known);
    if (rc == 0) {
        mamori_host_record_clear(&known);
        return 0;
    }
    if (rc < 0)
        return -1;
    snprintf(h.id, sizeof(h.id), "%s", member(host, "id"));
    snprintf(h.hostname, sizeof(h.hostname), "%s", (v = member(host, "hostname")) ? v : h.id);
    snprintf(h.segment, sizeof(h.segment), "%s", (v = member(host, "segment")) ? v : "");
    snprintf(h.department, sizeof(h.department), "%s", (v = member(host, "department")) ? v : "");
    snprintf(h.municipality, sizeof(h.municipality), "%s",
             (v = member(host, "municipality")) ? v : "");
    serial_hex(cert, h.cert_serial, sizeof(h.cert_serial));
    h.cert_pem = (char *)pem;
    h.enrolled = time(NULL);
    rc = s->store->ops->enroll(s->store, &h);
    /* A revoked key is not adopted: ingest answers "revoked" for it. */
    return rc == MAMORI_STORE_KEY_REVOKED ? 0 : rc;
}

static int item_error(const char *code, cJSON **resp)
{
    *resp = cJSON_CreateObject();
    cJSON_AddStringToObject(*resp, "error", code);
    return 400;
}

/* Everything but storage for one item: 0 with *job, or a status and *resp. */
static int prepare_item(struct mamori_server *s, const cJSON *item, struct mamori_ingest_job **job,
                        cJSON **resp)
{
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(item, "host");
    const char *id = member(host, "id"), *pem = member(host, "certificate");
    const char *jws = member(item, "jws");
    struct mamori_jws_verifier *v;
    X509 *cert;
    int status;

    *job = NULL;
    if (!mamori_host_id_valid(id) || pem == NULL || jws == NULL)
        return item_error("malformed", resp);
    cert = mamori_cert_from_pem(pem, strlen(pem));
    if (cert == NULL || !cert_trusted(s, cert) || !cert_names_host(cert, id)) {
        X509_free(cert);
        *resp = cJSON_CreateObject();
        cJSON_AddStringToObject(*resp, "error", "untrusted_certificate");
        return 403;
    }
    if (adopt_host(s, host, cert, pem) != 0) {
        X509_free(cert);
        return item_error("storage", resp);
    }
    v = mamori_jws_verifier_new(X509_get0_pubkey(cert));
    status =
        mamori_ingest_prepare(s, v, jws, strlen(jws), s->cfg.upstream_url[0] != '\0', job, resp);
    mamori_jws_verifier_free(v);
    X509_free(cert);
    return status;
}

void mamori_relay_accept_items(struct mamori_server *s, const cJSON *const *items, int n,
                               int *status, cJSON **resp)
{
    struct mamori_ingest_job **jobs = calloc((size_t)(n > 0 ? n : 1), sizeof(*jobs));
    struct mamori_ingest **in = calloc((size_t)(n > 0 ? n : 1), sizeof(*in));
    int stored = 0;

    for (int i = 0; i < n; i++) {
        resp[i] = NULL;
        status[i] = jobs && in ? prepare_item(s, items[i], &jobs[i], &resp[i])
                               : item_error("storage", &resp[i]) + 103; /* 503 */
        if (jobs && in && jobs[i] != NULL)
            in[stored++] = &jobs[i]->in;
    }
    if (stored > 0)
        s->store->ops->ingest(s->store, in, stored); /* one group commit */
    for (int i = 0; jobs && i < n; i++) {
        if (jobs[i] == NULL)
            continue;
        status[i] = mamori_ingest_answer(s, jobs[i], &resp[i]);
        mamori_ingest_job_free(jobs[i]);
    }
    free(jobs);
    free(in);
}

int mamori_relay_accept_item(struct mamori_server *s, const cJSON *item, cJSON **resp)
{
    int status;
    mamori_relay_accept_items(s, &item, 1, &status, resp);
    return status;
}

/* ---- upstream side ---- */

static int peer_is_relay(X509 *peer)
{
    char cn[128];
    return peer != NULL &&
           X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn)) >
               0 &&
           strncmp(cn, "relay-", 6) == 0;
}

/* The batch is stored as one group commit; "acked" counts the leading items
 * that need no retry (accepted, duplicate, or refused for good), and the
 * results after the first item that needs one are null (it is sent again,
 * with everything after it). */
static void handle_relay_reports(struct mamori_http_request *r)
{
    cJSON *batch, *results, *item, *out, **resps;
    const cJSON **items;
    int acked = 0, stop = 0, n = 0, *status;

    if (!peer_is_relay(r->peer)) {
        mamori_http_error(r, 403, "not_a_relay");
        return;
    }
    batch = cJSON_ParseWithLength(r->body, r->body_len);
    if (!cJSON_IsArray(cJSON_GetObjectItem(batch, "items"))) {
        cJSON_Delete(batch);
        mamori_http_error(r, 400, "malformed");
        return;
    }
    n = cJSON_GetArraySize(cJSON_GetObjectItem(batch, "items"));
    items = calloc((size_t)(n > 0 ? n : 1), sizeof(*items));
    resps = calloc((size_t)(n > 0 ? n : 1), sizeof(*resps));
    status = calloc((size_t)(n > 0 ? n : 1), sizeof(*status));
    if (items == NULL || resps == NULL || status == NULL) {
        free(items);
        free(resps);
        free(status);
        cJSON_Delete(batch);
        mamori_http_error(r, 503, "memory");
        return;
    }
    n = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(batch, "items")) items[n++] = item;
    mamori_relay_accept_items(r->srv, items, n, status, resps);
    out = cJSON_CreateObject();
    results = cJSON_AddArrayToObject(out, "results");
    for (int i = 0; i < n; i++) {
        if (!stop && status[i] < 500)
            acked++;
        else
            stop = 1;
        if (stop) {
            cJSON_Delete(resps[i]);
            resps[i] = NULL;
        }
        cJSON_AddItemToArray(results, resps[i] ? resps[i] : cJSON_CreateNull());
    }
    cJSON_AddNumberToObject(out, "acked", acked);
    free(items);
    free(resps);
    free(status);
    cJSON_Delete(batch);
    mamori_http_json(r, 200, out);
}

const struct mamori_route mamori_relay_routes[] = {
    {EVHTTP_REQ_POST, "/v1/relay/reports", 0, MAMORI_AUTH_NONE, handle_relay_reports},
    {0, NULL, 0, 0, NULL},
};

/* ---- relay side ---- */

static cJSON *host_item(const struct mamori_host_record *h, const char *jws)
{
    cJSON *item = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(item, "host");
    cJSON_AddStringToObject(host, "id", h->id);
    cJSON_AddStringToObject(host, "hostname", h->hostname);
    cJSON_AddStringToObject(host, "segment", h->segment);
    cJSON_AddStringToObject(host, "department", h->department);
    cJSON_AddStringToObject(host, "municipality", h->municipality);
    cJSON_AddStringToObject(host, "certificate", h->cert_pem ? h->cert_pem : "");
    cJSON_AddStringToObject(item, "jws", jws);
    return item;
}

/* Build the batch body from queue rows; *last_id is the id of each row. */
static char *batch_body(struct mamori_server *s, const cJSON *pending, int64_t *ids, int *n)
{
    cJSON *doc = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(doc, "items");
    const cJSON *row;
    char *text;
    *n = 0;
    cJSON_ArrayForEach(row, pending)
    {
        struct mamori_host_record h;
        if (s->store->ops->host_by_name(s->store, member(row, "host_id"), &h) != 0)
            continue;
        cJSON_AddItemToArray(items, host_item(&h, member(row, "jws")));
        ids[(*n)++] = (int64_t)cJSON_GetObjectItem(row, "id")->valuedouble;
        mamori_host_record_clear(&h);
    }
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static int post_batch(struct mamori_server *s, const char *body, int *acked, char *err,
                      size_t errlen)
{
    struct mamori_https_config cfg = {.ca_file = s->cfg.upstream_ca,
                                      .cert_file = s->cfg.upstream_cert,
                                      .key_file = s->cfg.upstream_key,
                                      .max_response = 4 << 20};
    struct mamori_https_response resp = {0};
    char url[600];
    cJSON *doc;
    int rc = -1;

    snprintf(url, sizeof(url), "%s/v1/relay/reports", s->cfg.upstream_url);
    if (mamori_https_post(&cfg, url, "application/json", body, strlen(body), &resp, err, errlen) !=
        0)
        return -1;
    doc = resp.status == 200 ? cJSON_ParseWithLength(resp.body, resp.len) : NULL;
    if (cJSON_IsNumber(cJSON_GetObjectItem(doc, "acked"))) {
        *acked = cJSON_GetObjectItem(doc, "acked")->valueint;
        rc = 0;
    } else {
        snprintf(err, errlen, "upstream answered HTTP %ld", resp.status);
    }
    cJSON_Delete(doc);
    mamori_https_response_free(&resp);
    return rc;
}

long mamori_relay_flush(struct mamori_server *s, char *err, size_t errlen)
{
    long forwarded = 0;
    int64_t ids[RELAY_BATCH];

    for (;;) {
        cJSON *pending = s->store->ops->relay_pending(s->store, RELAY_BATCH);
        int n = 0, acked = 0;
        char *body;
        if (pending == NULL)
            return -1;
        if (cJSON_GetArraySize(pending) == 0) {
            cJSON_Delete(pending);
            return forwarded;
        }
        body = batch_body(s, pending, ids, &n);
        cJSON_Delete(pending);
        if (n == 0 || post_batch(s, body, &acked, err, errlen) != 0) {
            free(body);
            return n == 0 ? forwarded : -1;
        }
        free(body);
        if (acked <= 0 || acked > n)
            return forwarded;
        if (s->store->ops->relay_ack(s->store, ids[acked - 1]) != 0)
            return -1;
        forwarded += acked;
        if (acked < n)
            return forwarded;
    }
}

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stop;
} forwarder = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *forwarder_main(void *arg)
{
    struct mamori_server *s = arg;
    char err[256];
    pthread_mutex_lock(&forwarder.lock);
    while (!forwarder.stop) {
        struct timespec until;
        pthread_mutex_unlock(&forwarder.lock);
        if (mamori_relay_flush(s, err, sizeof(err)) < 0)
            fprintf(stderr, "mamori-server: relay: %s (will retry)\n", err);
        pthread_mutex_lock(&forwarder.lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)s->cfg.relay_interval_ms % 1000 * 1000000L;
        until.tv_sec += s->cfg.relay_interval_ms / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (!forwarder.stop)
            pthread_cond_timedwait(&forwarder.wake, &forwarder.lock, &until);
    }
    pthread_mutex_unlock(&forwarder.lock);
    return NULL;
}

int mamori_relay_start(struct mamori_server *s)
{
    if (s->cfg.upstream_url[0] == '\0')
        return 0;
    forwarder.stop = 0;
    if (pthread_create(&forwarder.thread, NULL, forwarder_main, s) != 0)
        return -1;
    forwarder.running = 1;
    return 0;
}

void mamori_relay_stop(struct mamori_server *s)
{
    (void)s;
    if (!forwarder.running)
        return;
    pthread_mutex_lock(&forwarder.lock);
    forwarder.stop = 1;
    pthread_cond_signal(&forwarder.wake);
    pthread_mutex_unlock(&forwarder.lock);
    pthread_join(forwarder.thread, NULL);
    forwarder.running = 0;
}

/* ---- offline bundle ---- */

static int export_line(void *arg, const struct mamori_host_record *h, const char *jws)
{
    cJSON *item = host_item(h, jws);
    char *text = cJSON_PrintUnformatted(item);
    int rc = text && fprintf(arg, "%s\n", text) > 0 ? 0 : -1;
    cJSON_free(text);
    cJSON_Delete(item);
    return rc;
}

int mamori_bundle_export(struct mamori_server *s, time_t since, FILE *out)
{
    return s->store->ops->each_report(s->store, since, export_line, out);
}

struct import_tally {
    long lineno, accepted, duplicate, rejected;
};

/* Store one chunk of bundle lines as one group commit and count them. */
static void import_chunk(struct mamori_server *s, cJSON **items, int n, long first_line,
                         struct import_tally *t, FILE *log)
{
    const cJSON *ok[256] = {NULL};
    int status[256], map[256], m = 0;
    cJSON *resp[256];

    for (int i = 0; i < n; i++)
        if (items[i] != NULL) {
            map[m] = i;
            ok[m++] = items[i];
        }
    mamori_relay_accept_items(s, ok, m, status, resp);
    for (int i = 0, j = 0; i < n; i++) {
        int st = 400;
        cJSON *r = NULL;
        if (j < m && map[j] == i) {
            st = status[j];
            r = resp[j++];
        }
        if (st == 200 && member(r, "status") && strcmp(member(r, "status"), "duplicate") == 0)
            t->duplicate++;
        else if (st == 200)
            t->accepted++;
        else {
            t->rejected++;
            fprintf(log, "line %ld: rejected (%s)\n", first_line + i,
                    member(r, "error") ? member(r, "error") : "not JSON");
        }
        cJSON_Delete(r);
        cJSON_Delete(items[i]);
        items[i] = NULL;
    }
}

int mamori_bundle_import(struct mamori_server *s, FILE *in, FILE *log)
{
    char *line = NULL;
    size_t cap = 0;
    cJSON *items[256];
    int n = 0,
        chunk = s->cfg.batch_reports > 0 && s->cfg.batch_reports < 256 ? s->cfg.batch_reports : 256;
    struct import_tally t = {0};

    while (getline(&line, &cap, in) > 0) {
        items[n++] = cJSON_Parse(line);
        t.lineno++;
        if (n == chunk) {
            import_chunk(s, items, n, t.lineno - n + 1, &t, log);
            n = 0;
        }
    }
    if (n > 0)
        import_chunk(s, items, n, t.lineno - n + 1, &t, log);
    free(line);
    fprintf(log, "bundle: %ld accepted, %ld duplicate, %ld rejected\n", t.accepted, t.duplicate,
            t.rejected);
    return t.rejected == 0 ? 0 : -1;
}

int mamori_relay_issue_cert(struct mamori_server *s, const char *name, const char *key_path,
                            const char *cert_path, char *err, size_t errlen)
{
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *key = NULL, *pub = NULL;
    char cn[128], serial[48], *csr = NULL, *pem = NULL;
    int rc = -1, fd;
    FILE *f;

    snprintf(cn, sizeof(cn), "relay-%s", name);
    if (kctx == NULL || EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_keygen(kctx, &key) <= 0 ||
        (csr = mamori_csr_create_pem(key, cn)) == NULL ||
        mamori_ca_sign_csr(&s->ca, csr, strlen(csr), cn, &pem, serial, &pub, err, errlen) != 0)
        goto out;
    fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1) {
        snprintf(err, errlen, "cannot write %s", key_path);
        if (f)
            fclose(f);
        goto out;
    }
    fclose(f);
    f = fopen(cert_path, "w");
    if (f == NULL || fputs(pem, f) < 0) {
        snprintf(err, errlen, "cannot write %s", cert_path);
        if (f)
            fclose(f);
        goto out;
    }
    rc = fclose(f) == 0 ? 0 : -1;
out:
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(key);
    EVP_PKEY_free(pub);
    free(csr);
    free(pem);
    return rc;
}

/* ingest_stages.c -- CPU cost of each ingest stage, in process, beside a bare
 * Ed25519 verify of the same bytes, by OpenSSL (the library of the bound
 * run.sh prints) and by libsodium (what the collector verifies with).
 *
 * Without TLS, HTTP or a load generator, so the numbers hold still on a
 * busy machine: what one report costs the worker (mamori_ingest_prepare:
 * kid, signature, payload parse, time window, hash) next to the verify
 * alone, and what storing costs the writer per report for several group
 * sizes (store->ops->ingest on SQLite with synchronous=FULL, as served).
 * CPU time of this thread (RUSAGE_THREAD); the fsync wait is not CPU.
 *
 * usage: ingest_stages TEMPLATE.json DIR [HOSTS] [REPORTS_PER_HOST] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "base64url.h"
#include "ingest.h"
#include "json_arena.h"
#include "jws.h"
#include "server.h"
#include "store.h"

struct host {
    char id[65];
    EVP_PKEY *key;
    uint8_t raw_key[32]; /* libsodium's form, kept once as the collector's verifier does */
    struct mamori_jws_verifier *verifier;
};

static double thread_cpu_us(void)
{
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_usec;
}

static char *report_for(const cJSON *template, const struct host *h, int seq)
{
    cJSON *doc = cJSON_Duplicate(template, 1), *host = cJSON_GetObjectItem(doc, "host");
    char when[32], *text, *jws = NULL;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_ReplaceItemInObject(host, "id", cJSON_CreateString(h->id));
    cJSON_ReplaceItemInObject(doc, "seq", cJSON_CreateNumber(seq));
    cJSON_ReplaceItemInObject(doc, "time", cJSON_CreateString(when));
    text = cJSON_PrintUnformatted(doc);
    mamori_jws_sign(h->key, text, strlen(text), &jws);
    free(text);
    cJSON_Delete(doc);
    return jws;
}

static cJSON *read_json(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return cJSON_Parse(buf);
}

static void host_new(struct host *h, struct mamori_store *store, int i)
{
    struct mamori_host_record rec = {0};
    EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY_keygen_init(k);
    EVP_PKEY_keygen(k, &h->key);
    EVP_PKEY_CTX_free(k);
    size_t raw_len = sizeof(h->raw_key);
    EVP_PKEY_get_raw_public_key(h->key, h->raw_key, &raw_len);
    snprintf(h->id, sizeof(h->id), "%064x", i + 1);
    h->verifier = mamori_jws_verifier_new(h->key);
    snprintf(rec.id, sizeof(rec.id), "%s", h->id);
    snprintf(rec.hostname, sizeof(rec.hostname), "bench-%04d", i);
    snprintf(rec.key_thumbprint, sizeof(rec.key_thumbprint), "%s",
             mamori_jws_verifier_kid(h->verifier));
    snprintf(rec.cert_serial, sizeof(rec.cert_serial), "%d", i);
    rec.enrolled = time(NULL);
    store->ops->enroll(store, &rec);
}

/* A bare verify of each report's signing input: the bound's unit of work,
 * by OpenSSL's EVP (as `openssl speed ed25519`) or by libsodium. */
static double bare_verify_us(struct host *hosts, char **jws, int hosts_n, int per, int sodium)
{
    double t0 = thread_cpu_us();
    for (int i = 0; i < hosts_n * per; i++) {
        const char *dot = strrchr(jws[i], '.');
        const unsigned char *msg = (const unsigned char *)jws[i];
        size_t len = (size_t)(dot - jws[i]);
        uint8_t sig[66];
        EVP_MD_CTX *md = sodium ? NULL : EVP_MD_CTX_new();
        int ok = mamori_b64url_decode(dot + 1, strlen(dot + 1), sig, sizeof(sig)) == 64;
        if (sodium)
            ok = ok && crypto_sign_verify_detached(sig, msg, len, hosts[i % hosts_n].raw_key) == 0;
        else
            ok = ok && EVP_DigestVerifyInit(md, NULL, NULL, NULL, hosts[i % hosts_n].key) == 1 &&
                 EVP_DigestVerify(md, sig, 64, msg, len) == 1;
        if (!ok)
            fprintf(stderr, "ingest_stages: report %d does not verify\n", i);
        EVP_MD_CTX_free(md);
    }
    return (thread_cpu_us() - t0) / (hosts_n * per);
}

int main(int argc, char **argv)
{
    static const int groups[] = {1, 16, 64, 256};
    struct mamori_server srv;
    cJSON *template;
    struct host *hosts;
    struct mamori_ingest_job **jobs;
    char **jws, db[600], err[256];
    int hosts_n, per, total, done = 0;
    double t0, prepare_us, verify_us, sodium_us;

    mamori_json_arena_install(); /* as mamori-server does */
    if (sodium_init() < 0)
        return 1;
    if (argc < 3 || (template = read_json(argv[1])) == NULL) {
        fprintf(stderr, "usage: ingest_stages TEMPLATE.json DIR [HOSTS] [REPORTS_PER_HOST]\n");
        return 2;
    }
    hosts_n = argc > 3 ? atoi(argv[3]) : 64;
    per = argc > 4 ? atoi(argv[4]) : 40;
    total = hosts_n * per;
    memset(&srv, 0, sizeof(srv));
    mamori_server_config_defaults(&srv.cfg, argv[2]);
    snprintf(db, sizeof(db), "%s/stages.db", argv[2]);
    if ((srv.store = mamori_store_sqlite_open(db, err, sizeof(err))) == NULL) {
        fprintf(stderr, "ingest_stages: %s\n", err);
        return 1;
    }
    hosts = calloc((size_t)hosts_n, sizeof(*hosts));
    jws = calloc((size_t)total, sizeof(*jws));
    jobs = calloc((size_t)total, sizeof(*jobs));
    for (int i = 0; i < hosts_n; i++)
        host_new(&hosts[i], srv.store, i);
    /* Report k of host h at index k * hosts_n + h: every group mixes hosts. */
    for (int k = 0; k < per; k++)
        for (int h = 0; h < hosts_n; h++)
            jws[k * hosts_n + h] = report_for(template, &hosts[h], k + 1);

    verify_us = bare_verify_us(hosts, jws, hosts_n, per, 0);
    sodium_us = bare_verify_us(hosts, jws, hosts_n, per, 1);
    t0 = thread_cpu_us();
    for (int i = 0; i < total; i++) {
        cJSON *resp = NULL;
        if (mamori_ingest_prepare(&srv, hosts[i % hosts_n].verifier, jws[i], strlen(jws[i]), 0,
                                  &jobs[i], &resp) != 0) {
            fprintf(stderr, "ingest_stages: report %d refused: %s\n", i,
                    cJSON_PrintUnformatted(resp));
            return 1;
        }
    }
    prepare_us = (thread_cpu_us() - t0) / total;
    printf("report: %zu bytes signed\n", strlen(jws[0]));
    printf(
        "bare Ed25519 verify of one report: OpenSSL %.1f us, libsodium %.1f us (the collector's)\n",
        verify_us, sodium_us);
    printf("worker, per report: whole prepare (kid, verify, parse, window, hash) %.1f us "
           "(%.1f us beyond libsodium's verify)\n",
           prepare_us, prepare_us - sodium_us);
    printf("writer, per report (SQLite, synchronous=FULL; fsync waits are not CPU):");
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        int n = total / 4 < groups[g] ? total / 4 : groups[g], count = 0;
        struct mamori_ingest **in = calloc((size_t)n, sizeof(*in));
        t0 = thread_cpu_us();
        for (int stop = done + total / 4; done + n <= stop; done += n, count += n) {
            for (int j = 0; j < n; j++)
                in[j] = &jobs[done + j]->in;
            srv.store->ops->ingest(srv.store, in, n);
        }
        printf("  groups of %d: %.1f us", n, count ? (thread_cpu_us() - t0) / count : 0.0);
        free(in);
    }
    printf("\n");
    for (int i = 0; i < total; i++) {
        mamori_ingest_job_free(jobs[i]);
        free(jws[i]);
    }
    for (int i = 0; i < hosts_n; i++) {
        mamori_jws_verifier_free(hosts[i].verifier);
        EVP_PKEY_free(hosts[i].key);
    }
    srv.store->ops->close(srv.store);
    cJSON_Delete(template);
    free(hosts);
    free(jws);
    free(jobs);
    return 0;
}

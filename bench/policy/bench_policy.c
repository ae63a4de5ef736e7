/* bench_policy.c -- what central policy costs, beside baselines measured in
 * the same run (bench/policy/run.sh):
 *
 *   collector  the version named in a report acknowledgement (a cached host),
 *              beside the same acknowledgement when no group exists; one
 *              cold composition (group + a ledger of MEDIA media of the
 *              PC's 所属 + an exception) and its signature, per PC
 *   PC         checking the signed bundle with nettle (what the resident
 *              agent does), beside OpenSSL's verification of the same JWS,
 *              and parsing the policy it carries
 *
 * usage: bench_policy WORKDIR [HOSTS] [MEDIA] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base64url.h"
#include "bundle.h"
#include "bundle_sig.h"
#include "init.h"
#include "jws.h"
#include "ledger.h"
#include "policy_central.h"
#include "policy_store.h"
#include "server.h"

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_policy: %s: %s\n", what, why);
    exit(1);
}

static void open_collector(struct mamori_server *s, const char *dir)
{
    static const char *const names[] = {"localhost"};
    struct mamori_init_options o = {.dir = dir, .names = names, .nnames = 1};
    char err[512], conf[1024];
    FILE *quiet = fopen("/dev/null", "w");

    if (mamori_server_init(&o, quiet, err, sizeof(err)) != 0)
        die("init", err);
    fclose(quiet);
    snprintf(conf, sizeof(conf), "%s/server.conf", dir);
    if (mamori_server_open(s, conf, 0, err, sizeof(err)) != 0)
        die("open", err);
    s->cfg.policy_check_ms = 1000;
}

/* A ledger of n media of 市民課 (every tenth returned), as one CSV. */
static void import_ledger(struct mamori_server *s, int n)
{
    size_t cap = (size_t)n * 96 + 128, len;
    char *csv = malloc(cap);
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    len = (size_t)snprintf(csv, cap, "管理番号,所属,VID:PID,シリアル,有効期限,状態\n");
    for (int i = 0; i < n; i++)
        len +=
            (size_t)snprintf(csv + len, cap - len, "市民-USB-%04d,市民課,0781:5567,SN%08d,%s,%s\n",
                             i, i, "2099/03/31", i % 10 == 9 ? "返却済" : "貸出中");
    if (mamori_ledger_parse(csv, len, MAMORI_LEDGER_AUTO, &l, &err) != 0)
        die("ledger", err.message);
    if (mamori_pstore_ledger_replace(s->store, &l, "bench.csv", "0", "utf8", time(NULL)) != 0)
        die("ledger", "storage");
    mamori_ledger_free(&l);
    free(csv);
}

static void add_group_and_exception(struct mamori_server *s)
{
    struct mamori_policy_group g = {.updated = time(NULL)};
    struct mamori_policy_exception e = {.starts = 1, .until = 4000000000, .created = 1};
    char conflict[128];

    snprintf(g.name, sizeof(g.name), "lgwan-shimin");
    snprintf(g.segment, sizeof(g.segment), "lgwan");
    g.policy = "{\"segment\":\"lgwan\",\"screen_lock\":{\"max_idle_seconds\":600}}";
    if (mamori_pstore_group_set(s->store, &g, conflict, sizeof(conflict)) != 0)
        die("group", "storage");
    snprintf(e.scope, sizeof(e.scope), "group");
    snprintf(e.target, sizeof(e.target), "lgwan-shimin");
    snprintf(e.device, sizeof(e.device), "0951:1666");
    snprintf(e.approver, sizeof(e.approver), "情報政策課長");
    snprintf(e.reason, sizeof(e.reason), "研修");
    if (mamori_pstore_exception_add(s->store, &e) != 0)
        die("exception", "storage");
}

static void host_id(int i, char out[65])
{
    snprintf(out, 65, "%064x", i + 1);
}

/* Microseconds per acknowledgement of `hosts` hosts, `rounds` times each. */
static double ack_cost(struct mamori_server *s, int hosts, int rounds)
{
    double t0;
    char id[65];

    for (int i = 0; i < hosts; i++) { /* warm the cache: each host composed once */
        cJSON *ack = cJSON_CreateObject();

        host_id(i, id);
        mamori_policy_ack(s, id, "lgwan", "市民課", ack);
        cJSON_Delete(ack);
    }
    t0 = now_us();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < hosts; i++) {
            cJSON *ack = cJSON_CreateObject();

            host_id(i, id);
            cJSON_AddStringToObject(ack, "status", "accepted");
            mamori_policy_ack(s, id, "lgwan", "市民課", ack);
            cJSON_Delete(ack);
        }
    }
    return (now_us() - t0) / ((double)hosts * rounds);
}

static EVP_PKEY *pub_from_jwk(const char *jwk, uint8_t raw[32])
{
    char err[200];

    if (mamori_policy_key_parse(jwk, strlen(jwk), raw, err, sizeof(err)) != 0)
        die("jwk", err);
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
}

static void bench_pc(struct mamori_server *s, const char *jws, int runs)
{
    cJSON *reply = cJSON_CreateObject();
    char *jwk, *payload = NULL, err[300];
    uint8_t raw[32];
    EVP_PKEY *pub;
    size_t n = 0, len = strlen(jws);
    double t0, nettle, openssl, parse;
    struct mamori_policy *p;

    mamori_policy_enrol_reply(s, reply);
    jwk = cJSON_PrintUnformatted(cJSON_GetObjectItem(reply, "policy_key"));
    pub = pub_from_jwk(jwk, raw);
    t0 = now_us();
    for (int i = 0; i < runs; i++) {
        if (mamori_bundle_verify(jws, len, raw, &payload, &n, err, sizeof(err)) != 0)
            die("verify", err);
        free(payload);
    }
    nettle = (now_us() - t0) / runs;
    t0 = now_us();
    for (int i = 0; i < runs; i++) {
        if (mamori_jws_verify(jws, len, pub, &payload, &n, err, sizeof(err)) != 0)
            die("openssl verify", err);
        free(payload);
    }
    openssl = (now_us() - t0) / runs;
    mamori_bundle_verify(jws, len, raw, &payload, &n, err, sizeof(err));
    t0 = now_us();
    for (int i = 0; i < runs; i++) {
        if (mamori_bundle_parse(payload, n, &p, NULL, NULL) != 0)
            die("parse", "bundle");
        mamori_policy_free(p);
    }
    parse = (now_us() - t0) / runs;
    printf("PC: check the signed bundle (%zu bytes)  nettle   %8.1f us CPU\n", len, nettle);
    printf("baseline: the same JWS through OpenSSL          %8.1f us CPU\n", openssl);
    printf("PC: validate the policy it carries             %8.1f us CPU\n", parse);
    free(payload);
    free(jwk);
    cJSON_Delete(reply);
    EVP_PKEY_free(pub);
}

int main(int argc, char **argv)
{
    struct mamori_server with, without;
    struct mamori_composed_bundle b;
    char dir[1024], id[65], err[512], *jws = NULL;
    int hosts = argc > 2 ? atoi(argv[2]) : 2000, media = argc > 3 ? atoi(argv[3]) : 200;
    double t0, baseline, ours, cold;

    if (argc < 2)
        die("usage", "bench_policy WORKDIR [HOSTS] [MEDIA]");
    snprintf(dir, sizeof(dir), "%s/without", argv[1]);
    open_collector(&without, dir);
    snprintf(dir, sizeof(dir), "%s/with", argv[1]);
    open_collector(&with, dir);
    import_ledger(&with, media);
    add_group_and_exception(&with);

    baseline = ack_cost(&without, hosts, 20);
    ours = ack_cost(&with, hosts, 20);
    t0 = now_us();
    for (int i = 0; i < hosts; i++) {
        host_id(hosts + i, id);
        free(jws);
        if (mamori_policy_sign_for(&with, &(struct mamori_policy_host){id, "lgwan", "市民課"}, &b,
                                   &jws, err, sizeof(err)) != 0)
            die("sign", err);
        if (i + 1 < hosts)
            mamori_composed_bundle_clear(&b);
    }
    cold = (now_us() - t0) / hosts;
    printf("hosts %d, ledger %d media of the PC's 所属 (%d in use), 1 exception\n", hosts, media,
           media - media / 10);
    printf("collector: acknowledgement, central policy on   %8.2f us CPU (cached host)\n", ours);
    printf("baseline: acknowledgement, no policy group      %8.2f us CPU\n", baseline);
    printf("collector: compose + sign one PC's bundle       %8.1f us CPU (on a fetch, or once per "
           "change)\n",
           cold);
    bench_pc(&with, jws, 2000);
    mamori_composed_bundle_clear(&b);
    free(jws);
    mamori_server_close(&with);
    mamori_server_close(&without);
    return 0;
}

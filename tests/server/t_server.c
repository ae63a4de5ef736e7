/* t_server.c -- mamori-server over real TLS on loopback.
 *
 * Each test starts a collector (mamori_server_init + serve in a thread),
 * enrols hosts through POST /v1/enroll with a CSR, and posts reports signed
 * with the transport library, then checks the HTTP status, the stored state
 * and the metrics.  Run against SQLite by default and against PostgreSQL
 * by t_server_pg.sh (MAMORI_TEST_PG_DSN). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "metrics.h"
#include "server_fixture.h"

static struct tsrv t;

static void setup(void)
{
    tsrv_start(&t);
}

static void teardown(void)
{
    tsrv_stop(&t);
}

TestSuite(server, .init = setup, .fini = teardown);

static struct tresp post_report(const struct thost *h, const char *jws)
{
    return tsrv_post(&t, h, "/v1/reports", "application/jose", jws, strlen(jws));
}

static struct tresp send_seq(const struct thost *h, long seq, const char *verdict)
{
    char *payload = treport_payload(h, seq, 0, verdict);
    char *jws = treport_sign(h, NULL, payload);
    struct tresp r = post_report(h, jws);
    free(jws);
    free(payload);
    return r;
}

static void enrolled(struct thost *h, const char *name)
{
    struct tresp r;
    thost_new(h, name);
    r = tsrv_enroll(&t, h, NULL);
    cr_assert_eq(r.status, 200, "enroll: %ld %s", r.status, r.body);
}

Test(server, good_report_is_stored_then_duplicate_and_replay_rejected)
{
    struct thost h;
    struct mamori_host_record rec;
    struct tresp r;
    char *payload, *jws;

    enrolled(&h, "pc-001");
    payload = treport_payload(&h, 1, 0, "fail");
    jws = treport_sign(&h, NULL, payload);
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"status\":\"accepted\"") != NULL, "%s", r.body);
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"status\":\"duplicate\"") != NULL, "%s", r.body);
    free(jws);
    free(payload);
    /* Same seq, different content: a replay. */
    r = send_seq(&h, 1, "pass");
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert(strstr(r.body, "replay") != NULL);
    cr_assert_eq(send_seq(&h, 2, "pass").status, 200);
    cr_assert_eq(send_seq(&h, 1, "error").status, 409, "older seq must be refused");

    cr_assert_eq(t.srv.store->ops->host_by_name(t.srv.store, "pc-001", &rec), 0);
    cr_assert_eq(rec.last_seq, 2);
    mamori_host_record_clear(&rec);
    cr_assert_geq(mamori_metrics_ingest_count(MAMORI_OUT_ACCEPTED), 2);
    cr_assert_geq(mamori_metrics_ingest_count(MAMORI_OUT_REPLAY), 2);
    thost_free(&h);
}

Test(server, check_state_keeps_first_failed_time)
{
    struct thost h;
    cJSON *hosts, *checks, *c;
    char first_since[32] = "";

    enrolled(&h, "pc-since");
    cr_assert_eq(send_seq(&h, 1, "fail").status, 200);
    cr_assert_eq(send_seq(&h, 2, "fail").status, 200);
    hosts = t.srv.store->ops->hosts(t.srv.store);
    checks = cJSON_GetObjectItem(cJSON_GetArrayItem(hosts, 0), "checks");
    cJSON_ArrayForEach(c, checks)
    {
        if (strcmp(cJSON_GetObjectItem(c, "id")->valuestring, "usb.storage_blocked") == 0) {
            cr_assert_str_eq(cJSON_GetObjectItem(c, "verdict")->valuestring, "fail");
            snprintf(first_since, sizeof(first_since), "%s",
                     cJSON_GetObjectItem(c, "since")->valuestring);
        }
    }
    cr_assert_neq(first_since[0], '\0');
    cJSON_Delete(hosts);
    thost_free(&h);
}

Test(server, forged_signature_and_foreign_kid_rejected)
{
    struct thost h, other;
    char *payload, *jws;
    struct tresp r;
    size_t n;

    enrolled(&h, "pc-forge");
    thost_new(&other, "mallory");
    payload = treport_payload(&h, 1, 0, "pass");
    /* Signed by another key: its kid is not the enrolled key. */
    jws = treport_sign(&h, other.key, payload);
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 403, "%s", r.body);
    free(jws);
    /* Right kid, broken signature (last signature character changed). */
    jws = treport_sign(&h, NULL, payload);
    n = strlen(jws);
    jws[n - 2] = jws[n - 2] == 'A' ? 'B' : 'A';
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(r.body, "bad_signature") != NULL, "%s", r.body);
    cr_assert_geq(mamori_metrics_ingest_count(MAMORI_OUT_BAD_SIGNATURE), 1);
    cr_assert_geq(mamori_metrics_ingest_count(MAMORI_OUT_KID_MISMATCH), 1);
    free(jws);
    free(payload);
    thost_free(&other);
    thost_free(&h);
}

/* Same host, a new Ed25519 key; the old key and certificate stay in old. */
static void replace_key(struct thost *h, struct thost *old)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

    *old = *h;
    snprintf(old->cert_file, sizeof(old->cert_file), "%s/old-%s.pem", t.dir, h->hostname);
    snprintf(old->key_file, sizeof(old->key_file), "%s/old-%s.key", t.dir, h->hostname);
    cr_assert_eq(rename(h->cert_file, old->cert_file), 0);
    cr_assert_eq(rename(h->key_file, old->key_file), 0);
    EVP_PKEY_up_ref(old->key);
    EVP_PKEY_free(h->key);
    h->key = NULL;
    cr_assert(EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_keygen(ctx, &h->key) > 0);
    EVP_PKEY_CTX_free(ctx);
}

static long last_seq(const char *name)
{
    struct mamori_host_record rec;
    long seq;

    cr_assert_eq(t.srv.store->ops->host_by_name(t.srv.store, name, &rec), 0, "%s", name);
    seq = (long)rec.last_seq;
    mamori_host_record_clear(&rec);
    return seq;
}

Test(server, reenrolment_with_a_new_key_revokes_the_old_key_for_good)
{
    struct thost h, old;
    struct tresp r;

    enrolled(&h, "pc-re");
    replace_key(&h, &old);
    r = tsrv_enroll(&t, &h, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(send_seq(&h, 1, "pass").status, 200);
    /* The replaced key is revoked, not unknown: an agent must not enrol it
     * again (two PCs with one host id would take it from each other). */
    r = send_seq(&old, 2, "pass");
    cr_assert_eq(r.status, 403, "old key must be refused: %s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"revoked\"") != NULL, "%s", r.body);
    r = tsrv_enroll(&t, &old, NULL);
    cr_assert_eq(r.status, 403, "a replaced key cannot enrol again: %s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"revoked\"") != NULL, "%s", r.body);
    cr_assert_eq(send_seq(&h, 2, "pass").status, 200, "the new key still works");
    cr_assert_eq(mamori_metrics_ingest_count(MAMORI_OUT_REVOKED), 1);
    thost_free(&old);
    thost_free(&h);
}

Test(server, reenrolment_with_the_same_key_is_idempotent_and_keeps_seq)
{
    struct thost h;
    struct tresp r;
    char *payload, *second;

    enrolled(&h, "pc-same");
    cr_assert_eq(send_seq(&h, 1, "pass").status, 200);
    /* Kept to be sent again byte for byte: a payload built anew could carry
     * a later second, and then it is a replay, not a duplicate. */
    payload = treport_payload(&h, 2, 0, "pass");
    second = treport_sign(&h, NULL, payload);
    free(payload);
    cr_assert_eq(post_report(&h, second).status, 200);
    for (int i = 0; i < 2; i++) {
        r = tsrv_enroll(&t, &h, NULL);
        cr_assert_eq(r.status, 200, "enrolling again with the same key: %s", r.body);
    }
    cr_assert_eq(last_seq("pc-same"), 2, "seq survives re-enrolment");
    r = send_seq(&h, 3, "fail");
    cr_assert(r.status == 200 && strstr(r.body, "accepted"), "%s", r.body);
    r = post_report(&h, second);
    cr_assert(r.status == 200 && strstr(r.body, "duplicate"), "old seq stays a duplicate: %s",
              r.body);
    cr_assert_eq(send_seq(&h, 1, "error").status, 409, "and a changed old one a replay");
    free(second);
    thost_free(&h);
}

Test(server, removed_host_is_unknown_then_enrols_again_with_its_seq)
{
    struct thost h;
    struct tresp r;

    enrolled(&h, "pc-gone");
    cr_assert_eq(send_seq(&h, 1, "pass").status, 200);
    cr_assert_eq(send_seq(&h, 2, "pass").status, 200);
    cr_assert_eq(t.srv.store->ops->remove_host(t.srv.store, h.id), 0);
    cr_assert_eq(t.srv.store->ops->remove_host(t.srv.store, h.id), 1, "already gone");
    r = send_seq(&h, 3, "pass");
    cr_assert_eq(r.status, 401, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"unknown_node\"") != NULL, "%s", r.body);
    /* What the agent does then: enrol again with the same key and host id,
     * and send what waited, from seq 3 on. */
    r = tsrv_enroll(&t, &h, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    r = send_seq(&h, 3, "pass");
    cr_assert(r.status == 200 && strstr(r.body, "accepted"), "%s", r.body);
    cr_assert_eq(last_seq("pc-gone"), 3);
    thost_free(&h);
}

Test(server, revoked_host_is_refused_for_reports_and_enrolment)
{
    struct thost h, fresh;
    struct tresp r;

    enrolled(&h, "pc-out");
    cr_assert_eq(send_seq(&h, 1, "pass").status, 200);
    cr_assert_eq(t.srv.store->ops->revoke_host(t.srv.store, h.id, time(NULL)), 0);
    cr_assert_eq(t.srv.store->ops->revoke_host(t.srv.store, h.id, time(NULL)), 1, "already");
    r = send_seq(&h, 2, "pass");
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"revoked\"") != NULL, "%s", r.body);
    r = tsrv_enroll(&t, &h, NULL);
    cr_assert_eq(r.status, 403, "a revoked key cannot let itself back in: %s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"revoked\"") != NULL, "%s", r.body);
    /* Removing the host does not lift the revocation of its key. */
    cr_assert_eq(t.srv.store->ops->remove_host(t.srv.store, h.id), 0);
    cr_assert_eq(send_seq(&h, 2, "pass").status, 403);
    cr_assert_eq(tsrv_enroll(&t, &h, NULL).status, 403);
    /* The PC comes back only with a new key, which an operator makes. */
    replace_key(&h, &fresh);
    r = tsrv_enroll(&t, &h, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    thost_free(&fresh);
    thost_free(&h);
}

Test(server, a_key_enrolled_for_another_host_is_refused)
{
    struct thost h, twin;
    struct tresp r;

    enrolled(&h, "pc-key");
    thost_new(&twin, "pc-twin");
    EVP_PKEY_free(twin.key);
    twin.key = h.key;
    EVP_PKEY_up_ref(twin.key);
    r = tsrv_enroll(&t, &twin, NULL);
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert(strstr(r.body, "key_in_use") != NULL, "%s", r.body);
    thost_free(&twin);
    thost_free(&h);
}

Test(server, no_or_foreign_client_certificate_rejected)
{
    struct thost h, stranger;
    struct tsrv other;
    char *payload, *jws;
    struct tresp r;

    enrolled(&h, "pc-cert");
    payload = treport_payload(&h, 1, 0, "pass");
    jws = treport_sign(&h, NULL, payload);
    r = tsrv_post(&t, NULL, "/v1/reports", "application/jose", jws, strlen(jws));
    cr_assert_eq(r.status, 401, "no certificate: %s", r.body);
    /* A certificate from another collector's CA fails the TLS handshake. */
    memset(&other, 0, sizeof(other));
    tsrv_start(&other);
    thost_new(&stranger, "stranger");
    cr_assert_eq(tsrv_enroll(&other, &stranger, NULL).status, 200);
    r = post_report(&stranger, jws);
    cr_assert_eq(r.status, 0, "foreign certificate must not get an HTTP answer");
    tsrv_stop(&other);
    thost_free(&stranger);
    free(jws);
    free(payload);
    thost_free(&h);
}

Test(server, oversized_malformed_and_late_reports_rejected)
{
    struct thost h;
    struct tresp r;
    char *big = malloc(300 * 1024), *jws, *payload;

    enrolled(&h, "pc-bad");
    memset(big, 'A', 300 * 1024 - 1);
    big[300 * 1024 - 1] = '\0';
    r = post_report(&h, big);
    cr_assert_eq(r.status, 413, "%s", r.body);
    free(big);

    jws = treport_sign(&h, NULL, "{\"schema\":1,\"seq\":\"x\"}");
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 400, "%s", r.body);
    free(jws);
    jws = treport_sign(&h, NULL, "not json");
    cr_assert_eq(post_report(&h, jws).status, 400);
    free(jws);

    payload = treport_payload(&h, 1, -30L * 86400, "pass");
    jws = treport_sign(&h, NULL, payload);
    r = post_report(&h, jws);
    cr_assert_eq(r.status, 422, "%s", r.body);
    free(jws);
    free(payload);
    /* Spooled for a few days offline is still fine. */
    payload = treport_payload(&h, 2, -3L * 86400, "pass");
    jws = treport_sign(&h, NULL, payload);
    cr_assert_eq(post_report(&h, jws).status, 200);
    free(jws);
    free(payload);
    cr_assert_eq(tsrv_post(&t, &h, "/v1/reports", "text/plain", "x", 1).status, 415);
    thost_free(&h);
}

Test(server, enrolment_checks_secret_and_csr)
{
    struct thost h;
    struct tresp r;
    cJSON *bad;
    char *body;

    thost_new(&h, "pc-enrol");
    r = tsrv_enroll(&t, &h, "wrong-secret");
    cr_assert_eq(r.status, 403, "%s", r.body);
    bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "secret", t.srv.secret);
    cJSON_AddStringToObject(bad, "csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n");
    cJSON *host = cJSON_AddObjectToObject(bad, "host");
    cJSON_AddStringToObject(host, "id", h.id);
    cJSON_AddStringToObject(host, "hostname", "x");
    body = cJSON_PrintUnformatted(bad);
    r = tsrv_post(&t, NULL, "/v1/enroll", "application/json", body, strlen(body));
    cr_assert_eq(r.status, 400, "%s", r.body);
    free(body);
    cJSON_Delete(bad);
    thost_free(&h);
}

Test(server, metrics_and_query_api)
{
    struct thost h;
    struct tresp r;

    enrolled(&h, "pc-api");
    cr_assert_eq(send_seq(&h, 1, "fail").status, 200);
    r = tsrv_get(&t, "/metrics", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "mamori_ingest_total{result=\"accepted\"} 1") != NULL, "%s", r.body);
    cr_assert_eq(tsrv_get(&t, "/v1/fleet", NULL).status, 401);
    cr_assert_eq(tsrv_get(&t, "/v1/fleet", "wrong").status, 401);
    r = tsrv_get(&t, "/v1/fleet", t.srv.api_token);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"usb.storage_blocked\"") != NULL, "%s", r.body);
    cr_assert(strstr(r.body, "pc-api") != NULL, "failing host listed: %s", r.body);
    r = tsrv_get(&t, "/v1/hosts/pc-api", t.srv.api_token);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"history\"") != NULL);
    r = tsrv_get(&t, "/v1/events?type=usb.&host=pc-api", t.srv.api_token);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "usb.blocked") != NULL, "%s", r.body);
    r = tsrv_get(&t, "/v1/events?type=net.", t.srv.api_token);
    cr_assert_str_eq(r.body, "[]");
    cr_assert_eq(tsrv_get(&t, "/v1/hosts/nobody", t.srv.api_token).status, 404);
    thost_free(&h);
}

Test(server, csv_export_has_bom_crlf_and_neutralized_cells)
{
    struct thost h;
    cJSON *hosts;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    thost_new(&h, "=cmd|calc");
    cr_assert_eq(tsrv_enroll(&t, &h, NULL).status, 200);
    cr_assert_eq(send_seq(&h, 1, "fail").status, 200);
    hosts = t.srv.store->ops->hosts(t.srv.store);
    cr_assert_eq(mamori_export_csv(f, hosts), 0);
    fclose(f);
    cr_assert(len > 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0, "BOM");
    cr_assert(strstr(text, "host,hostname,department,segment,") == text + 3);
    cr_assert(strstr(text, "\r\n") != NULL);
    cr_assert(strstr(text, "\"'=cmd|calc\"") != NULL, "%s", text);
    cr_assert(strstr(text, "総務課") != NULL);
    cr_assert(strstr(text, ",fail,") != NULL);
    free(text);
    cJSON_Delete(hosts);
    thost_free(&h);
}

Test(server, silent_hosts_listed)
{
    struct thost h, quiet;
    cJSON *hosts, *sum;
    char *text;

    enrolled(&h, "pc-live");
    enrolled(&quiet, "pc-quiet");
    cr_assert_eq(send_seq(&h, 1, "pass").status, 200);
    hosts = t.srv.store->ops->hosts(t.srv.store);
    sum = mamori_fleet_summary(hosts, time(NULL), 3600);
    text = cJSON_PrintUnformatted(cJSON_GetObjectItem(sum, "silent"));
    cr_assert(strstr(text, "pc-quiet") != NULL, "%s", text);
    cr_assert(strstr(text, "pc-live") == NULL, "%s", text);
    free(text);
    cJSON_Delete(sum);
    /* Much later, the live host is silent too. */
    sum = mamori_fleet_summary(hosts, time(NULL) + 4 * 3600, 3 * 3600);
    text = cJSON_PrintUnformatted(cJSON_GetObjectItem(sum, "silent"));
    cr_assert(strstr(text, "pc-live") != NULL, "%s", text);
    free(text);
    cJSON_Delete(sum);
    cJSON_Delete(hosts);
    thost_free(&quiet);
    thost_free(&h);
}

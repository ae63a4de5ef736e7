/* t_relay.c -- relay chain and offline bundle, end to end over real TLS.
 *
 * A host enrols with a relay collector and reports there; the relay forwards
 * the same JWS to an upstream collector, which learns the host from the
 * certificate chain (relay CA, trusted by the upstream) and verifies the
 * signature itself.  The offline bundle carries the same items through a
 * file; a tampered line is refused. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "relay.h"
#include "server_fixture.h"

static struct tsrv up, relay;

struct relay_paths {
    char url[64], ca[300], cert[300], key[300];
};

static void as_relay(struct mamori_server_config *c, void *arg)
{
    const struct relay_paths *p = arg;
    snprintf(c->upstream_url, sizeof(c->upstream_url), "%s", p->url);
    snprintf(c->upstream_ca, sizeof(c->upstream_ca), "%s", p->ca);
    snprintf(c->upstream_cert, sizeof(c->upstream_cert), "%s", p->cert);
    snprintf(c->upstream_key, sizeof(c->upstream_key), "%s", p->key);
    c->relay_interval_ms = 50;
}

static void setup(void)
{
    struct relay_paths p;
    char err[256];

    tsrv_start(&up);
    snprintf(p.url, sizeof(p.url), "%s", up.url);
    snprintf(p.ca, sizeof(p.ca), "%s/ca.pem", up.dir);
    snprintf(p.cert, sizeof(p.cert), "%s/relay.pem", up.dir);
    snprintf(p.key, sizeof(p.key), "%s/relay.key", up.dir);
    cr_assert_eq(mamori_relay_issue_cert(&up.srv, "segment-a", p.key, p.cert, err, sizeof(err)), 0,
                 "%s", err);
    tsrv_start_with(&relay, as_relay, &p);
    /* The upstream trusts host certificates issued by the relay's CA. */
    snprintf(up.srv.cfg.relay_ca_file, sizeof(up.srv.cfg.relay_ca_file), "%s/ca.pem", relay.dir);
}

static void teardown(void)
{
    tsrv_stop(&relay);
    tsrv_stop(&up);
}

TestSuite(relay, .init = setup, .fini = teardown);

static int wait_for_seq(struct tsrv *t, const char *name, int64_t seq)
{
    for (int i = 0; i < 200; i++) {
        struct mamori_host_record rec;
        if (t->srv.store->ops->host_by_name(t->srv.store, name, &rec) == 0) {
            int64_t last = rec.last_seq;
            mamori_host_record_clear(&rec);
            if (last >= seq)
                return 1;
        }
        usleep(50 * 1000);
    }
    return 0;
}

Test(relay, reports_reach_the_upstream_unchanged)
{
    struct thost h;
    char *payload, *jws;
    struct tresp r;
    cJSON *queue;

    thost_new(&h, "pc-airgap");
    cr_assert_eq(tsrv_enroll(&relay, &h, NULL).status, 200);
    payload = treport_payload(&h, 1, 0, "fail");
    jws = treport_sign(&h, NULL, payload);
    r = tsrv_post(&relay, &h, "/v1/reports", "application/jose", jws, strlen(jws));
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(wait_for_seq(&up, "pc-airgap", 1), "upstream never got the report");
    queue = relay.srv.store->ops->relay_pending(relay.srv.store, 10);
    for (int i = 0; i < 100 && cJSON_GetArraySize(queue) > 0; i++) {
        cJSON_Delete(queue);
        usleep(50 * 1000);
        queue = relay.srv.store->ops->relay_pending(relay.srv.store, 10);
    }
    cr_assert_eq(cJSON_GetArraySize(queue), 0, "acknowledged reports leave the queue");
    cJSON_Delete(queue);
    /* The host is not enrolled upstream for direct use with a foreign key. */
    free(jws);
    free(payload);
    thost_free(&h);
}

Test(relay, relay_endpoint_refuses_plain_hosts)
{
    struct thost h;
    struct tresp r;
    thost_new(&h, "pc-direct");
    cr_assert_eq(tsrv_enroll(&up, &h, NULL).status, 200);
    r = tsrv_post(&up, &h, "/v1/relay/reports", "application/json", "{\"items\":[]}", 12);
    cr_assert_eq(r.status, 403, "%s", r.body);
    thost_free(&h);
}

static void trust_relay(struct mamori_server_config *c, void *arg)
{
    snprintf(c->relay_ca_file, sizeof(c->relay_ca_file), "%s/ca.pem", (const char *)arg);
    c->batch_reports = 256; /* a bundle's lines go in one group commit */
}

/* Import a bundle into a fresh collector; return the import result, and
 * check the host's last seq when everything was accepted. */
static int import_into(char *bundle, size_t len, const char *relay_dir, const char *host,
                       int64_t want_seq)
{
    struct tsrv fresh;
    struct mamori_host_record rec;
    FILE *f = fmemopen(bundle, len, "r");
    int rc;

    memset(&fresh, 0, sizeof(fresh));
    tsrv_start_with(&fresh, trust_relay, (void *)relay_dir);
    rc = mamori_bundle_import(&fresh.srv, f, stderr);
    fclose(f);
    if (rc == 0) {
        cr_assert_eq(fresh.srv.store->ops->host_by_name(fresh.srv.store, host, &rec), 0);
        cr_assert_eq(rec.last_seq, want_seq);
        mamori_host_record_clear(&rec);
    } else {
        cr_assert_geq(mamori_metrics_ingest_count(MAMORI_OUT_BAD_SIGNATURE), 1);
    }
    tsrv_stop(&fresh);
    return rc;
}

Test(relay, bundle_export_import_verifies_every_line)
{
    struct thost h;
    char *payload, *jws, *text = NULL, *tampered, *sig;
    size_t len = 0;
    FILE *f;

    thost_new(&h, "pc-bundle");
    cr_assert_eq(tsrv_enroll(&relay, &h, NULL).status, 200);
    for (int seq = 1; seq <= 2; seq++) {
        payload = treport_payload(&h, seq, 0, "pass");
        jws = treport_sign(&h, NULL, payload);
        cr_assert_eq(
            tsrv_post(&relay, &h, "/v1/reports", "application/jose", jws, strlen(jws)).status, 200);
        free(jws);
        free(payload);
    }
    f = open_memstream(&text, &len);
    cr_assert_eq(mamori_bundle_export(&relay.srv, 0, f), 0);
    fclose(f);
    cr_assert(strstr(text, "pc-bundle") != NULL);
    /* A forged line: flip one character of the first JWS signature. */
    tampered = strdup(text);
    sig = strstr(tampered, "\"}\n");
    cr_assert_not_null(sig);
    sig[-2] = sig[-2] == 'A' ? 'B' : 'A';
    /* Into collectors that never saw these reports (the relay already
     * forwarded them to `up`), trusting the relay's CA. */
    cr_assert_eq(import_into(tampered, strlen(tampered), relay.dir, "pc-bundle", 2), -1,
                 "a forged line must be refused");
    cr_assert_eq(import_into(text, len, relay.dir, "pc-bundle", 2), 0);
    /* In one group, the forged first line is refused on its own: the second
     * line of the same group is still stored. */
    {
        struct tsrv fresh;
        struct mamori_host_record rec;
        FILE *in = fmemopen(tampered, strlen(tampered), "r");
        memset(&fresh, 0, sizeof(fresh));
        tsrv_start_with(&fresh, trust_relay, (void *)relay.dir);
        cr_assert_eq(mamori_bundle_import(&fresh.srv, in, stderr), -1);
        fclose(in);
        cr_assert_eq(fresh.srv.store->ops->host_by_name(fresh.srv.store, "pc-bundle", &rec), 0);
        cr_assert_eq(rec.last_seq, 2, "the good line of the group is stored");
        mamori_host_record_clear(&rec);
        tsrv_stop(&fresh);
    }
    free(tampered);
    free(text);
    thost_free(&h);
}

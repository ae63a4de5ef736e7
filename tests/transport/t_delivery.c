/* t_delivery.c -- enrolment and report delivery against a real TLS 1.3
 * server on loopback (tls_responder.c): in-order delivery, outage and
 * recovery, replay refusal, re-enrolment, and the TLS refusals (wrong CA,
 * expired certificate, TLS 1.2 only, no CA at all). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64url.h"
#include "delivery.h"
#include "device_key.h"
#include "enroll.h"
#include "https_client.h"
#include "jws.h"
#include "report.h"
#include "spool.h"
#include "tls_responder.h"

static struct tls_pki pki;
static struct tls_responder srv;
static char state[160], url[64], err[1024];

static const struct tls_answer accept_all[] = {{200, "{\"status\":\"accepted\",\"seq\":0}"}};

static void setup(void)
{
    tls_pki_create(&pki);
    snprintf(state, sizeof state, "%s/state", pki.dir);
    memset(&srv, 0, sizeof srv);
}

static void teardown(void)
{
    tls_responder_stop(&srv);
    tls_pki_destroy(&pki);
}

TestSuite(delivery, .init = setup, .fini = teardown);

static void start(const char *cert, const struct tls_answer *answers, int n, int port)
{
    static struct tls_responder_cfg cfg;
    cfg = (struct tls_responder_cfg){.cert_file = cert, .answers = answers, .nanswers = n};
    tls_responder_start(&srv, &pki, &cfg, port);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", srv.port);
}

static int enroll_with(const char *ca_file, const char *fingerprint)
{
    struct mamori_enroll_params p = {.server_url = url,
                                     .secret = TLS_TEST_SECRET,
                                     .state_dir = state,
                                     .ca_file = ca_file,
                                     .ca_fingerprint = fingerprint,
                                     .host_id = "00ff00ff",
                                     .hostname = "pc-001",
                                     .segment = "lgwan"};
    return mamori_enroll(&p, err, sizeof err);
}

static cJSON *sample_report(void)
{
    struct mamori_report_host host = {.id = "00ff00ff", .hostname = "pc-001", .segment = "lgwan"};
    return mamori_report_build(&host, 0, time(NULL), "test", NULL, NULL, 0);
}

static struct mamori_delivery *new_delivery(const char *secret_file)
{
    struct mamori_delivery_options o = {.secret_file = secret_file};
    struct mamori_delivery *d = mamori_delivery_new(state, &o, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    return d;
}

static void submit(struct mamori_delivery *d, uint64_t expect_seq)
{
    uint64_t seq = 0;
    cr_assert_eq(mamori_delivery_submit(d, sample_report(), &seq, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seq, expect_seq);
}

/* seq of the i-th report the server received, after verifying its JWS with
 * the device key. */
static long received_seq(int i)
{
    char *jws = tls_log_body(&pki, "/v1/reports", i);
    if (!jws)
        return -1;
    char path[200];
    snprintf(path, sizeof path, "%s/device.key", state);
    EVP_PKEY *key = mamori_pem_load_private(path, err, sizeof err);
    cr_assert_not_null(key, "%s", err);
    char *payload = NULL;
    size_t n = 0;
    cr_assert_eq(mamori_jws_verify(jws, strlen(jws), key, &payload, &n, err, sizeof err), 0, "%s",
                 err);
    cJSON *doc = cJSON_Parse(payload);
    long seq = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "seq"));
    cJSON_Delete(doc);
    free(payload);
    free(jws);
    EVP_PKEY_free(key);
    return seq;
}

static size_t queue_length(struct mamori_delivery *d)
{
    cJSON *s = mamori_delivery_state(d);
    size_t n = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "queue_length"));
    cJSON_Delete(s);
    return n;
}

Test(delivery, enrol_then_deliver_in_order)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    const char *files[] = {"device.key", "device.crt", "ca.crt", "enroll.json"};
    for (size_t i = 0; i < 4; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s/%s", state, files[i]);
        cr_assert_eq(access(p, R_OK), 0, "%s stored", files[i]);
    }
    struct mamori_delivery *d = new_delivery(NULL);
    submit(d, 1);
    submit(d, 2);
    submit(d, 3);
    cr_assert_eq(queue_length(d), 3, "spooled before anything is sent");
    cr_assert_eq(mamori_delivery_run_once(d), -1, "all delivered: nothing left to schedule");
    cr_assert_eq(queue_length(d), 0);
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(received_seq(i), i + 1, "delivered in seq order");
    mamori_delivery_free(d);
}

Test(delivery, collector_down_then_back_loses_nothing)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    int port = srv.port;
    tls_responder_stop(&srv); /* the collector goes away */

    struct mamori_delivery *d = new_delivery(NULL);
    submit(d, 1);
    submit(d, 2);
    long delay = mamori_delivery_run_once(d);
    cr_assert(delay >= 1 && delay <= MAMORI_BACKOFF_BASE_S, "first backoff, got %ld", delay);
    cr_assert_eq(queue_length(d), 2);
    cJSON *s = mamori_delivery_state(d);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(s, "last_error")), "outage is explained");
    cJSON_Delete(s);
    cr_assert_gt(mamori_delivery_run_once(d), 0, "still backing off: no attempt yet");
    mamori_delivery_free(d);

    /* Agent restart while the collector is down; then the collector returns. */
    d = new_delivery(NULL);
    submit(d, 3);
    start(pki.server_cert, accept_all, 1, port);
    cr_assert_eq(mamori_delivery_run_once(d), -1);
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(received_seq(i), i + 1);
    mamori_delivery_free(d);
}

Test(delivery, server_errors_back_off_then_deliver)
{
    static const struct tls_answer flaky[] = {
        {503, "{\"error\":\"busy\"}"}, {500, "{}"}, {200, "{\"status\":\"duplicate\",\"seq\":1}"}};
    start(pki.server_cert, flaky, 3, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_delivery *d = new_delivery(NULL);
    submit(d, 1);
    cr_assert_gt(mamori_delivery_run_once(d), 0);
    mamori_delivery_kick(d);
    cr_assert_gt(mamori_delivery_run_once(d), 0);
    cr_assert_eq(queue_length(d), 1, "kept until acknowledged");
    mamori_delivery_kick(d);
    cr_assert_eq(mamori_delivery_run_once(d), -1, "a duplicate is an acknowledgement");
    cr_assert_eq(queue_length(d), 0);
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 3);
    mamori_delivery_free(d);
}

Test(delivery, replay_refusal_moves_report_aside_and_is_reported)
{
    static const struct tls_answer replay_then_ok[] = {
        {409, "{\"error\":\"replay\"}"}, {200, "{\"status\":\"accepted\",\"seq\":2}"}};
    start(pki.server_cert, replay_then_ok, 2, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_delivery *d = new_delivery(NULL);
    submit(d, 1);
    submit(d, 2);
    cr_assert_eq(mamori_delivery_run_once(d), -1, "no loop on a refused report");
    cJSON *s = mamori_delivery_state(d);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(s, "rejected")), 1);
    cJSON_Delete(s);
    /* The refusal travels as an event in the next report. */
    submit(d, 3);
    mamori_delivery_run_once(d);
    char *jws = tls_log_body(&pki, "/v1/reports", 2);
    cr_assert_not_null(jws);
    char *dot1 = strchr(jws, '.'), *dot2 = strrchr(jws, '.');
    *dot2 = '\0';
    char *p = dot1 + 1;
    size_t max = strlen(p);
    char *payload = calloc(1, max + 1);
    cr_assert_gt(mamori_b64url_decode(p, strlen(p), (unsigned char *)payload, max), 0);
    cr_assert(strstr(payload, "\"type\":\"" MAMORI_EV_REPORT_REJECTED "\""), "%s", payload);
    free(payload);
    free(jws);
    mamori_delivery_free(d);
}

Test(delivery, unknown_node_reenrols_and_retries)
{
    static const struct tls_answer unknown_then_ok[] = {
        {401, "{\"error\":\"unknown_node\"}"}, {200, "{\"status\":\"accepted\",\"seq\":1}"}};
    start(pki.server_cert, unknown_then_ok, 2, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_delivery *d = new_delivery(pki.secret_file);
    submit(d, 1);
    cr_assert_eq(mamori_delivery_run_once(d), -1, "%s", err);
    cr_assert_eq(tls_log_count(&pki, "/v1/enroll"), 2, "enrolled again");
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 2);
    mamori_delivery_free(d);
}

Test(delivery, bad_secret_is_refused_clearly)
{
    start(pki.server_cert, accept_all, 1, 0);
    struct mamori_enroll_params p = {.server_url = url,
                                     .secret = "wrong",
                                     .state_dir = state,
                                     .ca_file = pki.ca_file,
                                     .host_id = "aa"};
    cr_assert_eq(mamori_enroll(&p, err, sizeof err), -1);
    cr_assert(strstr(err, "403"), "%s", err);
}

Test(delivery, ca_fingerprint_pin_enrols_and_wrong_pin_refuses)
{
    start(pki.chain_file, accept_all, 1, 0);
    char fp[80];
    cr_assert_eq(mamori_cert_fingerprint_file(pki.ca_file, fp, sizeof fp), 0);
    char wrong[80];
    cr_assert_eq(mamori_cert_fingerprint_file(pki.other_ca_file, wrong, sizeof wrong), 0);
    cr_assert_eq(enroll_with(NULL, wrong), -1, "a pin of another CA must fail");
    cr_assert_eq(tls_log_count(&pki, "/v1/enroll"), 0, "secret never sent to an unpinned peer");
    cr_assert_eq(enroll_with(NULL, fp), 0, "%s", err);
}

Test(delivery, no_ca_means_no_enrolment)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(enroll_with(NULL, NULL), -1);
    cr_assert(strstr(err, "trust on first use"), "%s", err);
    cr_assert_eq(tls_log_count(&pki, "/v1/enroll"), 0);
}

static int post_once(const char *ca)
{
    struct mamori_https_config cfg = {.ca_file = ca};
    struct mamori_https_response r;
    char u[96];
    snprintf(u, sizeof u, "%s/v1/enroll", url);
    int rc = mamori_https_post(&cfg, u, "application/json", "{}", 2, &r, err, sizeof err);
    mamori_https_response_free(&r);
    return rc;
}

Test(delivery, wrong_ca_is_refused)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(post_once(pki.other_ca_file), -1);
    cr_assert(strstr(err, "certificate"), "%s", err);
    cr_assert_eq(tls_log_count(&pki, "/v1/enroll"), 0, "nothing sent");
    cr_assert_eq(post_once(pki.ca_file), 0, "control: the right CA works: %s", err);
}

Test(delivery, expired_certificate_is_refused_with_a_clear_message)
{
    start(pki.expired_cert, accept_all, 1, 0);
    cr_assert_eq(post_once(pki.ca_file), -1);
    cr_assert(strstr(err, "expired"), "%s", err);
}

Test(delivery, tls12_only_server_is_refused)
{
    static struct tls_responder_cfg cfg;
    cfg = (struct tls_responder_cfg){
        .cert_file = pki.server_cert, .tls12_only = 1, .answers = accept_all, .nanswers = 1};
    tls_responder_start(&srv, &pki, &cfg, 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", srv.port);
    cr_assert_eq(post_once(pki.ca_file), -1, "TLS 1.2 must not be negotiated");
    cr_assert(strstr(err, "TLS"), "%s", err);
    cr_assert_eq(tls_log_count(&pki, "/v1/enroll"), 0);
}

Test(delivery, backoff_is_full_jitter_and_capped)
{
    for (unsigned f = 0; f < 40; f++) {
        long cap = MAMORI_BACKOFF_BASE_S;
        for (unsigned i = 0; i < f && cap < MAMORI_BACKOFF_MAX_S; i++)
            cap *= 2;
        if (cap > MAMORI_BACKOFF_MAX_S)
            cap = MAMORI_BACKOFF_MAX_S;
        long d = mamori_backoff_delay(f);
        cr_assert(d >= 1 && d <= cap, "failures=%u delay=%ld cap=%ld", f, d, cap);
    }
}

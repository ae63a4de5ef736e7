/* t_delivery.c -- enrolment and the courier's sender against a real TLS 1.3
 * server on loopback (tls_responder.c), driven the way the agent drives the
 * courier: in-order delivery, deterministic signatures across retries,
 * outage and recovery, duplicates, replay refusal, unknown node, an old
 * signed report, and the TLS refusals (wrong CA, expired certificate,
 * TLS 1.2 only, no CA at all). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64url.h"
#include "device_key.h"
#include "durable_file.h"
#include "enroll.h"
#include "https_client.h"
#include "jws.h"
#include "outbox.h"
#include "report.h"
#include "sender.h"
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

static struct mamori_outbox *open_outbox(void)
{
    struct mamori_outbox *ob = mamori_outbox_open(state, 0, 0, err, sizeof err);
    cr_assert_not_null(ob, "%s", err);
    return ob;
}

static void put(struct mamori_outbox *ob, uint64_t expect_seq)
{
    uint64_t seq = 0;
    cr_assert_eq(mamori_outbox_put(ob, sample_report(), &seq, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seq, expect_seq);
}

static char *state_file(const char *name)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s", state, name);
    char *text = mamori_read_file(path, 65536, NULL);
    cr_assert_not_null(text, "%s", path);
    return text;
}

/* The courier's sender, with the enrolment files in memory as the courier
 * gets them. */
static struct mamori_sender *new_sender(void)
{
    char *key = state_file("device.key"), *cert = state_file("device.crt");
    char *ca = state_file("ca.crt");
    struct mamori_sender_config cfg = {
        .server_url = url, .ca_pem = ca, .cert_pem = cert, .key_pem = key};
    struct mamori_sender *s = mamori_sender_new(&cfg, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    free(key);
    free(cert);
    free(ca);
    return s;
}

/* What the agent does with the courier's outcomes: send oldest first,
 * remove what is stored, set aside what is refused, stop at a retry.
 * Returns the outcome that ended it (STORED when the spool is empty). */
static enum mamori_send_outcome drain(struct mamori_outbox *ob, struct mamori_sender *s)
{
    struct mamori_outbox_item item;
    while (mamori_outbox_oldest(ob, &item, err, sizeof err) == 0) {
        enum mamori_send_outcome o =
            mamori_sender_send(s, item.seq, item.data, item.len, item.signed_jws, err, sizeof err);
        mamori_outbox_item_free(&item);
        if (o != MAMORI_SEND_STORED && o != MAMORI_SEND_REFUSED)
            return o;
        int rc = o == MAMORI_SEND_STORED ? mamori_outbox_ack(ob, item.seq, err, sizeof err)
                                         : mamori_outbox_reject(ob, item.seq, err, sizeof err);
        cr_assert_eq(rc, 0, "%s", err);
    }
    return MAMORI_SEND_STORED;
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

static size_t queue_length(struct mamori_outbox *ob)
{
    struct mamori_spool_stats st;
    mamori_outbox_stats(ob, &st);
    return st.count;
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
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    put(ob, 2);
    put(ob, 3);
    cr_assert_eq(queue_length(ob), 3, "spooled before anything is sent");
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_STORED, "%s", err);
    cr_assert_eq(queue_length(ob), 0);
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(received_seq(i), i + 1, "delivered in seq order, signed by the device key");
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, signing_is_deterministic_so_a_retry_sends_the_same_bytes)
{
    static const struct tls_answer busy_then_ok[] = {{503, "{\"error\":\"busy\"}"},
                                                     {200, "{\"status\":\"accepted\"}"}};
    start(pki.server_cert, busy_then_ok, 2, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_RETRY);
    cr_assert(strstr(err, "503"), "the reason names the answer: %s", err);
    cr_assert_eq(queue_length(ob), 1, "kept until acknowledged");
    cr_assert_eq(drain(ob, s), MAMORI_SEND_STORED, "%s", err);
    char *first = tls_log_body(&pki, "/v1/reports", 0),
         *second = tls_log_body(&pki, "/v1/reports", 1);
    cr_assert_not_null(second);
    cr_assert_str_eq(first, second, "the collector sees one report, however often it is sent");
    free(first);
    free(second);
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, collector_down_then_back_loses_nothing)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    int port = srv.port;
    tls_responder_stop(&srv); /* the collector goes away */

    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    put(ob, 2);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_RETRY);
    cr_assert_eq(queue_length(ob), 2);
    mamori_sender_free(s);
    mamori_outbox_close(ob);

    /* Agent restart while the collector is down; then the collector returns. */
    ob = open_outbox();
    put(ob, 3);
    start(pki.server_cert, accept_all, 1, port);
    s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_STORED, "%s", err);
    cr_assert_eq(tls_log_count(&pki, "/v1/reports"), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(received_seq(i), i + 1);
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, a_duplicate_is_an_acknowledgement)
{
    static const struct tls_answer dup[] = {{200, "{\"status\":\"duplicate\",\"seq\":1}"}};
    start(pki.server_cert, dup, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_STORED, "%s", err);
    cr_assert_eq(queue_length(ob), 0);
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, replay_refusal_moves_report_aside_and_is_reported)
{
    static const struct tls_answer replay_then_ok[] = {
        {409, "{\"error\":\"replay\"}"}, {200, "{\"status\":\"accepted\",\"seq\":2}"}};
    start(pki.server_cert, replay_then_ok, 2, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    put(ob, 2);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_STORED, "no loop on a refused report");
    struct mamori_spool_stats st;
    mamori_outbox_stats(ob, &st);
    cr_assert_eq(st.rejected, 1);
    /* The refusal travels as an event in the next report. */
    put(ob, 3);
    drain(ob, s);
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
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, unknown_node_is_kept_for_a_re_enrolment)
{
    static const struct tls_answer unknown[] = {{401, "{\"error\":\"unknown_node\"}"}};
    start(pki.server_cert, unknown, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_UNKNOWN_NODE);
    cr_assert(strstr(err, "does not know this PC"), "%s", err);
    cr_assert_eq(queue_length(ob), 1);
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, revoked_is_kept_and_told_apart_from_other_refusals)
{
    static const struct tls_answer answers[] = {
        {403, "{\"error\":\"revoked\"}"},
        {403, "{\"error\":\"host_mismatch\"}"},
        {401, "{\"error\":\"no_client_cert\"}"},
    };
    start(pki.server_cert, answers, 3, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_outbox *ob = open_outbox();
    put(ob, 1);
    struct mamori_sender *s = new_sender();
    cr_assert_eq(drain(ob, s), MAMORI_SEND_REVOKED);
    cr_assert(strstr(err, "revoked"), "%s", err);
    /* A refusal that is neither is an ordinary retry, never a re-enrolment. */
    cr_assert_eq(drain(ob, s), MAMORI_SEND_RETRY);
    cr_assert(strstr(err, "host_mismatch"), "%s", err);
    cr_assert_eq(drain(ob, s), MAMORI_SEND_RETRY);
    cr_assert_eq(queue_length(ob), 1);
    mamori_sender_free(s);
    mamori_outbox_close(ob);
}

Test(delivery, a_report_spooled_signed_is_sent_as_it_is)
{
    start(pki.server_cert, accept_all, 1, 0);
    cr_assert_eq(enroll_with(pki.ca_file, NULL), 0, "%s", err);
    struct mamori_sender *s = new_sender();
    const char *jws = "eyJhbGciOiJFZERTQSJ9.e30.c2ln";
    cr_assert_eq(mamori_sender_send(s, 9, jws, strlen(jws), true, err, sizeof err),
                 MAMORI_SEND_STORED, "%s", err);
    char *got = tls_log_body(&pki, "/v1/reports", 0);
    cr_assert_str_eq(got, jws);
    free(got);
    mamori_sender_free(s);
}

Test(delivery, a_key_that_is_not_ed25519_is_refused)
{
    struct mamori_sender_config cfg = {.server_url = "https://127.0.0.1:1",
                                       .ca_pem = "x",
                                       .cert_pem = "x",
                                       .key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                  "-----END PRIVATE KEY-----\n"};
    cr_assert_null(mamori_sender_new(&cfg, err, sizeof err));
    cr_assert(strstr(err, "device key"), "%s", err);
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

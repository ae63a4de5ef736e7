/* t_ingest.c -- group commit: what an acknowledgement promises.
 *
 * A report answered "accepted" must already be committed (a second,
 * independent connection to the database sees it); concurrent hosts whose
 * reports share groups are each stored exactly once; inside one group every
 * report gets its own answer (accepted, duplicate, replay, unknown key,
 * foreign key) and a refusal undoes only itself; a report the database
 * refuses halfway fails alone and leaves nothing behind (the group is
 * stored again, a savepoint per report); a client that goes away
 * before its answer still has its report stored and does not upset the
 * server.  Runs on SQLite, and on PostgreSQL from t_server_pg.sh. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "digest.h"
#include "ingest.h"
#include "metrics.h"
#include "server_fixture.h"
#include "sqldb.h"

static struct tsrv t;

static void small_groups(struct mamori_server_config *c, void *arg)
{
    (void)arg;
    c->batch_reports = 3; /* many groups, and groups of several reports */
    c->threads = 2;
}

static void setup(void)
{
    tsrv_start_with(&t, small_groups, NULL);
}

static void teardown(void)
{
    tsrv_stop(&t);
}

TestSuite(ingest, .init = setup, .fini = teardown);

static void enrolled(struct thost *h, const char *name)
{
    struct tresp r;
    thost_new(h, name);
    r = tsrv_enroll(&t, h, NULL);
    cr_assert_eq(r.status, 200, "enroll: %ld %s", r.status, r.body);
}

static char *signed_report(const struct thost *h, long seq, const char *verdict)
{
    char *payload = treport_payload(h, seq, 0, verdict);
    char *jws = treport_sign(h, NULL, payload);
    free(payload);
    return jws;
}

static struct tresp send_seq(const struct thost *h, long seq)
{
    char *jws = signed_report(h, seq, "pass");
    struct tresp r = tsrv_post(&t, h, "/v1/reports", "application/jose", jws, strlen(jws));
    free(jws);
    return r;
}

/* A second, independent connection to the collector's database. */
static struct mamori_store *second_store(void)
{
    char err[512];
    struct mamori_store *s = strcmp(t.srv.cfg.db, "postgresql") == 0
                                 ? mamori_store_pg_open(t.srv.cfg.db_dsn, err, sizeof(err))
                                 : mamori_store_sqlite_open(t.srv.cfg.db_path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    return s;
}

static int stored_reports(struct mamori_store *s, const struct thost *h)
{
    cJSON *history = s->ops->history(s, h->id, 1000);
    int n;
    cr_assert_not_null(history);
    n = cJSON_GetArraySize(history);
    cJSON_Delete(history);
    return n;
}

Test(ingest, acknowledged_report_is_already_committed)
{
    struct thost h;
    struct mamori_store *other;
    struct tresp r;

    enrolled(&h, "pc-durable");
    r = send_seq(&h, 1);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"accepted\"") != NULL, "%s", r.body);
    /* Read through another connection: an uncommitted write would not show. */
    other = second_store();
    cr_assert_eq(stored_reports(other, &h), 1);
    other->ops->close(other);
    thost_free(&h);
}

struct sender {
    struct thost host;
    int accepted;
};

static void *send_ten(void *arg)
{
    struct sender *s = arg;
    for (long seq = 1; seq <= 10; seq++) {
        struct tresp r = send_seq(&s->host, seq);
        if (r.status == 200 && strstr(r.body, "\"accepted\"") != NULL)
            s->accepted++;
    }
    return NULL;
}

/* A counter of the /metrics text (its sample line, not its # HELP line). */
static unsigned long metric(const char *name)
{
    char *text = mamori_metrics_text(), line[128], *at;
    unsigned long v;
    cr_assert_not_null(text);
    snprintf(line, sizeof(line), "\n%s ", name);
    at = strstr(text, line);
    cr_assert_not_null(at, "%s missing from /metrics", name);
    v = strtoul(at + strlen(line), NULL, 10);
    free(text);
    return v;
}

Test(ingest, concurrent_hosts_share_groups_and_each_report_is_stored_once)
{
    enum { HOSTS = 6 };
    struct sender senders[HOSTS];
    pthread_t threads[HOSTS];
    struct mamori_store *other;
    unsigned long before = mamori_metrics_ingest_count(MAMORI_OUT_ACCEPTED);
    unsigned long commits = metric("mamori_ingest_commits_total");
    unsigned long committed = metric("mamori_ingest_committed_reports_total");

    memset(senders, 0, sizeof(senders));
    for (int i = 0; i < HOSTS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "pc-group-%d", i);
        enrolled(&senders[i].host, name);
    }
    for (int i = 0; i < HOSTS; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, send_ten, &senders[i]), 0);
    for (int i = 0; i < HOSTS; i++)
        pthread_join(threads[i], NULL);
    other = second_store();
    for (int i = 0; i < HOSTS; i++) {
        cr_expect_eq(senders[i].accepted, 10, "host %d: %d accepted", i, senders[i].accepted);
        cr_expect_eq(stored_reports(other, &senders[i].host), 10);
        thost_free(&senders[i].host);
    }
    other->ops->close(other);
    cr_assert_eq(mamori_metrics_ingest_count(MAMORI_OUT_ACCEPTED) - before, HOSTS * 10);
    /* Every report went through a group commit of at most batch_reports (3). */
    cr_assert_eq(metric("mamori_ingest_committed_reports_total") - committed, HOSTS * 10);
    cr_assert_geq(metric("mamori_ingest_commits_total") - commits, HOSTS * 10 / 3);
}

/* One job as ingest would prepare it, without HTTP. */
struct item {
    struct mamori_ingest in;
    struct mamori_report report;
    char *jws;
    char hash[65];
};

static void item_from(struct item *it, const struct thost *h, const char *payload,
                      const char *thumbprint)
{
    char err[256];
    memset(it, 0, sizeof(*it));
    cr_assert_eq(mamori_report_parse(payload, strlen(payload), &it->report, err, sizeof(err)), 0,
                 "%s", err);
    it->jws = treport_sign(h, NULL, payload);
    mamori_sha256_hex(it->jws, strlen(it->jws), it->hash);
    it->in = (struct mamori_ingest){.report = &it->report,
                                    .jws = it->jws,
                                    .jws_len = strlen(it->jws),
                                    .hash_hex = it->hash,
                                    .key_thumbprint = thumbprint,
                                    .received = time(NULL)};
}

static void item_make(struct item *it, const struct thost *h, long seq, const char *verdict,
                      const char *thumbprint)
{
    char *payload = treport_payload(h, seq, 0, verdict);
    item_from(it, h, payload, thumbprint);
    free(payload);
}

static void item_clear(struct item *it)
{
    mamori_report_free(&it->report);
    free(it->jws);
}

static void thumbprint_of(const struct thost *h, char *out)
{
    cr_assert_eq(mamori_jwk_thumbprint(h->key, out, MAMORI_JWK_THUMBPRINT_LEN + 1), 0);
}

Test(ingest, one_group_answers_each_report_on_its_own)
{
    struct thost a, b;
    char ka[64], kb[64], *payload;
    struct item it[6];
    struct mamori_ingest *group[6];
    static const enum mamori_ingest_result want[6] = {
        MAMORI_INGEST_ACCEPTED,     MAMORI_INGEST_DUPLICATE,     MAMORI_INGEST_REPLAY,
        MAMORI_INGEST_UNKNOWN_HOST, MAMORI_INGEST_HOST_MISMATCH, MAMORI_INGEST_ACCEPTED,
    };

    enrolled(&a, "pc-group-a");
    enrolled(&b, "pc-group-b");
    thumbprint_of(&a, ka);
    thumbprint_of(&b, kb);
    payload = treport_payload(&a, 1, 0, "pass");
    item_from(&it[0], &a, payload, ka);
    item_from(&it[1], &a, payload, ka); /* signed again: same bytes (Ed25519 is deterministic) */
    free(payload);
    item_make(&it[2], &a, 1, "fail", ka); /* same seq, other content */
    item_make(&it[3], &b, 1, "pass", "not-an-enrolled-key");
    item_make(&it[4], &b, 2, "pass", ka); /* b's report under a's key */
    item_make(&it[5], &b, 3, "pass", kb);
    for (int i = 0; i < 6; i++)
        group[i] = &it[i].in;
    t.srv.store->ops->ingest(t.srv.store, group, 6);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(it[i].in.result, want[i], "report %d: %d, want %d", i, it[i].in.result,
                     want[i]);
    cr_assert_eq(stored_reports(t.srv.store, &a), 1);
    cr_assert_eq(stored_reports(t.srv.store, &b), 1);
    for (int i = 0; i < 6; i++)
        item_clear(&it[i]);
    thost_free(&a);
    thost_free(&b);
}

static void sql(const char *statement)
{
    struct mamori_sqldb *db = (struct mamori_sqldb *)t.srv.store;
    cr_assert_geq(db->db->exec(db, statement, NULL, 0, NULL, NULL), 0, "%s", statement);
}

/* The database refuses every event of HOST: its report fails while being
 * written, after its raw report row and its host row were already written. */
static void refuse_events_of(const struct thost *h)
{
    char trigger[512];
    if (strcmp(t.srv.cfg.db, "postgresql") == 0) {
        sql("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $f$BEGIN RAISE EXCEPTION 'test: event refused'; END$f$");
        snprintf(trigger, sizeof(trigger),
                 "CREATE TRIGGER test_refuse BEFORE INSERT ON events FOR EACH ROW"
                 " WHEN (NEW.host_id = '%s') EXECUTE FUNCTION test_refuse()",
                 h->id);
    } else {
        snprintf(trigger, sizeof(trigger),
                 "CREATE TRIGGER test_refuse BEFORE INSERT ON events WHEN NEW.host_id = '%s'"
                 " BEGIN SELECT RAISE(ABORT, 'test: event refused'); END",
                 h->id);
    }
    sql(trigger);
}

Test(ingest, a_report_the_database_refuses_fails_alone_and_leaves_nothing)
{
    struct thost a, b;
    char ka[64], kb[64];
    struct item it[4];
    struct mamori_ingest *group[3], *retry[1];

    enrolled(&a, "pc-fail-a");
    enrolled(&b, "pc-fail-b");
    thumbprint_of(&a, ka);
    thumbprint_of(&b, kb);
    item_make(&it[0], &a, 1, "pass", ka);
    item_make(&it[1], &b, 1, "pass", kb);
    item_make(&it[2], &a, 2, "fail", ka);
    for (int i = 0; i < 3; i++)
        group[i] = &it[i].in;
    refuse_events_of(&b);
    t.srv.store->ops->ingest(t.srv.store, group, 3);
    cr_expect_eq(it[0].in.result, MAMORI_INGEST_ACCEPTED);
    cr_expect_eq(it[1].in.result, MAMORI_INGEST_ERROR);
    cr_expect_eq(it[2].in.result, MAMORI_INGEST_ACCEPTED);
    cr_assert_eq(stored_reports(t.srv.store, &a), 2);
    cr_assert_eq(stored_reports(t.srv.store, &b), 0, "the refused report left its raw row");

    /* Nothing of it stayed: neither its seq nor its row, so the same report
     * is accepted (not a duplicate or replay) once the database takes it. */
    sql(strcmp(t.srv.cfg.db, "postgresql") == 0 ? "DROP TRIGGER test_refuse ON events"
                                                : "DROP TRIGGER test_refuse");
    item_make(&it[3], &b, 1, "pass", kb);
    retry[0] = &it[3].in;
    t.srv.store->ops->ingest(t.srv.store, retry, 1);
    cr_expect_eq(it[3].in.result, MAMORI_INGEST_ACCEPTED);
    cr_assert_eq(stored_reports(t.srv.store, &b), 1);
    for (int i = 0; i < 4; i++)
        item_clear(&it[i]);
    thost_free(&a);
    thost_free(&b);
}

/* Post over a raw TLS connection, half-close it, and read until the server
 * closes: the server sees the end of the stream while the report is still
 * in its group. */
static void post_and_hang_up(const struct thost *h, const char *jws)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)t.srv.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char ca[300], head[256], buf[4096];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SSL *ssl;

    snprintf(ca, sizeof(ca), "%s/ca.pem", t.dir);
    cr_assert(SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1);
    cr_assert(SSL_CTX_use_certificate_file(ctx, h->cert_file, SSL_FILETYPE_PEM) == 1);
    cr_assert(SSL_CTX_use_PrivateKey_file(ctx, h->key_file, SSL_FILETYPE_PEM) == 1);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    cr_assert_eq(SSL_connect(ssl), 1);
    snprintf(head, sizeof(head),
             "POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/jose\r\n"
             "Content-Length: %zu\r\n\r\n",
             strlen(jws));
    cr_assert_gt(SSL_write(ssl, head, (int)strlen(head)), 0);
    cr_assert_gt(SSL_write(ssl, jws, (int)strlen(jws)), 0);
    shutdown(fd, SHUT_WR);
    while (SSL_read(ssl, buf, sizeof(buf)) > 0)
        ;
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
}

Test(ingest, report_of_a_client_that_hung_up_is_stored)
{
    struct thost h;
    char *jws;
    struct tresp r;

    enrolled(&h, "pc-hangup");
    jws = signed_report(&h, 1, "pass");
    post_and_hang_up(&h, jws);
    free(jws);
    r = send_seq(&h, 2);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(stored_reports(t.srv.store, &h), 2);
    thost_free(&h);
}

/* Reports spooled by agents before their upgrade (schema 1, with titles)
 * and current ones (schema 2, compact) are both stored; a schema-2 report
 * must name its catalogue. */
static struct tresp send_shape(const struct thost *h, long seq, int schema, int catalogue)
{
    char *payload = treport_payload(h, seq, 0, "pass"), *text, *jws;
    cJSON *doc = cJSON_Parse(payload);
    struct tresp r;
    cJSON_ReplaceItemInObject(doc, "schema", cJSON_CreateNumber(schema));
    if (catalogue > 0)
        cJSON_AddNumberToObject(doc, "catalogue", catalogue);
    text = cJSON_PrintUnformatted(doc);
    jws = treport_sign(h, NULL, text);
    r = tsrv_post(&t, h, "/v1/reports", "application/jose", jws, strlen(jws));
    free(jws);
    free(text);
    free(payload);
    cJSON_Delete(doc);
    return r;
}

Test(ingest, old_and_compact_report_shapes_are_both_stored)
{
    struct thost h;
    struct tresp r;

    enrolled(&h, "pc-upgrade");
    cr_assert_eq(send_shape(&h, 1, 1, 0).status, 200, "schema 1 (spooled before the upgrade)");
    r = send_shape(&h, 2, 2, 0);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "catalogue") != NULL, "the error names the member: %s", r.body);
    r = send_shape(&h, 2, 3, 1);
    cr_assert_eq(r.status, 400, "an unknown schema: %s", r.body);
    r = send_shape(&h, 2, 2, 1);
    cr_assert_eq(r.status, 200, "schema 2: %s", r.body);
    cr_assert_eq(stored_reports(t.srv.store, &h), 2);
    thost_free(&h);
}

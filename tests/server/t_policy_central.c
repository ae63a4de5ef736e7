/* t_policy_central.c -- central policy on a real collector: groups, the
 * registered-media ledger and exceptions in the database (SQLite, or the
 * PostgreSQL of MAMORI_TEST_PG_DSN: t_policy_pg.sh), the composed bundle,
 * and over real TLS the key handed out at enrolment, the version in report
 * acknowledgements and the signed bundle of POST /v1/policy. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base64url.h"
#include "bundle.h"
#include "jws.h"
#include "ledger.h"
#include "policy_central.h"
#include "policy_store.h"
#include "server_fixture.h"

static const char lgwan_policy[] = "{\"segment\":\"lgwan\",\"usb\":{\"mode\":\"enforce\"},"
                                   "\"screen_lock\":{\"max_idle_seconds\":300}}";

static const char ledger_csv[] = "管理番号,所属,管理者,VID:PID,シリアル,有効期限,状態\n"
                                 "総務-USB-001,総務課,山田,0781:5567,SN-1,2099/03/31,貸出中\n"
                                 "総務-USB-002,総務課,山田,0781:5567,SN-2,2099/03/31,返却済\n"
                                 "総務-USB-003,総務課,山田,0781:5567,SN-3,,廃棄\n"
                                 "総務-USB-004,総務課,山田,0781:5567,SN-4,2020/01/31,貸出中\n"
                                 "市民-USB-001,市民課,佐藤,090c:1000,SN-9,,利用中\n";

static void fast_checks(struct mamori_server_config *c, void *arg)
{
    (void)arg;
    c->policy_check_ms = 0; /* every acknowledgement looks at the revision */
}

static struct mamori_store *store(struct tsrv *t)
{
    return t->srv.store;
}

static void set_group(struct tsrv *t, const char *name, const char *segment, const char *department,
                      const char *policy)
{
    struct mamori_policy_group g = {.updated = time(NULL)};
    char conflict[128];

    snprintf(g.name, sizeof(g.name), "%s", name);
    snprintf(g.segment, sizeof(g.segment), "%s", segment);
    snprintf(g.department, sizeof(g.department), "%s", department);
    g.policy = (char *)policy;
    cr_assert_eq(mamori_pstore_group_set(store(t), &g, conflict, sizeof(conflict)), 0);
}

static void import(struct tsrv *t, const char *csv)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    cr_assert_eq(mamori_ledger_parse(csv, strlen(csv), MAMORI_LEDGER_AUTO, &l, &err), 0, "%s",
                 err.message);
    cr_assert_eq(mamori_pstore_ledger_replace(store(t), &l, "t.csv", "00", "utf8", time(NULL)), 0);
    mamori_ledger_free(&l);
}

/* The usb.allow labels of a composed bundle, joined by ",". */
static void labels_of(const struct mamori_composed_bundle *b, char *out, size_t len)
{
    cJSON *doc = cJSON_Parse(b->payload), *a;
    const cJSON *allow = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "policy"), "usb"), "allow");

    out[0] = '\0';
    cJSON_ArrayForEach(a, allow)
    {
        snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
                 cJSON_GetObjectItem(a, "label")->valuestring);
    }
    cJSON_Delete(doc);
}

static int compose(struct tsrv *t, const char *id, const char *seg, const char *dept, time_t now,
                   struct mamori_composed_bundle *b)
{
    char err[512];
    int rc = mamori_policy_compose(store(t), &(struct mamori_policy_host){id, seg, dept}, now, b,
                                   err, sizeof(err));

    cr_assert_geq(rc, 0, "%s", err);
    return rc;
}

Test(policy_store, group_matching_and_assignment)
{
    struct tsrv t;
    struct mamori_policy_group g, other = {.updated = 1};
    char conflict[128] = "";
    int assigned;

    tsrv_start(&t);
    cr_assert_eq(mamori_pstore_group_for_host(store(&t), "h1", "lgwan", "総務課", &g, &assigned), 1,
                 "no group yet");
    set_group(&t, "lgwan-all", "lgwan", "", lgwan_policy);
    set_group(&t, "lgwan-soumu", "lgwan", "総務課", lgwan_policy);
    set_group(&t, "kiosk", "", "", lgwan_policy);
    cr_assert_eq(mamori_pstore_group_for_host(store(&t), "h1", "lgwan", "総務課", &g, &assigned),
                 0);
    cr_assert_str_eq(g.name, "lgwan-soumu", "segment and 所属 beat segment alone");
    cr_assert_eq(assigned, 0);
    mamori_policy_group_clear(&g);
    mamori_pstore_group_for_host(store(&t), "h2", "lgwan", "市民課", &g, &assigned);
    cr_assert_str_eq(g.name, "lgwan-all");
    mamori_policy_group_clear(&g);
    cr_assert_eq(mamori_pstore_group_for_host(store(&t), "h3", "internet", "総務課", &g, &assigned),
                 1, "a group without segment is never matched");
    cr_assert_eq(mamori_pstore_assign(store(&t), "h1", "kiosk"), 0);
    mamori_pstore_group_for_host(store(&t), "h1", "lgwan", "総務課", &g, &assigned);
    cr_assert_str_eq(g.name, "kiosk", "an assignment overrides the match");
    cr_assert_eq(assigned, 1);
    mamori_policy_group_clear(&g);
    /* Two automatic groups for the same segment and 所属 would be ambiguous. */
    snprintf(other.name, sizeof(other.name), "again");
    snprintf(other.segment, sizeof(other.segment), "lgwan");
    snprintf(other.department, sizeof(other.department), "総務課");
    other.policy = (char *)lgwan_policy;
    cr_assert_eq(mamori_pstore_group_set(store(&t), &other, conflict, sizeof(conflict)), 2);
    cr_assert_str_eq(conflict, "lgwan-soumu");
    cr_assert_eq(mamori_pstore_group_remove(store(&t), "kiosk"), 0);
    cr_assert_eq(mamori_pstore_group_remove(store(&t), "kiosk"), 1);
    mamori_pstore_group_for_host(store(&t), "h1", "lgwan", "総務課", &g, &assigned);
    cr_assert_str_eq(g.name, "lgwan-soumu", "removing a group removes its assignments");
    mamori_policy_group_clear(&g);
    tsrv_stop(&t);
}

Test(policy_store, every_change_moves_the_revision)
{
    struct tsrv t;
    struct mamori_policy_exception e = {.starts = 1, .until = 4000000000, .created = 1};
    int64_t r0, r1, r2, r3;

    tsrv_start(&t);
    r0 = mamori_pstore_revision(store(&t));
    set_group(&t, "g", "lgwan", "", lgwan_policy);
    r1 = mamori_pstore_revision(store(&t));
    import(&t, ledger_csv);
    r2 = mamori_pstore_revision(store(&t));
    snprintf(e.scope, sizeof(e.scope), "group");
    snprintf(e.target, sizeof(e.target), "g");
    snprintf(e.device, sizeof(e.device), "1234:5678");
    snprintf(e.approver, sizeof(e.approver), "課長");
    snprintf(e.reason, sizeof(e.reason), "研修");
    cr_assert_eq(mamori_pstore_exception_add(store(&t), &e), 0);
    cr_assert_gt(e.id, 0);
    r3 = mamori_pstore_revision(store(&t));
    cr_assert(r0 < r1 && r1 < r2 && r2 < r3, "%lld %lld %lld %lld", (long long)r0, (long long)r1,
              (long long)r2, (long long)r3);
    cr_assert_eq(mamori_pstore_exception_revoke(store(&t), e.id, "終了", 5), 0);
    cr_assert_gt(mamori_pstore_revision(store(&t)), r3);
    cr_assert_eq(mamori_pstore_exception_revoke(store(&t), e.id, "again", 6), 1,
                 "a revoked exception cannot be revoked twice");
    tsrv_stop(&t);
}

Test(policy_store, ledger_media_become_the_allow_list_of_their_department)
{
    struct tsrv t;
    struct mamori_composed_bundle b;
    char labels[512];

    tsrv_start(&t);
    set_group(&t, "lgwan-all", "lgwan", "", lgwan_policy);
    import(&t, ledger_csv);
    cr_assert_eq(compose(&t, "h1", "lgwan", "総務課", time(NULL), &b), 0);
    labels_of(&b, labels, sizeof(labels));
    cr_assert_str_eq(labels, "総務-USB-001",
                     "returned, disposed and expired media are left out, other 所属 too");
    cr_assert_str_eq(b.group, "lgwan-all");
    cr_assert_eq(strncmp(b.version, "b-", 2), 0);
    cr_assert(strstr(b.payload, "\"department\":\"総務課\"") != NULL,
              "the group's PCs report the 所属 of their media");
    mamori_composed_bundle_clear(&b);
    compose(&t, "h2", "lgwan", "市民課", time(NULL), &b);
    labels_of(&b, labels, sizeof(labels));
    cr_assert_str_eq(labels, "市民-USB-001");
    mamori_composed_bundle_clear(&b);
    /* A new ledger replaces the old one completely. */
    import(&t, "管理番号,所属,VID:PID,状態\n総務-USB-009,総務課,0781:5567,貸出中\n");
    compose(&t, "h1", "lgwan", "総務課", time(NULL), &b);
    labels_of(&b, labels, sizeof(labels));
    cr_assert_str_eq(labels, "総務-USB-009");
    mamori_composed_bundle_clear(&b);
    tsrv_stop(&t);
}

Test(policy_store, a_loan_expires_without_any_action)
{
    struct tsrv t;
    struct mamori_composed_bundle before, later, after;
    char labels[512];
    time_t now = time(NULL), end;

    tsrv_start(&t);
    set_group(&t, "g", "lgwan", "総務課", lgwan_policy);
    import(&t, "管理番号,所属,VID:PID,有効期限,状態\n"
               "L-1,総務課,0781:5567,2099/03/31,貸出中\n"
               "L-2,総務課,0781:5568,2098/12/31,貸出中\n");
    compose(&t, "h", "lgwan", "総務課", now, &before);
    compose(&t, "h", "lgwan", "総務課", now + 3600, &later);
    cr_assert_str_eq(before.version, later.version, "time passing alone changes nothing");
    end = before.next_change;
    cr_assert_gt(end, now, "the collector knows when the bundle next changes by itself");
    compose(&t, "h", "lgwan", "総務課", end, &after);
    labels_of(&after, labels, sizeof(labels));
    cr_assert_str_eq(labels, "L-1", "the loan that ended is gone");
    cr_assert_str_neq(after.version, before.version);
    mamori_composed_bundle_clear(&before);
    mamori_composed_bundle_clear(&later);
    mamori_composed_bundle_clear(&after);
    tsrv_stop(&t);
}

static int64_t add_exception(struct tsrv *t, const char *scope, const char *target,
                             const char *device, time_t from, time_t until)
{
    struct mamori_policy_exception e = {.starts = from, .until = until, .created = time(NULL)};

    snprintf(e.scope, sizeof(e.scope), "%s", scope);
    snprintf(e.target, sizeof(e.target), "%s", target);
    snprintf(e.device, sizeof(e.device), "%s", device);
    snprintf(e.approver, sizeof(e.approver), "情報政策課長");
    snprintf(e.reason, sizeof(e.reason), "出張先での資料受け渡し");
    cr_assert_eq(mamori_pstore_exception_add(store(t), &e), 0);
    return e.id;
}

static const char *state_of(struct tsrv *t, int64_t id, time_t now)
{
    static char state[16];
    cJSON *all = mamori_pstore_exceptions(store(t), now), *e;

    state[0] = '\0';
    cJSON_ArrayForEach(e, all)
    {
        if (cJSON_GetObjectItem(e, "id")->valueint == id)
            snprintf(state, sizeof(state), "%s", cJSON_GetObjectItem(e, "state")->valuestring);
    }
    cJSON_Delete(all);
    return state;
}

Test(policy_store, exceptions_apply_for_their_time_only)
{
    struct tsrv t;
    struct mamori_composed_bundle b;
    char labels[512];
    time_t now = time(NULL);
    int64_t host_ex, group_ex, later_ex, other_ex;

    tsrv_start(&t);
    set_group(&t, "g", "lgwan", "", lgwan_policy);
    host_ex = add_exception(&t, "host", "h1", "1111:0001", now - 60, now + 600);
    group_ex = add_exception(&t, "group", "g", "1111:0002", now - 60, now + 900);
    later_ex = add_exception(&t, "host", "h1", "1111:0003", now + 300, now + 1200);
    other_ex = add_exception(&t, "host", "h2", "1111:0004", now - 60, now + 600);
    compose(&t, "h1", "lgwan", "総務課", now, &b);
    labels_of(&b, labels, sizeof(labels));
    cr_assert_eq(b.next_change, now + 300, "the pending exception's start comes first");
    mamori_composed_bundle_clear(&b);
    {
        char want[128];

        snprintf(want, sizeof(want), "例外#%lld,例外#%lld", (long long)host_ex,
                 (long long)group_ex);
        cr_assert_str_eq(labels, want, "this host's and its group's, not another host's");
    }
    cr_assert_str_eq(state_of(&t, later_ex, now), "pending");
    cr_assert_str_eq(state_of(&t, host_ex, now), "active");
    cr_assert_str_eq(state_of(&t, host_ex, now + 601), "expired");
    compose(&t, "h1", "lgwan", "総務課", now + 601, &b);
    labels_of(&b, labels, sizeof(labels));
    cr_assert(strstr(labels, "例外#") != NULL && strchr(labels, ',') != NULL, "%s", labels);
    cr_assert(strstr(b.payload, "1111:0001") == NULL, "expired: gone without any action");
    cr_assert(strstr(b.payload, "1111:0003") != NULL, "started by itself");
    mamori_composed_bundle_clear(&b);
    cr_assert_eq(mamori_pstore_exception_revoke(store(&t), group_ex, "不要になった", now), 0);
    cr_assert_str_eq(state_of(&t, group_ex, now), "revoked");
    compose(&t, "h1", "lgwan", "総務課", now + 601, &b);
    cr_assert(strstr(b.payload, "1111:0002") == NULL, "revoked");
    mamori_composed_bundle_clear(&b);
    (void)other_ex;
    tsrv_stop(&t);
}

/* ---- over TLS ---- */

static EVP_PKEY *key_from_jwk(const cJSON *jwk)
{
    const char *x = cJSON_GetObjectItem(jwk, "x")->valuestring;
    uint8_t raw[40];
    long n = mamori_b64url_decode(x, strlen(x), raw, sizeof(raw));

    cr_assert_eq(n, 32);
    cr_assert_str_eq(cJSON_GetObjectItem(jwk, "crv")->valuestring, "Ed25519");
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
}

static cJSON *post_report(struct tsrv *t, struct thost *h, long seq)
{
    char *payload = treport_payload(h, seq, 0, "pass"), *jws = treport_sign(h, NULL, payload);
    struct tresp r = tsrv_post(t, h, "/v1/reports", "application/jose", jws, strlen(jws));

    free(payload);
    free(jws);
    cr_assert_eq(r.status, 200, "%s", r.body);
    return cJSON_Parse(r.body);
}

static const char *ack_version(cJSON *ack)
{
    const cJSON *v = cJSON_GetObjectItem(ack, "policy_bundle");

    return cJSON_IsString(v) ? v->valuestring : "";
}

Test(policy_tls, enrolment_ack_and_signed_bundle)
{
    struct tsrv t;
    struct thost h;
    struct tresp r;
    cJSON *enrolled, *ack;
    EVP_PKEY *pub;
    char *payload = NULL, why[256], v1[32];
    size_t plen = 0;
    struct mamori_policy *pol = NULL;

    tsrv_start_with(&t, fast_checks, NULL);
    thost_new(&h, "soumu-pc-01");
    r = tsrv_enroll(&t, &h, NULL);
    cr_assert_eq(r.status, 200);
    enrolled = cJSON_Parse(r.body);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(enrolled, "policy_key")),
              "enrolment hands out the policy key: %s", r.body);
    pub = key_from_jwk(cJSON_GetObjectItem(enrolled, "policy_key"));
    ack = post_report(&t, &h, 1);
    cr_assert_str_eq(ack_version(ack), "", "no group applies yet");
    cJSON_Delete(ack);
    r = tsrv_post(&t, &h, "/v1/policy", "application/json", "{}", 2);
    cr_assert_eq(r.status, 404, "%s", r.body);

    set_group(&t, "lgwan-soumu", "lgwan", "総務課", lgwan_policy);
    import(&t, ledger_csv);
    ack = post_report(&t, &h, 2);
    snprintf(v1, sizeof(v1), "%s", ack_version(ack));
    cr_assert_eq(strncmp(v1, "b-", 2), 0, "the acknowledgement names the bundle: %s",
                 cJSON_PrintUnformatted(ack));
    cJSON_Delete(ack);

    r = tsrv_post(&t, &h, "/v1/policy", "application/json", "{}", 2);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(mamori_jws_verify(r.body, strlen(r.body), pub, &payload, &plen, why, sizeof(why)),
                 0, "%s", why);
    cr_assert_eq(mamori_bundle_parse(payload, plen, &pol, NULL, NULL), 0);
    cr_assert_str_eq(pol->version, v1, "the signed bundle is the version acknowledged");
    cr_assert_eq(pol->usb.n_allow, 1);
    cr_assert_str_eq(pol->usb.allow[0].label, "総務-USB-001");
    cr_assert_str_eq(pol->usb.allow[0].serial, "SN-1");
    mamori_policy_free(pol);
    free(payload);
    {
        char header[128];
        uint8_t raw[128];
        long n = mamori_b64url_decode(r.body, strcspn(r.body, "."), raw, sizeof(raw) - 1);

        cr_assert_gt(n, 0);
        raw[n] = '\0';
        snprintf(header, sizeof(header), "%s", (char *)raw);
        cr_assert(strstr(header, "\"typ\":\"mamori-policy+jws\"") != NULL, "%s", header);
    }

    /* The ledger changes: the next acknowledgement names another version. */
    import(&t, "管理番号,所属,VID:PID,シリアル,状態\n総務-USB-001,総務課,0781:5567,SN-1,返却済\n");
    ack = post_report(&t, &h, 3);
    cr_assert_str_neq(ack_version(ack), v1, "a returned medium changes the bundle");
    cJSON_Delete(ack);
    r = tsrv_post(&t, &h, "/v1/policy", "application/json", "{}", 2);
    cr_assert_eq(mamori_jws_verify(r.body, strlen(r.body), pub, &payload, &plen, why, sizeof(why)),
                 0, "%s", why);
    cr_assert_eq(mamori_bundle_parse(payload, plen, &pol, NULL, NULL), 0);
    cr_assert_eq(pol->usb.n_allow, 0, "the returned medium stops matching");
    mamori_policy_free(pol);
    free(payload);

    r = tsrv_post(&t, NULL, "/v1/policy", "application/json", "{}", 2);
    cr_assert_eq(r.status, 401, "no client certificate, no bundle");
    EVP_PKEY_free(pub);
    cJSON_Delete(enrolled);
    thost_free(&h);
    tsrv_stop(&t);
}

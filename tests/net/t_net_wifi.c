/* t_net_wifi.c -- the guard's Wi-Fi rules, driven through the fake Wi-Fi source.
 *
 * The kernel has no cfg80211, so Wi-Fi joins come from the fake source
 * (enforce/wifi_fake.c) exactly as NetworkManager's would: its fd wakes the
 * guard's epoll fd, the guard lists connections and disconnects the ones
 * the policy refuses.  Every test first moves its worker into a new, empty
 * network namespace so the guard's sweep can never touch the host's links. */
#include <criterion/criterion.h>

#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_guard.h"
#include "wifi_source.h"

static cJSON *events;
static struct mamori_wifi_fake fake;
static bool isolated;

static void collect(void *userdata, cJSON *event)
{
    (void)userdata;
    cJSON_AddItemToArray(events, event);
}

static const struct mamori_event_sink sink = {.fn = collect};

static void setup(void)
{
    /* Root: a plain new netns; otherwise a user namespace makes that possible. */
    isolated = unshare(CLONE_NEWNET) == 0 || unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
    events = cJSON_CreateArray();
    cr_assert_eq(mamori_wifi_fake_init(&fake), 0);
}

static void teardown(void)
{
    mamori_wifi_fake_close(&fake);
    cJSON_Delete(events);
}

TestSuite(net_wifi, .init = setup, .fini = teardown, .timeout = 30);

static struct mamori_policy *policy_from(const char *json)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;

    cr_assert_eq(mamori_policy_parse(json, strlen(json), "test", &p, &err), 0, "policy: %s",
                 err.message);
    return p;
}

static struct mamori_net_guard *guard_for(const struct mamori_policy *p)
{
    char err[256] = "";
    struct mamori_net_guard *g;

    if (!isolated)
        cr_skip_test("needs a private network namespace (root or user namespaces)");
    g = mamori_net_guard_new(p, &sink, &fake.base, err, sizeof(err));
    cr_assert_not_null(g, "guard: %s", err);
    return g;
}

/* Wait (bounded) for the guard's fd to be readable, then dispatch once. */
static int pump(struct mamori_net_guard *g)
{
    struct pollfd pfd = {.fd = mamori_net_guard_fd(g), .events = POLLIN};

    cr_assert_eq(poll(&pfd, 1, 5000), 1, "guard fd never became readable");
    return mamori_net_guard_dispatch(g);
}

static const cJSON *last_event(void)
{
    return cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1);
}

static const char *fact(const cJSON *ev, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *const lgwan_policy =
    "{\"segment\":\"lgwan\",\"network\":{\"wifi\":{\"allow_ssids\":[\"LGWAN-市役所\"],"
    "\"min_security\":\"wpa2-enterprise\"}}}";

Test(net_wifi, allowed_ssid_stays_joined)
{
    struct mamori_policy *p = policy_from(lgwan_policy);
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "LGWAN-市役所", MAMORI_WIFI_WPA2_ENTERPRISE);
    cr_assert_eq(pump(g), 0);
    cr_assert_eq(fake.n_conns, 1);
    cr_assert_eq(fake.n_disconnected, 0);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, unknown_ssid_disconnected_with_facts)
{
    struct mamori_policy *p = policy_from(lgwan_policy);
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "Cafe-Free", MAMORI_WIFI_WPA3_ENTERPRISE);
    cr_assert_eq(pump(g), 1);
    cr_assert_eq(fake.n_conns, 0);
    cr_assert_str_eq(fake.disconnected[0], "wlan0");
    cr_assert_str_eq(cJSON_GetObjectItem(last_event(), "type")->valuestring, "net.refused");
    cr_assert_str_eq(fact(last_event(), "ssid"), "Cafe-Free");
    cr_assert_str_eq(fact(last_event(), "reason"), "ssid_not_allowed");
    cr_assert_str_eq(fact(last_event(), "interface"), "wlan0");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, weak_security_disconnected)
{
    struct mamori_policy *p = policy_from(lgwan_policy);
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "LGWAN-市役所", MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(pump(g), 1);
    cr_assert_eq(fake.n_disconnected, 1);
    cr_assert_str_eq(fact(last_event(), "reason"), "weak_security");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, mynumber_refuses_every_network)
{
    struct mamori_policy *p = policy_from("{\"segment\":\"mynumber\",\"network\":{\"wifi\":{"
                                          "\"allowed\":true,\"allow_ssids\":[\"LGWAN-市役所\"]}}}");
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "LGWAN-市役所", MAMORI_WIFI_WPA3_ENTERPRISE);
    cr_assert_eq(pump(g), 1);
    cr_assert_eq(fake.n_conns, 0);
    cr_assert_str_eq(fact(last_event(), "reason"), "wireless_refused");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, audit_mode_stays_joined)
{
    struct mamori_policy *p =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"mode\":\"audit\",\"wifi\":{"
                    "\"allow_ssids\":[\"LGWAN-市役所\"]}}}");
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "Cafe-Free", MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(pump(g), 1);
    cr_assert_eq(fake.n_conns, 1, "audit mode disconnected");
    cr_assert_str_eq(cJSON_GetObjectItem(last_event(), "type")->valuestring, "net.would_refuse");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, sweep_and_policy_change_judge_existing_connections)
{
    struct mamori_policy *loose = policy_from("{\"segment\":\"internet\",\"network\":{\"wifi\":{"
                                              "\"allow_ssids\":[\"Home\",\"Office\"]}}}");
    struct mamori_policy *strict = policy_from("{\"segment\":\"internet\",\"network\":{\"wifi\":{"
                                               "\"allow_ssids\":[\"Office\"]}}}");
    struct mamori_net_guard *g = guard_for(loose);

    mamori_wifi_fake_join(&fake, "wlan0", "Home", MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(mamori_net_guard_sweep(g), 0);
    cr_assert_eq(fake.n_conns, 1);
    mamori_net_guard_set_policy(g, strict);
    cr_assert_eq(fake.n_conns, 0, "new policy did not apply to the joined network");
    cJSON *state = mamori_net_guard_state(g);
    cr_assert_eq(cJSON_GetObjectItem(state, "refused")->valueint, 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(state, "recent")), 1);
    cJSON_Delete(state);
    mamori_net_guard_free(g);
    mamori_policy_free(loose);
    mamori_policy_free(strict);
}

Test(net_wifi, a_network_still_joined_is_reported_once_per_join)
{
    struct mamori_policy *p =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"mode\":\"audit\",\"wifi\":{"
                    "\"allow_ssids\":[\"LGWAN-市役所\"],\"min_security\":\"wpa2-psk\"}}}");
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "Cafe-Free", MAMORI_WIFI_OPEN);
    cr_assert_eq(pump(g), 1);
    /* A real source wakes the guard for other reasons while Cafe-Free stays. */
    mamori_wifi_fake_join(&fake, "wlan1", "LGWAN-市役所", MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(pump(g), 0, "a network already reported was reported again");
    cr_assert_eq(cJSON_GetArraySize(events), 1);
    /* Left and joined again: a new join, a new event. */
    fake.base.ops->disconnect(&fake.base, "wlan0");
    mamori_wifi_fake_join(&fake, "wlan1", "LGWAN-市役所", MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(pump(g), 0);
    mamori_wifi_fake_join(&fake, "wlan0", "Cafe-Free", MAMORI_WIFI_OPEN);
    cr_assert_eq(pump(g), 1);
    cr_assert_eq(cJSON_GetArraySize(events), 2);
    /* A sweep (policy change) judges everything afresh. */
    cr_assert_eq(mamori_net_guard_sweep(g), 1);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_wifi, status_describes_the_source_and_what_is_joined)
{
    struct mamori_policy *p = policy_from(lgwan_policy);
    struct mamori_net_guard *g = guard_for(p);

    mamori_wifi_fake_join(&fake, "wlan0", "LGWAN-市役所", MAMORI_WIFI_WPA3_ENTERPRISE);
    cr_assert_eq(pump(g), 0);
    cJSON *st = mamori_net_guard_state(g);
    cJSON *src = cJSON_GetObjectItem(st, "wifi_source");
    cr_assert_str_eq(cJSON_GetObjectItem(src, "source")->valuestring, "fake");
    cr_assert_str_eq(cJSON_GetObjectItem(src, "state")->valuestring, "running");
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(src, "connections"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(c, "ssid")->valuestring, "LGWAN-市役所");
    cr_assert_str_eq(cJSON_GetObjectItem(c, "security")->valuestring, "wpa3-enterprise");
    cJSON_Delete(st);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

/* net.only_approved in the agent: the live source's networks are judged too. */
static cJSON *run_check_with(const struct mamori_policy *p, const struct mamori_wifi_source *src)
{
    char root[4096];
    struct mamori_check_ctx ctx = {.policy = p, .now = time(NULL), .wifi = src};
    struct mamori_check_result r;

    snprintf(root, sizeof(root), "%s/net-ok", getenv("MAMORI_FIXTURES"));
    ctx.root = root;
    mamori_check_run(mamori_check_find("net.only_approved"), &ctx, &r);
    cJSON *json = mamori_check_result_json(mamori_check_find("net.only_approved"), &r);
    mamori_check_result_clear(&r);
    return json;
}

Test(net_wifi, check_judges_networks_joined_now)
{
    struct mamori_policy *p = policy_from(lgwan_policy);

    mamori_wifi_fake_join(&fake, "wlan0", "Cafe-Free", MAMORI_WIFI_OPEN);
    cJSON *res = run_check_with(p, &fake.base);
    cr_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring, "fail");
    cJSON *ev = cJSON_GetObjectItem(res, "evidence");
    cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "findings"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(f, "ssid")->valuestring, "Cafe-Free");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(f, "joined")));
    cr_assert_str_eq(cJSON_GetObjectItem(f, "reason")->valuestring, "ssid_not_allowed");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "wifi_source"), "state")->valuestring,
        "running");
    cJSON_Delete(res);

    res = run_check_with(p, NULL); /* mamorictl check: no live source, no such evidence */
    cr_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring, "pass");
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "evidence"), "wifi_source"));
    cJSON_Delete(res);
    mamori_policy_free(p);
}

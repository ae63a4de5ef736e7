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
#include <string.h>
#include <unistd.h>

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

/* t_net_guard.c -- the network guard against a real kernel, inside a private netns.
 *
 * Each test runs in its own network namespace with veth pairs it creates
 * (netns_fixture.c), drives the guard the way the agent's epoll loop does,
 * and checks the kernel's link state.  Waits are bounded (5 s) and only
 * decide pass/fail, they never measure time.  Needs root; skips otherwise. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net_guard.h"
#include "netns_fixture.h"
#include "policy.h"

#define BOUND_MS 5000

static bool have_netns;
static char sysfs_tmp[64]; /* a fake sysfs tree made by the test, removed in .fini */

static void setup(void)
{
    have_netns = netns_fixture_init();
}

static void teardown(void)
{
    if (sysfs_tmp[0] != '\0')
        netns_sh("rm -rf %s", sysfs_tmp);
    netns_fixture_fini();
}

#define NEED_NETNS()                                                                               \
    do {                                                                                           \
        if (!have_netns)                                                                           \
            cr_skip_test("needs root: creates a network namespace and veth pairs");                \
    } while (0)

TestSuite(net_guard, .init = setup, .fini = teardown, .timeout = 60);

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
    struct mamori_net_guard *g = mamori_net_guard_new(p, &netns_sink, NULL, err, sizeof(err));

    cr_assert_not_null(g, "guard: %s", err);
    return g;
}

static bool is_down(void *ifname)
{
    return netns_link_up(ifname) == 0;
}

static const char *const only_mtok =
    "{\"segment\":\"lgwan\",\"network\":{\"interfaces\":[{\"name\":\"mtok*\"}]}}";

Test(net_guard, approved_stays_up_unapproved_goes_down)
{
    NEED_NETNS();
    struct mamori_policy *p = policy_from(only_mtok);
    struct mamori_net_guard *g = guard_for(p);

    cr_assert_geq(mamori_net_guard_sweep(g), 0);
    cr_assert_eq(netns_sh("ip link set mtok0 up && ip link set mtbad0 up"), 0);
    cr_assert(netns_pump_until(g, is_down, "mtbad0", BOUND_MS), "mtbad0 still up after 5 s");
    /* Both came up before the guard ran: the events for mtok0 were handled too. */
    cr_assert_eq(netns_link_up("mtok0"), 1, "approved mtok0 was brought down");
    cr_assert_eq(netns_count_events(MAMORI_EV_NET_REFUSED, "mtok0"), 0);

    const cJSON *ev = netns_last_event(MAMORI_EV_NET_REFUSED, "mtbad0");
    cr_assert_not_null(ev, "no net.refused event for mtbad0");
    const cJSON *facts = cJSON_GetObjectItem(ev, "facts");
    cr_assert_str_eq(cJSON_GetObjectItem(facts, "reason")->valuestring, "not_listed");
    cr_assert_str_eq(cJSON_GetObjectItem(facts, "bus")->valuestring, "virtual");
    cr_assert_eq(strlen(cJSON_GetObjectItem(facts, "mac")->valuestring), 17, "MAC missing");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(facts, "actions"), "link_down")->valuestring,
        "done");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, sweep_refuses_links_already_up)
{
    NEED_NETNS();
    struct mamori_policy *p = policy_from(only_mtok);

    cr_assert_eq(netns_sh("ip link set mtbad0 up"), 0);
    struct mamori_net_guard *g = guard_for(p);
    cr_assert_geq(mamori_net_guard_sweep(g), 1);
    cr_assert_eq(netns_link_up("mtbad0"), 0, "sweep left mtbad0 up");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, reupped_link_is_brought_down_every_time)
{
    NEED_NETNS();
    struct mamori_policy *p = policy_from(only_mtok);
    struct mamori_net_guard *g = guard_for(p);

    mamori_net_guard_sweep(g);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(netns_sh("ip link set mtbad0 up"), 0);
        cr_assert(netns_pump_until(g, is_down, "mtbad0", BOUND_MS), "flap %d: still up", i);
    }
    /* One refusal per flap: stale "up" events queued before our "down" are not new ones. */
    cr_assert_eq(netns_count_events(MAMORI_EV_NET_REFUSED, "mtbad0"), 20);
    cJSON *state = mamori_net_guard_state(g);
    cr_assert_geq(cJSON_GetObjectItem(state, "refused")->valuedouble, 20);
    cJSON_Delete(state);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

static bool has_would_refuse(void *ifname)
{
    return netns_count_events(MAMORI_EV_NET_WOULD_REFUSE, ifname) > 0;
}

Test(net_guard, audit_mode_only_records)
{
    NEED_NETNS();
    struct mamori_policy *p = policy_from("{\"segment\":\"lgwan\",\"network\":{\"mode\":\"audit\","
                                          "\"interfaces\":[{\"name\":\"mtok*\"}]}}");
    struct mamori_net_guard *g = guard_for(p);

    mamori_net_guard_sweep(g);
    cr_assert_eq(netns_sh("ip link set mtbad0 up"), 0);
    cr_assert(netns_pump_until(g, has_would_refuse, "mtbad0", BOUND_MS), "no would_refuse");
    /* Carrier and address changes of the same up link are not new refusals. */
    cr_assert_eq(netns_sh("ip link set mtbad1 up && ip addr add 192.0.2.9/24 dev mtbad0"), 0);
    netns_pump_until(g, is_down, "mtbad0", 300);
    cr_assert_eq(netns_count_events(MAMORI_EV_NET_WOULD_REFUSE, "mtbad0"), 1);
    cr_assert_eq(netns_link_up("mtbad0"), 1, "audit mode brought the link down");
    cr_assert_eq(netns_count_events(MAMORI_EV_NET_REFUSED, "mtbad0"), 0);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, policy_change_takes_effect_without_restart)
{
    NEED_NETNS();
    struct mamori_policy *loose =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"interfaces\":[{\"name\":\"mt*\"}]}}");
    struct mamori_policy *strict = policy_from(only_mtok);
    struct mamori_net_guard *g = guard_for(loose);

    mamori_net_guard_sweep(g);
    cr_assert_eq(netns_sh("ip link set mtbad0 up && ip link set mtok0 up"), 0);
    /* Drain the up events under the loose policy: nothing may be refused. */
    cr_assert_not(netns_pump_until(g, is_down, "mtbad0", 300), "loose policy refused mtbad0");
    mamori_net_guard_set_policy(g, strict);
    mamori_policy_free(loose);
    cr_assert(netns_pump_until(g, is_down, "mtbad0", BOUND_MS), "new policy not applied");
    cr_assert_eq(netns_link_up("mtok0"), 1);
    mamori_net_guard_free(g);
    mamori_policy_free(strict);
}

static bool is_mtok0_down(void *unused)
{
    (void)unused;
    return netns_link_up("mtok0") == 0;
}

Test(net_guard, default_route_through_virtual_interface_refused)
{
    NEED_NETNS();
    /* lgwan without a list: virtual links may be up, but not carry the default route. */
    struct mamori_policy *p = policy_from("{\"segment\":\"lgwan\"}");
    struct mamori_net_guard *g = guard_for(p);

    mamori_net_guard_sweep(g);
    cr_assert_eq(netns_sh("ip link set mtok0 up"), 0);
    cr_assert_not(netns_pump_until(g, is_mtok0_down, NULL, 300), "link alone was refused");
    /* TEST-NET-1 addresses, inside the private namespace only; no packet is sent. */
    cr_assert_eq(netns_sh("ip addr add 192.0.2.1/24 dev mtok0 && ip route add default dev mtok0"),
                 0);
    cr_assert(netns_pump_until(g, is_mtok0_down, NULL, BOUND_MS), "default route left up");
    const cJSON *ev = netns_last_event(MAMORI_EV_NET_REFUSED, "mtok0");
    cr_assert_not_null(ev);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "reason")->valuestring,
                     "default_route");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

/* A sysfs tree where "mtbad0" is a CDC Ethernet adapter on USB interface 1-1:1.0. */
static void make_usb_sysfs(char *root, size_t size)
{
    snprintf(root, size, "/tmp/mamori-t-sysfs-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(sysfs_tmp, sizeof(sysfs_tmp), "%s", root);
    cr_assert_eq(netns_sh("cd %s && d=sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0 && "
                          "mkdir -p $d sys/bus/usb/drivers/cdc_ether sys/class/net/mtbad0 && "
                          "echo 1 > $d/authorized && "
                          "ln -s ../../../../../../bus/usb $d/subsystem && "
                          "ln -s ../../../../../../bus/usb/drivers/cdc_ether $d/driver && "
                          "ln -s ../../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0 "
                          "sys/class/net/mtbad0/device",
                          root),
                 0);
}

Test(net_guard, usb_adapter_is_deauthorized)
{
    NEED_NETNS();
    char root[64], path[256], buf[8] = "";
    struct mamori_policy *p =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"interfaces\":[{\"name\":\"mt*\"}]}}");
    struct mamori_net_guard *g = guard_for(p);

    make_usb_sysfs(root, sizeof(root));
    mamori_net_guard_set_sysfs_root(g, root);
    mamori_net_guard_sweep(g);
    cr_assert_eq(netns_sh("ip link set mtbad0 up"), 0);
    cr_assert(netns_pump_until(g, is_down, "mtbad0", BOUND_MS), "USB adapter left up");

    snprintf(path, sizeof(path),
             "%s/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/authorized", root);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    cr_assert_eq(buf[0], '0', "authorized is %s", buf);

    const cJSON *facts =
        cJSON_GetObjectItem(netns_last_event(MAMORI_EV_NET_REFUSED, "mtbad0"), "facts");
    cr_assert_str_eq(cJSON_GetObjectItem(facts, "reason")->valuestring, "usb_adapter");
    cr_assert_str_eq(cJSON_GetObjectItem(facts, "bus")->valuestring, "usb");
    cr_assert_str_eq(cJSON_GetObjectItem(facts, "driver")->valuestring, "cdc_ether");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, ipv6_default_route_present_at_start_is_refused_by_sweep)
{
    NEED_NETNS();
    /* lgwan preset: both veths may be up, only the one carrying ::/0 is refused. */
    struct mamori_policy *p = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);

    cr_assert_eq(netns_sh("ip link set mtok0 up && ip link set mtbad0 up && "
                          "ip -6 route add default dev mtok0"),
                 0);
    struct mamori_net_guard *g = guard_for(p);
    cr_assert_eq(mamori_net_guard_sweep(g), 1);
    cr_assert_eq(netns_link_up("mtok0"), 0, "link with the default route left up");
    cr_assert_eq(netns_link_up("mtbad0"), 1);
    const cJSON *ev = netns_last_event(MAMORI_EV_NET_REFUSED, "mtok0");
    cr_assert_not_null(ev);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "reason")->valuestring,
                     "default_route");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, usb_adapter_present_but_down_is_deauthorized_at_sweep)
{
    NEED_NETNS();
    char root[64], path[256], buf[8] = "";
    struct mamori_policy *p = mamori_policy_preset(MAMORI_SEGMENT_INTERNET);
    struct mamori_net_guard *g = guard_for(p);

    make_usb_sysfs(root, sizeof(root));
    mamori_net_guard_set_sysfs_root(g, root);
    cr_assert_eq(mamori_net_guard_sweep(g), 1, "exactly the USB adapter is refused");
    snprintf(path, sizeof(path),
             "%s/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/authorized", root);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    cr_assert_eq(buf[0], '0');
    /* Already deauthorized and down: a second sweep does nothing more. */
    cr_assert_eq(mamori_net_guard_sweep(g), 0);
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

Test(net_guard, wireless_link_refused_on_mynumber)
{
    NEED_NETNS();
    char root[64];
    struct mamori_policy *p = policy_from("{\"segment\":\"mynumber\",\"network\":{"
                                          "\"interfaces\":[{\"name\":\"mt*\"}]}}");
    struct mamori_net_guard *g = guard_for(p);

    snprintf(root, sizeof(root), "/tmp/mamori-t-sysfs-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(sysfs_tmp, sizeof(sysfs_tmp), "%s", root);
    cr_assert_eq(netns_sh("mkdir -p %s/sys/class/net/mtbad0/wireless", root), 0);
    mamori_net_guard_set_sysfs_root(g, root);
    mamori_net_guard_sweep(g);
    cr_assert_eq(netns_sh("ip link set mtbad0 up && ip link set mtok0 up"), 0);
    cr_assert(netns_pump_until(g, is_down, "mtbad0", BOUND_MS), "wireless link left up");
    cr_assert_eq(netns_link_up("mtok0"), 1);
    const cJSON *ev = netns_last_event(MAMORI_EV_NET_REFUSED, "mtbad0");
    cr_assert_not_null(ev);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "reason")->valuestring,
                     "wireless_refused");
    mamori_net_guard_free(g);
    mamori_policy_free(p);
}

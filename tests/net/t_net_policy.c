/* t_net_policy.c -- interface facts from sysfs fixtures, the policy's judgement,
 * and the net.only_approved check over fixture trees (no root needed). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "net_iface.h"
#include "policy.h"
#include "wifi_nm_profile.h"

extern const struct mamori_check mamori_check_net_only_approved;

static char fixture_ok[512], fixture_bad[512];

static void setup(void)
{
    const char *fx = getenv("MAMORI_FIXTURES");

    cr_assert_not_null(fx, "MAMORI_FIXTURES not set");
    snprintf(fixture_ok, sizeof(fixture_ok), "%s/net-ok", fx);
    snprintf(fixture_bad, sizeof(fixture_bad), "%s/net-bad", fx);
}

TestSuite(net_policy, .init = setup);

static struct mamori_policy *policy_from(const char *json)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;

    cr_assert_eq(mamori_policy_parse(json, strlen(json), "test", &p, &err), 0, "policy: %s",
                 err.message);
    return p;
}

static struct mamori_net_facts facts_of(const char *root, const char *ifname)
{
    struct mamori_net_facts f = {0};

    cr_assert_eq(mamori_net_facts_read(root, ifname, &f), 0, "facts of %s", ifname);
    return f;
}

Test(net_policy, facts_from_sysfs)
{
    struct mamori_net_facts eth = facts_of(fixture_bad, "enp0s31f6");
    struct mamori_net_facts usb = facts_of(fixture_bad, "usb0");
    struct mamori_net_facts wifi = facts_of(fixture_bad, "wlp0s20f3");
    struct mamori_net_facts tun = facts_of(fixture_bad, "tun0");

    cr_assert_str_eq(eth.mac, "3c:52:82:00:00:01", "MAC is lower-cased");
    cr_assert_str_eq(eth.bus, "pci");
    cr_assert_str_eq(eth.driver, "e1000e");
    cr_assert_not(eth.wireless);
    cr_assert_str_eq(eth.usb_interface, "");
    cr_assert_str_eq(usb.bus, "usb");
    cr_assert_str_eq(usb.driver, "cdc_ether");
    cr_assert_not_null(strstr(usb.usb_interface, "/usb1/1-1/1-1:1.0"));
    cr_assert(wifi.wireless);
    cr_assert_str_eq(wifi.driver, "iwlwifi");
    cr_assert_str_eq(tun.bus, "virtual");
    cr_assert_str_eq(tun.mac, "", "tun has no MAC");
}

Test(net_policy, hostile_names_rejected)
{
    struct mamori_net_facts f = {0};

    cr_assert_eq(mamori_net_facts_read(fixture_bad, "../../etc", &f), -1);
    cr_assert_eq(mamori_net_facts_read(fixture_bad, "..", &f), -1);
    cr_assert_eq(mamori_net_facts_read(fixture_bad, "", &f), -1);
    cr_assert_eq(mamori_net_facts_read(fixture_bad, "averyveryverylongname0", &f), -1);
}

Test(net_policy, entry_must_match_every_given_field)
{
    struct mamori_policy *p =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"interfaces\":["
                    "{\"name\":\"enp*\",\"mac\":\"3C:52:82:00:00:01\",\"driver\":\"e1000e\"}]}}");
    struct mamori_net_facts eth = facts_of(fixture_bad, "enp0s31f6");

    cr_assert_eq(mamori_net_judge_interface(p, &eth), MAMORI_NET_OK);
    snprintf(eth.driver, sizeof(eth.driver), "r8169");
    cr_assert_eq(mamori_net_judge_interface(p, &eth), MAMORI_NET_NOT_LISTED, "driver differs");
    eth = facts_of(fixture_bad, "enp0s31f6");
    snprintf(eth.mac, sizeof(eth.mac), "3c:52:82:00:00:02");
    cr_assert_eq(mamori_net_judge_interface(p, &eth), MAMORI_NET_NOT_LISTED, "MAC differs");
    eth = facts_of(fixture_bad, "enp0s31f6");
    snprintf(eth.name, sizeof(eth.name), "eth0");
    cr_assert_eq(mamori_net_judge_interface(p, &eth), MAMORI_NET_NOT_LISTED, "name differs");
    mamori_policy_free(p);
}

Test(net_policy, loopback_always_allowed)
{
    struct mamori_policy *p = policy_from("{\"segment\":\"mynumber\",\"network\":{\"interfaces\":[{"
                                          "\"mac\":\"02:00:00:00:00:09\"}]}}");
    struct mamori_net_facts lo = facts_of(fixture_bad, "lo");

    cr_assert_eq(mamori_net_judge_interface(p, &lo), MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_default_route(p, &lo), MAMORI_NET_OK);
    mamori_policy_free(p);
}

Test(net_policy, usb_adapter_refused_even_when_listed)
{
    struct mamori_policy *refuse =
        policy_from("{\"segment\":\"internet\",\"network\":{\"interfaces\":[{\"name\":\"*\"}]}}");
    struct mamori_policy *allow = policy_from("{\"segment\":\"internet\",\"network\":{"
                                              "\"usb_network\":\"allow\","
                                              "\"interfaces\":[{\"name\":\"usb*\"}]}}");
    struct mamori_net_facts usb = facts_of(fixture_bad, "usb0");

    cr_assert_eq(mamori_net_judge_interface(refuse, &usb), MAMORI_NET_USB_ADAPTER);
    cr_assert_eq(mamori_net_judge_interface(allow, &usb), MAMORI_NET_OK);
    mamori_policy_free(refuse);
    mamori_policy_free(allow);
}

Test(net_policy, mynumber_refuses_all_wireless)
{
    struct mamori_policy *p = policy_from("{\"segment\":\"mynumber\",\"network\":{"
                                          "\"interfaces\":[{\"name\":\"*\"}],"
                                          "\"wifi\":{\"allowed\":true,\"allow_ssids\":[\"A\"],"
                                          "\"min_security\":\"open\"}}}");
    struct mamori_net_facts wifi = facts_of(fixture_bad, "wlp0s20f3");

    cr_assert_eq(mamori_net_judge_interface(p, &wifi), MAMORI_NET_WIRELESS_REFUSED);
    cr_assert_eq(mamori_net_judge_wifi(p, "A", MAMORI_WIFI_WPA3_ENTERPRISE),
                 MAMORI_NET_WIRELESS_REFUSED);
    mamori_policy_free(p);
}

Test(net_policy, wifi_allow_list_and_minimum_security)
{
    struct mamori_policy *p =
        policy_from("{\"segment\":\"lgwan\",\"network\":{\"wifi\":{"
                    "\"allow_ssids\":[\"LGWAN-市役所\"],\"min_security\":\"wpa2-enterprise\"}}}");

    cr_assert_eq(mamori_net_judge_wifi(p, "LGWAN-市役所", MAMORI_WIFI_WPA2_ENTERPRISE),
                 MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_wifi(p, "LGWAN-市役所", MAMORI_WIFI_WPA3_ENTERPRISE),
                 MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_wifi(p, "LGWAN-市役所", MAMORI_WIFI_WPA2_PSK),
                 MAMORI_NET_WEAK_SECURITY);
    cr_assert_eq(mamori_net_judge_wifi(p, "Cafe-Free", MAMORI_WIFI_WPA3_ENTERPRISE),
                 MAMORI_NET_SSID_NOT_ALLOWED);
    cr_assert_eq(mamori_net_judge_wifi(p, "lgwan-市役所", MAMORI_WIFI_WPA2_ENTERPRISE),
                 MAMORI_NET_SSID_NOT_ALLOWED, "SSIDs compare exactly");
    mamori_policy_free(p);
}

Test(net_policy, empty_ssid_list_allows_no_network)
{
    struct mamori_policy *p = mamori_policy_preset(MAMORI_SEGMENT_INTERNET);

    cr_assert_eq(mamori_net_judge_wifi(p, "Any", MAMORI_WIFI_WPA3_ENTERPRISE),
                 MAMORI_NET_SSID_NOT_ALLOWED);
    mamori_policy_free(p);
}

Test(net_policy, empty_interface_list_per_segment)
{
    struct mamori_policy *my = mamori_policy_preset(MAMORI_SEGMENT_MYNUMBER);
    struct mamori_policy *lg = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    struct mamori_policy *in = mamori_policy_preset(MAMORI_SEGMENT_INTERNET);
    struct mamori_net_facts eth = facts_of(fixture_bad, "enp0s31f6");
    struct mamori_net_facts tun = facts_of(fixture_bad, "tun0");

    cr_assert_eq(mamori_net_judge_interface(my, &eth), MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_interface(my, &tun), MAMORI_NET_NOT_LISTED);
    cr_assert_eq(mamori_net_judge_interface(lg, &tun), MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_default_route(lg, &eth), MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_default_route(lg, &tun), MAMORI_NET_DEFAULT_ROUTE);
    cr_assert_eq(mamori_net_judge_default_route(in, &tun), MAMORI_NET_OK, "internet: allowed");
    mamori_policy_free(my);
    mamori_policy_free(lg);
    mamori_policy_free(in);
}

Test(net_policy, route_rule_applies_on_mynumber_even_if_allowed)
{
    struct mamori_policy *p = policy_from("{\"segment\":\"mynumber\",\"network\":{"
                                          "\"internet_route\":\"allow\","
                                          "\"interfaces\":[{\"name\":\"enp*\"}]}}");
    struct mamori_net_facts eth = facts_of(fixture_bad, "enp0s31f6");
    struct mamori_net_facts tun = facts_of(fixture_bad, "tun0");

    cr_assert(mamori_net_route_rule_applies(p));
    cr_assert_eq(mamori_net_judge_default_route(p, &eth), MAMORI_NET_OK);
    cr_assert_eq(mamori_net_judge_default_route(p, &tun), MAMORI_NET_DEFAULT_ROUTE);
    mamori_policy_free(p);
}

/* ---- the net.only_approved check ------------------------------------- */

static enum mamori_verdict run_check(const char *root, const char *policy_json,
                                     struct mamori_check_result *r)
{
    struct mamori_policy *p = policy_from(policy_json);
    struct mamori_check_ctx ctx = {.root = root, .policy = p, .now = 0};

    mamori_check_run(&mamori_check_net_only_approved, &ctx, r);
    mamori_policy_free(p);
    return r->verdict;
}

static bool has_finding(const struct mamori_check_result *r, const char *ifname, const char *reason)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, cJSON_GetObjectItem(r->evidence, "findings"))
    {
        const cJSON *name = cJSON_GetObjectItem(f, "profile");
        if (name == NULL)
            name = cJSON_GetObjectItem(f, "interface");
        if (strcmp(name->valuestring, ifname) == 0 &&
            strcmp(cJSON_GetObjectItem(f, "reason")->valuestring, reason) == 0)
            return true;
    }
    return false;
}

Test(net_policy, check_passes_on_approved_machine)
{
    struct mamori_check_result r;

    cr_assert_eq(run_check(fixture_ok,
                           "{\"segment\":\"mynumber\",\"network\":{\"interfaces\":"
                           "[{\"mac\":\"3c:52:82:00:00:01\"}]}}",
                           &r),
                 MAMORI_PASS, "%s", r.detail_en);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.evidence, "interfaces")), 2);
    mamori_check_result_clear(&r);
}

Test(net_policy, check_fails_on_tethering_wifi_and_tunnel_route)
{
    struct mamori_check_result r;

    cr_assert_eq(run_check(fixture_bad,
                           "{\"segment\":\"mynumber\",\"network\":{\"interfaces\":"
                           "[{\"mac\":\"3c:52:82:00:00:01\"}]}}",
                           &r),
                 MAMORI_FAIL);
    cr_assert(has_finding(&r, "usb0", "usb_adapter"));
    cr_assert(has_finding(&r, "wlp0s20f3", "wireless_refused"));
    cr_assert(has_finding(&r, "tun0", "not_listed"));
    cr_assert(has_finding(&r, "usb0", "default_route"), "IPv4 default via usb0");
    cr_assert(has_finding(&r, "tun0", "default_route"), "IPv6 default via tun0");
    cr_assert_not(has_finding(&r, "enp0s31f6", "not_listed"));
    cr_assert_not(has_finding(&r, "lo", "default_route"), "kernel's ::/0 reject route on lo");
    mamori_check_result_clear(&r);
}

Test(net_policy, check_internet_segment_allows_route_but_not_tethering)
{
    struct mamori_check_result r;

    cr_assert_eq(run_check(fixture_bad,
                           "{\"segment\":\"internet\",\"network\":{\"wifi\":{\"allow_ssids\":"
                           "[\"CityHall\"]}}}",
                           &r),
                 MAMORI_FAIL);
    cr_assert(has_finding(&r, "usb0", "usb_adapter"));
    cr_assert_not(has_finding(&r, "usb0", "default_route"));
    cr_assert_not(has_finding(&r, "wlp0s20f3", "wireless_refused"));
    cr_assert_not(has_finding(&r, "tun0", "default_route"));
    mamori_check_result_clear(&r);
}

Test(net_policy, check_not_applicable_without_sysfs)
{
    struct mamori_check_result r;

    cr_assert_eq(run_check("/nonexistent-mamori-root", "{\"segment\":\"lgwan\"}", &r),
                 MAMORI_NOT_APPLICABLE);
    mamori_check_result_clear(&r);
}

Test(net_policy, check_error_when_sysfs_is_not_a_directory)
{
    struct mamori_check_result r;
    char root[64] = "/tmp/mamori-t-netfile-XXXXXX", path[128];

    cr_assert_not_null(mkdtemp(root));
    snprintf(path, sizeof(path), "%s/sys", root);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/sys/class", root);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/sys/class/net", root);
    FILE *f = fopen(path, "w"); /* a file where the directory should be */
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(run_check(root, "{\"segment\":\"lgwan\"}", &r), MAMORI_ERROR);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sys/class", root);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/sys", root);
    rmdir(path);
    rmdir(root);
    mamori_check_result_clear(&r);
}

/* ---- saved Wi-Fi profiles -------------------------------------------- */

static struct mamori_wifi_profile profile_of(const char *text, int expect_rc)
{
    struct mamori_wifi_profile prof;

    cr_assert_eq(mamori_wifi_profile_parse(text, strlen(text), &prof), expect_rc);
    return prof;
}

Test(net_policy, profile_plain_and_byte_list_ssids)
{
    struct mamori_wifi_profile a = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=LGWAN-市役所\n"
                                              "[wifi-security]\nkey-mgmt=wpa-eap-suite-b-192\n",
                                              0);
    struct mamori_wifi_profile b = profile_of("[connection]\r\ntype = 802-11-wireless\r\n"
                                              "[802-11-wireless]\r\nssid=72;105;\r\n"
                                              "[802-11-wireless-security]\r\nkey-mgmt=sae\r\n",
                                              0);

    cr_assert(a.is_wifi);
    cr_assert_str_eq(a.ssid, "LGWAN-市役所");
    cr_assert_eq(a.security, MAMORI_WIFI_WPA3_ENTERPRISE);
    cr_assert(b.is_wifi);
    cr_assert_str_eq(b.ssid, "Hi");
    cr_assert_eq(b.security, MAMORI_WIFI_WPA3_PSK);
}

Test(net_policy, profile_security_mapping_fails_closed)
{
    cr_assert_eq(profile_of("[connection]\ntype=wifi\n[wifi]\nssid=X\n", 0).security,
                 MAMORI_WIFI_OPEN, "no security section = open");
    cr_assert_eq(profile_of("[connection]\ntype=wifi\n[wifi]\nssid=X\n[wifi-security]\n"
                            "key-mgmt=none\nwep-key0=abc\n",
                            0)
                     .security,
                 MAMORI_WIFI_OPEN, "WEP counts as open");
    cr_assert_eq(profile_of("[connection]\ntype=wifi\n[wifi]\nssid=X\n[wifi-security]\n"
                            "key-mgmt=owe\n",
                            0)
                     .security,
                 MAMORI_WIFI_OPEN, "OWE has no authentication");
}

Test(net_policy, profile_odd_input)
{
    struct mamori_wifi_profile p = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=\n", -1);
    cr_assert_str_eq(p.ssid, "");
    p = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=256;\n", -1);
    p = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=0123456789abcdef0123456789abcdefX\n",
                   -1); /* 33 bytes */
    p = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=0;\n", 0);
    cr_assert_str_eq(p.ssid, "\\x00", "a NUL byte is shown, not dropped");
    p = profile_of("[connection]\ntype=wifi\n[wifi]\nssid=1;255;\n", 0);
    cr_assert_str_eq(p.ssid, "\\x01\\xff", "control and invalid UTF-8 bytes are escaped");
    p = profile_of("[connection]\ntype=ethernet\n[wifi]\nssid=X\n", 0);
    cr_assert_not(p.is_wifi);
    p = profile_of("", 0);
    cr_assert_not(p.is_wifi);
}

Test(net_policy, check_judges_saved_wifi_profiles_without_secrets)
{
    struct mamori_check_result r;

    cr_assert_eq(run_check(fixture_bad,
                           "{\"segment\":\"internet\",\"network\":{\"usb_network\":\"allow\","
                           "\"wifi\":{\"allow_ssids\":[\"CityHall\",\"Home\"],"
                           "\"min_security\":\"wpa2-enterprise\"}}}",
                           &r),
                 MAMORI_FAIL);
    cr_assert(has_finding(&r, "Cafe-Free.nmconnection", "ssid_not_allowed"));
    cr_assert(has_finding(&r, "Home.nmconnection", "weak_security"));
    cr_assert_not(has_finding(&r, "CityHall.nmconnection", "ssid_not_allowed"));
    cr_assert_not(has_finding(&r, "Wired.nmconnection", "ssid_not_allowed"));
    char *text = cJSON_PrintUnformatted(r.evidence);
    cr_assert_null(strstr(text, "do-not-report-me"), "a Wi-Fi secret reached the evidence");
    cr_assert_null(strstr(text, "staff01"), "an 802.1X identity reached the evidence");
    free(text);
    mamori_check_result_clear(&r);
}

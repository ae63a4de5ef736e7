/* t_usb_check.c -- the usb.storage_blocked check over a umockdev sysfs:
 * it must see what the enforcer did (and what it failed to do). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "usb_testbed.h"

static const struct test_iface STORAGE[] = {{0x08, 0x06, 0x50}};
static const struct test_iface HID[] = {{0x03, 0x01, 0x01}};

static UMockdevTestbed *tb;
static char *hub;
static struct mamori_policy *pol;

static void setup(void)
{
    tb = umockdev_testbed_new();
    hub = test_usb_add_root_hub(tb);
    pol = mamori_policy_preset(MAMORI_SEGMENT_MYNUMBER);
}

static void teardown(void)
{
    mamori_policy_free(pol);
    g_free(hub);
    g_object_unref(tb);
}

TestSuite(usb_check, .init = setup, .fini = teardown);

static char *add(const char *name, uint16_t vid, const struct test_iface *ifaces)
{
    struct test_usb t = {.name = name,
                         .parent = hub,
                         .vid = vid,
                         .pid = 1,
                         .serial = "S",
                         .product = "dev",
                         .ifaces = ifaces,
                         .n_ifaces = 1,
                         .create_interface_dirs = 1};

    return test_usb_add(tb, &t);
}

static enum mamori_verdict run_check(struct mamori_check_result *r)
{
    struct mamori_check_ctx ctx = {.root = "", .policy = pol, .now = time(NULL)};

    mamori_check_run(mamori_check_find("usb.storage_blocked"), &ctx, r);
    return r->verdict;
}

static void set_iface(const char *dev, const char *name, const char *value)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s:1.0", dev, name);
    umockdev_testbed_set_attribute(tb, path, "authorized", value);
}

Test(usb_check, open_root_hub_fails)
{
    struct mamori_check_result r;

    /* The testbed's hub has interface_authorized_default=1: no enforcement. */
    cr_assert_eq(run_check(&r), MAMORI_FAIL, "%s", r.detail_en);
    cr_assert(strstr(r.detail_en, "root hub") != NULL, "%s", r.detail_en);
    cr_assert_str_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(r.evidence, "root_hubs_open"), 0)->valuestring,
        "usb1");
    mamori_check_result_clear(&r);
}

Test(usb_check, enforced_hub_with_blocked_stick_passes)
{
    struct mamori_check_result r;
    char *stick = add("1-1", 0x0781, STORAGE), *kbd = add("1-2", 0x046d, HID);

    umockdev_testbed_set_attribute(tb, hub, "interface_authorized_default", "0");
    set_iface(stick, "1-1", "0");
    cr_assert_eq(run_check(&r), MAMORI_PASS, "%s", r.detail_en);
    cr_assert_eq(cJSON_GetObjectItem(r.evidence, "devices")->valueint, 3);
    mamori_check_result_clear(&r);
    g_free(stick);
    g_free(kbd);
}

Test(usb_check, authorized_unregistered_stick_fails_with_facts)
{
    struct mamori_check_result r;
    char *stick = add("1-1", 0x0781, STORAGE);
    const cJSON *v;

    umockdev_testbed_set_attribute(tb, hub, "interface_authorized_default", "0");
    /* The stick's storage interface is authorized (e.g. the agent was stopped
     * and someone wrote 1): the check must see it. */
    cr_assert_eq(run_check(&r), MAMORI_FAIL, "%s", r.detail_en);
    v = cJSON_GetArrayItem(cJSON_GetObjectItem(r.evidence, "authorized_unregistered"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(v, "device")->valuestring, "0781:0001");
    cr_assert_str_eq(cJSON_GetObjectItem(v, "class_name")->valuestring, "mass storage");
    cr_assert(strstr(r.detail_ja, "未登録") != NULL);
    mamori_check_result_clear(&r);
    g_free(stick);
}

Test(usb_check, audit_mode_is_not_compliant)
{
    struct mamori_check_result r;

    umockdev_testbed_set_attribute(tb, hub, "interface_authorized_default", "0");
    pol->usb.mode = MAMORI_MODE_AUDIT;
    cr_assert_eq(run_check(&r), MAMORI_FAIL);
    cr_assert(strstr(r.detail_en, "audit mode") != NULL, "%s", r.detail_en);
    mamori_check_result_clear(&r);
}

Test(usb_check, no_usb_bus_is_not_applicable)
{
    struct mamori_check_result r;
    struct mamori_check_ctx ctx = {.root = "/nonexistent-root", .policy = pol, .now = 0};

    mamori_check_run(mamori_check_find("usb.storage_blocked"), &ctx, &r);
    cr_assert_eq(r.verdict, MAMORI_NOT_APPLICABLE);
    mamori_check_result_clear(&r);
}

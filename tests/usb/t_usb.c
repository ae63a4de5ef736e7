/* t_usb.c -- USB enforcement under a umockdev testbed (issue 3).
 *
 * Every test builds devices with real descriptor blobs, runs the enforcer,
 * and asserts the sysfs `authorized` values it left behind -- not log lines.
 * Runs under umockdev-wrapper (ctest does that). */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usb_descriptors.h"
#include "usb_enforcer.h"
#include "usb_testbed.h"

static const struct test_iface STORAGE[] = {{0x08, 0x06, 0x50}};
static const struct test_iface HID[] = {{0x03, 0x01, 0x01}};
static const struct test_iface HID_AND_STORAGE[] = {{0x03, 0x01, 0x01}, {0x08, 0x06, 0x50}};
static const struct test_iface HUB[] = {{0x09, 0x00, 0x00}};
static const struct test_iface RNDIS[] = {{0xe0, 0x01, 0x03}, {0x0a, 0x00, 0x00}};

static UMockdevTestbed *tb;
static char *root_hub;
static cJSON *events;

static void collect(void *userdata, cJSON *event)
{
    (void)userdata;
    cJSON_AddItemToArray(events, event);
}

static const struct mamori_event_sink sink = {.fn = collect};

static void setup(void)
{
    tb = umockdev_testbed_new();
    cr_assert(umockdev_in_mock_environment(), "run under umockdev-wrapper");
    root_hub = test_usb_add_root_hub(tb);
    events = cJSON_CreateArray();
}

static void teardown(void)
{
    cJSON_Delete(events);
    g_free(root_hub);
    g_object_unref(tb);
}

TestSuite(usb, .init = setup, .fini = teardown);

static char *add(const char *name, const char *parent, uint16_t vid, uint16_t pid,
                 const char *serial, const struct test_iface *ifaces, size_t n)
{
    struct test_usb t = {.name = name,
                         .parent = parent ? parent : root_hub,
                         .vid = vid,
                         .pid = pid,
                         .serial = serial,
                         .product = "test device",
                         .ifaces = ifaces,
                         .n_ifaces = n,
                         .create_interface_dirs = 1};
    char *sys = test_usb_add(tb, &t);

    cr_assert_not_null(sys, "cannot add %s", name);
    return sys;
}

static const char *iface_auth(const char *dev_sys, const char *dev_name, int n)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s:1.%d", dev_sys, dev_name, n);
    return test_usb_attr(path, "authorized");
}

static struct mamori_usb_enforcer *start(const struct mamori_policy *pol)
{
    char err[256];
    struct mamori_usb_enforcer *e = mamori_usb_enforcer_new(pol, &sink, err, sizeof(err));

    cr_assert_not_null(e, "%s", err);
    return e;
}

/* The event about device "vvvv:pppp", or NULL; *count how many there were. */
static const cJSON *event_for(const char *id, int *count)
{
    const cJSON *ev, *found = NULL;

    *count = 0;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "device");

        if (cJSON_IsString(d) && strcmp(d->valuestring, id) == 0) {
            found = ev;
            (*count)++;
        }
    }
    return found;
}

static const char *type_of(const cJSON *ev)
{
    return ev ? cJSON_GetObjectItem(ev, "type")->valuestring : "(none)";
}

Test(usb, stick_blocked_keyboard_on_same_hub_works)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "4C53000123", STORAGE, 1);
    char *kbd = add("1-2", NULL, 0x046d, 0xc31c, NULL, HID, 1);
    struct mamori_usb_enforcer *e = start(pol);
    int n;

    cr_assert_eq(mamori_usb_enforcer_sweep(e), 1, "one device has something blocked");
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "0", "storage interface kept out");
    cr_assert_str_eq(iface_auth(kbd, "1-2", 0), "1", "keyboard interface authorized");
    cr_assert_str_eq(test_usb_attr(root_hub, "interface_authorized_default"), "0",
                     "root hub closed for new interfaces");
    cr_assert_str_eq(type_of(event_for("0781:5567", &n)), "usb.blocked");
    cr_assert_eq(n, 1);
    cr_assert_str_eq(type_of(event_for("046d:c31c", &n)), "usb.authorized");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
    g_free(kbd);
}

Test(usb, composite_device_keeps_hid_loses_storage)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_MYNUMBER);
    char *dev = add("1-3", NULL, 0x1234, 0x0001, "C1", HID_AND_STORAGE, 2);
    struct mamori_usb_enforcer *e = start(pol);
    const cJSON *ev, *ifs;
    int n;

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(dev, "1-3", 0), "1", "HID half works");
    cr_assert_str_eq(iface_auth(dev, "1-3", 1), "0", "storage half kept out");
    ev = event_for("1234:0001", &n);
    ifs = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "interfaces");
    cr_assert_eq(cJSON_GetArraySize(ifs), 2);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ifs, 1), "class_name")->valuestring,
                     "mass storage");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(ifs, 1), "authorized")));
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(dev);
}

/* The hash the enforcer computes for the stick added by add(). */
static void stick_hash(uint16_t vid, uint16_t pid, char out[65])
{
    struct test_usb t = {.vid = vid, .pid = pid, .ifaces = STORAGE, .n_ifaces = 1};
    uint8_t blob[512];
    size_t len = test_usb_blob(&t, blob, sizeof(blob));

    mamori_usb_descriptors_hash(blob, len, out);
}

static struct mamori_policy *policy_with_allow(time_t until, const char *serial, const char *hash)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);

    pol->usb.allow = calloc(1, sizeof(*pol->usb.allow));
    pol->usb.allow[0] = (struct mamori_usb_allow){.vid = 0x0781,
                                                  .pid = 0x5567,
                                                  .serial = strdup(serial),
                                                  .hash = hash ? strdup(hash) : NULL,
                                                  .label = strdup("総務-USB-001"),
                                                  .until = until};
    pol->usb.n_allow = 1;
    return pol;
}

Test(usb, registered_stick_is_allowed)
{
    char hash[65];
    struct mamori_policy *pol;
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "REG-1", STORAGE, 1);
    struct mamori_usb_enforcer *e;
    const cJSON *ev;
    int n;

    stick_hash(0x0781, 0x5567, hash);
    pol = policy_with_allow(time(NULL) + 86400, "REG-1", hash);
    e = start(pol);
    cr_assert_eq(mamori_usb_enforcer_sweep(e), 0);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "1", "registered medium authorized");
    ev = event_for("0781:5567", &n);
    cr_assert_str_eq(type_of(ev), "usb.authorized");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "registered")->valuestring,
        "総務-USB-001");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
}

Test(usb, registration_with_other_serial_or_hash_does_not_match)
{
    struct mamori_policy *pol = policy_with_allow(0, "REG-1", "00" /* wrong hash */);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "REG-1", STORAGE, 1);
    char *twin = add("1-2", NULL, 0x0781, 0x5567, "REG-2", STORAGE, 1);
    struct mamori_usb_enforcer *e = start(pol);

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "0", "descriptor hash differs");
    cr_assert_str_eq(iface_auth(twin, "1-2", 0), "0", "serial differs");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
    g_free(twin);
}

Test(usb, expired_registration_is_blocked)
{
    struct mamori_policy *pol = policy_with_allow(time(NULL) - 60, "REG-1", NULL);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "REG-1", STORAGE, 1);
    struct mamori_usb_enforcer *e = start(pol);
    int n;

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "0", "a loan past its date stops matching");
    cr_assert_str_eq(type_of(event_for("0781:5567", &n)), "usb.blocked");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
}

Test(usb, audit_mode_changes_nothing)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "S", STORAGE, 1);
    struct mamori_usb_enforcer *e;
    int n;

    pol->usb.mode = MAMORI_MODE_AUDIT;
    e = start(pol);
    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "1", "audit does not block");
    cr_assert_str_eq(test_usb_attr(root_hub, "interface_authorized_default"), "1",
                     "audit leaves the hub default alone");
    cr_assert_str_eq(type_of(event_for("0781:5567", &n)), "usb.would_block");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
}

static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    cr_assert_eq(poll(&p, 1, 5000), 1, "no uevent arrived within 5 s");
}

Test(usb, hotplug_during_startup_sweep_is_not_lost)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    struct mamori_usb_enforcer *e = start(pol); /* the monitor is open from here */
    char *early, *late;
    int n;

    /* Plugged after the monitor opened but before the sweep ran. */
    early = add("1-1", NULL, 0x0781, 0x5567, "EARLY", STORAGE, 1);
    umockdev_testbed_uevent(tb, early, "add");
    mamori_usb_enforcer_sweep(e);
    wait_readable(mamori_usb_enforcer_fd(e));
    mamori_usb_enforcer_dispatch(e);
    cr_assert_str_eq(iface_auth(early, "1-1", 0), "0");
    event_for("0781:5567", &n);
    cr_assert_eq(n, 1, "seen by both the sweep and the uevent, reported once");

    /* Plugged while running. */
    late = add("1-2", NULL, 0x090c, 0x1000, "LATE", STORAGE, 1);
    umockdev_testbed_uevent(tb, late, "add");
    wait_readable(mamori_usb_enforcer_fd(e));
    cr_assert_geq(mamori_usb_enforcer_dispatch(e), 1);
    cr_assert_str_eq(iface_auth(late, "1-2", 0), "0");
    cr_assert_str_eq(type_of(event_for("090c:1000", &n)), "usb.blocked");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(early);
    g_free(late);
}

Test(usb, nested_hub_device_is_judged)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    char *hub = add("1-4", NULL, 0x05e3, 0x0608, NULL, HUB, 1);
    char *stick = add("1-4.1", hub, 0x0781, 0x5567, "N", STORAGE, 1);
    struct mamori_usb_enforcer *e = start(pol);

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(hub, "1-4", 0), "1", "hubs pass");
    cr_assert_str_eq(iface_auth(stick, "1-4.1", 0), "0", "storage behind a hub is kept out");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(hub);
    g_free(stick);
}

Test(usb, tethering_adapter_is_blocked_unless_policy_allows)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_INTERNET);
    char *phone = add("1-5", NULL, 0x04e8, 0x6863, "PHONE", RNDIS, 2);
    struct mamori_usb_enforcer *e = start(pol);

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(phone, "1-5", 0), "0", "RNDIS control");
    cr_assert_str_eq(iface_auth(phone, "1-5", 1), "0", "CDC data");
    pol->network.usb_network_allowed = true;
    mamori_usb_enforcer_set_policy(e, pol);
    cr_assert_str_eq(iface_auth(phone, "1-5", 0), "1", "usb_network: allow");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(phone);
}

Test(usb, policy_change_registers_a_stick_without_restart)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    struct mamori_policy *with = policy_with_allow(0, "REG-1", NULL);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "REG-1", STORAGE, 1);
    struct mamori_usb_enforcer *e = start(pol);

    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "0");
    mamori_usb_enforcer_set_policy(e, with);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "1");
    mamori_usb_enforcer_set_policy(e, pol);
    cr_assert_str_eq(iface_auth(stick, "1-1", 0), "0", "a withdrawn registration closes again");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    mamori_policy_free(with);
    g_free(stick);
}

Test(usb, malformed_descriptors_keep_the_device_blocked)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    char *dev = add("1-6", NULL, 0x046d, 0xc31c, NULL, HID, 1);
    static uint8_t broken[] = {18,   1, 0, 2, 0, 0, 0, 64, 0x6d, 0x04, 0x1c,
                               0xc3, 0, 1, 1, 2, 0, 1, 9,  2,    0xff, 0x7f /* past the end */};
    struct mamori_usb_enforcer *e;
    const cJSON *ev;
    int n;

    umockdev_testbed_set_attribute_binary(tb, dev, "descriptors", broken, sizeof(broken));
    e = start(pol);
    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(iface_auth(dev, "1-6", 0), "0", "even a HID interface stays out");
    ev = event_for("046d:c31c", &n);
    cr_assert_str_eq(type_of(ev), "usb.error");
    cr_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "error")->valuestring,
                     "malformed USB descriptors") != NULL);
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(dev);
}

Test(usb, sysfs_write_error_is_reported_and_closes_the_device)
{
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    char *stick = add("1-1", NULL, 0x0781, 0x5567, "W", STORAGE, 1);
    char path[1024];
    struct mamori_usb_enforcer *e;
    const cJSON *state, *ev;
    int n;

    /* Make the interface's authorized attribute unwritable: a directory. */
    snprintf(path, sizeof(path), "%s%s/1-1:1.0/authorized", umockdev_testbed_get_sys_dir(tb),
             stick + strlen("/sys"));
    cr_assert_eq(unlink(path), 0, "%s", path);
    cr_assert_eq(mkdir(path, 0755), 0);
    e = start(pol);
    mamori_usb_enforcer_sweep(e);
    cr_assert_str_eq(test_usb_attr(stick, "authorized"), "0",
                     "the whole device is deauthorized instead");
    ev = event_for("0781:5567", &n);
    cr_assert_str_eq(type_of(ev), "usb.error");
    cr_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "facts"), "error")->valuestring,
                     "cannot write") != NULL);
    state = mamori_usb_enforcer_state(e);
    cr_assert_geq(cJSON_GetObjectItem(state, "errors")->valueint, 1);
    cJSON_Delete((cJSON *)state);
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    g_free(stick);
}

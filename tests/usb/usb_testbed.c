/* usb_testbed.c -- see usb_testbed.h. */
#include "usb_testbed.h"

#include <stdio.h>
#include <string.h>

size_t test_usb_blob(const struct test_usb *t, uint8_t *buf, size_t size)
{
    size_t total = 9 + t->n_ifaces * (9 + 7), n = 0;
    const uint8_t device[18] = {18,
                                1,
                                0x00,
                                0x02,
                                t->device_class,
                                0,
                                0,
                                64,
                                (uint8_t)(t->vid & 0xff),
                                (uint8_t)(t->vid >> 8),
                                (uint8_t)(t->pid & 0xff),
                                (uint8_t)(t->pid >> 8),
                                0x00,
                                0x01,
                                1,
                                2,
                                3,
                                1};
    const uint8_t config[9] = {
        9, 2, (uint8_t)(total & 0xff), (uint8_t)(total >> 8), (uint8_t)t->n_ifaces, 1, 0, 0x80, 50};

    if (size < 18 + total)
        return 0;
    memcpy(buf, device, 18);
    memcpy(buf + 18, config, 9);
    n = 27;
    for (size_t i = 0; i < t->n_ifaces; i++) {
        const uint8_t iface[9] = {
            9, 4, (uint8_t)i, 0, 1, t->ifaces[i].cls, t->ifaces[i].subclass, t->ifaces[i].protocol,
            0};
        const uint8_t ep[7] = {7, 5, (uint8_t)(0x81 + i), 3, 8, 0, 10};

        memcpy(buf + n, iface, 9);
        memcpy(buf + n + 9, ep, 7);
        n += 16;
    }
    return n;
}

char *test_usb_add(UMockdevTestbed *tb, const struct test_usb *t)
{
    char vid[8], pid[8], cls[4];
    uint8_t blob[512];
    size_t len = test_usb_blob(t, blob, sizeof(blob));
    gchar *sys;

    snprintf(vid, sizeof(vid), "%04x", t->vid);
    snprintf(pid, sizeof(pid), "%04x", t->pid);
    snprintf(cls, sizeof(cls), "%02x", t->device_class);
    sys = umockdev_testbed_add_device(
        tb, "usb", t->name, t->parent, "idVendor", vid, "idProduct", pid, "bDeviceClass", cls,
        "bConfigurationValue", "1", "authorized", "1", "serial", t->serial ? t->serial : "",
        "product", t->product ? t->product : "", NULL, "DEVTYPE", "usb_device", NULL);
    if (sys == NULL)
        return NULL;
    if (t->serial == NULL) /* a device without serial has no serial file */
        umockdev_testbed_set_attribute(tb, sys, "serial", "");
    umockdev_testbed_set_attribute_binary(tb, sys, "descriptors", blob, len);
    for (size_t i = 0; t->create_interface_dirs && i < t->n_ifaces; i++) {
        char name[64], c[4];
        gchar *ifpath;

        snprintf(name, sizeof(name), "%s:1.%zu", t->name, i);
        snprintf(c, sizeof(c), "%02x", t->ifaces[i].cls);
        ifpath =
            umockdev_testbed_add_device(tb, "usb", name, sys, "bInterfaceClass", c, "authorized",
                                        "1", NULL, "DEVTYPE", "usb_interface", NULL);
        g_free(ifpath);
    }
    return sys;
}

char *test_usb_add_root_hub(UMockdevTestbed *tb)
{
    static const struct test_iface hub_iface[] = {{0x09, 0, 0}};
    const struct test_usb hub = {.name = "usb1",
                                 .vid = 0x1d6b,
                                 .pid = 0x0002,
                                 .device_class = 0x09,
                                 .product = "xHCI Host Controller",
                                 .ifaces = hub_iface,
                                 .n_ifaces = 1,
                                 .create_interface_dirs = 1};
    char *sys = test_usb_add(tb, &hub);

    umockdev_testbed_set_attribute(tb, sys, "interface_authorized_default", "1");
    return sys;
}

const char *test_usb_attr(const char *syspath, const char *attr)
{
    static char buf[256];
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", syspath, attr);
    buf[0] = '\0';
    f = fopen(path, "r");
    if (f == NULL)
        return "(missing)";
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

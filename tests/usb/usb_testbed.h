/* usb_testbed.h -- building USB devices in a umockdev testbed for the tests:
 * real descriptor blobs (device, configuration, interfaces, endpoints), the
 * sysfs attributes the kernel has, and interface child devices. */
#ifndef MAMORI_TEST_USB_TESTBED_H
#define MAMORI_TEST_USB_TESTBED_H

#include <stddef.h>
#include <stdint.h>

#include <umockdev.h>

struct test_iface {
    uint8_t cls, subclass, protocol;
};

struct test_usb {
    const char *name;   /* "1-1" */
    const char *parent; /* syspath of the parent (hub), NULL for the root hub */
    uint16_t vid, pid;
    uint8_t device_class;
    const char *serial, *product;
    const struct test_iface *ifaces;
    size_t n_ifaces;
    int create_interface_dirs; /* also add "name:1.N" interface devices */
};

/* Descriptor blob for t into buf; returns its length. */
size_t test_usb_blob(const struct test_usb *t, uint8_t *buf, size_t size);

/* Add the device (and its interfaces) to tb; returns its syspath (g_free). */
char *test_usb_add(UMockdevTestbed *tb, const struct test_usb *t);

/* A root hub "usb1" with interface_authorized_default=1; returns syspath. */
char *test_usb_add_root_hub(UMockdevTestbed *tb);

/* Read a sysfs attribute (through the preload) into a static buffer. */
const char *test_usb_attr(const char *syspath, const char *attr);

#endif

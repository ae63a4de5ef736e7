/* usb_device.h -- one USB device as mamori sees it, and the decision for it.
 *
 * Facts are read from the device's sysfs directory (idVendor, idProduct,
 * serial, manufacturer, product, descriptors), so the same code serves the
 * live system, umockdev testbeds and fixture trees below a root.  The
 * decision is per interface: harmless interfaces are authorized, storage and
 * network interfaces only when the device matches a registered medium of the
 * policy (vid:pid, serial, descriptor hash, not expired).  A device whose
 * descriptors cannot be parsed gets nothing authorized. */
#ifndef MAMORI_USB_DEVICE_H
#define MAMORI_USB_DEVICE_H

#include <stdbool.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "policy.h"
#include "usb_descriptors.h"

struct mamori_usb_device {
    char syspath[512];
    char name[64]; /* port path: "1-1", "1-1.2" */
    uint16_t vid, pid;
    char serial[256]; /* "" when the device has none */
    char manufacturer[128];
    char product[128];
    int configuration; /* bConfigurationValue, 0 when unconfigured */
    char hash[65];     /* SHA-256 of descriptors, "" when unreadable */
    bool descriptors_ok;
    char error[256]; /* why descriptors_ok is false */
    struct mamori_usb_descriptors desc;
};

struct mamori_usb_decision {
    const struct mamori_usb_allow *registered; /* matching allow entry, or NULL */
    bool authorize[MAMORI_USB_MAX_INTERFACES]; /* per desc.interfaces[i] */
    bool would_block;                          /* something is kept out (or would be, in audit) */
};

/* Load facts from a device directory.  Returns 0, or -1 if it is not a USB
 * device (no idVendor).  Unparsable descriptors are not an error here: they
 * are recorded in dev->error and the decision blocks everything. */
int mamori_usb_device_load(const char *syspath, struct mamori_usb_device *dev);

/* Decide under policy at time now (audit mode decides the same; the caller
 * chooses whether to act). */
void mamori_usb_judge(const struct mamori_usb_device *dev, const struct mamori_policy *policy,
                      time_t now, struct mamori_usb_decision *out);

/* Device facts with per-interface decisions, for events and listings:
 * {"device":"0781:5567","serial","manufacturer","product","port","hash",
 *  "registered":label|null,"interfaces":[{"number","class","class_name","kind","authorized"}]} */
cJSON *mamori_usb_device_facts(const struct mamori_usb_device *dev,
                               const struct mamori_usb_decision *d);

/* Path of interface i's sysfs directory ("<syspath>/<name>:<cfg>.<n>"). */
int mamori_usb_interface_path(const struct mamori_usb_device *dev, size_t i, char *out,
                              size_t size);

#endif /* MAMORI_USB_DEVICE_H */

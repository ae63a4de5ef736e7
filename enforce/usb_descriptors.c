/* usb_descriptors.c -- parsing the sysfs `descriptors` blob and classifying
 * interfaces (see usb_descriptors.h).
 *
 * Layout (USB 2.0 §9.6): an 18-byte device descriptor (type 1), then for
 * each configuration a 9-byte configuration descriptor (type 2) whose
 * wTotalLength covers its interface (type 4), endpoint and class-specific
 * descriptors.  Every descriptor starts with bLength, bDescriptorType; a
 * bLength below 2 or past the end is malformed. */
#include "usb_descriptors.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"

#define DESC_DEVICE        1
#define DESC_CONFIGURATION 2
#define DESC_INTERFACE     4
#define APPLE_VID          0x05ac

enum mamori_usb_kind mamori_usb_classify(uint16_t vid, uint8_t cls, uint8_t subclass,
                                         uint8_t protocol)
{
    switch (cls) {
    case 0x06: /* still image: PTP, and MTP on most phones */
    case 0x08: /* mass storage */
        return MAMORI_USB_STORAGE;
    case 0x02: /* CDC communications: ECM, NCM, EEM, MBIM, ACM modems */
    case 0x0a: /* CDC data */
    case 0xe0: /* wireless controller: RNDIS (01/03), Bluetooth (01/01) */
        return MAMORI_USB_NETWORK;
    case 0xef: /* miscellaneous: RNDIS over IAD is ef/04/01 */
        return subclass == 0x04 && protocol == 0x01 ? MAMORI_USB_NETWORK : MAMORI_USB_HARMLESS;
    case 0xff: /* vendor specific: Apple's tethering (ipheth) and MTP */
        if (vid == APPLE_VID && subclass == 0xfd)
            return MAMORI_USB_NETWORK;
        return MAMORI_USB_HARMLESS;
    default:
        return MAMORI_USB_HARMLESS;
    }
}

const char *mamori_usb_class_name(uint8_t cls)
{
    switch (cls) {
    case 0x00:
        return "per-interface";
    case 0x01:
        return "audio";
    case 0x02:
        return "CDC communications";
    case 0x03:
        return "HID";
    case 0x05:
        return "physical";
    case 0x06:
        return "still image (PTP/MTP)";
    case 0x07:
        return "printer";
    case 0x08:
        return "mass storage";
    case 0x09:
        return "hub";
    case 0x0a:
        return "CDC data";
    case 0x0b:
        return "smart card";
    case 0x0d:
        return "content security";
    case 0x0e:
        return "video";
    case 0x0f:
        return "personal healthcare";
    case 0x10:
        return "audio/video";
    case 0xdc:
        return "diagnostic";
    case 0xe0:
        return "wireless controller";
    case 0xef:
        return "miscellaneous";
    case 0xfe:
        return "application specific";
    case 0xff:
        return "vendor specific";
    default:
        return "unknown";
    }
}

const char *mamori_usb_kind_name(enum mamori_usb_kind kind)
{
    return kind == MAMORI_USB_STORAGE   ? "storage"
           : kind == MAMORI_USB_NETWORK ? "network"
                                        : "harmless";
}

static int fail(char *err, size_t errlen, const char *what, size_t offset)
{
    snprintf(err, errlen, "malformed USB descriptors: %s at byte %zu", what, offset);
    return -1;
}

/* Record an interface descriptor; alternate settings of a number already
 * seen only make its kind stricter (a storage alt setting taints it). */
static void add_interface(struct mamori_usb_descriptors *d, const uint8_t *p)
{
    struct mamori_usb_interface it = {
        .number = p[2], .alternate = p[3], .cls = p[5], .subclass = p[6], .protocol = p[7]};

    it.kind = mamori_usb_classify(d->vid, it.cls, it.subclass, it.protocol);
    for (size_t i = 0; i < d->n_interfaces; i++) {
        if (d->interfaces[i].number == it.number) {
            if (it.kind > d->interfaces[i].kind)
                d->interfaces[i] = it;
            return;
        }
    }
    if (d->n_interfaces < MAMORI_USB_MAX_INTERFACES)
        d->interfaces[d->n_interfaces++] = it;
}

static int parse_configuration(const uint8_t *blob, size_t len, size_t *pos,
                               struct mamori_usb_descriptors *d, char *err, size_t errlen)
{
    size_t start = *pos, total, end;

    if (len - start < 9 || blob[start] < 9 || blob[start + 1] != DESC_CONFIGURATION)
        return fail(err, errlen, "configuration descriptor expected", start);
    total = (size_t)blob[start + 2] | (size_t)blob[start + 3] << 8;
    if (total < 9 || total > len - start)
        return fail(err, errlen, "configuration wTotalLength past the end", start + 2);
    end = start + total;
    for (size_t p = start + blob[start]; p < end;) {
        if (end - p < 2 || blob[p] < 2 || blob[p] > end - p)
            return fail(err, errlen, "descriptor length out of bounds", p);
        if (blob[p + 1] == DESC_INTERFACE) {
            if (blob[p] < 9)
                return fail(err, errlen, "short interface descriptor", p);
            add_interface(d, blob + p);
        }
        p += blob[p];
    }
    *pos = end;
    return 0;
}

int mamori_usb_parse_descriptors(const uint8_t *blob, size_t len,
                                 struct mamori_usb_descriptors *out, char *err, size_t errlen)
{
    struct mamori_usb_descriptors d;
    size_t pos;

    memset(&d, 0, sizeof(d));
    if (len < 18 || blob[0] != 18 || blob[1] != DESC_DEVICE)
        return fail(err, errlen, "device descriptor expected", 0);
    d.bcd_usb = (uint16_t)(blob[2] | blob[3] << 8);
    d.device_class = blob[4];
    d.vid = (uint16_t)(blob[8] | blob[9] << 8);
    d.pid = (uint16_t)(blob[10] | blob[11] << 8);
    if (blob[17] == 0)
        return fail(err, errlen, "device declares no configuration", 17);
    /* sysfs holds the active configuration(s) after the device descriptor. */
    for (pos = 18; pos < len;)
        if (parse_configuration(blob, len, &pos, &d, err, errlen) != 0)
            return -1;
    if (pos == 18)
        return fail(err, errlen, "no configuration descriptor", 18);
    *out = d;
    return 0;
}

void mamori_usb_descriptors_hash(const uint8_t *blob, size_t len, char out[65])
{
    mamori_sha256_hex(blob, len, out);
}

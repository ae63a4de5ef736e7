/* usb_descriptors.h -- what a USB device is, from its raw descriptors.
 *
 * The kernel exposes every device's descriptors as the sysfs file
 * `descriptors` (device descriptor, then each configuration with its
 * interfaces and endpoints).  mamori classifies interfaces from this blob
 * rather than from interface directories, because with
 * interface_authorized_default=0 an interface that was never authorized may
 * not have been probed, and the blob is what the device itself declared.
 *
 * Parsing is strict and bounds-checked: a blob that is truncated or whose
 * lengths do not add up is an error, and the caller keeps the device
 * blocked. */
#ifndef MAMORI_USB_DESCRIPTORS_H
#define MAMORI_USB_DESCRIPTORS_H

#include <stddef.h>
#include <stdint.h>

#define MAMORI_USB_MAX_INTERFACES 32

/* What an interface is, as far as taking data out goes. */
enum mamori_usb_kind {
    MAMORI_USB_HARMLESS, /* HID, audio, video, printer, hub, smart card, ... */
    MAMORI_USB_STORAGE,  /* mass storage (08), still image / PTP / MTP (06) */
    MAMORI_USB_NETWORK,  /* CDC (02, 0a), RNDIS (e0/01/03, ef/04/01), Bluetooth, ipheth */
};

struct mamori_usb_interface {
    uint8_t number, alternate;
    uint8_t cls, subclass, protocol;
    enum mamori_usb_kind kind;
};

struct mamori_usb_descriptors {
    uint16_t vid, pid, bcd_usb;
    uint8_t device_class;
    size_t n_interfaces; /* alternate settings of one interface are counted once */
    struct mamori_usb_interface interfaces[MAMORI_USB_MAX_INTERFACES];
};

/* Parse a descriptors blob.  Returns 0, or -1 with a one-line reason. */
int mamori_usb_parse_descriptors(const uint8_t *blob, size_t len,
                                 struct mamori_usb_descriptors *out, char *err, size_t errlen);

/* The kind of an interface of a device from vendor vid. */
enum mamori_usb_kind mamori_usb_classify(uint16_t vid, uint8_t cls, uint8_t subclass,
                                         uint8_t protocol);

/* "mass storage", "HID", ... (English; for events and `mamorictl usb list`). */
const char *mamori_usb_class_name(uint8_t cls);
const char *
mamori_usb_kind_name(enum mamori_usb_kind kind); /* "harmless" | "storage" | "network" */

/* Lowercase hex SHA-256 of the blob into out (65 bytes). */
void mamori_usb_descriptors_hash(const uint8_t *blob, size_t len, char out[65]);

#endif /* MAMORI_USB_DESCRIPTORS_H */

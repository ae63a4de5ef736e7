/* usb_device.c -- device facts from sysfs and the per-interface decision
 * (see usb_device.h). */
#include "usb_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DESCRIPTORS_MAX 65536

/* Read a small sysfs attribute as one trimmed line; "" when absent. */
static void read_attr(const char *dir, const char *attr, char *out, size_t size)
{
    char path[1024];
    FILE *f;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", dir, attr);
    f = fopen(path, "re");
    if (f == NULL)
        return;
    if (fgets(out, (int)size, f) == NULL)
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
}

static void load_descriptors(struct mamori_usb_device *dev)
{
    char path[1024];
    uint8_t *blob = malloc(DESCRIPTORS_MAX);
    size_t len = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/descriptors", dev->syspath);
    f = fopen(path, "re");
    if (blob == NULL || f == NULL) {
        snprintf(dev->error, sizeof(dev->error), "no descriptors in sysfs");
        free(blob);
        if (f != NULL)
            fclose(f);
        return;
    }
    len = fread(blob, 1, DESCRIPTORS_MAX, f);
    fclose(f);
    mamori_usb_descriptors_hash(blob, len, dev->hash);
    dev->descriptors_ok =
        mamori_usb_parse_descriptors(blob, len, &dev->desc, dev->error, sizeof(dev->error)) == 0;
    free(blob);
}

static uint16_t hex16(const char *s)
{
    return (uint16_t)strtoul(s, NULL, 16);
}

int mamori_usb_device_load(const char *syspath, struct mamori_usb_device *dev)
{
    char buf[32];
    const char *slash;

    memset(dev, 0, sizeof(*dev));
    snprintf(dev->syspath, sizeof(dev->syspath), "%s", syspath);
    slash = strrchr(syspath, '/');
    snprintf(dev->name, sizeof(dev->name), "%s", slash ? slash + 1 : syspath);
    read_attr(syspath, "idVendor", buf, sizeof(buf));
    if (buf[0] == '\0')
        return -1;
    dev->vid = hex16(buf);
    read_attr(syspath, "idProduct", buf, sizeof(buf));
    dev->pid = hex16(buf);
    read_attr(syspath, "serial", dev->serial, sizeof(dev->serial));
    read_attr(syspath, "manufacturer", dev->manufacturer, sizeof(dev->manufacturer));
    read_attr(syspath, "product", dev->product, sizeof(dev->product));
    read_attr(syspath, "bConfigurationValue", buf, sizeof(buf));
    dev->configuration = buf[0] ? atoi(buf) : 1;
    load_descriptors(dev);
    /* The blob is what the device declared; sysfs ids must agree with it. */
    if (dev->descriptors_ok && (dev->desc.vid != dev->vid || dev->desc.pid != dev->pid)) {
        dev->descriptors_ok = false;
        snprintf(dev->error, sizeof(dev->error),
                 "descriptors say %04x:%04x but sysfs says %04x:%04x", dev->desc.vid, dev->desc.pid,
                 dev->vid, dev->pid);
    }
    return 0;
}

static const struct mamori_usb_allow *find_registration(const struct mamori_usb_device *dev,
                                                        const struct mamori_policy *policy,
                                                        time_t now)
{
    for (size_t i = 0; i < policy->usb.n_allow; i++)
        if (mamori_usb_allow_matches(&policy->usb.allow[i], dev->vid, dev->pid,
                                     dev->serial[0] ? dev->serial : NULL,
                                     dev->hash[0] ? dev->hash : NULL, now))
            return &policy->usb.allow[i];
    return NULL;
}

void mamori_usb_judge(const struct mamori_usb_device *dev, const struct mamori_policy *policy,
                      time_t now, struct mamori_usb_decision *out)
{
    memset(out, 0, sizeof(*out));
    if (!dev->descriptors_ok) {
        out->would_block = true; /* nothing is authorized on a device we cannot read */
        return;
    }
    out->registered = find_registration(dev, policy, now);
    for (size_t i = 0; i < dev->desc.n_interfaces; i++) {
        enum mamori_usb_kind kind = dev->desc.interfaces[i].kind;
        bool network_ok = kind == MAMORI_USB_NETWORK && policy->network.usb_network_allowed;

        out->authorize[i] = kind == MAMORI_USB_HARMLESS || out->registered != NULL || network_ok;
        if (!out->authorize[i])
            out->would_block = true;
    }
}

int mamori_usb_interface_path(const struct mamori_usb_device *dev, size_t i, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s:%d.%u", dev->syspath, dev->name,
                     dev->configuration ? dev->configuration : 1, dev->desc.interfaces[i].number);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static cJSON *interface_json(const struct mamori_usb_interface *it, bool authorized)
{
    cJSON *o = cJSON_CreateObject();
    char cls[8];

    snprintf(cls, sizeof(cls), "%02x", it->cls);
    cJSON_AddNumberToObject(o, "number", it->number);
    cJSON_AddStringToObject(o, "class", cls);
    cJSON_AddStringToObject(o, "class_name", mamori_usb_class_name(it->cls));
    cJSON_AddStringToObject(o, "kind", mamori_usb_kind_name(it->kind));
    cJSON_AddBoolToObject(o, "authorized", authorized);
    return o;
}

cJSON *mamori_usb_device_facts(const struct mamori_usb_device *dev,
                               const struct mamori_usb_decision *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ifs;
    char id[16];

    snprintf(id, sizeof(id), "%04x:%04x", dev->vid, dev->pid);
    cJSON_AddStringToObject(o, "device", id);
    cJSON_AddStringToObject(o, "serial", dev->serial);
    cJSON_AddStringToObject(o, "manufacturer", dev->manufacturer);
    cJSON_AddStringToObject(o, "product", dev->product);
    cJSON_AddStringToObject(o, "port", dev->name);
    cJSON_AddStringToObject(o, "hash", dev->hash);
    if (d->registered != NULL && d->registered->label != NULL)
        cJSON_AddStringToObject(o, "registered", d->registered->label);
    else if (d->registered != NULL)
        cJSON_AddStringToObject(o, "registered", id);
    else
        cJSON_AddNullToObject(o, "registered");
    if (!dev->descriptors_ok)
        cJSON_AddStringToObject(o, "error", dev->error);
    ifs = cJSON_AddArrayToObject(o, "interfaces");
    for (size_t i = 0; i < dev->desc.n_interfaces; i++)
        cJSON_AddItemToArray(ifs, interface_json(&dev->desc.interfaces[i], d->authorize[i]));
    return o;
}

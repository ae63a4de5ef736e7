/* usb_enforcer.c -- per-interface USB authorization (see usb_enforcer.h).
 *
 * For each device: load its facts (usb_device.c), judge it under the policy,
 * write each interface's `authorized`, and describe the decision as one event.
 * A write that would keep storage out but fails is the one dangerous error:
 * the enforcer then deauthorizes the whole device, so the failure closes
 * rather than opens. */
#include "usb_enforcer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "usb_device.h"

#define SEEN_MAX 512

struct mamori_usb_enforcer {
    struct udev *udev;
    struct udev_monitor *monitor;
    const struct mamori_policy *policy;
    const struct mamori_event_sink *sink;
    unsigned authorized, blocked, would_block, errors;
    char last_error[300];
    char *seen[SEEN_MAX]; /* syspaths already reported, so a re-judge stays quiet */
    size_t n_seen;
};

/* ---- sysfs writes ------------------------------------------------------ */

static int write_attr(const char *dir, const char *attr, const char *value, char *err,
                      size_t errlen)
{
    char path[1024];
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, attr);
    f = fopen(path, "we");
    if (f == NULL) {
        snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
        return -1;
    }
    rc = fputs(value, f) < 0 ? -1 : 0;
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static bool dir_exists(const char *path)
{
    DIR *d = opendir(path);

    if (d != NULL)
        closedir(d);
    return d != NULL;
}

/* ---- events ------------------------------------------------------------ */

static void note_error(struct mamori_usb_enforcer *e, const char *msg)
{
    e->errors++;
    snprintf(e->last_error, sizeof(e->last_error), "%.*s", (int)sizeof(e->last_error) - 1, msg);
}

static void emit(struct mamori_usb_enforcer *e, const char *type, const char *severity,
                 const struct mamori_usb_device *dev, const struct mamori_usb_decision *d,
                 const char *error)
{
    char ja[400], en[400];
    const char *what = dev->product[0] ? dev->product : "USB device";
    cJSON *ev, *facts;

    if (strcmp(type, MAMORI_EV_USB_BLOCKED) == 0) {
        snprintf(ja, sizeof(ja), "USB機器 %s (%04x:%04x) の記憶・通信機能を遮断しました", what,
                 dev->vid, dev->pid);
        snprintf(en, sizeof(en), "blocked storage/network on USB device %s (%04x:%04x)", what,
                 dev->vid, dev->pid);
    } else if (strcmp(type, MAMORI_EV_USB_WOULD_BLOCK) == 0) {
        snprintf(ja, sizeof(ja), "監査モード: USB機器 %s (%04x:%04x) は本来遮断されます", what,
                 dev->vid, dev->pid);
        snprintf(en, sizeof(en), "audit: USB device %s (%04x:%04x) would be blocked", what,
                 dev->vid, dev->pid);
    } else if (strcmp(type, MAMORI_EV_USB_ERROR) == 0) {
        snprintf(ja, sizeof(ja), "USB機器 %s (%04x:%04x) を判定できないため遮断しました", what,
                 dev->vid, dev->pid);
        snprintf(en, sizeof(en), "USB device %s (%04x:%04x) kept blocked: %s", what, dev->vid,
                 dev->pid, error ? error : "error");
    } else {
        snprintf(ja, sizeof(ja), "USB機器 %s (%04x:%04x) を許可しました", what, dev->vid, dev->pid);
        snprintf(en, sizeof(en), "authorized USB device %s (%04x:%04x)", what, dev->vid, dev->pid);
    }
    ev = mamori_event_new(type, severity, time(NULL), ja, en);
    if (ev == NULL)
        return;
    facts = mamori_usb_device_facts(dev, d);
    if (error != NULL)
        cJSON_AddStringToObject(facts, "error", error);
    cJSON_ReplaceItemInObject(ev, "facts", facts);
    mamori_event_emit(e->sink, ev);
}

static bool seen_before(struct mamori_usb_enforcer *e, const char *syspath, bool remember)
{
    for (size_t i = 0; i < e->n_seen; i++)
        if (strcmp(e->seen[i], syspath) == 0)
            return true;
    if (remember && e->n_seen < SEEN_MAX && (e->seen[e->n_seen] = strdup(syspath)) != NULL)
        e->n_seen++;
    return false;
}

static void forget(struct mamori_usb_enforcer *e, const char *syspath)
{
    for (size_t i = 0; i < e->n_seen; i++) {
        if (strcmp(e->seen[i], syspath) == 0) {
            free(e->seen[i]);
            e->seen[i] = e->seen[--e->n_seen];
            return;
        }
    }
}

/* ---- decisions --------------------------------------------------------- */

/* Keep every interface directory of an unreadable device at 0. */
static int block_all_interfaces(const struct mamori_usb_device *dev, char *err, size_t errlen)
{
    char prefix[80], path[1024];
    struct dirent *de;
    DIR *d = opendir(dev->syspath);
    int rc = 0;

    if (d == NULL)
        return 0;
    snprintf(prefix, sizeof(prefix), "%s:", dev->name);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dev->syspath, de->d_name);
        if (write_attr(path, "authorized", "0", err, errlen) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

/* Apply the decision to interface i; -1 when storage could not be kept out. */
static int apply_interface(struct mamori_usb_enforcer *e, const struct mamori_usb_device *dev,
                           size_t i, bool authorize, char *err, size_t errlen)
{
    char path[1024];

    if (mamori_usb_interface_path(dev, i, path, sizeof(path)) != 0 || !dir_exists(path))
        return 0; /* not created yet: handled when its own uevent arrives */
    if (write_attr(path, "authorized", authorize ? "1" : "0", err, errlen) == 0)
        return 0;
    note_error(e, err);
    return authorize ? 0 : -1; /* a failed "1" leaves it blocked: closed, not open */
}

static bool is_root_hub(const struct mamori_usb_device *dev)
{
    return strncmp(dev->name, "usb", 3) == 0;
}

static void close_root_hub(struct mamori_usb_enforcer *e, const struct mamori_usb_device *dev)
{
    char err[400];

    if (e->policy->usb.mode == MAMORI_MODE_ENFORCE &&
        write_attr(dev->syspath, "interface_authorized_default", "0", err, sizeof(err)) != 0)
        note_error(e, err);
}

static void report(struct mamori_usb_enforcer *e, const struct mamori_usb_device *dev,
                   const struct mamori_usb_decision *d, bool audit, const char *error)
{
    if (error != NULL)
        emit(e, MAMORI_EV_USB_ERROR, "error", dev, d, error);
    else if (d->would_block && audit)
        emit(e, MAMORI_EV_USB_WOULD_BLOCK, "warning", dev, d, NULL);
    else if (d->would_block)
        emit(e, MAMORI_EV_USB_BLOCKED, "warning", dev, d, NULL);
    else
        emit(e, MAMORI_EV_USB_AUTHORIZED, "info", dev, d, NULL);
}

static void count(struct mamori_usb_enforcer *e, const struct mamori_usb_decision *d, bool audit)
{
    if (!d->would_block)
        e->authorized++;
    else if (audit)
        e->would_block++;
    else
        e->blocked++;
}

/* Judge and enforce one device; announce=false re-applies quietly. */
static int handle_device(struct mamori_usb_enforcer *e, const char *syspath, bool announce)
{
    bool audit = e->policy->usb.mode == MAMORI_MODE_AUDIT;
    struct mamori_usb_device dev;
    struct mamori_usb_decision d;
    char err[400] = "";
    int failed = 0;

    if (mamori_usb_device_load(syspath, &dev) != 0)
        return 0;
    if (is_root_hub(&dev))
        close_root_hub(e, &dev);
    mamori_usb_judge(&dev, e->policy, time(NULL), &d);
    if (!dev.descriptors_ok) {
        snprintf(err, sizeof(err), "%s", dev.error);
        note_error(e, err);
        failed = block_all_interfaces(&dev, err, sizeof(err)) != 0;
    } else {
        for (size_t i = 0; i < dev.desc.n_interfaces; i++)
            failed |= apply_interface(e, &dev, i, audit || d.authorize[i], err, sizeof(err));
    }
    /* Storage that cannot be kept out per interface is kept out per device. */
    if (failed) {
        char dev_err[400];

        if (write_attr(syspath, "authorized", "0", dev_err, sizeof(dev_err)) != 0)
            note_error(e, dev_err);
    }
    if (announce && !seen_before(e, syspath, true)) {
        count(e, &d, audit);
        report(e, &dev, &d, audit, dev.descriptors_ok && !err[0] ? NULL : err);
    }
    return d.would_block ? 1 : 0;
}

/* ---- lifecycle --------------------------------------------------------- */

struct mamori_usb_enforcer *mamori_usb_enforcer_new(const struct mamori_policy *policy,
                                                    const struct mamori_event_sink *sink, char *err,
                                                    size_t errlen)
{
    struct mamori_usb_enforcer *e = calloc(1, sizeof(*e));

    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->policy = policy;
    e->sink = sink;
    e->udev = udev_new();
    /* "kernel" uevents: no udevd needed, and nothing in between to delay them. */
    e->monitor = e->udev ? udev_monitor_new_from_netlink(e->udev, "kernel") : NULL;
    if (e->monitor == NULL ||
        udev_monitor_filter_add_match_subsystem_devtype(e->monitor, "usb", NULL) < 0 ||
        udev_monitor_enable_receiving(e->monitor) < 0) {
        snprintf(err, errlen, "cannot listen for USB uevents: %s", strerror(errno));
        mamori_usb_enforcer_free(e);
        return NULL;
    }
    return e;
}

int mamori_usb_enforcer_fd(const struct mamori_usb_enforcer *e)
{
    return udev_monitor_get_fd(e->monitor);
}

static int judge_all(struct mamori_usb_enforcer *e, bool announce)
{
    struct udev_enumerate *en = udev_enumerate_new(e->udev);
    struct udev_list_entry *item;
    int blocked = 0;

    if (en == NULL || udev_enumerate_add_match_subsystem(en, "usb") < 0 ||
        udev_enumerate_scan_devices(en) < 0) {
        note_error(e, "cannot enumerate USB devices");
        udev_enumerate_unref(en);
        return -1;
    }
    udev_list_entry_foreach(item, udev_enumerate_get_list_entry(en))
    {
        const char *syspath = udev_list_entry_get_name(item);

        /* Interfaces are handled with their device; root hubs come first by name order. */
        if (strchr(strrchr(syspath, '/') ? strrchr(syspath, '/') : syspath, ':') == NULL)
            blocked += handle_device(e, syspath, announce);
    }
    udev_enumerate_unref(en);
    return blocked;
}

int mamori_usb_enforcer_sweep(struct mamori_usb_enforcer *e)
{
    return judge_all(e, true);
}

static void handle_uevent(struct mamori_usb_enforcer *e, struct udev_device *dev)
{
    const char *action = udev_device_get_action(dev);
    const char *devtype = udev_device_get_devtype(dev);
    const char *syspath = udev_device_get_syspath(dev);
    struct udev_device *parent;

    if (action == NULL || devtype == NULL || syspath == NULL)
        return;
    if (strcmp(action, "remove") == 0 && strcmp(devtype, "usb_device") == 0) {
        forget(e, syspath);
    } else if (strcmp(action, "add") == 0 && strcmp(devtype, "usb_device") == 0) {
        handle_device(e, syspath, true);
    } else if (strcmp(action, "add") == 0 && strcmp(devtype, "usb_interface") == 0) {
        /* A new interface: re-apply its device's decision (quietly if known). */
        parent = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");
        if (parent != NULL)
            handle_device(e, udev_device_get_syspath(parent), true);
    }
}

int mamori_usb_enforcer_dispatch(struct mamori_usb_enforcer *e)
{
    struct udev_device *dev;
    int handled = 0;

    while ((dev = udev_monitor_receive_device(e->monitor)) != NULL) {
        handle_uevent(e, dev);
        udev_device_unref(dev);
        handled++;
    }
    return handled;
}

void mamori_usb_enforcer_set_policy(struct mamori_usb_enforcer *e,
                                    const struct mamori_policy *policy)
{
    e->policy = policy;
    /* Forget what was announced: under new rules every decision is news. */
    while (e->n_seen > 0)
        free(e->seen[--e->n_seen]);
    judge_all(e, true);
}

static cJSON *root_hubs_json(const struct mamori_usb_enforcer *e)
{
    struct udev_enumerate *en = udev_enumerate_new(e->udev);
    struct udev_list_entry *item;
    cJSON *arr = cJSON_CreateArray();

    if (en == NULL)
        return arr;
    udev_enumerate_add_match_subsystem(en, "usb");
    udev_enumerate_add_match_sysname(en, "usb*");
    udev_enumerate_scan_devices(en);
    udev_list_entry_foreach(item, udev_enumerate_get_list_entry(en))
    {
        struct udev_device *d =
            udev_device_new_from_syspath(e->udev, udev_list_entry_get_name(item));
        const char *v = d ? udev_device_get_sysattr_value(d, "interface_authorized_default") : NULL;
        cJSON *hub = cJSON_CreateObject();

        cJSON_AddStringToObject(hub, "name", d ? udev_device_get_sysname(d) : "?");
        cJSON_AddStringToObject(hub, "interface_authorized_default", v ? v : "unknown");
        cJSON_AddItemToArray(arr, hub);
        udev_device_unref(d);
    }
    udev_enumerate_unref(en);
    return arr;
}

cJSON *mamori_usb_enforcer_state(const struct mamori_usb_enforcer *e)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "mode", mamori_mode_name(e->policy->usb.mode));
    cJSON_AddItemToObject(o, "root_hubs", root_hubs_json(e));
    cJSON_AddNumberToObject(o, "authorized", e->authorized);
    cJSON_AddNumberToObject(o, "blocked", e->blocked);
    cJSON_AddNumberToObject(o, "would_block", e->would_block);
    cJSON_AddNumberToObject(o, "errors", e->errors);
    cJSON_AddStringToObject(o, "last_error", e->last_error);
    return o;
}

void mamori_usb_enforcer_free(struct mamori_usb_enforcer *e)
{
    if (e == NULL)
        return;
    while (e->n_seen > 0)
        free(e->seen[--e->n_seen]);
    udev_monitor_unref(e->monitor);
    udev_unref(e->udev);
    free(e);
}

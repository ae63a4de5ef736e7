/* usb_storage.c -- check usb.storage_blocked (要件 A1, A2, A3).
 *
 * Passes when USB enforcement is in force and nothing it should keep out is
 * in: every root hub has interface_authorized_default=0, and no storage,
 * still-image/MTP or network interface of an unregistered device is
 * authorized.  The decision per interface is the enforcer's own
 * (mamori_usb_judge), read from sysfs below the root, so the check and the
 * enforcement can never disagree about what "allowed" means. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "usb_device.h"

struct usb_scan {
    const struct mamori_check_ctx *ctx;
    cJSON *hubs_open;  /* root hubs that would authorize new interfaces */
    cJSON *violations; /* authorized interfaces that should be out */
    int devices;
};

static void read_line(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "re");

    out[0] = '\0';
    if (f != NULL && fgets(out, (int)size, f) == NULL)
        out[0] = '\0';
    if (f != NULL)
        fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

static void check_root_hub(struct usb_scan *s, const char *path, const char *name)
{
    char file[4500], value[16];

    snprintf(file, sizeof(file), "%s/interface_authorized_default", path);
    read_line(file, value, sizeof(value));
    if (strcmp(value, "0") != 0)
        cJSON_AddItemToArray(s->hubs_open, cJSON_CreateString(name));
}

static void add_violation(struct usb_scan *s, const struct mamori_usb_device *dev, size_t i)
{
    cJSON *v = cJSON_CreateObject();
    char id[16], cls[4];

    snprintf(id, sizeof(id), "%04x:%04x", dev->vid, dev->pid);
    snprintf(cls, sizeof(cls), "%02x", dev->desc.interfaces[i].cls);
    cJSON_AddStringToObject(v, "device", id);
    cJSON_AddStringToObject(v, "product", dev->product);
    cJSON_AddStringToObject(v, "port", dev->name);
    cJSON_AddNumberToObject(v, "interface", dev->desc.interfaces[i].number);
    cJSON_AddStringToObject(v, "class", cls);
    cJSON_AddStringToObject(v, "class_name", mamori_usb_class_name(dev->desc.interfaces[i].cls));
    cJSON_AddItemToArray(s->violations, v);
}

static void check_device(struct usb_scan *s, const char *path)
{
    struct mamori_usb_device dev;
    struct mamori_usb_decision d;
    char file[4500], value[16];

    if (mamori_usb_device_load(path, &dev) != 0)
        return;
    s->devices++;
    mamori_usb_judge(&dev, s->ctx->policy, s->ctx->now, &d);
    for (size_t i = 0; i < dev.desc.n_interfaces; i++) {
        if (d.authorize[i] || mamori_usb_interface_path(&dev, i, file, sizeof(file) - 12) != 0)
            continue;
        strcat(file, "/authorized");
        read_line(file, value, sizeof(value));
        if (strcmp(value, "1") == 0)
            add_violation(s, &dev, i);
    }
}

/* Walk <root>/sys/bus/usb/devices; -1 when there is no USB bus at all. */
static int scan(struct usb_scan *s)
{
    char dir[4096], path[4400];
    struct dirent *de;
    DIR *d;

    if (mamori_sysfs_path(s->ctx, "/sys/bus/usb/devices", dir, sizeof(dir)) != 0 ||
        (d = opendir(dir)) == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strchr(de->d_name, ':') != NULL)
            continue; /* interfaces are judged with their device */
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (strncmp(de->d_name, "usb", 3) == 0)
            check_root_hub(s, path, de->d_name);
        check_device(s, path);
    }
    closedir(d);
    return 0;
}

static void run(const struct mamori_check_ctx *ctx, struct mamori_check_result *r)
{
    struct usb_scan s = {.ctx = ctx};
    int open_hubs, violations;

    cJSON_AddStringToObject(r->evidence, "mode", mamori_mode_name(ctx->policy->usb.mode));
    s.hubs_open = cJSON_AddArrayToObject(r->evidence, "root_hubs_open");
    s.violations = cJSON_AddArrayToObject(r->evidence, "authorized_unregistered");
    if (scan(&s) != 0) {
        mamori_check_set(r, MAMORI_NOT_APPLICABLE, "このPCにはUSBバスがありません",
                         "this PC has no USB bus");
        return;
    }
    cJSON_AddNumberToObject(r->evidence, "devices", s.devices);
    open_hubs = cJSON_GetArraySize(s.hubs_open);
    violations = cJSON_GetArraySize(s.violations);
    if (violations > 0)
        mamori_check_set(r, MAMORI_FAIL,
                         "未登録のUSB記憶・通信機器が %d 個のインターフェースで使用可能です",
                         "%d interface(s) of unregistered USB storage/network devices are "
                         "usable",
                         violations);
    else if (ctx->policy->usb.mode == MAMORI_MODE_AUDIT)
        mamori_check_set(r, MAMORI_FAIL, "USB制御が監査モードです（遮断していません）",
                         "USB control is in audit mode (nothing is blocked)");
    else if (open_hubs > 0)
        mamori_check_set(r, MAMORI_FAIL,
                         "%d 個のルートハブが新しいUSBインターフェースを自動で許可します",
                         "%d root hub(s) authorize new USB interfaces by default", open_hubs);
    else
        mamori_check_set(
            r, MAMORI_PASS, "USB記憶媒体は遮断されています（%d 台を確認、未登録の記憶媒体なし）",
            "USB storage is blocked (%d devices checked, no unregistered storage)", s.devices);
}

const struct mamori_check mamori_check_usb_storage_blocked = {
    .id = "usb.storage_blocked",
    .run = run,
};

/* ctl_usb.c -- `mamorictl usb list [--json] [--policy FILE | --segment NAME]`.
 *
 * Every USB device with its interfaces, their class names, what the policy
 * decides for each (the enforcer's own judgement, mamori_usb_judge) and what
 * sysfs says now.  A mismatch -- storage the policy keeps out that is
 * authorized -- is marked, so the helpdesk sees at once whether enforcement
 * holds on this PC.  Works without the agent. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "cli_text.h"
#include "ctl_policy.h"
#include "usb_device.h"

int mamori_ctl_usb(int argc, char **argv);

static void read_authorized(const char *dir, char *out, size_t size)
{
    char path[1100];
    FILE *f;

    snprintf(path, sizeof(path), "%s/authorized", dir);
    snprintf(out, size, "-");
    f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(out, (int)size, f) == NULL)
            snprintf(out, size, "?");
        fclose(f);
    }
    out[strcspn(out, "\n")] = '\0';
}

/* Device facts plus, per interface, the current sysfs value. */
static cJSON *device_json(const struct mamori_usb_device *dev, const struct mamori_policy *pol)
{
    struct mamori_usb_decision d;
    cJSON *facts, *ifs, *it;
    char path[1024], now[8];
    size_t i = 0;

    mamori_usb_judge(dev, pol, time(NULL), &d);
    facts = mamori_usb_device_facts(dev, &d);
    ifs = cJSON_GetObjectItemCaseSensitive(facts, "interfaces");
    cJSON_ArrayForEach(it, ifs)
    {
        cJSON *allowed = cJSON_DetachItemFromObjectCaseSensitive(it, "authorized");

        cJSON_AddItemToObject(it, "policy_allows", allowed);
        if (mamori_usb_interface_path(dev, i++, path, sizeof(path)) == 0)
            read_authorized(path, now, sizeof(now));
        else
            snprintf(now, sizeof(now), "-");
        cJSON_AddStringToObject(it, "sysfs_authorized", now);
        cJSON_AddBoolToObject(it, "violation",
                              cJSON_IsFalse(allowed) && strcmp(now, "1") == 0 &&
                                  pol->usb.mode == MAMORI_MODE_ENFORCE);
    }
    return facts;
}

static cJSON *list_devices(const struct mamori_policy *pol)
{
    struct udev *udev = udev_new();
    struct udev_enumerate *en = udev ? udev_enumerate_new(udev) : NULL;
    struct udev_list_entry *item;
    cJSON *arr = cJSON_CreateArray();

    if (en == NULL || udev_enumerate_add_match_subsystem(en, "usb") < 0 ||
        udev_enumerate_scan_devices(en) < 0) {
        udev_enumerate_unref(en);
        udev_unref(udev);
        return arr;
    }
    udev_list_entry_foreach(item, udev_enumerate_get_list_entry(en))
    {
        const char *syspath = udev_list_entry_get_name(item);
        const char *base = strrchr(syspath, '/');
        struct mamori_usb_device dev;

        if (strchr(base ? base : syspath, ':') == NULL &&
            mamori_usb_device_load(syspath, &dev) == 0)
            cJSON_AddItemToArray(arr, device_json(&dev, pol));
    }
    udev_enumerate_unref(en);
    udev_unref(udev);
    return arr;
}

static const char *s(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static int print_table(const cJSON *devices)
{
    const cJSON *dev, *it;
    int violations = 0;

    if (cJSON_GetArraySize(devices) == 0)
        printf(_("no USB devices\n"));
    cJSON_ArrayForEach(dev, devices)
    {
        const cJSON *reg = cJSON_GetObjectItemCaseSensitive(dev, "registered");

        printf("%-8s %s  %s %s  %s%s\n", s(dev, "port"), s(dev, "device"), s(dev, "manufacturer"),
               s(dev, "product"), s(dev, "serial")[0] ? _("serial ") : "", s(dev, "serial"));
        if (cJSON_IsString(reg))
            printf(_("         registered medium: %s\n"), reg->valuestring);
        if (s(dev, "error")[0])
            printf(_("         ERROR: %s (kept blocked)\n"), s(dev, "error"));
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(dev, "interfaces"))
        {
            bool allow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "policy_allows"));
            bool bad = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "violation"));

            violations += bad;
            printf("         if%-2d %s %-24s %-10s %s: %s%s\n",
                   cJSON_GetObjectItemCaseSensitive(it, "number")->valueint, s(it, "class"),
                   s(it, "class_name"), allow ? _("allow") : _("block"), _("authorized now"),
                   s(it, "sysfs_authorized"), bad ? _("  <- NOT ENFORCED") : "");
        }
    }
    return violations ? 1 : 0;
}

int mamori_ctl_usb(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"policy", required_argument, NULL, 'p'},
                                         {"segment", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *policy_path = NULL, *segment = NULL;
    struct mamori_policy *pol;
    bool json = false;
    cJSON *devices;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "jp:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'p':
            policy_path = optarg;
            break;
        case 's':
            segment = optarg;
            break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    _("usage: mamorictl usb list [--json] [--policy FILE | --segment NAME]\n"));
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind + 1 != argc || strcmp(argv[optind], "list") != 0) {
        fprintf(stderr, _("usage: mamorictl usb list [--json] [--policy FILE | --segment NAME]\n"));
        return 2;
    }
    if (mamori_ctl_policy_load(policy_path, segment, &pol) != 0)
        return 2;
    devices = list_devices(pol);
    if (json) {
        char *text = cJSON_Print(devices);

        puts(text ? text : "[]");
        free(text);
        rc = 0;
    } else {
        rc = print_table(devices);
    }
    cJSON_Delete(devices);
    mamori_policy_free(pol);
    return rc;
}
